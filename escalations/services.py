"""Escalations: a customer (or an agent for them) asks; managers decide, step by step.

Every request and every decision is recorded on the request, on the ticket's timeline and in
an email to the customer, in one transaction.
"""

from __future__ import annotations

import zoneinfo
from datetime import datetime, timedelta

from django.db import IntegrityError, transaction
from django.utils import dateformat, timezone

from core.errors import DomainError
from core.time_zones import is_known_zone
from desk.business_time import NoBusinessHours, schedule_for
from desk.priorities import Priority
from escalations.models import EscalationAction, EscalationEvent, EscalationRequest
from escalations.selectors import active_request, request_blocker
from outbox.services import email_enqueue
from tenants.context import current_tenant
from tenants.models import Membership
from tenants.selectors import is_staff_user
from tickets import lifecycle
from tickets import services as ticket_services
from tickets.lifecycle import Actor
from tickets.models import Ticket
from tickets.selectors import visible_tickets


class EscalationError(DomainError):
    """A refused escalation step; the message is fit to show to the person. Input problems are
    400; refusals for who asks use status 403, for the request's or ticket's state 409."""

    code = "escalation_refused"


Kind = EscalationAction.Kind

# A closed ticket never changes again (tickets.lifecycle), so on its request a manager can only
# settle the request itself; reassigning, reprioritising or scheduling a call would change (or
# promise work on) a ticket nobody can work on any more. The customer's way on is a follow-up.
CLOSED_TICKET_DECISIONS = frozenset({Kind.RESOLVE, Kind.DECLINE})

# How far ahead a conversation may be scheduled: generous for any real plan, and a bound keeps
# the time convertible into every time zone (a call typed for 9999-12-31 is year 10000 in
# UTC+14, which Python cannot represent).
CONVERSATION_HORIZON = timedelta(days=5 * 366)


def decisions_allowed(ticket: Ticket) -> frozenset[str]:
    """The decisions a manager can take on a request for this ticket (forms and services)."""
    if ticket.status == Ticket.Status.CLOSED:
        return CLOSED_TICKET_DECISIONS
    return frozenset(Kind.values)


def _closed_on(ticket: Ticket) -> str:
    zone = zoneinfo.ZoneInfo(current_tenant().time_zone)
    return dateformat.format(ticket.closed_at.astimezone(zone), "M j, Y")


_FOLLOW_UP = (
    "can no longer be reassigned, given a new priority or a scheduled conversation. Resolve or "
    "decline this request; the customer can reply to the ticket to open a follow-up."
)


def closed_ticket_note(ticket: Ticket) -> str | None:
    """What the managers' page says about a request whose ticket closed (None otherwise)."""
    if ticket.status != Ticket.Status.CLOSED:
        return None
    return f"This ticket closed on {_closed_on(ticket)}; it {_FOLLOW_UP}"


def closed_ticket_reply(ticket: Ticket) -> str:
    """A suggested note to the customer when settling a closed ticket's request."""
    return (
        f"Ticket #{ticket.number} closed on {_closed_on(ticket)}. If you still need help, reply "
        "to it and a follow-up ticket will be opened for you."
    )


def _review_due(now: datetime) -> datetime:
    tenant = current_tenant()
    try:
        return schedule_for(tenant).add(now, tenant.escalation_review_minutes)
    except NoBusinessHours:
        return now + timedelta(minutes=tenant.escalation_review_minutes)


def _email(request: EscalationRequest, template: str, key: str, recipient: str, **context):
    tenant = current_tenant()
    ticket = request.ticket
    email_enqueue(
        template=template,
        recipient=recipient,
        key=f"escalation:{request.pk}:{key}:{recipient}",
        context={
            "ticket": ticket,
            "request": request,
            "ticket_url": tenant.url(f"/tickets/{ticket.number}/"),
            "review_url": tenant.url(f"/agent/escalations/{request.pk}/"),
            **context,
        },
        ticket=ticket,
    )


@transaction.atomic
def escalation_request(
    *,
    ticket: Ticket,
    actor,
    membership: Membership,
    reason: str,
    requested_priority: str,
    contact_phone: str = "",
    best_times: str = "",
    contact_time_zone: str = "",
) -> EscalationRequest:
    """Ask for a manager's review of a ticket the actor can see (agents: for the customer)."""
    if not visible_tickets(membership).filter(pk=ticket.pk).exists():
        raise EscalationError("You can only escalate your own tickets.", status=403)
    ticket = Ticket.objects.select_for_update().get(pk=ticket.pk)
    blocker = request_blocker(ticket, active=active_request(ticket))
    if blocker:
        raise EscalationError(blocker, status=409)
    if not reason.strip():
        raise EscalationError("Tell us why this ticket needs a manager's attention.")
    if requested_priority not in Priority.values:
        raise EscalationError("Choose the priority you need.")
    if contact_time_zone and not is_known_zone(contact_time_zone):
        raise EscalationError(f"{contact_time_zone} is not a time zone we know.")
    on_behalf = membership.is_staff_role
    now = timezone.now()
    try:
        with transaction.atomic():
            request = EscalationRequest.objects.create(
                ticket=ticket,
                requested_by=(ticket.requester or actor) if on_behalf else actor,
                raised_by_agent=actor if on_behalf else None,
                reason=reason.strip(),
                requested_priority=requested_priority,
                contact_phone=contact_phone.strip(),
                best_times=best_times.strip(),
                contact_time_zone=contact_time_zone,
                review_due_at=_review_due(now),
            )
    except IntegrityError:  # a concurrent request won the race for the one unsettled slot
        raise EscalationError(
            f"An escalation request for ticket #{ticket.number} is already waiting for a manager.",
            status=409,
        ) from None
    lifecycle.record(
        ticket,
        EscalationEvent.REQUESTED,
        actor=actor,
        actor_kind=Actor.AGENT if on_behalf else Actor.CUSTOMER,
        after=requested_priority,
        data={"request": request.pk, "reason": request.reason, "on_behalf": on_behalf},
    )
    _email(request, "escalation_received", "received", ticket.requester_email)
    for manager in Membership.objects.filter(
        role__in=[Membership.Role.MANAGER, Membership.Role.ADMIN]
    ).select_related("user"):
        _email(request, "escalation_new_manager", "new", manager.user.email)
    return request


def _decide(
    request: EscalationRequest, actor, membership: Membership, kind: str
) -> EscalationRequest:
    if not membership.is_manager_or_admin:
        raise EscalationError("Only managers decide escalation requests.", status=403)
    # FOR UPDATE with select_related locks the ticket row too: the automation (which skips
    # locked rows) cannot close the ticket between this check and the decision's change.
    request = (
        EscalationRequest.objects.select_for_update().select_related("ticket").get(pk=request.pk)
    )
    if not request.is_active:
        raise EscalationError("This escalation request has already been resolved.", status=409)
    ticket = request.ticket
    if kind not in decisions_allowed(ticket):
        raise EscalationError(
            f"Ticket #{ticket.number} closed on {_closed_on(ticket)} and {_FOLLOW_UP}", status=409
        )
    return request


def _record(request, actor, kind: str, data: dict, *, resolve: str | None = None):
    """The decision on the request: the first one ends the wait for a manager (out of the review
    queue and its badge); resolving or declining settles the request."""
    now = timezone.now()
    action = EscalationAction.objects.create(request=request, actor=actor, kind=kind, data=data)
    request.first_action_at = request.first_action_at or now
    if resolve:
        request.status = resolve
        request.resolved_at = now
    else:
        request.status = EscalationRequest.Status.IN_PROGRESS
    request.save(update_fields=["status", "first_action_at", "resolved_at", "updated_at"])
    lifecycle.record(
        request.ticket,
        EscalationEvent.DECIDED,
        actor=actor,
        actor_kind=Actor.AGENT,
        after=kind,
        data={"request": request.pk, **data},
    )
    _email(
        request,
        "escalation_decision",
        f"action{action.pk}",
        request.ticket.requester_email,
        action=action,
        data=data,
    )
    return action


@transaction.atomic
def escalation_schedule_conversation(
    *, request, actor, membership, at: datetime, channel: str, note: str = ""
) -> EscalationAction:
    request = _decide(request, actor, membership, Kind.CONVERSATION)
    now = timezone.now()
    if at <= now:
        raise EscalationError("Choose a time in the future for the conversation.")
    if at > now + CONVERSATION_HORIZON:
        raise EscalationError("Choose a time within the next five years for the conversation.")
    if not channel.strip():
        raise EscalationError("Say how you will talk (phone, video call...).")
    tenant_zone = current_tenant().time_zone
    customer_zone = request.contact_time_zone or tenant_zone
    fmt = "%A, %B %d, %H:%M %Z"
    data = {
        "at": at.isoformat(),
        "channel": channel.strip(),
        "note": note.strip(),
        "at_tenant": at.astimezone(zoneinfo.ZoneInfo(tenant_zone)).strftime(fmt),
        "at_customer": at.astimezone(zoneinfo.ZoneInfo(customer_zone)).strftime(fmt),
    }
    return _record(request, actor, EscalationAction.Kind.CONVERSATION, data)


@transaction.atomic
def escalation_reassign(*, request, actor, membership, agent, note: str) -> EscalationAction:
    request = _decide(request, actor, membership, Kind.REASSIGN)
    if not is_staff_user(agent):
        raise EscalationError("Reassign to an agent of this helpdesk.")
    ticket_services.ticket_assign(ticket=request.ticket, actor=actor, assignee=agent)
    if note.strip():
        # The note to the new agent stays internal: on the ticket, never sent to the customer.
        ticket_services.ticket_reply(
            ticket=request.ticket,
            author=actor,
            membership=membership,
            body=f"Escalation handed to you: {note.strip()}",
            public=False,
        )
    _email(request, "escalation_reassigned_agent", f"agent{agent.pk}", agent.email, note=note)
    return _record(
        request,
        actor,
        EscalationAction.Kind.REASSIGN,
        {"agent": agent.display_name, "agent_id": agent.pk},
    )


@transaction.atomic
def escalation_change_priority(*, request, actor, membership, priority: str) -> EscalationAction:
    request = _decide(request, actor, membership, Kind.PRIORITY)
    if priority not in Priority.values:
        raise EscalationError("Choose a priority.")
    ticket_services.ticket_set_priority(ticket=request.ticket, actor=actor, priority=priority)
    return _record(
        request, actor, EscalationAction.Kind.PRIORITY, {"priority": Priority(priority).label}
    )


@transaction.atomic
def escalation_decline(*, request, actor, membership, reason: str) -> EscalationAction:
    request = _decide(request, actor, membership, Kind.DECLINE)
    if not reason.strip():
        raise EscalationError("Give the customer a reason for declining.")
    return _record(
        request,
        actor,
        EscalationAction.Kind.DECLINE,
        {"reason": reason.strip()},
        resolve=EscalationRequest.Status.DECLINED,
    )


@transaction.atomic
def escalation_resolve(*, request, actor, membership, note: str = "") -> EscalationAction:
    request = _decide(request, actor, membership, Kind.RESOLVE)
    return _record(
        request,
        actor,
        EscalationAction.Kind.RESOLVE,
        {"note": note.strip()},
        resolve=EscalationRequest.Status.RESOLVED,
    )


def escalation_decide(
    *,
    request,
    actor,
    membership,
    kind: str,
    at: datetime | None = None,
    channel: str = "",
    agent=None,
    priority: str = "",
    note: str = "",
) -> EscalationAction:
    """One decision of any kind, with the decision form's fields (the page and the API): each
    kind by its own service, which checks what it needs."""
    common = {"request": request, "actor": actor, "membership": membership}
    match kind:
        case Kind.CONVERSATION:
            if at is None:
                raise EscalationError("Choose the date and time of the call.")
            return escalation_schedule_conversation(**common, at=at, channel=channel, note=note)
        case Kind.REASSIGN:
            return escalation_reassign(**common, agent=agent, note=note)
        case Kind.PRIORITY:
            return escalation_change_priority(**common, priority=priority)
        case Kind.DECLINE:
            return escalation_decline(**common, reason=note)
        case Kind.RESOLVE:
            return escalation_resolve(**common, note=note)
    raise EscalationError(f"Choose one of: {', '.join(Kind.values)}.")
