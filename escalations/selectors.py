"""Reads of escalations, and the one rule for whether a ticket can be escalated now."""

from __future__ import annotations

from django.db.models import Avg, Count, DurationField, ExpressionWrapper, F, Prefetch
from django.db.models.functions import TruncMonth
from django.shortcuts import get_object_or_404

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


def open_requests() -> list[EscalationRequest]:
    """The managers' review queue: open requests, oldest first."""
    return list(
        EscalationRequest.objects.filter(status=EscalationRequest.Status.OPEN)
        .select_related("ticket", "requested_by", "ticket__assignee")
        .order_by("created_at")
    )


def request_for_review(pk: int) -> EscalationRequest:
    """One request with its ticket and decisions (404 for a missing or another tenant's)."""
    return get_object_or_404(
        EscalationRequest.objects.select_related("ticket", "requested_by").prefetch_related(
            Prefetch("actions", queryset=EscalationAction.objects.select_related("actor"))
        ),
        pk=pk,
    )


def monthly_report() -> dict:
    """Requests per month (decided, mean time to the first decision), outcomes, open now."""
    decided = ExpressionWrapper(
        F("first_action_at") - F("created_at"), output_field=DurationField()
    )
    months = list(
        EscalationRequest.objects.annotate(month=TruncMonth("created_at"))
        .values("month")
        .annotate(
            requests=Count("id"),
            decided=Count("first_action_at"),
            time_to_decision=Avg(decided),
        )
        .order_by("-month")
    )
    outcomes = dict(
        EscalationAction.objects.values_list("kind").annotate(n=Count("id")).order_by("kind")
    )
    labels = dict(EscalationAction.Kind.choices)
    return {
        "months": months,
        "outcomes": [(labels[k], n) for k, n in outcomes.items()],
        "open_count": EscalationRequest.objects.filter(
            status=EscalationRequest.Status.OPEN
        ).count(),
    }
