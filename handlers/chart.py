"""The chart: daily mentions by sentiment with the median response time, drawn as a PNG by matplotlib (headless)."""

from __future__ import annotations

import io
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

import sqlite_utils

from bot.hours import BusinessHours
from bot.models import Label
from storage import stats as store

COLOURS = {Label.POSITIVE: "#3c9d5d", Label.NEUTRAL: "#a3adb8", Label.NEGATIVE: "#d0463b"}


@dataclass(frozen=True)
class Day:
    day: date
    labels: dict[str, int]
    median_secs: int | None


@dataclass(frozen=True)
class Chart:
    png: bytes
    title: str
    filename: str


def daily(db: sqlite_utils.Database, since: datetime, until: datetime, hours: BusinessHours) -> list[Day]:
    """One entry per local day in [since, until), each from the cached daily summaries."""
    store.fill_business_times(db, hours, store.hours_signature(hours))  # once for the whole series
    days = []
    day, last = since.astimezone(hours.tz).date(), (until - timedelta(microseconds=1)).astimezone(hours.tz).date()
    while day <= last:
        start = max(since, datetime.combine(day, time(0), hours.tz))
        end = min(until, datetime.combine(day + timedelta(days=1), time(0), hours.tz))
        totals, _ = store.summary(db, start, end, hours, detail="times", fill=False)
        days.append(Day(day, totals.labels, totals.response.percentile(0.5)))
        day += timedelta(days=1)
    return days


def draw(days: list[Day], title: str) -> bytes:
    """Stacked bars of mentions per day by sentiment, and a line of the day's median response time."""
    # The Figure class directly, not pyplot: no global state, no GUI backend, safe on any thread.
    from matplotlib.figure import Figure
    from matplotlib.ticker import MaxNLocator

    figure = Figure(figsize=(10, 4.8), dpi=100, layout="constrained")
    bars = figure.subplots()
    x = list(range(len(days)))
    bottom = [0] * len(days)
    for label in (Label.NEGATIVE, Label.NEUTRAL, Label.POSITIVE):  # stacked from the bottom
        heights = [d.labels.get(label, 0) for d in days]
        bars.bar(x, heights, bottom=bottom, color=COLOURS[label], label=label, width=0.8)
        bottom = [b + h for b, h in zip(bottom, heights, strict=False)]
    bars.set_ylabel("mentions per day")
    bars.yaxis.set_major_locator(MaxNLocator(integer=True))  # whole mentions only
    step = max(1, len(days) // 14)  # at most about 14 date labels
    bars.set_xticks(
        x[::step],
        [f"{d.day:%a} {d.day.day} {d.day:%b}" if len(days) <= 14 else f"{d.day.day} {d.day:%b}" for d in days[::step]],
        rotation=45 if len(days) > 7 else 0,
        ha="right" if len(days) > 7 else "center",
    )
    timed = [(i, d.median_secs) for i, d in zip(x, days, strict=False) if d.median_secs is not None]
    if timed:
        in_hours = max(s for _, s in timed) > 3 * 3600
        line = bars.twinx()
        line.plot(
            [i for i, _ in timed],
            [s / (3600 if in_hours else 60) for _, s in timed],
            color="#1f2d3d",
            marker="o",
            linewidth=2,
            label="median response time",
        )
        line.set_ylabel(f"median response time ({'hours' if in_hours else 'minutes'})")
        line.set_ylim(bottom=0)
        handles = bars.get_legend_handles_labels()[0] + line.get_legend_handles_labels()[0]
    else:
        handles = bars.get_legend_handles_labels()[0]
    bars.legend(handles=handles, loc="upper left", fontsize="small", framealpha=0.9)
    bars.set_title(title)
    out = io.BytesIO()
    figure.savefig(out, format="png")
    return out.getvalue()


def chart(db: sqlite_utils.Database, since: datetime, until: datetime, label: str, hours: BusinessHours) -> Chart:
    days = daily(db, since, until, hours)
    title = f"Mentions by sentiment and median response time, {label}"
    return Chart(draw(days, title), title, f"listening-post-{days[0].day}-to-{days[-1].day}.png")
