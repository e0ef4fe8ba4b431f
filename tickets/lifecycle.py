"""The ticket lifecycle: the one place that knows which status changes are allowed.

    new ──► open ◄──► pending
     │       │  ▲        │
     │       ▼  │        ▼ (automation, after the tenant's pending delay)
     └─────► solved ─────► closed (automation only, after the solved delay; never left)

- An agent's public reply is submitted as open, pending (the customer must act) or solved.
- A customer's reply puts a new, pending or solved ticket back to open; on a closed ticket it
  creates a follow-up instead (see ``tickets.services``), and the closed ticket stays as it is.
- Only the automation closes, and nothing leaves closed; the one exception is a merge
  (``close_merged``): an agent merging a duplicate into another ticket closes the duplicate at
  once, with the reason "merged" and a pointer to where its conversation went.

Every change here stamps the status timestamps and writes a ``TicketEvent`` in the caller's
transaction. Anything else raises ``InvalidTransition``. ``transition_due`` is the
automation's form of ``transition`` for a whole batch: the same rules and stamps, applied in
one UPDATE and one INSERT of events.
"""

from __future__ import annotations

from datetime import timedelta

from django.db.models import F
from django.utils import timezone

from core.errors import Conflict, InvalidInput
from desk.priorities import Priority
from tenants import bulk
from tickets import events as event_kinds
from tickets import signals, sla
from tickets.models import Actor, Ticket, TicketEvent

Status = Ticket.Status


class InvalidTransition(Conflict):
    """A status, priority or assignee change the lifecycle does not allow (409). The message is
    fit to show to a person."""

    code = "invalid_transition"


# (from, to) -> who may make that change. Nothing else is allowed.
TRANSITIONS: dict[tuple[str, str], frozenset[str]] = {
    (Status.NEW, Status.OPEN): frozenset({Actor.AGENT, Actor.CUSTOMER}),
    (Status.NEW, Status.PENDING): frozenset({Actor.AGENT}),
    (Status.NEW, Status.SOLVED): frozenset({Actor.AGENT}),
    (Status.OPEN, Status.PENDING): frozenset({Actor.AGENT}),
    (Status.OPEN, Status.SOLVED): frozenset({Actor.AGENT}),
    (Status.PENDING, Status.OPEN): frozenset({Actor.AGENT, Actor.CUSTOMER}),
    (Status.PENDING, Status.SOLVED): frozenset({Actor.AGENT, Actor.AUTOMATION}),
    (Status.SOLVED, Status.OPEN): frozenset({Actor.AGENT, Actor.CUSTOMER}),
    (Status.SOLVED, Status.PENDING): frozenset({Actor.AGENT}),
    (Status.SOLVED, Status.CLOSED): frozenset({Actor.AUTOMATION}),
}

# What an agent may choose when submitting a public reply.
AGENT_SUBMIT_AS = (Status.OPEN, Status.PENDING, Status.SOLVED)


def allowed_targets(ticket: Ticket, actor_kind: str) -> list[str]:
    return [
        to for (frm, to), who in TRANSITIONS.items() if frm == ticket.status and actor_kind in who
    ]


def can_transition(ticket: Ticket, to: str, actor_kind: str) -> bool:
    return actor_kind in TRANSITIONS.get((ticket.status, to), frozenset())


def _explain(ticket: Ticket, to: str, actor_kind: str) -> str:
    if ticket.status == Status.CLOSED:
        return f"Ticket #{ticket.number} is closed and cannot change; reply to open a follow-up."
    if to == Status.CLOSED:
        return "Tickets are closed only by the automation, after they have been solved."
    if (ticket.status, to) in TRANSITIONS:
        return f"A {actor_kind} cannot move a ticket from {ticket.status} to {to}."
    return f"Ticket #{ticket.number} cannot go from {ticket.status} to {to}."


def transition(
    ticket: Ticket, to: str, *, actor_kind: str, actor=None, reason: str = "", at=None
) -> bool:
    """Move ``ticket`` to status ``to``; returns False when it already is there (no event).

    The caller holds the ticket row lock (``select_for_update``) and a transaction. ``at`` is
    for the automation: the moment the rule made the change due (pending since + delay), so the
    recorded times follow the policy to the minute however late the sweep ran.
    """
    if to not in Status.values:
        raise InvalidInput(f"Unknown status {to!r}.")
    if ticket.status == to and to != Status.CLOSED:
        return False
    if not can_transition(ticket, to, actor_kind):
        raise InvalidTransition(_explain(ticket, to, actor_kind))
    if to == Status.SOLVED and ticket.assignee_id is None:
        if actor_kind == Actor.AGENT and actor is not None:
            # Solving needs an owner: an agent who solves an unassigned ticket takes it.
            assign(ticket, actor, actor=actor, actor_kind=actor_kind)
        elif actor_kind != Actor.AUTOMATION:
            raise InvalidTransition("Assign the ticket before solving it.")
    now = at if at is not None and actor_kind == Actor.AUTOMATION else timezone.now()
    _move(ticket, to, now=now, actor=actor, actor_kind=actor_kind, reason=reason, due_at=at)
    return True


def _move(ticket: Ticket, to: str, *, now, actor, actor_kind: str, reason: str, due_at=None):
    """Set the status with its stamps, save, record the event and settle the SLA fields."""
    before = ticket.status
    ticket.status = to
    ticket.status_changed_at = now
    ticket.pending_since = now if to == Status.PENDING else None
    ticket.pending_reminded_at = None
    if to == Status.SOLVED:
        ticket.solved_at = now
    elif to == Status.CLOSED:
        ticket.closed_at = now
        # A ticket closed without having been solved (a merged duplicate) is settled now.
        ticket.solved_at = ticket.solved_at or now
    else:
        ticket.solved_at = None
    ticket.save(
        update_fields=[
            "status",
            "status_changed_at",
            "pending_since",
            "pending_reminded_at",
            "solved_at",
            "closed_at",
            "assignee",
            "merged_into",
            "updated_at",
        ]
    )
    record(
        ticket,
        TicketEvent.Kind.STATUS_CHANGED,
        actor=actor,
        actor_kind=actor_kind,
        before=before,
        after=to,
        data={
            k: v for k, v in (("reason", reason), ("due_at", due_at and due_at.isoformat())) if v
        },
    )
    # Back to work (pending/solved -> open): the agent's clock restarts now. Leaving open:
    # nothing is owed while the customer is asked or the ticket is solved.
    reentered = to in sla.OWES_UPDATE and before not in sla.OWES_UPDATE
    sla.refresh(ticket, anchor=now if reentered else None)


MERGED = "merged"  # the reason on a merged ticket's status event


def close_merged(ticket: Ticket, *, into: Ticket, actor) -> None:
    """Close ``ticket`` as a duplicate merged ``into`` another, by an agent, at once.

    The only way to closed besides the automation: the duplicate's conversation now lives on
    the other ticket, so nothing is left to solve here. A closed ticket stays closed (nothing
    merges it again), and the pointer is saved with the status in one statement (the database
    allows ``merged_into`` on closed tickets only). The caller holds both rows' locks.
    """
    if ticket.status == Status.CLOSED:
        raise InvalidTransition(_explain(ticket, Status.CLOSED, Actor.AGENT))
    ticket.merged_into = into
    _move(
        ticket,
        Status.CLOSED,
        now=timezone.now(),
        actor=actor,
        actor_kind=Actor.AGENT,
        reason=MERGED,
    )


# Where the automation's change stamps its due time, by target status.
_DUE_STAMP = {Status.SOLVED: "solved_at", Status.CLOSED: "closed_at"}


def transition_due(
    tickets: list[Ticket], to: str, *, since: str, delay: timedelta, reason: str
) -> list[TicketEvent]:
    """The automation's ``transition`` of a batch of tickets, all in one status, to ``to``,
    each stamped at its own due time: its ``since`` field (``pending_since``, ``solved_at``)
    plus ``delay``. Returns the events, one per ticket.

    The caller holds the rows' locks (the automation's ``SKIP LOCKED`` claim) and a
    transaction. What each ticket ends with is what ``transition(..., at=due)`` would leave:
    status and stamps, the pending fields cleared, the SLA fields as ``sla.refresh`` leaves
    them for a status that owes nothing, and one status event with the reason and due time.
    """
    if not tickets:
        return []
    before = tickets[0].status
    if any(ticket.status != before for ticket in tickets):
        raise ValueError("A batch transition moves tickets of one status.")
    if not can_transition(tickets[0], to, Actor.AUTOMATION) or to not in _DUE_STAMP:
        raise InvalidTransition(_explain(tickets[0], to, Actor.AUTOMATION))
    now = timezone.now()
    due = F(since) + delay  # per row, in the statement; the same sum as in Python below
    changed = Ticket.objects.filter(pk__in=[ticket.pk for ticket in tickets], status=before).update(
        status=to,
        status_changed_at=due,
        pending_since=None,
        pending_reminded_at=None,
        **{_DUE_STAMP[to]: due},
        **sla.settled(to),
        updated_at=now,
    )
    if changed != len(tickets):
        raise InvalidTransition("Some tickets of the batch changed meanwhile.")
    stamps = []
    for ticket in tickets:
        at = getattr(ticket, since) + delay
        stamps.append(at)
        ticket.status = to
        ticket.status_changed_at = at
        ticket.pending_since = None
        ticket.pending_reminded_at = None
        setattr(ticket, _DUE_STAMP[to], at)
        sla.settle(ticket)
        ticket.updated_at = now
    return record_many(
        tickets,
        TicketEvent.Kind.STATUS_CHANGED,
        actor_kind=Actor.AUTOMATION,
        before=before,
        after=to,
        data=[{"reason": reason, "due_at": at.isoformat()} for at in stamps],
    )


def assign(
    ticket: Ticket, assignee, *, actor, actor_kind: str = Actor.AGENT, data: dict | None = None
) -> bool:
    """Give the ticket to ``assignee`` (None: nobody). ``data`` says why, for the automation's
    choices (the rule and team)."""
    if ticket.status == Status.CLOSED:
        raise InvalidTransition(_explain(ticket, Status.CLOSED, actor_kind))
    if ticket.assignee_id == (assignee.pk if assignee else None):
        return False
    if assignee is None and ticket.status == Status.SOLVED:
        raise InvalidTransition("A solved ticket keeps its assignee; reassign it instead.")
    before = ticket.assignee.email if ticket.assignee_id else ""
    ticket.assignee = assignee
    ticket.save(update_fields=["assignee", "updated_at"])
    record(
        ticket,
        TicketEvent.Kind.ASSIGNEE_CHANGED,
        actor=actor,
        actor_kind=actor_kind,
        before=before,
        after=assignee.email if assignee else "",
        data=data,
    )
    return True


def set_team(
    ticket: Ticket, team, *, actor, actor_kind: str = Actor.AGENT, reason: str = ""
) -> bool:
    """Route the ticket to ``team`` (None: no team); the timeline keeps both names and ids,
    so the history reads right after a team is renamed or deleted. Closed tickets keep theirs.
    """
    if ticket.status == Status.CLOSED:
        raise InvalidTransition(_explain(ticket, Status.CLOSED, actor_kind))
    if ticket.team_id == (team.pk if team else None):
        return False
    before = ticket.team.name if ticket.team_id else ""
    data = {"from": ticket.team_id, "to": team.pk if team else None}
    if reason:
        data["reason"] = reason
    ticket.team = team
    ticket.save(update_fields=["team", "updated_at"])
    record(
        ticket,
        TicketEvent.Kind.TEAM_CHANGED,
        actor=actor,
        actor_kind=actor_kind,
        before=before,
        after=team.name if team else "",
        data=data,
    )
    return True


def set_priority(ticket: Ticket, priority: str, *, actor, actor_kind: str = Actor.AGENT) -> bool:
    if priority not in Priority.values:
        raise InvalidInput(f"Unknown priority {priority!r}.")
    if ticket.status == Status.CLOSED:
        raise InvalidTransition(_explain(ticket, Status.CLOSED, actor_kind))
    if ticket.priority == priority:
        return False
    before = ticket.priority
    ticket.priority = priority
    ticket.save(update_fields=["priority", "updated_at"])
    sla.refresh(ticket)  # a new priority has its own targets
    record(
        ticket,
        TicketEvent.Kind.PRIORITY_CHANGED,
        actor=actor,
        actor_kind=actor_kind,
        before=before,
        after=priority,
    )
    return True


def record(
    ticket: Ticket,
    kind: str,
    *,
    actor=None,
    actor_kind: str = Actor.AGENT,
    before: str = "",
    after: str = "",
    data: dict | None = None,
) -> TicketEvent:
    """Append one event to the ticket's timeline (same transaction as the change)."""
    event = TicketEvent.objects.create(
        ticket=ticket,
        actor=actor,
        actor_kind=actor_kind,
        kind=kind,
        before=before,
        after=after,
        data=data or {},
    )
    signals.ticket_events_recorded.send(sender=TicketEvent, events=[event])
    return event


def record_many(
    tickets: list[Ticket],
    kind: str,
    *,
    actor_kind: str,
    before: str | list[str] = "",
    after: str | list[str] = "",
    data: dict | list[dict] | None = None,
) -> list[TicketEvent]:
    """``record`` for a batch: one event of ``kind`` on each ticket, in one INSERT, and one
    ``ticket_events_recorded`` for them all. ``before``, ``after`` and ``data`` are one value
    for every ticket, or a list with one per ticket. No actor: batches are the automation's.
    """
    if not tickets:
        return []
    if not event_kinds.is_registered(kind):
        raise ValueError(f"Unregistered ticket event kind {kind!r} (tickets/events.py).")
    each = {"ticket_id": [ticket.pk for ticket in tickets]}
    same = {"kind": kind, "actor_kind": actor_kind}
    columns = {"before": before, "after": after, "data": {} if data is None else data}
    for name, value in columns.items():
        (each if isinstance(value, list) else same)[name] = value
    events = bulk.insert_objects(TicketEvent, same=same, each=each)
    ticket_field = TicketEvent._meta.get_field("ticket")
    for event, ticket in zip(events, tickets, strict=True):
        ticket_field.set_cached_value(event, ticket)  # receivers read event.ticket
    signals.ticket_events_recorded.send(sender=TicketEvent, events=events)
    return events
