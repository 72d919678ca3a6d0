"""Business hours: parsing `BUSINESS_HOURS` and counting only open time between two instants."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

DAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
_SHIFT = re.compile(r"^(\d{1,2}):(\d{2})-(\d{1,2}):(\d{2})$")


class HoursError(ValueError):
    """BUSINESS_HOURS could not be read; the message says where and shows the format."""


@dataclass(frozen=True)
class BusinessHours:
    """Opening shifts per weekday (0 = Monday), in the business's time zone.

    A shift that ends at or before it starts runs past midnight (an overnight shift).
    With no shifts at all the business counts as always open.
    """

    tz: ZoneInfo
    shifts: tuple[tuple[tuple[time, time], ...], ...] = ((),) * 7

    @property
    def always_open(self) -> bool:
        return not any(self.shifts)

    def open_intervals(self, day: date) -> list[tuple[datetime, datetime]]:
        """The day's shifts as UTC intervals (daylight-saving changes included)."""
        found = []
        for start, end in self.shifts[day.weekday()]:
            opens = datetime.combine(day, start, self.tz)
            closes = datetime.combine(day + timedelta(days=1) if end <= start else day, end, self.tz)
            found.append((opens.astimezone(UTC), closes.astimezone(UTC)))
        return found

    def open_seconds(self, start: datetime, end: datetime) -> float:
        """Seconds the business was open between two instants."""
        if end <= start:
            return 0.0
        if self.always_open:
            return (end - start).total_seconds()
        # Overnight shifts begin the day before, so start one local day early.
        day = start.astimezone(self.tz).date() - timedelta(days=1)
        last = end.astimezone(self.tz).date()
        intervals = []
        while day <= last:
            intervals += self.open_intervals(day)
            day += timedelta(days=1)
        total, reached = 0.0, start
        for opens, closes in sorted(intervals):  # overlapping shifts are counted once
            lo, hi = max(opens, reached), min(closes, end)
            if hi > lo:
                total += (hi - lo).total_seconds()
                reached = hi
        return total


def parse(text: str, tz_name: str = "UTC") -> BusinessHours:
    """Read e.g. `mon-fri 09:00-17:00; sat 10:00-14:00` or `tue-sun 07:00-11:00, 12:00-15:00; fri 22:00-02:00`."""
    try:
        tz = ZoneInfo(tz_name.strip() or "UTC")
    except (ValueError, KeyError, OSError):
        raise HoursError(
            f"BUSINESS_TZ '{tz_name}' is not a time zone name; use one like Europe/London or America/New_York."
        ) from None
    shifts: list[list[tuple[time, time]]] = [[] for _ in DAYS]
    for part in filter(None, (p.strip() for p in text.split(";"))):
        days_text, _, times_text = part.partition(" ")
        days = _days(days_text.lower(), part)
        times = [t for t in re.split(r"[,\s]+", times_text.strip()) if t]
        if not times:
            raise HoursError(f"BUSINESS_HOURS: '{part}' has no hours; write it like 'mon-fri 09:00-17:00'.")
        for shift in times:
            opens_closes = _shift(shift, part)
            for day in days:
                shifts[day].append(opens_closes)
    return BusinessHours(tz, tuple(tuple(s) for s in shifts))


def _days(text: str, part: str) -> list[int]:
    first, _, last = text.partition("-")
    if first not in DAYS or (last and last not in DAYS):
        raise HoursError(
            f"BUSINESS_HOURS: '{part}' should start with days like 'mon-fri' or 'sat' (days: {', '.join(DAYS)})."
        )
    a, b = DAYS.index(first), DAYS.index(last or first)
    return [(a + i) % 7 for i in range((b - a) % 7 + 1)]  # 'fri-mon' wraps over the weekend


def _shift(text: str, part: str) -> tuple[time, time]:
    match = _SHIFT.match(text)
    if not match:
        raise HoursError(f"BUSINESS_HOURS: '{text}' in '{part}' should look like 09:00-17:00.")
    h1, m1, h2, m2 = map(int, match.groups())
    if h1 > 23 or h2 > 24 or m1 > 59 or m2 > 59 or (h2 == 24 and m2):
        raise HoursError(f"BUSINESS_HOURS: '{text}' is not a time of day.")
    end = time(0, 0) if h2 == 24 else time(h2, m2)
    return time(h1, m1), end
