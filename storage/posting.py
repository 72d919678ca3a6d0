"""Getting cards into chat exactly once: post attempts not yet confirmed, cards refused for good, and the posting lease."""

from __future__ import annotations

import os
import socket
import uuid
from collections.abc import Iterable
from datetime import datetime, timedelta

import sqlite_utils

from storage.db import exclusive
from storage.mentions import iso, parse_iso, utc_now


def join(db: sqlite_utils.Database, platform: str) -> None:
    """Make `platform` one that cards are posted to from this database (once; later calls do nothing).

    It gets a card for every mention shown nowhere yet and for each new one from now on; mentions
    already on another platform are not posted again here. The first platform to join takes over
    the attempts and refusals kept on the mentions themselves before there could be several.
    """
    with exclusive(db):
        if db.execute("select 1 from chat_platforms where platform = ?", [platform]).fetchone():
            return
        first = db.execute("select count(*) from chat_platforms").fetchone()[0] == 0
        now = iso(utc_now())
        db.execute("insert into chat_platforms (platform, joined_at) values (?, ?)", [platform, now])
        db.execute(
            "insert or ignore into card_queue (mention_id, platform, queued_at, attempted_at, refused) "
            "select id, ?, ?, case when ? then post_attempted_at end, case when ? then post_refused end "
            "from mentions where posted_at is null and status != 'held'",
            [platform, now, first, first],
        )


def oldest_unposted(db: sqlite_utils.Database, platform: str) -> datetime | None:
    """When the oldest mention still waiting for its card on `platform` was made; None when none waits."""
    row = db.execute(
        "select min(m.created_at) from card_queue q join mentions m on m.id = q.mention_id "
        "where q.platform = ? and q.refused is null and m.status != 'held'",
        [platform],
    ).fetchone()
    return parse_iso(row[0]) if row and row[0] else None


def unposted_among(db: sqlite_utils.Database, platform: str, mention_ids: Iterable[str]) -> list[str]:
    """Which of these mentions wait for their card on `platform`."""
    ids, found = list(mention_ids), []
    for i in range(0, len(ids), 500):
        chunk = ids[i : i + 500]
        found += [
            r[0]
            for r in db.execute(
                f"select mention_id from card_queue where platform = ? and mention_id in ({','.join('?' * len(chunk))})",
                [platform, *chunk],
            )
        ]
    return found


def post_attempted_at(db: sqlite_utils.Database, mention_id: str, platform: str) -> datetime | None:
    """When an unconfirmed attempt to post this card on `platform` was made, if one was."""
    row = db.execute(
        "select attempted_at from card_queue where mention_id = ? and platform = ?", [mention_id, platform]
    ).fetchone()
    return parse_iso(row[0]) if row and row[0] else None


def mark_post_attempt(db: sqlite_utils.Database, mention_id: str, platform: str) -> None:
    """Written before a card is sent: if no confirmation is recorded, the card may be in chat already.

    Each attempt overwrites the last: an earlier attempt was looked for in chat (and not found)
    before this one was made, so only the newest can have landed unseen.
    """
    _set(db, mention_id, platform, "attempted_at = ?", [iso(utc_now())])


def clear_post_attempt(db: sqlite_utils.Database, mention_id: str, platform: str) -> None:
    """The platform said for sure that it did not post the card."""
    _set(db, mention_id, platform, "attempted_at = null", [])


def mark_refused(db: sqlite_utils.Database, mention_id: str, platform: str, reason: str) -> None:
    """Set a card aside that the chat platform will never accept; it is counted in /listen status."""
    _set(db, mention_id, platform, "refused = ?, attempted_at = null", [reason])


def _set(db: sqlite_utils.Database, mention_id: str, platform: str, assignments: str, values: list) -> None:
    with exclusive(db):
        db.execute(
            f"update card_queue set {assignments} where mention_id = ? and platform = ?",
            [*values, mention_id, platform],
        )


# Who is posting: this process, told apart from another on the same machine or elsewhere.
POSTER = f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:8]}"
# Renewed with every card; long enough for one card's slowest path (a look-up in chat, then the post).
POSTING_LEASE = timedelta(minutes=10)


def _alive(holder: str) -> bool:
    """False only when the holder is a process on this machine that has ended (a crash or kill -9)."""
    host, pid, _ = (holder.split(":") + ["", "", ""])[:3]
    if host != socket.gethostname() or not pid.isdigit():
        return True
    if int(pid) == os.getpid():  # our own pid: this very process, or an earlier run (a container restarted as PID 1)
        return holder == POSTER
    try:
        os.kill(int(pid), 0)
    except ProcessLookupError:
        return False
    except OSError:
        return True
    return True


def take_posting_lease(db: sqlite_utils.Database, holder: str = POSTER) -> str | None:
    """Take or renew the right to post cards from this database; returns who else holds it, or None.

    Two processes on one database (`run` twice, or `poll` from cron beside `run`) would both
    post the same waiting cards; with the lease, one posts and the other only stores.
    """
    now = utc_now()
    with exclusive(db):
        row = db.execute("select value from meta where key = 'poster'").fetchone()
        if row:
            other, _, until = row[0].rpartition("|")
            if other != holder and until > iso(now) and _alive(other):
                return other
        db.execute(
            "insert into meta (key, value) values ('poster', ?) on conflict(key) do update set value = excluded.value",
            [f"{holder}|{iso(now + POSTING_LEASE)}"],
        )
    return None


def release_posting_lease(db: sqlite_utils.Database, holder: str = POSTER) -> None:
    with exclusive(db):
        db.execute("delete from meta where key = 'poster' and value like ?", [holder + "|%"])


def refused_count(db: sqlite_utils.Database) -> int:
    """Mentions whose card a chat platform refused for good (on any platform)."""
    return db.execute("select count(distinct mention_id) from card_queue where refused is not null").fetchone()[0]
