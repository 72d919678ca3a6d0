"""Records what the team did with each mention: its current handling and the append-only events log."""

from __future__ import annotations

from datetime import datetime, timedelta

import sqlite_utils

from bot.models import Actor, Status
from storage import team_replies
from storage.db import exclusive
from storage.mentions import cards_column, iso, parse_iso, refs, row_to_handling, row_to_mention, row_to_triage, touch
from storage.records import Card, FastestReply, StoredMention


def _stored(row: dict) -> StoredMention:
    return StoredMention(
        row_to_mention(row),
        row_to_triage(row),
        row_to_handling(row),
        refs(row),
        actor_id=row["actor_id"] or "",
        sending_by=row["sending_by"] or "",
        sending_at=parse_iso(row["sending_at"]) if row["sending_at"] else None,
        row=row,
    )


def stored_mention(db: sqlite_utils.Database, mention_id: str) -> StoredMention | None:
    rows = list(db.query(f"select *, {cards_column()} from mentions where id = ?", [mention_id]))
    return _stored(rows[0]) if rows else None


def find_by_external_id(db: sqlite_utils.Database, source: str, external_id: str) -> StoredMention | None:
    rows = list(
        db.query(
            f"select *, {cards_column()} from mentions where source = ? and external_id = ?", [source, external_id]
        )
    )
    return _stored(rows[0]) if rows else None


def reply_known(db: sqlite_utils.Database, reply_external_id: str) -> bool:
    """Whether this network reply is already in the log (sent by us, or detected before)."""
    return bool(list(db.query("select 1 from events where reply_external_id = ? limit 1", [reply_external_id])))


def record(
    db: sqlite_utils.Database,
    stored: StoredMention,
    action: str,
    actor: Actor,
    via: str,
    at: datetime,
    status: Status,
    note: str = "",
    reply_text: str | None = None,
    reply_external_id: str | None = None,
    suggestion: tuple[int | None, str] | None = None,
    **columns,
) -> StoredMention:
    """Log one action and move the mention to `status`; call inside `exclusive()`. Returns the mention as it is now.

    `suggestion` is (index, use) for a reply written in the form: the suggestion it started from
    (None: none) and "as_is", "edited" or "own".

    `columns` may override the handling shown on the card (e.g. who holds it after a rejection).
    """
    row = stored.row
    changes = {
        "status": status,
        "actor_id": actor.id,
        "actor_name": actor.name,
        "status_at": iso(at),
        "status_note": reply_text if reply_text is not None else note,
        **columns,
    }
    if row["first_action_at"] is None and not actor.is_bot:
        changes["first_action_at"] = iso(at)
        if row["posted_at"]:
            changes["pickup_secs"] = max(0, int((at - parse_iso(row["posted_at"])).total_seconds()))
    if action == "replied":
        changes.update(reply_via=via, reply_external_id=reply_external_id, sending_by=None, sending_at=None)
        if row["first_replied_at"] is None and not actor.is_bot:
            changes.update(
                first_replied_at=iso(at),
                first_replier_id=actor.id,
                first_replier_name=actor.name,
                response_secs=max(0, int((at - parse_iso(row["created_at"])).total_seconds())),
            )
    if action == "replied" and reply_text and not actor.is_bot:
        team_replies.keep(db, row, reply_text, actor.name, at)
    db.table("mentions").update(row["id"], changes)
    touch(db, [row["created_at"]])
    db.table("events").insert(
        {
            "mention_id": row["id"],
            "actor_id": actor.id,
            "actor_name": actor.name,
            "action": action,
            "via": via,
            "reply_text": reply_text,
            "reply_external_id": reply_external_id,
            "note": note or None,
            "at": iso(at),
            "suggestion": suggestion[0] if suggestion else None,
            "suggestion_use": suggestion[1] if suggestion else None,
        }
    )
    return _stored({**row, **changes})


def reserve_sending(db: sqlite_utils.Database, mention_id: str, actor: Actor, at: datetime) -> None:
    """Mark a reply as on its way, so a second click cannot send another; call inside `exclusive()`."""
    db.table("mentions").update(mention_id, {"sending_by": actor.name, "sending_at": iso(at)})


def release_sending(db: sqlite_utils.Database, mention_id: str) -> None:
    with exclusive(db):
        db.table("mentions").update(mention_id, {"sending_by": None, "sending_at": None})


def card(db: sqlite_utils.Database, mention_id: str) -> Card | None:
    """Everything needed to draw a mention's card as it stands now."""
    stored = stored_mention(db, mention_id)
    return stored.card if stored else None


def response_times(db: sqlite_utils.Database) -> list[int]:
    """Seconds from each replied mention's arrival on its network to its first reply."""
    return [r[0] for r in db.execute("select response_secs from mentions where response_secs is not null")]


def suggestion_use(db: sqlite_utils.Database, since: datetime, until: datetime) -> dict[str, int]:
    """Replies written in the form between `since` and `until`, by how the suggestion was used."""
    return {
        r[0]: r[1]
        for r in db.execute(
            "select suggestion_use, count(*) from events indexed by idx_events_suggestion_use "
            "where suggestion_use is not null and at >= ? and at < ? group by suggestion_use",
            [iso(since), iso(until)],
        )
    }


def fastest_reply(db: sqlite_utils.Database, since: datetime, until: datetime) -> FastestReply | None:
    """The fastest first reply a person made in [since, until)."""
    row = db.execute(
        "select source, author_handle, text, first_replier_name, response_secs from mentions "
        "where created_at >= :earliest and created_at < :until and first_replied_at >= :since and first_replied_at < :until "
        "and response_secs is not null order by response_secs, first_replied_at limit 1",
        {"earliest": iso(since - timedelta(days=30)), "since": iso(since), "until": iso(until)},
    ).fetchone()
    if row is None:
        return None
    source, handle, text, replier, secs = row
    return FastestReply(source, handle or "", text, replier or "", secs)


def actor_names(db: sqlite_utils.Database, actor_ids: tuple[str, ...]) -> dict[str, str]:
    """The latest name each person acted under, by their ID (for calling on them by name)."""
    names: dict[str, str] = {}
    for actor_id in actor_ids:
        row = db.execute(
            "select actor_name from events where actor_id = ? and coalesce(actor_name, '') != '' "
            "order by rowid desc limit 1",
            [actor_id],
        ).fetchone()
        if row:
            names[actor_id] = row[0]
    return names
