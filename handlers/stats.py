"""The reports — stats, queue, leaders — as plain text, the same for Slack, the terminal and CSV.

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

from bot.chat.cards import LABEL_ICONS, age, duration, network_name
from bot.facts import Facts, describe
from bot.hours import BusinessHours
from bot.models import Label, Status
from bot.text import one_line
from handlers.held import held_report, post_held
from handlers.sources import sources_report
from storage import responses
from storage import stats as store
from storage.mentions import utc_now

PERIODS = "today, 7d, 30d or 90d"
MIX = (Label.POSITIVE, Label.NEUTRAL, Label.NEGATIVE)  # the sentiment mix as reports list it, best first
_DAYS = re.compile(r"^(\d{1,3})d$")


class PeriodError(ValueError):
    """The period word was not understood; the message shows what works."""


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
        raise PeriodError(f"I don't know the period `{word[:20]}`. Use {PERIODS}.")
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


def stats_report(db: sqlite_utils.Database, when: Period, hours: BusinessHours, tz_note: str = "") -> str:
    now, _ = store.summary(db, when.since, when.until, hours, detail="times")
    before, _ = store.summary(db, when.before().since, when.before().until, hours, detail="counts")
    title = f"*Mentions, {when.label}*{tz_note}"
    if not now.received:
        return f"{title}\nNo mentions in this period."
    rate = f"{now.reply_rate * 100:.0f} %" if now.reply_rate is not None else "–"
    lines = [
        title,
        f"• Received {now.received} · replied {now.replied} · no reply needed {now.dismissed} · still waiting {now.waiting}",
        f"• Reply rate {rate} (replied ÷ mentions that needed a reply)",
        f"• Response time: {_spread(now.response)}",
    ]
    if not hours.always_open:
        lines.append(f"• Response time in business hours: {_spread(now.response_open)}")
    lines.append(f"• Pick-up time (card in Slack → first action): {_spread(now.pickup)}")
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
        + ", ".join(f"{network_name(s)} {n}" for s, n in sorted(now.sources.items(), key=lambda kv: -kv[1]))
    )
    used = suggestion_line(responses.suggestion_use(db, when.since, when.until))
    if used:
        lines.append(used)
    return "\n".join(lines)


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


def leaders_report(db: sqlite_utils.Database, when: Period, hours: BusinessHours) -> str:
    _, people = store.summary(db, when.since, when.until, hours, detail="people")
    if not people:
        return f"*Who answered, {when.label}*\nNobody has replied or claimed anything in this period yet."
    lines = [f"*Who answered, {when.label}*"]
    for rank, person in enumerate(people, 1):
        line = f"{rank}. {person.name} — {person.replied} replied"
        if person.replied:
            line += f", median {_time(person.response.percentile(0.5))}"
        if person.claimed_open:
            line += f", {person.claimed_open} claimed and not answered yet"
        lines.append(line)
    return "\n".join(lines)


def queue_report(db: sqlite_utils.Database, card_link: Callable[[str, str], str] | None = None, limit: int = 15) -> str:
    total, oldest = store.queue(db, limit)
    if not total:
        return "Nothing is waiting for an answer. 🎉"
    lines = [f"*{total} mention{'s' if total != 1 else ''} waiting*, oldest first:"]
    for waiting in oldest:
        mood = LABEL_ICONS.get(waiting.label, "🌐") if waiting.scored else "🌐"
        text = one_line(waiting.text)  # one mention, one line of the list, whatever its line breaks
        text = text if len(text) <= 80 else text[:79] + "…"
        who = f"@{one_line(waiting.author_handle)}" if waiting.author_handle else "someone"
        line = f"• {age(waiting.created_at)} · {mood} {who} on {network_name(waiting.source)}: “{text}”"
        if waiting.status == Status.CLAIMED:
            line += f" — claimed by {waiting.actor_name}"
        elif waiting.status == Status.PENDING:
            line += f" — reply by {waiting.actor_name} waiting for approval"
        if card_link and waiting.refs:
            line += f" · {card_link(waiting.refs[0].channel, waiting.refs[0].message_id)}"
        lines.append(line)
    if total > len(oldest):
        lines.append(f"…and {total - len(oldest)} more.")
    return "\n".join(lines)


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
        card_link: Callable[[str, str], str] | None = None,
        networks: dict[str, str | None] | None = None,
        facts: tuple[Facts, str] | None = None,
    ):
        self.open_db = open_db
        self.hours = hours
        self.card_link = card_link
        self.networks = networks or {}  # network -> None when set up, else how to set it up
        self.known = facts  # the business's facts, and the file they come from

    def _run(self, report: Callable[[sqlite_utils.Database], object]):
        db = self.open_db()
        try:
            return report(db)
        finally:
            db.close()

    @property
    def _tz_note(self) -> str:
        return f" (times in {self.hours.tz.key})" if self.hours.tz.key != "UTC" else ""

    def stats(self, when: Period) -> str:
        return self._run(lambda db: stats_report(db, when, self.hours, self._tz_note))

    def leaders(self, when: Period) -> str:
        return self._run(lambda db: leaders_report(db, when, self.hours))

    def queue(self) -> str:
        return self._run(lambda db: queue_report(db, self.card_link))

    def sources(self) -> str:
        return self._run(lambda db: sources_report(db, self.networks, utc_now()))

    def facts(self) -> str:
        """What suggested replies know about the business, and where to change it."""
        facts, path = self.known or (None, "business.toml")
        known = describe(facts) if facts else ""
        if not known:
            return (
                f"*What Listening Post knows about the business*\nNothing yet. Run `python -m bot facts --init` to "
                f"write {path}, fill in your address, phone, booking link and answers, then restart."
            )
        return (
            f"*What Listening Post knows about the business* (from {path}; edit it and restart to change it)\n{known}"
        )

    def held(self) -> str:
        return self._run(lambda db: held_report(db, utc_now()))

    def post_held(self, mention_id: str) -> str:
        return self._run(lambda db: post_held(db, mention_id))

    def warm(self) -> None:
        """Summarise the last 90 days now, so the first report after a start is as quick as later ones."""
        when = period("90d", self.hours)
        self._run(lambda db: store.summary(db, when.since, when.until, self.hours))

    def home(self) -> tuple[str, str]:
        """The App Home tab's two parts: the last 7 days' numbers, and the queue."""
        when = period("7d", self.hours)
        return self._run(
            lambda db: (stats_report(db, when, self.hours, self._tz_note), queue_report(db, self.card_link, 10))
        )

    def chart(self, when: Period):
        from handlers.chart import (
            chart,  # matplotlib is loaded only when someone asks for a chart
        )

        return self._run(lambda db: chart(db, when.since, when.until, when.label, self.hours))
