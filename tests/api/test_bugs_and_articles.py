"""Bug reports and help-center articles through /api/v1/.

Bug reports are staff's (the list's filters and impact order, one report with its tickets); a
customer learns only what their ticket page says. Articles are public on the portal, so every
member reads the published ones; staff also read drafts, as on the article page."""

from __future__ import annotations

import pytest

from bugs import services as bugs
from helpcenter import services as help_services
from helpcenter.models import Article
from tenants.context import tenant_context
from tests.api.helpers import api

pytestmark = pytest.mark.django_db


def file_bug(world, ticket=None, **values):
    with tenant_context(world.tenant):
        return bugs.bug_file(
            ticket=ticket or world.submit(subject=values.get("title", "Crash")),
            actor=world.users["agent"],
            membership=world.memberships["agent"],
            values={"title": "Crash on restore", **values},
        )


def link(world, report, ticket):
    with tenant_context(world.tenant):
        return bugs.bug_link(
            report=report,
            ticket=ticket,
            actor=world.users["agent"],
            membership=world.memberships["agent"],
        )


def set_status(world, report, status, **kwargs):
    with tenant_context(world.tenant):
        return bugs.bug_set_status(
            report=report,
            actor=world.users["agent"],
            membership=world.memberships["agent"],
            status=status,
            **kwargs,
        )


# ---- bug reports ----------------------------------------------------------------------------


def test_staff_list_reports_by_impact_with_the_pages_filters(world_a, world_b):
    minor = file_bug(world_a, title="Typo in settings", severity="minor")
    critical = file_bug(world_a, title="Restore loses files", severity="critical")
    fixed = file_bug(world_a, title="Old crash", severity="critical", affected_versions="11.4")
    set_status(world_a, fixed, "fixed", fixed_in="11.5")
    link(world_a, minor, world_a.submit(subject="Also a typo", role=None, email="x@example.net"))
    file_bug(world_b, title="B's own bug")
    agent = api(world_a, "agent")

    def numbers(**params):
        response = agent.get("/api/v1/bugs/", params)
        assert response.status_code == 200, response.content
        return [row["number"] for row in response.json()["results"]]

    # Unresolved by default, most severe first; "all" adds the fixed one after them.
    assert numbers() == [critical.number, minor.number]
    assert numbers(status="all") == [critical.number, minor.number, fixed.number]
    assert numbers(status="fixed") == [fixed.number]
    assert numbers(status="all", severity="minor") == [minor.number]
    assert numbers(status="all", version="11.4") == [fixed.number]
    assert numbers(status="all", q="restore") == [critical.number]
    assert numbers(status="all", q=f"#{minor.number}") == [minor.number]
    row = agent.get("/api/v1/bugs/").json()["results"][1]
    assert (row["ticket_count"], row["customer_count"]) == (2, 2)
    bad = agent.get("/api/v1/bugs/", {"status": "gone", "version": "eleven"})
    assert bad.status_code == 400 and set(bad.json()["fields"]) == {"status", "version"}
    paged = agent.get("/api/v1/bugs/", {"limit": 1}).json()
    assert [r["number"] for r in paged["results"]] == [critical.number]
    rest = agent.get(paged["next"]).json()
    assert [r["number"] for r in rest["results"]] == [minor.number] and rest["next"] is None


def test_the_bug_list_costs_the_same_queries_for_2_reports_and_10(world_a):
    agent = api(world_a, "agent")

    def queries():
        return agent.listing_cost("/api/v1/bugs/")

    for index in range(2):
        file_bug(world_a, title=f"few {index}")
    queries()  # the token's first use of the day records it; later calls do not
    few, shown = queries()
    for index in range(8):
        file_bug(world_a, title=f"many {index}", owner=world_a.users["manager"])
    assert queries() == (few, shown + 8)


def test_one_report_with_its_tickets_for_staff_only(world_a, world_b):
    report = file_bug(world_a, ticket=world_a.ticket, steps="1. Restore", summary="Loses files")
    other = world_a.submit(subject="Same crash")
    link(world_a, report, other)
    body = api(world_a, "manager").get(f"/api/v1/bugs/{report.pk}/").json()
    assert body["number"] == report.number and body["steps"] == "1. Restore"
    assert body["tickets"] == sorted([world_a.ticket.number, other.number])
    assert body["created_by"]["id"] == world_a.users["agent"].pk
    assert body["duplicate_of"] is None and body["fixed_at"] is None
    assert api(world_a, "customer").get(f"/api/v1/bugs/{report.pk}/").status_code == 403
    assert api(world_a, "customer").get("/api/v1/bugs/").status_code == 403
    b_report = file_bug(world_b, title="B's crash")
    missing = api(world_a, "admin").get(f"/api/v1/bugs/{b_report.pk}/")
    assert missing.status_code == 404 and "B's crash" not in missing.content.decode()


def test_a_customer_learns_only_that_a_bug_was_filed_and_its_fix(world_a):
    customer = api(world_a, "customer")
    url = f"/api/v1/tickets/{world_a.ticket.number}/product-bug/"
    assert customer.get(url).json() == {"filed": False, "fixed_in": None}
    report = file_bug(world_a, ticket=world_a.ticket, steps="secret steps", severity="critical")
    answer = customer.get(url)
    assert answer.json() == {"filed": True, "fixed_in": None}
    assert "secret steps" not in answer.content.decode()
    set_status(world_a, report, "fixed", fixed_in="11.5.2")
    assert customer.get(url).json() == {"filed": True, "fixed_in": "11.5.2"}
    stranger = world_a.submit(subject="Not theirs", role=None, email="other@example.net")
    assert customer.get(f"/api/v1/tickets/{stranger.number}/product-bug/").status_code == 404


# ---- help-center articles -------------------------------------------------------------------


def write(world, title, *, status="published", body="", slug=""):
    with tenant_context(world.tenant):
        if not hasattr(world, "help_section"):
            category = help_services.category_save(values={"name": "Backups", "slug": "backups"})
            world.help_section = help_services.section_save(
                values={"category": category, "name": "Restoring", "slug": "restoring"}
            )
        return help_services.article_save(
            values={
                "section": world.help_section,
                "title": title,
                "body": body or f"{title}: what to do.",
                "status": status,
                "slug": slug,
            },
            author=world.users["manager"],
        )


def test_every_member_lists_the_published_articles_only(world_a, world_b):
    write(world_a, "Restore a single file")
    write(world_a, "Add a device")
    write(world_a, "Unreleased feature", status="draft")
    write(world_b, "B's own article")
    for role in ("customer", "agent"):
        body = api(world_a, role).get("/api/v1/articles/").json()
        assert [a["title"] for a in body["results"]] == ["Add a device", "Restore a single file"]
    row = body["results"][0]
    assert row["section"] == {
        "slug": "restoring",
        "name": "Restoring",
        "category": {"slug": "backups", "name": "Backups"},
    }
    assert row["snippet"] is None and row["published_at"]
    paged = api(world_a, "customer").get("/api/v1/articles/", {"limit": 1}).json()
    assert [a["title"] for a in paged["results"]] == ["Add a device"] and paged["next"]


def test_search_finds_published_words_with_the_help_centers_search(world_a, world_b):
    write(world_a, "Restore a single file", body="Open the backup and restore the file.")
    write(world_a, "Restore secrets", status="draft", body="Restore the unreleased way.")
    write(world_b, "Restore on B", body="Restore things on B.")
    found = api(world_a, "agent").get("/api/v1/articles/", {"q": "restore"}).json()
    assert [a["title"] for a in found["results"]] == ["Restore a single file"]
    assert found["next"] is None
    assert "<mark>" in found["results"][0]["snippet"].lower()
    nothing = api(world_a, "customer").get("/api/v1/articles/", {"q": "zebra"}).json()
    assert nothing["results"] == []


def test_an_article_by_slug_and_drafts_for_staff_only(world_a, world_b):
    article = write(world_a, "Restore a single file", body="Step **one**.")
    draft = write(world_a, "Coming soon", status="draft")
    with tenant_context(world_a.tenant):
        help_services.vote(article=article, helpful=True, user=world_a.users["agent"], voter_key="")
    customer = api(world_a, "customer")
    body = customer.get(f"/api/v1/articles/{article.slug}/").json()
    assert body["title"] == "Restore a single file" and body["status"] == "published"
    assert "<strong>one</strong>" in body["body_html"]
    assert body["votes"] == {"helpful": 1, "total": 1}
    assert customer.get(f"/api/v1/articles/{draft.slug}/").status_code == 404
    preview = api(world_a, "agent").get(f"/api/v1/articles/{draft.slug}/")
    assert preview.status_code == 200 and preview.json()["status"] == "draft"
    # Reading through the API counts no view (the popular list is about people reading).
    with tenant_context(world_a.tenant):
        assert Article.objects.get(pk=article.pk).view_count == 0
    b_article = write(world_b, "B's own article", slug="b-only")
    assert api(world_a, "admin").get(f"/api/v1/articles/{b_article.slug}/").status_code == 404
    # The support policy's stand-in is not an article of the list or of this address.
    assert customer.get("/api/v1/articles/support-policy/").status_code == 404


def test_the_article_list_costs_the_same_queries_for_2_articles_and_9(world_a):
    customer = api(world_a, "customer")

    def queries():
        return customer.listing_cost("/api/v1/articles/")

    for index in range(2):
        write(world_a, f"Few {index}")
    queries()  # the token's first use of the day records it; later calls do not
    few, shown = queries()
    for index in range(7):
        write(world_a, f"Many {index}")
    assert queries() == (few, shown + 7)
