"""Small helpers shared by the tests."""
from __future__ import annotations

import time


def wait_for(condition, seconds: float = 30.0) -> bool:
    """Poll `condition` until it holds: work after Slack's ack() runs in the background."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(0.05)
    return False


def card_texts(fake_slack) -> list[str]:
    """The quoted text of each card posted to the fake Slack, in order."""
    return [m["blocks"][1]["text"]["text"] for m in fake_slack.posted]
