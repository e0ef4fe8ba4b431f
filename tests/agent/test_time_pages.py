"""Time tracking on the agent's pages: the reply form's "Time spent", "Log time", the timer,
deleting entries, the managers' report and its CSV; never on the customer's pages."""

import csv
import io
from datetime import UTC, datetime, timedelta

import pytest
import time_machine
from django.urls import reverse

from tenants.context import tenant_context
from tickets import timelog
from tickets.models import Comment, Ticket, TimeEntry


def _entries(world):
    with tenant_context(world.tenant):
        return list(TimeEntry.objects.select_related("comment").order_by("id"))


def _page(world, role, as_member):
    return as_member(world.users[role], world.tenant)


@pytest.mark.parametrize(
    "typed",
    ["-5", "١٥", "²", "1441", "99999999999999999999", "1:75", "1h", "x" * 100_000],
)
def test_a_bad_time_spent_keeps_the_whole_reply_on_screen(world_a, as_member, typed):
    w = world_a
    client = _page(w, "agent", as_member)
    text = "A long answer <b>with markup</b> that must not be lost"
    response = client.post(
        f"/agent/tickets/{w.ticket.number}/",
        {"public": "1", "body": text, "submit_as": "pending", "time_spent": typed},
    )
    page = response.content.decode()
    assert response.status_code == 400
    assert "Your reply was not sent." in page
    assert "A long answer &lt;b&gt;with markup&lt;/b&gt; that must not be lost" in page
    assert 'value="pending" selected' in page
    assert "Enter the time as minutes" in page or "at most 24 hours" in page
    with tenant_context(w.tenant):
        assert not Comment.objects.filter(body=text).exists()
    assert _entries(w) == []


def test_a_reply_and_a_note_from_the_page_log_their_time(world_a, as_member):
    w = world_a
    client = _page(w, "agent", as_member)
    url = f"/agent/tickets/{w.ticket.number}/"
    assert (
        client.post(url, {"public": "1", "body": "Fixed", "time_spent": "1:30"}).status_code == 302
    )
    assert (
        client.post(url, {"public": "0", "body": "Looked", "time_spent": "10"}).status_code == 302
    )
    assert client.post(url, {"public": "0", "body": "No time", "time_spent": ""}).status_code == 302
    entries = _entries(w)
    assert [(e.minutes, e.comment.body) for e in entries] == [(90, "Fixed"), (10, "Looked")]
    page = client.get(url).content.decode()
    assert "data-time-total>1 h 40 min<" in page
    assert "with a reply" in page and "with a note" in page


def test_log_time_on_its_own_and_a_refusal_keeps_what_was_typed(world_a, as_member):
    w = world_a
    client = _page(w, "agent", as_member)
    url = reverse("agent:ticket_time", args=[w.ticket.number])
    response = client.post(url, {"minutes": "45", "note": "Phone call"})
    assert response.status_code == 302 and response["Location"].endswith("#time")
    assert [(e.minutes, e.note, e.comment_id) for e in _entries(w)] == [(45, "Phone call", None)]
    refused = client.post(url, {"minutes": "-45", "note": "Second call, keep me"})
    assert refused.status_code == 400
    page = refused.content.decode()
    assert "Nothing was logged." in page and 'value="Second call, keep me"' in page
    assert 'value="-45"' in page
    assert len(_entries(w)) == 1


def test_start_and_stop_the_timer_from_the_page(world_a, as_member):
    w = world_a
    client = _page(w, "agent", as_member)
    url = reverse("agent:ticket_timer", args=[w.ticket.number])
    start = datetime(2026, 3, 2, 15, 0, tzinfo=UTC)
    with time_machine.travel(start, tick=False):
        assert client.post(url, {"action": "start"}).status_code == 302
        page = client.get(f"/agent/tickets/{w.ticket.number}/").content.decode()
        assert "Your timer is running" in page and "Stop timer" in page
    with time_machine.travel(start + timedelta(minutes=15), tick=False):
        response = client.post(url, {"action": "stop", "note": "Restore test"}, follow=True)
    assert "15 min logged" in response.content.decode()
    assert [(e.minutes, e.note, e.started_at) for e in _entries(w)] == [(15, "Restore test", start)]


def test_deleting_an_entry_own_manager_and_other_agent(world_a, as_member):
    w = world_a
    with tenant_context(w.tenant):
        staff = {"agent": w.users["agent"], "membership": w.memberships["agent"]}
        mine = timelog.time_log(ticket=w.ticket, minutes=10, **staff)
        also_mine = timelog.time_log(ticket=w.ticket, minutes=20, **staff)
        staff = {"agent": w.users["admin"], "membership": w.memberships["admin"]}
        admins = timelog.time_log(ticket=w.ticket, minutes=30, **staff)

    def delete(role, entry):
        url = reverse("agent:ticket_time_delete", args=[w.ticket.number, entry.pk])
        return _page(w, role, as_member).post(url)

    assert delete("agent", admins).status_code == 403
    assert delete("customer", mine).status_code == 403
    assert delete("agent", mine).status_code == 302
    assert delete("manager", also_mine).status_code == 302
    assert delete("agent", mine).status_code == 404  # gone
    assert _entries(w) == [admins]
    with tenant_context(w.tenant):
        assert w.ticket.events.filter(kind="time_deleted").count() == 2


def test_a_closed_ticket_refuses_time_with_a_reason(world_a, as_member):
    w = world_a
    with tenant_context(w.tenant):
        Ticket.objects.filter(pk=w.ticket.pk).update(
            status="closed", solved_at=datetime.now(tz=UTC), closed_at=datetime.now(tz=UTC)
        )
    client = _page(w, "agent", as_member)
    response = client.post(
        reverse("agent:ticket_time", args=[w.ticket.number]), {"minutes": "15", "note": "late"}
    )
    assert response.status_code == 409
    assert "is closed" in response.content.decode()
    page = client.get(f"/agent/tickets/{w.ticket.number}/").content.decode()
    assert "its time no longer changes" in page and "Start timer" not in page
    assert _entries(w) == []


def test_a_nul_in_time_spent_is_refused_before_anything_is_saved(world_a, as_member):
    """NUL is refused for every form at one boundary (core.middleware): a 400 that says nothing
    was saved, the typed reply still in the browser's form when the agent goes back."""
    w = world_a
    client = _page(w, "agent", as_member)
    text = "An answer whose time field carries a NUL"
    response = client.post(
        f"/agent/tickets/{w.ticket.number}/", {"public": "1", "body": text, "time_spent": "15\x00"}
    )
    assert response.status_code == 400
    assert "NUL character" in response.content.decode()
    with tenant_context(w.tenant):
        assert not Comment.objects.filter(body=text).exists()
    assert _entries(w) == []


def test_customers_never_see_time_entries(world_a, as_member):
    w = world_a
    with tenant_context(w.tenant):
        staff = {"agent": w.users["agent"], "membership": w.memberships["agent"]}
        timelog.time_log(ticket=w.ticket, minutes=42, note=f"secret effort {w.marker}", **staff)
    w.reply(w.ticket, "agent", "Public answer", minutes=17)
    customer = _page(w, "customer", as_member)
    page = customer.get(f"/tickets/{w.ticket.number}/").content.decode()
    assert "Public answer" in page
    for hidden in (f"secret effort {w.marker}", "42 min", "17 min", "Time spent", "Log time"):
        assert hidden not in page
    assert customer.get(f"/agent/tickets/{w.ticket.number}/").status_code == 403
    assert (
        customer.post(
            reverse("agent:ticket_time", args=[w.ticket.number]), {"minutes": "5"}
        ).status_code
        == 403
    )
    assert customer.get(reverse("agent:time_report")).status_code == 403


def test_the_report_page_and_its_csv_for_managers(world_a, as_member):
    w = world_a
    when = datetime(2026, 3, 3, 3, 0, tzinfo=UTC)  # Mar 2, 21:00 in Chicago
    with tenant_context(w.tenant), time_machine.travel(when, tick=False):
        staff = {"agent": w.users["agent"], "membership": w.memberships["agent"]}
        timelog.time_log(ticket=w.ticket, minutes=95, note="=cmd|' /C calc'!A0", **staff)
    manager = _page(w, "manager", as_member)
    url = reverse("agent:time_report")
    query = {"start": "2026-03-02", "end": "2026-03-08", "period": "day"}
    response = manager.get(url, query)
    page = response.content.decode()
    assert response.status_code == 200
    assert "Time spent" in page and "1 h 35 min" in page and w.organization.name in page
    assert 'href="/agent/reports/time/"' in page  # in the workspace's navigation
    download = manager.get(url, {**query, "format": "csv"})
    assert download["Content-Type"] == "text/csv"
    rows = list(csv.reader(io.StringIO(download.content.decode())))
    assert ["agent", "agent alpha", "95", "1.58", "1"] in rows
    assert ["period", "Mon Mar 2, 2026", "95", "1.58", "1"] in rows
    assert rows[-1] == ["total", "All", "95", "1.58", "1"]
    assert _page(w, "agent", as_member).get(url).status_code == 403
    assert "Time report" not in _page(w, "agent", as_member).get("/agent/").content.decode()


@pytest.mark.parametrize(
    "query",
    [
        {"start": "2026-03-09", "end": "2026-03-02"},
        {"start": "2020-01-01", "end": "2026-01-01"},
        {"start": "2026-01-01", "end": "2026-06-01", "period": "day"},
        {"start": "1900-01-01", "end": "2026-01-01"},
        {"start": "2026-01-01", "end": "2026-01-02", "period": "year"},
    ],
)
def test_the_report_refuses_bad_ranges_with_a_400(world_a, as_member, query):
    manager = _page(world_a, "manager", as_member)
    response = manager.get(reverse("agent:time_report"), query)
    assert response.status_code == 400
    assert "errorlist" in response.content.decode()
