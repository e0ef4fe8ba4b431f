"""Business time: when a tenant is open, and arithmetic in open minutes.

A ``Schedule`` is a tenant's weekly opening intervals (in its own time zone) minus its holidays
(a country's public holidays from the ``holidays`` package plus the tenant's own dates).
Everything is computed on real instants: a local interval is turned into aware datetimes for
each date, so weekends, holidays, midnight and daylight-saving changes need no special cases
(on the spring-forward night an interval from 01:00 to 04:00 lasts two real hours).

- ``is_open(t)``, ``next_opening(t)``
- ``add(t, minutes)``: the instant ``minutes`` business minutes after ``t``
- ``elapsed(a, b)``: business minutes between two instants

A closing time of 00:00 means the end of that day (an interval up to midnight).
"""

from __future__ import annotations

import zoneinfo
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from functools import lru_cache

import holidays as holiday_calendars

from desk import selectors
from tenants.context import current_tenant_or_none, in_cross_tenant_context, tenant_context

MAX_DAYS_SCANNED = 3 * 366  # a schedule with no open minute in three years is misconfigured


class NoBusinessHours(ValueError):
    """The schedule has no open time at all, so business time cannot advance."""


@lru_cache(maxsize=256)
def _country_holidays(country: str, year: int) -> frozenset[date]:
    if not country:
        return frozenset()
    try:
        return frozenset(holiday_calendars.country_holidays(country, years=year))
    except NotImplementedError:
        return frozenset()


@dataclass(frozen=True)
class Schedule:
    time_zone: str
    # weekday (0 = Monday) -> ((opens, closes), ...) in local wall-clock time.
    weekly: dict[int, tuple[tuple[time, time], ...]]
    holiday_country: str = ""
    extra_holidays: frozenset[date] = field(default_factory=frozenset)

    def __post_init__(self):
        zoneinfo.ZoneInfo(self.time_zone)  # fails loudly on a bad zone

    def __hash__(self):
        return hash(
            (
                self.time_zone,
                tuple(sorted(self.weekly.items())),
                self.holiday_country,
                self.extra_holidays,
            )
        )

    @property
    def tz(self) -> zoneinfo.ZoneInfo:
        return zoneinfo.ZoneInfo(self.time_zone)

    @property
    def has_hours(self) -> bool:
        return any(self.weekly.values())

    def is_holiday(self, day: date) -> bool:
        return day in self.extra_holidays or day in _country_holidays(
            self.holiday_country, day.year
        )

    def business_day_minutes(self) -> int:
        """One business day: the average length of the open days of the week (540 for 8-17)."""
        lengths = [
            sum(_minutes(opens, closes) for opens, closes in intervals)
            for intervals in self.weekly.values()
            if intervals
        ]
        if not lengths:
            raise NoBusinessHours("No business hours are configured.")
        return round(sum(lengths) / len(lengths))

    def intervals_on(self, day: date) -> list[tuple[datetime, datetime]]:
        """The open intervals of a local date, as aware instants (in UTC), in order."""
        return _intervals_on(self, day)

    def _intervals_from(self, moment: datetime):
        """Open intervals ending after ``moment``, in order, scanning forward day by day."""
        if not self.has_hours:
            raise NoBusinessHours("No business hours are configured: add opening hours first.")
        day = moment.astimezone(self.tz).date() - timedelta(days=1)  # overnight spill-over
        for _ in range(MAX_DAYS_SCANNED):
            for start, end in self.intervals_on(day):
                if end > moment:
                    yield start, end
            day += timedelta(days=1)
        raise NoBusinessHours("No open business time within three years (all holidays?).")

    def is_open(self, moment: datetime) -> bool:
        return any(start <= moment < end for start, end in self._around(moment))

    def _around(self, moment: datetime):
        local = moment.astimezone(self.tz).date()
        return self.intervals_on(local - timedelta(days=1)) + self.intervals_on(local)

    def next_opening(self, moment: datetime) -> datetime:
        """``moment`` itself when open, else the start of the next open interval."""
        for start, _end in self._intervals_from(moment):
            return max(start, moment)
        raise NoBusinessHours("No business hours are configured.")

    def next_closing(self, moment: datetime) -> datetime | None:
        for start, end in self._around(moment):
            if start <= moment < end:
                return end
        return None

    def add(self, moment: datetime, minutes: float) -> datetime:
        """The instant ``minutes`` business minutes after ``moment``."""
        if minutes < 0:
            raise ValueError("Only forward business time is supported.")
        remaining = timedelta(minutes=minutes)
        for start, end in self._intervals_from(moment):
            start = max(start, moment)
            if remaining <= end - start:
                return start + remaining
            remaining -= end - start
        raise NoBusinessHours("No business hours are configured.")

    def elapsed(self, start: datetime, end: datetime) -> float:
        """Business minutes between two instants (0 when ``end`` is not after ``start``)."""
        if end <= start:
            return 0.0
        if not self.has_hours:
            raise NoBusinessHours("No business hours are configured.")
        total = timedelta()
        day = start.astimezone(self.tz).date() - timedelta(days=1)
        last = end.astimezone(self.tz).date()
        while day <= last:
            for opens, closes in self.intervals_on(day):
                overlap = min(closes, end) - max(opens, start)
                if overlap > timedelta():
                    total += overlap
            day += timedelta(days=1)
        return total.total_seconds() / 60


def _minutes(opens: time, closes: time) -> int:
    end = 24 * 60 if closes == time(0) else closes.hour * 60 + closes.minute
    return end - (opens.hour * 60 + opens.minute)


@lru_cache(maxsize=65536)
def _intervals_on(schedule: Schedule, day: date) -> list[tuple[datetime, datetime]]:
    if schedule.is_holiday(day):
        return []
    tz = schedule.tz
    result = []
    for opens, closes in schedule.weekly.get(day.weekday(), ()):
        start = datetime.combine(day, opens, tzinfo=tz)
        end_day = day + timedelta(days=1) if closes == time(0) else day
        end = datetime.combine(end_day, closes, tzinfo=tz)
        # Compare as real instants: across DST an interval may be shorter or longer.
        start_utc, end_utc = (
            start.astimezone(zoneinfo.ZoneInfo("UTC")),
            end.astimezone(zoneinfo.ZoneInfo("UTC")),
        )
        if end_utc > start_utc:
            result.append((start_utc, end_utc))
    return result


def schedule_for(tenant) -> Schedule:
    """The tenant's schedule from its settings (its hours and holidays are kept per tenant)."""

    current = current_tenant_or_none()
    if current is not None and current.pk == tenant.pk and not in_cross_tenant_context():
        intervals, extra = selectors.business_hours(), selectors.holiday_dates()
    else:
        with tenant_context(tenant):
            intervals, extra = selectors.business_hours(), selectors.holiday_dates()
    weekly: dict[int, list[tuple[time, time]]] = {}
    for interval in intervals:
        weekly.setdefault(interval.weekday, []).append((interval.opens, interval.closes))
    return Schedule(
        time_zone=tenant.time_zone,
        weekly={day: tuple(intervals) for day, intervals in weekly.items()},
        holiday_country=tenant.holiday_country,
        extra_holidays=extra,
    )
