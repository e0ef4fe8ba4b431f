"""Automatic assignment under concurrent submissions, on PostgreSQL: each submission decides
under the team's row lock, after the previous one committed, so the rotation never repeats a
member from stale state and the tickets spread evenly."""

from collections import Counter

import pytest
from django.db import transaction

from tenants.context import tenant_context
from tenants.models import AssignmentMode
from tests.concurrency import at_once
from tests.conftest import World
from tickets import services, teams
from tickets.models import Ticket, TicketEvent

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]
STAFF = ("agent", "manager", "admin")
SUBMISSIONS = 12


def _submissions(world, count):
    def submit(i):
        def call():
            with tenant_context(world.tenant):
                services.ticket_submit(
                    requester_email=f"c{i}@example.net",
                    subject=f"at once {i}",
                    description="Help",
                    channel=Ticket.Channel.API,
                )

        return call

    return [submit(i) for i in range(count)]


def _set_up(mode):
    world = World("race", "Race Support")
    with tenant_context(world.tenant):
        team = teams.team_create(name="Everyone")
        for role in STAFF:
            teams.team_member_add(team=team, membership=world.memberships[role])
        teams.assignment_settings_update(mode=mode, default_team=team)
    world.tenant.refresh_from_db()
    return world, team


def _decided(world):
    """The new tickets' assignees in submission (number) order."""
    with tenant_context(world.tenant):
        return list(
            Ticket.objects.filter(subject__startswith="at once")
            .order_by("number")
            .values_list("assignee_id", flat=True)
        )


def test_concurrent_round_robin_submissions_rotate_through_every_member_evenly():
    world, team = _set_up(AssignmentMode.ROUND_ROBIN)
    errors = at_once(_submissions(world, SUBMISSIONS))
    assert not errors, errors
    assignees = _decided(world)
    assert len(assignees) == SUBMISSIONS and None not in assignees
    assert Counter(assignees) == {world.users[r].pk: SUBMISSIONS // len(STAFF) for r in STAFF}
    # Decided from fresh state each time: any three consecutive tickets went to three
    # different people (two decisions from the same cursor would give one person two in a row).
    for i in range(SUBMISSIONS - len(STAFF) + 1):
        assert len(set(assignees[i : i + len(STAFF)])) == len(STAFF), assignees
    with tenant_context(world.tenant):
        team.refresh_from_db()
        last = assignees[-1]
        assert team.members.get(pk=team.rotation_cursor).membership.user_id == last
        assert (
            TicketEvent.objects.filter(
                kind=TicketEvent.Kind.ASSIGNEE_CHANGED, actor_kind="automation"
            ).count()
            == SUBMISSIONS
        )


def test_concurrent_least_open_submissions_end_balanced():
    world, _team = _set_up(AssignmentMode.LEAST_OPEN)
    errors = at_once(_submissions(world, SUBMISSIONS))
    assert not errors, errors
    counts = Counter(_decided(world))
    assert counts == {world.users[r].pk: SUBMISSIONS // len(STAFF) for r in STAFF}


def test_the_team_lock_alone_serializes_the_decisions():
    """Without submission's number counter in the way: decisions for tickets that already
    exist, all at once, each in its own transaction, queue on the team row alone."""
    world, _team = _set_up(AssignmentMode.OFF)
    made = []
    with tenant_context(world.tenant):
        for i in range(SUBMISSIONS):
            made.append(
                services.ticket_submit(
                    requester_email=f"c{i}@example.net", subject=f"at once {i}", description="H"
                )
            )
    world.tenant.assignment_mode = AssignmentMode.ROUND_ROBIN
    world.tenant.save(update_fields=["assignment_mode"])

    def decide(ticket):
        def call():
            with tenant_context(world.tenant), transaction.atomic():
                teams.assign_new_ticket(Ticket.objects.select_for_update().get(pk=ticket.pk))

        return call

    errors = at_once([decide(ticket) for ticket in made])
    assert not errors, errors
    with tenant_context(world.tenant):
        decided = list(
            TicketEvent.objects.filter(kind=TicketEvent.Kind.ASSIGNEE_CHANGED)
            .order_by("pk")
            .values_list("after", flat=True)
        )
    assert Counter(decided) == {world.users[r].email: SUBMISSIONS // len(STAFF) for r in STAFF}
    for i in range(SUBMISSIONS - len(STAFF) + 1):
        assert len(set(decided[i : i + len(STAFF)])) == len(STAFF), decided
