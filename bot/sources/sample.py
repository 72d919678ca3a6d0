"""A source that reads the bundled sample mentions, so the demo runs with no credentials."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

from bot.models import Mention, Page
from bot.sources import registry

SAMPLE_FILE = Path(__file__).resolve().parents[1] / "sample_mentions.json"

# Google reviews, Facebook comments and Instagram comments, in the sample file's fields; a review has its
# stars (`rating`) and may have no words. Facebook has no @handles and a review names nobody by one, so
# theirs are empty; on Instagram the @username is the name too, as the real source gives it.
MORE_SAMPLES: list[dict] = [
    {
        "network": "google",
        "id": "AbFvOqkZr3xW8mLq0tYc2sHnE5uPdG7aJ1vB",
        "handle": "",
        "name": "Graham Keir",
        "rating": 1,
        "text": "Waited 25 minutes for two coffees and a scone, and nobody said sorry. The scone was dry as well. "
        "Such a shame, it used to be our favourite spot.",
        "minutes_ago": 64,
        "lang": "en",
    },
    {
        "network": "google",
        "id": "AbFvOqlT6nY2pKc9RwQe4jUmX8bZfH0sVd3L",
        "handle": "",
        "name": "Morag Campbell",
        "rating": 5,
        "text": "",
        "minutes_ago": 47,
    },
    {
        "network": "google",
        "id": "AbFvOqnP1cV5hMx7TzLr9gWbK3eYsA6uQj2N",
        "handle": "",
        "name": "Ewan Fraser",
        "rating": 4,
        "text": "Lovely brunch and really friendly staff. Do you take bookings for a group of 10 on a Sunday morning?",
        "minutes_ago": 22,
        "lang": "en",
    },
    {
        "network": "facebook",
        "id": "122118407562519283_1048573625192830",
        "handle": "",
        "name": "Fiona MacLeod",
        "text": "Are you open on the bank holiday Monday? Hoping to bring the whole family for brunch",
        "minutes_ago": 41,
        "lang": "en",
    },
    {
        "network": "facebook",
        "id": "122118407562519283_1048573625192877",
        "handle": "",
        "name": "Dougie Reid",
        "text": "Best lemon drizzle in Leith, and the lad at the counter found us a high chair without us even asking. "
        "Cheers folks!",
        "minutes_ago": 19,
        "lang": "en",
    },
    {
        "network": "instagram",
        "id": "C9pQ3xLsT2a",
        "handle": "eilidh.eats",
        "name": "eilidh.eats",
        "text": "that latte art 😍 which beans are you using at the moment?",
        "minutes_ago": 34,
        "lang": "en",
    },
    {
        "network": "instagram",
        "id": "C9rT7kVmN4b",
        "handle": "leithwalker",
        "name": "leithwalker",
        "text": "The vegan brownie I bought today had walnuts in it and I'm allergic. Please label these properly",
        "minutes_ago": 12,
        "lang": "en",
    },
]


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
        entries = json.loads(self.path.read_text(encoding="utf-8"))["mentions"] + MORE_SAMPLES
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
                rating=e.get("rating"),
            )
            for e in entries
        ]
        yield Page("sample", mentions, cursor=str(len(mentions)))
