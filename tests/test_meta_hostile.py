"""Facebook and Instagram against a hostile or broken Graph API: odd types, odd times, odd ids, cursors of another
shape, lost and refused replies, and the Page token never in a log line, a message or an exception."""

from __future__ import annotations

import logging
from datetime import UTC, datetime, timedelta

import pytest
import requests

from bot.models import Mention, ReplyError, SourceError
from bot.sources import facebook, instagram, meta, meta_comments
from storage import mentions as store
from tests.fakes.meta_api import IG_ID, PAGE_ID, TOKEN, error
from tests.fakes.server import Reply
from tests.helpers import card_texts

FB = {"META_PAGE_ID": PAGE_ID, "META_PAGE_TOKEN": TOKEN}
IG = {**FB, "INSTAGRAM_ACCOUNT_ID": IG_ID}


@pytest.fixture
def poll(poll_for, fake_meta):
    return poll_for(**FB, META_GRAPH_URL=fake_meta.url)


@pytest.fixture
def ig_poll(poll_for, fake_meta):
    return poll_for(**IG, META_GRAPH_URL=fake_meta.url)


def fb_source(fake_meta, seconds: float | None = None) -> facebook.FacebookSource:
    return facebook.FacebookSource(meta.GraphClient(meta.MetaSettings(PAGE_ID, TOKEN, fake_meta.url), seconds), PAGE_ID)


def ig_source(fake_meta, seconds: float | None = None) -> instagram.InstagramSource:
    return instagram.InstagramSource(meta.GraphClient(meta.MetaSettings(PAGE_ID, TOKEN, fake_meta.url), seconds), IG_ID)


def no_token(*texts: str) -> None:
    for text in texts:
        assert TOKEN not in text, text


# --- Times that cannot be read, or lie. -------------------------------------------------------------------------


@pytest.mark.parametrize("bad", [12345, {"t": 1}, ["2026"], "yesterday", "0001-01-01T00:00:00+0500", True])
def test_an_instagram_comment_with_an_unreadable_time_is_skipped_and_the_rest_carded(
    fake_meta, fake_slack, ig_poll, db, caplog, bad
):
    medium = fake_meta.medium()
    fake_meta.ig_comment(medium, "first", minutes_ago=60)
    ig_poll()
    broken = fake_meta.ig_comment(medium, "broken", minutes_ago=3)
    broken["timestamp"] = bad
    top = fake_meta.ig_comment(medium, "fine", minutes_ago=2)
    odd_reply = fake_meta.ig_comment(medium, "odd reply", username="sam", minutes_ago=1, parent=top)
    odd_reply["timestamp"] = bad

    with caplog.at_level(logging.WARNING):
        report = ig_poll()

    # Before: one comment's time stopped every Instagram poll ("could not read") while it was on a recent post.
    assert report.source_errors == {} and report.posted == 1 and card_texts(fake_slack)[-1] == "> fine"
    assert "Skipped an Instagram comment" in caplog.text


@pytest.mark.parametrize("bad", [12345, {"t": 1}, "9999-12-31T23:59:59-0500"])
def test_a_facebook_comment_with_a_time_of_the_wrong_type_is_skipped(fake_meta, fake_slack, poll, caplog, bad):
    post = fake_meta.post()
    broken = fake_meta.comment(post, "broken", minutes_ago=3)
    broken["created_time"] = bad
    fake_meta.comment(post, "fine", minutes_ago=1)

    with caplog.at_level(logging.WARNING):
        report = poll()

    # Before: an AttributeError or OverflowError, a "bug of ours", on every poll.
    assert report.source_errors == {} and card_texts(fake_slack) == ["> fine"]
    assert "Skipped an item from Facebook" in caplog.text


def test_a_comment_dated_in_the_future_does_not_hide_the_comments_after_it(fake_meta, fake_slack, poll, db):
    post = fake_meta.post()
    fake_meta.comment(post, "first", minutes_ago=60)
    poll()
    liar = fake_meta.comment(post, "from the future", minutes_ago=1)
    liar["created_time"] = "2099-01-01T00:00:00+0000"

    assert poll().posted == 1
    cursor = store.get_cursors(db, "facebook")[f"comments:{post['id']}"]
    assert meta_comments.utc(cursor) < datetime.now(UTC) + timedelta(hours=1)  # not 2099

    fake_meta.comment(post, "written after it", minutes_ago=0)
    report = poll()

    # Before: the post's cursor said 2099, so every later comment on it was dropped as already read.
    assert report.posted == 1 and card_texts(fake_slack)[-1] == "> written after it"
    assert poll().posted == 0  # the future one, read again each poll, is never a second card


# --- Ids that are not Graph ids. ---------------------------------------------------------------------------------


@pytest.mark.parametrize("bad", [None, "", {"id": "1"}, "../../me/feed", "1?fields=x", True])
def test_a_comment_whose_id_is_not_a_graph_id_is_skipped_not_carded_under_a_made_up_id(
    fake_meta, fake_slack, poll, db, bad
):
    post = fake_meta.post()
    fake_meta.comment(post, "first", minutes_ago=60)
    poll()
    for text in ("odd one", "odd two"):
        fake_meta.comment(post, text, minutes_ago=3)["id"] = bad
    fake_meta.comment(post, "fine", minutes_ago=1)

    report = poll()

    # Before: a null id was carded as facebook:None, and the second null-id comment was dropped as its duplicate.
    assert report.source_errors == {} and card_texts(fake_slack)[-1] == "> fine" and report.posted == 1
    ids = [row["id"] for row in db.query("select id from mentions")]
    assert all(meta.GRAPH_ID.fullmatch(i.split(":", 1)[1]) for i in ids), ids


def test_a_numeric_id_is_read_as_its_digits(fake_meta, fake_slack, ig_poll, db):
    medium = fake_meta.medium()
    fake_meta.ig_comment(medium, "first", minutes_ago=60)
    ig_poll()
    fake_meta.ig_comment(medium, "numbered", minutes_ago=1)["id"] = 17900000000000001

    assert ig_poll().posted == 1
    assert db["mentions"].get("instagram:17900000000000001")["text"] == "numbered"


def test_a_reply_to_a_mention_whose_id_is_not_a_graph_id_posts_nothing(fake_meta):
    mention = Mention("facebook", "123/../../me/feed", "", "Maria", "Hi", "", datetime.now(UTC))

    with pytest.raises(ReplyError) as refused:
        fb_source(fake_meta).reply(mention, "Hello")

    assert "nothing was posted" in str(refused.value) and not refused.value.unsure
    assert fake_meta.posted == [] and not [r for r in fake_meta.requests if r.method == "POST"]


# --- Edges of the wrong shape on one post. ----------------------------------------------------------------------


@pytest.mark.parametrize("bad", ["oops", ["a", "list"], 42])
def test_one_post_with_a_broken_comments_edge_holds_back_nothing_else(fake_meta, fake_slack, poll, bad, monkeypatch):
    good, broken = fake_meta.post("good"), fake_meta.post("broken")
    fake_meta.comment(good, "first", minutes_ago=60)
    poll()
    fake_meta.comment(good, "fine", minutes_ago=1)
    real = fake_meta._object

    def odd(found, kind, wanted):
        shown = real(found, kind, wanted)
        if kind == "post" and found["id"] == broken["id"]:
            shown["comments"] = bad
        return shown

    monkeypatch.setattr(fake_meta, "_object", odd)
    report = poll()

    # Before: "could not read" for the whole Page, every poll, while that post was among the 25 newest.
    assert report.source_errors == {} and card_texts(fake_slack)[-1] == "> fine"


def test_a_broken_replies_edge_on_one_instagram_comment_holds_back_nothing_else(
    fake_meta, fake_slack, ig_poll, monkeypatch
):
    medium = fake_meta.medium()
    fake_meta.ig_comment(medium, "first", minutes_ago=60)
    ig_poll()
    top = fake_meta.ig_comment(medium, "has odd replies", minutes_ago=2)
    fake_meta.ig_comment(medium, "a reply", username="sam", minutes_ago=1, parent=top)
    real = fake_meta._object

    def odd(found, kind, wanted):
        shown = real(found, kind, wanted)
        if kind == "ig_comment" and "replies" in shown:
            shown["replies"] = "not an edge"
        return shown

    monkeypatch.setattr(fake_meta, "_object", odd)
    report = ig_poll()

    assert report.source_errors == {} and card_texts(fake_slack)[-1] == "> has odd replies"


def test_paging_that_never_ends_stops_and_never_leaves_graph(fake_meta, fake_slack, poll, monkeypatch):
    monkeypatch.setattr(facebook, "COMMENT_PAGE", 2)
    post = fake_meta.post()
    fake_meta.comment(post, "first", minutes_ago=600)
    poll()
    for i in range(3):
        fake_meta.comment(post, f"new {i}", minutes_ago=3 - i)
    loop = {
        "data": [],
        "paging": {"next": f"https://evil.example/v26.0/x/comments?access_token={TOKEN}&after=loop&limit=2"},
    }
    fake_meta.fail_next(f"/{post['id']}/comments", *[Reply(200, loop)] * (meta_comments.MAX_PAGES + 5))

    report = poll()

    calls = fake_meta.calls(f"/{post['id']}/comments")
    assert len(calls) == meta_comments.MAX_PAGES - 1  # the first page came with the posts
    assert all(c.param("after") == "loop" and "access_token" not in c.query for c in calls[1:])
    assert report.posted == 2 and not report.failed  # the two that came with the posts


# --- Saved cursors of another shape. --------------------------------------------------------------------------


@pytest.mark.parametrize(
    "saved",
    ['{"since": "2026-01-01"}', "0001-01-01T00:00:00Z", "0001-01-01T00:00:00+0500", "9999-12-31T23:59:59Z", "[]"],
)
def test_a_hand_edited_comment_cursor_is_read_as_a_first_poll_not_a_crash(fake_meta, fake_slack, poll, db, saved):
    post = fake_meta.post()
    fake_meta.comment(post, "first", minutes_ago=60)
    poll()
    store.set_cursor(db, "facebook", f"comments:{post['id']}", saved)
    fake_meta.comment(post, "new", minutes_ago=1)

    report = poll()

    assert report.source_errors == {} and "> new" in card_texts(fake_slack)
    assert poll().source_errors == {} and len(fake_slack.posted) == 2


@pytest.mark.parametrize("saved", ['{"seen": "x"}', "[1, 2]", "not json", '{"seen": [{"a": 1}]}'])
def test_a_hand_edited_tagged_cursor_is_read_as_a_first_poll(fake_meta, fake_slack, poll, db, saved):
    fake_meta.tag("Brunch at @Bramble", minutes_ago=200)
    poll()
    store.set_cursor(db, "facebook", "tagged", saved)

    assert poll().source_errors == {} and poll().source_errors == {}
    assert len(fake_slack.posted) == 1  # the same post, known by its id: no second card


# --- Errors: plain words, no token, lost answers unsure. --------------------------------------------------------


@pytest.mark.parametrize(
    "answer, said",
    [
        (Reply(401, ""), "META_PAGE_TOKEN"),
        (Reply(403, "<html><body>Forbidden</body></html>", {"Content-Type": "text/html"}), "could not read"),
        (Reply(404, ""), "could not read"),
        (Reply(429, ""), "rate limit"),
        (Reply(500, "<html>oops</html>", {"Content-Type": "text/html"}), "having trouble"),
        (Reply(503, ""), "having trouble"),
        (Reply(200, "[1, 2]"), "could not read"),
        (Reply(200, {"published_posts": "x"}), "could not read"),
        (error(190, f"Invalid token {TOKEN}", subcode=460), "password"),
        (error(1, f"An unknown error occurred access_token={TOKEN}"), "having trouble"),
        (error(2207, f"odd: {TOKEN}"), "code 2207"),
    ],
)
def test_graphs_failures_are_plain_words_without_the_token(fake_meta, poll, db, caplog, answer, said):
    fake_meta.post()
    fake_meta.fail_next(f"/{PAGE_ID}", answer)

    with caplog.at_level(logging.DEBUG):
        report = poll()
        with pytest.raises(SourceError) as failed:
            fake_meta.fail_next(f"/{PAGE_ID}", answer)
            list(fb_source(fake_meta).fetch({}))

    message = report.source_errors["facebook"]
    assert said in message, message
    no_token(message, caplog.text, str(failed.value), repr(failed.value), repr(failed.value.__cause__))
    assert store.get_cursors(db, "facebook") == {}


def test_a_bare_429_waits_before_asking_again(fake_meta, poll, db):
    fake_meta.fail_next(f"/{PAGE_ID}", Reply(429, ""))

    poll()

    retry_at = store.source_status(db, "facebook").retry_at
    assert retry_at is not None and retry_at > datetime.now(UTC) + timedelta(minutes=5)


def test_a_trickling_answer_during_a_reply_is_unsure_and_names_no_token(fake_meta, caplog):
    post = fake_meta.post()
    comment = fake_meta.comment(post, "Open Sunday?")
    mention = Mention("facebook", comment["id"], "", "Maria", "Open Sunday?", "", datetime.now(UTC))
    fake_meta.trickle("/comments", every=0.1)

    with caplog.at_level(logging.DEBUG), pytest.raises(ReplyError) as lost:
        fb_source(fake_meta, seconds=0.4).reply(mention, "Yes, 10 to 4!")

    assert lost.value.unsure and "don't send it again" in str(lost.value)
    no_token(str(lost.value), caplog.text, repr(lost.value.__cause__))


@pytest.mark.parametrize("answer", [{"id": None}, {"id": {"x": 1}}, {"id": ""}, {"success": True}, [1]])
def test_a_reply_answer_without_a_readable_id_is_unsure_never_a_made_up_id(fake_meta, answer):
    post = fake_meta.post()
    comment = fake_meta.comment(post, "Open Sunday?")
    mention = Mention("facebook", comment["id"], "", "Maria", "Open Sunday?", "", datetime.now(UTC))
    fake_meta.fail_next("/comments", Reply(200, answer))

    with pytest.raises(ReplyError) as lost:
        fb_source(fake_meta).reply(mention, "Yes!")

    # Before: {"id": null} was recorded as the reply "None", shared by every such reply.
    assert lost.value.unsure


def test_a_connection_refused_during_a_reply_says_nothing_was_posted(fake_meta, monkeypatch):
    monkeypatch.setattr(meta, "RETRY_BACKOFF", 0)  # tried again as in service, without the wait
    mention = Mention("facebook", "1_2", "", "Maria", "Hi", "", datetime.now(UTC))
    src = fb_source(fake_meta)
    src.client.base = "http://127.0.0.1:9/v26.0"  # nothing listens on the discard port

    with pytest.raises(ReplyError) as refused:
        src.reply(mention, "Hello")

    assert not refused.value.unsure and "nothing was posted" in str(refused.value)


def test_a_redirect_never_carries_the_token_elsewhere(fake_meta, fake_google):
    fake_meta.fail_next(f"/{PAGE_ID}", Reply(307, "", {"Location": f"{fake_google.url}/steal"}))

    with pytest.raises(SourceError):
        list(fb_source(fake_meta).fetch({}))

    assert all(TOKEN not in str(r.headers) + r.path + str(r.query) for r in fake_google.requests)


# --- Replies: text, addressing. ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "handle, text, sent",
    [
        ("sam", "@samantha thanks!", "@sam @samantha thanks!"),
        ("sam", "Thanks @sam!", "Thanks @sam!"),
        ("sam", "thanks @SAM.", "thanks @SAM."),
        ("maria.eats", "@maria.eats_2 hi", "@maria.eats @maria.eats_2 hi"),
        ("maria", "email maria@example.com", "@maria email maria@example.com"),
        ("", "Hi", "Hi"),
    ],
)
def test_instagram_addresses_the_author_unless_the_reply_already_names_exactly_them(handle, text, sent):
    # Before: "@sam" inside "@samantha" counted as addressing Sam, so Sam was never told of the reply.
    assert instagram.addressed(handle, text) == sent


def test_an_instagram_reply_with_links_emoji_and_other_names_goes_out_as_written(fake_meta):
    medium = fake_meta.medium()
    top = fake_meta.ig_comment(medium, "Gluten free?", username="maria_eats")
    mention = Mention(
        "instagram",
        top["id"],
        "maria_eats",
        "maria_eats",
        "Gluten free?",
        medium["permalink"],
        datetime.now(UTC),
        raw={"kind": "comment", "parent_id": None},
    )
    text = "Yes 🍰𝄞! See https://bramble.example/menu?x=1&y=2 — ask @tomwrites too"

    ig_source(fake_meta).reply(mention, text)

    assert fake_meta.posted[-1]["form"]["message"] == f"@maria_eats {text}"


def test_an_instagram_reply_too_long_once_addressed_is_refused_before_sending(fake_meta):
    mention = Mention("instagram", "17900000000000001", "maria_eats", "maria_eats", "Hi", "", datetime.now(UTC), raw={})

    with pytest.raises(ReplyError) as refused:
        ig_source(fake_meta).reply(mention, "x" * 2200)

    assert "2,200" in str(refused.value) and not refused.value.unsure and fake_meta.posted == []


def test_graph_refuses_a_comment_longer_than_its_limit_like_meta(fake_meta):
    post = fake_meta.post()
    comment = fake_meta.comment(post, "Hi")
    mention = Mention("facebook", comment["id"], "", "Maria", "Hi", "", datetime.now(UTC))

    with pytest.raises(ReplyError) as refused:
        fb_source(fake_meta).reply(mention, "é" * 8001)

    assert "nothing was posted" in str(refused.value) and fake_meta.posted == []
    fb_source(fake_meta).reply(mention, "é" * 8000)
    assert len(fake_meta.posted) == 1


def test_requests_errors_never_show_the_token(fake_meta, monkeypatch):
    monkeypatch.setattr(meta, "RETRY_BACKOFF", 0)
    client = meta.GraphClient(meta.MetaSettings(PAGE_ID, TOKEN, "http://127.0.0.1:9"))
    with pytest.raises(requests.RequestException) as failed:
        client.get(f"/{PAGE_ID}", {"fields": "id"})
    no_token(str(failed.value), repr(failed.value))
