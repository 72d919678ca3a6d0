"""Bluesky through the atproto SDK against a fake PDS speaking the real XRPC JSON (captured notifications)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from bot.models import ReplyError
from bot.sources.bluesky import BlueskySource
from storage import mentions as store
from tests.fakes.bluesky_api import APP_PASSWORD, HANDLE, OWN_DID, rate_limited
from tests.fakes.server import Reply
from tests.helpers import card_texts

# The fake sends at most PAGE items a page in the burst tests, whatever the client asks for, with a cursor while more
# remain, as Bluesky does when it filters items out of a page: a burst spans several pages with few cards.
PAGE = 20
FULL = 100  # what the client asks for after its first poll (Bluesky's most): a page this long is a full one


def bluesky_source(fake_bluesky) -> BlueskySource:
    """A Bluesky source of its own, as a card's reply would use."""
    return BlueskySource(fake_bluesky.url, HANDLE, APP_PASSWORD)


@pytest.fixture
def bluesky_env(fake_bluesky):
    return dict(BLUESKY_HANDLE=HANDLE, BLUESKY_APP_PASSWORD=APP_PASSWORD, BLUESKY_SERVICE_URL=fake_bluesky.url)


@pytest.fixture
def poll(poll_for, bluesky_env):
    return poll_for(**bluesky_env)


def test_first_poll_posts_mentions_replies_and_quotes_linking_to_bsky_app(fake_bluesky, fake_slack, poll):
    fake_bluesky.notify("@bramblecafe.bsky.social the sourdough is back!", minutes_ago=30)
    fake_bluesky.notify("was it busy this morning?", reason="reply", minutes_ago=20)
    quote = fake_bluesky.notify(
        "this place never answers the phone", reason="quote", handle="tom.bsky.social", minutes_ago=10
    )

    report = poll()

    assert (report.new, report.posted, report.failed) == (3, 3, False)
    assert card_texts(fake_slack) == [
        "> @bramblecafe.bsky.social the sourdough is back!",
        "> was it busy this morning?",
        "> this place never answers the phone",
    ]
    rkey = quote["uri"].rsplit("/", 1)[1]
    assert f"https://bsky.app/profile/tom.bsky.social/post/{rkey}" in fake_slack.posted[2]["blocks"][0]["text"]["text"]
    [login] = fake_bluesky.calls("createSession")
    assert login.json() == {"identifier": HANDLE, "password": APP_PASSWORD}
    [call] = fake_bluesky.calls("listNotifications")
    assert call.query["reasons"] == ["mention", "reply", "quote"] and call.param("limit") == "20"


def test_the_session_is_reused_and_the_cursor_resumes_without_reposting(fake_bluesky, fake_slack, poll, db):
    fake_bluesky.notify("lovely scones", minutes_ago=10)
    poll()
    fake_bluesky.notify("are you open on Sunday?", minutes_ago=1)

    report = poll()

    assert (report.new, report.posted) == (1, 1) and card_texts(fake_slack)[-1] == "> are you open on Sunday?"
    assert len(fake_bluesky.calls("createSession")) == 1
    saved = store.parse_iso(store.get_cursors(db, "bluesky")["notifications"])
    assert saved == store.parse_iso(fake_bluesky.notifications[-1]["indexedAt"])
    assert poll().posted == 0


def test_a_burst_is_read_across_pages_until_the_last_seen_post(fake_bluesky, fake_slack, poll):
    fake_bluesky.notify("first", minutes_ago=300)
    poll()
    fake_bluesky.page_limit = PAGE
    burst = 2 * PAGE + 10  # three pages, the last one short and ending at "first"
    for i in range(burst):
        fake_bluesky.notify(f"message {i}", minutes_ago=200 - i)

    report = poll()

    assert (report.new, report.posted) == (burst, burst)
    assert card_texts(fake_slack)[1:] == [f"> message {i}" for i in range(burst)]
    pages = fake_bluesky.calls("listNotifications")[1:]
    assert [p.param("cursor") for p in pages] == [None, str(PAGE), str(2 * PAGE)]
    assert [p.param("limit") for p in pages] == [str(FULL)] * 3  # the real page size is asked for; Bluesky sent less


def test_a_quote_and_a_mention_of_the_same_post_and_a_search_hit_make_one_card(
    fake_bluesky, fake_slack, poll_for, bluesky_env
):
    quote = fake_bluesky.notify("@bramblecafe.bsky.social best croissant, fight me", reason="quote")
    mention = dict(quote, reason="mention")
    fake_bluesky.notifications.append(mention)
    fake_bluesky.search_posts.append({k: quote[k] for k in ("uri", "cid", "author", "record", "indexedAt")})

    report = poll_for(**bluesky_env, BLUESKY_SEARCH="bramble cafe")()

    assert report.posted == 1 and card_texts(fake_slack) == ["> @bramblecafe.bsky.social best croissant, fight me"]
    assert fake_bluesky.calls("searchPosts")[0].param("q") == "bramble cafe"


def test_a_rate_limit_pauses_bluesky_until_the_reset(fake_bluesky, fake_slack, poll, db):
    reset = datetime.now(UTC) + timedelta(minutes=3)
    poll()  # logged in
    fake_bluesky.fail_next("listNotifications", rate_limited(reset))
    fake_bluesky.notify("hello")

    report = poll()

    assert f"{reset:%H:%M}" in report.source_errors["bluesky"]
    retry_at = store.source_status(db, "bluesky").retry_at
    assert abs((retry_at - reset).total_seconds()) < 2


def test_a_malformed_notification_is_skipped_and_the_rest_are_posted(fake_bluesky, fake_slack, poll):
    broken = fake_bluesky.notify("no author")
    del broken["record"]["text"]
    fake_bluesky.notify("this one is fine")

    report = poll()

    assert (report.posted, report.failed) == (1, False) and card_texts(fake_slack) == ["> this one is fine"]


def test_the_accounts_own_posts_are_not_cards(fake_bluesky, fake_slack, poll):
    own = fake_bluesky.notify("replying in my own thread", reason="reply")
    own["author"]["did"] = OWN_DID

    assert poll().posted == 0


def test_a_wrong_app_password_says_where_to_make_one(poll_for, bluesky_env, fake_slack):
    report = poll_for(**{**bluesky_env, "BLUESKY_APP_PASSWORD": "wrong-pass-word"})()

    assert report.failed and "App passwords" in report.reason and "wrong-pass-word" not in report.reason


def test_a_reply_is_a_reply_record_with_root_parent_and_link_facets(fake_bluesky, fake_slack, poll, db, bluesky_env):
    root = {"uri": f"at://{OWN_DID}/app.bsky.feed.post/3lbqroot0001", "cid": "bafyreiroot"}
    reply = fake_bluesky.notify("what time do you close?", reason="reply", reply_to=root)
    poll()
    [row] = list(db["mentions"].rows)
    source = bluesky_source(fake_bluesky)

    sent = source.reply(store.row_to_mention(row), "We close at 6 today! Hours: https://bramble.example/hours")

    [record] = fake_bluesky.records
    assert record["repo"] == OWN_DID and record["collection"] == "app.bsky.feed.post"
    post = record["record"]
    strong_ref = {"$type": "com.atproto.repo.strongRef"}
    assert post["reply"]["root"] == {**root, **strong_ref}
    assert post["reply"]["parent"] == {"uri": reply["uri"], "cid": reply["cid"], **strong_ref}
    [link] = post["facets"]
    assert link["features"][0]["uri"] == "https://bramble.example/hours"
    assert sent.url.startswith(f"https://bsky.app/profile/{HANDLE}/post/")


def test_a_refused_reply_says_nothing_was_posted(fake_bluesky, fake_slack, poll, db):
    fake_bluesky.notify("hi")
    poll()
    [row] = list(db["mentions"].rows)
    source = bluesky_source(fake_bluesky)
    fake_bluesky.fail_next(
        "createRecord",
        Reply(400, {"error": "InvalidRequest", "message": "Record/text must not be longer than 300 graphemes"}),
    )

    with pytest.raises(ReplyError) as refused:
        source.reply(store.row_to_mention(row), "Thanks!")

    assert "nothing was posted" in str(refused.value) and "300 graphemes" in str(refused.value)


def test_a_lone_surrogate_in_a_post_is_dropped_and_the_rest_of_the_page_is_carded(fake_bluesky, fake_slack, poll):
    fake_bluesky.notify("before", minutes_ago=3)
    broken = fake_bluesky.notify("caf\ud800e open?", name="Maria \ud800López", minutes_ago=2)
    fake_bluesky.notify("after", minutes_ago=1)

    report = poll()

    assert (report.posted, report.failed) == (3, False)
    assert card_texts(fake_slack) == ["> before", "> cafe open?", "> after"]
    assert "*Maria López*" in fake_slack.posted[1]["blocks"][0]["text"]["text"]
    assert broken["uri"].rsplit("/", 1)[1] in fake_slack.posted[1]["blocks"][0]["text"]["text"]


def test_an_empty_page_in_the_middle_of_a_burst_keeps_the_cursor_and_is_read_again(fake_bluesky, fake_slack, poll, db):
    fake_bluesky.notify("first", minutes_ago=300)
    poll()
    saved = store.get_cursors(db, "bluesky")["notifications"]
    fake_bluesky.page_limit = PAGE
    burst = 2 * PAGE + 10
    for i in range(burst):
        fake_bluesky.notify(f"message {i}", minutes_ago=200 - i)
    fake_bluesky.fail_next("listNotifications", Reply(200, {"notifications": []}), after=1)

    cut_short = poll()

    assert (cut_short.posted, cut_short.failed) == (PAGE, False)
    assert store.get_cursors(db, "bluesky")["notifications"] == saved  # not past the unread rest of the burst

    assert poll().posted == burst - PAGE  # read again, down three pages
    assert sorted(card_texts(fake_slack)[1:]) == sorted(f"> message {i}" for i in range(burst))
    assert {c.param("limit") for c in fake_bluesky.calls("listNotifications")[1:]} == {str(FULL)}
    assert store.parse_iso(store.get_cursors(db, "bluesky")["notifications"]) == store.parse_iso(
        fake_bluesky.notifications[-1]["indexedAt"]
    )


def test_a_list_that_ends_at_the_saved_post_is_read_to_its_end(fake_bluesky, fake_slack, poll, db):
    fake_bluesky.notify("the only one", minutes_ago=10)
    poll()
    newer = fake_bluesky.notify("a second one", minutes_ago=1)
    fake_bluesky.notifications[0]["indexedAt"] = newer[
        "indexedAt"
    ]  # both at the saved time or later: no older item exists

    assert poll().posted == 1
    assert store.parse_iso(store.get_cursors(db, "bluesky")["notifications"]) == store.parse_iso(newer["indexedAt"])


@pytest.mark.parametrize(
    "body", [[1, 2], "x", {"notifications": "x"}, {"notifications": {"a": 1}}, {"notifications": [], "cursor": 5}]
)
def test_a_bluesky_answer_of_the_wrong_shape_is_a_bluesky_problem_only(fake_bluesky, fake_slack, poll, db, body):
    fake_bluesky.notify("hello", minutes_ago=5)
    poll()
    saved = store.get_cursors(db, "bluesky")["notifications"]
    fake_bluesky.notify("still there?", minutes_ago=1)
    fake_bluesky.fail_next("listNotifications", Reply(200, body))

    report = poll()

    assert report.source_errors == {
        "bluesky": "Bluesky sent a response Listening Post could not read; will try again next poll."
    }
    assert store.get_cursors(db, "bluesky")["notifications"] == saved
    assert poll().posted == 1


def test_malformed_items_are_skipped_and_the_rest_are_carded(fake_bluesky, fake_slack, poll):
    good = fake_bluesky.notify("fine", minutes_ago=1)
    fake_bluesky.fail_next(
        "listNotifications", Reply(200, {"notifications": [1, "x", None, {"reason": "mention"}, good]})
    )

    report = poll()

    assert (report.posted, report.failed) == (1, False) and card_texts(fake_slack) == ["> fine"]


def test_a_notification_indexed_after_newer_ones_is_still_carded(fake_bluesky, fake_slack, poll_for, bluesky_env):
    poll = poll_for(**bluesky_env)
    fake_bluesky.notify("@bramblecafe hello", minutes_ago=30)
    poll()
    fake_bluesky.notify("@bramblecafe newest", minutes_ago=1)
    poll()
    fake_bluesky.notify("@bramblecafe delayed by the relay", minutes_ago=3)  # older than the newest already seen
    fake_bluesky.notifications.sort(key=lambda n: n["indexedAt"])

    assert poll().posted == 1
    assert card_texts(fake_slack)[-1] == "> @bramblecafe delayed by the relay"


def test_a_full_page_without_a_cursor_mid_burst_is_read_again(fake_bluesky, fake_slack, poll_for, bluesky_env):
    poll = poll_for(**bluesky_env)
    fake_bluesky.notify("@bramblecafe hello", minutes_ago=300)
    poll()
    fake_bluesky.page_limit = PAGE  # only for the pages the fake makes: the full page below is sent as it is
    burst = [fake_bluesky.notify(f"@bramblecafe burst {i}", minutes_ago=200 - i) for i in range(FULL + PAGE // 2)]
    newest = list(reversed(fake_bluesky.notifications))[:FULL]
    fake_bluesky.fail_next("listNotifications", Reply(200, {"notifications": newest}))  # page one, its cursor missing

    poll()
    [full] = fake_bluesky.calls("listNotifications")[1:]
    assert full.param("limit") == str(len(newest))  # as long as the client asked: a full page
    poll()  # the range read again in short pages, down past the rest of the burst

    carded = set(card_texts(fake_slack))
    assert all(f"> {n['record']['text']}" in carded for n in burst)
