"""`python -m bot run` as deployed: scheduler, Bolt in HTTP mode, signed requests, SIGTERM."""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path
from urllib.parse import urlencode

import pytest

from tests.helpers import wait_for
from tests.slack_signing import signed_headers

ROOT = Path(__file__).resolve().parents[1]
FIXTURES = Path(__file__).parent / "fixtures"


def test_signing_matches_slacks_documented_example():
    vector = json.loads(FIXTURES.joinpath("slack_signature_vector.json").read_text())
    headers = signed_headers(vector["signing_secret"], vector["body"], int(vector["timestamp"]))
    assert headers["X-Slack-Signature"] == vector["expected_signature"]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture
def queued_mention(fake_x):
    """A mention already waiting on X when the service starts."""
    return fake_x.tweet("@bramblecafe is there parking nearby?", author_id="1001")


@pytest.fixture
def service(env, tmp_path, queued_mention):
    port = free_port()
    log = (tmp_path / "service.log").open("w+")
    process = subprocess.Popen(
        [sys.executable, "-m", "bot", "run"],
        env={
            **{k: v for k, v in os.environ.items() if not k.startswith(("SLACK_", "X_"))},
            **env,
            "PORT": str(port),
            "POLL_INTERVAL_SECONDS": "3600",
            "PYTHONPATH": str(ROOT),
        },
        cwd=tmp_path,
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    url = f"http://127.0.0.1:{port}/slack/events"

    def up():
        try:
            urllib.request.urlopen(urllib.request.Request(url, data=b"", method="POST"), timeout=1)
        except urllib.error.HTTPError:
            return True
        except OSError:
            return False
        return True

    assert wait_for(up), "the service did not start listening"
    yield process, url, log
    if process.poll() is None:
        process.kill()
    log.close()


def post(url: str, body: str, headers: dict) -> tuple[int, str]:
    request = urllib.request.Request(url, data=body.encode(), headers=headers, method="POST")
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            return response.status, response.read().decode()
    except urllib.error.HTTPError as exc:
        return exc.code, exc.read().decode()


def slash_body(text: str) -> str:
    captured = FIXTURES.joinpath("slack_slash_command.urlencoded").read_text().strip()
    fields = dict(pair.split("=", 1) for pair in captured.split("&"))
    fields["command"], fields["text"] = "%2Flisten", text
    return "&".join(f"{k}={v}" for k, v in fields.items())


def test_the_service_polls_answers_signed_requests_only_and_stops_cleanly(service, env, fake_x, fake_slack):
    process, url, log = service
    secret = env["SLACK_SIGNING_SECRET"]
    # The first cycle runs at start-up, without waiting a whole interval.
    assert wait_for(lambda: len(fake_slack.posted) == 1)
    assert "parking nearby" in fake_slack.posted[0]["text"]

    body = slash_body("help")
    status, text = post(url, body, signed_headers(secret, body))
    assert status == 200 and "/listen help" in text

    status, text = post(url, slash_body("stats%20yesterdayy"), signed_headers(secret, slash_body("stats%20yesterdayy")))
    assert status == 200 and "I don't know the period `yesterdayy`. Use today, 7d, 30d or 90d." in text

    forged = signed_headers("not-the-secret", body)
    stale = signed_headers(secret, body, int(time.time()) - 6 * 60)
    unsigned = {"Content-Type": "application/x-www-form-urlencoded"}
    assert [post(url, body, h)[0] for h in (forged, stale, unsigned)] == [401, 401, 401]

    click = {
        "type": "block_actions",
        "user": {"id": "U0MARIA", "name": "maria"},
        "channel": {"id": "C0MENTIONS"},
        "api_app_id": "A0APP",
        "token": "legacy",
        "trigger_id": "1.2.3",
        "team": {"id": "T0TEAM"},
        "container": {"type": "message"},
        "response_url": "http://127.0.0.1:9/unused",
        "actions": [
            {
                "type": "button",
                "action_id": "mention_claim",
                "block_id": "mention_actions",
                "value": "x:1",
                "action_ts": str(time.time()),
            }
        ],
    }
    click_body = urlencode({"payload": json.dumps(click)})
    assert post(url, click_body, signed_headers(secret, click_body))[0] == 200
    assert wait_for(lambda: fake_slack.ephemeral)
    assert fake_slack.ephemeral[0]["user"] == "U0MARIA"

    process.send_signal(signal.SIGTERM)
    assert process.wait(timeout=30) == 0
    log.seek(0)
    output = log.read()
    assert "Stopped." in output
    assert len(fake_slack.posted) == 1
    assert secret not in output and env["X_BEARER_TOKEN"] not in output and env["SLACK_BOT_TOKEN"] not in output
