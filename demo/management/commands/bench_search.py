"""Benchmark: help-center search in one big tenant among many (PostgreSQL).

    manage.py bench_search --articles 10000 --tenants 100 --queries 300

Makes a throwaway tenant with N published articles and T other tenants with ``--per-tenant``
articles each (the same vocabulary, so the index holds every tenant's words), then runs random
one- to three-word queries through ``helpcenter.search.search`` (ranked ids from the search
entries, articles read back under row-level security, highlighted snippets) in the big tenant
and prints p50/p95/p99, followed by the plan of one query as the application's role.
``--keep`` leaves the tenants for inspection.
"""

from __future__ import annotations

import random
import secrets
import statistics
import time

from django.core.management.base import BaseCommand, CommandError
from django.db import connection, transaction

from helpcenter import search
from helpcenter.models import Article, ArticleSearch, Category, Section
from tenants.context import cross_tenant, tenant_context
from tenants.models import Tenant
from tenants.services import tenant_create

SYLLABLES = [
    "ba", "ke", "lo", "mi", "nu", "ra", "si", "to", "ve", "zo", "pa", "de", "fi", "gu", "ha",
    "jo", "ku", "le", "mo", "ni", "po", "ru", "sa", "te", "vi", "wa", "xe", "yu", "ze", "qui",
]  # fmt: skip
COMMON = [
    "backup", "restore", "password", "account", "device", "install", "update", "schedule",
    "destination", "archive", "computer", "network", "error", "license", "cloud", "file",
]  # fmt: skip


def _vocabulary(rng: random.Random, size: int) -> list[str]:
    """The common support words first (the frequent end of the distribution), then made-up
    words for the long tail."""
    words = list(COMMON)
    while len(words) < size:
        word = "".join(rng.choice(SYLLABLES) for _ in range(rng.randint(2, 4)))
        if word not in words:
            words.append(word)
    return words


def _weights(vocabulary: list[str]) -> list[float]:
    """Zipf-like cumulative weights: the commonest support words land in about half of the
    articles, most made-up words in a handful (as in a real help center)."""
    total, cumulative = 0.0, []
    for rank in range(len(vocabulary)):
        total += 1 / (rank + 50)
        cumulative.append(total)
    return cumulative


def _text(rng: random.Random, vocabulary: list[str], weights: list[float], words: int) -> str:
    return " ".join(rng.choices(vocabulary, cum_weights=weights, k=words))


class Command(BaseCommand):
    help = __doc__

    def add_arguments(self, parser):
        parser.add_argument("--articles", type=int, default=10_000)
        parser.add_argument("--tenants", type=int, default=100, help="Other tenants.")
        parser.add_argument(
            "--per-tenant", type=int, default=100, help="Articles per other tenant."
        )
        parser.add_argument("--queries", type=int, default=300)
        parser.add_argument("--keep", action="store_true")

    def handle(self, *args, articles, tenants, per_tenant, queries, keep, **options):
        if connection.vendor != "postgresql":
            raise CommandError(
                "bench_search measures PostgreSQL full-text search: set DATABASE_URL."
            )
        if articles < 1 or tenants < 0 or per_tenant < 0 or queries < 1:
            raise CommandError("Counts must be positive.")
        rng = random.Random(11)  # noqa: S311 (benchmark data)
        vocabulary = _vocabulary(rng, 3000)
        self.weights = _weights(vocabulary)
        stamp = f"{int(time.time())}{secrets.token_hex(2)}"
        made: list[Tenant] = []
        try:
            started = time.perf_counter()
            big = tenant_create(slug=f"hcbench{stamp}", name="Search benchmark")
            made.append(big)
            self._fill(big, articles, rng, vocabulary)
            for index in range(tenants):
                other = tenant_create(slug=f"hcbench{stamp}o{index}", name=f"Other {index}")
                made.append(other)
                self._fill(other, per_tenant, rng, vocabulary)
            with connection.cursor() as cursor:
                cursor.execute(f"ANALYZE {ArticleSearch._meta.db_table}")
                cursor.execute(f"ANALYZE {Article._meta.db_table}")
            total = articles + tenants * per_tenant
            took = time.perf_counter() - started
            self.stdout.write(
                f"Data: {articles} articles in the measured tenant, {tenants} other tenants with "
                f"{per_tenant} each ({total} search entries) in {took:.1f} s"
            )
            self._measure(big, rng, vocabulary, queries)
        finally:
            if not keep:
                with cross_tenant():
                    Tenant.objects.filter(pk__in=[t.pk for t in made]).delete()

    def _fill(self, tenant: Tenant, count: int, rng: random.Random, vocabulary: list[str]) -> None:
        with tenant_context(tenant), transaction.atomic():
            category = Category.objects.create(name="Guides", slug="guides")
            sections = [
                Section.objects.create(category=category, name=f"Section {n}", slug=f"section-{n}")
                for n in range(10)
            ]
            rows = []
            for n in range(count):
                title = _text(rng, vocabulary, self.weights, rng.randint(3, 8)).capitalize()
                body = _text(rng, vocabulary, self.weights, rng.randint(80, 400))
                rows.append(
                    Article(
                        tenant=tenant,
                        section=rng.choice(sections),
                        title=title[:200],
                        slug=f"a{n}",
                        body=body,
                        body_html=f"<p>{body}</p>",
                        status=Article.Status.PUBLISHED,
                    )
                )
            created = Article.objects.bulk_create(rows, batch_size=2000)
            ArticleSearch.objects.bulk_create(
                [ArticleSearch(tenant=tenant, article_id=a.pk) for a in created], batch_size=2000
            )
            # Set-based, the same weighting as helpcenter.search.index_article.
            with connection.cursor() as cursor:
                cursor.execute(
                    f"""
                    UPDATE {ArticleSearch._meta.db_table} AS s SET vector =
                        setweight(to_tsvector('english', a.title), 'A') ||
                        setweight(to_tsvector('english', a.body), 'B')
                    FROM {Article._meta.db_table} AS a
                    WHERE a.id = s.article_id AND s.tenant_id = %s
                    """,  # noqa: S608 (table names from the models)
                    [tenant.pk],
                )

    def _measure(self, tenant, rng, vocabulary, queries: int) -> None:
        common = COMMON + vocabulary[:200]
        timings, results = [], []
        with tenant_context(tenant):
            search.search("backup")  # warm the connection and the help-center row
            for _ in range(queries):
                words = [rng.choice(common) for _ in range(rng.randint(1, 3))]
                query = " ".join(words)
                started = time.perf_counter()
                hits = search.search(query)
                timings.append((time.perf_counter() - started) * 1000)
                results.append(len(hits))
            with connection.cursor() as cursor:
                cursor.execute(
                    "SELECT rolsuper, rolbypassrls FROM pg_roles WHERE rolname = current_user"
                )
                superuser, bypass = cursor.fetchone()
                cursor.execute(
                    "EXPLAIN (ANALYZE, BUFFERS) " + search.SEARCH_SQL,
                    [search.language(), "backup restore", tenant.pk, 20],
                )
                plan = "\n".join(row[0] for row in cursor.fetchall())
        timings.sort()

        def pct(p: float) -> float:
            return timings[min(len(timings) - 1, round(p / 100 * (len(timings) - 1)))]

        self.stdout.write(
            f"Queries: {queries} (1-3 words; median {statistics.median(results):.0f} hits)\n"
            f"Search latency (ranked ids + articles under RLS + snippets): "
            f"p50 {pct(50):.1f} ms, p95 {pct(95):.1f} ms, p99 {pct(99):.1f} ms, "
            f"max {timings[-1]:.1f} ms\n"
            f"Role: superuser={superuser} bypassrls={bypass} (row-level security applies)\n"
            f"Plan of 'backup restore':\n{plan}"
        )
