"""The managers' time report: minutes logged by agent, by organization and by period (day,
week or month) over a range of days, in the helpdesk's calendar and time zone.

An entry counts on the day it was logged (``created_at``; a timer's entry: when it was
stopped). Each figure is one grouped query over the ``timeentry_period`` index's range; the
organization is the ticket's.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from zoneinfo import ZoneInfo

from django.contrib.auth import get_user_model
from django.db.models import Count, Sum
from django.db.models.functions import TruncDay, TruncMonth, TruncWeek

from core import periods
from core.wording import time_spent
from tenants.context import current_tenant
from tenants.models import Organization
from tickets.models import TimeEntry

TRUNC = {"day": TruncDay, "week": TruncWeek, "month": TruncMonth}
# Daily figures for at most about a quarter: a longer range reads by week or month.
MAX_DAILY_DAYS = 92
SUMS = {"minutes": Sum("minutes"), "entries": Count("id")}


@dataclass(frozen=True)
class Row:
    label: str
    minutes: int
    entries: int
    key: object = None  # the agent's or organization's id, the period's first day

    @property
    def hours(self) -> str:
        """Decimal hours for spreadsheets, to the hundredth: 90 -> "1.50"."""
        return f"{self.minutes / 60:.2f}"

    @property
    def spent(self) -> str:
        return time_spent(self.minutes)


def entries_between(start: date, end: date):
    """Entries logged from ``start`` to ``end``, both included, days of the helpdesk's
    calendar."""
    since, until = periods.bounds(start, end, ZoneInfo(current_tenant().time_zone))
    return TimeEntry.objects.filter(created_at__gte=since, created_at__lt=until)


def _row(label: str, sums: dict, key=None) -> Row:
    return Row(label, sums["minutes"] or 0, sums["entries"] or 0, key)


def range_problem(start: date, end: date, period: str) -> str | None:
    """Why the report cannot cover ``start``..``end`` per ``period`` (page and API alike)."""
    problem = periods.range_problem(start, end)
    if problem is None and period == "day" and (end - start).days >= MAX_DAILY_DAYS:
        problem = f"Choose at most {MAX_DAILY_DAYS} days for daily figures, or show weeks."
    return problem


def time_report(start: date, end: date, period: str = "week") -> dict:
    if period not in TRUNC:
        raise ValueError(f"Unknown period {period!r}.")
    problem = range_problem(start, end, period)
    if problem:
        raise ValueError(problem)
    zone = ZoneInfo(current_tenant().time_zone)
    entries = entries_between(start, end)

    by_agent_sums = list(entries.values("agent_id").annotate(**SUMS).order_by("agent_id"))
    people = {
        user.pk: user.display_name
        for user in get_user_model().objects.filter(
            pk__in=[r["agent_id"] for r in by_agent_sums if r["agent_id"]]
        )
    }
    by_agent = sorted(
        (_row(people.get(r["agent_id"], "Former agent"), r, r["agent_id"]) for r in by_agent_sums),
        key=lambda row: (-row.minutes, row.label.lower()),
    )

    by_org_sums = list(
        entries.values("ticket__organization_id").annotate(**SUMS).order_by("ticket__organization")
    )
    ids = [r["ticket__organization_id"] for r in by_org_sums if r["ticket__organization_id"]]
    names = dict(Organization.objects.filter(pk__in=ids).values_list("id", "name"))
    by_organization = sorted(
        (
            _row(
                names.get(r["ticket__organization_id"], "No organization"),
                r,
                r["ticket__organization_id"],
            )
            for r in by_org_sums
        ),
        key=lambda row: (-row.minutes, row.label.lower()),
    )

    buckets = {}
    for r in (
        entries.annotate(bucket=TRUNC[period]("created_at", tzinfo=zone))
        .values("bucket")
        .annotate(**SUMS)
        .order_by("bucket")
    ):
        day = r["bucket"].date() if hasattr(r["bucket"], "date") else r["bucket"]
        buckets[day] = r
    by_period = [
        _row(
            periods.period_label(first, period),
            buckets.get(first, {"minutes": 0, "entries": 0}),
            first,
        )
        for first in periods.period_starts(start, end, period)
    ]
    total = entries.aggregate(**SUMS)
    return {
        "total": _row("All", total),
        "by_agent": by_agent,
        "by_organization": by_organization,
        "by_period": by_period,
        "period": period,
    }


CSV_HEADER = ["dimension", "group", "minutes", "hours", "entries"]


def csv_rows(report: dict):
    """The report as CSV rows (text cells are made formula-safe by ``core.exports``)."""
    for dimension in ("by_agent", "by_organization", "by_period"):
        for row in report[dimension]:
            yield [dimension.removeprefix("by_"), row.label, row.minutes, row.hours, row.entries]
    total = report["total"]
    yield ["total", "All", total.minutes, total.hours, total.entries]
