"""The similar-reply lookup behind learned suggestions, with N stored team replies (target: p99 ≤ 5 ms at 100,000).

    .venv/bin/python bench/learned_lookup.py [--replies 100000] [--lookups 2000]

Stores N replies to synthetic mentions made from the bundled sample texts with words swapped in
and out, then times `team_replies.similar` for new mentions of the same kind. Prints one JSON line.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import statistics
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from storage import open_db, team_replies  # noqa: E402
from storage.db import exclusive  # noqa: E402

SAMPLES = [m["text"] for m in json.loads((ROOT / "bot" / "sample_mentions.json").read_text())["mentions"]]
EXTRA = (
    "latte scone table booking order delivery refund cold late rude staff parking dog oat vegan cake bread queue "
    "price card machine wifi music noise toilet window terrace brunch sandwich soup tea milk sugar"
).split()


def mention_text(rng: random.Random) -> str:
    words = rng.choice(SAMPLES).split()
    return " ".join(words + rng.sample(EXTRA, 4))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--replies", type=int, default=100_000)
    parser.add_argument("--lookups", type=int, default=2_000)
    args = parser.parse_args()
    rng = random.Random(5)
    with tempfile.TemporaryDirectory() as tmp:
        db = open_db(Path(tmp) / "bench.db")
        at = datetime(2026, 11, 1, tzinfo=UTC)
        intents = [("complaint", "negative"), ("question", "neutral"), ("praise", "positive"), ("other", "neutral")]
        with exclusive(db):
            for i in range(args.replies):
                intent, label = rng.choice(intents)
                row = {
                    "id": f"x:{i}",
                    "source": "x",
                    "intent": intent,
                    "label": label,
                    "text": mention_text(rng),
                    "author_handle": f"customer{i}",
                    "author_name": "Customer",
                }
                team_replies.keep(db, row, "Thanks for telling us, we'll sort it out today.", "Sam", at)
        times = []
        found = 0
        for _ in range(args.lookups):
            intent, label = rng.choice(intents)
            started = time.perf_counter()
            found += bool(team_replies.similar(db, mention_text(rng), intent, label, limit=1))
            times.append((time.perf_counter() - started) * 1000)
        db.close()
    times.sort()
    print(
        json.dumps(
            {
                "replies": args.replies,
                "lookups": args.lookups,
                "found": found,
                "median_ms": round(statistics.median(times), 2),
                "p99_ms": round(times[int(len(times) * 0.99) - 1], 2),
                "max_ms": round(times[-1], 2),
                "cores": os.cpu_count(),
            }
        )
    )


if __name__ == "__main__":
    main()
