"""Reminders: a mention waiting past the reply target is nudged once, never twice, and never as a flood.

Whoever holds a mention (its claimer, or the approvers of a waiting reply) is called on in the
card's thread. Mentions nobody has picked up are gathered into one message to the channel
per check, so a backlog calls on everyone once, not once per mention.
"""

from __future__ import annotations

import logging
from datetime import datetime, timedelta

import sqlite_utils

from bot.hours import BusinessHours
from bot.models import ChatOutlet, Status
from bot.platforms import draws
from bot.report import Code, Line, Report, line, report
from bot.sources import registry
from bot.text import one_line
from bot.wording import duration
from storage import reminders as marks
from storage.mentions import utc_now
from storage.records import Waiting

log = logging.getLogger(__name__)

CHANNEL = "channel"  # in `notify`: everyone in the channel rather than a person


def nudge_text(waiting: Waiting, waited: float, target_minutes: int, hours: BusinessHours) -> str:
    how_long = duration(waited) + ("" if hours.always_open else " of opening hours")
    target = f"the target is {duration(target_minutes * 60)}"
    if waiting.status == Status.CLAIMED:
        return (
            f"⏰ {waiting.actor_name or 'You'} claimed this and it has waited {how_long} for an answer ({target}). "
            "Reply now, or press Reopen to hand it back to the team."
        )
    if waiting.status == Status.PENDING:
        return f"⏰ The reply by {waiting.actor_name or 'a teammate'} has waited for approval; the customer has waited {how_long} ({target})."
    return f"⏰ Nobody has answered this after {how_long} ({target}). Can someone claim it?"


def _called_on(waiting: Waiting, approvers: frozenset[str]) -> tuple[str, ...]:
    """Whoever can move the mention on: its claimer, or the approvers of a waiting reply; () when nobody holds it."""
    if waiting.status == Status.CLAIMED and waiting.actor_id:
        return (waiting.actor_id,)
    if waiting.status == Status.PENDING and approvers:
        return tuple(sorted(approvers))
    return ()


LISTED = 10  # mentions named in the channel's message; the rest are counted
CHANNEL_GAP = timedelta(minutes=15)  # the channel is called on at most this often
DUE_AT_ONCE = 500  # mentions gathered by one check


def unclaimed_text(due: list[tuple[Waiting, float]], target_minutes: int, hours: BusinessHours) -> Report:
    """One message for every mention nobody has picked up: who, where, how long."""
    opening = "" if hours.always_open else " of opening hours"
    count = f"{len(due)} mentions have" if len(due) > 1 else "A mention has"
    title = f"⏰ {count} waited past the reply target ({duration(target_minutes * 60)}) with nobody on them:"
    lines: list[Line | str] = []
    for waiting, waited in due[:LISTED]:
        who = one_line(waiting.author_name or waiting.author_handle or "Someone")[:60]
        said = one_line(waiting.text)
        said = said if len(said) <= 80 else said[:79] + "…"
        lines.append(f"• {who} on {registry.name(waiting.source)}, {duration(waited)}{opening}: “{said}”")
    if len(due) > LISTED:
        lines.append(f"…and {len(due) - LISTED} more.")
    lines.append(line("Claim them from their cards, or type ", Code("/listen queue"), " to see everything waiting."))
    return report(title, lines)


def send_reminders(
    db: sqlite_utils.Database,
    sink: ChatOutlet,
    hours: BusinessHours,
    target_minutes: int,
    approvers: frozenset[str] = frozenset(),
    now: datetime | None = None,
    limit: int = 20,
) -> int:
    """Nudge waiting mentions past the target, oldest first; returns how many were nudged.

    Up to `limit` held mentions are nudged in their threads per check. Those nobody holds go
    into one message to the channel, at most once every CHANNEL_GAP, so a backlog (a morning's
    mentions all coming due at opening time) calls on the channel once, not once a minute.
    The waiting time counts business hours only, from when the customer posted. The mark is
    written before the note is sent, so two runs never nudge twice; if the chat is unreachable
    the mark is taken back and the next run tries again.
    """
    if target_minutes <= 0:
        return 0
    now = now or utc_now()
    target = target_minutes * 60
    # Open time is never more than calendar time, so only mentions this old can be due.
    candidates = marks.unreminded(db, now - timedelta(seconds=target), DUE_AT_ONCE)
    channel_free = _channel_free(db, now)
    held: list[tuple[Waiting, float]] = []
    unclaimed: list[tuple[Waiting, float]] = []
    for waiting in candidates:
        waited = hours.open_seconds(waiting.created_at, now)
        if waited < target:
            break  # the rest are younger, so they have waited even less
        # Someone to call on in the card's thread, where the card is on this chat; otherwise the channel.
        if _called_on(waiting, approvers) and _threads(sink, waiting):
            if len(held) < limit:
                held.append((waiting, waited))
        elif channel_free:
            unclaimed.append((waiting, waited))
    held, unclaimed = _take(db, held, now), _take(db, unclaimed, now)
    sent = 0
    for i, (waiting, waited) in enumerate(held):
        called_on = _called_on(waiting, approvers)
        text = nudge_text(waiting, waited, target_minutes, hours)
        # In the card's thread on each platform it is on here (only mentions with a card here are nudged so).
        if not any([sink.note(ref, text, called_on) for ref in _threads(sink, waiting)]):
            _give_back(db, [w for w, _ in held[i:] + unclaimed])
            log.warning("Could not send a reminder; trying again at the next check.")
            return sent
        sent += 1
    if unclaimed:
        if not sink.say(unclaimed_text(unclaimed, target_minutes, hours), notify=(CHANNEL,)):
            _give_back(db, [w for w, _ in unclaimed])
            log.warning("Could not send a reminder; trying again at the next check.")
            return sent
        marks.note_channel_call(db, now)
        sent += len(unclaimed)
    return sent


def _threads(sink: ChatOutlet, waiting: Waiting) -> list:
    """The mention's cards on the platforms `sink` shows."""
    return [ref for ref in waiting.refs if draws(sink, ref.platform)]


def _channel_free(db: sqlite_utils.Database, now: datetime) -> bool:
    """Whether the channel may be called on again: its last reminder was CHANNEL_GAP ago or more."""
    last = marks.last_channel_call(db)
    return last is None or now - last >= CHANNEL_GAP


def _take(db: sqlite_utils.Database, due: list[tuple[Waiting, float]], now: datetime) -> list[tuple[Waiting, float]]:
    """Mark the due mentions reminded, keeping only those still waiting and not marked by another run meanwhile."""
    taken = marks.mark(db, [waiting.id for waiting, _ in due], now)
    return [(waiting, waited) for waiting, waited in due if waiting.id in taken]


def _give_back(db: sqlite_utils.Database, given: list[Waiting]) -> None:
    marks.unmark(db, [waiting.id for waiting in given])
