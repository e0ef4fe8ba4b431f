"""The bug report pages (agents and managers) and what the customer is shown: the portal
page, every email and the API never carry a report's internal fields."""

from __future__ import annotations

import pytest

from bugs import services
from bugs.models import BugLink, BugReport
from desk.services import tenant_settings_update
from outbox.models import OutboxEmail
from tenants.context import tenant_context
from tests.conftest import login_client
from tickets.models import Comment

pytestmark = pytest.mark.django_db


def client(world, role="agent"):
    return login_client(world.users[role], world.tenant)


def reports(world) -> list[BugReport]:
    with tenant_context(world.tenant):
        return list(BugReport.objects.order_by("number"))


def filed(world, ticket=None, **values):
    values.setdefault("title", "Restore stops at 40%")
    with tenant_context(world.tenant):
        return services.bug_file(
            ticket=ticket or world.ticket,
            actor=world.users["agent"],
            membership=world.memberships["agent"],
            values=values,
        )


def test_filing_from_a_ticket_is_prefilled_and_takes_two_clicks(world_a):
    agent = client(world_a)
    ticket_page = agent.get(f"/agent/tickets/{world_a.ticket.number}/").content.decode()
    assert f'href="/agent/tickets/{world_a.ticket.number}/bug/"' in ticket_page
    page = agent.get(f"/agent/tickets/{world_a.ticket.number}/bug/")
    html = page.content.decode()
    assert page.status_code == 200
    assert f'value="{world_a.ticket.subject}"' in html  # the title
    assert "It does not work." in html  # the customer's description, as the steps
    response = agent.post(
        f"/agent/tickets/{world_a.ticket.number}/bug/",
        {
            "action": "file",
            "title": world_a.ticket.subject,
            "steps": "It does not work.",
            "severity": "major",
            "scope": "one",
            "owner": str(world_a.users["agent"].pk),
        },
    )
    assert response.status_code == 302
    assert response["Location"] == f"/agent/tickets/{world_a.ticket.number}/"
    [report] = reports(world_a)
    assert report.owner == world_a.users["agent"] and report.steps == "It does not work."
    after = agent.get(f"/agent/tickets/{world_a.ticket.number}/").content.decode()
    assert f"/agent/bugs/{report.pk}/" in after and "Filed as a product bug" in after


def test_a_refused_filing_keeps_what_was_typed_and_stores_nothing(world_a):
    with tenant_context(world_a.tenant):
        tenant_settings_update(tenant=world_a.tenant, settings={"current_app_version": "11.4"})
    old = world_a.submit(subject="Old app", answers={"app_version": "11.2"})
    form = {"action": "file", "title": "Crash on 11.2", "severity": "minor", "scope": "one"}
    response = client(world_a).post(f"/agent/tickets/{old.number}/bug/", form)
    html = response.content.decode()
    assert response.status_code == 409 or response.status_code == 400
    assert "version 11.2, which is no longer supported" in html
    assert 'value="Crash on 11.2"' in html and reports(world_a) == []
    confirmed = client(world_a).post(
        f"/agent/tickets/{old.number}/bug/", {**form, "confirm_version": "on"}
    )
    assert confirmed.status_code == 302 and len(reports(world_a)) == 1
    bad = client(world_a).post(
        f"/agent/tickets/{world_a.ticket.number}/bug/",
        {**form, "affected_versions": "11.4, next"},
    )
    assert bad.status_code == 400 and "not a version number" in bad.content.decode()


def test_linking_by_search_and_by_number(world_a, world_b):
    report = filed(world_a)
    other = world_a.submit(subject="Same trouble")
    page = client(world_a, "manager").get(f"/agent/tickets/{other.number}/bug/?find=restore")
    assert f"#{report.number} Restore stops at 40%" in page.content.decode()
    assert (
        client(world_a, "manager")
        .get(f"/agent/tickets/{other.number}/bug/?find=%23{report.number}")
        .content.decode()
        .count("Link #")
        == 1
    )
    linked = client(world_a, "manager").post(
        f"/agent/tickets/{other.number}/bug/", {"action": "link", "report": report.number}
    )
    assert linked.status_code == 302
    with tenant_context(world_a.tenant):
        assert BugLink.objects.filter(report=report, ticket=other).exists()
    # A number that exists only in another tenant is "no such report" here.
    b_report = filed(world_b, title="B only")
    third = world_a.submit(subject="Third")
    with tenant_context(world_a.tenant):
        BugReport.objects.filter(pk=report.pk).update(number=99)
    refused = client(world_a).post(
        f"/agent/tickets/{third.number}/bug/", {"action": "link", "report": b_report.number}
    )
    assert refused.status_code == 400 and "no such bug report here" in refused.content.decode()
    assert "B only" not in refused.content.decode()
    for garbage in ("", "0", "١", "9" * 30, "1\x00"):
        response = client(world_a).post(
            f"/agent/tickets/{third.number}/bug/", {"action": "link", "report": garbage}
        )
        assert response.status_code == 400


def test_the_list_filters_and_refuses_bad_filters(world_a):
    filed(world_a, title="Crash on start", severity="critical", affected_versions="11.4")
    filed(world_a, world_a.submit(subject="x"), title="Typo in menu", severity="minor")
    agent = client(world_a)
    everything = agent.get("/agent/bugs/?status=").content.decode()
    assert everything.index("Crash on start") < everything.index("Typo in menu")
    minor = agent.get("/agent/bugs/?severity=minor").content.decode()
    assert "Typo in menu" in minor and "Crash on start" not in minor
    by_version = agent.get("/agent/bugs/?version=11.4").content.decode()
    assert "Crash on start" in by_version and "Typo in menu" not in by_version
    bad = agent.get("/agent/bugs/?version=11.x")
    assert bad.status_code == 400 and "A version number such as 11.4.1." in bad.content.decode()
    assert agent.get("/agent/bugs/?status=bogus").status_code == 400
    empty = agent.get("/agent/bugs/?q=nothing+like+this").content.decode()
    assert "No bug reports here" in empty


def test_customers_cannot_open_the_staff_pages(world_a):
    report = filed(world_a)
    customer = client(world_a, "customer")
    for url in (
        "/agent/bugs/",
        f"/agent/bugs/{report.pk}/",
        f"/agent/tickets/{world_a.ticket.number}/bug/",
    ):
        assert customer.get(url).status_code == 403
    assert customer.post(f"/agent/bugs/{report.pk}/unlink/", {"ticket": "1"}).status_code == 403
    assert client(world_a, "agent").get(f"/agent/bugs/{report.pk + 1000}/").status_code == 404


def test_fixing_lists_the_customers_to_tell_with_a_reviewed_reply(world_a):
    report = filed(world_a)
    manager = client(world_a, "manager")
    response = manager.post(
        f"/agent/bugs/{report.pk}/", {"action": "status", "status": "fixed", "fixed_in": "11.5"}
    )
    assert response.status_code == 302
    page = manager.get(f"/agent/bugs/{report.pk}/").content.decode()
    reply_link = f"/agent/tickets/{world_a.ticket.number}/?bug={report.pk}#reply"
    assert "Customers to tell (1)" in page and reply_link in page
    # The link fills the reply box; nothing is sent until the agent sends it.
    with tenant_context(world_a.tenant):
        count = Comment.objects.filter(ticket=world_a.ticket).count()
    box = manager.get(f"/agent/tickets/{world_a.ticket.number}/?bug={report.pk}").content.decode()
    assert "fixed in version 11.5. Please update to version 11.5 or later" in box
    with tenant_context(world_a.tenant):
        assert Comment.objects.filter(ticket=world_a.ticket).count() == count
    # A report the ticket is not linked to, or one not fixed, drafts nothing.
    other = filed(world_a, world_a.submit(subject="other"), title="Not fixed")
    for value in (other.pk, "abc", "", "9" * 40):
        page = manager.get(f"/agent/tickets/{world_a.ticket.number}/?bug={value}")
        assert page.status_code == 200 and "Please update to version" not in page.content.decode()
    sent = manager.post(
        f"/agent/tickets/{world_a.ticket.number}/",
        {"public": "1", "body": services.reply_text(report), "submit_as": "solved"},
    )
    assert sent.status_code == 302
    after = manager.get(f"/agent/bugs/{report.pk}/").content.decode()
    assert "Customers to tell" not in after
    assert world_a.refresh(world_a.ticket).status == "solved"


def test_a_status_form_error_is_shown_in_place(world_a):
    report = filed(world_a)
    response = client(world_a, "manager").post(
        f"/agent/bugs/{report.pk}/", {"action": "status", "status": "fixed", "fixed_in": ""}
    )
    assert response.status_code == 400
    assert "Say which version fixes it." in response.content.decode()
    assert client(world_a).post(f"/agent/bugs/{report.pk}/", {"action": "nope"}).status_code == 302


# --- What the customer sees ------------------------------------------------------------------


def test_the_customer_sees_that_it_is_a_bug_and_the_fix_never_the_internals(world_a):
    marker = world_a.marker
    internals = [
        f"summary {marker}",
        f"steps {marker}",
        f"comment {marker}",
        f"https://tracker.example.com/{marker}",
        f"title {marker}",
        "tracker.example.com",
    ]
    report = filed(
        world_a,
        title=f"title {marker}",
        summary=f"summary {marker}",
        steps=f"steps {marker}",
        tracker_url=f"https://tracker.example.com/{marker}",
        owner=world_a.users["manager"],
    )
    staff = {"actor": world_a.users["agent"], "membership": world_a.memberships["agent"]}
    customer = client(world_a, "customer")
    url = f"/tickets/{world_a.ticket.number}/"
    with tenant_context(world_a.tenant):
        services.bug_comment(report=report, body=f"comment {marker}", **staff)
    before_fix = customer.get(url).content.decode()
    assert "Our team has filed this as a product bug." in before_fix
    assert "Fixed in version" not in before_fix
    with tenant_context(world_a.tenant):
        report = services.bug_set_status(report=report, status="fixed", fixed_in="11.5", **staff)
    world_a.reply(world_a.ticket, "agent", services.reply_text(report))
    page = customer.get(url).content.decode()
    assert "Fixed in version 11.5." in page
    api_list = customer.get("/api/v1/tickets/").content.decode()
    api_detail = customer.get(f"/api/v1/tickets/{world_a.ticket.number}/").content.decode()
    with tenant_context(world_a.tenant):
        emails = list(
            OutboxEmail.objects.filter(recipient=world_a.users["customer"].email).values_list(
                "subject", "body_text", "body_html"
            )
        )
    assert emails, "the customer was emailed the reply"
    shown = [page, api_list, api_detail, *(part for email in emails for part in email)]
    for text in shown:
        for internal in [
            *internals,
            world_a.users["manager"].display_name,
            "Tell the customer to update",
        ]:
            assert internal not in text
    assert "fixed in version 11.5" in api_detail  # the agent's reply itself, of course


def test_a_ticket_without_a_report_says_nothing_about_bugs(world_a):
    page = client(world_a, "customer").get(f"/tickets/{world_a.ticket.number}/").content.decode()
    assert "product bug" not in page
