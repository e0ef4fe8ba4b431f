"""Reads of escalations, and the one rule for whether a ticket can be escalated now."""

from __future__ import annotations

from django.db.models import Prefetch

from escalations.models import EscalationAction, EscalationRequest
from tickets.models import Ticket


def request_blocker(ticket: Ticket, *, open_exists: bool) -> str | None:
    """Why a new escalation request is refused for this ticket, or None when it may be made.

    The service refuses with this message; the ticket pages hide the link on the same rule.
    """
    if ticket.status == Ticket.Status.CLOSED:
        return (
            f"Ticket #{ticket.number} is closed and cannot be escalated. Reply to it to open a "
            "follow-up ticket, and escalate that one."
        )
    if open_exists:
        return (
            f"An escalation request for ticket #{ticket.number} is already waiting for a "
            "manager. You can add details by replying to the ticket."
        )
    return None


def escalation_state(ticket: Ticket) -> dict:
    """The ticket's escalations with their decisions, and whether a new request can be made."""
    escalations = list(
        EscalationRequest.objects.filter(ticket=ticket)
        .prefetch_related(Prefetch("actions", queryset=EscalationAction.objects.order_by("id")))
        .order_by("-created_at")
    )
    open_exists = any(e.is_open for e in escalations)
    return {
        "escalations": escalations,
        "can_escalate": request_blocker(ticket, open_exists=open_exists) is None,
    }
