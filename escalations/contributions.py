"""What escalations add to the pages of the layers below it (ticket pages, navigation)."""

from __future__ import annotations

from escalations.models import EscalationEvent
from escalations.selectors import escalation_state, tickets_escalated, waiting_count
from tenants.navigation import register_badge
from tickets import cues, events, panels


def open_count_for(request) -> int:
    """The managers' badge: requests waiting for a first decision (0 for everyone else). One
    a manager has acted on is in progress and no longer counts."""
    membership = getattr(request, "membership", None)
    if membership is None or not membership.is_manager_or_admin:
        return 0
    return waiting_count()


def _state(ticket, membership) -> dict:
    return escalation_state(ticket)


def register() -> None:
    events.register(EscalationEvent.choices, owner="escalations")
    register_badge("escalations", open_count_for)
    # The queue's rows: a marker on tickets whose escalation is not settled yet.
    cues.register(
        cues.Cue(
            "escalated",
            "Escalated",
            "badge-escalated",
            tickets_escalated,
            title="An escalation request is waiting for, or being handled by, a manager",
        )
    )
    # The customer's page: the requests with their decisions, and the link to ask for one.
    panels.register(
        panels.Panel(
            "escalations", panels.PORTAL, panels.MAIN, "escalations/_panel_portal.html", _state
        )
    )
    # The agent's page: the same under the header, and "escalate for the customer" aside.
    panels.register(
        panels.Panel(
            "escalations", panels.AGENT, panels.MAIN, "escalations/_panel_agent.html", _state
        )
    )
    panels.register(
        panels.Panel(
            "escalate-for-customer",
            panels.AGENT,
            panels.SIDE,
            "escalations/_raise_for_customer.html",
            _state,
        )
    )
