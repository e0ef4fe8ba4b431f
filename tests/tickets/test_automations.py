"""The timed rules, with the clock moved by time-machine (never slept)."""

import gc
import re
from collections import Counter
from datetime import UTC, datetime, timedelta

import pytest
import time_machine
from django.core.management import call_command
from django.db import transaction

from outbox import services as outbox_services
from outbox.models import OutboxEmail
from outbox.services import _message
from surveys.services import SALT
from tenants.context import tenant_context
from tickets import automations, lifecycle, notifications
from tickets.automations import run_automations
from tickets.models import Actor, Ticket, TicketEvent
from tickets.signals import tickets_closed

S = Ticket.Status
T0 = datetime(2026, 3, 2, 15, 0, tzinfo=UTC)  # a Monday, 09:00 in Chicago


def emails(world, ticket, template):
    with tenant_context(world.tenant):
        return list(OutboxEmail.objects.filter(ticket=ticket, template=template))


def closing_emails(world, ticket):
    """The emails telling the requester that ``ticket`` closed: its survey, which goes out at
    once by default and says so, or else the closed email."""
    with tenant_context(world.tenant):
        return list(
            OutboxEmail.objects.filter(
                ticket=ticket, template__in=["ticket_closed", "survey_invitation"]
            )
        )


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
    assert len(closing_emails(world_a, solved)) == 1
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
    assert len(closing_emails(world_a, ticket)) == 1


def test_customer_reply_before_closing_reopens_and_it_does_not_close(world_a, clock, solved):
    clock.move_to(T0 + timedelta(hours=47))
    world_a.reply(solved, "customer", "Actually it is still failing")
    assert status(world_a, solved) == S.OPEN
    clock.move_to(T0 + timedelta(hours=48))
    assert run(world_a).closed == []
    clock.move_to(T0 + timedelta(days=30))
    run(world_a)
    assert status(world_a, solved) == S.OPEN
    assert closing_emails(world_a, solved) == []


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
    assert len(closing_emails(world_a, ticket)) == 1


def _pending_at(world, clock, hours: list[int]) -> list[tuple[Ticket, datetime]]:
    made = []
    for hour in hours:
        clock.move_to(T0 + timedelta(hours=hour))
        ticket = world.submit(subject=f"Pending since hour {hour}")
        world.reply(ticket, "agent", "Please send the logs", submit_as=S.PENDING)
        made.append((ticket, T0 + timedelta(hours=hour)))
    return made


def test_each_ticket_of_one_batch_is_stamped_at_its_own_due_time(world_a, clock):
    pending = _pending_at(world_a, clock, [0, 5, 11])
    clock.move_to(T0 + timedelta(days=10))
    report = run(world_a)  # one batch solves the three, the next one closes them
    numbers = sorted((world_a.tenant.slug, ticket.number) for ticket, _since in pending)
    assert sorted(report.solved) == sorted(report.closed) == numbers
    for ticket, since in pending:
        solved_at = since + timedelta(days=4)
        closed_at = solved_at + timedelta(days=2)
        ticket = world_a.refresh(ticket)
        assert (ticket.solved_at, ticket.closed_at, ticket.status_changed_at) == (
            solved_at,
            closed_at,
            closed_at,
        )
        assert ticket.pending_since is None and ticket.pending_reminded_at is None
        with tenant_context(world_a.tenant):
            changes = list(
                ticket.events.filter(
                    kind=TicketEvent.Kind.STATUS_CHANGED, actor_kind=Actor.AUTOMATION
                )
                .order_by("pk")
                .values_list("before", "after", "data", "actor")
            )
            keys = set(
                OutboxEmail.objects.filter(ticket=ticket).values_list("idempotency_key", flat=True)
            )
        assert changes == [
            (
                S.PENDING,
                S.SOLVED,
                {"reason": "pending_timeout", "due_at": solved_at.isoformat()},
                None,
            ),
            (
                S.SOLVED,
                S.CLOSED,
                {"reason": "solved_timeout", "due_at": closed_at.isoformat()},
                None,
            ),
        ]
        assert {
            f"ticket:{ticket.pk}:solved:{solved_at.isoformat()}",
            f"ticket:{ticket.pk}:survey",  # which tells of the closing too
        } <= keys
        assert f"ticket:{ticket.pk}:closed" not in keys


FIELDS = [
    "status",
    "status_changed_at",
    "pending_since",
    "pending_reminded_at",
    "solved_at",
    "closed_at",
    "sla_anchor_at",
    "next_update_due_at",
    "sla_breached_due_at",
    "assignee_id",
]


def test_the_batch_change_leaves_each_ticket_as_the_single_transition_does(world_a, clock):
    (one, since), (other, _since) = _pending_at(world_a, clock, [0, 0])
    delay = world_a.tenant.pending_solve_delay
    clock.move_to(T0 + timedelta(days=5))
    with tenant_context(world_a.tenant):
        one, other = (Ticket.objects.select_for_update().get(pk=t.pk) for t in (one, other))
        lifecycle.transition(
            one, S.SOLVED, actor_kind=Actor.AUTOMATION, reason="pending_timeout", at=since + delay
        )
        lifecycle.transition_due(
            [other], S.SOLVED, since="pending_since", delay=delay, reason="pending_timeout"
        )
        in_memory = {field: getattr(other, field) for field in FIELDS}
        one.refresh_from_db()
        other.refresh_from_db()
        events = [
            ticket.events.filter(kind=TicketEvent.Kind.STATUS_CHANGED)
            .values("actor", "actor_kind", "before", "after", "data")
            .last()
            for ticket in (one, other)
        ]
    assert {field: getattr(other, field) for field in FIELDS} == in_memory
    assert {field: getattr(one, field) for field in FIELDS} == in_memory
    assert events[0] == events[1]


def _survey_tokens_as_numbers(text: str, tickets: dict[int, int]) -> str:
    """Survey links carry the invitation's id (new on every run): named by ticket instead."""
    from django.core import signing

    def named(match):
        data = signing.loads(match.group(1), salt=SALT)
        return f"/survey/<{data['p']} of #{tickets[data['i']]}>/"

    return re.sub(r"/survey/([^/\s\"'<>]+)/", named, text)


def _rows(world, tickets) -> list[dict]:
    from surveys.models import SurveyInvitation

    with tenant_context(world.tenant):
        invited = dict(
            SurveyInvitation.objects.filter(ticket__in=tickets).values_list("pk", "ticket__number")
        )
        rows = []
        for email in OutboxEmail.objects.filter(ticket__in=tickets).order_by("idempotency_key"):
            message = _message(email).message()
            rows.append(
                {
                    "message": {k: str(v) for k, v in message.items() if k != "Message-ID"},
                    **{
                        field: _survey_tokens_as_numbers(str(getattr(email, field)), invited)
                        for field in (
                            "template",
                            "idempotency_key",
                            "recipient",
                            "reply_to",
                            "subject",
                            "body_text",
                            "body_html",
                            "headers",
                            "context",
                            "ticket_id",
                            "next_attempt_at",
                            "status",
                        )
                    },
                }
            )
            rows[-1]["message"] = _survey_tokens_as_numbers(str(rows[-1]["message"]), invited)
    return rows


@pytest.mark.parametrize(
    ("status", "surveys", "templates"),
    [
        (S.PENDING, True, {"ticket_solved"}),
        (S.SOLVED, True, {"survey_invitation"}),  # the survey tells of the closing
        (S.SOLVED, False, {"ticket_closed"}),
    ],
)
def test_a_batchs_emails_are_the_ones_ticket_by_ticket_would_write(
    world_a, clock, status, surveys, templates, monkeypatch
):
    world_a.tenant.surveys_enabled = surveys
    world_a.tenant.save(update_fields=["surveys_enabled"])
    subjects = [
        "Quotes \"double\" and 'single' & <b>tags</b>",
        "Ünïcödé — ✓ and {{ braces }} {% tags %}",
        "A very long subject " * 12,
    ]
    tickets = []
    for subject in subjects:
        ticket = world_a.submit(subject=subject[:200])
        world_a.reply(ticket, "agent", "Over to you", submit_as=status)
        tickets.append(ticket)
    clock.move_to(T0 + timedelta(days=5))
    full = Counter()
    render_email = outbox_services.render_email

    def counted(template, context):
        full[template] += 1
        return render_email(template, context)

    monkeypatch.setattr(outbox_services, "render_email", counted)
    with transaction.atomic():
        run_automations(tenants=[world_a.tenant], batch_size=10)  # one batch: the stencil
        batched = _rows(world_a, tickets)
        transaction.set_rollback(True)
    # Filled in from one stencil: only the first email was rendered in full, to compare.
    assert set(full.values()) == {1}
    run_automations(tenants=[world_a.tenant], batch_size=1)  # batches of one: rendered in full
    single = _rows(world_a, tickets)
    # One email per ticket from the pass, and never the other closing email besides.
    assert len([row for row in batched if row["template"] in templates]) == len(tickets)
    others = {"ticket_closed", "survey_invitation"} - templates
    assert not others & {row["template"] for row in batched}
    assert batched == single
    for row in batched:
        ticket = next(t for t in tickets if str(t.pk) == row["ticket_id"])
        assert row["reply_to"] == _reply_address(world_a, ticket)
        assert f"<ticket-{world_a.tenant.pk}-{ticket.pk}@" in row["message"]


def _reply_address(world, ticket):
    with tenant_context(world.tenant):
        return notifications.reply_address(ticket)


def test_a_tenant_with_a_backlog_does_not_starve_the_next_one(world_a, world_b, clock, monkeypatch):
    backlog = [world_a.submit(subject=f"A {n}") for n in range(6)]
    few = [world_b.submit(subject=f"B {n}") for n in range(2)]
    for world, tickets in ((world_a, backlog), (world_b, few)):
        for ticket in tickets:
            world.reply(ticket, "agent", "Fixed", submit_as=S.SOLVED)
    clock.move_to(T0 + timedelta(days=3))
    seconds = iter(range(100))  # each look at the clock, a second later: never slept
    monkeypatch.setattr(automations, "monotonic", lambda: float(next(seconds)))
    report = run_automations(
        tenants=[world_a.tenant, world_b.tenant], batch_size=2, time_budget=timedelta(seconds=3.5)
    )
    assert report.budget_exhausted
    assert sorted(
        number for slug, number in report.closed if slug == world_b.tenant.slug
    ) == sorted(ticket.number for ticket in few)
    assert all(status(world_b, ticket) == S.CLOSED for ticket in few)
    closed_in_a = [ticket for ticket in backlog if status(world_a, ticket) == S.CLOSED]
    assert 0 < len(closed_in_a) < len(backlog)  # the rest waits for the next pass


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
    assert len(closing_emails(world_a, good)) == 1
    assert closing_emails(world_a, bad) == []
    with tenant_context(world_a.tenant):
        closes = TicketEvent.objects.filter(kind=TicketEvent.Kind.STATUS_CHANGED, after=S.CLOSED)
        assert list(closes.values_list("ticket_id", flat=True)) == [good.pk]
    clock.move_to(T0 + timedelta(days=3, minutes=5))
    assert run(world_a).closed == [(world_a.tenant.slug, bad.number)]  # the next pass


def test_batches_run_with_the_cycle_collector_paused_and_it_is_back_on_after(world_a, clock):
    """The pass pauses the cycle collector for each batch (its objects live until the batch
    ends; walking them cost a tenth of a pass) and turns it back on after every batch, a failed
    one too."""
    good = world_a.submit(subject="good")
    bad = world_a.submit(subject="bad")
    for ticket in (good, bad):
        world_a.reply(ticket, "agent", "fixed", submit_as=S.SOLVED)
    seen = []

    def watches(sender, tickets, **kwargs):
        seen.append(gc.isenabled())
        if any(ticket.pk == bad.pk for ticket in tickets):
            raise RuntimeError("boom")

    assert gc.isenabled()
    tickets_closed.connect(watches)
    try:
        clock.move_to(T0 + timedelta(days=3))
        report = run(world_a)  # the batch fails, then each ticket goes on its own
    finally:
        tickets_closed.disconnect(watches)
    assert [number for _slug, number in report.closed] == [good.number]
    assert len(report.failed) == 1
    assert seen == [False, False, False]  # the batch, then each ticket, all while paused
    assert gc.isenabled()


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
