"""RSS and Atom feeds served from 127.0.0.1: new entries become cards, unchanged feeds cost a 304, broken feeds are named."""

from __future__ import annotations

import json

import pytest

from storage import mentions as store
from tests.helpers import card_texts, wait_for


@pytest.fixture
def poll(poll_for, fake_feeds):
    return poll_for(RSS_FEEDS=f"{fake_feeds.url}/alerts.atom")


def test_each_new_entry_is_a_card_that_links_to_the_page_itself(fake_feeds, fake_slack, poll):
    entry = fake_feeds.alert(
        "<b>Bramble Café</b> wins best brunch", "The <b>Bramble Café</b> on Mill Lane took the prize."
    )

    report = poll()

    assert (report.posted, report.failed) == (1, False)
    card = fake_slack.posted[0]
    assert card_texts(fake_slack) == [
        "> Bramble Café wins best brunch\n> The Bramble Café on Mill Lane took the prize."
    ]
    assert entry["url"] in card["blocks"][0]["text"]["text"] and "google.com/url" not in json.dumps(card)
    assert 'Google Alert - "Bramble Café"' in card["blocks"][0]["text"]["text"]
    assert any("answer on the page itself" in json.dumps(b) for b in card["blocks"] if b["type"] == "context")
    assert "Suggested replies" not in json.dumps(card)  # nobody to address through a feed


def test_an_unchanged_feed_is_a_304_and_a_restart_never_reposts(fake_feeds, fake_slack, poll, db):
    fake_feeds.alert("Bramble Café opens a second shop")
    poll()

    assert poll().posted == 0
    second = fake_feeds.calls("/alerts.atom")[-1]
    assert second.headers.get("If-None-Match") and second.headers.get("If-Modified-Since")
    fake_feeds.alert("Review: Bramble Café's new menu", minutes_ago=1)
    assert poll().posted == 1 and len(fake_slack.posted) == 2
    assert json.loads(store.get_cursors(db, "rss")[f"feed:{fake_feeds.url}/alerts.atom"])["etag"]


def test_the_first_poll_shows_only_the_newest_twenty_and_never_the_older_ones_later(fake_feeds, fake_slack, poll):
    for i in range(30):
        fake_feeds.alert(f"Story {i}", minutes_ago=600 - i)

    assert poll().posted == 20
    fake_feeds.alert("A brand new story", minutes_ago=0)

    assert poll().posted == 1 and card_texts(fake_slack)[-1] == "> A brand new story"


def test_a_broken_feed_is_named_and_the_other_feeds_still_post(fake_feeds, fake_slack, poll_for, db):
    fake_feeds.alert("Bramble Café in the weekend guide")

    report = poll_for(
        RSS_FEEDS=f"{fake_feeds.url}/broken.xml, {fake_feeds.url}/alerts.atom, {fake_feeds.url}/gone.rss"
    )()

    assert report.posted == 1
    error = report.source_errors["rss"]
    assert f"{fake_feeds.url}/broken.xml is not a readable RSS or Atom feed" in error
    assert f"{fake_feeds.url}/gone.rss answered HTTP 404" in error and "RSS_FEEDS" in error
    assert store.source_status(db, "rss").last_error == error


def test_a_malformed_entry_is_skipped(fake_feeds, fake_slack, poll):
    fake_feeds.alert("", "")  # no title, no summary
    fake_feeds.alert("Bramble Café hires a new baker")

    report = poll()

    assert (report.posted, report.failed) == (1, False) and card_texts(fake_slack) == [
        "> Bramble Café hires a new baker"
    ]


def test_a_feed_that_is_down_says_so(poll_for, fake_slack):
    report = poll_for(RSS_FEEDS="http://127.0.0.1:9/feed.xml")()

    assert report.failed and "Could not reach the feed http://127.0.0.1:9/feed.xml" in report.reason


def test_an_entry_dated_before_the_last_poll_is_still_carded_once(fake_feeds, fake_slack, poll):
    for i in range(25):
        fake_feeds.alert(f"Story {i}", minutes_ago=600 - i)
    assert poll().posted == 20
    fake_feeds.alert("A review dated last week, published today", minutes_ago=7 * 24 * 60)
    same = fake_feeds.alert("Same minute as the newest story", minutes_ago=600 - 24)

    report = poll()

    assert report.posted == 2
    assert sorted(card_texts(fake_slack)[-2:]) == ["> A review dated last week, published today", f"> {same['title']}"]
    assert poll().posted == 0  # and never again; the five set aside on the first poll stay set aside


def test_a_cursor_saved_by_date_carries_on_by_date_then_by_entry(fake_feeds, fake_slack, poll, db):
    key = f"feed:{fake_feeds.url}/alerts.atom"
    fake_feeds.alert("Old story", minutes_ago=600)
    fake_feeds.alert("Newer story", minutes_ago=10)
    store.set_cursor(
        db, "rss", key, json.dumps({"since": fake_feeds.entries[1]["published"]})
    )  # as saved before "skip"

    assert poll().posted == 1 and card_texts(fake_slack) == ["> Newer story"]
    assert json.loads(store.get_cursors(db, "rss")[key])["skip"] == [
        f"tag:google.com,2013:googlealerts/feed:{fake_feeds.entries[0]['id']}"
    ]


@pytest.mark.parametrize("saved", ["not json", "[1]", '{"skip": "x"}'])
def test_an_unreadable_saved_position_reads_the_feed_as_a_first_poll(fake_feeds, fake_slack, poll, db, saved):
    store.set_cursor(db, "rss", f"feed:{fake_feeds.url}/alerts.atom", saved)
    fake_feeds.alert("Bramble Café on the radio")

    report = poll()

    assert (report.posted, report.failed) == (1, False)


def test_an_entry_whose_id_is_long_and_full_of_quotes_still_opens_its_forms(fake_feeds, fake_slack, workspace_for):
    entry = fake_feeds.alert("Bramble Café in the news")
    entry["id"] = '"\\' * 800  # a feed may use anything as an id; escaped in JSON it would overflow a form's metadata
    ws = workspace_for(RSS_FEEDS=f"{fake_feeds.url}/alerts.atom")
    assert ws.poll().posted == 1
    card = fake_slack.posted[0]
    mention_id = card["metadata"]["event_payload"]["mention_id"]
    assert len(mention_id) < 100

    for action in ("mention_reply", "mention_dismiss"):
        ws.click("U0MARIA", action, mention_id, card["ts"])
    assert wait_for(lambda: len(fake_slack.views_opened) == 2)
    assert not fake_slack.refused
