"""Held-back spam stays visible: `/listen held` lists it, `/listen post <id>` lets one through as a card."""

from __future__ import annotations

from tests.helpers import wait_for

SPAM = "@bramblecafe GIVEAWAY win a free iPhone, DM me to claim https://a.co/1 https://a.co/2 https://a.co/3"


def test_listen_held_lists_what_was_held_and_post_lets_one_through(workspace_for, fake_x, fake_slack):
    spam = fake_x.tweet(SPAM, author_id="1001")
    fake_x.tweet("@bramblecafe great coffee", author_id="1002")
    ws = workspace_for()
    assert ws.poll().posted == 1

    ws.command("U0MARIA", "held")
    assert wait_for(lambda: fake_slack.responses)
    listing = fake_slack.responses[-1]["text"]
    assert "1 mention held back as spam" in listing and "@maria_eats on X" in listing and f"`x:{spam['id']}`" in listing

    ws.command("U0MARIA", f"post x:{spam['id']}")
    assert wait_for(lambda: len(fake_slack.responses) == 2)
    assert "no longer held back: its card goes out with the next poll" in fake_slack.responses[-1]["text"]
    assert ws.poll().posted == 1
    assert "GIVEAWAY" in fake_slack.posted[-1]["text"]

    ws.command("U0MARIA", f"post x:{spam['id']}")  # twice: nothing more happens
    ws.command("U0MARIA", "post x:0000")
    assert wait_for(lambda: len(fake_slack.responses) == 4)
    assert "is not held back" in fake_slack.responses[-2]["text"]
    assert "There is no mention `x:0000`" in fake_slack.responses[-1]["text"]
    assert ws.poll().posted == 0

    ws.command("U0MARIA", "held")
    assert wait_for(lambda: len(fake_slack.responses) == 5)
    assert fake_slack.responses[-1]["text"] == "Nothing is held back as spam."
