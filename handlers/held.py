"""`/listen held` and `/listen post`: mentions held back as spam stay visible, and any of them can be posted as a card."""

from __future__ import annotations

from datetime import datetime

import sqlite_utils

from bot.chat.cards import age, network_name
from bot.text import one_line
from storage import mentions as store

SHOWN = 15


def held_report(db: sqlite_utils.Database, now: datetime) -> str:
    total, newest = store.held_back(db, SHOWN)
    if not total:
        return "Nothing is held back as spam."
    lines = [
        f"*{total} mention{'s' if total != 1 else ''} held back as spam*, newest first "
        "(stored and counted, never posted). To post one as a card: `/listen post <id>`."
    ]
    for held in newest:
        said = one_line(held.text)
        said = said if len(said) <= 80 else said[:79] + "…"
        who = f"@{one_line(held.author_handle)}" if held.author_handle else "someone"
        lines.append(f"• {age(held.created_at, now)} · {who} on {network_name(held.source)}: “{said}” — `{held.id}`")
    if total > len(newest):
        lines.append(f"…and {total - len(newest)} more.")
    return "\n".join(lines)


def post_held(db: sqlite_utils.Database, mention_id: str) -> str:
    """Let a held mention through: its card goes out with the next poll."""
    if not mention_id:
        return "Say which one: `/listen post <id>`, with an id from `/listen held`."
    outcome = store.release_held(db, mention_id)
    if outcome == "released":
        return f"`{mention_id}` is no longer held back: its card goes out with the next poll."
    if outcome == "not held":
        return f"`{mention_id}` is not held back; its card is already in the channel or waiting to go out."
    return f"There is no mention `{mention_id}`. Copy its id from `/listen held`."
