"""Every lifecycle rule, through the real services."""

import pytest

from core.errors import InvalidInput, NotAllowed
from desk.priorities import Priority
from tenants.context import tenant_context
from tickets import lifecycle, services
from tickets.lifecycle import Actor, InvalidTransition
from tickets.models import Comment, Ticket, TicketEvent

S = Ticket.Status


def events(world, ticket, kind=None):
    with tenant_context(world.tenant):
        rows = TicketEvent.objects.filter(ticket=ticket).order_by("id")
        if kind:
            rows = rows.filter(kind=kind)
        return [(e.kind, e.before, e.after) for e in rows]


def status_changes(world, ticket):
    return [(b, a) for _k, b, a in events(world, ticket, TicketEvent.Kind.STATUS_CHANGED)]


def automation(world, ticket, to):
    with tenant_context(world.tenant):
        locked = Ticket.objects.select_for_update().get(pk=ticket.pk)
        lifecycle.transition(locked, to, actor_kind=Actor.AUTOMATION)
    return world.refresh(ticket)


@pytest.fixture
def ticket(world_a):
    return world_a.submit(subject="Restore fails", answers={"os": "macOS 14"})


def test_submission_makes_a_new_ticket_with_its_description_and_a_created_event(world_a, ticket):
    assert ticket.status == S.NEW
    assert ticket.number == world_a.ticket.number + 1
    with tenant_context(world_a.tenant):
        (comment,) = ticket.comments.all()
    assert comment.is_public and comment.body == "It does not work."
    assert events(world_a, ticket) == [("created", "", "new")]


@pytest.mark.parametrize("submit_as", [S.OPEN, S.PENDING, S.SOLVED])
def test_agent_public_reply_submits_as_open_pending_or_solved(world_a, ticket, submit_as):
    world_a.reply(ticket, "agent", "Here is what to do", submit_as=submit_as)
    ticket = world_a.refresh(ticket)
    assert ticket.status == submit_as
    assert ticket.first_replied_at is not None
    assert status_changes(world_a, ticket) == [("new", submit_as)]
    assert (ticket.pending_since is not None) == (submit_as == S.PENDING)
    assert (ticket.solved_at is not None) == (submit_as == S.SOLVED)


def test_agent_reply_cannot_submit_as_closed_or_new_and_leaves_nothing_behind(world_a, ticket):
    for target in (S.CLOSED, S.NEW):
        with pytest.raises(InvalidInput, match="cannot be submitted as"):
            world_a.reply(ticket, "agent", "x", submit_as=target)
    with tenant_context(world_a.tenant):
        assert Comment.objects.filter(ticket=ticket).count() == 1  # only the description
    assert world_a.refresh(ticket).status == S.NEW


def test_solving_an_unassigned_ticket_assigns_it_to_the_solving_agent(world_a, ticket):
    assert ticket.assignee_id is None
    world_a.reply(ticket, "agent", "Fixed", submit_as=S.SOLVED)
    ticket = world_a.refresh(ticket)
    assert ticket.assignee_id == world_a.users["agent"].pk
    kinds = [k for k, _b, _a in events(world_a, ticket)]
    assert kinds.index("assignee_changed") < kinds.index("status_changed")


def test_solving_keeps_an_existing_assignee(world_a, ticket):
    with tenant_context(world_a.tenant):
        services.ticket_assign(
            ticket=ticket, actor=world_a.users["manager"], assignee=world_a.users["manager"]
        )
    world_a.reply(ticket, "agent", "Fixed", submit_as=S.SOLVED)
    assert world_a.refresh(ticket).assignee_id == world_a.users["manager"].pk


@pytest.mark.parametrize("start", [S.NEW, S.PENDING, S.SOLVED])
def test_customer_reply_reopens_new_pending_and_solved_tickets(world_a, ticket, start):
    if start != S.NEW:
        world_a.reply(ticket, "agent", "Please check", submit_as=start)
    world_a.reply(ticket, "customer", "Still broken")
    ticket = world_a.refresh(ticket)
    assert ticket.status == S.OPEN
    assert ticket.pending_since is None and ticket.solved_at is None
    assert status_changes(world_a, ticket)[-1] == (start, S.OPEN)


def test_customer_reply_to_an_open_ticket_keeps_it_open_without_a_status_event(world_a, ticket):
    world_a.reply(ticket, "agent", "Looking", submit_as=S.OPEN)
    world_a.reply(ticket, "customer", "Thanks")
    assert status_changes(world_a, world_a.refresh(ticket)) == [("new", "open")]


def test_customers_cannot_write_internal_notes(world_a, ticket):
    with pytest.raises(NotAllowed) as refused:
        world_a.reply(ticket, "customer", "secret", public=False)
    assert (refused.value.status, refused.value.code) == (403, "not_allowed")


def test_internal_note_does_not_change_status_unless_asked(world_a, ticket):
    world_a.reply(ticket, "agent", "Checked logs", public=False)
    ticket = world_a.refresh(ticket)
    assert ticket.status == S.NEW and ticket.first_replied_at is None
    world_a.reply(ticket, "agent", "Waiting on engineering", public=False, submit_as=S.PENDING)
    assert world_a.refresh(ticket).status == S.PENDING


def test_only_the_automation_closes_and_only_solved_tickets(world_a, ticket):
    world_a.reply(ticket, "agent", "Done", submit_as=S.SOLVED)
    with tenant_context(world_a.tenant), pytest.raises(InvalidTransition, match="automation"):
        services.ticket_set_status(ticket=ticket, actor=world_a.users["admin"], status=S.CLOSED)
    closed = automation(world_a, ticket, S.CLOSED)
    assert closed.status == S.CLOSED and closed.closed_at and closed.solved_at
    other = world_a.submit()
    world_a.reply(other, "agent", "Need logs", submit_as=S.PENDING)
    with pytest.raises(InvalidTransition):
        automation(world_a, other, S.CLOSED)  # pending goes to solved first


def test_automation_solves_pending_tickets_even_unassigned(world_a, ticket):
    world_a.reply(ticket, "agent", "Need logs", submit_as=S.PENDING)
    with tenant_context(world_a.tenant):
        Ticket.objects.filter(pk=ticket.pk).update(assignee=None)
    solved = automation(world_a, world_a.refresh(ticket), S.SOLVED)
    assert solved.status == S.SOLVED and solved.pending_since is None


@pytest.fixture
def closed(world_a, ticket):
    with tenant_context(world_a.tenant):
        services.ticket_set_priority(
            ticket=ticket, actor=world_a.users["agent"], priority=Priority.URGENT
        )
    world_a.reply(ticket, "agent", "Done", submit_as=S.SOLVED)
    return automation(world_a, ticket, S.CLOSED)


def test_closed_is_never_left(world_a, closed):
    snapshot = (closed.status, closed.updated_at, closed.priority, closed.assignee_id)
    attempts = [
        lambda: world_a.reply(closed, "agent", "reopen?", submit_as=S.OPEN),
        lambda: world_a.reply(closed, "agent", "note", public=False),
        lambda: automation(world_a, closed, S.CLOSED),
        lambda: automation(world_a, closed, S.SOLVED),
    ]
    for target in (S.OPEN, S.PENDING, S.SOLVED, S.NEW):
        attempts.append(
            lambda t=target: services.ticket_set_status(
                ticket=closed, actor=world_a.users["admin"], status=t
            )
        )
    attempts.append(
        lambda: services.ticket_set_priority(
            ticket=closed, actor=world_a.users["agent"], priority=Priority.LOW
        )
    )
    attempts.append(
        lambda: services.ticket_assign(
            ticket=closed, actor=world_a.users["agent"], assignee=world_a.users["admin"]
        )
    )
    with tenant_context(world_a.tenant):
        for attempt in attempts:
            with pytest.raises(InvalidTransition):
                attempt()
    closed = world_a.refresh(closed)
    assert (closed.status, closed.updated_at, closed.priority, closed.assignee_id) == snapshot


def test_customer_reply_to_closed_creates_a_linked_follow_up_and_leaves_it_untouched(
    world_a, closed
):
    with tenant_context(world_a.tenant):
        before = (closed.updated_at, closed.comments.count(), closed.events.count())
    follow_up = world_a.reply(closed, "customer", "It is back")
    assert follow_up.pk != closed.pk
    assert follow_up.follow_up_of_id == closed.pk
    assert follow_up.channel == Ticket.Channel.FOLLOW_UP
    assert follow_up.status == S.NEW
    # Copied: requester, organization, form answers. Not copied: messages, priority, assignee.
    assert follow_up.requester_id == closed.requester_id
    assert follow_up.requester_email == closed.requester_email
    assert follow_up.organization_id == closed.organization_id
    assert follow_up.form_answers == closed.form_answers == {"os": "macOS 14"}
    assert closed.priority == Priority.URGENT and follow_up.priority == Priority.NORMAL
    assert closed.assignee_id is not None and follow_up.assignee_id is None
    with tenant_context(world_a.tenant):
        assert [c.body for c in follow_up.comments.all()] == ["It is back"]
        closed_now = Ticket.objects.get(pk=closed.pk)
        after = (closed_now.updated_at, closed_now.comments.count(), closed_now.events.count())
        created = follow_up.events.get(kind=TicketEvent.Kind.CREATED)
    assert after == before
    assert created.data["follow_up_of"] == closed.number


def test_set_priority_and_assign_write_events_and_refuse_bad_values(world_a, ticket):
    with tenant_context(world_a.tenant):
        services.ticket_set_priority(ticket=ticket, actor=world_a.users["agent"], priority="high")
        services.ticket_set_priority(ticket=ticket, actor=world_a.users["agent"], priority="high")
        with pytest.raises(InvalidInput):
            services.ticket_set_priority(
                ticket=ticket, actor=world_a.users["agent"], priority="critical"
            )
        with pytest.raises(InvalidInput, match="agents"):
            services.ticket_assign(
                ticket=ticket, actor=world_a.users["agent"], assignee=world_a.users["customer"]
            )
    assert events(world_a, ticket, TicketEvent.Kind.PRIORITY_CHANGED) == [
        ("priority_changed", "normal", "high")
    ]


def test_events_are_immutable(world_a, ticket):
    with tenant_context(world_a.tenant):
        event = TicketEvent.objects.filter(ticket=ticket).first()
        event.after = "forged"
        with pytest.raises(TypeError):
            event.save()
        with pytest.raises(TypeError):
            TicketEvent.objects.filter(ticket=ticket).update(after="forged")
        with pytest.raises(TypeError):
            TicketEvent.objects.filter(ticket=ticket).delete()
        with pytest.raises(TypeError):
            event.delete()


def test_the_transition_table_has_no_way_out_of_closed_and_no_way_in_but_automation():
    for (frm, to), who in lifecycle.TRANSITIONS.items():
        assert frm != S.CLOSED
        if to == S.CLOSED:
            assert frm == S.SOLVED and who == {Actor.AUTOMATION}


def test_a_solved_ticket_cannot_lose_its_assignee(world_a, ticket):
    world_a.reply(ticket, "agent", "Done", submit_as=S.SOLVED)
    with tenant_context(world_a.tenant), pytest.raises(InvalidTransition, match="assignee"):
        services.ticket_assign(ticket=ticket, actor=world_a.users["agent"], assignee=None)
    assert world_a.refresh(ticket).assignee_id == world_a.users["agent"].pk
