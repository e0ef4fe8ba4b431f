"""Next-update due times per priority, and breach events recorded exactly once."""

from datetime import datetime
from zoneinfo import ZoneInfo

import pytest
import time_machine

from tenants.context import tenant_context
from tickets import services
from tickets.automations import run_automations
from tickets.models import Ticket, TicketEvent

S = Ticket.Status
CHI = ZoneInfo("America/Chicago")


def at(*args):
    return datetime(*args, tzinfo=CHI)


# World tenants run the defaults: Mon–Fri 08:00–17:00 America/Chicago, US holidays;
# Urgent 2 business hours, High 4, Normal and Low one business day (9 hours).
@pytest.mark.parametrize(
    ("priority", "reply_at", "due"),
    [
        ("urgent", at(2026, 3, 4, 10, 0), at(2026, 3, 4, 12, 0)),
        ("urgent", at(2026, 3, 6, 16, 30), at(2026, 3, 9, 9, 30)),  # over the weekend
        ("high", at(2026, 3, 4, 15, 0), at(2026, 3, 5, 10, 0)),
        ("normal", at(2026, 3, 4, 10, 0), at(2026, 3, 5, 10, 0)),
        ("low", at(2026, 9, 4, 12, 0), at(2026, 9, 8, 12, 0)),  # Friday, then Labor Day
        ("normal", at(2026, 3, 7, 11, 0), at(2026, 3, 9, 17, 0)),  # reply on a Saturday
    ],
)
def test_next_update_due_after_an_agent_reply(world_a, priority, reply_at, due):
    with time_machine.travel(reply_at.replace(hour=7), tick=False) as clock:
        ticket = world_a.submit(priority=priority)
        clock.move_to(reply_at)
        world_a.reply(ticket, "agent", "Looking into it", submit_as=S.OPEN)
    assert world_a.refresh(ticket).next_update_due_at == due


def test_first_reply_target_counts_from_submission(world_a):
    with time_machine.travel(at(2026, 3, 4, 16, 0), tick=False):
        ticket = world_a.submit(priority="urgent")
    assert world_a.refresh(ticket).next_update_due_at == at(2026, 3, 5, 9, 0)


def test_pending_and_solved_owe_nothing_and_reopening_restarts_the_clock(world_a):
    with time_machine.travel(at(2026, 3, 4, 9, 0), tick=False) as clock:
        ticket = world_a.submit(priority="high")
        world_a.reply(ticket, "agent", "Need logs", submit_as=S.PENDING)
        assert world_a.refresh(ticket).next_update_due_at is None
        clock.move_to(at(2026, 3, 4, 14, 0))
        world_a.reply(ticket, "customer", "Here they are")
        assert world_a.refresh(ticket).next_update_due_at == at(2026, 3, 5, 9, 0)
        world_a.reply(ticket, "agent", "Fixed", submit_as=S.SOLVED)
        assert world_a.refresh(ticket).next_update_due_at is None


def test_priority_change_recomputes_the_due_time(world_a):
    with time_machine.travel(at(2026, 3, 4, 9, 0), tick=False):
        ticket = world_a.submit(priority="low")
        assert world_a.refresh(ticket).next_update_due_at == at(2026, 3, 5, 9, 0)
        with tenant_context(world_a.tenant):
            services.ticket_set_priority(
                ticket=ticket, actor=world_a.users["agent"], priority="urgent"
            )
    assert world_a.refresh(ticket).next_update_due_at == at(2026, 3, 4, 11, 0)


def test_breach_is_recorded_once_per_due_time(world_a):
    with time_machine.travel(at(2026, 3, 4, 9, 0), tick=False) as clock:
        ticket = world_a.submit(priority="urgent")
        clock.move_to(at(2026, 3, 4, 10, 59))
        assert run_automations(tenants=[world_a.tenant]).breached == []
        clock.move_to(at(2026, 3, 4, 11, 0))
        assert run_automations(tenants=[world_a.tenant]).breached == [
            (world_a.tenant.slug, ticket.number)
        ]
        clock.move_to(at(2026, 3, 4, 15, 0))
        assert run_automations(tenants=[world_a.tenant]).breached == []
        # An update at 15:00 sets a new due time (17:00, two business hours later); missing
        # that one is a second, separate breach.
        world_a.reply(ticket, "agent", "Still checking", submit_as=S.OPEN)
        assert world_a.refresh(ticket).next_update_due_at == at(2026, 3, 4, 17, 0)
        clock.move_to(at(2026, 3, 4, 16, 59))
        assert run_automations(tenants=[world_a.tenant]).breached == []
        clock.move_to(at(2026, 3, 5, 9, 0))
        assert run_automations(tenants=[world_a.tenant]).breached == [
            (world_a.tenant.slug, ticket.number)
        ]
    with tenant_context(world_a.tenant):
        breaches = list(
            TicketEvent.objects.filter(ticket=ticket, kind=TicketEvent.Kind.SLA_BREACHED)
            .order_by("id")
            .values_list("after", flat=True)
        )
    assert breaches == [
        at(2026, 3, 4, 11, 0).astimezone(ZoneInfo("UTC")).isoformat(),
        at(2026, 3, 4, 17, 0).astimezone(ZoneInfo("UTC")).isoformat(),
    ]
