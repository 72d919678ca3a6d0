"""The reminder marks: which waiting mentions are due a nudge, marking them before it is sent, taking a mark back."""

from __future__ import annotations

from datetime import datetime

import sqlite_utils

from storage.db import exclusive, get_meta, set_meta
from storage.mentions import WAITING_COLUMNS, iso, parse_iso, row_to_waiting
from storage.records import Waiting

# The same terms as the partial index idx_mentions_unreminded, so SQLite can use it.
_UNREMINDED = "reminded_at is null and status in ('new', 'claimed', 'pending')"
_LAST_CHANNEL_CALL = "reminders_last_channel_call"


def unreminded(db: sqlite_utils.Database, created_before: datetime, limit: int) -> list[Waiting]:
    """Waiting, posted, never-nudged mentions made before `created_before`, oldest first."""
    rows = db.query(
        f"select {WAITING_COLUMNS} from mentions indexed by idx_mentions_unreminded where {_UNREMINDED} "
        f"and created_at <= ? and posted_at is not null order by created_at limit ?",
        [iso(created_before), limit],
    )
    return [row_to_waiting(row) for row in rows]


def mark(db: sqlite_utils.Database, mention_ids: list[str], now: datetime) -> set[str]:
    """Mark these reminded; returns those still waiting and not marked by another run meanwhile."""
    taken = set()
    with exclusive(db):  # a click may have answered one since it was read
        for mention_id in mention_ids:
            if db.execute(
                f"update mentions set reminded_at = ? where id = ? and {_UNREMINDED}", [iso(now), mention_id]
            ).rowcount:
                taken.add(mention_id)
    return taken


def unmark(db: sqlite_utils.Database, mention_ids: list[str]) -> None:
    """Take marks back (the nudge could not be sent), so the next check sends it."""
    with exclusive(db):
        db.conn.executemany("update mentions set reminded_at = null where id = ?", [(i,) for i in mention_ids])


def last_channel_call(db: sqlite_utils.Database) -> datetime | None:
    value = get_meta(db, _LAST_CHANNEL_CALL)
    return parse_iso(value) if value else None


def note_channel_call(db: sqlite_utils.Database, at: datetime) -> None:
    with exclusive(db):
        set_meta(db, _LAST_CHANNEL_CALL, iso(at))
