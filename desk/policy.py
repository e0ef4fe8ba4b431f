"""What the public support-policy page says, computed from the tenant's live settings.

The same settings drive the automation and the SLA clock, so the page cannot promise one
thing while the product does another.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime, timedelta

import holidays as calendars
from django.utils import timezone

from core.wording import duration_words
from desk import selectors
from desk.business_time import NoBusinessHours, _country_holidays, schedule_for
from desk.models import BusinessHours, PriorityLevel, TenantHoliday, clock_label
from desk.selectors import priority_levels
from tenants.models import Tenant

# What apps above this one add to the page, by name (tickets: "form_questions", the labels of the
# tenant's submission form). Filled in their AppConfig.ready(); this module imports none of them.
_CONTRIBUTIONS: dict[str, Callable[[], object]] = {}


def contribute(name: str, read: Callable[[], object]) -> None:
    """Add a fact to the policy page: ``read()`` runs in the tenant's context for each page."""
    _CONTRIBUTIONS[name] = read


def contribution(name: str) -> object | None:
    """One contributed fact for a page other than the policy page (the portal home)."""
    read = _CONTRIBUTIONS.get(name)
    return read() if read is not None else None


@dataclass
class PolicyView:
    tenant: Tenant
    hours_by_day: list[tuple[str, list[str]]]
    open_now: bool
    next_change: datetime | None
    priority_levels: list[PriorityLevel]
    upcoming_holidays: list[tuple[date, str]]
    solved_close_delay: str
    pending_solve_delay: str
    pending_reminder_before: str
    contributed: dict[str, object]


def policy_for(tenant: Tenant, now: datetime | None = None) -> PolicyView:
    now = now or timezone.now()
    schedule = schedule_for(tenant)
    days: dict[int, list[str]] = {}
    for interval in selectors.business_hours():
        days.setdefault(interval.weekday, []).append(
            f"{clock_label(interval.opens)}–{clock_label(interval.closes, closing=True)}"
        )
    names = BusinessHours.Weekday.labels
    try:
        open_now = schedule.is_open(now)
        next_change = schedule.next_closing(now) if open_now else schedule.next_opening(now)
    except NoBusinessHours:
        open_now, next_change = False, None
    today = now.astimezone(schedule.tz).date()
    horizon = today + timedelta(days=120)
    holidays = {
        d: n
        for d, n in TenantHoliday.objects.filter(date__gte=today, date__lte=horizon).values_list(
            "date", "name"
        )
    }
    if tenant.holiday_country:
        for year in {today.year, horizon.year}:
            if _country_holidays(tenant.holiday_country, year):
                for day, name in calendars.country_holidays(
                    tenant.holiday_country, years=year
                ).items():
                    if today <= day <= horizon:
                        holidays.setdefault(day, name)
    return PolicyView(
        tenant=tenant,
        hours_by_day=[(names[day], days[day]) for day in sorted(days)],
        open_now=open_now,
        next_change=next_change,
        priority_levels=priority_levels(),
        upcoming_holidays=sorted(holidays.items())[:6],
        solved_close_delay=duration_words(tenant.solved_close_delay),
        pending_solve_delay=duration_words(tenant.pending_solve_delay),
        pending_reminder_before=duration_words(tenant.pending_reminder_before),
        contributed={name: read() for name, read in _CONTRIBUTIONS.items()},
    )
