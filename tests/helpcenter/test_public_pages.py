"""The customer-facing help center: every page renders what a reader needs, drafts and other
tenants' articles never reach a customer, and hostile parameters get a clean answer."""

import re

import pytest
from django.contrib.auth import get_user_model
from django.test import Client

from helpcenter import services
from helpcenter.models import Article
from tenants.context import tenant_context
from tests.conftest import login_client, snapshot_tenant_rows
from tests.helpcenter.public_helpers import article, browser, page, structure

pytestmark = pytest.mark.django_db

DRAFT = "Unreleased restore trick"


@pytest.fixture
def center(world_a):
    """Two categories; "Restoring" holds two published articles and a draft about restoring."""
    backups, restoring = structure(world_a, "Backups", "Restoring", description="Get files back")
    with tenant_context(world_a.tenant):
        schedules = services.section_save(values={"category": backups, "name": "Schedules"})
    _account, passwords = structure(world_a, "Account", "Passwords")
    return {
        "backups": backups,
        "restoring": restoring,
        "schedules": schedules,
        "passwords": passwords,
        "restore": article(
            world_a,
            "Restore a deleted file",
            "Open the app, choose **Restore files** and pick the file.",
            section=restoring,
        ),
        "slow": article(
            world_a, "Why a restore is slow", "Large restores take time.", section=restoring
        ),
        "schedule": article(
            world_a, "Change the backup schedule", "Settings, then Schedule.", section=schedules
        ),
        "password": article(
            world_a, "Reset your password", "Use Forgot password.", section=passwords
        ),
        "draft": article(world_a, DRAFT, "restore secretly", section=restoring, status="draft"),
    }


def _crumbs(body: str) -> list[str]:
    nav = re.search(r'<nav class="breadcrumbs".*?</nav>', body, re.S).group(0)
    return [
        re.sub(r"<[^>]+>", "", item).strip() for item in re.findall(r"<li>(.*?)</li>", nav, re.S)
    ]


# --- Pages -----------------------------------------------------------------------------------


def test_home_lists_topics_with_published_counts_the_policy_card_and_recent_articles(
    world_a, center
):
    body = page(browser(world_a), "/help/")
    assert "How can we help?" in body
    assert 'action="/help/search/"' in body and 'name="q"' in body
    assert '<a href="/help/backups/">Backups</a>' in body
    # "Restoring" has two published articles: the draft does not count.
    assert re.search(
        r'href="/help/backups/restoring/">Restoring</a><span class="count">2<span', body
    )
    assert re.search(r'href="/help/backups/schedules/">Schedules</a><span class="count">1<', body)
    assert 'href="/support-policy/"' in body and "Support policy" in body
    assert "Recently updated" in body and "Reset your password" in body
    assert DRAFT not in body


def test_popular_articles_appear_once_customers_have_read_them(world_a, center):
    client = browser(world_a)
    assert "Popular articles" not in page(client, "/help/")
    for _ in range(3):
        page(client, f"/help/articles/{center['password'].slug}/")
    page(client, f"/help/articles/{center['slow'].slug}/")
    body = page(client, "/help/")
    popular = body.split('id="popular"', 1)[1].split("</section>", 1)[0]
    assert popular.index("Reset your password") < popular.index("Why a restore is slow")


def test_topics_and_sections_with_nothing_published_are_not_shown(world_a, center):
    _empty, only_drafts = structure(world_a, "Coming soon", "Previews")
    article(world_a, "Preview draft", "soon", section=only_drafts, status="draft")
    body = page(browser(world_a), "/help/")
    assert "Coming soon" not in body and "Previews" not in body


def test_category_page_shows_breadcrumbs_description_sections_and_their_articles(world_a, center):
    body = page(browser(world_a), "/help/backups/")
    assert _crumbs(body) == ["Help center", "Backups"]
    assert "<h1>Backups</h1>" in body and "Get files back" in body
    assert "Restore a deleted file" in body and "Change the backup schedule" in body
    assert "Reset your password" not in body and DRAFT not in body


def test_section_page_lists_its_published_articles_and_its_siblings(world_a, center):
    body = page(browser(world_a), "/help/backups/restoring/")
    assert _crumbs(body) == ["Help center", "Backups", "Restoring"]
    assert "<h1>Restoring</h1>" in body
    assert body.index("Restore a deleted file") < body.index("Why a restore is slow")
    assert 'href="/help/backups/schedules/"' in body  # the category's other section
    assert DRAFT not in body and "Reset your password" not in body


def test_a_section_is_found_only_under_its_own_category(world_a, center):
    assert "Restore a deleted file" in page(browser(world_a), "/help/backups/restoring/")
    page(browser(world_a), "/help/account/restoring/", status=404)
    page(browser(world_a), "/help/nothing-here/", status=404)


def test_article_page_has_everything_a_reader_needs(world_a, center):
    body = page(browser(world_a), f"/help/articles/{center['restore'].slug}/")
    assert _crumbs(body) == ["Help center", "Backups", "Restoring"]
    assert '<h1 id="article-title">Restore a deleted file</h1>' in body
    assert "<strong>Restore files</strong>" in body  # the rendered body
    assert f"By {world_a.users['manager'].name}" in body and "Updated <time" in body
    in_section = body.split('id="in-section"', 1)[1].split("</nav>", 1)[0]
    assert "Why a restore is slow" in in_section and 'aria-current="page"' in in_section
    related = body.split('id="related"', 1)[1].split("</section>", 1)[0]
    assert "Change the backup schedule" in related  # same category, another section
    assert "Was this article helpful?" in body
    assert "Still need help?" in body and 'href="/tickets/new/"' in body
    assert DRAFT not in body and "Reset your password" not in body


def test_an_article_without_a_named_author_is_signed_by_the_team(world_a, center):
    made = article(world_a, "Unsigned", "text", section=center["restoring"], author_role=None)
    body = page(browser(world_a), f"/help/articles/{made.slug}/")
    assert f"By the {world_a.tenant.name} team" in body


def test_views_are_counted_for_customers_but_not_for_staff(world_a, center):
    url = f"/help/articles/{center['restore'].slug}/"
    page(browser(world_a), url)
    page(login_client(world_a.users["customer"], world_a.tenant), url)
    page(login_client(world_a.users["agent"], world_a.tenant), url)
    with tenant_context(world_a.tenant):
        center["restore"].refresh_from_db()
    assert center["restore"].view_count == 2


def test_the_policy_article_address_leads_to_the_live_policy_page(world_a, center):
    response = browser(world_a).get("/help/articles/support-policy/")
    assert response.status_code == 302 and response["Location"] == "/support-policy/"


def test_reading_the_help_center_writes_nothing(world_a, center):
    """A visitor's GET adds no rows (settings, policy article): the isolation probe compares a
    tenant's rows before and after strangers' requests."""
    before = snapshot_tenant_rows(world_a.tenant)
    client = browser(world_a)
    for path in [
        "/help/",
        "/help/backups/",
        "/help/backups/restoring/",
        "/support-policy/",
        "/help/search/",
        "/help/suggest/?q=restore+fails",
    ]:
        page(client, path)
    assert snapshot_tenant_rows(world_a.tenant) == before


def test_search_page_shows_counts_and_highlighted_snippets(world_a, center):
    body = page(browser(world_a), "/help/search/?q=restore")
    assert "2 articles for “<strong>restore</strong>”" in body
    assert body.count('class="help-result-title"') == 2
    assert "<mark>" in body and "Backups › Restoring" in body
    # Snippets come from the Markdown source: its punctuation is not shown.
    assert "choose <mark>Restore</mark> files" in body and "**" not in body
    assert DRAFT not in body


def test_search_page_has_an_empty_state_and_a_no_result_state_with_the_ticket_form(world_a, center):
    empty = page(browser(world_a), "/help/search/")
    assert "What are you looking for?" in empty and 'class="help-result-title"' not in empty
    none = page(browser(world_a), "/help/search/?q=zebra+crossing")
    assert "No articles match “zebra crossing”" in none
    assert 'href="/tickets/new/">submit a ticket</a>' in none


def test_the_header_links_to_the_help_center(world_a):
    body = page(browser(world_a), "/")
    assert '<a href="/help/">Help center</a>' in body
    assert 'href="/help/" aria-current="page">Help center' in page(browser(world_a), "/help/")


# --- Drafts ----------------------------------------------------------------------------------


def test_a_draft_is_not_found_by_customers_and_previewed_by_staff(world_a, center):
    url = f"/help/articles/{center['draft'].slug}/"
    page(browser(world_a), url, status=404)
    page(login_client(world_a.users["customer"], world_a.tenant), url, status=404)
    preview = page(login_client(world_a.users["agent"], world_a.tenant), url)
    assert DRAFT in preview and "Only staff can see this page" in preview
    assert 'id="votes"' not in preview  # drafts take no votes


def test_a_draft_never_appears_in_any_list_search_suggestion_or_related_list(world_a, center):
    client = browser(world_a)
    pages = [
        "/help/",
        "/help/backups/",
        "/help/backups/restoring/",
        f"/help/articles/{center['restore'].slug}/",  # section list and related
        f"/help/articles/{center['schedule'].slug}/",  # related from the category
        "/help/search/?q=restore",
        "/help/search/?q=secretly",
        "/help/suggest/?q=restore+secretly",
        "/help/suggest/?q=unreleased+restore+trick",
    ]
    for path in pages:
        body = page(client, path)
        assert DRAFT not in body and center["draft"].slug not in body, path


def test_an_unpublished_article_disappears_from_customers(world_a, center):
    with tenant_context(world_a.tenant):
        services.article_save(article=center["slow"], values={"status": "draft"}, author=None)
    client = browser(world_a)
    page(client, f"/help/articles/{center['slow'].slug}/", status=404)
    for path in [
        "/help/backups/restoring/",
        "/help/search/?q=restore",
        "/help/suggest/?q=slow+restore",
    ]:
        assert "Why a restore is slow" not in page(client, path), path


# --- Tenants ---------------------------------------------------------------------------------


def test_another_tenants_articles_are_never_shown(world_a, world_b, center):
    b_category, b_section = structure(world_b, f"Bravo topic {world_b.marker}", "Bravo section")
    b_article = article(
        world_b, f"Bravo restore {world_b.marker}", f"restore {world_b.marker}", section=b_section
    )
    client = browser(world_a)
    page(client, f"/help/articles/{b_article.slug}/", status=404)
    page(client, f"/help/{b_category.slug}/", status=404)
    page(client, f"/help/{b_category.slug}/{b_section.slug}/", status=404)
    assert (
        client.post(f"/help/articles/{b_article.slug}/vote/", {"helpful": "yes"}).status_code == 404
    )
    for path in [
        "/help/",
        "/help/search/?q=restore",
        "/help/suggest/?q=bravo+restore",
        f"/help/articles/{center['restore'].slug}/",
    ]:
        body = page(client, path)
        assert world_b.marker not in body and "Bravo" not in body, path
    assert "No articles match" in page(client, f"/help/search/?q={world_b.marker}")
    # B's own host shows B's article, and none of A's.
    b_body = page(browser(world_b), f"/help/articles/{b_article.slug}/")
    assert "Restore a deleted file" not in b_body and world_b.marker in b_body


# --- Hostile input ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("path", "status"),
    [
        ("/help/search/?q=" + "a" * 1_000_000, 200),
        ("/help/search/?q=%3Cscript%3Ealert(1)%3C/script%3E", 200),
        ("/help/search/?q=restore%00", 400),
        ("/help/search/?q=%D9%A3%D9%A4", 200),  # Arabic-Indic digits
        ("/help/search/?q=%EF%BF%BF%E2%80%AE%F0%9F%92%A5", 200),
        ("/help/search/?q=restore&q=" + "b" * 5000, 200),
        ("/help/search/?q=!%20%26%20%7C%20(%20'%22%5C", 200),
        ("/help/suggest/?q=" + "restore " * 100_000, 200),
        ("/help/suggest/?q=%00", 400),
        ("/help/articles/%3Cscript%3E/", 404),
        ("/help/articles/" + "a" * 121 + "/", 404),
        ("/help/articles/%D9%A3/", 404),
        ("/help/articles/restore%00/", 404),
        ("/help/%E2%80%AE/", 404),
        ("/help/backups/%3Cb%3E/", 404),
        ("/help/" + "x" * 5000 + "/", 404),
        ("/help/articles/restore-a-deleted-file/?ref=ticket-form&q=%3Cb%3E" + "z" * 10_000, 200),
    ],
)
def test_hostile_parameters_get_a_clean_answer(world_a, center, path, status):
    response = browser(world_a).get(path)
    assert response.status_code == status
    assert b"<script>alert(1)" not in response.content


def test_markup_in_the_query_is_shown_as_text(world_a, center):
    body = page(browser(world_a), "/help/search/?q=%3Cb%3Ebold%3C/b%3E")
    assert "<b>bold</b>" not in body and "&lt;b&gt;bold&lt;/b&gt;" in body


@pytest.mark.parametrize(
    "data",
    [
        {},
        {"helpful": "maybe"},
        {"helpful": "yes" * 1000},
        {"helpful": "٣"},
        {"helpful": ["yes", "no", "x"]},
    ],
)
def test_a_vote_with_a_bad_answer_is_refused_with_400(world_a, center, data):
    response = browser(world_a).post(f"/help/articles/{center['restore'].slug}/vote/", data)
    assert response.status_code == 400


def test_a_vote_with_a_nul_byte_is_refused_before_the_view(world_a, center):
    response = browser(world_a).post(
        f"/help/articles/{center['restore'].slug}/vote/", {"helpful": "yes\x00"}
    )
    assert response.status_code == 400
    with tenant_context(world_a.tenant):
        assert not Article.objects.get(pk=center["restore"].pk).votes.exists()


def test_votes_take_posts_only(world_a, center):
    assert browser(world_a).get(f"/help/articles/{center['restore'].slug}/vote/").status_code == 405


def test_a_signed_in_person_without_membership_still_reads_the_help_center(world_a, center):
    stranger = get_user_model().objects.create_user(email="stranger@example.net", password="x" * 20)
    client = login_client(stranger, world_a.tenant)
    assert "Restore a deleted file" in page(client, f"/help/articles/{center['restore'].slug}/")


def test_the_sitemap_lists_published_pages_only(world_a, world_b):
    from helpcenter import services as help_services

    with tenant_context(world_a.tenant):
        category = help_services.category_save(values={"name": "Backups"})
        section = help_services.section_save(values={"category": category, "name": "Restoring"})
        for title, status in [("Public guide", "published"), ("Secret draft", "draft")]:
            help_services.article_save(
                values={"section": section, "title": title, "body": "x", "status": status},
                author=None,
            )
    with tenant_context(world_b.tenant):
        other = help_services.category_save(values={"name": "Bravo only"})
        bravo_section = help_services.section_save(values={"category": other, "name": "B"})
        help_services.article_save(
            values={
                "section": bravo_section,
                "title": "Bravo guide",
                "body": "x",
                "status": "published",
            },
            author=None,
        )
    response = Client(HTTP_HOST=world_a.host).get("/help/sitemap.xml")
    assert response.status_code == 200
    assert response["Content-Type"] == "application/xml"
    body = response.content.decode()
    assert f"http://{world_a.host}/help/articles/public-guide/" in body
    assert f"http://{world_a.host}/help/backups/restoring/" in body
    assert "secret-draft" not in body
    assert "bravo" not in body.lower()
