"""`/listen held` and `/listen post`: mentions held back as spam stay visible, and any of them can be posted as a card."""

from __future__ import annotations

from datetime import datetime

import sqlite_utils

from bot.report import Bold, Code, Line, Report, line, report
from bot.sources import registry
from bot.text import one_line
from bot.wording import age
from storage import mentions as store

SHOWN = 15
POST = Code("/listen post <id>")
HELD = Code("/listen held")


def held_report(db: sqlite_utils.Database, now: datetime) -> Report:
    total, newest = store.held_back(db, SHOWN)
    if not total:
        return report("Nothing is held back as spam.")
    title = line(
        Bold(f"{total} mention{'s' if total != 1 else ''} held back as spam"),
        ", newest first (stored and counted, never posted). To post one as a card: ",
        POST,
        ".",
    )
    lines: list[Line | str] = []
    for held in newest:
        said = one_line(held.text)
        said = said if len(said) <= 80 else said[:79] + "…"
        who = f"@{one_line(held.author_handle)}" if held.author_handle else "someone"
        lines.append(
            line(f"• {age(held.created_at, now)} · {who} on {registry.name(held.source)}: “{said}” — ", Code(held.id))
        )
    if total > len(newest):
        lines.append(f"…and {total - len(newest)} more.")
    return report(title, lines)


def post_held(db: sqlite_utils.Database, mention_id: str) -> Report:
    """Let a held mention through: its card goes out with the next poll."""
    if not mention_id:
        return report(line("Say which one: ", POST, ", with an id from ", HELD, "."))
    outcome = store.release_held(db, mention_id)
    if outcome == "released":
        return report(line(Code(mention_id), " is no longer held back: its card goes out with the next poll."))
    if outcome == "not held":
        return report(
            line(Code(mention_id), " is not held back; its card is already in the channel or waiting to go out.")
        )
    return report(line("There is no mention ", Code(mention_id), ". Copy its id from ", HELD, "."))
