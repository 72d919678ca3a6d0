"""Memory of the running service (HTTP mode) before and after someone sends it a 200 MB unsigned request.

    .venv/bin/python bench/big_request.py [--megabytes 200]

Starts `python -m bot run` against the fake Slack and X of tests/fakes on 127.0.0.1, streams
the body at /slack/events as fast as the socket takes it, then reads the service's resident
memory (VmRSS) and its peak (VmHWM) from /proc. Prints one JSON line.
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

from memory import free_port, memory_mb  # noqa: E402  (bench/memory.py)

from tests.fakes import slack_api, x_api  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--megabytes", type=int, default=200)
    args = parser.parse_args()
    slack, xs = slack_api.FakeSlack().start(), x_api.FakeX().start()
    port = free_port()
    work = Path(tempfile.mkdtemp(prefix="lp-big-"))
    env = {k: v for k, v in os.environ.items() if not k.startswith(("SLACK_", "X_"))}
    env.update(
        {
            "PYTHONPATH": str(ROOT),
            "DATABASE_PATH": str(work / "l.db"),
            "PORT": str(port),
            "SLACK_BOT_TOKEN": slack_api.BOT_TOKEN,
            "SLACK_SIGNING_SECRET": "bench-signing-secret",
            "SLACK_CHANNEL": slack_api.CHANNEL,
            "SLACK_API_URL": slack.api_url,
            "X_BEARER_TOKEN": x_api.BEARER,
            "X_USERNAME": "bramblecafe",
            "X_API_URL": xs.url,
            "POLL_INTERVAL_SECONDS": "3600",
        }
    )
    service = subprocess.Popen(
        [sys.executable, "-m", "bot", "run"], env=env, cwd=work, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
    )
    try:
        for _ in range(200):
            try:
                socket.create_connection(("127.0.0.1", port), timeout=1).close()
                break
            except OSError:
                time.sleep(0.1)
        time.sleep(2)  # the first poll and the stats warm-up are done
        before = memory_mb(service.pid)
        size = args.megabytes * 1024 * 1024
        started = time.monotonic()
        sent, status = 0, ""
        with socket.create_connection(("127.0.0.1", port), timeout=10) as conn:
            conn.sendall(
                f"POST /slack/events HTTP/1.1\r\nHost: bench\r\nContent-Type: application/json\r\n"
                f"Content-Length: {size}\r\n\r\n".encode()
            )
            chunk = b"{" * (1024 * 1024)
            try:
                while sent < size:
                    conn.sendall(chunk)
                    sent += len(chunk)
            except OSError:
                pass  # the service answered and closed the connection: the rest is never read
            try:
                status = conn.recv(100).decode(errors="replace").split("\r\n", 1)[0]
            except OSError:
                status = "connection closed"
        took = time.monotonic() - started
        after = memory_mb(service.pid)
        print(
            json.dumps(
                {
                    "request_mb": args.megabytes,
                    "sent_mb": round(sent / 1048576, 1),
                    "answer": status,
                    "seconds": round(took, 2),
                    "rss_before_mb": before["VmRSS"],
                    "rss_after_mb": after["VmRSS"],
                    "peak_rss_mb": after["VmHWM"],
                    "cores": os.cpu_count(),
                }
            )
        )
    finally:
        service.terminate()
        service.wait(15)
        slack.stop()
        xs.stop()


if __name__ == "__main__":
    main()
