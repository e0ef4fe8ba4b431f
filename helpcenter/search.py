"""Full-text search of published articles: the one audited way into ``ArticleSearch``.

PostgreSQL: ``websearch_to_tsquery`` in the help center's language, ranked with ``ts_rank``
(title words weigh more than body words), served by the GIN index on (tenant_id, vector). The
table has no row-level security policy (see helpcenter.models), so this function applies the
current tenant itself, from ``tenants.context.current_tenant()``, never from its arguments.
Snippets (``ts_headline``) are then made from the articles table, under its policy, for the
page of results only.

SQLite (the embedded default): every word must appear in the title or the body; title
matches first.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.db import connection
from django.db.models import Case, IntegerField, Q, Value, When
from django.utils.html import escape
from django.utils.safestring import SafeString, mark_safe

from helpcenter.models import Article, ArticleSearch
from helpcenter.selectors import help_center_for_reading, published
from tenants.context import current_tenant

QUERY_MAX_CHARS = 200
# Snippets come from the start of the body: ts_headline's cost grows with the text it reads.
HEADLINE_SOURCE_CHARS = 4000
RESULTS_MAX = 50
# Highlight markers: control characters that cannot come from a form (the input boundary
# refuses them in bodies); escaped text is marked up after.
_START, _STOP = "\x01", "\x02"

SEARCH_SQL = f"""
    SELECT s.article_id, ts_rank(s.vector, q.query, 32) AS rank
    FROM {ArticleSearch._meta.db_table} AS s,
         websearch_to_tsquery(%s::regconfig, %s) AS q(query)
    WHERE s.tenant_id = %s::bigint AND s.vector @@ q.query
    ORDER BY rank DESC, s.article_id
    LIMIT %s
"""  # noqa: S608 (table name from the model; every value is a parameter)


@dataclass(frozen=True)
class Hit:
    article: Article
    snippet: SafeString


def clean_query(raw: object) -> str:
    if not isinstance(raw, str):
        return ""
    text = " ".join("".join(ch for ch in raw if ch.isprintable()).split())
    return text[:QUERY_MAX_CHARS]


def language() -> str:
    # Reading: a search must not write the settings row (help_center() would make it).
    return help_center_for_reading().language


def _ranked_ids(query: str, limit: int) -> list[int]:
    with connection.cursor() as cursor:
        cursor.execute(SEARCH_SQL, [language(), query, current_tenant().pk, limit])
        return [row[0] for row in cursor.fetchall()]


def explain(query: str, limit: int = 10) -> str:
    """The plan of a search as this connection's role runs it (benchmarks and tests read it)."""
    with connection.cursor() as cursor:
        cursor.execute("EXPLAIN " + SEARCH_SQL, [language(), query, current_tenant().pk, limit])
        return "\n".join(row[0] for row in cursor.fetchall())


def _highlight(raw: str) -> SafeString:
    text = escape(raw.replace("\n", " "))
    return mark_safe(text.replace(_START, "<mark>").replace(_STOP, "</mark>"))  # noqa: S308


def _snippets(ids: list[int], query: str) -> dict[int, SafeString]:
    if not ids:
        return {}
    table = Article._meta.db_table
    with connection.cursor() as cursor:
        cursor.execute(
            f"""
            SELECT a.id, ts_headline(%s::regconfig,
                       regexp_replace(left(a.body, %s), '[\\x01\\x02]', '', 'g'),
                       websearch_to_tsquery(%s::regconfig, %s),
                       'StartSel=' || chr(1) || ', StopSel=' || chr(2) ||
                       ', MaxWords=30, MinWords=12, MaxFragments=2, FragmentDelimiter=" … "')
            FROM {table} AS a WHERE a.id = ANY(%s)
            """,  # noqa: S608 (table name from the model; values are parameters)
            [language(), HEADLINE_SOURCE_CHARS, language(), query, ids],
        )
        return {pk: _highlight(headline or "") for pk, headline in cursor.fetchall()}


def search(raw_query: object, *, limit: int = 20) -> list[Hit]:
    """Published articles of the current tenant matching the query, best first."""
    query = clean_query(raw_query)
    if not query:
        return []
    limit = max(1, min(limit, RESULTS_MAX))
    articles = published().select_related("section__category")
    if connection.vendor == "postgresql":
        ids = _ranked_ids(query, limit)
        # Read back under the articles' own policy: a published article of this tenant only.
        found = {a.pk: a for a in articles.filter(pk__in=ids)}
        snippets = _snippets([pk for pk in ids if pk in found], query)
        return [Hit(found[pk], snippets.get(pk, SafeString(""))) for pk in ids if pk in found]
    return _search_simple(articles, query, limit)


def _search_simple(articles, query: str, limit: int) -> list[Hit]:
    words = query.split()[:10]
    matches = articles
    for word in words:
        matches = matches.filter(Q(title__icontains=word) | Q(body__icontains=word))
    title_hit = Q()
    for word in words:
        title_hit &= Q(title__icontains=word)
    matches = matches.annotate(
        in_title=Case(When(title_hit, then=Value(1)), default=Value(0), output_field=IntegerField())
    ).order_by("-in_title", "title")[:limit]
    hits = []
    for article in matches:
        body = article.body.replace("\n", " ")
        lower = body.lower()
        at = max(0, lower.find(words[0].lower()) - 60) if words else 0
        excerpt = body[at : at + 220]
        text = escape(excerpt)
        for word in words:
            text = _mark_word(text, escape(word))
        hits.append(Hit(article, mark_safe(text)))  # noqa: S308 (escaped above)
    return hits


def _mark_word(text: str, word: str) -> str:
    if not word:
        return text
    lower, needle = text.lower(), word.lower()
    out, start = [], 0
    while True:
        found = lower.find(needle, start)
        if found < 0:
            out.append(text[start:])
            return "".join(out)
        out.append(text[start:found])
        out.append(f"<mark>{text[found : found + len(word)]}</mark>")
        start = found + len(word)


def index_article(article: Article) -> None:
    """Bring the article's search entry in line with it: published -> present and current;
    draft -> absent (drafts are never found)."""
    if not article.is_published or article.is_policy:
        ArticleSearch.objects.filter(article_id=article.pk).delete()
        return
    entry, _created = ArticleSearch.objects.update_or_create(
        article_id=article.pk, defaults={"tenant_id": article.tenant_id}
    )
    if connection.vendor != "postgresql":
        return
    with connection.cursor() as cursor:
        cursor.execute(
            f"""
            UPDATE {ArticleSearch._meta.db_table} SET vector =
                setweight(to_tsvector(%s::regconfig, %s), 'A') ||
                setweight(to_tsvector(%s::regconfig, %s), 'B')
            WHERE id = %s
            """,  # noqa: S608 (table name from the model; values are parameters)
            [language(), article.title, language(), article.body, entry.pk],
        )
