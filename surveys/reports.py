"""CSAT figures: satisfaction = good / rated, response rate = rated / sent, per dimension.

Empty groups and periods give None (shown as "—"), never a division by zero. Reports cover
dates in ``FIRST_DAY``..``LAST_DAY`` only (see ``range_problem``).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from zoneinfo import ZoneInfo

from django.db.models import Count, Q
from django.db.models.functions import TruncMonth, TruncWeek

from core import charts
from desk.priorities import Priority
from surveys.models import SurveyInvitation
from surveys.selectors import sent_between
from tenants.context import current_tenant
from tenants.models import Organization

GOOD = SurveyInvitation.Rating.GOOD
BAD = SurveyInvitation.Rating.BAD

# The dates a report may cover: any real helpdesk history and plans, and far enough from
# date.min/date.max (and from the year limits of every UTC offset) that the day after the end,
# the Monday of the first week and the first of the month after the last always exist.
FIRST_DAY = date(2000, 1, 1)
LAST_DAY = date(2100, 12, 31)
# The longest range one report covers (two years, a leap day included).
MAX_DAYS = 731


def _day(day: date) -> str:
    return f"{day:%b} {day.day}, {day.year}"


def window_problem(day: date) -> str | None:
    """Why ``day`` cannot be reported on, or None when it can."""
    if FIRST_DAY <= day <= LAST_DAY:
        return None
    return f"Choose a date between {_day(FIRST_DAY)} and {_day(LAST_DAY)}."


def range_problem(start: date, end: date) -> str | None:
    """Why ``start``..``end`` cannot be reported on, or None when it can (form and report)."""
    problem = window_problem(start) or window_problem(end)
    if problem:
        return problem
    if start > end:
        return "The start date must be before the end date."
    if (end - start).days > MAX_DAYS:
        return "Choose at most two years."
    return None


COUNTS = {
    "sent": Count("id"),
    "good": Count("id", filter=Q(rating=GOOD)),
    "bad": Count("id", filter=Q(rating=BAD)),
}


@dataclass
class Row:
    label: str
    sent: int
    good: int
    bad: int

    @property
    def rated(self) -> int:
        return self.good + self.bad

    @property
    def score(self) -> float | None:
        return self.good / self.rated if self.rated else None

    @property
    def response_rate(self) -> float | None:
        return self.rated / self.sent if self.sent else None


def _rows(invitations, field: str, label_of) -> list[Row]:
    rows = invitations.values(field).annotate(**COUNTS).order_by(field)
    return [Row(label_of(r[field]), r["sent"], r["good"], r["bad"]) for r in rows]


def csat(start: date, end: date, period: str = "week") -> dict:
    problem = range_problem(start, end)
    if problem:
        raise ValueError(problem)
    zone = ZoneInfo(current_tenant().time_zone)
    invitations = sent_between(start, end)
    total = invitations.aggregate(**COUNTS)
    agents = {
        pk: name or email
        for pk, name, email in invitations.values_list(
            "agent_id", "agent__name", "agent__email"
        ).distinct()
    }
    organizations = dict(Organization.objects.values_list("id", "name"))
    trunc = TruncMonth if period == "month" else TruncWeek
    by_period = {
        r["bucket"].date() if hasattr(r["bucket"], "date") else r["bucket"]: r
        for r in invitations.annotate(bucket=trunc("sent_at", tzinfo=zone))
        .values("bucket")
        .annotate(**COUNTS)
        .order_by("bucket")
    }
    periods = []
    starts = []
    cursor = _period_start(start, period)
    while cursor <= end:
        r = by_period.get(cursor, {"sent": 0, "good": 0, "bad": 0})
        periods.append(Row(_period_label(cursor, period), r["sent"], r["good"], r["bad"]))
        starts.append(cursor)
        cursor = _next_period(cursor, period)
    latest = list(
        invitations.exclude(rating="")
        .exclude(comment="")
        .select_related("ticket", "agent")
        .order_by("-answered_at")[:10]
    )
    by_agent = _rows(invitations, "agent_id", lambda pk: agents.get(pk) or "Unassigned")
    return {
        "total": Row("All", total["sent"], total["good"], total["bad"]),
        "by_agent": by_agent,
        "by_priority": _rows(
            invitations, "ticket__priority", lambda p: Priority(p).label if p else "—"
        ),
        "by_organization": _rows(
            invitations,
            "ticket__organization_id",
            lambda pk: organizations.get(pk, "No organization"),
        ),
        "by_period": periods,
        "latest": latest,
        "trend_chart": _trend_chart(starts, periods, period),
        "agent_chart": _agent_chart(by_agent),
    }


# --- Charts (core.charts draws them; the tables keep the exact figures) ---------------------


def _percent(value: float | None) -> str:
    return "no ratings" if value is None else f"{value * 100:.0f}%"


def _trend_chart(starts: list[date], rows: list[Row], period: str) -> charts.Chart:
    word = "month" if period == "month" else "week"
    return charts.columns(
        id="csat-trend",
        title=f"Satisfaction per {word}",
        data=[
            charts.Datum(_short_label(day, period), row.score, _percent(row.score), row.label)
            for day, row in zip(starts, rows, strict=True)
        ],
        y_label="Rated good",
        x_label="Month" if period == "month" else "Week starting",
        empty_text="No ratings in this period yet.",
        percent=True,
        tone="good",
    )


def _agent_chart(rows: list[Row]) -> charts.Chart:
    return charts.bars(
        id="csat-agents",
        title="Satisfaction by agent",
        category="Agent",
        axis_label="Rated good",
        data=[
            charts.Datum(
                row.label,
                row.score,
                f"{_percent(row.score)} ({row.good} of {row.rated})" if row.rated else "no ratings",
            )
            for row in rows
        ],
        empty_text="No agent has a rating in this period yet.",
        percent=True,
        tone="good",
    )


def _period_start(day: date, period: str) -> date:
    return day.replace(day=1) if period == "month" else day - timedelta(days=day.weekday())


def _next_period(day: date, period: str) -> date:
    if period == "month":
        return (day.replace(day=28) + timedelta(days=4)).replace(day=1)
    return day + timedelta(days=7)


def _period_label(day: date, period: str) -> str:
    return day.strftime("%B %Y") if period == "month" else f"Week of {day:%b %d, %Y}"


def _short_label(day: date, period: str) -> str:
    """The axis's label: "Mar 2026" for a month, "Mar 2" for the week starting then."""
    return f"{day:%b} {day.year}" if period == "month" else f"{day:%b} {day.day}"
