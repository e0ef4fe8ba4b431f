"""The business-time module at its edges, table-driven, plus a property test."""

from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from desk.business_time import NoBusinessHours, Schedule

CHI = ZoneInfo("America/Chicago")


def chicago(*args) -> datetime:
    return datetime(*args, tzinfo=CHI)


WEEKDAYS_8_17 = {day: ((time(8), time(17)),) for day in range(5)}
DEMO = Schedule(time_zone="America/Chicago", weekly=WEEKDAYS_8_17, holiday_country="US")
# Every day 01:00–04:00 local: spans the spring-forward gap and the fall-back repeat.
NIGHTS = Schedule(time_zone="America/Chicago", weekly={d: ((time(1), time(4)),) for d in range(7)})
# Tokyo 08:00–17:00 is 23:00–08:00 UTC: every interval crosses midnight in UTC.
TOKYO = Schedule(time_zone="Asia/Tokyo", weekly=WEEKDAYS_8_17)
# An interval that runs up to midnight (closes 00:00) and a split day.
EVENING = Schedule(
    time_zone="Europe/Berlin",
    weekly={0: ((time(9), time(12)), (time(13), time(17))), 1: ((time(20), time(0)),)},
)


@pytest.mark.parametrize(
    ("schedule", "start", "minutes", "expected"),
    [
        # Friday 16:59 + 2 business minutes -> Monday 08:01.
        (DEMO, chicago(2026, 3, 6, 16, 59), 2, chicago(2026, 3, 9, 8, 1)),
        # Friday 16:59 + 1 lands exactly on the close.
        (DEMO, chicago(2026, 3, 6, 16, 59), 1, chicago(2026, 3, 6, 17, 0)),
        # From a weekend: the clock starts at Monday's opening.
        (DEMO, chicago(2026, 3, 7, 12, 0), 60, chicago(2026, 3, 9, 9, 0)),
        # Labor Day (Monday 2026-09-07) is a US holiday: Friday 16:00 + 2h -> Tuesday 09:00.
        (DEMO, chicago(2026, 9, 4, 16, 0), 120, chicago(2026, 9, 8, 9, 0)),
        # One business day (540 minutes) from Wednesday 10:00 -> Thursday 10:00.
        (DEMO, chicago(2026, 3, 11, 10, 0), 540, chicago(2026, 3, 12, 10, 0)),
        # Thanksgiving (Thursday 2026-11-26): Wednesday 16:00 + 2h -> Friday 09:00.
        (DEMO, chicago(2026, 11, 25, 16, 0), 120, chicago(2026, 11, 27, 9, 0)),
        # Spring forward (2026-03-08): 01:00–04:00 local holds only 2 real hours.
        (NIGHTS, chicago(2026, 3, 8, 1, 0), 120, chicago(2026, 3, 8, 4, 0)),
        (NIGHTS, chicago(2026, 3, 8, 1, 0), 150, chicago(2026, 3, 9, 1, 30)),
        # Fall back (2026-11-01): 01:00–04:00 local holds 4 real hours.
        (NIGHTS, chicago(2026, 11, 1, 1, 0), 240, chicago(2026, 11, 1, 4, 0)),
        # Tokyo: Monday 16:30 JST + 60 min -> Tuesday 08:30 JST (= Monday 23:30 UTC).
        (
            TOKYO,
            datetime(2026, 3, 2, 7, 30, tzinfo=UTC),
            60,
            datetime(2026, 3, 2, 23, 30, tzinfo=UTC),
        ),
        # Split day: Monday 11:30 + 60 min skips lunch -> 13:30.
        (
            EVENING,
            datetime(2026, 3, 2, 11, 30, tzinfo=ZoneInfo("Europe/Berlin")),
            60,
            datetime(2026, 3, 2, 13, 30, tzinfo=ZoneInfo("Europe/Berlin")),
        ),
        # Until midnight: Tuesday 23:30 + 30 -> midnight; + 31 -> next Monday 09:01.
        (
            EVENING,
            datetime(2026, 3, 3, 23, 30, tzinfo=ZoneInfo("Europe/Berlin")),
            30,
            datetime(2026, 3, 4, 0, 0, tzinfo=ZoneInfo("Europe/Berlin")),
        ),
        (
            EVENING,
            datetime(2026, 3, 3, 23, 30, tzinfo=ZoneInfo("Europe/Berlin")),
            31,
            datetime(2026, 3, 9, 9, 1, tzinfo=ZoneInfo("Europe/Berlin")),
        ),
    ],
)
def test_add_business_minutes(schedule, start, minutes, expected):
    assert schedule.add(start, minutes) == expected
    assert schedule.elapsed(start, expected) == pytest.approx(minutes)


@pytest.mark.parametrize(
    ("moment", "is_open", "next_opening"),
    [
        (chicago(2026, 3, 6, 16, 59), True, chicago(2026, 3, 6, 16, 59)),
        (chicago(2026, 3, 6, 17, 0), False, chicago(2026, 3, 9, 8, 0)),
        (chicago(2026, 3, 9, 7, 59), False, chicago(2026, 3, 9, 8, 0)),
        (chicago(2026, 9, 7, 10, 0), False, chicago(2026, 9, 8, 8, 0)),  # Labor Day
        (chicago(2026, 3, 7, 12, 0), False, chicago(2026, 3, 9, 8, 0)),  # Saturday
    ],
)
def test_open_and_next_opening(moment, is_open, next_opening):
    assert DEMO.is_open(moment) is is_open
    assert DEMO.next_opening(moment) == next_opening


def test_tenant_holidays_close_the_day():
    closed = Schedule(
        time_zone="America/Chicago",
        weekly=WEEKDAYS_8_17,
        extra_holidays=frozenset({date(2026, 3, 9)}),
    )
    assert closed.add(chicago(2026, 3, 6, 16, 59), 2) == chicago(2026, 3, 10, 8, 1)


def test_elapsed_across_a_weekend_and_holiday():
    # Friday 16:00 -> Tuesday 09:00 after Labor Day: 1 hour Friday + 1 hour Tuesday.
    assert DEMO.elapsed(chicago(2026, 9, 4, 16, 0), chicago(2026, 9, 8, 9, 0)) == 120
    assert DEMO.elapsed(chicago(2026, 9, 8, 9, 0), chicago(2026, 9, 4, 16, 0)) == 0


def test_business_day_is_one_days_worth_of_hours():
    assert DEMO.business_day_minutes() == 540
    assert EVENING.business_day_minutes() == round((420 + 240) / 2)


def test_no_business_hours_is_a_clear_error():
    empty = Schedule(time_zone="America/Chicago", weekly={})
    for call in (
        lambda: empty.add(chicago(2026, 3, 6, 12), 5),
        lambda: empty.next_opening(chicago(2026, 3, 6, 12)),
        lambda: empty.elapsed(chicago(2026, 3, 6, 12), chicago(2026, 3, 7, 12)),
        empty.business_day_minutes,
    ):
        with pytest.raises(NoBusinessHours, match="No business hours"):
            call()


def test_a_bad_time_zone_fails_loudly():
    with pytest.raises(Exception, match="Nowhere/Land"):
        Schedule(time_zone="Nowhere/Land", weekly=WEEKDAYS_8_17)


# Hypothesis wants naive bounds and attaches the zone itself.
instants = st.datetimes(
    min_value=datetime(2025, 1, 1),  # noqa: DTZ001
    max_value=datetime(2028, 12, 31),  # noqa: DTZ001
    timezones=st.just(UTC),
)


@settings(max_examples=300, deadline=None, derandomize=True)
@given(
    schedule=st.sampled_from([DEMO, NIGHTS, TOKYO, EVENING]),
    start=instants,
    minutes=st.integers(min_value=0, max_value=60 * 24 * 30),
)
def test_elapsed_inverts_add(schedule, start, minutes):
    end = schedule.add(start, minutes)
    assert end >= start
    assert schedule.elapsed(start, end) == pytest.approx(minutes, abs=1e-6)
    if minutes:
        assert schedule.is_open(end - timedelta(microseconds=1))
