"""Writes and reads mentions, cursors and per-source status."""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Iterable
from datetime import UTC, datetime, timedelta

import sqlite_utils

from bot.models import ChatRef, Handling, Intent, Label, Mention, Status, Triage, Urgency
from storage.db import exclusive
from storage.records import Counts, HeldMention, SourceStatus, Waiting


def utc_now() -> datetime:
    return datetime.now(UTC)


def iso(moment: datetime) -> str:
    """UTC ISO-8601 with a fixed width, so text order is time order in SQL."""
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def parse_iso(text: str) -> datetime:
    return datetime.fromisoformat(text.replace("Z", "+00:00"))


_LINKS_AND_HANDLES = re.compile(r"https?://\S+|www\.\S+|(?<!\w)(?:@|u/)[\w.@-]+", re.IGNORECASE)
_NOT_WORDS = re.compile(r"[\W_]+")
CROSS_POST_WINDOW = timedelta(days=2)
MIN_WORDS = 5  # "thank you!" from two people is two mentions, not a cross-post


def fingerprint(text: str) -> str | None:
    """The words of a post without links, handles, case or punctuation; None when too short to tell."""
    words = _NOT_WORDS.sub(" ", _LINKS_AND_HANDLES.sub(" ", text.lower())).split()
    if len(words) < MIN_WORDS:
        return None
    return hashlib.sha1(" ".join(words).encode("utf-8")).hexdigest()[:20]


def _originals(db: sqlite_utils.Database, mentions: list[Mention], prints: dict[str, str | None]) -> dict[str, str]:
    """For each mention that repeats an earlier one (the same words on another network, or from
    the same person, within two days), the id of the first: one query for the whole batch. Without a
    handle (a Google review, a feed entry) nobody is known to be the same person: two reviews alike,
    or a review edited to the same words with other stars, are each their own card."""
    wanted = sorted({p for p in prints.values() if p})
    earlier: dict[str, list[tuple[str, str, str, datetime]]] = {}
    for i in range(0, len(wanted), 500):
        chunk = wanted[i : i + 500]
        for print_, id_, source, handle, created in db.execute(
            f"select fingerprint, id, source, author_handle, created_at from mentions where fingerprint in "
            f"({','.join('?' * len(chunk))}) and duplicate_of is null order by created_at",
            chunk,
        ):
            earlier.setdefault(print_, []).append((id_, source, (handle or "").lower(), parse_iso(created)))
    originals = {}
    for m in sorted(mentions, key=lambda m: m.created_at):
        print_ = prints[m.id]
        if not print_:
            continue
        handle = m.author_handle.lower()
        first = next(
            (
                id_
                for id_, source, other, created in earlier.get(print_, ())
                if id_ != m.id
                and (source != m.source or (handle and other == handle))  # no handle: nobody to be the same
                and abs(created - m.created_at) <= CROSS_POST_WINDOW
            ),
            None,
        )
        if first:
            originals[m.id] = first
        else:
            earlier.setdefault(print_, []).append((m.id, m.source, handle, m.created_at))
    return originals


_SURROGATES = re.compile(r"[\ud800-\udfff]")


def _raw_json(raw: dict) -> str:
    # A network's raw payload is kept as it came, less what SQLite cannot store (lone surrogates).
    return _SURROGATES.sub("", json.dumps(raw, ensure_ascii=False, separators=(",", ":"), default=str))


def save_mentions(
    db: sqlite_utils.Database, triaged: Iterable[tuple[Mention, Triage]], history_before: datetime | None = None
) -> int:
    """Store mentions not seen before; return how many were new. A mention seen again is ignored.

    A cross-post (the same words on another network, or the same person saying it twice) is
    stored too, but held back: it joins the first one's card as a line in its thread.
    Mentions older than `history_before` (set on a source's first poll) are the account's history:
    they get cards, but no reminder (a first start would otherwise call on the channel for each).
    """
    now = utc_now()
    fetched_at = iso(now)
    triaged = list(triaged)
    prints = {m.id: fingerprint(m.text) for m, _ in triaged}
    originals = _originals(db, [m for m, _ in triaged], prints)
    rows = [
        {
            "id": m.id,
            "source": m.source,
            "external_id": m.external_id,
            "author_handle": m.author_handle,
            "author_name": m.author_name,
            "author_followers": m.author_followers,
            "text": m.text,
            "url": m.url,
            "lang": m.lang,
            "created_at": iso(m.created_at),
            "in_reply_to": m.in_reply_to,
            "raw": _raw_json(m.raw),
            "sentiment": t.sentiment,
            "label": t.label,
            "intent": t.intent,
            "urgency": t.urgency,
            "suggestions": json.dumps(list(t.suggestions), ensure_ascii=False),
            "spam": int(t.spam),
            "scored": int(t.scored),
            "suggestion_note": t.note or None,
            "harm": t.harm,
            # Spam and cross-posts are kept and counted, but held back from the channel.
            "status": Status.HELD if t.spam or m.id in originals else Status.NEW,
            "fetched_at": fetched_at,
            "fingerprint": prints[m.id],
            "duplicate_of": originals.get(m.id),
            "reminded_at": fetched_at if history_before and m.created_at < history_before else None,
            "rating": m.rating,
        }
        for m, t in triaged
    ]
    if not rows:
        return 0
    columns = list(rows[0])
    # One prepared statement for the page. sqlite-utils' insert_all checks every value for JSON
    # and rebuilds its SQL per chunk; these values are already plain, and on a burst those
    # checks cost a sixth of the pipeline.
    insert = f"insert or ignore into mentions ({', '.join(columns)}) values ({', '.join('?' * len(columns))})"
    with exclusive(db):
        before = db.conn.total_changes
        db.conn.executemany(insert, [tuple(row.values()) for row in rows])
        added = db.conn.total_changes - before
        if added:
            queue_for_chats(db, [str(r["id"]) for r in rows if r["status"] == Status.NEW], fetched_at)
        touch(db, [str(r["created_at"]) for r in rows])
    return added


def queue_for_chats(db: sqlite_utils.Database, mention_ids: list[str], fetched_at: str | None = None) -> None:
    """Queue these mentions' cards on every chat platform that posts from this database and has none yet.

    With `fetched_at`, only mentions stored at that moment are queued (the ones just added, not ones seen before).
    """
    for i in range(0, len(mention_ids), 500):
        chunk = mention_ids[i : i + 500]
        db.execute(
            "insert or ignore into card_queue (mention_id, platform, queued_at) "
            "select m.id, p.platform, ? from mentions m, chat_platforms p "
            f"where m.id in ({','.join('?' * len(chunk))}) and (? is null or m.fetched_at = ?) "
            "and not exists (select 1 from cards c where c.mention_id = m.id and c.platform = p.platform)",
            [iso(utc_now()), *chunk, fetched_at, fetched_at],
        )


def touch(db: sqlite_utils.Database, created_ats: Iterable[str]) -> None:
    """Note that mentions created on these (UTC) days changed, so cached daily stats for them are redone."""
    now = iso(utc_now())
    db.conn.executemany(
        "insert into changes (utc_day, changed_at) values (?, ?) on conflict(utc_day) do update set changed_at = excluded.changed_at",
        [(day, now) for day in sorted({c[:10] for c in created_ats})],
    )


def unnoted_duplicates(db: sqlite_utils.Database) -> list[tuple[Mention, tuple[ChatRef, ...]]]:
    """Cross-posts whose original's card is in chat but whose thread has not been told yet, with the original's cards."""
    rows = db.query(
        f"select d.*, {cards_column('o')} from mentions d join mentions o on o.id = d.duplicate_of "
        "where d.duplicate_of is not null and d.duplicate_noted_at is null and o.posted_at is not null "
        "order by d.created_at limit 200"
    )
    return [(row_to_mention(r), refs(r)) for r in rows]


def mark_duplicate_noted(db: sqlite_utils.Database, mention_id: str) -> None:
    with exclusive(db):
        db.table("mentions").update(mention_id, {"duplicate_noted_at": iso(utc_now())})


def known_ids(db: sqlite_utils.Database, mention_ids: list[str]) -> set[str]:
    if not mention_ids:
        return set()
    marks = ",".join("?" * len(mention_ids))
    return {r[0] for r in db.execute(f"select id from mentions where id in ({marks})", mention_ids)}


def unposted(db: sqlite_utils.Database, platform: str, limit: int = 500) -> list[tuple[Mention, Triage, Handling]]:
    """Mentions whose card waits for `platform`, oldest first (some may already be answered on the network)."""
    rows = db.query(
        "select m.* from card_queue q join mentions m on m.id = q.mention_id "
        "where q.platform = ? and q.refused is null and m.status != 'held' order by m.created_at, m.id limit ?",
        [platform, limit],
    )
    return [(row_to_mention(r), row_to_triage(r), row_to_handling(r)) for r in rows]


def mark_posted(db: sqlite_utils.Database, mention_id: str, ref: ChatRef) -> None:
    """The mention's card is in chat at `ref`; the mention counts as shown from its first card."""
    now = iso(utc_now())
    with exclusive(db):
        db.execute("update mentions set posted_at = coalesce(posted_at, ?) where id = ?", [now, mention_id])
        db.execute("delete from card_queue where mention_id = ? and platform = ?", [mention_id, ref.platform])
        db.table("cards").upsert(
            {
                "mention_id": mention_id,
                "platform": ref.platform,
                "channel": ref.channel,
                "message_id": ref.message_id,
                "posted_at": now,
            },
            pk=("mention_id", "platform"),
        )


def card_refs(db: sqlite_utils.Database, mention_id: str) -> tuple[ChatRef, ...]:
    """Where the mention's cards are, one per chat platform; none until it is posted."""
    rows = db.execute(
        "select platform, channel, message_id from cards where mention_id = ? order by posted_at", [mention_id]
    )
    return tuple(ChatRef(*row) for row in rows)


def row_to_mention(row: dict) -> Mention:
    return Mention(
        source=row["source"],
        external_id=row["external_id"],
        author_handle=row["author_handle"] or "",
        author_name=row["author_name"] or "",
        text=row["text"],
        url=row["url"] or "",
        created_at=parse_iso(row["created_at"]),
        in_reply_to=row["in_reply_to"],
        author_followers=row["author_followers"],
        lang=row["lang"],
        raw=json.loads(row["raw"] or "{}"),
        rating=row.get("rating"),
    )


def row_to_triage(row: dict) -> Triage:
    return Triage(
        sentiment=row["sentiment"] or 0.0,
        label=Label(row["label"] or Label.NEUTRAL),
        intent=Intent(row["intent"] or Intent.OTHER),
        urgency=Urgency(row["urgency"] or Urgency.NORMAL),
        suggestions=tuple(json.loads(row["suggestions"] or "[]")),
        spam=bool(row["spam"]),
        scored=bool(row["scored"]),
        note=row.get("suggestion_note") or "",
        harm=row.get("harm") or None,
    )


def row_to_handling(row: dict) -> Handling:
    def when(column: str) -> datetime | None:
        return parse_iso(row[column]) if row.get(column) else None

    return Handling(
        status=Status(row["status"]),
        actor_name=row.get("actor_name") or "",
        at=when("status_at"),
        note=row.get("status_note") or "",
        via=row.get("reply_via") or "",
        reply_url=row.get("reply_url") or "",
        approved_by=row.get("approved_by") or "",
        response_secs=row.get("response_secs"),
        posted_at=when("posted_at"),
    )


def get_cursors(db: sqlite_utils.Database, source: str) -> dict[str, str]:
    return {r["key"]: r["value"] for r in db.table("cursors").rows_where("source = ?", [source])}


def set_cursor(db: sqlite_utils.Database, source: str, key: str, value: str) -> None:
    with exclusive(db):
        db.table("cursors").upsert(
            {"source": source, "key": key, "value": value, "updated_at": iso(utc_now())},
            pk=("source", "key"),
        )


def cards_column(table: str = "mentions") -> str:
    """A column `cards` listing the mention's cards (from the `cards` table) as JSON, for `refs`."""
    return (
        "(select json_group_array(json_array(c.platform, c.channel, c.message_id)) from cards c "
        f"where c.mention_id = {table}.id) as cards"
    )


def refs(row: dict) -> tuple[ChatRef, ...]:
    """The cards listed in a row's `cards` column."""
    return tuple(ChatRef(*each) for each in json.loads(row.get("cards") or "[]"))


# What a list of waiting mentions shows (the queue, the reminders): the columns of `row_to_waiting`.
WAITING_COLUMNS = (
    "id, source, author_handle, author_name, text, created_at, label, scored, status, actor_id, actor_name, "
    + cards_column()
)


def row_to_waiting(row: dict) -> Waiting:
    return Waiting(
        id=row["id"],
        source=row["source"],
        author_handle=row["author_handle"] or "",
        author_name=row["author_name"] or "",
        text=row["text"],
        created_at=parse_iso(row["created_at"]),
        label=Label(row["label"] or Label.NEUTRAL),
        scored=bool(row["scored"]),
        status=Status(row["status"]),
        actor_id=row["actor_id"] or "",
        actor_name=row["actor_name"] or "",
        refs=refs(row),
    )


def _source_status(row: dict) -> SourceStatus:
    def when(column: str) -> datetime | None:
        return parse_iso(row[column]) if row.get(column) else None

    return SourceStatus(
        row["source"], when("last_success_at"), row.get("last_error"), when("last_error_at"), when("retry_at")
    )


def source_status(db: sqlite_utils.Database, source: str) -> SourceStatus:
    rows = list(db.table("source_status").rows_where("source = ?", [source]))
    return _source_status(rows[0]) if rows else SourceStatus(source)


def source_statuses(db: sqlite_utils.Database) -> list[SourceStatus]:
    """Every source polled so far, in the order each was first polled."""
    return [_source_status(row) for row in db.query("select * from source_status order by rowid")]


def record_source_result(
    db: sqlite_utils.Database, source: str, error: str | None = None, retry_at: datetime | None = None
) -> None:
    now = iso(utc_now())
    row: dict = {"source": source, "retry_at": iso(retry_at) if retry_at else None}
    if error is None:
        row.update(last_success_at=now, last_error=None, last_error_at=None)
    else:
        row.update(last_error=error, last_error_at=now)
    with exclusive(db):
        db.table("source_status").upsert(row, pk="source")


def held_back(db: sqlite_utils.Database, limit: int) -> tuple[int, list[HeldMention]]:
    """Mentions held back as spam (cross-posts aside, which join their original's card): how many, and the newest."""
    where = "status = 'held' and duplicate_of is null"
    total = db.execute(f"select count(*) from mentions where {where}").fetchone()[0]
    rows = db.execute(
        f"select id, source, author_handle, text, created_at from mentions where {where} "
        "order by created_at desc limit ?",
        [limit],
    )
    return total, [
        HeldMention(id_, source, handle or "", text, parse_iso(created)) for id_, source, handle, text, created in rows
    ]


def release_held(db: sqlite_utils.Database, mention_id: str) -> str:
    """Let a mention held as spam through to chat: 'released', 'not held', or 'unknown'."""
    with exclusive(db):
        row = db.execute("select status, duplicate_of, created_at from mentions where id = ?", [mention_id]).fetchone()
        if row is None:
            return "unknown"
        if row[0] != Status.HELD or row[1] is not None:
            return "not held"
        db.execute("update mentions set status = 'new', spam = 0 where id = ?", [mention_id])
        queue_for_chats(db, [mention_id])
        touch(db, [row[2]])
    return "released"


def recent_by_source(db: sqlite_utils.Database, since: datetime) -> dict[str, int]:
    """Mentions received since `since` (spam and repeats left out), by source."""
    sql = "select source, count(*) as n from mentions where created_at >= ? and status != 'held' group by source"
    return {r["source"]: r["n"] for r in db.query(sql, [iso(since)])}


def counts(db: sqlite_utils.Database) -> Counts:
    """Totals for the end-of-run summary."""
    row = next(
        db.query(
            "select count(*) as total,"
            " sum(posted_at is not null) as posted,"
            " sum(status = 'held' and duplicate_of is null) as held,"
            " sum(posted_at is null and status != 'held') as waiting"
            " from mentions"
        )
    )
    return Counts(**{k: int(v or 0) for k, v in row.items()})


def breakdown(db: sqlite_utils.Database, column: str) -> dict[str, int]:
    """Mentions shown in chat, counted by `label` or `intent`."""
    if column not in ("label", "intent", "urgency", "source", "status"):
        raise ValueError(f"cannot break down by {column!r}")
    sql = f"select {column} as k, count(*) as n from mentions where status != 'held' group by {column}"
    return {r["k"]: r["n"] for r in db.query(sql)}
