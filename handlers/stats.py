"""The reports — stats, queue, leaders — as Reports each chat platform draws, and the CSV.

Every figure has one meaning (docs/architecture.md, "The numbers"): response time runs from the post on the
network to the first reply, pick-up time from the card in chat to the first action, reply
rate is replied ÷ (all − dismissed), and times are medians and 90th percentiles.
"""

from __future__ import annotations

import csv
import io
import math
import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta

import sqlite_utils

from bot.facts import Facts, describe
from bot.hours import BusinessHours
from bot.models import Label, Status
from bot.report import Bold, CardLink, Code, Line, Report, line, report
from bot.sources import registry
from bot.text import one_line
from bot.wording import LABEL_ICONS, age, duration
from handlers.held import held_report, post_held
from handlers.sources import sources_report
from storage import responses
from storage import stats as store
from storage.mentions import utc_now

PERIODS = "today, 7d, 30d or 90d"
MIX = (Label.POSITIVE, Label.NEUTRAL, Label.NEGATIVE)  # the sentiment mix as reports list it, best first
_DAYS = re.compile(r"^(\d{1,3})d$")


class PeriodError(ValueError):
    """The period word was not understood; `answer` shows what works."""

    def __init__(self, word: str):
        super().__init__(f"I don't know the period `{word}`. Use {PERIODS}.")
        self.answer = report("", [line("I don't know the period ", Code(word), f". Use {PERIODS}.")])


@dataclass(frozen=True)
class Period:
    label: str  # "last 7 days", "today"
    since: datetime
    until: datetime

    def before(self) -> Period:
        """The period of the same length just before this one, for comparisons."""
        days = math.ceil((self.until - self.since).total_seconds() / 86400)
        return Period("the period before", self.since - timedelta(days=days), self.since)


def period(word: str, hours: BusinessHours, now: datetime | None = None) -> Period:
    now = now or utc_now()
    word = (word or "7d").lower()
    if word == "today":
        word = "1d"
    match = _DAYS.match(word)
    if not match or not 1 <= int(match.group(1)) <= 365:
        raise PeriodError(word[:20])
    days = int(match.group(1))
    # Whole local days, today included: "7d" is today and the six days before it.
    midnight = now.astimezone(hours.tz).replace(hour=0, minute=0, second=0, microsecond=0).replace(tzinfo=None)
    first = (midnight - timedelta(days=days - 1)).replace(tzinfo=hours.tz)
    return Period(f"last {days} days" if days > 1 else "today", first.astimezone(now.tzinfo), now)


def _time(seconds: int | None) -> str:
    return duration(seconds) if seconds is not None else "–"


def _spread(histogram: store.Histogram) -> str:
    if not histogram.total:
        return "no data yet"
    p90 = _time(histogram.percentile(0.9))
    return f"median {_time(histogram.percentile(0.5))}, 90 % " + (
        "in under a minute" if p90 == "under a minute" else f"within {p90}"
    )


def _share(part: int, whole: int) -> float:
    return 100 * part / whole if whole else 0.0


def stats_report(db: sqlite_utils.Database, when: Period, hours: BusinessHours, tz_note: str = "") -> Report:
    now, _ = store.summary(db, when.since, when.until, hours, detail="times")
    before, _ = store.summary(db, when.before().since, when.before().until, hours, detail="counts")
    title = line(Bold(f"Mentions, {when.label}"), tz_note)
    if not now.received:
        return report(title, ["No mentions in this period."])
    rate = f"{now.reply_rate * 100:.0f} %" if now.reply_rate is not None else "–"
    lines = [
        f"• Received {now.received} · replied {now.replied} · no reply needed {now.dismissed} · still waiting {now.waiting}",
        f"• Reply rate {rate} (replied ÷ mentions that needed a reply)",
        f"• Response time: {_spread(now.response)}",
    ]
    if not hours.always_open:
        lines.append(f"• Response time in business hours: {_spread(now.response_open)}")
    lines.append(f"• Pick-up time (card in chat → first action): {_spread(now.pickup)}")
    mix = []
    for label in MIX:
        share = _share(now.labels.get(label, 0), now.received)
        change = ""
        if before.received:
            change = f", {share - _share(before.labels.get(label, 0), before.received):+.0f} pts"
        mix.append(f"{LABEL_ICONS[label]} {now.labels.get(label, 0)} ({share:.0f} %{change})")
    compared = " vs the period before" if before.received else ""
    lines.append(f"• Sentiment: {' · '.join(mix)}{compared}")
    lines.append(
        "• By source: "
        + ", ".join(f"{registry.name(s)} {n}" for s, n in sorted(now.sources.items(), key=lambda kv: -kv[1]))
    )
    used = suggestion_line(responses.suggestion_use(db, when.since, when.until))
    if used:
        lines.append(used)
    return report(title, lines)


def suggestion_line(used: dict[str, int]) -> str:
    """How the replies written in the form used their suggestion; '' when none was written."""
    total = sum(used.values())
    if not total:
        return ""
    as_is, edited, own = used.get("as_is", 0), used.get("edited", 0), used.get("own", 0)
    return (
        f"• Suggested replies: {as_is} of {total} sent as suggested ({_share(as_is, total):.0f} %), "
        f"{edited} edited, {own} written anew"
    )


def leaders_report(db: sqlite_utils.Database, when: Period, hours: BusinessHours) -> Report:
    _, people = store.summary(db, when.since, when.until, hours, detail="people")
    title = line(Bold(f"Who answered, {when.label}"))
    if not people:
        return report(title, ["Nobody has replied or claimed anything in this period yet."])
    lines = []
    for rank, person in enumerate(people, 1):
        said = f"{rank}. {person.name} — {person.replied} replied"
        if person.replied:
            said += f", median {_time(person.response.percentile(0.5))}"
        if person.claimed_open:
            said += f", {person.claimed_open} claimed and not answered yet"
        lines.append(said)
    return report(title, lines)


def queue_report(db: sqlite_utils.Database, limit: int = 15) -> Report:
    total, oldest = store.queue(db, limit)
    if not total:
        return report("Nothing is waiting for an answer. 🎉")
    lines: list[Line | str] = []
    for waiting in oldest:
        mood = LABEL_ICONS.get(waiting.label, "🌐") if waiting.scored else "🌐"
        text = one_line(waiting.text)  # one mention, one line of the list, whatever its line breaks
        text = text if len(text) <= 80 else text[:79] + "…"
        who = f"@{one_line(waiting.author_handle)}" if waiting.author_handle else "someone"
        said = f"• {age(waiting.created_at)} · {mood} {who} on {registry.name(waiting.source)}: “{text}”"
        if waiting.status == Status.CLAIMED:
            said += f" — claimed by {waiting.actor_name}"
        elif waiting.status == Status.PENDING:
            said += f" — reply by {waiting.actor_name} waiting for approval"
        # A link to each of its cards: each chat draws the one it can open.
        lines.append(line(said, *(CardLink(ref.platform, ref.channel, ref.message_id) for ref in waiting.refs)))
    if total > len(oldest):
        lines.append(f"…and {total - len(oldest)} more.")
    return report(line(Bold(f"{total} mention{'s' if total != 1 else ''} waiting"), ", oldest first:"), lines)


CSV_COLUMNS = [
    "day",
    "received",
    "replied",
    "dismissed",
    "waiting",
    "reply_rate",
    "response_median_min",
    "response_p90_min",
    "response_business_median_min",
    "response_business_p90_min",
    "pickup_median_min",
    "pickup_p90_min",
    *MIX,
    "suggestion_as_is",
    "suggestion_edited",
    "suggestion_own",
]


def daily_csv(db: sqlite_utils.Database, days: int, hours: BusinessHours, now: datetime | None = None) -> str:
    """One row per local day (oldest first), for a spreadsheet."""
    store.fill_business_times(db, hours, store.hours_signature(hours))
    now = now or utc_now()
    today = now.astimezone(hours.tz).replace(hour=0, minute=0, second=0, microsecond=0)
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(CSV_COLUMNS)

    def minutes(seconds: int | None) -> str:
        return "" if seconds is None else str(seconds // 60)

    for back in range(days - 1, -1, -1):
        start = (today - timedelta(days=back)).replace(tzinfo=None)
        since = start.replace(tzinfo=hours.tz)  # local midnight, DST-aware
        until = (start + timedelta(days=1)).replace(tzinfo=hours.tz)
        t = store.totals(db, since, min(until, now))
        used = responses.suggestion_use(db, since, min(until, now))
        writer.writerow(
            [
                start.date().isoformat(),
                t.received,
                t.replied,
                t.dismissed,
                t.waiting,
                "" if t.reply_rate is None else f"{t.reply_rate:.3f}",
                minutes(t.response.percentile(0.5)),
                minutes(t.response.percentile(0.9)),
                minutes(t.response_open.percentile(0.5)),
                minutes(t.response_open.percentile(0.9)),
                minutes(t.pickup.percentile(0.5)),
                minutes(t.pickup.percentile(0.9)),
                *(t.labels.get(label, 0) for label in MIX),
                used.get("as_is", 0),
                used.get("edited", 0),
                used.get("own", 0),
            ]
        )
    return out.getvalue()


class Reports:
    """The reports on a database connection of their own (one per call, as Bolt calls from many threads)."""

    def __init__(
        self,
        open_db: Callable[[], sqlite_utils.Database],
        hours: BusinessHours,
        networks: dict[str, str | None] | None = None,
        facts: tuple[Facts, str] | None = None,
    ):
        self.open_db = open_db
        self.hours = hours
        self.networks = networks or {}  # network -> None when set up, else how to set it up
        self.known = facts  # the business's facts, and the file they come from

    def _run(self, make: Callable[[sqlite_utils.Database], object]):
        db = self.open_db()
        try:
            return make(db)
        finally:
            db.close()

    @property
    def _tz_note(self) -> str:
        return f" (times in {self.hours.tz.key})" if self.hours.tz.key != "UTC" else ""

    def stats(self, when: Period) -> Report:
        return self._run(lambda db: stats_report(db, when, self.hours, self._tz_note))

    def leaders(self, when: Period) -> Report:
        return self._run(lambda db: leaders_report(db, when, self.hours))

    def queue(self) -> Report:
        return self._run(lambda db: queue_report(db))

    def sources(self) -> Report:
        return self._run(lambda db: sources_report(db, self.networks, utc_now()))

    def facts(self) -> Report:
        """What suggested replies know about the business, and where to change it."""
        facts, path = self.known or (None, "business.toml")
        known = describe(facts) if facts else ""
        title = Bold("What Listening Post knows about the business")
        if not known:
            return report(
                line(title),
                [
                    line(
                        "Nothing yet. Run ",
                        Code("python -m bot facts --init"),
                        f" to write {path}, fill in your address, phone, booking link and answers, then restart.",
                    )
                ],
            )
        return report(line(title, f" (from {path}; edit it and restart to change it)"), known.splitlines())

    def held(self) -> Report:
        return self._run(lambda db: held_report(db, utc_now()))

    def post_held(self, mention_id: str) -> Report:
        return self._run(lambda db: post_held(db, mention_id))

    def warm(self) -> None:
        """Summarise the last 90 days now, so the first report after a start is as quick as later ones."""
        when = period("90d", self.hours)
        self._run(lambda db: store.summary(db, when.since, when.until, self.hours))

    def home(self) -> tuple[Report, Report]:
        """The App Home tab's two parts: the last 7 days' numbers, and the queue."""
        when = period("7d", self.hours)
        return self._run(lambda db: (stats_report(db, when, self.hours, self._tz_note), queue_report(db, 10)))

    def chart(self, when: Period):
        from handlers.chart import (
            chart,  # matplotlib is loaded only when someone asks for a chart
        )

        return self._run(lambda db: chart(db, when.since, when.until, when.label, self.hours))
