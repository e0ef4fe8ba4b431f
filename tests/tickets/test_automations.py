"""The timed rules, with the clock moved by time-machine (never slept)."""

from datetime import UTC, datetime, timedelta

import pytest
import time_machine
from django.core.management import call_command

from outbox.models import OutboxEmail
from tenants.context import tenant_context
from tickets.automations import run_automations
from tickets.models import Actor, Ticket, TicketEvent
from tickets.signals import tickets_closed

S = Ticket.Status
T0 = datetime(2026, 3, 2, 15, 0, tzinfo=UTC)  # a Monday, 09:00 in Chicago


def emails(world, ticket, template):
    with tenant_context(world.tenant):
        return list(OutboxEmail.objects.filter(ticket=ticket, template=template))


def run(world):
    return run_automations(tenants=[world.tenant])


def status(world, ticket):
    return world.refresh(ticket).status


@pytest.fixture
def clock():
    with time_machine.travel(T0, tick=False) as traveller:
        yield traveller


@pytest.fixture
def solved(world_a, clock):
    ticket = world_a.submit(subject="Solved at T0")
    world_a.reply(ticket, "agent", "Here is the fix", submit_as=S.SOLVED)
    return ticket


def test_solved_ticket_closes_exactly_at_two_days_once_with_one_email(world_a, clock, solved):
    clock.move_to(T0 + timedelta(hours=47, minutes=59))
    assert run(world_a).closed == []
    assert status(world_a, solved) == S.SOLVED
    clock.move_to(T0 + timedelta(hours=48))
    report = run(world_a)
    assert report.closed == [(world_a.tenant.slug, solved.number)]
    ticket = world_a.refresh(solved)
    assert ticket.status == S.CLOSED and ticket.closed_at == T0 + timedelta(hours=48)
    clock.move_to(T0 + timedelta(hours=49))
    assert run(world_a).closed == []  # a second pass finds nothing
    assert len(emails(world_a, solved, "ticket_closed")) == 1
    with tenant_context(world_a.tenant):
        closes = ticket.events.filter(kind=TicketEvent.Kind.STATUS_CHANGED, after=S.CLOSED)
        assert closes.count() == 1
        assert closes.get().actor_kind == Actor.AUTOMATION


def test_pending_ticket_is_reminded_then_solved_at_four_days_then_closed_at_six(world_a, clock):
    ticket = world_a.submit(subject="Pending at T0")
    world_a.reply(ticket, "agent", "Please send the logs", submit_as=S.PENDING)
    clock.move_to(T0 + timedelta(hours=71, minutes=59))
    assert run(world_a).reminded == []
    clock.move_to(T0 + timedelta(hours=72))
    assert run(world_a).reminded == [(world_a.tenant.slug, ticket.number)]
    assert run(world_a).reminded == []  # one reminder per pending period
    (reminder,) = emails(world_a, ticket, "pending_reminder")
    assert "Friday, March 6, 09:00 CST" in reminder.body_text  # T0 + 4 days in Chicago time
    clock.move_to(T0 + timedelta(hours=95, minutes=59))
    assert run(world_a).solved == []
    clock.move_to(T0 + timedelta(hours=96))
    assert run(world_a).solved == [(world_a.tenant.slug, ticket.number)]
    assert status(world_a, ticket) == S.SOLVED
    (solved_email,) = emails(world_a, ticket, "ticket_solved")
    assert "did not hear back" in solved_email.body_text
    assert "did not hear back" in solved_email.body_html
    clock.move_to(T0 + timedelta(hours=143, minutes=59))
    assert run(world_a).closed == []
    clock.move_to(T0 + timedelta(hours=144))
    assert run(world_a).closed == [(world_a.tenant.slug, ticket.number)]
    assert len(emails(world_a, ticket, "ticket_closed")) == 1


def test_customer_reply_before_closing_reopens_and_it_does_not_close(world_a, clock, solved):
    clock.move_to(T0 + timedelta(hours=47))
    world_a.reply(solved, "customer", "Actually it is still failing")
    assert status(world_a, solved) == S.OPEN
    clock.move_to(T0 + timedelta(hours=48))
    assert run(world_a).closed == []
    clock.move_to(T0 + timedelta(days=30))
    run(world_a)
    assert status(world_a, solved) == S.OPEN
    assert emails(world_a, solved, "ticket_closed") == []


def test_reply_after_closing_creates_a_follow_up_and_emails_it(world_a, clock, solved):
    clock.move_to(T0 + timedelta(hours=48))
    run(world_a)
    follow_up = world_a.reply(solved, "customer", "It broke again")
    assert follow_up.follow_up_of_id == solved.pk
    (email,) = emails(world_a, follow_up, "follow_up_created")
    assert f"[#{follow_up.number}] Follow-up to #{solved.number}" in email.subject
    assert emails(world_a, follow_up, "ticket_received") == []


def test_a_pass_after_days_of_downtime_catches_up_at_the_policy_times(world_a, clock):
    ticket = world_a.submit(subject="Forgotten")
    world_a.reply(ticket, "agent", "Need logs", submit_as=S.PENDING)
    clock.move_to(T0 + timedelta(days=10))
    report = run(world_a)
    assert (world_a.tenant.slug, ticket.number) in report.solved
    assert (world_a.tenant.slug, ticket.number) in report.closed
    ticket = world_a.refresh(ticket)
    assert ticket.solved_at == T0 + timedelta(days=4)
    assert ticket.closed_at == T0 + timedelta(days=6)
    assert len(emails(world_a, ticket, "ticket_solved")) == 1
    assert len(emails(world_a, ticket, "ticket_closed")) == 1


def test_each_tenant_runs_on_its_own_delays(world_a, world_b, clock):
    world_b.tenant.solved_close_delay = timedelta(days=3)
    world_b.tenant.save()
    a = world_a.submit()
    b = world_b.submit()
    world_a.reply(a, "agent", "fixed", submit_as=S.SOLVED)
    world_b.reply(b, "agent", "fixed", submit_as=S.SOLVED)
    clock.move_to(T0 + timedelta(days=2, minutes=1))
    run_automations()
    assert status(world_a, a) == S.CLOSED and status(world_b, b) == S.SOLVED
    clock.move_to(T0 + timedelta(days=3, minutes=1))
    run_automations()
    assert status(world_b, b) == S.CLOSED


def test_closing_publishes_the_closed_signal_once(world_a, clock, solved):
    received = []

    def listener(sender, tickets, **kwargs):
        received.extend(ticket.number for ticket in tickets)

    tickets_closed.connect(listener)
    try:
        clock.move_to(T0 + timedelta(days=3))
        run(world_a)
        run(world_a)
    finally:
        tickets_closed.disconnect(listener)
    assert received == [solved.number]


def test_one_broken_ticket_does_not_stop_the_others_of_its_batch(world_a, clock):
    good = world_a.submit(subject="good")
    bad = world_a.submit(subject="bad")
    for ticket in (good, bad):
        world_a.reply(ticket, "agent", "fixed", submit_as=S.SOLVED)

    def breaks_on_bad(sender, tickets, **kwargs):
        if any(ticket.pk == bad.pk for ticket in tickets):
            raise RuntimeError("boom")

    tickets_closed.connect(breaks_on_bad)
    try:
        clock.move_to(T0 + timedelta(days=3))
        report = run(world_a)  # both in one batch: it fails, then goes ticket by ticket
    finally:
        tickets_closed.disconnect(breaks_on_bad)
    assert report.closed == [(world_a.tenant.slug, good.number)]
    assert [(slug, number) for slug, number, _ in report.failed] == [
        (world_a.tenant.slug, bad.number)
    ]
    assert "boom" in report.failed[0][2]
    assert status(world_a, good) == S.CLOSED
    assert status(world_a, bad) == S.SOLVED  # its change rolled back, whole
    assert len(emails(world_a, good, "ticket_closed")) == 1
    assert emails(world_a, bad, "ticket_closed") == []
    with tenant_context(world_a.tenant):
        closes = TicketEvent.objects.filter(kind=TicketEvent.Kind.STATUS_CHANGED, after=S.CLOSED)
        assert list(closes.values_list("ticket_id", flat=True)) == [good.pk]
    clock.move_to(T0 + timedelta(days=3, minutes=5))
    assert run(world_a).closed == [(world_a.tenant.slug, bad.number)]  # the next pass


def test_the_beat_task_starts_as_many_passes_as_workers(settings, monkeypatch):
    from tickets import tasks

    started = []
    monkeypatch.setattr(tasks.automation_pass, "delay", lambda: started.append(1))
    settings.AUTOMATION_WORKERS = 3
    assert tasks.run_automations() == 3
    assert len(started) == 3


def test_run_automations_command_dry_run_changes_nothing(world_a, clock, solved, capsys):
    clock.move_to(T0 + timedelta(days=3))
    call_command("run_automations", "--dry-run")
    out = capsys.readouterr().out
    assert f"would close {world_a.tenant.slug} #{solved.number}" in out
    assert status(world_a, solved) == S.SOLVED
    call_command("run_automations")
    assert f"closed {world_a.tenant.slug} #{solved.number}" in capsys.readouterr().out
    assert status(world_a, solved) == S.CLOSED
