"""How fast Slack hears back (the ack) when the team clicks, alone and all at once.

Slack gives an app 3 seconds to acknowledge a click. This serves the real Bolt app over
HTTP (Bolt's WSGI adapter, signature checking on) against the fake Slack Web API from the
tests, puts N cards in the database, and sends signed Claim clicks: one after another, then
from 8 people at once. It reports the ack time as seen by the clicker and how long until
every claim was recorded and its card redrawn. Last output line is JSON.
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bot import config  # noqa: E402
from bot.models import ChatRef, Mention, Triage  # noqa: E402
from storage import mentions as store  # noqa: E402
from storage import open_db  # noqa: E402
from tests.fakes import slack_api  # noqa: E402
from tests.helpers import wait_for  # noqa: E402
from tests.workspace import Workspace  # noqa: E402

PEOPLE = list(slack_api.PEOPLE)


def seed(database: Path, count: int) -> list[str]:
    """`count` mentions whose cards are already in the channel."""
    db = open_db(database)
    now = datetime.now(UTC)
    triaged = [
        (
            Mention(
                "x",
                str(1_900_000_000_000 + i),
                f"customer{i}",
                f"Customer {i}",
                "@bramblecafe where is my order?",
                f"https://x.com/customer{i}/status/{i}",
                now - timedelta(minutes=10),
            ),
            Triage(-0.4, "negative", "complaint", "high", ("Sorry about that!",)),
        )
        for i in range(count)
    ]
    store.save_mentions(db, triaged)
    ids = [m.id for m, _ in triaged]
    db.close()
    return ids


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(share * (len(ordered) - 1))))]


def clicks(workspace: Workspace, ids: list[str], card_ts: dict[str, str], workers: int) -> tuple[list[float], float]:
    def click(index_and_id):
        index, mention_id = index_and_id
        payload = workspace.click_payload(PEOPLE[index % len(PEOPLE)], "mention_claim", mention_id, card_ts[mention_id])
        started = time.perf_counter()
        status, _ = workspace.send(payload)
        assert status == 200, status
        return (time.perf_counter() - started) * 1000

    updates_before = len(workspace.slack.updated)
    started = time.perf_counter()
    with ThreadPoolExecutor(workers) as pool:
        acks = list(pool.map(click, enumerate(ids)))
    assert wait_for(lambda: len(workspace.slack.updated) >= updates_before + len(ids), 300)
    return acks, time.perf_counter() - started


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cards", type=int, default=200)
    args = parser.parse_args()
    fake_slack = slack_api.FakeSlack().start()
    with tempfile.TemporaryDirectory() as tmp:
        database = Path(tmp) / "listening.db"
        ids = seed(database, args.cards * 2)
        db = open_db(database)
        card_ts = {}
        for mention_id in ids:  # the cards, as the channel has them
            ts = f"1700000000.{len(fake_slack.posted) + 1:06d}"
            fake_slack.posted.append({"channel": slack_api.CHANNEL, "ts": ts})
            store.mark_posted(db, mention_id, ChatRef("slack", slack_api.CHANNEL, ts))
            card_ts[mention_id] = ts
        db.close()
        settings = config.load(
            {
                "SLACK_BOT_TOKEN": slack_api.BOT_TOKEN,
                "SLACK_SIGNING_SECRET": "bench-signing-secret",
                "SLACK_CHANNEL": slack_api.CHANNEL,
                "SLACK_API_URL": fake_slack.api_url,
                "DATABASE_PATH": str(database),
            }
        )
        workspace = Workspace(settings, fake_slack)
        results = {"cards": args.cards}
        for label, batch, workers in (("one_by_one", ids[: args.cards], 1), ("eight_at_once", ids[args.cards :], 8)):
            acks, total = clicks(workspace, batch, card_ts, workers)
            results[label] = {
                "ack_ms_median": round(statistics.median(acks), 1),
                "ack_ms_p90": round(percentile(acks, 0.9), 1),
                "ack_ms_max": round(max(acks), 1),
                "all_recorded_and_redrawn_s": round(total, 2),
            }
            print(
                f"{label}: {args.cards} claims, ack median {results[label]['ack_ms_median']} ms, p90 "
                f"{results[label]['ack_ms_p90']} ms, max {results[label]['ack_ms_max']} ms; all recorded and redrawn in {total:.2f} s"
            )
        workspace.stop()
    fake_slack.stop()
    print(json.dumps(results))


if __name__ == "__main__":
    main()
