"""Escalations: a customer (or an agent for them) asks; managers decide, step by step.

Every request and every decision is recorded on the request, on the ticket's timeline and in
an email to the customer, in one transaction.
"""

from __future__ import annotations

import zoneinfo
from datetime import datetime, timedelta

from django.db import IntegrityError, transaction
from django.utils import timezone

from escalations.models import EscalationAction, EscalationRequest
from escalations.selectors import request_blocker
from outbox.services import email_enqueue
from tenants.business_time import NoBusinessHours, schedule_for
from tenants.context import current_tenant
from tenants.models import Membership
from tenants.selectors import is_staff_user
from tickets import lifecycle
from tickets import services as ticket_services
from tickets.lifecycle import Actor, InvalidTransition
from tickets.models import Ticket, TicketEvent
from tickets.priorities import Priority
from tickets.selectors import visible_tickets


class EscalationError(InvalidTransition):
    """A refused escalation step; the message is fit to show to the person."""


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
        raise EscalationError("You can only escalate your own tickets.")
    ticket = Ticket.objects.select_for_update().get(pk=ticket.pk)
    open_exists = EscalationRequest.objects.filter(
        ticket=ticket, status=EscalationRequest.Status.OPEN
    ).exists()
    blocker = request_blocker(ticket, open_exists=open_exists)
    if blocker:
        raise EscalationError(blocker)
    if not reason.strip():
        raise EscalationError("Tell us why this ticket needs a manager's attention.")
    if requested_priority not in Priority.values:
        raise EscalationError("Choose the priority you need.")
    if contact_time_zone and contact_time_zone not in zoneinfo.available_timezones():
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
    except IntegrityError:  # a concurrent request won the race for the one open slot
        raise EscalationError(
            f"An escalation request for ticket #{ticket.number} is already waiting for a manager."
        ) from None
    lifecycle.record(
        ticket,
        TicketEvent.Kind.ESCALATION_REQUESTED,
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


def _decide(request: EscalationRequest, actor, membership: Membership) -> EscalationRequest:
    if not membership.is_manager_or_admin:
        raise EscalationError("Only managers decide escalation requests.")
    request = (
        EscalationRequest.objects.select_for_update().select_related("ticket").get(pk=request.pk)
    )
    if not request.is_open:
        raise EscalationError("This escalation request has already been resolved.")
    return request


def _record(request, actor, kind: str, data: dict, *, resolve: str | None = None):
    now = timezone.now()
    action = EscalationAction.objects.create(request=request, actor=actor, kind=kind, data=data)
    request.first_action_at = request.first_action_at or now
    fields = ["first_action_at", "updated_at"]
    if resolve:
        request.status = resolve
        request.resolved_at = now
        fields += ["status", "resolved_at"]
    request.save(update_fields=fields)
    lifecycle.record(
        request.ticket,
        TicketEvent.Kind.ESCALATION_ACTION,
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
    request = _decide(request, actor, membership)
    if at <= timezone.now():
        raise EscalationError("Choose a time in the future for the conversation.")
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
    request = _decide(request, actor, membership)
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
    request = _decide(request, actor, membership)
    ticket_services.ticket_set_priority(ticket=request.ticket, actor=actor, priority=priority)
    return _record(
        request, actor, EscalationAction.Kind.PRIORITY, {"priority": Priority(priority).label}
    )


@transaction.atomic
def escalation_decline(*, request, actor, membership, reason: str) -> EscalationAction:
    request = _decide(request, actor, membership)
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
    request = _decide(request, actor, membership)
    return _record(
        request,
        actor,
        EscalationAction.Kind.RESOLVE,
        {"note": note.strip()},
        resolve=EscalationRequest.Status.RESOLVED,
    )
