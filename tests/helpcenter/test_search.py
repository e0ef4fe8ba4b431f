"""Help-center search: what is found, in which order, never a draft or another tenant's article,
and (PostgreSQL) a plan that uses the tenant-and-words index with row-level security on."""

import pytest
from django.db import connection

from helpcenter import search, services
from helpcenter.models import Article, ArticleSearch
from tenants.context import tenant_context

pytestmark = pytest.mark.django_db


def _article(world, title, body, *, status="published", section=None):
    with tenant_context(world.tenant):
        if section is None:
            category = services.category_save(values={"name": "Backups"})
            section = services.section_save(values={"category": category, "name": "Restoring"})
        return services.article_save(
            values={"section": section, "title": title, "body": body, "status": status},
            author=world.users["manager"],
        )


def _found(world, query):
    with tenant_context(world.tenant):
        return [hit.article.title for hit in search.search(query)]


def test_words_in_the_title_and_in_the_body_are_found(world_a):
    _article(world_a, "Restore a deleted file", "Open the app and pick the file.")
    _article(world_a, "Change your password", "Passwords are changed from the restore screen.")
    _article(world_a, "Billing", "Invoices are sent monthly.")
    assert set(_found(world_a, "restore")) == {
        "Restore a deleted file",
        "Change your password",
    }
    assert _found(world_a, "invoices") == ["Billing"]
    assert _found(world_a, "nothing-like-this") == []


def test_title_matches_rank_above_body_matches_and_snippets_mark_the_words(world_a):
    _article(world_a, "Passwords", "If a restore asks for one, use the account password.")
    _article(world_a, "Restore from the cloud", "Choose the backup set and a destination.")
    hits_titles = _found(world_a, "restore")
    assert hits_titles == ["Restore from the cloud", "Passwords"]
    with tenant_context(world_a.tenant):
        snippet = str(search.search("restore")[1].snippet)
    assert "<mark>restore</mark>" in snippet.lower()


def test_snippets_escape_the_article_text(world_a):
    _article(world_a, "Markup", "restore <script>alert(1)</script> & more")
    with tenant_context(world_a.tenant):
        snippet = str(search.search("restore")[0].snippet)
    assert "<script>" not in snippet
    assert "<mark>restore</mark>" in snippet


def test_drafts_are_never_found_and_unpublishing_removes_an_article(world_a):
    _article(world_a, "Secret draft about restore", "restore", status="draft")
    published = _article(world_a, "Public restore guide", "restore")
    assert _found(world_a, "restore") == ["Public restore guide"]
    with tenant_context(world_a.tenant):
        services.article_save(article=published, values={"status": "draft"}, author=None)
        assert not ArticleSearch.objects.filter(article_id=published.pk).exists()
    assert _found(world_a, "restore") == []


def test_another_tenants_articles_are_never_found(world_a, world_b):
    _article(world_b, f"Bravo restore {world_b.marker}", f"restore {world_b.marker}")
    _article(world_a, "Alpha restore", "restore")
    assert _found(world_a, "restore") == ["Alpha restore"]
    assert _found(world_a, world_b.marker) == []
    assert _found(world_b, "restore") == [f"Bravo restore {world_b.marker}"]


@pytest.mark.parametrize(
    "query",
    ["", "   ", "a" * 5000, "restore & | ! (", "'\"\\", "٣٤", "<b>restore</b>", None, 42],
)
def test_any_query_answers_without_error(world_a, query):
    _article(world_a, "Restore", "restore")
    with tenant_context(world_a.tenant):
        hits = search.search(query)
    assert isinstance(hits, list)


@pytest.mark.postgres
def test_the_plan_uses_the_tenant_and_words_index_under_row_level_security(world_a, world_b):
    """As the application's role (RLS applies to it, tests/tenants/test_rls.py), the search's
    plan reads the GIN index on (tenant_id, vector) for the words and applies the tenant on
    that same scan. Sequential
    scans are switched off only because a test database is too small for the planner to
    bother with an index; `manage.py bench_search` shows the plan at 10,000 articles."""
    for index in range(30):
        _article(world_a, f"Restore guide {index}", f"restore step {index}")
        _article(world_b, f"Bravo guide {index}", f"restore step {index}")
    with tenant_context(world_a.tenant):
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT rolsuper, rolbypassrls FROM pg_roles WHERE rolname = current_user"
            )
            assert cursor.fetchone() == (False, False)
            cursor.execute("SET LOCAL enable_seqscan = off")
        plan = search.explain("restore")
        assert len(search.search("restore")) == 20
    assert f"Bitmap Index Scan on {ArticleSearch.INDEX_NAME}" in plan, plan
    # The tenant and the word match are both index conditions: not a filter run on every row
    # of the tenant, as the match would be under a policy. (The tenant id is compared as a
    # bigint: btree_gin has no int4 = int8 operator, and without the cast only the words
    # would be looked up in the index.)
    index_conditions = [line for line in plan.splitlines() if "Index Cond" in line]
    assert any(
        f"tenant_id = '{world_a.tenant.pk}'::bigint" in line and "@@" in line
        for line in index_conditions
    ), plan


@pytest.mark.postgres
def test_the_articles_table_itself_keeps_its_policy(world_a, world_b):
    """The search entries skip RLS; the articles they point to do not: reading B's article id
    inside A's transaction returns nothing."""
    b_article = _article(world_b, "Bravo", "restore")
    with tenant_context(world_a.tenant), connection.cursor() as cursor:
        cursor.execute(
            f"SELECT count(*) FROM {Article._meta.db_table} WHERE id = %s",  # noqa: S608
            [b_article.pk],
        )
        assert cursor.fetchone() == (0,)
