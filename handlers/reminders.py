"""Reminders: one nudge in a card's thread when a mention has waited past the reply target, never two."""
from __future__ import annotations

import logging
from datetime import datetime, timedelta

import sqlite_utils

from bot.chat.cards import duration
from bot.hours import BusinessHours
from bot.models import ChatRef, ChatSink
from storage.mentions import iso, parse_iso, utc_now
from storage.db import exclusive

log = logging.getLogger(__name__)

CHANNEL = "channel"  # in `notify`: everyone in the channel rather than a person
# The same terms as the partial index idx_mentions_unreminded, so SQLite can use it.
_UNREMINDED = "reminded_at is null and status in ('new', 'claimed', 'pending')"


def nudge_text(row: dict, waited: float, target_minutes: int, hours: BusinessHours) -> str:
    how_long = duration(waited) + ("" if hours.always_open else " of opening hours")
    target = f"the target is {duration(target_minutes * 60)}"
    if row["status"] == "claimed":
        return f"⏰ {row['actor_name'] or 'You'} claimed this and it has waited {how_long} for an answer ({target}). " \
               "Reply now, or press Reopen to hand it back to the team."
    if row["status"] == "pending":
        return f"⏰ The reply by {row['actor_name'] or 'a teammate'} has waited for approval; the customer has waited {how_long} ({target})."
    return f"⏰ Nobody has answered this after {how_long} ({target}). Can someone claim it?"


def _called_on(row: dict, approvers: frozenset[str]) -> tuple[str, ...]:
    """Whoever can move the mention on: its claimer, the approvers of a waiting reply, else the channel."""
    if row["status"] == "claimed" and row["actor_id"]:
        return (row["actor_id"],)
    if row["status"] == "pending" and approvers:
        return tuple(sorted(approvers))
    return (CHANNEL,)


def send_reminders(db: sqlite_utils.Database, sink: ChatSink, hours: BusinessHours, target_minutes: int,
                   approvers: frozenset[str] = frozenset(), now: datetime | None = None, limit: int = 20) -> int:
    """Nudge, oldest first, up to `limit` waiting mentions past the target; returns how many were nudged.

    The waiting time counts business hours only, from when the customer posted. The mark is
    written before the note is sent, so two runs never nudge twice; if Slack is unreachable
    the mark is taken back and the next run tries again.
    """
    if target_minutes <= 0:
        return 0
    now = now or utc_now()
    target = target_minutes * 60
    # Open time is never more than calendar time, so only mentions this old can be due.
    rows = list(db.query(
        f"select id, created_at, status, actor_id, actor_name, chat_platform, chat_channel, chat_message_id "
        f"from mentions indexed by idx_mentions_unreminded where {_UNREMINDED} and created_at <= ? "
        f"and chat_message_id is not null order by created_at limit ?",
        [iso(now - timedelta(seconds=target)), limit]))
    sent = 0
    for row in rows:
        waited = hours.open_seconds(parse_iso(row["created_at"]), now)
        if waited < target:
            break  # the rest are younger, so they have waited even less
        with exclusive(db):  # a click may have answered it since it was read
            if not db.execute(f"select 1 from mentions where id = ? and {_UNREMINDED}", [row["id"]]).fetchone():
                continue
            db.execute("update mentions set reminded_at = ? where id = ?", [iso(now), row["id"]])
        ref = ChatRef(row["chat_platform"], row["chat_channel"], row["chat_message_id"])
        if not sink.note(ref, nudge_text(row, waited, target_minutes, hours), _called_on(row, approvers)):
            with exclusive(db):
                db.execute("update mentions set reminded_at = null where id = ?", [row["id"]])
            log.warning("Could not send a reminder; trying again at the next check.")
            break
        sent += 1
    return sent
