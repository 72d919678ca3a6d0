"""X through tweepy against the fake X API: cursors that never pass what was not stored, odd answers kept inside X."""

from __future__ import annotations

import json

import pytest

from storage import mentions as store
from tests.fakes.server import Reply
from tests.helpers import card_texts

EMPTY_PAGE = Reply(200, {"meta": {"result_count": 0}})  # what X sends for a page with nothing on it
PAGE = 10  # posts per page in the burst tests: X may send fewer than the 100 asked for, with a next_token


def test_an_empty_page_in_the_middle_of_a_burst_loses_nothing(fake_x, fake_slack, poll, db):
    first = fake_x.tweet("@bramblecafe hello", author_id="1001")
    poll()
    fake_x.page_limit = PAGE
    burst = [fake_x.tweet(f"@bramblecafe burst {i}", author_id="1002") for i in range(PAGE + PAGE // 2)]
    fake_x.fail_next("/mentions", EMPTY_PAGE, after=1)  # page one is answered; page two comes back empty

    cut_short = poll()

    assert (cut_short.posted, cut_short.failed) == (PAGE, False)
    saved = json.loads(store.get_cursors(db, "x")["mentions"])
    assert saved == {"since_id": burst[-1]["id"], "gap": [first["id"], burst[-PAGE]["id"]]}

    filled = poll()

    assert filled.posted == PAGE // 2
    assert sorted(card_texts(fake_slack)[1:]) == sorted(f"> {t['text']}" for t in burst)
    gap_call = fake_x.calls("/mentions")[-1]
    assert (gap_call.param("since_id"), gap_call.param("until_id")) == (first["id"], burst[-PAGE]["id"])
    assert store.get_cursors(db, "x")["mentions"] == burst[-1]["id"]  # the gap is closed
    assert poll().posted == 0


def test_an_empty_page_reached_through_a_next_token_on_the_gap_read_keeps_the_gap(fake_x, fake_slack, poll, db):
    first = fake_x.tweet("@bramblecafe hello", author_id="1001")
    poll()
    fake_x.page_limit = PAGE
    burst = [fake_x.tweet(f"@bramblecafe burst {i}", author_id="1002") for i in range(2 * PAGE + PAGE // 2)]
    fake_x.fail_next("/mentions", EMPTY_PAGE, after=1)
    assert poll().posted == PAGE
    fake_x.fail_next("/mentions", EMPTY_PAGE, after=2)  # the newest range (empty), then the gap's page one, then empty

    assert poll().posted == PAGE
    assert json.loads(store.get_cursors(db, "x")["mentions"])["gap"] == [first["id"], burst[-2 * PAGE]["id"]]
    assert poll().posted == PAGE // 2
    assert len(set(card_texts(fake_slack))) == 1 + len(burst)


def test_a_gap_that_comes_back_empty_once_is_read_again_before_it_is_given_up(fake_x, fake_slack, poll, db):
    fake_x.tweet("@bramblecafe hello", author_id="1001")
    poll()
    fake_x.page_limit = PAGE
    for i in range(PAGE + PAGE // 2):
        fake_x.tweet(f"@bramblecafe burst {i}", author_id="1002")
    fake_x.fail_next("/mentions", EMPTY_PAGE, after=1)
    assert poll().posted == PAGE
    fake_x.fail_next(
        "/mentions", EMPTY_PAGE, after=1
    )  # the newest range (nothing new), then the gap's first page: empty

    assert poll().posted == 0
    assert "gap" in json.loads(store.get_cursors(db, "x")["mentions"])  # one empty answer is not believed
    assert poll().posted == PAGE // 2
    assert len(set(card_texts(fake_slack))) == 1 + PAGE + PAGE // 2
    assert store.get_cursors(db, "x")["mentions"].isdigit()  # the gap is closed


def test_the_first_poll_is_one_small_page_and_a_complete_range(fake_x, fake_slack, poll, db):
    tweets = [fake_x.tweet(f"@bramblecafe old {i}", author_id="1001") for i in range(30)]

    report = poll()

    assert report.posted == 20
    assert store.get_cursors(db, "x")["mentions"] == tweets[-1]["id"]
    assert len(fake_x.calls("/mentions")) == 1


@pytest.mark.parametrize(
    "body",
    [
        [1, 2],
        "x",
        '"x"',
        "7",
        {"data": "x"},
        {"data": 7},
        {"data": [], "includes": {"users": "x"}},
        {"meta": "x"},
        {"data": [{"id": "1"}], "meta": {"next_token": ["x"]}},
        None,
    ],
)
def test_an_x_answer_of_the_wrong_shape_is_an_x_problem_only(fake_x, fake_slack, poll, db, body):
    fake_x.tweet("@bramblecafe hello", author_id="1001")
    poll()
    cursor = store.get_cursors(db, "x")["mentions"]
    fake_x.tweet("@bramblecafe still here?", author_id="1001")
    fake_x.fail_next("/mentions", Reply(200, body))

    report = poll()

    assert report.source_errors == {"x": "X sent a response Listening Post could not read; will try again next poll."}
    assert store.get_cursors(db, "x")["mentions"] == cursor
    assert poll().posted == 1  # the next poll reads it


def test_an_empty_includes_list_is_no_includes(fake_x, fake_slack, poll):
    tweet = fake_x.tweet("@bramblecafe hello", author_id="1001")
    fake_x.fail_next("/mentions", Reply(200, {"data": [tweet], "includes": [], "meta": {"result_count": 1}}))

    report = poll()

    assert (report.posted, report.failed) == (1, False)
    assert f"https://x.com/i/web/status/{tweet['id']}" in fake_slack.posted[0]["blocks"][0]["text"]["text"]


def test_posts_of_the_wrong_shape_are_skipped_and_the_rest_are_carded(fake_x, fake_slack, poll):
    good = fake_x.tweet("@bramblecafe the cake was great", author_id="1001")
    fake_x.fail_next(
        "/mentions",
        Reply(
            200,
            {
                "data": [1, "x", None, {"id": "5"}, good],
                "includes": {"users": [1, fake_x.users["1001"]]},
                "meta": {"newest_id": good["id"], "result_count": 5},
            },
        ),
    )

    report = poll()

    assert (report.posted, report.failed) == (1, False) and card_texts(fake_slack) == [f"> {good['text']}"]


def test_a_lone_surrogate_in_a_post_is_dropped_and_the_page_is_carded(fake_x, fake_slack, poll, db):
    fake_x.tweet("@bramblecafe before", author_id="1002")
    broken = fake_x.tweet("@bramblecafe caf\ud800e is closed?", author_id="1001")
    fake_x.users["1001"]["name"] = "Maria \ud800López"
    fake_x.tweet("@bramblecafe after", author_id="1002")

    report = poll()

    assert (report.posted, report.failed) == (3, False)
    assert card_texts(fake_slack) == ["> @bramblecafe before", "> @bramblecafe cafe is closed?", "> @bramblecafe after"]
    row = db["mentions"].get(f"x:{broken['id']}")
    assert "\ud800" not in row["raw"] and row["author_name"] == "Maria López"


def test_the_fake_sends_the_surrogate_as_a_json_escape(fake_x):
    fake_x.tweet("caf\ud800e")
    import requests

    from tests.fakes.x_api import BEARER

    body = requests.get(f"{fake_x.url}/2/users/783214/mentions", headers={"Authorization": f"Bearer {BEARER}"}).content
    assert b"caf\\ud800e" in body


def test_a_new_gap_joining_an_old_one_gets_its_empty_answers_counted_afresh(fake_x, fake_slack, poll, db):
    fake_x.tweet("@bramblecafe hello", author_id="1001")
    poll()
    fake_x.page_limit = PAGE
    for i in range(PAGE + PAGE // 2):
        fake_x.tweet(f"@bramblecafe first burst {i}", author_id="1002")
    fake_x.fail_next("/mentions", EMPTY_PAGE, after=1)  # page two of the first burst: empty, so a gap
    poll()
    second = [fake_x.tweet(f"@bramblecafe second burst {i}", author_id="1002") for i in range(PAGE + PAGE // 2)]
    fake_x.fail_next(
        "/mentions", EMPTY_PAGE, EMPTY_PAGE, after=1
    )  # the second burst's page two, and the old gap: empty
    poll()
    fake_x.fail_next("/mentions", EMPTY_PAGE, after=1)  # the joined gap comes back empty once
    poll()
    poll()

    carded = set(card_texts(fake_slack))
    assert all(f"> {t['text']}" in carded for t in second)


def test_a_bug_in_reading_one_post_is_logged_with_its_traceback_and_the_rest_are_carded(
    fake_x, fake_slack, poll, monkeypatch, caplog
):
    from bot.sources import x as x_source

    fake_x.tweet("@bramblecafe first", author_id="1001")
    odd = fake_x.tweet("@bramblecafe this one trips a bug", author_id="1001")
    fake_x.tweet("@bramblecafe last", author_id="1002")
    real = x_source.to_mention

    def buggy(raw, user):  # a bug of ours, as an edit could make it
        if raw["id"] == odd["id"]:
            raise TypeError("unsupported operand type(s)")
        return real(raw, user)

    monkeypatch.setattr(x_source, "to_mention", buggy)
    report = poll()

    assert report.posted == 2 and card_texts(fake_slack) == ["> @bramblecafe first", "> @bramblecafe last"]
    [record] = [r for r in caplog.records if "could not be read" in r.getMessage()]
    assert record.levelname == "WARNING" and record.exc_info and record.exc_info[0] is TypeError


def test_a_bug_of_ours_around_a_whole_fetch_is_named_as_one_not_blamed_on_x(
    fake_x, fake_slack, poll, monkeypatch, caplog
):
    from bot.sources import x as x_source

    fake_x.tweet("@bramblecafe hello", author_id="1001")
    poll()

    def buggy(saved):
        raise KeyError("since_id")

    monkeypatch.setattr(x_source, "_position", buggy)
    report = poll()

    assert "could not handle (KeyError)" in report.source_errors["x"]
    assert "could not read" not in report.source_errors["x"]
    assert any(r.levelname == "WARNING" and r.exc_info and r.exc_info[0] is KeyError for r in caplog.records)
