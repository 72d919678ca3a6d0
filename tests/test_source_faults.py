"""Faults that must stay inside one network: a server that trickles its answer meets a total deadline,
and nothing of the interrupted range is skipped."""

from __future__ import annotations

import time

import pytest

from bot.sources import deadline
from storage import mentions as store
from tests.fakes import mastodon_api
from tests.fakes.bluesky_api import APP_PASSWORD, HANDLE
from tests.fakes.reddit_api import CLIENT_ID, CLIENT_SECRET
from tests.helpers import card_texts

DEADLINE = 0.5  # the test's deadline; the server sends one byte every 0.3 s (a whole answer takes over a minute)
LATE = f"took longer than {DEADLINE:g} s to answer; will try again next poll."
CUT = 15.0  # a poll that ends within this was cut at the deadline: the answer itself would take over a minute.
# (A bound far above the deadline, so a busy machine never fails the test; timings are measured in bench/.)


@pytest.fixture(autouse=True)
def short_deadline(monkeypatch):
    monkeypatch.setattr(deadline, "DEADLINE", DEADLINE)


def timed(poll):
    started = time.monotonic()
    report = poll()
    return report, time.monotonic() - started


def test_x_trickling_its_answer_is_cut_at_the_deadline_and_read_next_poll(fake_x, fake_slack, poll, db):
    fake_x.tweet("@bramblecafe hello", author_id="1001")
    poll()
    cursor = store.get_cursors(db, "x")["mentions"]
    waiting = fake_x.tweet("@bramblecafe is anyone there?", author_id="1002")
    fake_x.trickle("/mentions", every=0.3)

    report, took = timed(poll)

    assert report.source_errors == {"x": f"X {LATE}"}
    assert took < CUT
    assert store.get_cursors(db, "x")["mentions"] == cursor
    assert poll().posted == 1 and card_texts(fake_slack)[-1] == f"> {waiting['text']}"


def test_x_trickling_page_two_of_a_burst_saves_nothing_past_page_one(fake_x, fake_slack, poll, db):
    fake_x.tweet("@bramblecafe hello", author_id="1001")
    poll()
    cursor = store.get_cursors(db, "x")["mentions"]
    fake_x.page_limit = 10  # X may send fewer posts than asked for, with a next_token for the rest
    burst = [fake_x.tweet(f"@bramblecafe burst {i}", author_id="1002") for i in range(15)]
    fake_x.trickle("/mentions", every=0.3, after=1)  # page one is answered; page two trickles

    report = poll()

    assert report.source_errors["x"] == f"X {LATE}"
    assert store.get_cursors(db, "x")["mentions"] == cursor
    assert report.new == 10  # page one was stored

    assert poll().posted == 5
    assert sorted(card_texts(fake_slack)[1:]) == sorted(f"> {t['text']}" for t in burst)


def test_a_slow_network_holds_back_no_other(fake_x, fake_feeds, fake_slack, poll_for, env):
    fake_x.tweet("@bramblecafe hello", author_id="1001")
    fake_feeds.alert("Bramble Café in the weekend guide")
    fake_x.trickle("/users/by/username/", every=0.3)
    both = poll_for(**{k: v for k, v in env.items() if k.startswith("X_")}, RSS_FEEDS=f"{fake_feeds.url}/alerts.atom")

    report, took = timed(both)

    assert report.source_errors == {"x": f"X {LATE}"}
    assert report.posted == 1 and card_texts(fake_slack) == ["> Bramble Café in the weekend guide"]
    assert took < CUT


def test_mastodon_trickling_is_cut_at_the_deadline(fake_mastodon, fake_slack, poll_for, db):
    poll = poll_for(MASTODON_BASE_URL=fake_mastodon.url, MASTODON_ACCESS_TOKEN=mastodon_api.TOKEN)
    fake_mastodon.mention("@bramblecafe hello")
    poll()
    cursor = store.get_cursors(db, "mastodon")["mentions"]
    fake_mastodon.mention("@bramblecafe still there?")
    fake_mastodon.trickle("/api/v1/notifications", every=0.3)

    report, took = timed(poll)

    assert report.source_errors == {"mastodon": f"Mastodon at {fake_mastodon.url} {LATE}"}
    assert took < CUT and store.get_cursors(db, "mastodon")["mentions"] == cursor
    assert poll().posted == 1


def test_bluesky_trickling_is_cut_at_the_deadline(fake_bluesky, fake_slack, poll_for, db):
    poll = poll_for(BLUESKY_HANDLE=HANDLE, BLUESKY_APP_PASSWORD=APP_PASSWORD, BLUESKY_SERVICE_URL=fake_bluesky.url)
    fake_bluesky.notify("hello", minutes_ago=5)
    poll()
    cursor = store.get_cursors(db, "bluesky")["notifications"]
    fake_bluesky.notify("still there?", minutes_ago=1)
    fake_bluesky.trickle("listNotifications", every=0.3)

    report, took = timed(poll)

    assert report.source_errors == {"bluesky": f"Bluesky {LATE}"}
    assert took < CUT and store.get_cursors(db, "bluesky")["notifications"] == cursor
    assert poll().posted == 1


def test_bluesky_trickling_its_login_is_cut_at_the_deadline(fake_bluesky, fake_slack, poll_for):
    poll = poll_for(BLUESKY_HANDLE=HANDLE, BLUESKY_APP_PASSWORD=APP_PASSWORD, BLUESKY_SERVICE_URL=fake_bluesky.url)
    fake_bluesky.notify("hello", minutes_ago=5)
    fake_bluesky.trickle("createSession", every=0.3)

    report, took = timed(poll)

    assert report.source_errors == {"bluesky": f"Bluesky {LATE}"}
    assert took < CUT
    assert poll().posted == 1


def test_reddit_trickling_is_cut_at_the_deadline(fake_reddit, fake_slack, poll_for, db):
    poll = poll_for(
        REDDIT_CLIENT_ID=CLIENT_ID,
        REDDIT_CLIENT_SECRET=CLIENT_SECRET,
        REDDIT_QUERY='"Bramble Café"',
        REDDIT_URL=fake_reddit.url,
    )
    fake_reddit.post("Bramble Café hello", minutes_ago=5)
    poll()
    key = 'posts:all:"Bramble Café"'
    cursor = store.get_cursors(db, "reddit")[key]
    fake_reddit.post("Bramble Café still there?", minutes_ago=1)
    fake_reddit.trickle("/search", every=0.3)

    report, took = timed(poll)

    assert report.source_errors == {"reddit": f"Reddit {LATE}"}
    assert took < CUT and store.get_cursors(db, "reddit")[key] == cursor
    assert poll().posted == 1


def test_a_trickling_feed_is_cut_at_the_deadline_and_named(fake_feeds, fake_slack, poll_for):
    fake_feeds.alert("Bramble Café in the weekend guide")
    fake_feeds.trickle("/alerts.atom", every=0.3)
    poll = poll_for(RSS_FEEDS=f"{fake_feeds.url}/alerts.atom")

    report, took = timed(poll)

    assert report.source_errors == {"rss": f"The feed {fake_feeds.url}/alerts.atom {LATE}"}
    assert took < CUT
    assert poll().posted == 1


def test_an_answer_that_arrives_in_time_is_read_whole(fake_x, fake_slack, poll, monkeypatch):
    monkeypatch.setattr(deadline, "DEADLINE", 30.0)  # far more than the slow answer needs, even on a busy machine
    fake_x.tweet("@bramblecafe hello", author_id="1001")
    fake_x.trickle("/users/by/username/", every=0.002)  # slow, but well inside the deadline

    report = poll()

    assert (report.posted, report.failed) == (1, False)
