"""Peak memory of `python -m bot run`: idle, and after taking in 10,000 mentions.

Runs the real service against the test suite's fake X and Slack servers on 127.0.0.1 and
reads the process's VmRSS / VmHWM (peak) from /proc. Last output line is JSON.
"""

from __future__ import annotations

import argparse
import json
import os
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from tests.fakes import slack_api, x_api  # noqa: E402


def memory_mb(pid: int) -> dict[str, float]:
    fields = {}
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        name, _, value = line.partition(":")
        if name in ("VmRSS", "VmHWM"):
            fields[name] = round(int(value.split()[0]) / 1024, 1)
    return fields


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_until(condition, seconds: float) -> None:
    deadline = time.monotonic() + seconds
    while not condition():
        if time.monotonic() > deadline:
            raise SystemExit("timed out waiting for the service")
        time.sleep(0.2)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--mentions", type=int, default=10_000)
    args = parser.parse_args()
    fake_x, fake_slack = x_api.FakeX().start(), slack_api.FakeSlack().start()
    fake_x.tweet("@bramblecafe first", author_id="1001")
    with tempfile.TemporaryDirectory() as tmp:
        env = {
            **os.environ,
            "PYTHONPATH": str(ROOT),
            "PORT": str(free_port()),
            "SLACK_BOT_TOKEN": slack_api.BOT_TOKEN,
            "SLACK_SIGNING_SECRET": "bench-secret",
            "SLACK_CHANNEL": slack_api.CHANNEL,
            "SLACK_API_URL": fake_slack.api_url,
            "SLACK_POST_INTERVAL_SECONDS": "0",
            "X_BEARER_TOKEN": x_api.BEARER,
            "X_USERNAME": "bramblecafe",
            "X_API_URL": fake_x.url,
            "DATABASE_PATH": str(Path(tmp) / "bench.db"),
            "POLL_INTERVAL_SECONDS": "10",
        }
        service = subprocess.Popen(
            [sys.executable, "-m", "bot", "run"],
            env=env,
            cwd=tmp,
            stdout=subprocess.DEVNULL,
            stderr=open(Path(tmp) / "service.log", "w"),
        )
        try:
            wait_until(lambda: len(fake_slack.posted) == 1, 60)
            time.sleep(2)
            idle = memory_mb(service.pid)
            print(f"idle after the first cycle: {idle}")
            for i in range(args.mentions):
                fake_x.tweet(
                    f"@bramblecafe mention number {i}: the coffee was lovely but the queue took forever",
                    author_id=str(2000 + i % 500),
                )
            started = time.monotonic()
            wait_until(lambda: len(fake_slack.posted) == args.mentions + 1, 900)
            busy = memory_mb(service.pid)
            print(
                f"after {args.mentions} mentions ({time.monotonic() - started:.0f} s incl. waiting for the next cycle): {busy}"
            )
        except TimeoutError:
            print((Path(tmp) / "service.log").read_text()[-3000:])
            raise
        finally:
            service.terminate()
            service.wait(30)
            fake_x.stop()
            fake_slack.stop()
    print(
        json.dumps(
            {
                "mentions": args.mentions,
                "idle_rss_mb": idle["VmRSS"],
                "idle_peak_mb": idle["VmHWM"],
                "peak_rss_mb": busy["VmHWM"],
                "cores": os.cpu_count(),
            }
        )
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
