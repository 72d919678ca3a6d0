"""A source that reads the bundled sample mentions, so the demo runs with no credentials."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

from bot.models import Mention, Page
from bot.sources import registry

SAMPLE_FILE = Path(__file__).resolve().parents[1] / "sample_mentions.json"


def sample_url(entry: dict) -> str:
    """A realistic link for a sample mention (feeds carry their own)."""
    if entry.get("url"):
        return entry["url"]
    user, _, server = entry["handle"].partition("@")
    network = registry.network(entry["network"])
    return (network.sample_link if network else "").format(
        handle=entry["handle"],
        id=entry["id"],
        user=user,
        server=server or "mastodon.social",
        rkey=entry["id"].rsplit("/", 1)[-1],
        thing=entry["id"].removeprefix("t3_"),
    )


class SampleSource:
    """Every bundled mention, timed as if it arrived minutes ago; storage drops repeats."""

    name = "sample"

    def __init__(self, path: Path = SAMPLE_FILE):
        self.path = path

    def fetch(self, cursors: dict[str, str]) -> Iterator[Page]:
        now = datetime.now(UTC)
        entries = json.loads(self.path.read_text(encoding="utf-8"))["mentions"]
        mentions = [
            Mention(
                source=e["network"],
                external_id=e["id"],
                author_handle=e["handle"],
                author_name=e["name"],
                text=e["text"],
                url=sample_url(e),
                created_at=now - timedelta(minutes=e["minutes_ago"]),
                author_followers=e.get("followers"),
                lang=e.get("lang"),
                raw=e,
            )
            for e in entries
        ]
        yield Page("sample", mentions, cursor=str(len(mentions)))
