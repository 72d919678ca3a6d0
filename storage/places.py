"""The channels chat platforms told the bot about: learned when the bot is added to a team, left when it is removed."""

from __future__ import annotations

import sqlite_utils

from storage.db import exclusive
from storage.mentions import iso, parse_iso, utc_now
from storage.records import ChatPlace


def learn_place(
    db: sqlite_utils.Database, platform: str, channel: str, address: str, team: str, name: str, group_id: str = ""
) -> None:
    """Remember a channel (again): the latest one learned is where the platform's cards go."""
    with exclusive(db):
        db.execute(
            "insert into chat_places (platform, channel, address, team, name, group_id, learned_at, left_at) "
            "values (?, ?, ?, ?, ?, ?, ?, null) on conflict(platform, channel) do update set "
            "address = excluded.address, team = excluded.team, name = excluded.name, "
            "group_id = coalesce(nullif(excluded.group_id, ''), chat_places.group_id), "
            "learned_at = excluded.learned_at, left_at = null",
            [platform, channel, address, team, name, group_id, iso(utc_now())],
        )


def leave_team(db: sqlite_utils.Database, platform: str, team: str) -> None:
    """The bot was removed from `team`: its channels are no longer posted to."""
    with exclusive(db):
        db.execute(
            "update chat_places set left_at = ? where platform = ? and team = ? and left_at is null",
            [iso(utc_now()), platform, team],
        )


def current_place(db: sqlite_utils.Database, platform: str) -> ChatPlace | None:
    """The channel learned last and not left, if any."""
    row = db.execute(
        "select platform, channel, address, team, name, learned_at, group_id from chat_places "
        "where platform = ? and left_at is null order by learned_at desc, rowid desc limit 1",
        [platform],
    ).fetchone()
    if row is None:
        return None
    platform, channel, address, team, name, learned_at, group_id = row
    return ChatPlace(platform, channel, address, team or "", name or "", parse_iso(learned_at), group_id or "")
