"""Mastodon through Mastodon.py against a fake server speaking Mastodon's JSON, Link paging and rate-limit headers."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from bot.models import ReplyError
from bot.sources import mastodon
from storage import mentions as store
from tests.fakes.mastodon_api import MAX_LIMIT, TOKEN, rate_limited
from tests.fakes.server import Reply
from tests.helpers import card_texts

PAGE = 10  # items a page in burst tests: fewer than the client asks for, as Mastodon sends when it filters some out


@pytest.fixture
def poll(poll_for, fake_mastodon):
    return poll_for(MASTODON_BASE_URL=fake_mastodon.url, MASTODON_ACCESS_TOKEN=TOKEN, MASTODON_HASHTAGS="#BrambleCafe")


def test_first_poll_posts_mentions_as_cards_with_links_to_the_post(fake_mastodon, fake_slack, poll):
    fake_mastodon.mention("@bramblecafe the oat flat white was cold again", minutes_ago=20)
    fake_mastodon.mention("@bramblecafe are you open on Sunday?", acct="tom@fosstodon.org", name="Tom", minutes_ago=5)

    report = poll()

    assert (report.new, report.posted, report.failed) == (2, 2, False)
    assert card_texts(fake_slack) == [
        "> @bramblecafe the oat flat white was cold again",
        "> @bramblecafe are you open on Sunday?",
    ]
    header = fake_slack.posted[0]["blocks"][0]["text"]["text"]
    assert "Maria López" in header and "@maria@mastodon.social" in header and "Mastodon" in header
    assert "https://mastodon.social/@maria/" in header
    [call] = fake_mastodon.calls("/api/v1/notifications")
    assert call.query["types[]"] == ["mention"] and call.param("limit") == "20"


def test_a_restart_resumes_from_the_saved_cursor_and_never_reposts(fake_mastodon, fake_slack, poll, db):
    first = fake_mastodon.mention("@bramblecafe lovely scones")
    poll()
    newer = fake_mastodon.mention("@bramblecafe is there parking nearby?")

    report = poll()

    assert (report.new, report.posted) == (1, 1)
    assert fake_mastodon.calls("/api/v1/notifications")[1].param("min_id") == first["id"]
    assert store.get_cursors(db, "mastodon")["mentions"] == newer["id"]
    assert poll().posted == 0 and len(fake_slack.posted) == 2


def test_a_burst_is_read_page_by_page_following_the_link_header(fake_mastodon, fake_slack, poll, db):
    fake_mastodon.mention("@bramblecafe first")
    poll()
    fake_mastodon.page_limit = PAGE
    size = 2 * PAGE + PAGE // 2
    burst = [fake_mastodon.mention(f"@bramblecafe message {i}") for i in range(size)]

    report = poll()

    assert (report.new, report.posted) == (size, size)
    assert card_texts(fake_slack)[1:] == [f"> @bramblecafe message {i}" for i in range(size)]
    pages = fake_mastodon.calls("/api/v1/notifications")[1:]
    assert len(pages) == 4  # PAGE + PAGE + PAGE // 2, then an empty page says there is no more
    assert all(p.query["types[]"] == ["mention"] and p.param("limit") == str(MAX_LIMIT) for p in pages)
    assert store.get_cursors(db, "mastodon")["mentions"] == burst[-1]["id"]


def test_an_interrupted_burst_resumes_after_the_last_stored_page(fake_mastodon, fake_slack, poll, db):
    fake_mastodon.mention("@bramblecafe first")
    poll()
    fake_mastodon.page_limit = PAGE
    size = 2 * PAGE + PAGE // 2
    for i in range(size):
        fake_mastodon.mention(f"@bramblecafe message {i}")
    fake_mastodon.fail_next("/api/v1/notifications", Reply(503, {"error": "Service Unavailable"}), after=1)

    report = poll()

    assert report.new == PAGE and "mastodon" in report.source_errors
    assert poll().new == size - PAGE
    assert len(fake_slack.posted) == size + 1 and len(set(card_texts(fake_slack))) == size + 1
    assert all(p.param("limit") == str(MAX_LIMIT) for p in fake_mastodon.calls("/api/v1/notifications")[1:])


def test_hashtag_timeline_and_a_mention_of_the_same_post_make_one_card(fake_mastodon, fake_slack, poll):
    tagged = fake_mastodon.tagged("bramblecafe", "Best cinnamon bun in town #BrambleCafe")
    notification = fake_mastodon.mention("@bramblecafe also hi")
    notification["status"] = tagged  # the tagged post also mentions the account

    report = poll()

    assert report.posted == 1 and card_texts(fake_slack) == ["> Best cinnamon bun in town #BrambleCafe"]
    assert fake_mastodon.calls("/api/v1/timelines/tag/BrambleCafe")


def test_a_rate_limit_pauses_mastodon_until_the_iso_reset_time(fake_mastodon, fake_slack, poll, db):
    # Mid-minute: Mastodon.py shifts the reset by the server clock's offset (its Date header has whole
    # seconds), which must not carry the time shown into the next minute.
    reset = (datetime.now(UTC) + timedelta(minutes=4)).replace(second=30, microsecond=0)
    fake_mastodon.fail_next("/api/v1/notifications", rate_limited(reset))
    fake_mastodon.mention("@bramblecafe hello")

    report = poll()

    assert "rate limit" in report.source_errors["mastodon"] and f"{reset:%H:%M}" in report.source_errors["mastodon"]
    retry_at = store.source_status(db, "mastodon").retry_at
    assert abs((retry_at - reset).total_seconds()) < 5
    calls = len(fake_mastodon.requests)
    poll()  # still waiting: Mastodon is not asked again before the reset
    assert len(fake_mastodon.requests) == calls and fake_slack.posted == []


def test_a_malformed_notification_is_skipped_and_the_rest_are_posted(fake_mastodon, fake_slack, poll):
    broken = fake_mastodon.mention("@bramblecafe this one is broken")
    del broken["status"]["account"]
    fake_mastodon.mention("@bramblecafe this one is fine")

    report = poll()

    assert (report.posted, report.failed) == (1, False) and card_texts(fake_slack) == [
        "> @bramblecafe this one is fine"
    ]


def test_a_wrong_token_says_where_to_get_the_right_one(poll_for, fake_mastodon, fake_slack):
    report = poll_for(MASTODON_BASE_URL=fake_mastodon.url, MASTODON_ACCESS_TOKEN="wrong-token")()

    assert report.failed and "MASTODON_ACCESS_TOKEN" in report.reason and "wrong-token" not in report.reason


def test_a_reply_addresses_the_author_in_the_mentions_visibility(fake_mastodon, fake_slack, poll, db):
    fake_mastodon.mention("@bramblecafe can I book for six?", visibility="unlisted")
    poll()
    [row] = list(db["mentions"].rows)
    source = mastodon.MastodonSource(mastodon.make_client(fake_mastodon.url, TOKEN))

    sent = source.reply(store.row_to_mention(row), "Yes! Send us a DM with the time.")

    [form] = fake_mastodon.posted
    assert form["status"] == "@maria@mastodon.social Yes! Send us a DM with the time."
    assert form["in_reply_to_id"] == row["external_id"] and form["visibility"] == "unlisted"
    assert sent.url.startswith("https://mastodon.social/@bramblecafe/")


def test_a_refused_reply_says_nothing_was_posted(fake_mastodon, fake_slack, poll, db):
    fake_mastodon.mention("@bramblecafe hi")
    poll()
    [row] = list(db["mentions"].rows)
    fake_mastodon.fail_next("/api/v1/statuses", Reply(422, {"error": "Validierung fehlgeschlagen: Text ist zu lang"}))
    source = mastodon.MastodonSource(mastodon.make_client(fake_mastodon.url, TOKEN))

    with pytest.raises(ReplyError) as refused:
        source.reply(store.row_to_mention(row), "Thanks!")

    assert "422" in str(refused.value) and "Validierung" in str(refused.value) and fake_mastodon.posted == []


def test_an_empty_page_in_the_middle_of_a_burst_resumes_after_the_last_page_stored(fake_mastodon, fake_slack, poll, db):
    fake_mastodon.mention("@bramblecafe first")
    poll()
    fake_mastodon.page_limit = PAGE
    size = 2 * PAGE + PAGE // 2
    burst = [fake_mastodon.mention(f"@bramblecafe message {i}") for i in range(size)]
    fake_mastodon.fail_next("/api/v1/notifications", Reply(200, []), after=1)  # page two comes back empty

    cut_short = poll()

    assert (cut_short.posted, cut_short.failed) == (PAGE, False)
    assert store.get_cursors(db, "mastodon")["mentions"] == burst[PAGE - 1]["id"]
    assert poll().posted == size - PAGE
    assert card_texts(fake_slack)[1:] == [f"> @bramblecafe message {i}" for i in range(size)]
    assert all(p.param("limit") == str(MAX_LIMIT) for p in fake_mastodon.calls("/api/v1/notifications")[1:])


def test_a_lone_surrogate_in_a_status_is_dropped_and_the_page_is_carded(fake_mastodon, fake_slack, poll, db):
    fake_mastodon.mention("@bramblecafe before")
    broken = fake_mastodon.mention("@bramblecafe caf\ud800e open?", name="Maria \ud800López")
    broken["status"]["uri"] += "\ud800"
    fake_mastodon.mention("@bramblecafe after")

    report = poll()

    assert (report.posted, report.failed) == (3, False)
    assert card_texts(fake_slack) == ["> @bramblecafe before", "> @bramblecafe cafe open?", "> @bramblecafe after"]
    assert "\ud800" not in db["mentions"].get(f"mastodon:{broken['status']['id']}")["raw"]


@pytest.mark.parametrize("body", [{"id": "1"}, "x", '"x"', "7", [1, 2], [{"id": "x"}]])
def test_a_mastodon_answer_of_the_wrong_shape_is_a_mastodon_problem_only(fake_mastodon, fake_slack, poll, db, body):
    fake_mastodon.mention("@bramblecafe hello")
    poll()
    saved = store.get_cursors(db, "mastodon")["mentions"]
    fake_mastodon.mention("@bramblecafe still there?")
    fake_mastodon.fail_next("/api/v1/notifications", Reply(200, body))

    report = poll()

    assert set(report.source_errors) == {"mastodon"} and "could not read" in report.source_errors["mastodon"]
    assert store.get_cursors(db, "mastodon")["mentions"] == saved
    assert poll().posted == 1
