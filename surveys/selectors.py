"""Reads of satisfaction surveys: those sent in a stretch of days, the answers, one ticket's."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from django.db.models import QuerySet

from surveys.models import SurveyInvitation
from tenants.context import current_tenant
from tickets.models import Ticket

Rating = SurveyInvitation.Rating


def sent_between(start: date | None, end: date | None) -> QuerySet[SurveyInvitation]:
    """Surveys sent from ``start`` to ``end``, days of the tenant's calendar, both included;
    either end may be open. The CSAT report and the API's list count the same surveys."""
    zone = ZoneInfo(current_tenant().time_zone)
    surveys = SurveyInvitation.objects.all()
    if start is not None:
        surveys = surveys.filter(sent_at__gte=datetime.combine(start, time(0), tzinfo=zone))
    if end is not None:
        until = datetime.combine(end + timedelta(days=1), time(0), tzinfo=zone)
        surveys = surveys.filter(sent_at__lt=until)
    return surveys


def responses(
    *, start: date | None = None, end: date | None = None, rating: str = ""
) -> QuerySet[SurveyInvitation]:
    """Answered surveys (one rating, or both), newest sent first, with their ticket and agent.
    The order is the ``survey_sent`` index's; the id breaks ties so pages never overlap."""
    answered = sent_between(start, end).exclude(rating="")
    if rating:
        answered = answered.filter(rating=rating)
    return answered.select_related("ticket", "agent").order_by("-sent_at", "-pk")


def survey_for_ticket(ticket: Ticket) -> SurveyInvitation | None:
    """The ticket's survey (at most one), with the agent it is attributed to."""
    return SurveyInvitation.objects.select_related("agent").filter(ticket=ticket).first()
