"""What surveys add to the pages of the layers below it: the rating on the agent's ticket page."""

from __future__ import annotations

from surveys.models import SurveyEvent
from surveys.selectors import survey_for_ticket
from tickets import events, panels


def _survey(ticket, membership) -> dict | None:
    survey = survey_for_ticket(ticket)
    return {"survey": survey} if survey else None


def register() -> None:
    events.register(SurveyEvent.choices, owner="surveys")
    panels.register(
        panels.Panel("survey", panels.AGENT, panels.SIDE, "surveys/_panel_agent.html", _survey)
    )
