"""Date ranges that reports cover, and the periods (day, week, month) they are cut into.

Every report (satisfaction, time spent) accepts the same days and the same longest range, and
cuts it the same way: weeks start on Monday, months on the 1st, all in the helpdesk's calendar.
"""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

# The dates a report may cover: any real helpdesk history and plans, and far enough from
# date.min/date.max (and from the year limits of every UTC offset) that the day after the end,
# the Monday of the first week and the first of the month after the last always exist.
FIRST_DAY = date(2000, 1, 1)
LAST_DAY = date(2100, 12, 31)
# The longest range one report covers (two years, a leap day included).
MAX_DAYS = 731

PERIODS = ("day", "week", "month")


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


def bounds(start: date, end: date, zone: ZoneInfo) -> tuple[datetime, datetime]:
    """The instants from the first moment of ``start`` to (excluded) the first moment after
    ``end``, both days of ``zone``'s calendar."""
    return (
        datetime.combine(start, time(0), tzinfo=zone),
        datetime.combine(end + timedelta(days=1), time(0), tzinfo=zone),
    )


def period_start(day: date, period: str) -> date:
    """The first day of the period ``day`` falls in."""
    if period == "month":
        return day.replace(day=1)
    if period == "week":
        return day - timedelta(days=day.weekday())
    return day


def next_period(day: date, period: str) -> date:
    """The first day of the period after the one starting on ``day``."""
    if period == "month":
        return (day.replace(day=28) + timedelta(days=4)).replace(day=1)
    return day + timedelta(days=7 if period == "week" else 1)


def period_starts(start: date, end: date, period: str) -> list[date]:
    """The first day of every period that ``start``..``end`` touches, in order."""
    starts, cursor = [], period_start(start, period)
    while cursor <= end:
        starts.append(cursor)
        cursor = next_period(cursor, period)
    return starts


def period_label(day: date, period: str) -> str:
    if period == "month":
        return day.strftime("%B %Y")
    if period == "week":
        return f"Week of {day:%b %d, %Y}"
    return f"{day:%a} {day:%b} {day.day}, {day.year}"
