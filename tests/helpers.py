"""Small helpers shared by the tests."""

from __future__ import annotations

import io
import logging
import os
import sys
import threading
import time
from contextlib import redirect_stderr, redirect_stdout
from dataclasses import dataclass
from pathlib import Path

# Settings Listening Post reads: a test starts from none of them, whatever the developer's shell holds.
OUR_PREFIXES = (
    "SLACK_",
    "TEAMS_",
    "X_",
    "MASTODON_",
    "BLUESKY_",
    "REDDIT_",
    "RSS_",
    "META_",
    "INSTAGRAM_",
    "GOOGLE_",
    "REPLY_",
    "BUSINESS_",
    "DIGEST_",
    "DATABASE_",
    "POLL_",
    "PORT",
)


@dataclass
class Ran:
    returncode: int
    stdout: str
    stderr: str


def run_cli(*argv: str, env: dict[str, str] | None = None, stdin: str = "", cwd: Path) -> Ran:
    """`python -m bot …` run in this process: the same main(), without a new interpreter's second of
    start-up. Only `env` is set (nothing of the developer's own settings), in `cwd`, so a `.env` in the
    checkout is never read. Real interpreters are started only where a test needs one: signals, two
    processes on one database, the service, the exit code a shell sees."""
    from bot.__main__ import main

    saved_env, saved_cwd, saved_stdin = dict(os.environ), os.getcwd(), sys.stdin
    root = logging.getLogger()
    saved_log = root.handlers[:], root.level
    saved_hooks = sys.excepthook, threading.excepthook
    out, err = io.StringIO(), io.StringIO()
    try:
        for name in [k for k in os.environ if k.startswith(OUR_PREFIXES)]:
            del os.environ[name]
        os.environ.update(env or {})
        os.environ["COLUMNS"] = "100"  # cards are drawn to the terminal's width
        os.chdir(cwd)
        sys.stdin = io.TextIOWrapper(io.BytesIO(stdin.encode("utf-8")), encoding="utf-8")
        with redirect_stdout(out), redirect_stderr(err):
            try:
                code = main(list(argv))
            except SystemExit as exc:  # argparse's --help and its usage errors
                code = exc.code if isinstance(exc.code, int) else int(exc.code is not None)
    finally:
        os.environ.clear()
        os.environ.update(saved_env)
        os.chdir(saved_cwd)
        sys.stdin = saved_stdin
        root.handlers[:] = saved_log[0]
        root.setLevel(saved_log[1])
        sys.excepthook, threading.excepthook = saved_hooks
    return Ran(code, out.getvalue(), err.getvalue())


def wait_for(condition, seconds: float = 30.0) -> bool:
    """Poll `condition` until it holds: work after Slack's ack() runs in the background."""
    deadline = time.monotonic() + seconds
    pause = 0.005
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(pause)
        pause = min(pause * 2, 0.05)  # most work after an ack is done within tens of milliseconds
    return False


def card_texts(fake_slack) -> list[str]:
    """The quoted text of each card posted to the fake Slack, in order."""
    return [m["blocks"][1]["text"]["text"] for m in fake_slack.posted]
