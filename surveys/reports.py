"""CSAT figures: satisfaction = good / rated, response rate = rated / sent, per dimension.

Empty groups and periods give None (shown as "—"), never a division by zero. Reports cover
dates in ``core.periods.FIRST_DAY``..``LAST_DAY`` only (see ``core.periods.range_problem``).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from zoneinfo import ZoneInfo

from django.db.models import Count, Q
from django.db.models.functions import TruncMonth, TruncWeek

from core import charts
from core.periods import next_period, period_label, period_start, range_problem
from desk.priorities import Priority
from surveys.models import SurveyInvitation
from surveys.selectors import sent_between
from tenants.context import current_tenant
from tenants.models import Organization

GOOD = SurveyInvitation.Rating.GOOD
BAD = SurveyInvitation.Rating.BAD

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
    cursor = period_start(start, period)
    while cursor <= end:
        r = by_period.get(cursor, {"sent": 0, "good": 0, "bad": 0})
        periods.append(Row(period_label(cursor, period), r["sent"], r["good"], r["bad"]))
        starts.append(cursor)
        cursor = next_period(cursor, period)
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


def _short_label(day: date, period: str) -> str:
    """The axis's label: "Mar 2026" for a month, "Mar 2" for the week starting then."""
    return f"{day:%b} {day.year}" if period == "month" else f"{day:%b} {day.day}"
