"""Teams: how fast a button press is answered (alone and 8 at once), and the memory Teams adds to the service.

A Teams invoke (Action.Execute) must be answered within a few seconds, and the answer carries the
redrawn card, so unlike Slack's ack the whole action happens before it: the claim's transaction,
the card redrawn for everyone (a PUT to the Bot Connector) and the note in its thread. This serves
the real SDK behind the bot's own web server against the fake Entra, Bot Connector and Graph from
the tests, puts N cards in the database and sends signed Claim presses. Then it starts
`python -m bot run` three times (Slack only, Teams only, both) and reads each one's memory once
it has polled. Last output line is JSON.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bench.clicks import percentile, seed  # noqa: E402
from bench.memory import free_port, memory_mb, wait_until  # noqa: E402
from bot import config  # noqa: E402
from bot.models import ChatRef  # noqa: E402
from storage import DatabaseProblem, open_db, places  # noqa: E402
from storage import mentions as store  # noqa: E402
from tests.fakes import slack_api, x_api  # noqa: E402
from tests.fakes.teams_api import FakeConnector, FakeEntra  # noqa: E402
from tests.fakes.teams_graph import CHANNEL, TEAM_ID, FakeGraph  # noqa: E402
from tests.teams_workspace import PEOPLE, TeamsWorkspace, teams_env  # noqa: E402

WHO = list(PEOPLE)


def presses(
    workspace: TeamsWorkspace, ids: list[str], card_ids: dict[str, str], workers: int
) -> tuple[list[float], float]:
    def press(index_and_id):
        index, mention_id = index_and_id
        started = time.perf_counter()
        status, answer = workspace.press(WHO[index % len(WHO)], "claim", mention_id, card_ids[mention_id])
        assert status == 200, (status, answer)
        return (time.perf_counter() - started) * 1000

    started = time.perf_counter()
    with ThreadPoolExecutor(workers) as pool:
        answered = list(pool.map(press, enumerate(ids)))
    return answered, time.perf_counter() - started


def invoke_latency(cards: int) -> dict:
    connector, entra = FakeConnector().start(), FakeEntra().start()
    graph = FakeGraph(connector).start()
    with tempfile.TemporaryDirectory() as tmp:
        database = Path(tmp) / "listening.db"
        ids = seed(database, cards * 2)
        db = open_db(database)
        places.learn_place(db, "teams", CHANNEL, connector.service_url, CHANNEL, "Bramble Café", TEAM_ID)
        card_ids = {}
        for mention_id in ids:  # the cards, as the channel has them
            card_id = str(1_700_000_000_000 + len(connector.activities) + 1)
            connector.activities.append(
                {
                    "type": "message",
                    "id": card_id,
                    "conversation_id": CHANNEL,
                    "attachments": [],
                    "posted_at": datetime.now(UTC).isoformat(),
                }
            )
            store.mark_posted(db, mention_id, ChatRef("teams", CHANNEL, card_id))
            card_ids[mention_id] = card_id
        db.close()
        env = {"DATABASE_PATH": str(database), "X_BEARER_TOKEN": x_api.BEARER, "X_USERNAME": "bramblecafe"}
        settings = config.load(teams_env(env, entra.url, connector, graph.graph_url))
        workspace = TeamsWorkspace(settings, connector)
        results: dict = {"cards": cards}
        for label, batch, workers in (("one_by_one", ids[:cards], 1), ("eight_at_once", ids[cards:], 8)):
            answered, total = presses(workspace, batch, card_ids, workers)
            results[label] = {
                "answer_ms_median": round(statistics.median(answered), 1),
                "answer_ms_p90": round(percentile(answered, 0.9), 1),
                "answer_ms_max": round(max(answered), 1),
                "all_answered_s": round(total, 2),
            }
            print(
                f"{label}: {cards} presses, answered (card redrawn, note written) median "
                f"{results[label]['answer_ms_median']} ms, p90 {results[label]['answer_ms_p90']} ms, "
                f"max {results[label]['answer_ms_max']} ms; all in {total:.2f} s"
            )
        workspace.stop()
    for server in (connector, entra, graph):
        server.stop()
    return results


def service_memory() -> dict:
    """RSS of `python -m bot run` once it has polled: Slack only, Teams only, both."""
    fake_x, fake_slack = x_api.FakeX().start(), slack_api.FakeSlack().start()
    connector, entra = FakeConnector().start(), FakeEntra().start()
    graph = FakeGraph(connector).start()
    fake_x.add_user("1001", "maria_eats", "Maria López", followers=812)
    fake_x.tweet("@bramblecafe first", author_id="1001")
    slack = {
        "SLACK_BOT_TOKEN": slack_api.BOT_TOKEN,
        "SLACK_SIGNING_SECRET": "bench-secret",
        "SLACK_CHANNEL": slack_api.CHANNEL,
        "SLACK_API_URL": fake_slack.api_url,
    }
    found = {}
    for label in ("slack", "teams", "both"):
        with tempfile.TemporaryDirectory() as tmp:
            base = {
                "DATABASE_PATH": f"{tmp}/listening.db",
                "X_BEARER_TOKEN": x_api.BEARER,
                "X_USERNAME": "bramblecafe",
                "X_API_URL": fake_x.url,
                "PORT": str(free_port()),
            }
            env = (
                {**base, **slack}
                if label == "slack"
                else teams_env({**base, **slack}, entra.url, connector, graph.graph_url, slack=label == "both")
            )
            if label != "slack":
                env["TEAMS_PORT"] = str(free_port())
            service = subprocess.Popen(
                [sys.executable, "-m", "bot", "run"],
                cwd=tmp,
                env={**os.environ, "PYTHONPATH": str(ROOT), **env},
                stdout=subprocess.PIPE,
                stderr=subprocess.STDOUT,
                text=True,
            )
            try:
                wait_until(lambda s=service, t=tmp: s.poll() is None and _polled(t), 60)
                time.sleep(2)  # the first cycle's posting (Teams has no channel yet: it waits) and settling
                found[label] = memory_mb(service.pid)["VmRSS"]
                print(f"{label}: RSS {found[label]} MB after the first poll")
            finally:
                service.terminate()
                service.wait(10)
    for server in (fake_x, fake_slack, connector, entra, graph):
        server.stop()
    return found


def _polled(folder: str) -> bool:
    path = Path(folder) / "listening.db"
    if not path.exists():
        return False
    try:
        db = open_db(path)
    except DatabaseProblem:  # the service is writing: ask again in a moment
        return False
    try:
        return db.execute("select count(*) from source_status where last_success_at is not null").fetchone()[0] > 0
    finally:
        db.close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cards", type=int, default=200)
    parser.add_argument("--skip-memory", action="store_true")
    args = parser.parse_args()
    results = {"cores": os.cpu_count(), "invokes": invoke_latency(args.cards)}
    if not args.skip_memory:
        results["service_rss_mb"] = service_memory()
    print(json.dumps(results))


if __name__ == "__main__":
    main()
