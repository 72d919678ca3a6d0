"""Nothing lost, nothing twice, nothing stuck: slow networks, two posters, a database that goes away, forged and replayed requests."""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path
from urllib.parse import urlencode

import pytest

from bot import config, wiring
from bot.pipeline import Pipeline
from handlers.reminders import send_reminders
from storage import mentions as store
from storage import posting
from tests.fakes import mastodon_api
from tests.fakes.server import Reply
from tests.helpers import run_cli, wait_for
from tests.slack_signing import signed_headers

ROOT = Path(__file__).resolve().parents[1]


def test_a_network_that_hangs_is_left_behind_while_the_others_post(env, fake_x, fake_mastodon, fake_slack):
    """A server trickling one byte at a time never trips a per-read timeout; the cycle's deadline does."""
    settings = config.load({**env, "MASTODON_BASE_URL": fake_mastodon.url, "MASTODON_ACCESS_TOKEN": mastodon_api.TOKEN})
    fake_x.tweet("@bramblecafe are you open today?")
    fake_mastodon.mention("@bramblecafe the new bread is lovely")
    fake_x.trickle("/mentions", every=0.5, times=5)
    db = wiring.open_db(settings)
    pipeline = Pipeline(
        db, wiring.sources(settings), wiring.chat_sink(settings), wiring.triager(settings), deadline=1.0
    )

    started = time.monotonic()
    report = pipeline.run_cycle()

    assert time.monotonic() - started < 15  # the trickled answer alone would take minutes
    assert [m["text"] for m in fake_slack.posted] and all("bread" in m["text"] for m in fake_slack.posted)
    assert "did not finish" in report.source_errors["x"]
    assert "mentions" not in store.get_cursors(db, "x")  # the interrupted range is read again next time
    db.close()


def test_one_bad_character_stops_nothing(fake_x, fake_slack, poll):
    """A lone surrogate (as JSON's \\ud800 escape) is dropped where the mention is made; the cycle goes on."""
    fake_x.tweet("@bramblecafe broken \ud800 emoji but great coffee")
    fake_x.tweet("@bramblecafe see you tomorrow")

    report = poll()

    assert (report.new, report.posted, report.failed) == (2, 2, False)
    assert (
        "\ud800"
        not in json.dumps(fake_slack.posted[0]["blocks"], ensure_ascii=False)
        .encode("utf-8", "backslashreplace")
        .decode()
    )
    assert "broken  emoji but great coffee" in fake_slack.posted[0]["blocks"][1]["text"]["text"]


def _service_env(env: dict, **extra: str) -> dict:
    keep = {
        k: v for k, v in os.environ.items() if not k.startswith(("SLACK_", "X_", "MASTODON_", "BLUESKY_", "REDDIT_"))
    }
    return {**keep, **env, "PYTHONPATH": str(ROOT), **extra}


def test_poll_beside_another_poll_posts_every_card_once(env, fake_x, fake_slack, poll, tmp_path):
    """Two processes on one database (cron's `poll` beside `run`): one posts, the other only stores."""
    fake_x.tweet("@bramblecafe first")
    assert poll().posted == 1  # a first poll shows only the newest few; after it, a whole burst is read
    for i in range(60):
        fake_x.tweet(f"@bramblecafe burst message {i}")
    other = subprocess.Popen(
        [sys.executable, "-m", "bot", "poll"],
        # Slack's pace between cards keeps the other process posting for three seconds.
        env=_service_env(env, SLACK_POST_INTERVAL_SECONDS="0.05"),
        cwd=tmp_path,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
    )
    try:
        assert wait_for(lambda: len(fake_slack.posted) > 1, 60), "the other process never began posting"
        here = poll()  # this process, while the other one posts
    finally:
        output = other.communicate(timeout=120)[0].decode()

    texts = [m["text"] for m in fake_slack.posted]
    assert len(texts) == len(set(texts)) == 61, output
    assert other.returncode == 0, output
    assert here.posted == 0 and here.poster_elsewhere, here


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_sigterm_ends_the_service_within_ten_seconds_while_a_network_trickles(env, fake_x, fake_slack, tmp_path):
    fake_x.tweet("@bramblecafe hello")
    fake_x.trickle("/mentions", every=1.0, times=100)
    log = (tmp_path / "service.log").open("w+")
    process = subprocess.Popen(
        [sys.executable, "-m", "bot", "run"],
        cwd=tmp_path,
        stdout=log,
        stderr=subprocess.STDOUT,
        env=_service_env(env, PORT=str(free_port()), POLL_INTERVAL_SECONDS="3600"),
    )
    try:
        assert wait_for(lambda: fake_x.calls("/mentions"), 30), "the first poll never reached X"
        time.sleep(0.5)  # well inside the trickling answer
        asked = time.monotonic()
        process.send_signal(signal.SIGTERM)
        assert process.wait(timeout=15) == 0
        assert time.monotonic() - asked < 10
    finally:
        if process.poll() is None:
            process.kill()
    db = wiring.open_db(config.load(env))
    assert "mentions" not in store.get_cursors(db, "x")  # the abandoned read saved no cursor
    db.close()


def test_a_deleted_database_stops_posting_with_one_message_and_clicks_get_an_answer(
    workspace_for, card, fake_x, fake_slack, settings, caplog
):
    ws = workspace_for()
    mention_id, ts, _ = card(ws)
    for suffix in ("", "-wal", "-shm"):
        Path(str(settings.database_path) + suffix).unlink(missing_ok=True)
    fake_x.tweet("@bramblecafe anyone there?")

    reports = [ws.poll(), ws.poll()]

    assert all(r.failed and "has gone" in r.reason for r in reports)
    assert not settings.database_path.exists()  # never silently made anew
    assert len(fake_slack.posted) == 1
    assert sum("has gone" in r.getMessage() for r in caplog.records) == 1  # said once, not every cycle
    ws.click("U0MARIA", "mention_claim", mention_id, ts)
    assert wait_for(lambda: fake_slack.ephemeral)
    assert "has gone" in fake_slack.ephemeral[-1]["text"]


def test_a_replaced_or_damaged_database_is_never_used(workspace_for, card, fake_x, fake_slack, settings, tmp_path):
    ws = workspace_for()
    card(ws)
    other = config.load({"DATABASE_PATH": str(tmp_path / "other.db"), "SLACK_CHANNEL": "C0OTHER"})
    wiring.open_db(other).close()
    for suffix in ("-wal", "-shm"):
        Path(str(settings.database_path) + suffix).unlink(missing_ok=True)
    os.replace(other.database_path, settings.database_path)
    fake_x.tweet("@bramblecafe hello again")

    report = ws.poll()
    assert report.failed and "replaced" in report.reason and len(fake_slack.posted) == 1

    settings.database_path.write_bytes(b"this is not a database" * 100)
    report = ws.poll()
    assert report.failed and "damaged" in report.reason and len(fake_slack.posted) == 1


def test_a_first_start_on_an_account_with_history_calls_on_nobody(fake_x, fake_slack, poll, settings):
    for i in range(40):
        fake_x.tweet(f"@bramblecafe old message {i}", minutes_ago=180 + i)
    poll()
    db = wiring.open_db(settings)
    assert send_reminders(db, wiring.chat_sink(settings), settings.business_hours, 60) == 0
    assert not [m for m in fake_slack.posted + fake_slack.thread_notes if "<!channel>" in m["text"]]
    # Mentions that arrive later and wait past the target are gathered into one message to the channel.
    for i in range(5):
        fake_x.tweet(f"@bramblecafe new message {i}", minutes_ago=90)
    poll()
    assert send_reminders(db, wiring.chat_sink(settings), settings.business_hours, 60) == 5
    calls = [m for m in fake_slack.posted + fake_slack.thread_notes if "<!channel>" in m["text"]]
    assert len(calls) == 1 and calls[0]["text"].count("new message") == 5
    db.close()


def _raw_post(port: int, head: str, body: bytes = b"") -> str:
    with socket.create_connection(("127.0.0.1", port), timeout=10) as conn:
        conn.sendall(head.encode() + b"\r\n\r\n" + body)
        return conn.recv(200).decode(errors="replace")


def test_http_mode_refuses_huge_unsigned_and_malformed_requests_before_reading_them(workspace_for, caplog):
    ws = workspace_for()
    port = ws.server.server_port
    huge = _raw_post(
        port,
        "POST /slack/events HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 200000000",
        b"{" * 1000,
    )
    assert huge.startswith("HTTP/1.0 413")
    assert ws._post("not json at all", "application/json", secret="wrong-secret")[0] == 401
    status, _ = ws._post("payload=%7Bnot-json", "application/x-www-form-urlencoded")  # signed, but malformed
    assert status in (400, 401, 404)
    assert not [r for r in caplog.records if r.exc_info]  # no traceback for anyone's input


def test_a_replayed_signed_request_changes_nothing(workspace_for, card, fake_slack):
    ws = workspace_for()
    mention_id, ts, _ = card(ws)
    ws.click("U0MARIA", "mention_claim", mention_id, ts)
    assert wait_for(lambda: ws.mention(mention_id)["status"] == "claimed")
    reopen = urlencode({"payload": json.dumps(ws.click_payload("U0MARIA", "mention_reopen", mention_id, ts))})
    headers = signed_headers(ws.slack_settings.signing_secret, reopen)
    assert ws._post_exact(reopen, headers)[0] == 200
    assert wait_for(lambda: ws.mention(mention_id)["status"] == "new")
    ws.click("U0TOM", "mention_claim", mention_id, ts)
    assert wait_for(lambda: ws.mention(mention_id)["actor_id"] == "U0TOM")

    assert ws._post_exact(reopen, headers)[0] == 200  # an attacker replays the captured reopen
    time.sleep(0.3)
    assert ws.mention(mention_id)["status"] == "claimed" and ws.mention(mention_id)["actor_id"] == "U0TOM"


def test_a_click_while_the_database_is_locked_gets_a_busy_answer_and_changes_nothing(
    workspace_for, card, fake_slack, settings, monkeypatch
):
    ws = workspace_for()
    mention_id, ts, _ = card(ws)
    monkeypatch.setattr("storage.db.BUSY_TIMEOUT", 0.3)  # how long a click waits for the lock (10 s in service)
    holder = wiring.open_db(settings)
    holder.conn.execute("BEGIN IMMEDIATE")  # another process holds the write lock, as a long write would
    try:
        ws.click("U0MARIA", "mention_claim", mention_id, ts)
        assert wait_for(lambda: fake_slack.ephemeral)
        assert "busy" in fake_slack.ephemeral[-1]["text"] and "Nothing changed" in fake_slack.ephemeral[-1]["text"]
    finally:
        holder.conn.rollback()
        holder.close()
    assert ws.mention(mention_id)["status"] == "new"
    ws.click("U0MARIA", "mention_claim", mention_id, ts)  # once it is free, the same click works
    assert wait_for(lambda: ws.mention(mention_id)["status"] == "claimed")


@pytest.mark.parametrize(
    "setting, expected", [("PORT", "is already in use"), ("SLACK_APP_TOKEN", "Socket Mode connection")]
)
def test_a_port_in_use_or_a_bad_app_token_stops_the_start_before_anything_is_posted(
    env, fake_x, fake_slack, tmp_path, setting, expected
):
    fake_x.tweet("@bramblecafe hello")
    with socket.socket() as taken:
        taken.bind(("0.0.0.0", 0))
        taken.listen()
        value = str(taken.getsockname()[1]) if setting == "PORT" else "xapp-1-A0APP-0000-not-the-token"
        started = run_cli("run", env={**env, setting: value}, cwd=tmp_path)
    assert started.returncode == 2
    assert expected in started.stdout + started.stderr and "Traceback" not in started.stdout + started.stderr
    assert not fake_slack.posted and not fake_x.calls("/mentions")


def test_a_database_restored_from_a_backup_recognises_the_cards_already_in_the_channel(
    env, fake_x, fake_slack, settings, tmp_path
):
    fake_x.tweet("@bramblecafe first")
    wiring.cycle_runner(settings, wiring.chat_sink(settings))()
    backup = tmp_path / "backup.db"
    db = wiring.open_db(settings)
    db.execute("vacuum into ?", [str(backup)])
    db.close()
    for i in range(3):
        fake_x.tweet(f"@bramblecafe after the backup {i}")
    wiring.cycle_runner(settings, wiring.chat_sink(settings))()
    assert len(fake_slack.posted) == 4
    for suffix in ("-wal", "-shm"):
        Path(str(settings.database_path) + suffix).unlink(missing_ok=True)
    os.replace(backup, settings.database_path)  # the owner restores last night's backup, and restarts

    restarted = wiring.cycle_runner(settings, wiring.chat_sink(settings))
    fake_x.fail_next("/mentions", Reply(503, {"title": "Service Unavailable"}))  # and X hiccups on the first cycle
    assert restarted().reconciled == 0  # nothing read yet, so nothing to recognise: the look is kept for later
    report = restarted()

    assert report.reconciled == 3 and report.posted == 0
    assert len(fake_slack.posted) == 4  # nothing posted twice
    fake_x.tweet("@bramblecafe something new")
    assert restarted().posted == 1


def test_http_mode_answers_odd_unsigned_requests_with_401_and_a_trickled_body_with_408(
    workspace_for, caplog, monkeypatch
):
    ws = workspace_for()
    port = ws.server.server_port
    odd_stamp = _raw_post(
        port,
        "POST /slack/events HTTP/1.1\r\nHost: x\r\nContent-Length: 2\r\n"
        "X-Slack-Request-Timestamp: abc\r\nX-Slack-Signature: v0=00",
        b"{}",
    )
    not_text = _raw_post(
        port,
        "POST /slack/events HTTP/1.1\r\nHost: x\r\nContent-Length: 2\r\n"
        f"X-Slack-Request-Timestamp: {int(time.time())}\r\nX-Slack-Signature: v0=00",
        b"\xff\xfe",
    )
    assert odd_stamp.startswith("HTTP/1.0 401") and not_text.startswith("HTTP/1.0 401")

    monkeypatch.setattr("bot.webserver.READ_DEADLINE", 0.5)  # 10 s in service
    with socket.create_connection(("127.0.0.1", port), timeout=10) as conn:
        conn.sendall(b"POST /slack/events HTTP/1.1\r\nHost: x\r\nContent-Length: 40\r\n\r\n")
        started = time.monotonic()
        answer = b""
        for _ in range(40):  # one byte every 0.3 s: each read is quick, the whole would take 12 s
            try:
                conn.sendall(b"x")
            except OSError:
                break
            time.sleep(0.3)
            conn.setblocking(False)
            try:
                answer = conn.recv(100)
            except BlockingIOError:
                pass
            conn.setblocking(True)
            if answer:
                break
    assert answer.startswith(b"HTTP/1.0 408") and time.monotonic() - started < 10  # all 40 bytes would take 12 s
    assert not [r for r in caplog.records if r.exc_info]


def test_while_another_process_holds_the_posting_lease_poll_only_stores(env, fake_x, fake_slack, settings, bot):
    db = wiring.open_db(settings)
    assert posting.take_posting_lease(db, holder="till-2:4242:0a1b2c3d") is None  # `run` on another machine posts
    fake_x.tweet("@bramblecafe hello")

    polled = bot("poll", env=env)

    assert polled.returncode == 0 and "Another Listening Post (till-2:4242) is posting cards" in polled.stdout
    assert not fake_slack.posted and store.counts(db).waiting == 1  # stored, left for the poster
    posting.release_posting_lease(db, holder="till-2:4242:0a1b2c3d")
    db.close()
    assert wiring.cycle_runner(settings, wiring.chat_sink(settings))().posted == 1


def test_a_poster_restarted_with_the_same_pid_takes_its_old_lease_over(settings):
    db = wiring.open_db(settings)
    earlier_run = f"{socket.gethostname()}:{os.getpid()}:0ld0ld00"  # a container restarted: same host, same pid
    assert posting.take_posting_lease(db, holder=earlier_run) is None
    assert posting.take_posting_lease(db) is None  # not refused for ten minutes
    assert posting.take_posting_lease(db, holder=f"elsewhere:{os.getpid()}:1a2b3c4d") == posting.POSTER
    db.close()
