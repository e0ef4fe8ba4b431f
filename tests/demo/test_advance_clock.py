"""demo_advance_clock: a newcomer sees auto-close and the survey without waiting two days."""

from datetime import timedelta
from io import StringIO

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from outbox.models import OutboxEmail
from surveys.models import SurveyInvitation
from tenants.context import tenant_context
from tickets.models import Ticket, TicketEvent

Status = Ticket.Status


@pytest.fixture
def debug(settings):
    settings.DEBUG = True


def _advance(world, ticket, *args) -> str:
    out = StringIO()
    call_command(
        "demo_advance_clock", str(ticket.number), "--tenant", world.tenant.slug, *args, stdout=out
    )
    return out.getvalue()


def _templates(world, ticket) -> list[str]:
    with tenant_context(world.tenant):
        return list(
            OutboxEmail.objects.filter(ticket=ticket)
            .order_by("pk")
            .values_list("template", flat=True)
        )


def test_a_solved_ticket_closes_and_its_survey_is_queued(world_a, debug):
    ticket = world_a.submit(subject="Restore fails")
    ticket = world_a.reply(ticket, "agent", "Fixed on our side.", submit_as=Status.SOLVED)
    assert world_a.tenant.solved_close_delay == timedelta(days=2)

    out = _advance(world_a, ticket)

    world_a.refresh(ticket)
    assert ticket.status == Status.CLOSED
    # The survey, sent at once, is the closing's email (no separate closed email).
    assert _templates(world_a, ticket)[-1:] == ["survey_invitation"]
    assert "ticket_closed" not in _templates(world_a, ticket)
    with tenant_context(world_a.tenant):
        assert SurveyInvitation.objects.filter(ticket=ticket).exists()
        # The whole history moved back together: the timeline still reads in order.
        times = list(
            TicketEvent.objects.filter(ticket=ticket)
            .order_by("pk")
            .values_list("created_at", flat=True)
        )
    assert times == sorted(times)
    assert ticket.created_at <= ticket.solved_at <= ticket.closed_at
    assert f"#{ticket.number} is now closed." in out
    assert "email queued:" in out and "/agent/demo/emails/" in out


def test_a_pending_ticket_is_solved_then_a_second_run_closes_it(world_a, debug):
    ticket = world_a.submit()
    ticket = world_a.reply(ticket, "agent", "Please send the logs.", submit_as=Status.PENDING)

    out = _advance(world_a, ticket)
    assert world_a.refresh(ticket).status == Status.SOLVED
    assert "Run it again" in out

    _advance(world_a, ticket)
    assert world_a.refresh(ticket).status == Status.CLOSED
    assert "survey_invitation" in _templates(world_a, ticket)


def test_days_too_few_leave_the_ticket_as_it_was(world_a, debug):
    ticket = world_a.reply(world_a.submit(), "agent", "Done.", submit_as=Status.SOLVED)
    _advance(world_a, ticket, "--days", "1")
    assert world_a.refresh(ticket).status == Status.SOLVED


def test_refused_outside_the_demo(world_a, settings):
    settings.DEBUG = False
    ticket = world_a.reply(world_a.submit(), "agent", "Done.", submit_as=Status.SOLVED)
    with pytest.raises(CommandError, match="only in the demo"):
        _advance(world_a, ticket)
    assert world_a.refresh(ticket).status == Status.SOLVED


def test_explains_what_it_cannot_do(world_a, debug):
    open_ticket = world_a.submit()
    with pytest.raises(CommandError, match="only pending and solved"):
        _advance(world_a, open_ticket)
    with pytest.raises(CommandError, match="no ticket #999"):
        call_command("demo_advance_clock", "999", "--tenant", world_a.tenant.slug)
    with pytest.raises(CommandError, match="No tenant"):
        call_command("demo_advance_clock", "1", "--tenant", "nope")
    with pytest.raises(CommandError, match="--days"):
        _advance(world_a, open_ticket, "--days", "0")
