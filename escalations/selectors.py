"""Reads of escalations, and the one rule for whether a ticket can be escalated now."""

from __future__ import annotations

from datetime import timedelta
from zoneinfo import ZoneInfo

from django.db.models import (
    Avg,
    Count,
    DateField,
    DurationField,
    ExpressionWrapper,
    F,
    Prefetch,
    QuerySet,
)
from django.db.models.functions import TruncMonth
from django.shortcuts import get_object_or_404
from django.utils import timezone

from core import charts
from core.wording import elapsed_words
from escalations.models import EscalationAction, EscalationRequest
from tenants.context import current_tenant
from tickets.models import Ticket


def request_blocker(ticket: Ticket, *, active: EscalationRequest | None) -> str | None:
    """Why a new escalation request is refused for this ticket, or None when it may be made.

    ``active`` is the ticket's unsettled request, if any (one at a time). The service refuses
    with this message; the ticket pages and the request page show it instead of the form.
    """
    if ticket.status == Ticket.Status.CLOSED:
        return (
            f"Ticket #{ticket.number} is closed and cannot be escalated. Reply to it to open a "
            "follow-up ticket, and escalate that one."
        )
    if active is not None and active.is_waiting:
        return (
            f"An escalation request for ticket #{ticket.number} is already waiting for a "
            "manager. You can add details by replying to the ticket."
        )
    if active is not None:
        return (
            f"A manager is already handling the escalation of ticket #{ticket.number}. You can "
            "add details by replying to the ticket; once that request is resolved you can ask "
            "again."
        )
    return None


def active_request(ticket: Ticket) -> EscalationRequest | None:
    """The ticket's unsettled request (waiting or in progress), if any."""
    return (
        EscalationRequest.objects.filter(
            ticket=ticket, status__in=EscalationRequest.ACTIVE_STATUSES
        )
        .order_by("-created_at")
        .first()
    )


def escalation_state(ticket: Ticket) -> dict:
    """The ticket's escalations with their decisions, and whether (or why not) a new request
    can be made."""
    escalations = list(
        EscalationRequest.objects.filter(ticket=ticket)
        .prefetch_related(Prefetch("actions", queryset=EscalationAction.objects.order_by("id")))
        .order_by("-created_at")
    )
    active = next((e for e in escalations if e.is_active), None)
    blocker = request_blocker(ticket, active=active)
    return {"escalations": escalations, "can_escalate": blocker is None, "blocker": blocker}


def _listed():
    return EscalationRequest.objects.select_related(
        "ticket", "requested_by", "raised_by_agent", "ticket__assignee"
    )


def _queue(status: str):
    # The id breaks ties: pages of the list (the API's) never repeat or skip a request.
    return _listed().filter(status=status).order_by("created_at", "pk")


# The API's lists: the review queue, the requests being handled, or every request.
LIST_STATES = ("open", "in_progress", "all")


def request_list(state: str) -> QuerySet[EscalationRequest]:
    """``open`` (the review queue) and ``in_progress`` oldest first, as on the managers' page;
    ``all`` newest first."""
    if state == "all":
        return _listed().order_by("-created_at", "-pk")
    return _queue(state)


def open_requests() -> list[EscalationRequest]:
    """The managers' review queue: requests waiting for a first decision, oldest first."""
    return list(_queue(EscalationRequest.Status.OPEN))


def requests_in_progress() -> list[EscalationRequest]:
    """Requests a manager has acted on and not yet settled, oldest first, with the decisions."""
    requests = list(
        _queue(EscalationRequest.Status.IN_PROGRESS).prefetch_related(
            Prefetch("actions", queryset=EscalationAction.objects.order_by("id"))
        )
    )
    for request in requests:
        actions = list(request.actions.all())
        request.latest_action = actions[-1] if actions else None
    return requests


def tickets_escalated(ticket_ids: list[int]) -> list[int]:
    """Which of these tickets have an escalation request not yet settled (one query)."""
    return list(
        EscalationRequest.objects.filter(
            ticket_id__in=ticket_ids, status__in=EscalationRequest.ACTIVE_STATUSES
        ).values_list("ticket_id", flat=True)
    )


def waiting_count() -> int:
    """Requests waiting for a manager's first decision: the managers' badge and report."""
    return EscalationRequest.objects.filter(status=EscalationRequest.Status.OPEN).count()


def request_for_review(pk: int) -> EscalationRequest:
    """One request with its ticket and decisions (404 for a missing or another tenant's)."""
    return get_object_or_404(
        EscalationRequest.objects.select_related(
            "ticket", "requested_by", "raised_by_agent"
        ).prefetch_related(
            Prefetch(
                "actions",
                queryset=EscalationAction.objects.select_related("actor").order_by("id"),
            )
        ),
        pk=pk,
    )


def monthly_report() -> dict:
    """Requests per month (decided, mean time to the first decision), outcomes, open now."""
    decided = ExpressionWrapper(
        F("first_action_at") - F("created_at"), output_field=DurationField()
    )
    # Months of the tenant's calendar, as dates: the same rows whoever reads the report.
    zone = ZoneInfo(current_tenant().time_zone)
    months = list(
        EscalationRequest.objects.annotate(
            month=TruncMonth("created_at", output_field=DateField(), tzinfo=zone)
        )
        .values("month")
        .annotate(
            requests=Count("id"),
            decided=Count("first_action_at"),
            time_to_decision=Avg(decided),
        )
        .order_by("-month")
    )
    for month in months:
        average = month["time_to_decision"]
        month["time_to_decision_words"] = elapsed_words(average) if average is not None else ""
    outcomes = dict(
        EscalationAction.objects.values_list("kind").annotate(n=Count("id")).order_by("kind")
    )
    labels = dict(EscalationAction.Kind.choices)
    return {
        "months": months,
        "outcomes": [(labels[k], n) for k, n in outcomes.items()],
        "open_count": waiting_count(),
        "in_progress_count": EscalationRequest.objects.filter(
            status=EscalationRequest.Status.IN_PROGRESS
        ).count(),
        "months_chart": _months_chart(months, timezone.now().astimezone(zone).date()),
    }


def _months_chart(months: list[dict], today) -> charts.Chart:
    """Requests in each of the last twelve months of the tenant's calendar (no query)."""
    requests = {row["month"]: row["requests"] for row in months}
    first = today.replace(day=1)
    days = []
    for _ in range(12):
        days.insert(0, first)
        first = (first - timedelta(days=1)).replace(day=1)
    return charts.columns(
        id="escalations-months",
        title="Escalation requests, last 12 months",
        data=[
            charts.Datum(f"{day:%b} {day.year}", requests.get(day, 0), detail=f"{day:%B %Y}")
            for day in days
        ],
        y_label="Requests",
        x_label="Month",
        empty_text="No escalation requests in the last 12 months.",
    )
