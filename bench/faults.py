"""Fault run: a 500-mention burst across X, Mastodon and Bluesky while everything that can go wrong does.

`python -m bot poll` runs again and again against the fake servers of tests/fakes on 127.0.0.1
while the run throws at it: random `kill -9`s mid-cycle, two pollers at once, empty pages
mid-burst, 5xx and 429 answers, a server trickling one byte at a time, and a Slack that
accepts a card and then answers 500. Then a clean `run` is stopped with SIGTERM.
It prints one JSON line at the end:
{"mentions": N, "carded": N, "lost": 0, "duplicates": 0, "max_stop_s": …}

    .venv/bin/python bench/faults.py [--mentions 500] [--seed 7]
"""

from __future__ import annotations

import argparse
import json
import os
import random
import re
import signal
import subprocess
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from memory import free_port  # noqa: E402  (bench/memory.py)

from tests.fakes import bluesky_api, mastodon_api, slack_api, x_api  # noqa: E402
from tests.fakes.server import Reply  # noqa: E402

BURST = re.compile(r"burst \w+ \d+ ")


class FlakySlack(slack_api.FakeSlack):
    """A Slack that sometimes accepts a card and then answers 500, as a failing load balancer does."""

    def __init__(self, rng: random.Random):
        super().__init__()
        self.rng = rng
        self.accept_then_fail = 0.0

    def answer(self, request):
        reply = super().answer(request)
        if request.path.endswith("chat.postMessage") and self.rng.random() < self.accept_then_fail:
            return Reply(500, "upstream error")
        return reply


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--mentions", type=int, default=500)
    parser.add_argument("--seed", type=int, default=7)
    args = parser.parse_args()
    rng = random.Random(args.seed)

    slack = FlakySlack(rng).start()
    xs = x_api.FakeX().start()
    xs.add_user("1001", "maria_eats", "Maria López", followers=812)
    masto = mastodon_api.FakeMastodon().start()
    sky = bluesky_api.FakeBluesky().start()
    work = Path(tempfile.mkdtemp(prefix="lp-faults-"))
    env = {
        k: v for k, v in os.environ.items() if not k.startswith(("SLACK_", "X_", "MASTODON_", "BLUESKY_", "REDDIT_"))
    }
    env.update(
        {
            "PYTHONPATH": str(ROOT),
            "DATABASE_PATH": str(work / "listening.db"),
            "SLACK_BOT_TOKEN": slack_api.BOT_TOKEN,
            "SLACK_SIGNING_SECRET": "faults-signing-secret",
            "SLACK_CHANNEL": slack_api.CHANNEL,
            "SLACK_API_URL": slack.api_url,
            "SLACK_POST_INTERVAL_SECONDS": "0",
            "X_BEARER_TOKEN": x_api.BEARER,
            "X_USERNAME": "bramblecafe",
            "X_API_URL": xs.url,
            "MASTODON_BASE_URL": masto.url,
            "MASTODON_ACCESS_TOKEN": mastodon_api.TOKEN,
            "BLUESKY_HANDLE": bluesky_api.HANDLE,
            "BLUESKY_APP_PASSWORD": bluesky_api.APP_PASSWORD,
            "BLUESKY_SERVICE_URL": sky.url,
            "REPLY_TARGET_MINUTES": "0",
            "DIGEST_TIME": "off",
        }
    )

    def poll() -> subprocess.Popen:
        return subprocess.Popen(
            [sys.executable, "-m", "bot", "poll"],
            env=env,
            cwd=work,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )

    texts: list[str] = []
    networks = [
        ("x", lambda t: xs.tweet(t, minutes_ago=1)),
        ("mastodon", lambda t: masto.mention(t, minutes_ago=1)),
        ("bluesky", lambda t: sky.notify(t, minutes_ago=1)),
    ]
    kills = 0
    for name, add in networks:  # an account with a little history: the first poll sets each network's starting point
        add(f"@bramblecafe hello from before on {name}")
    first = poll()  # the first poll of each network reads a small page of history; the burst comes after
    first.wait(60)
    rounds = 0
    while len(texts) < args.mentions or rounds < 3:
        rounds += 1
        for _ in range(min(rng.randint(20, 80), args.mentions - len(texts))):
            name, add = rng.choice(networks)
            text = f"@bramblecafe burst {name} {len(texts)} " + rng.choice(["love it", "cold latte", "open Sunday?"])
            add(text)
            texts.append(text)
        # This round's faults.
        slack.accept_then_fail = rng.choice([0.0, 0.0, 0.05])
        if rng.random() < 0.3:
            xs.fail_next("/mentions", Reply(200, {"meta": {"result_count": 0}}), after=1)  # an empty page mid-burst
        if rng.random() < 0.3:
            rng.choice([xs, masto, sky]).fail_next("/", rng.choice([Reply(503, "busy"), Reply(502, "bad gateway")]))
        if rng.random() < 0.2:
            xs.fail_next(
                "/mentions",
                Reply(429, {"title": "Too Many Requests"}, {"x-rate-limit-reset": str(int(time.time()) + 2)}),
            )
        if rng.random() < 0.15:
            xs.trickle("/mentions", every=0.5, times=1)
        pollers = [poll() for _ in range(rng.choice([1, 1, 2]))]
        if rng.random() < 0.5:
            time.sleep(rng.uniform(0.3, 2.5))
            victim = rng.choice(pollers)
            if victim.poll() is None:
                victim.send_signal(signal.SIGKILL)
                kills += 1
        for p in pollers:
            try:
                p.wait(240)
            except subprocess.TimeoutExpired:
                p.kill()
    slack.accept_then_fail = 0.0
    for server in (xs, masto, sky):  # a calm end: faults still queued are dropped, what was left behind goes out now
        with server._lock:
            server._scripted.clear()
    for _ in range(3):
        p = poll()
        p.wait(240)

    # A clean service, stopped with SIGTERM while X trickles.
    xs.trickle("/mentions", every=1.0, times=50)
    run = subprocess.Popen(
        [sys.executable, "-m", "bot", "run"],
        env={**env, "PORT": str(free_port()), "POLL_INTERVAL_SECONDS": "3600"},
        cwd=work,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    time.sleep(6)
    asked = time.monotonic()
    run.send_signal(signal.SIGTERM)
    run.wait(60)
    max_stop = time.monotonic() - asked

    cards = Counter(found.group(0) for m in slack.posted if (found := BURST.search(m.get("text") or "")))
    carded = sum(1 for t in texts if BURST.search(t).group(0) in cards)
    duplicates = sum(n - 1 for n in cards.values())
    missing = Counter(BURST.search(t).group(0).split()[1] for t in texts if BURST.search(t).group(0) not in cards)
    if missing:
        print(f"Not carded, by network: {dict(missing)} (database: {work / 'listening.db'})", file=sys.stderr)
    for server in (slack, xs, masto, sky):
        server.stop()
    print(
        json.dumps(
            {
                "mentions": len(texts),
                "carded": carded,
                "lost": len(texts) - carded,
                "duplicates": duplicates,
                "kills": kills,
                "rounds": rounds,
                "max_stop_s": round(max_stop, 2),
                "cores": os.cpu_count(),
            }
        )
    )


if __name__ == "__main__":
    main()
