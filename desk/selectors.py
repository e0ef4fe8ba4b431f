"""Reads of the desk's support settings."""

from __future__ import annotations

from desk.models import BusinessHours, PriorityLevel, TenantHoliday
from desk.priorities import RANK


def priority_levels() -> list[PriorityLevel]:
    """The tenant's priority definitions, most severe first."""
    return sorted(PriorityLevel.objects.all(), key=lambda level: RANK[level.priority])


def business_hours() -> list[BusinessHours]:
    """The weekly schedule, Monday first, each day's intervals in order."""
    return list(BusinessHours.objects.order_by("weekday", "opens"))


def holidays() -> list[TenantHoliday]:
    """The tenant's own closing dates, in date order."""
    return list(TenantHoliday.objects.order_by("date"))
