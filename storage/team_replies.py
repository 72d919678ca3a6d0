"""The replies the team actually sent, kept with the mention they answered and searched by its words (SQLite FTS5, bm25)."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime

import sqlite_utils

from bot.models import Intent, Label
from storage.mentions import iso, parse_iso

_WORDS = re.compile(r"[^\W\d_]{3,}", re.UNICODE)  # words of 3+ letters; numbers and handles never match a case
_HANDLES_LINKS = re.compile(r"https?://\S+|www\.\S+|(?<!\w)[@#]\w+")
# Words that say nothing about what a post is about.
_STOP = frozenset(
    """
the and for you your yours our are was were but not with this that have has had they them their there here what when
where which who why how can could would should will just very really about from into out over some any all been being
its it's im i'm ive i've dont don't didnt didn't cant can't wont won't get got one two too also than then only still
thanks thank today yesterday tomorrow please hello guys
""".split()
)
MIN_SHARED = 2  # content words a past mention must share with the new one to be "like" it
QUERY_WORDS = 6  # the new mention's words the search uses (its longest)
CANDIDATES = 50  # newest matching mentions looked at


@dataclass(frozen=True)
class PastReply:
    mention_id: str
    mention_text: str
    author_handle: str
    author_name: str
    reply_text: str
    replier: str
    replied_at: datetime
    shared: int  # content words in common with the mention looked up


def content_words(text: str) -> set[str]:
    return {w for w in _WORDS.findall(_HANDLES_LINKS.sub(" ", text.lower())) if w not in _STOP}


def keep(db: sqlite_utils.Database, row: dict, reply_text: str, replier: str, at: datetime) -> None:
    """Remember a reply the team sent (inside the caller's transaction), with the mention it answered."""
    if not (reply_text or "").strip():
        return
    db.table("team_replies").insert(
        {
            "mention_id": row["id"],
            "source": row["source"],
            "intent": row["intent"],
            "label": row["label"],
            "mention_text": row["text"],
            "author_handle": row["author_handle"] or "",
            "author_name": row["author_name"] or "",
            "reply_text": reply_text,
            "replier": replier,
            "replied_at": iso(at),
        }
    )


def any_kept(db: sqlite_utils.Database) -> bool:
    """Whether the team has sent any reply yet (until then there is nothing to learn from)."""
    return db.execute("select 1 from team_replies limit 1").fetchone() is not None


def similar(
    db: sqlite_utils.Database, text: str, intent: Intent, label: Label, exclude: str = "", limit: int = 5
) -> list[PastReply]:
    """Past replies to mentions like `text` (at least MIN_SHARED words in common): the same intent, never
    the opposite sentiment; most words in common first, then the newest.

    The search asks FTS5 for mentions sharing any two of the new mention's longest words (long words
    are the rarer, telling ones), newest first, and stops after CANDIDATES: it never ranks every
    mention that merely says "latte", so it stays fast with a hundred thousand replies stored.
    """
    wanted = content_words(text)
    words = sorted(wanted, key=lambda w: (-len(w), w))[:QUERY_WORDS]
    if len(words) < MIN_SHARED:
        return []
    pairs = [f'("{a}" AND "{b}")' for i, a in enumerate(words) for b in words[i + 1 :]]
    opposite = {Label.POSITIVE: Label.NEGATIVE, Label.NEGATIVE: Label.POSITIVE}.get(label, "")
    rows = db.execute(
        "select r.mention_id, r.mention_text, r.author_handle, r.author_name, r.reply_text, r.replier, r.replied_at "
        "from team_replies r where r.rowid in (select rowid from team_replies_fts where team_replies_fts match ? "
        "order by rowid desc limit ?) and r.intent = ? and r.label != ? and r.mention_id != ? order by r.rowid desc",
        [" OR ".join(pairs), CANDIDATES, intent, opposite, exclude],
    ).fetchall()
    found = []
    for mention_id, mention_text, handle, name, reply_text, replier, replied_at in rows:
        shared = len(wanted & content_words(mention_text))
        if shared >= MIN_SHARED:
            found.append(
                PastReply(mention_id, mention_text, handle, name, reply_text, replier, parse_iso(replied_at), shared)
            )
    found.sort(key=lambda p: (-p.shared, -p.replied_at.timestamp()))
    return found[:limit]
