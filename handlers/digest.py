"""The digest: each day at DIGEST_TIME, what came in, what is still open and the best response; Mondays add the week."""

from __future__ import annotations

import logging
from datetime import datetime, time, timedelta

import sqlite_utils

from bot.hours import BusinessHours
from bot.models import ChatOutlet
from bot.report import Bold, Code, Line, Report, line, report
from bot.sources import registry
from bot.wording import LABEL_ICONS, duration
from handlers.stats import MIX, Period, leaders_report, stats_report
from storage import responses
from storage import stats as store
from storage.db import exclusive, get_meta, set_meta
from storage.mentions import utc_now

log = logging.getLogger(__name__)

# A digest missed while the service was down is sent when it starts, if no later than this.
LATE_LIMIT = timedelta(hours=6)
_LAST_DAY = "digest_last_day"


def digest_text(db: sqlite_utils.Database, hours: BusinessHours, moment: datetime, now: datetime) -> Report:
    """The digest for the day that ends at `moment` (the scheduled time, in the business's zone), sent at `now`."""
    since = datetime.combine(moment.date() - timedelta(days=1), moment.timetz())
    came = store.totals(db, since, moment)
    title = line(Bold(f"Daily digest, {moment:%A} {moment.day} {moment:%B}"), f" (since yesterday {moment:%H:%M})")
    lines: list[Line | str] = []
    if came.received:
        mix = " · ".join(f"{LABEL_ICONS[label]} {came.labels[label]}" for label in MIX if came.labels.get(label))
        lines.append(
            f"• {came.received} mention{'s' if came.received != 1 else ''} came in: {mix}. "
            f"Replied so far {came.replied}, no reply needed {came.dismissed}."
        )
    else:
        lines.append("• Nothing came in.")
    waiting, oldest = store.queue(db, 1)
    if waiting:
        lines.append(
            line(
                f"• Still waiting now: {waiting}, the oldest for {duration((now - oldest[0].created_at).total_seconds())} (",
                Code("/listen queue"),
                " lists them).",
            )
        )
    else:
        lines.append("• Nothing is waiting for an answer. 🎉")
    best = responses.fastest_reply(db, since, moment)
    if best:
        text = best.text if len(best.text) <= 80 else best.text[:79] + "…"
        lines.append(
            f"• 🏆 Best response: {best.replier_name or 'the team'} answered @{best.author_handle or 'someone'} "
            f"on {registry.name(best.source)} in {duration(best.response_secs)}: “{text}”"
        )
    digest = report(title, lines)
    if moment.weekday() == 0:  # Monday: last week, Monday to Sunday
        monday = datetime.combine(moment.date() - timedelta(days=7), time(0), moment.tzinfo)
        week = Period(
            f"last week ({monday.day} {monday:%b} – {(monday + timedelta(days=6)).day} {monday + timedelta(days=6):%b})",
            monday,
            datetime.combine(moment.date(), time(0), moment.tzinfo),
        )
        blank = report("", [()])
        digest += blank + stats_report(db, week, hours) + blank + leaders_report(db, week, hours)
    return digest


def send_digest(
    db: sqlite_utils.Database, sink: ChatOutlet, hours: BusinessHours, at: time, now: datetime | None = None
) -> bool | None:
    """Post today's digest if it is due and not yet sent: True when posted, False when the chat failed, None when not due.

    Today's date is written in the `meta` table before posting, so a restart or a second
    process never sends the same day twice; a failed post takes the mark back.
    """
    local = (now or utc_now()).astimezone(hours.tz)
    moment = datetime.combine(local.date(), at, hours.tz)
    day = local.date().isoformat()
    if not moment <= local < moment + LATE_LIMIT or _last_day(db) == day:
        return None
    digest = digest_text(db, hours, moment, local)
    with exclusive(db):
        before = _last_day(db)
        if before == day:
            return None
        _set_last_day(db, day)
    if sink.say(digest):
        log.info("Sent the digest for %s.", day)
        return True
    with exclusive(db):
        _set_last_day(db, before)
    return False


def _last_day(db: sqlite_utils.Database) -> str | None:
    return get_meta(db, _LAST_DAY)


def _set_last_day(db: sqlite_utils.Database, day: str | None) -> None:
    set_meta(db, _LAST_DAY, day)
