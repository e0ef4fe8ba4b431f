"""Time tracking's services and report (tickets.timelog, tickets.timereport)."""

import csv
import io
from datetime import UTC, date, datetime, timedelta

import pytest
import time_machine

from core import exports
from core.errors import InvalidInput, NotAllowed
from core.wording import time_spent
from tenants.context import tenant_context
from tickets import timelog, timereport
from tickets.lifecycle import InvalidTransition
from tickets.models import RunningTimer, Ticket, TimeEntry


def _staff(world, role="agent"):
    return {"agent": world.users[role], "membership": world.memberships[role]}


@pytest.mark.parametrize(
    ("typed", "minutes"),
    [("45", 45), (" 45 ", 45), ("1:30", 90), ("0:05", 5), ("24:00", 1440), ("1440", 1440)],
)
def test_typed_time_reads_as_minutes_or_hours_and_minutes(typed, minutes):
    assert timelog.parse_minutes(typed) == minutes


@pytest.mark.parametrize(
    "typed",
    ["", "-5", "0", "0:00", "1441", "24:01", "1:60", "١٥", "²", "1.5", "1h", "15\x00", "9" * 5000],
)
def test_anything_else_is_refused_with_a_message(typed):
    with pytest.raises(InvalidInput) as refused:
        timelog.parse_minutes(typed)
    assert str(refused.value)


def test_a_reply_and_a_note_log_their_time_with_the_message_and_an_event(world_a):
    w = world_a
    ticket = w.reply(w.ticket, "agent", "Here is the fix", minutes=20)
    w.reply(ticket, "agent", "Checked the logs", public=False, minutes=15)
    with tenant_context(w.tenant):
        entries = list(TimeEntry.objects.order_by("id"))
        assert [(e.minutes, e.comment.is_public, e.agent) for e in entries] == [
            (20, True, w.users["agent"]),
            (15, False, w.users["agent"]),
        ]
        assert [e.comment.body for e in entries] == ["Here is the fix", "Checked the logs"]
        logged = list(ticket.events.filter(kind="time_logged").order_by("id"))
        assert [e.data["minutes"] for e in logged] == [20, 15]
        assert logged[0].data["comment"] == entries[0].comment_id
        assert logged[0].after == "20 min"


def test_a_customer_cannot_log_time_and_nothing_is_written(world_a):
    w = world_a
    with pytest.raises(NotAllowed):
        w.reply(w.ticket, "customer", "I spent ages on this", minutes=30)
    with tenant_context(w.tenant):
        assert not TimeEntry.objects.exists()
        assert not w.ticket.comments.filter(body="I spent ages on this").exists()


def test_time_logged_on_its_own_with_a_note(world_a):
    w = world_a
    with tenant_context(w.tenant):
        entry = timelog.time_log(ticket=w.ticket, minutes=90, note="Remote session", **_staff(w))
        assert (entry.minutes, entry.note, entry.comment_id) == (90, "Remote session", None)
        assert w.ticket.events.filter(kind="time_logged", after="1 h 30 min").exists()


def test_the_timer_logs_the_minutes_it_ran(world_a):
    w = world_a
    start = datetime(2026, 3, 2, 15, 0, tzinfo=UTC)
    with tenant_context(w.tenant):
        with time_machine.travel(start, tick=False):
            timelog.timer_start(ticket=w.ticket, **_staff(w))
        with time_machine.travel(start + timedelta(minutes=15), tick=False):
            stopped = timelog.timer_stop(ticket=w.ticket, **_staff(w))
        assert (stopped.minutes, stopped.capped) == (15, False)
        entry = stopped.entry
        assert (entry.minutes, entry.started_at, entry.ended_at) == (
            15,
            start,
            start + timedelta(minutes=15),
        )
        assert not RunningTimer.objects.exists()
        kinds = list(w.ticket.events.order_by("id").values_list("kind", flat=True))
        assert kinds[-2:] == ["timer_started", "time_logged"]


def test_a_started_minute_counts_whole(world_a):
    w = world_a
    start = datetime(2026, 3, 2, 15, 0, tzinfo=UTC)
    with tenant_context(w.tenant):
        with time_machine.travel(start, tick=False):
            timelog.timer_start(ticket=w.ticket, **_staff(w))
        with time_machine.travel(start + timedelta(minutes=15, seconds=1), tick=False):
            assert timelog.timer_stop(ticket=w.ticket, **_staff(w)).minutes == 16


def test_one_running_timer_per_agent_and_ticket(world_a):
    w = world_a
    with tenant_context(w.tenant):
        timelog.timer_start(ticket=w.ticket, **_staff(w))
        with pytest.raises(timelog.Conflict, match="already running"):
            timelog.timer_start(ticket=w.ticket, **_staff(w))
        # Another agent times the same ticket on their own clock.
        timelog.timer_start(ticket=w.ticket, **_staff(w, "manager"))
        assert RunningTimer.objects.count() == 2
        with pytest.raises(timelog.Conflict, match="No timer of yours"):
            timelog.timer_stop(ticket=w.ticket, **_staff(w, "admin"))


def test_a_timer_left_running_over_the_weekend_logs_a_working_day(world_a):
    w = world_a
    friday = datetime(2026, 3, 6, 22, 0, tzinfo=UTC)
    with tenant_context(w.tenant):
        with time_machine.travel(friday, tick=False):
            timelog.timer_start(ticket=w.ticket, **_staff(w))
        with time_machine.travel(friday + timedelta(days=2, hours=11), tick=False):
            stopped = timelog.timer_stop(ticket=w.ticket, **_staff(w))
        assert (stopped.minutes, stopped.capped) == (timelog.TIMER_CAP_MINUTES, True)
        assert stopped.entry.minutes == 8 * 60
        event = w.ticket.events.get(kind="time_logged")
        assert event.data["capped_from"] == (2 * 24 + 11) * 60


def test_a_timer_across_midnight_counts_whole_on_the_day_it_stopped(world_a):
    w = world_a
    # 23:30 to 00:45 in Chicago (UTC-6 in February).
    start = datetime(2026, 2, 3, 5, 30, tzinfo=UTC)
    with tenant_context(w.tenant):
        with time_machine.travel(start, tick=False):
            timelog.timer_start(ticket=w.ticket, **_staff(w))
        with time_machine.travel(start + timedelta(minutes=75), tick=False):
            timelog.timer_stop(ticket=w.ticket, **_staff(w))
        report = timereport.time_report(date(2026, 2, 2), date(2026, 2, 3), "day")
    assert [(r.key, r.minutes) for r in report["by_period"]] == [
        (date(2026, 2, 2), 0),
        (date(2026, 2, 3), 75),
    ]


def test_a_closed_ticket_takes_no_time_and_keeps_its_entries(world_a):
    w = world_a
    ticket = w.submit(subject="Will close")
    with tenant_context(w.tenant):
        entry = timelog.time_log(ticket=ticket, minutes=10, **_staff(w))
        timelog.timer_start(ticket=ticket, **_staff(w))
    with tenant_context(w.tenant):
        Ticket.objects.filter(pk=ticket.pk).update(
            status=Ticket.Status.CLOSED,
            solved_at=datetime.now(tz=UTC),
            closed_at=datetime.now(tz=UTC),
        )
        ticket.refresh_from_db()
        events_before = ticket.events.count()
        with pytest.raises(timelog.TicketClosed, match="closed"):
            timelog.time_log(ticket=ticket, minutes=5, **_staff(w))
        with pytest.raises(timelog.TicketClosed):
            timelog.timer_start(ticket=ticket, **_staff(w, "manager"))
        with pytest.raises(timelog.TicketClosed):
            timelog.time_entry_delete(
                entry=entry, actor=w.users["agent"], membership=w.memberships["agent"]
            )
        # The timer that ran while it closed is discarded, and says for how long it ran.
        stopped = timelog.timer_stop(ticket=ticket, **_staff(w))
        assert stopped.entry is None and stopped.minutes >= 1
        assert not RunningTimer.objects.exists()
        assert list(TimeEntry.objects.filter(ticket=ticket)) == [entry]
        assert ticket.events.count() == events_before
    with pytest.raises(InvalidTransition):
        w.reply(ticket, "agent", "Late note", public=False, minutes=5)


def test_agents_delete_their_own_entries_managers_anyones(world_a):
    w = world_a
    with tenant_context(w.tenant):
        mine = timelog.time_log(ticket=w.ticket, minutes=10, **_staff(w))
        theirs = timelog.time_log(ticket=w.ticket, minutes=20, **_staff(w, "manager"))
        with pytest.raises(NotAllowed):
            timelog.time_entry_delete(
                entry=theirs, actor=w.users["agent"], membership=w.memberships["agent"]
            )
        timelog.time_entry_delete(
            entry=mine, actor=w.users["agent"], membership=w.memberships["agent"]
        )
        other = timelog.time_log(ticket=w.ticket, minutes=30, **_staff(w))
        timelog.time_entry_delete(
            entry=other, actor=w.users["manager"], membership=w.memberships["manager"]
        )
        assert list(TimeEntry.objects.all()) == [theirs]
        deleted = list(w.ticket.events.filter(kind="time_deleted").order_by("id"))
        assert [(e.actor, e.data["minutes"], e.before) for e in deleted] == [
            (w.users["agent"], 10, "10 min"),
            (w.users["manager"], 30, "30 min"),
        ]
        with pytest.raises(NotAllowed):
            timelog.time_entry_delete(
                entry=theirs, actor=w.users["customer"], membership=w.memberships["customer"]
            )


def test_the_ticket_total_counts_every_entry_and_lists_the_latest(world_a, monkeypatch):
    w = world_a
    monkeypatch.setattr(timelog, "SHOWN_ENTRIES", 3)
    with tenant_context(w.tenant):
        for minutes in (5, 10, 15, 20, 25):
            timelog.time_log(ticket=w.ticket, minutes=minutes, **_staff(w))
        other = w.submit(subject="Another ticket")
        timelog.time_log(ticket=other, minutes=600, **_staff(w))
        shown = timelog.ticket_time(w.ticket, w.users["agent"])
    assert (shown.total_minutes, shown.count) == (75, 5)
    assert [e.minutes for e in shown.entries] == [25, 20, 15]
    with tenant_context(w.tenant):
        empty = timelog.ticket_time(w.submit(subject="Untouched"), w.users["agent"])
    assert (empty.total_minutes, empty.count, empty.entries) == (0, 0, [])


@pytest.fixture
def logged(world_a):
    """Time logged at known instants (the tenant's zone is America/Chicago):
    agent:   Mar 2 21:00 local (03:00 UTC on Mar 3) 30 min, org ticket
    agent:   Mar 3 01:00 local (07:00 UTC) 45 min, ticket without organization
    manager: Sun Mar 8 23:00 local (04:00 UTC on Mon Mar 9) 60 min, org ticket
    manager: Mar 9 10:00 local 15 min, org ticket
    outside: Mar 1 23:59 local (05:59 UTC on Mar 2) 999 min: before the range."""
    w = world_a
    assert w.tenant.time_zone == "America/Chicago"
    no_org = w.submit(subject="From a stranger", role=None, email="someone@elsewhere.example")
    with tenant_context(w.tenant):
        Ticket.objects.filter(pk=no_org.pk).update(organization=None)
        no_org.refresh_from_db()
    assert w.ticket.organization_id == w.organization.pk
    rows = [
        ("agent", w.ticket, datetime(2026, 3, 3, 3, 0, tzinfo=UTC), 30),
        ("agent", no_org, datetime(2026, 3, 3, 7, 0, tzinfo=UTC), 45),
        ("manager", w.ticket, datetime(2026, 3, 9, 4, 0, tzinfo=UTC), 60),
        ("manager", w.ticket, datetime(2026, 3, 9, 15, 0, tzinfo=UTC), 15),
        ("agent", w.ticket, datetime(2026, 3, 2, 5, 59, tzinfo=UTC), 999),
    ]
    with tenant_context(w.tenant):
        for role, ticket, when, minutes in rows:
            with time_machine.travel(when, tick=False):
                timelog.time_log(ticket=ticket, minutes=minutes, **_staff(w, role))
    return w


def test_the_report_sums_by_agent_organization_and_period_in_the_tenants_zone(logged):
    w = logged
    with tenant_context(w.tenant):
        by_day = timereport.time_report(date(2026, 3, 2), date(2026, 3, 9), "day")
        by_week = timereport.time_report(date(2026, 3, 2), date(2026, 3, 9), "week")
        by_month = timereport.time_report(date(2026, 3, 2), date(2026, 3, 9), "month")
    assert (by_day["total"].minutes, by_day["total"].entries) == (150, 4)
    assert [(r.label, r.minutes, r.entries) for r in by_day["by_agent"]] == [
        ("agent alpha", 75, 2),
        ("manager alpha", 75, 2),
    ]
    assert [(r.label, r.minutes) for r in by_day["by_organization"]] == [
        (w.organization.name, 105),
        ("No organization", 45),
    ]
    days = {r.key: r.minutes for r in by_day["by_period"]}
    assert len(days) == 8
    assert (days[date(2026, 3, 2)], days[date(2026, 3, 3)]) == (30, 45)
    assert (days[date(2026, 3, 8)], days[date(2026, 3, 9)]) == (60, 15)
    assert [(r.key, r.minutes) for r in by_week["by_period"]] == [
        (date(2026, 3, 2), 135),  # Sunday night in Chicago is still the week of Mar 2
        (date(2026, 3, 9), 15),
    ]
    assert [(r.label, r.minutes) for r in by_month["by_period"]] == [("March 2026", 150)]


def test_the_report_refuses_ranges_it_does_not_cover():
    assert timereport.range_problem(date(2026, 1, 1), date(2026, 6, 1), "day")
    assert timereport.range_problem(date(2026, 1, 1), date(2026, 6, 1), "week") is None
    assert timereport.range_problem(date(2026, 3, 2), date(2026, 3, 1), "week")
    assert timereport.range_problem(date(1999, 3, 2), date(2000, 3, 1), "month")


def test_the_csv_lists_every_figure_and_cannot_run_formulas(logged):
    w = logged
    with tenant_context(w.tenant):
        w.organization.name = '=HYPERLINK("http://evil.example","x"), "quoted"'
        w.organization.save()
        report = timereport.time_report(date(2026, 3, 2), date(2026, 3, 9), "week")
    response = exports.csv_response("t.csv", timereport.CSV_HEADER, timereport.csv_rows(report))
    rows = list(csv.reader(io.StringIO(response.content.decode())))
    assert rows[0] == ["dimension", "group", "minutes", "hours", "entries"]
    assert ["organization", "'" + w.organization.name, "105", "1.75", "3"] in rows
    assert ["agent", "agent alpha", "75", "1.25", "2"] in rows
    assert ["period", "Week of Mar 09, 2026", "15", "0.25", "1"] in rows
    assert rows[-1] == ["total", "All", "150", "2.50", "4"]


def test_entries_stay_in_their_tenant(world_a, world_b):
    with tenant_context(world_a.tenant):
        timelog.time_log(ticket=world_a.ticket, minutes=10, **_staff(world_a))
    with tenant_context(world_b.tenant):
        assert not TimeEntry.objects.exists()
        today = datetime.now(tz=UTC).date()
        report = timereport.time_report(today - timedelta(days=1), today + timedelta(days=1))
        assert report["total"].minutes == 0
        shown = timelog.ticket_time(world_b.ticket, world_b.users["agent"])
        assert shown.count == 0
        with pytest.raises(Ticket.DoesNotExist):
            timelog.time_log(ticket=world_a.ticket, minutes=5, **_staff(world_b))
    with tenant_context(world_a.tenant):
        today = datetime.now(tz=UTC).date()
        report = timereport.time_report(today - timedelta(days=1), today + timedelta(days=1))
        assert report["total"].minutes == 10


@pytest.mark.parametrize(
    ("minutes", "words"), [(0, "0 min"), (45, "45 min"), (60, "1 h"), (90, "1 h 30 min")]
)
def test_logged_time_reads_in_hours_and_minutes(minutes, words):
    assert time_spent(minutes) == words
