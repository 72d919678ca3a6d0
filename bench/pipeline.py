"""Throughput from fetched X JSON through parsing, triage and storage (Slack posting excluded).

Slack allows about one message per second per channel, so posting is paced, not raced;
this measures everything before it. Last output line is JSON:
{"mentions": N, "mentions_per_s": ..., "peak_rss_mb": ...}
"""

from __future__ import annotations

import argparse
import json
import os
import random
import resource
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from textblob import TextBlob  # noqa: E402

from bot import config, wiring  # noqa: E402
from bot.models import Page  # noqa: E402
from bot.pipeline import Pipeline  # noqa: E402
from bot.sources.x import parse_page  # noqa: E402
from storage import open_db  # noqa: E402

SAMPLES = [m["text"] for m in json.loads((ROOT / "bot" / "sample_mentions.json").read_text())["mentions"]]


def x_pages(count: int, page_size: int = 100) -> list[dict]:
    """X API v2 mention pages, as X sends them with the expansions the source asks for."""
    rng = random.Random(7)
    pages, next_id = [], 1_800_000_000_000_000_000
    for start in range(0, count, page_size):
        tweets, users = [], {}
        for i in range(start, min(count, start + page_size)):
            author = str(10_000 + rng.randrange(2_000))
            users[author] = {
                "id": author,
                "username": f"customer{author}",
                "name": f"Customer {author}",
                "public_metrics": {"followers_count": rng.randrange(50_000)},
            }
            text = f"{rng.choice(SAMPLES)} #{i}"
            tweets.append(
                {
                    "id": str(next_id - i),
                    "text": text,
                    "author_id": author,
                    "lang": "en",
                    "created_at": "2026-11-20T10:00:00.000Z",
                    "edit_history_tweet_ids": [str(next_id - i)],
                }
            )
        pages.append(
            {
                "data": tweets,
                "includes": {"users": list(users.values())},
                "meta": {"result_count": len(tweets), "newest_id": tweets[0]["id"], "oldest_id": tweets[-1]["id"]},
            }
        )
    return pages


class ReplayX:
    """A source that parses pre-fetched X pages with the real parser."""

    name = "x"

    def __init__(self, bodies: list[dict]):
        self.bodies = [json.dumps(b) for b in bodies]  # parsed inside the timed part, like a response

    def fetch(self, cursors):
        for body in self.bodies:
            yield Page("mentions", parse_page(json.loads(body)))
        yield Page("mentions", [], cursor="done")


def textblob_rate(texts: list[str]) -> float:
    """Raw TextBlob(text).sentiment per second: a yardstick for the machine, since one machine's day can be
    twice another's and the pipeline's own figure moves with it."""
    best = float("inf")
    for _ in range(3):
        started = time.perf_counter()
        for text in texts:
            TextBlob(text).sentiment.polarity  # noqa: B018
        best = min(best, time.perf_counter() - started)
    return len(texts) / best


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--mentions", type=int, default=10_000)
    args = parser.parse_args()
    source = ReplayX(x_pages(args.mentions))
    with tempfile.TemporaryDirectory() as tmp:
        settings = config.load({"DATABASE_PATH": str(Path(tmp) / "bench.db")})
        db = open_db(settings.database_path)
        pipeline = Pipeline(db, [source], None, wiring.triager(settings))
        started = time.perf_counter()
        report = pipeline.run_cycle()
        elapsed = time.perf_counter() - started
        stored = db.execute("select count(*) from mentions").fetchone()[0]
        db.close()
    assert report.new == stored == args.mentions, (report, stored)
    rss_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    blob_rate = textblob_rate([t["text"] for page in x_pages(2_000) for t in page["data"]])
    print(
        f"{args.mentions} mentions in {elapsed:.2f} s on {os.cpu_count()} cores; "
        f"raw TextBlob sentiment alone does {blob_rate:,.0f} of these texts a second on this machine"
    )
    print(
        json.dumps(
            {
                "mentions": args.mentions,
                "mentions_per_s": round(args.mentions / elapsed),
                "textblob_per_s": round(blob_rate),
                "peak_rss_mb": round(rss_mb, 1),
            }
        )
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
