"""The App Home tab and `/listen chart`, through the real Bolt app with signed requests."""

from __future__ import annotations

import struct

from tests.fakes.server import Reply
from tests.helpers import wait_for


def test_the_home_tab_shows_the_numbers_and_the_queue_when_opened(workspace_for, card, fake_slack):
    ws = workspace_for()
    mention_id, ts, _ = card(ws)
    ws.click("U0TOM", "mention_claim", mention_id, ts)
    assert wait_for(lambda: ws.events(mention_id))
    status, _ = ws.event(
        {
            "type": "app_home_opened",
            "user": "U0MARIA",
            "channel": "D0HOME",
            "tab": "home",
            "event_ts": "1700000100.000100",
        }
    )
    assert status == 200
    assert wait_for(lambda: fake_slack.home_views)
    published = fake_slack.home_views[-1]
    assert published["user_id"] == "U0MARIA" and published["view"]["type"] == "home"
    texts = [b["text"]["text"] for b in published["view"]["blocks"] if b["type"] == "section"]
    assert texts[0].startswith("*Mentions, last 7 days*") and "Received 1 · replied 0" in texts[0]
    assert texts[1].startswith("*1 mention waiting*") and "claimed by Tom Reyes" in texts[1]
    # The Messages tab draws nothing; opening Home again draws it again.
    ws.event({"type": "app_home_opened", "user": "U0MARIA", "channel": "D0HOME", "tab": "messages", "event_ts": "1.2"})
    ws.event({"type": "app_home_opened", "user": "U0TOM", "channel": "D0HOME", "tab": "home", "event_ts": "1.3"})
    assert wait_for(lambda: len(fake_slack.home_views) == 2)
    assert fake_slack.home_views[-1]["user_id"] == "U0TOM"


def test_a_forged_home_event_is_refused(workspace_for, fake_slack):
    ws = workspace_for()
    status, _ = ws.event(
        {"type": "app_home_opened", "user": "U0MARIA", "tab": "home", "event_ts": "1.1"}, secret="not-the-secret"
    )
    assert status == 401 and not fake_slack.home_views


def png_size(data: bytes) -> tuple[int, int]:
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    return struct.unpack(">II", data[16:24])


def test_listen_chart_uploads_a_png_to_the_channel(workspace_for, card, fake_slack):
    ws = workspace_for()
    card(ws)
    status, body = ws.command("U0MARIA", "chart 30d")
    assert status == 200 and "Drawing the chart" in body
    assert wait_for(lambda: fake_slack.shared, seconds=60)  # the first chart loads matplotlib
    shared = fake_slack.shared[-1]
    assert shared["channel_id"] == "C0MENTIONS" and shared["initial_comment"] == "<@U0MARIA> asked for this chart."
    assert shared["files"][0]["title"] == "Mentions by sentiment and median response time, last 30 days"
    upload = fake_slack.files[shared["files"][0]["id"]]
    assert upload["filename"].endswith(".png") and upload["length"] == len(upload["data"])
    assert png_size(upload["data"]) == (1000, 480)


def test_a_chart_that_cannot_be_posted_says_why(workspace_for, card, fake_slack):
    ws = workspace_for()
    fake_slack.channels["C0ELSEWHERE"] = {"id": "C0ELSEWHERE", "name": "random", "is_member": False}
    ws.command("U0MARIA", "chart", channel="C0ELSEWHERE")
    assert wait_for(lambda: fake_slack.responses, seconds=60)
    assert fake_slack.responses[-1]["response_type"] == "ephemeral"
    assert "Invite me with `/invite @Listening Post`" in fake_slack.responses[-1]["text"]
    fake_slack.fail_next(
        "files.getUploadURLExternal", Reply(200, {"ok": False, "error": "missing_scope", "needed": "files:write"})
    )
    ws.command("U0MARIA", "chart 7d")
    assert wait_for(lambda: len(fake_slack.responses) == 2)
    assert "add the `files:write` scope" in fake_slack.responses[-1]["text"]
    status, body = ws.command("U0MARIA", "chart lastyear")
    assert "I don't know the period `lastyear`" in body
