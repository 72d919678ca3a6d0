"""Business hours: only open time counts, across nights, weekends, overnight shifts and clock changes."""

from __future__ import annotations

from datetime import UTC, datetime
from zoneinfo import ZoneInfo

import pytest

from bot.hours import HoursError, parse

LONDON = ZoneInfo("Europe/London")


def minutes(hours, start, end) -> float:
    return hours.open_seconds(start, end) / 60


def test_friday_afternoon_to_monday_morning_counts_only_open_time():
    # A mention at Friday 16:45 answered Monday 09:15, with 9–17 weekdays, took 30 minutes of open time.
    hours = parse("mon-fri 09:00-17:00", "Europe/London")
    assert (
        minutes(hours, datetime(2026, 11, 20, 16, 45, tzinfo=LONDON), datetime(2026, 11, 23, 9, 15, tzinfo=LONDON))
        == 30
    )


def test_several_shifts_a_day_and_an_overnight_shift():
    hours = parse("mon-fri 07:00-11:00, 12:00-16:00; fri 22:00-02:00", "UTC")
    utc = UTC
    # Monday 10:30 → 12:30: 30 min before the lunch break, 30 after.
    assert minutes(hours, datetime(2026, 11, 23, 10, 30, tzinfo=utc), datetime(2026, 11, 23, 12, 30, tzinfo=utc)) == 60
    # Friday 23:00 → Saturday 03:00: the overnight shift runs until 02:00 on Saturday.
    assert minutes(hours, datetime(2026, 11, 20, 23, 0, tzinfo=utc), datetime(2026, 11, 21, 3, 0, tzinfo=utc)) == 180
    # Overlapping shifts count once.
    overlap = parse("mon 09:00-12:00, 11:00-13:00", "UTC")
    assert minutes(overlap, datetime(2026, 11, 23, 0, 0, tzinfo=utc), datetime(2026, 11, 24, 0, 0, tzinfo=utc)) == 240


def test_clock_changes_count_real_time():
    hours = parse("sun 00:00-04:00", "Europe/London")
    utc = UTC
    # 29 March 2026: London jumps from 01:00 to 02:00, so this shift lasts three real hours…
    assert minutes(hours, datetime(2026, 3, 28, tzinfo=utc), datetime(2026, 3, 30, tzinfo=utc)) == 180
    # …and on 25 October 2026 (01:00–02:00 happens twice) it lasts five.
    assert minutes(hours, datetime(2026, 10, 24, tzinfo=utc), datetime(2026, 10, 26, tzinfo=utc)) == 300


def test_no_hours_means_always_open_and_day_ranges_wrap():
    assert parse("", "UTC").open_seconds(datetime(2026, 1, 1, tzinfo=UTC), datetime(2026, 1, 2, tzinfo=UTC)) == 86400
    weekend = parse("fri-mon 10:00-12:00", "UTC")
    assert [bool(s) for s in weekend.shifts] == [True, False, False, False, True, True, True]


@pytest.mark.parametrize(
    "text, said",
    [
        ("weekdays 09:00-17:00", "should start with days like 'mon-fri'"),
        ("mon-fri 9-5", "should look like 09:00-17:00"),
        ("mon-fri", "has no hours"),
        ("mon 25:00-26:00", "is not a time of day"),
    ],
)
def test_a_typo_in_business_hours_says_where(text, said):
    with pytest.raises(HoursError, match=said):
        parse(text, "UTC")


def test_an_unknown_time_zone_says_what_to_use():
    with pytest.raises(HoursError, match="Europe/London"):
        parse("mon-fri 09:00-17:00", "London")
