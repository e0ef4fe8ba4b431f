"""The managers' side of the help center: who may write and publish, the editor (preview,
draft, publish, unpublish, delete), addresses, the structure, the settings, and hostile input."""

import re
from datetime import timedelta

import pytest
import time_machine
from allauth.account.models import EmailAddress
from django.contrib.auth import get_user_model
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from helpcenter import search, selectors, services
from helpcenter.models import BODY_MAX, TITLE_MAX, Article, Category, HelpCenter, Section
from tenants.context import tenant_context
from tenants.models import Membership
from tenants.services import tenant_create
from tests.browser import conftest as browser
from tickets.services import ticket_submit

pytestmark = pytest.mark.django_db

NEW = "/agent/help/articles/new/"
# The browser tests' page (Debian's Chromium), for the test at the end of this module.
browser_page = browser.browser_page
SAFE_SLUG = re.compile(r"[a-z0-9]+(?:-[a-z0-9]+)*")
# NUL anywhere in a request is refused before any view (core.middleware), with its own page.
NUL = "contained a NUL character"


def _section(world, category="Backups", section="Restoring"):
    with tenant_context(world.tenant):
        cat = Category.objects.filter(name=category).first() or services.category_save(
            values={"name": category}
        )
        return services.section_save(values={"category": cat, "name": section})


def _article(world, title="Restore a backup", body="Open the app.", status="published", **kw):
    section = kw.pop("section", None) or _section(world)
    with tenant_context(world.tenant):
        return services.article_save(
            values={"section": section, "title": title, "body": body, "status": status, **kw},
            author=world.users["manager"],
        )


def _post(client, url, action, **fields):
    return client.post(url, {"action": action, **fields})


def _found(world, query):
    with tenant_context(world.tenant):
        return [hit.article.title for hit in search.search(query)]


def _articles(world):
    with tenant_context(world.tenant):
        return list(Article.objects.filter(kind=Article.Kind.ARTICLE).order_by("pk"))


# --- Who may do what ----------------------------------------------------------------------------


def _manager_pages(world):
    article = _article(world)
    with tenant_context(world.tenant):
        section = article.section
    return [
        "/agent/help/",
        "/agent/help/?status=draft",
        NEW,
        f"/agent/help/articles/{article.pk}/",
        f"/agent/help/articles/{article.pk}/delete/",
        "/agent/help/structure/",
        f"/agent/help/structure/categories/{section.category_id}/",
        f"/agent/help/structure/sections/{section.pk}/",
        "/agent/help/report/",
    ]


@pytest.mark.parametrize("role", ["manager", "admin"])
def test_managers_and_admins_open_every_staff_page(world_a, as_member, role):
    client = as_member(world_a.users[role], world_a.tenant)
    for url in _manager_pages(world_a):
        assert client.get(url).status_code == 200, url


def test_agents_and_customers_are_refused_and_strangers_sent_to_sign_in(world_a, as_member):
    pages = _manager_pages(world_a)
    for role in ("agent", "customer"):
        client = as_member(world_a.users[role], world_a.tenant)
        for url in pages:
            assert client.get(url).status_code == 403, (role, url)
    anonymous = Client(HTTP_HOST=world_a.host)
    for url in pages:
        response = anonymous.get(url)
        assert response.status_code == 302 and "/accounts/login/" in response["Location"], url


def test_an_agent_cannot_write_publish_or_delete(world_a, as_member):
    article = _article(world_a, status="draft")
    client = as_member(world_a.users["agent"], world_a.tenant)
    section = article.section_id
    assert _post(client, NEW, "publish", title="Mine", section=section).status_code == 403
    url = f"/agent/help/articles/{article.pk}/"
    assert _post(client, url, "publish", title="Hijack", section=section).status_code == 403
    assert client.post(f"{url}delete/").status_code == 403
    settings = client.post("/agent/help/settings/", {"title": "X", "language": "simple"})
    assert settings.status_code == 403
    assert client.post("/agent/help/structure/", {"form": "category"}).status_code == 403
    assert [(a.title, a.status) for a in _articles(world_a)] == [("Restore a backup", "draft")]
    customer = as_member(world_a.users["customer"], world_a.tenant)
    assert _post(customer, url, "publish", title="X", section=section).status_code == 403


# --- The editor -----------------------------------------------------------------------------


def test_preview_renders_the_body_keeps_what_was_typed_and_saves_nothing(world_a, as_member):
    section = _section(world_a)
    client = as_member(world_a.users["manager"], world_a.tenant)
    body = "Steps:\n\n1. **Open** the app\n2. Press <script>alert(1)</script> restore"
    response = _post(client, NEW, "preview", title="How to restore", section=section.pk, body=body)
    page = response.content.decode()
    assert response.status_code == 200
    assert "<strong>Open</strong>" in page and "<ol>" in page
    assert "<script>alert(1)" not in page
    assert 'value="How to restore"' in page  # everything typed is still in the form
    assert "1. **Open** the app" in page
    assert f'<option value="{section.pk}" selected>' in page
    assert _articles(world_a) == []
    # On a saved article, a preview leaves it as it was.
    article = _article(world_a, title="Saved title", body="Saved body")
    url = f"/agent/help/articles/{article.pk}/"
    response = _post(client, url, "preview", title="New title", section=section.pk, body="New")
    assert response.status_code == 200 and 'value="New title"' in response.content.decode()
    with tenant_context(world_a.tenant):
        article.refresh_from_db()
    assert (article.title, article.body, article.status) == (
        "Saved title",
        "Saved body",
        "published",
    )


def test_a_draft_is_saved_but_neither_found_nor_public(world_a, as_member):
    section = _section(world_a)
    client = as_member(world_a.users["manager"], world_a.tenant)
    response = _post(
        client, NEW, "save", title="Restore drafts", section=section.pk, body="restore"
    )
    [article] = _articles(world_a)
    assert response.status_code == 302
    assert response["Location"] == f"/agent/help/articles/{article.pk}/"
    assert (article.status, article.author) == ("draft", world_a.users["manager"])
    assert _found(world_a, "restore") == []
    with tenant_context(world_a.tenant):
        assert selectors.article_for_reader(article.slug, staff=False) is None
    anonymous = Client(HTTP_HOST=world_a.host)
    assert anonymous.get(f"/help/articles/{article.slug}/").status_code == 404


def test_publish_makes_it_findable_and_public_and_unpublish_takes_it_back(world_a, as_member):
    section = _section(world_a)
    client = as_member(world_a.users["manager"], world_a.tenant)
    _post(client, NEW, "save", title="Restore a file", section=section.pk, body="Pick the file.")
    [article] = _articles(world_a)
    url = f"/agent/help/articles/{article.pk}/"
    response = _post(client, url, "publish", title="Restore a file", section=section.pk, body="x")
    assert response.status_code == 302
    assert _found(world_a, "restore") == ["Restore a file"]
    with tenant_context(world_a.tenant):
        article.refresh_from_db()
        assert selectors.article_for_reader(article.slug, staff=False) == article
    assert article.status == "published" and article.published_at is not None
    anonymous = Client(HTTP_HOST=world_a.host)
    public = anonymous.get(f"/help/articles/{article.slug}/")
    assert public.status_code == 200 and "Restore a file" in public.content.decode()
    # Saving a published article keeps it published.
    _post(client, url, "save", title="Restore a file", section=section.pk, body="Pick it.")
    assert _found(world_a, "restore") == ["Restore a file"]
    response = _post(client, url, "unpublish", title="Restore a file", section=section.pk, body="")
    assert response.status_code == 302
    assert _found(world_a, "restore") == []
    with tenant_context(world_a.tenant):
        assert selectors.article_for_reader(article.slug, staff=False) is None
    assert anonymous.get(f"/help/articles/{article.slug}/").status_code == 404


def test_publishing_needs_a_section(world_a, as_member):
    client = as_member(world_a.users["manager"], world_a.tenant)
    response = _post(client, NEW, "publish", title="Homeless", section="", body="restore")
    assert response.status_code == 400
    assert "Choose a section before publishing" in response.content.decode()
    assert _articles(world_a) == []
    # A draft may wait without one.
    assert _post(client, NEW, "save", title="Homeless", section="").status_code == 302
    assert [a.section for a in _articles(world_a)] == [None]


def test_addresses_are_unique_safe_and_kept_once_published(world_a, as_member):
    section = _section(world_a)
    client = as_member(world_a.users["manager"], world_a.tenant)
    titles = [
        "Restore",
        "Restore",
        "<script>../../etc/passwd</script>",
        "Search",
        "Ünïcödé ✓",
        "東京",
    ]
    for title in titles:
        _post(client, NEW, "publish", title=title, section=section.pk, body="b")
    slugs = [a.slug for a in _articles(world_a)]
    assert len(set(slugs)) == len(slugs) == len(titles)
    assert all(SAFE_SLUG.fullmatch(slug) for slug in slugs), slugs
    assert slugs[:2] == ["restore", "restore-2"]
    assert slugs[3] != "search"  # the public search page keeps its address
    assert slugs[4] == "unicode"
    # A published article keeps its address when renamed: links sent in replies keep working.
    first = _articles(world_a)[0]
    url = f"/agent/help/articles/{first.pk}/"
    _post(
        client, url, "save", title="Restoring files", section=section.pk, body="b", slug="restore"
    )
    _post(client, url, "save", title="Restoring files, again", section=section.pk, body="b")
    with tenant_context(world_a.tenant):
        first.refresh_from_db()
    assert (first.title, first.slug) == ("Restoring files, again", "restore")
    # A chosen address is checked: the form says what is wrong.
    for slug, problem in [
        ("restore-2", "Another article has this address."),
        ("../etc", "Use lowercase letters, digits and single hyphens"),
        ("Caps", "Use lowercase letters"),
        ("search", "is reserved"),
        ("a\x00b", NUL),
    ]:
        response = _post(client, url, "save", title="T", section=section.pk, slug=slug)
        assert response.status_code == 400, slug
        assert problem in response.content.decode(), slug
    with tenant_context(world_a.tenant):
        first.refresh_from_db()
    assert first.slug == "restore"


def test_the_support_policy_article_is_not_edited_here(world_a, as_member):
    with tenant_context(world_a.tenant):
        policy = services.policy_article_ensure()
    client = as_member(world_a.users["admin"], world_a.tenant)
    url = f"/agent/help/articles/{policy.pk}/"
    page = client.get(url)
    assert page.status_code == 200
    text = page.content.decode()
    assert "written live from the desk's settings" in text
    assert 'href="/agent/settings/"' in text and "<textarea" not in text
    response = _post(client, url, "publish", title="Hacked", body="Hacked", section="")
    assert response.status_code == 409
    assert client.post(f"{url}delete/").status_code == 409
    with tenant_context(world_a.tenant):
        policy.refresh_from_db()
    assert (policy.title, policy.body, policy.kind) == ("Support policy", "", "policy")
    # The article list shows the way to the desk's settings, not an editor.
    listing = client.get("/agent/help/").content.decode()
    assert "written from the desk's settings" in listing


def test_delete_asks_first_then_removes_the_article_from_search(world_a, as_member):
    article = _article(world_a)
    client = as_member(world_a.users["manager"], world_a.tenant)
    url = f"/agent/help/articles/{article.pk}/delete/"
    confirm = client.get(url)
    assert confirm.status_code == 200 and "Delete “Restore a backup”?" in confirm.content.decode()
    assert len(_articles(world_a)) == 1
    response = client.post(url)
    assert response.status_code == 302 and response["Location"] == "/agent/help/"
    assert _articles(world_a) == [] and _found(world_a, "restore") == []


def test_an_unknown_button_changes_nothing(world_a, as_member):
    article = _article(world_a, status="draft")
    client = as_member(world_a.users["manager"], world_a.tenant)
    url = f"/agent/help/articles/{article.pk}/"
    response = _post(client, url, "destroy", title="X", section=article.section_id)
    assert response.status_code == 400
    assert [(a.title, a.status) for a in _articles(world_a)] == [("Restore a backup", "draft")]


OTHER_DIGITS = ["²", "١٢", "߁", "-1", "0", "99999999999999999999", "1e3", " 1", "a", "1.0"]


@pytest.mark.parametrize(
    "field, value, problem",
    [
        ("title", "", "This field is required."),
        ("title", "\x00", NUL),
        ("title", "Restore\x1b[31m", "invisible control characters"),
        ("title", "Tab\there", "invisible control characters"),
        ("title", "x" * (TITLE_MAX + 1), f"at most {TITLE_MAX} characters"),
        ("title", "x" * 2_000_000, f"at most {TITLE_MAX} characters"),
        ("body", "restore \x00", NUL),
        ("body", "restore \x01 marker", "invisible control characters"),
        ("body", "x" * (BODY_MAX + 1), "at most"),
        *(("section", value, "Select a valid choice") for value in OTHER_DIGITS),
    ],
)
def test_hostile_input_is_a_form_error_and_saves_nothing(world_a, as_member, field, value, problem):
    section = _section(world_a)
    client = as_member(world_a.users["manager"], world_a.tenant)
    fields = {"title": "Restore", "section": section.pk, "body": "restore", field: value}
    for action in ("save", "publish"):
        response = client.post(NEW, {"action": action, **fields})
        assert response.status_code == 400, action
        assert problem in response.content.decode(), action
    assert _articles(world_a) == []


def test_markup_in_a_title_is_shown_as_text(world_a, as_member):
    section = _section(world_a)
    client = as_member(world_a.users["manager"], world_a.tenant)
    title = '<img src=x onerror="alert(1)"> Restore'
    _post(client, NEW, "publish", title=title, section=section.pk, body="restore")
    page = client.get("/agent/help/").content.decode()
    assert "<img src=x" not in page and "&lt;img src=x" in page


def test_another_tenants_section_cannot_be_chosen(world_a, world_b, as_member):
    theirs = _section(world_b, "Bravo stuff", "Bravo section")
    _section(world_a)
    client = as_member(world_a.users["manager"], world_a.tenant)
    response = _post(client, NEW, "publish", title="Restore", section=theirs.pk, body="x")
    assert response.status_code == 400 and "Bravo section" not in response.content.decode()
    assert _articles(world_a) == []


def test_another_tenants_articles_categories_and_sections_are_not_found(
    world_a, world_b, as_member
):
    """Every object URL, every method, as A's admin: 404 (as for an id that does not exist),
    nothing of B's shown, and B's help center unchanged."""
    theirs = _article(world_b, title=f"Bravo article {world_b.marker}", body=world_b.marker)
    with tenant_context(world_b.tenant):
        section = theirs.section
        before = [
            list(model.objects.order_by("pk").values()) for model in (Article, Section, Category)
        ]
    urls = [
        f"/agent/help/articles/{theirs.pk}/",
        f"/agent/help/articles/{theirs.pk}/delete/",
        f"/agent/help/structure/categories/{section.category_id}/",
        f"/agent/help/structure/sections/{section.pk}/",
    ]
    client = as_member(world_a.users["admin"], world_a.tenant)
    for url in urls:
        for data in (
            {},
            {"action": "delete"},
            {"action": "publish", "title": "x"},
            {"action": "up"},
        ):
            for method in (client.get, client.post):
                response = method(url, data)
                assert response.status_code == 404, (url, data)
                assert world_b.marker not in response.content.decode()
    with tenant_context(world_b.tenant):
        after = [
            list(model.objects.order_by("pk").values()) for model in (Article, Section, Category)
        ]
    assert after == before


# --- The article list -----------------------------------------------------------------------


def test_the_list_shows_articles_by_section_with_status_and_figures(world_a, world_b, as_member):
    published = _article(world_a, title="Restore a backup")
    _article(world_a, title="Half-written", status="draft", section=published.section)
    _article(world_b, title=f"Bravo secret {world_b.marker}")
    with tenant_context(world_a.tenant):
        services.vote(article=published, helpful=True, voter_key="k1")
        services.vote(article=published, helpful=False, voter_key="k2")
        services.view_recorded(article=published)
    client = as_member(world_a.users["manager"], world_a.tenant)
    page = client.get("/agent/help/").content.decode()
    assert "Backups" in page and "Restoring" in page
    assert '<span class="badge badge-good">Published</span>' in page
    assert '<span class="badge badge-soft">Draft</span>' in page
    assert "1 out of 2" in page and "manager alpha" in page
    assert world_b.marker not in page
    drafts = client.get("/agent/help/?status=draft").content.decode()
    assert "Half-written" in drafts and "Restore a backup" not in drafts
    published_only = client.get("/agent/help/?status=published").content.decode()
    assert "Restore a backup" in published_only and "Half-written" not in published_only
    assert client.get("/agent/help/?status=%00").status_code == 400


def test_the_list_costs_the_same_queries_for_many_articles(
    world_a, as_member, django_assert_max_num_queries
):

    _article(world_a)
    client = as_member(world_a.users["manager"], world_a.tenant)
    client.get("/agent/help/")
    with CaptureQueriesContext(connection) as few:
        assert client.get("/agent/help/").status_code == 200
    for index in range(12):
        section = _section(world_a, f"Category {index % 3}", f"Section {index}")
        _article(world_a, title=f"Article {index}", section=section)
    with django_assert_max_num_queries(len(few)):
        assert client.get("/agent/help/").status_code == 200


def test_an_empty_help_center_says_how_to_start(world_a, as_member):
    client = as_member(world_a.users["manager"], world_a.tenant)
    page = client.get("/agent/help/").content.decode()
    assert "Your help center is empty" in page


# --- Structure ------------------------------------------------------------------------------


def test_categories_and_sections_are_added_renamed_and_reordered(world_a, as_member):
    client = as_member(world_a.users["manager"], world_a.tenant)
    for name in ("Billing", "Backups", "Accounts"):
        response = client.post(
            "/agent/help/structure/", {"form": "category", "category-name": name}
        )
        assert response.status_code == 302
    with tenant_context(world_a.tenant):
        billing, backups, accounts = Category.objects.order_by("pk")
    response = client.post(
        "/agent/help/structure/",
        {"form": "section", "section-category": backups.pk, "section-name": "Restoring"},
    )
    assert response.status_code == 302
    same = client.post(
        "/agent/help/structure/",
        {"form": "section", "section-category": backups.pk, "section-name": "restoring"},
    )
    assert same.status_code == 400 and "already has a section with this name" in same.text
    clash = client.post("/agent/help/structure/", {"form": "category", "category-name": "billing"})
    assert clash.status_code == 400 and "Another category has this name." in clash.text
    # New ones sort by name; moving renumbers the positions.
    url = f"/agent/help/structure/categories/{billing.pk}/"
    for _ in range(3):  # the third finds it first already: it stays
        assert client.post(url, {"action": "up"}).status_code == 302
    client.post(f"/agent/help/structure/categories/{accounts.pk}/", {"action": "down"})
    with tenant_context(world_a.tenant):
        order = list(Category.objects.order_by("position", "name").values_list("name", flat=True))
    assert order == ["Billing", "Backups", "Accounts"]
    # Rename: the address stays.
    response = client.post(
        f"/agent/help/structure/categories/{billing.pk}/",
        {"action": "save", "edit-name": "Billing and plans", "edit-description": "Invoices"},
    )
    assert response.status_code == 302
    with tenant_context(world_a.tenant):
        billing.refresh_from_db()
        section = Section.objects.get()
    assert (billing.name, billing.slug, billing.description) == (
        "Billing and plans",
        "billing",
        "Invoices",
    )
    # A section moves to another category through its form.
    response = client.post(
        f"/agent/help/structure/sections/{section.pk}/",
        {"action": "save", "edit-category": billing.pk, "edit-name": "Refunds"},
    )
    assert response.status_code == 302
    with tenant_context(world_a.tenant):
        section.refresh_from_db()
    assert (section.category_id, section.name, section.slug) == (billing.pk, "Refunds", "restoring")


def test_a_section_or_category_holding_articles_is_not_deleted(world_a, as_member):
    article = _article(world_a, status="draft")
    with tenant_context(world_a.tenant):
        section = article.section
        category = section.category
        other = services.section_save(values={"category": category, "name": "Elsewhere"})
    client = as_member(world_a.users["manager"], world_a.tenant)
    section_url = f"/agent/help/structure/sections/{section.pk}/"
    category_url = f"/agent/help/structure/categories/{category.pk}/"
    assert "holds 1 article" in client.get(section_url).content.decode()
    refused = client.post(section_url, {"action": "delete"})
    assert refused.status_code == 409
    assert "“Restoring” still holds 1 article. Move them" in refused.content.decode()
    refused = client.post(category_url, {"action": "delete"})
    assert refused.status_code == 409 and "still holds 1 article" in refused.content.decode()
    with tenant_context(world_a.tenant):
        assert Section.objects.filter(pk=section.pk).exists()
        assert Category.objects.filter(pk=category.pk).exists()
    # Once the article has moved, the section goes; then the category with its empty sections.
    url = f"/agent/help/articles/{article.pk}/"
    _post(client, url, "save", title=article.title, section=other.pk, body=article.body)
    assert client.post(section_url, {"action": "delete"}).status_code == 302
    with tenant_context(world_a.tenant):
        assert not Section.objects.filter(pk=section.pk).exists()
    assert client.post(f"/agent/help/articles/{article.pk}/delete/").status_code == 302
    assert client.post(category_url, {"action": "delete"}).status_code == 302
    with tenant_context(world_a.tenant):
        assert not Category.objects.exists() and not Section.objects.exists()


@pytest.mark.parametrize("value", ["", "\x00", "x" * 101, "a\x07b", "x" * 1_000_000])
def test_hostile_structure_names_are_form_errors(world_a, as_member, value):
    section = _section(world_a)
    client = as_member(world_a.users["manager"], world_a.tenant)
    assert (
        client.post("/agent/help/structure/", {"form": "category", "category-name": value})
    ).status_code == 400
    response = client.post(
        f"/agent/help/structure/sections/{section.pk}/",
        {"action": "save", "edit-category": section.category_id, "edit-name": value},
    )
    assert response.status_code == 400
    for category in OTHER_DIGITS:
        response = client.post(
            "/agent/help/structure/",
            {"form": "section", "section-category": category, "section-name": "Fine"},
        )
        assert response.status_code == 400
    assert client.post("/agent/help/structure/", {"form": "\x00"}).status_code == 400
    unknown = client.post(f"/agent/help/structure/sections/{section.pk}/", {"action": "x"})
    assert unknown.status_code == 400
    with tenant_context(world_a.tenant):
        assert list(Section.objects.values_list("name", flat=True)) == ["Restoring"]
        assert list(Category.objects.values_list("name", flat=True)) == ["Backups"]


# --- Settings -------------------------------------------------------------------------------


def test_settings_change_the_title_and_the_search_language(world_a, as_member):
    _article(world_a, title="Restoring backups", body="Restoring is easy.")
    client = as_member(world_a.users["manager"], world_a.tenant)
    response = client.post(
        "/agent/help/settings/", {"title": "Alpha answers", "language": "simple"}
    )
    assert response.status_code == 302
    with tenant_context(world_a.tenant):
        center = HelpCenter.objects.get()
    assert (center.title, center.language) == ("Alpha answers", "simple")
    assert _found(world_a, "restoring") == ["Restoring backups"]
    for data in [
        {"title": "Fine", "language": "klingon"},
        {"title": "", "language": "english"},
        {"title": "a\x00", "language": "english"},
        {"title": "x" * 121, "language": "english"},
    ]:
        assert client.post("/agent/help/settings/", data).status_code == 400
    with tenant_context(world_a.tenant):
        center.refresh_from_db()
    assert (center.title, center.language) == ("Alpha answers", "simple")


# --- In a browser: the pages at a desktop's and a phone's width ------------------------------

PASSWORD = "a-long-browser-password-42"
SAMPLE_BODY = """Restoring brings back files from any backup in the last 90 days.

## Before you start

- Make sure the computer is **online** and the app is signed in.
- Large restores run faster over a wired connection.

## Steps

1. Open the app and choose **Restore**.
2. Pick the backup set and the date.
3. Select the files, then press `Restore to…` and choose a folder.

> Restored files never overwrite newer ones: the app keeps both.

See [our status page](https://status.example.com) if a restore stays at 0%."""


def _seed_for_screens(tenant, manager):

    with tenant_context(tenant):
        sections = {}
        for category, names in [
            ("Getting started", ["Installing the app", "Your account"]),
            ("Backups and restores", ["Restoring", "Schedules"]),
            ("Billing", ["Invoices and plans"]),
        ]:
            cat = services.category_save(values={"name": category, "description": ""})
            for name in names:
                sections[name] = services.section_save(values={"category": cat, "name": name})
        titles = [
            ("Installing", "Install the desktop app on Windows or macOS", "published"),
            ("Installing", "Which operating systems are supported?", "published"),
            ("Your account", "Reset your password", "published"),
            ("Your account", "Turn on two-step verification", "draft"),
            ("Restoring", "Restore a deleted file", "published"),
            (
                "Restoring",
                "Restore a whole computer to new hardware after a disk failure",
                "published",
            ),
            ("Restoring", "Why does my restore stop at 40%?", "draft"),
            ("Schedules", "Change when backups run", "published"),
            ("Invoices", "Download an invoice", "published"),
        ]
        articles = []
        for prefix, title, status in titles:
            section = next(s for name, s in sections.items() if name.startswith(prefix))
            articles.append(
                services.article_save(
                    values={
                        "section": section,
                        "title": title,
                        "body": SAMPLE_BODY,
                        "status": status,
                    },
                    author=manager,
                )
            )
        services.article_save(
            values={"title": "Notes for the spring release", "body": "", "status": "draft"},
            author=manager,
        )
        for index, article in enumerate(a for a in articles if a.is_published):
            for vote in range(index * 3 + 2):
                services.vote(article=article, helpful=vote % 4 != 0, voter_key=f"s{index}-{vote}")
            for _ in range(40 - index * 4):
                services.view_recorded(article=article)
            for n in range(6 - index):
                with time_machine.travel(timezone.now() - timedelta(days=n * 2 + 1), tick=False):
                    services.deflection_record(
                        article=article, query="restore stuck at 40%", visitor_key=f"d{index}{n}"
                    )
                    if n % 3 == 0:  # this one did not answer: the customer wrote in anyway
                        ticket = ticket_submit(
                            requester_email="cara@example.com",
                            requester=None,
                            subject="Restore stuck",
                            description="Still stuck.",
                        )
                        services.deflections_followed_by(ticket=ticket, visitor_key=f"d{index}{n}")
    return articles


def test_the_staff_pages_fit_a_desktop_and_a_phone(
    live_server, transactional_db, browser_page, settings
):

    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    tenant = tenant_create(slug="hcmanage", name="Northwind Backup")
    with tenant_context(tenant):
        manager = get_user_model().objects.create_user(
            email="mia@hcmanage.example", password=PASSWORD, name="Mia Manager"
        )
        EmailAddress.objects.create(user=manager, email=manager.email, verified=True, primary=True)
        Membership.objects.create(user=manager, role="manager")
    articles = _seed_for_screens(tenant, manager)
    base = f"http://hcmanage.localhost:{live_server.url.rsplit(':', 1)[1]}"
    page = browser_page
    page.goto(f"{base}/accounts/login/")
    page.locator("#id_login").fill(manager.email)
    page.locator("#id_password").fill(PASSWORD)
    page.get_by_role("button", name="Sign In").click()
    page.wait_for_url(f"{base}/agent/")
    for width in (1440, 390):
        page.set_viewport_size({"width": width, "height": 900})
        page.goto(f"{base}/agent/help/")
        _fits(page, width)
        page.screenshot(
            path=str(browser.ARTIFACTS / f"help-manage-list-{width}.png"), full_page=True
        )
        page.goto(f"{base}/agent/help/articles/{articles[4].pk}/")
        page.get_by_role("button", name="Preview").click()
        page.get_by_role("heading", name="Preview").wait_for()
        _fits(page, width)
        page.screenshot(
            path=str(browser.ARTIFACTS / f"help-manage-editor-{width}.png"), full_page=True
        )
        page.goto(f"{base}/agent/help/structure/")
        _fits(page, width)
        page.screenshot(
            path=str(browser.ARTIFACTS / f"help-manage-structure-{width}.png"), full_page=True
        )
        page.goto(f"{base}/agent/help/report/")
        _fits(page, width)
        page.screenshot(
            path=str(browser.ARTIFACTS / f"help-manage-report-{width}.png"), full_page=True
        )


def _fits(page, width):
    """Nothing wider than the window: no sideways scrolling of the page itself. (Then back to
    the top, so that a full-page screenshot shows the sticky bars where they belong.)"""
    assert page.evaluate("document.documentElement.scrollWidth") <= width, page.url
    page.evaluate("window.scrollTo(0, 0)")
