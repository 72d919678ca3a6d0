"""A source that reads the bundled sample mentions, so the demo runs with no credentials."""
from __future__ import annotations

import json
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Iterator

from bot.models import REPLY_LIMITS, Mention, Page

SAMPLE_FILE = Path(__file__).resolve().parents[1] / "sample_mentions.json"
PROFILE_URLS = {"x": "https://x.com/{handle}/status/{id}"}


class SampleSource:
    """Every bundled mention, timed as if it arrived minutes ago; storage drops repeats."""

    name = "sample"
    reply_limit = REPLY_LIMITS["x"]

    def __init__(self, path: Path = SAMPLE_FILE):
        self.path = path

    def fetch(self, cursors: dict[str, str]) -> Iterator[Page]:
        now = datetime.now(timezone.utc)
        entries = json.loads(self.path.read_text(encoding="utf-8"))["mentions"]
        mentions = [
            Mention(
                source=e["network"], external_id=e["id"], author_handle=e["handle"],
                author_name=e["name"], text=e["text"],
                url=PROFILE_URLS.get(e["network"], "").format(handle=e["handle"], id=e["id"]),
                created_at=now - timedelta(minutes=e["minutes_ago"]),
                author_followers=e.get("followers"), lang=e.get("lang"), raw=e,
            )
            for e in entries
        ]
        yield Page("sample", mentions, cursor=str(len(mentions)))
