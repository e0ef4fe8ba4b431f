"""Time tracking on /api/v1/: a ticket's entries (staff read, log and delete by the pages'
rules; customers never), and the managers' report in the helpdesk's calendar."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
import time_machine

from tenants.context import tenant_context
from tests.api.helpers import api
from tickets import timelog
from tickets.models import Ticket, TimeEntry

pytestmark = pytest.mark.django_db


def _url(world, ticket=None) -> str:
    return f"/api/v1/tickets/{(ticket or world.ticket).number}/time-entries/"


def test_staff_log_and_read_a_tickets_time(world_a):
    agent = api(world_a, "agent")
    made = agent.post(_url(world_a), {"minutes": "1:30", "note": "Restore walkthrough"})
    assert made.status_code == 201, made.content
    assert made.json()["minutes"] == 90 and made.json()["agent"]["name"] == "agent alpha"
    assert agent.post(_url(world_a), {"minutes": 15}).status_code == 201
    world_a.reply(world_a.ticket, "agent", "With time", public=False, minutes=5)
    listed = agent.get(_url(world_a), {"limit": 2}).json()
    assert (listed["total_minutes"], listed["count"]) == (110, 3)
    assert [e["minutes"] for e in listed["results"]] == [5, 15]
    assert listed["results"][0]["comment"] is not None
    rest = agent.get(listed["next"]).json()
    assert [e["minutes"] for e in rest["results"]] == [90] and rest["next"] is None


@pytest.mark.parametrize(
    "minutes",
    [-5, 0, 1441, 10**30, 1.5, True, None, "١٥", "-1", "1:60", "x" * 11, {"m": 1}, [15]],
)
def test_hostile_minutes_are_a_400_on_the_field(world_a, minutes):
    response = api(world_a, "agent").post(_url(world_a), {"minutes": minutes})
    assert response.status_code == 400
    assert "minutes" in response.json()["fields"]
    with tenant_context(world_a.tenant):
        assert not TimeEntry.objects.exists()


def test_customers_never_read_or_log_time(world_a):
    world_a.reply(world_a.ticket, "agent", "With time", minutes=5)
    customer = api(world_a, "customer")
    assert customer.get(_url(world_a)).status_code == 403
    assert customer.post(_url(world_a), {"minutes": 5}).status_code == 403
    detail = customer.get(f"/api/v1/tickets/{world_a.ticket.number}/").content.decode()
    comments = customer.get(f"/api/v1/tickets/{world_a.ticket.number}/comments/").content
    for body in (detail, comments.decode()):
        assert "time_entries" not in body and "minutes" not in body


def test_deleting_by_the_pages_rules_and_closed_tickets_refuse(world_a):
    with tenant_context(world_a.tenant):
        staff = {"agent": world_a.users["manager"], "membership": world_a.memberships["manager"]}
        managers = timelog.time_log(ticket=world_a.ticket, minutes=30, **staff)
    agent = api(world_a, "agent")
    own = agent.post(_url(world_a), {"minutes": 10}).json()
    refused = agent.client.delete(f"{_url(world_a)}{managers.pk}/", **agent._headers({}))
    assert refused.status_code == 403 and refused.json()["code"] == "not_allowed"
    deleted = agent.client.delete(f"{_url(world_a)}{own['id']}/", **agent._headers({}))
    assert deleted.status_code == 204
    missing = agent.client.delete(f"{_url(world_a)}{own['id']}/", **agent._headers({}))
    assert missing.status_code == 404
    with tenant_context(world_a.tenant):
        Ticket.objects.filter(pk=world_a.ticket.pk).update(
            status="closed", solved_at=datetime.now(tz=UTC), closed_at=datetime.now(tz=UTC)
        )
    closed = agent.post(_url(world_a), {"minutes": 10})
    assert closed.status_code == 409 and closed.json()["code"] == "ticket_closed"
    manager = api(world_a, "manager")
    kept = manager.client.delete(f"{_url(world_a)}{managers.pk}/", **manager._headers({}))
    assert kept.status_code == 409


def test_another_helpdesks_ticket_and_entries_are_not_found(world_a, world_b):
    with tenant_context(world_b.tenant):
        staff = {"agent": world_b.users["agent"], "membership": world_b.memberships["agent"]}
        theirs = timelog.time_log(ticket=world_b.ticket, minutes=30, **staff)
    agent = api(world_a, "agent")
    # World A's ticket #1 exists, B's entry is not on it; A has no ticket #999.
    gone = agent.client.delete(f"{_url(world_a)}{theirs.pk}/", **agent._headers({}))
    assert gone.status_code == 404
    assert agent.get("/api/v1/tickets/999/time-entries/").status_code == 404
    with tenant_context(world_b.tenant):
        assert TimeEntry.objects.filter(pk=theirs.pk).exists()


def test_the_report_for_managers(world_a):
    w = world_a
    with tenant_context(w.tenant):
        staff = {"agent": w.users["agent"], "membership": w.memberships["agent"]}
        # Sunday Mar 8, 23:00 in Chicago: Monday in UTC, still the week of Mar 2 there.
        with time_machine.travel(datetime(2026, 3, 9, 4, 0, tzinfo=UTC), tick=False):
            timelog.time_log(ticket=w.ticket, minutes=60, **staff)
        with time_machine.travel(datetime(2026, 3, 9, 15, 0, tzinfo=UTC), tick=False):
            timelog.time_log(ticket=w.ticket, minutes=15, **staff)
    manager = api(w, "manager")
    query = {"start": "2026-03-02", "end": "2026-03-15", "period": "week"}
    report = manager.get("/api/v1/reports/time/", query)
    assert report.status_code == 200, report.content
    body = report.json()
    assert body["total"] == {"minutes": 75, "entries": 2}
    assert body["by_agent"] == [
        {"id": w.users["agent"].pk, "label": "agent alpha", "minutes": 75, "entries": 2}
    ]
    assert body["by_organization"][0]["id"] == w.organization.pk
    assert [(p["start"], p["minutes"]) for p in body["by_period"]] == [
        ("2026-03-02", 60),
        ("2026-03-09", 15),
    ]
    assert api(w, "agent").get("/api/v1/reports/time/").status_code == 403
    bad = manager.get("/api/v1/reports/time/", {"start": "2026-03-09", "end": "2026-03-01"})
    assert bad.status_code == 400 and bad.json()["code"] == "invalid_input"
    daily = manager.get(
        "/api/v1/reports/time/", {"start": "2026-01-01", "end": "2026-12-01", "period": "day"}
    )
    assert daily.status_code == 400
    assert manager.get("/api/v1/reports/time/").status_code == 200  # the last four weeks
