"""Google reviews against a hostile or broken Google: odd types and times, pages that loop, cursors of another shape,
lost and refused replies, and the client secret, refresh token and access tokens never in a log line or message."""

from __future__ import annotations

import json
import logging
from datetime import UTC, datetime, timedelta

import pytest

from bot.models import Mention, ReplyError, SourceError
from bot.sources import google
from storage import mentions as store
from tests.fakes import google_api
from tests.fakes.google_api import CLIENT_SECRET, LOCATION, REFRESH_TOKEN
from tests.fakes.server import FakeServer, Reply
from tests.helpers import card_texts
from tests.test_google import google_env, source

SECRETS = (CLIENT_SECRET, REFRESH_TOKEN, "ya29.fake-access")
KEY = f"reviews:{LOCATION}"


@pytest.fixture
def poll(poll_for, fake_google):
    return poll_for(**google_env(fake_google))


def no_secret(*texts: str) -> None:
    for text in texts:
        assert not any(secret in text for secret in SECRETS), text


# --- Reviews of the wrong shape. ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "field, bad",
    [
        ("createTime", 12345),
        ("createTime", {"seconds": 1}),
        ("createTime", "0001-01-01T00:00:00+05:00"),
        ("createTime", "9999-12-31T23:59:59-05:00"),
        ("updateTime", "later"),
        ("reviewId", 12345),
        ("reviewId", None),
        ("comment", {"text": "nested"}),
        ("comment", ["a"]),
        ("starRating", {"x": 1}),
        ("reviewer", "Maria"),
    ],
)
def test_a_review_with_a_field_of_the_wrong_type_is_skipped_or_read_and_the_rest_carded(
    fake_google, fake_slack, poll, caplog, field, bad
):
    fake_google.review("The fine one.", minutes_ago=10)
    fake_google.review("The odd one.", minutes_ago=5)[field] = bad

    with caplog.at_level(logging.WARNING):
        report = poll()

    # Before: a date at the calendar's edge was an OverflowError, which stopped every Google poll as a bug of ours.
    assert report.source_errors == {} and "> ★★★★☆ The fine one." in card_texts(fake_slack)
    assert caplog.text.count("Skipped a review from Google") <= 1


def test_an_unknown_star_rating_with_words_is_carded_without_stars(fake_google, fake_slack, poll, db):
    fake_google.review("Words but odd stars.")["starRating"] = "SIX"
    assert poll().posted == 1
    assert store.row_to_mention(db["mentions"].get(card_ids(db)[0])).rating is None


def test_words_with_control_characters_lone_surrogates_and_huge_length_are_carded_clean(fake_google, fake_slack, poll):
    review = fake_google.review("placeholder")
    review["comment"] = "Bad\x00 service\x1b[31m \ud800 really " + "long " * 20000
    review["reviewer"]["displayName"] = "Mal\ud83dlory\n\x07"

    report = poll()

    assert report.source_errors == {} and report.posted == 1
    text = card_texts(fake_slack)[0]
    assert "\x00" not in text and "\x1b" not in text and "\ud800" not in text


def test_an_owner_reply_with_an_unreadable_time_does_not_hide_the_review(fake_google, fake_slack, poll):
    review = fake_google.review("Edited complaint.", stars=1, minutes_ago=60)
    review["updateTime"] = google_api.stamp(datetime.now(UTC) - timedelta(minutes=5))
    review["reviewReply"] = {"comment": "Sorry!", "updateTime": "not a time"}

    report = poll()

    # Before: the reply's time raised while telling an edit from a reply, and the review was skipped on every poll.
    assert report.source_errors == {} and report.posted == 1 and report.replies_found == 0


def test_a_review_dated_in_the_future_does_not_stop_a_burst_being_read(fake_google, fake_slack, poll, db):
    fake_google.review("First.", minutes_ago=600)
    poll()
    liar = fake_google.review("From the future.", minutes_ago=1)
    liar["updateTime"] = liar["createTime"] = "2099-01-01T00:00:00Z"
    poll()
    saved = json.loads(store.get_cursors(db, "google")[KEY])
    assert google.utc(saved["since"]) <= datetime.now(UTC)  # not 2099

    for i in range(60):  # more than one page of 50
        fake_google.review(f"Burst {i}.", minutes_ago=30 - i * 0.1)
    report = poll()

    # Before: "since" was 2099, so the first page always "reached" it and the burst's second page was never read.
    assert report.source_errors == {} and report.posted == 60


def test_a_page_token_that_never_ends_stops_after_max_pages(fake_google, fake_slack, poll, db, monkeypatch):
    monkeypatch.setattr(google, "MAX_PAGES", 4)
    fake_google.review("First.", minutes_ago=600)
    poll()
    monkeypatch.setattr(google, "PAGE_SIZE", 1)
    fake_google.review("New.", minutes_ago=1)
    page = {"reviews": [], "nextPageToken": "loop"}
    fake_google.fail_next("/reviews", *[Reply(200, page)] * 10, after=1)  # poll 2's first page is Google's own

    report = poll()

    lists = fake_google.calls("/reviews")
    assert len(lists) == 1 + 4 and report.posted == 1 and not report.failed  # bounded; read again next poll
    assert [c.param("pageToken") for c in lists[-2:]] == ["loop", "loop"]


def test_empty_pages_mid_burst_lose_nothing(fake_google, fake_slack, poll, db):
    fake_google.review("First.", minutes_ago=600)
    poll()
    burst = [fake_google.review(f"Burst {i}.", minutes_ago=30 - i * 0.1) for i in range(70)]
    real = fake_google._list
    calls = []

    def with_an_empty_page(request):
        calls.append(request)
        if len(calls) == 2 and request.param("pageToken"):  # the second page comes back empty, with a token on
            return Reply(200, {"nextPageToken": request.param("pageToken")})
        return real(request)

    fake_google._list = with_an_empty_page
    report = poll()

    assert report.source_errors == {}
    assert {f"google:{r['reviewId']}" for r in burst} <= set(card_ids(db))
    assert poll().posted == 0


def card_ids(db) -> list[str]:
    return [row["id"] for row in db.query("select id from mentions where source = 'google' order by created_at")]


# --- Saved positions of another shape. ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    "saved",
    [
        "not json",
        "[]",
        '{"since": 5}',
        '{"since": "0001-01-01T00:00:00Z", "floor": null, "seen": {}}',
        '{"since": "0001-01-01T00:00:00+05:00", "floor": null, "seen": {}}',
        '{"since": "9999-12-31T00:00:00Z", "floor": "9999-12-31T00:00:00Z", "seen": {}}',
        '{"since": null, "floor": null, "seen": []}',
        '{"seen": {"x": 1}}',
    ],
)
def test_a_hand_edited_position_is_read_as_a_first_poll_not_a_crash_every_poll(
    fake_google, fake_slack, poll, db, saved
):
    fake_google.review("First.", minutes_ago=60)
    poll()
    store.set_cursor(db, "google", KEY, saved)
    fake_google.review("New.", minutes_ago=1)

    report = poll()

    assert report.source_errors == {} and "> ★★★★☆ New." in card_texts(fake_slack)
    assert poll().source_errors == {}


# --- Failures in plain words, with no secret anywhere. -------------------------------------------------------------


@pytest.mark.parametrize(
    "answer, said",
    [
        (Reply(401, ""), "401"),
        (Reply(403, "<html>Forbidden</html>", {"Content-Type": "text/html"}), "403"),
        (Reply(404, ""), "404"),
        (Reply(429, ""), "rate limit"),
        (Reply(500, "<html>oops</html>", {"Content-Type": "text/html"}), "having trouble"),
        (Reply(502, ""), "having trouble"),
        (Reply(200, "<html>captive portal</html>", {"Content-Type": "text/html"}), "could not read"),
        (Reply(200, "[]"), "could not read"),
        (Reply(200, {"reviews": [], "nextPageToken": 7}), "could not read"),
        (Reply(400, {"error": {"message": f"bad {CLIENT_SECRET} {REFRESH_TOKEN}"}}), "Google answered HTTP 400"),
    ],
)
def test_googles_failures_are_plain_words_and_carry_no_secret(fake_google, poll, db, caplog, answer, said):
    fake_google.review("Hello")
    with caplog.at_level(logging.DEBUG):
        fake_google.fail_next("/reviews", answer, answer)
        report = poll()
        fake_google.fail_next("/reviews", answer, answer)
        with pytest.raises(SourceError) as failed:
            list(source(fake_google).fetch({}))
    message = report.source_errors["google"]
    assert said in message, message
    no_secret(message, caplog.text, str(failed.value), repr(failed.value), repr(failed.value.__cause__))
    assert store.get_cursors(db, "google") == {}


@pytest.mark.parametrize(
    "answer",
    [
        Reply(400, {"error": "invalid_grant", "error_description": f"echo {REFRESH_TOKEN} {CLIENT_SECRET}"}),
        Reply(401, {"error": "invalid_client", "error_description": f"echo {CLIENT_SECRET}"}),
        Reply(200, "not json"),  # before: google-auth's TypeError, a "bug of ours" with its traceback
        Reply(200, ["a", "list"]),
    ],
)
def test_a_broken_token_endpoint_is_plain_words_and_carries_no_secret(fake_google, poll, caplog, answer):
    fake_google.review("Hello")
    with caplog.at_level(logging.DEBUG):
        fake_google.fail_next("/token", answer)
        report = poll()
        fake_google.fail_next("/token", answer)
        with pytest.raises(SourceError) as failed:
            list(source(fake_google).fetch({}))
    message = report.source_errors["google"]
    assert "Google" in message
    no_secret(message, caplog.text, str(failed.value), repr(failed.value.__cause__), repr(failed.value.__context__))


def test_the_token_form_is_never_sent_on_to_another_host(fake_google):
    thief = Catcher().start()
    try:
        fake_google.fail_next("/token", Reply(307, "", {"Location": f"{thief.url}/token"}))
        with pytest.raises(SourceError):
            list(source(fake_google).fetch({}))
    finally:
        thief.stop()
    # Before: requests followed a 307 with the same POST body: the client secret and refresh token went to it.
    assert thief.requests == []


class Catcher(FakeServer):
    def answer(self, request):
        return Reply(200, {"access_token": "stolen", "expires_in": 3600})


def test_a_trickling_token_endpoint_is_cut_off(fake_google):
    fake_google.trickle("/token", every=0.1)
    src = source(fake_google)
    src.client.session.adapters["http://"].seconds = 0.4

    with pytest.raises(SourceError) as cut:
        list(src.fetch({}))

    assert "took longer than 0.4 s" in str(cut.value)


# --- Replies. ---------------------------------------------------------------------------------------------------


def mention_for(fake: google_api.FakeGoogle) -> tuple[google.GoogleSource, Mention]:
    fake.review("Where do you park?")
    src = source(fake)
    [page] = list(src.fetch({}))
    return src, page.mentions[-1]


def test_a_trickling_reply_answer_is_unsure_and_never_resent(fake_google, caplog):
    src, mention = mention_for(fake_google)
    fake_google.trickle("/reply", every=0.1)
    src.client.session.adapters["http://"].seconds = 0.4

    with caplog.at_level(logging.DEBUG), pytest.raises(ReplyError) as lost:
        src.reply(mention, "Behind the shop.")

    assert lost.value.unsure and len(fake_google.calls("/reply")) == 1
    no_secret(str(lost.value), caplog.text)


@pytest.mark.parametrize("answer", [Reply(200, "<html>ok</html>", {"Content-Type": "text/html"}), Reply(200, "")])
def test_a_reply_answered_with_something_not_googles_is_unsure(fake_google, answer):
    src, mention = mention_for(fake_google)
    fake_google.fail_next("/reply", answer)

    with pytest.raises(ReplyError) as lost:
        src.reply(mention, "Behind the shop.")

    # Before: any 200 was taken as posted, even a proxy's page that never reached Google.
    assert lost.value.unsure


@pytest.mark.parametrize("external_id", ["../../../accounts", "abc?x=1", "abc/reply", "", "abc#x"])
def test_a_reply_to_a_mention_whose_id_is_not_a_review_id_posts_nothing(fake_google, external_id):
    src = source(fake_google)
    mention = Mention("google", external_id, "", "Maria", "Hi", "", datetime.now(UTC))

    with pytest.raises(ReplyError) as refused:
        src.reply(mention, "Thanks!")

    assert "nothing was posted" in str(refused.value) and not refused.value.unsure
    assert [r for r in fake_google.requests if r.method == "PUT"] == []


def test_a_reply_with_mentions_links_and_non_bmp_text_goes_out_as_written(fake_google):
    src, mention = mention_for(fake_google)
    text = "Thanks @maria! Parking: https://bramble.example/park?a=1&b=2 🚗𝄞 — see you"

    src.reply(mention, text)

    assert fake_google.replies == [{"comment": text}]


def test_googles_byte_limit_counts_four_bytes_for_a_non_bmp_character(fake_google):
    src, mention = mention_for(fake_google)
    with pytest.raises(ReplyError) as refused:
        src.reply(mention, "🚗" * 1025)  # 4100 bytes, 1025 characters
    assert not refused.value.unsure and fake_google.replies == []
    src.reply(mention, "🚗" * 1024)
    assert len(fake_google.replies) == 1
