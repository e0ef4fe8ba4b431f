"""Reads of the desk's support settings.

The priority levels, the weekly hours and the holiday dates are read by most pages (the portal
home, ticket pages, every SLA computation) and change a few times a year: they are kept per
tenant (``tenants.kept``) and made again whenever one of their rows changes.
"""

from __future__ import annotations

from datetime import date

from desk.models import BusinessHours, PriorityLevel, TenantHoliday
from desk.priorities import RANK
from tenants.kept import kept


@kept("priority-levels", PriorityLevel)
def priority_levels() -> list[PriorityLevel]:
    """The tenant's priority definitions, most severe first."""
    return sorted(PriorityLevel.objects.all(), key=lambda level: RANK[level.priority])


@kept("business-hours", BusinessHours)
def business_hours() -> list[BusinessHours]:
    """The weekly schedule, Monday first, each day's intervals in order."""
    return list(BusinessHours.objects.order_by("weekday", "opens"))


@kept("holiday-dates", TenantHoliday)
def holiday_dates() -> frozenset[date]:
    """The dates of the tenant's own closing days."""
    return frozenset(TenantHoliday.objects.values_list("date", flat=True))


def holidays() -> list[TenantHoliday]:
    """The tenant's own closing dates, in date order."""
    return list(TenantHoliday.objects.order_by("date"))
