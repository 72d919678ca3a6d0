"""The loop end to end over real HTTP: fake X → tweepy → triage → SQLite → slack_sdk → fake Slack."""

from __future__ import annotations

import json
import time
from pathlib import Path

from bot import config, wiring
from storage import mentions as store
from tests.fakes.server import Reply
from tests.helpers import card_texts

FIXTURES = Path(__file__).parent / "fixtures"


def test_first_poll_posts_each_mention_as_a_card_oldest_first(fake_x, fake_slack, poll):
    fake_x.tweet("@bramblecafe Ugh, the delivery took forever", author_id="1001", minutes_ago=30)
    fake_x.tweet("@bramblecafe do you have oat milk?", author_id="1002", minutes_ago=10)

    report = poll()

    assert (report.new, report.posted, report.failed) == (2, 2, False)
    assert card_texts(fake_slack) == [
        "> @bramblecafe Ugh, the delivery took forever",
        "> @bramblecafe do you have oat milk?",
    ]
    first = fake_slack.posted[0]
    header = first["blocks"][0]["text"]["text"]
    assert "*Maria López*" in header and "https://x.com/maria_eats/status/" in header and "812 followers" in header
    assert "Negative" in first["blocks"][2]["elements"][0]["text"]
    buttons = [e["text"]["text"] for e in first["blocks"][-1]["elements"]]
    assert buttons == ["Claim", "Reply…", "No reply needed"]
    assert first["unfurl_links"] is False
    # The first poll asks for the author expansion and only one small page.
    [mentions_call] = fake_x.calls("/mentions")
    assert mentions_call.param("expansions") == "author_id"
    assert "created_at" in mentions_call.param("tweet.fields")
    assert mentions_call.param("max_results") == "20" and mentions_call.param("since_id") is None


def test_second_poll_reads_only_newer_mentions_with_since_id(fake_x, fake_slack, poll):
    old = fake_x.tweet("@bramblecafe lovely scones", author_id="1001")
    poll()
    new = fake_x.tweet("@bramblecafe is the shop open on Sunday?", author_id="1002")

    report = poll()

    assert (report.new, report.posted) == (1, 1)
    second_call = fake_x.calls("/mentions")[-1]
    assert second_call.param("since_id") == old["id"]
    assert card_texts(fake_slack)[-1] == f"> {new['text']}"
    # The account id is resolved once and remembered, not looked up every cycle.
    assert len(fake_x.calls("/users/by/username/")) == 1


def test_a_burst_is_read_across_all_pages(fake_x, fake_slack, poll, db):
    fake_x.tweet("@bramblecafe first", author_id="1001")
    poll()
    fake_x.page_limit = 10  # X may send fewer posts than asked for, with a next_token for the rest
    burst = [fake_x.tweet(f"@bramblecafe message {i}", author_id="1001") for i in range(23)]

    report = poll()

    assert report.new == 23 and report.posted == 23
    pages = fake_x.calls("/mentions")[1:]
    assert [p.param("pagination_token") for p in pages] == [None, "10", "20"]
    assert all(p.param("max_results") == "100" for p in pages)
    assert store.get_cursors(db, "x")["mentions"] == burst[-1]["id"]


def test_a_mention_seen_twice_is_one_card_even_across_restarts(fake_x, fake_slack, env):
    searching = config.load({**env, "X_SEARCH_QUERY": "bramble cafe"})
    fake_x.tweet("@bramblecafe best bramble cafe brownies", author_id="1001", search=True)
    wiring.cycle_runner(searching, wiring.chat_sink(searching))()
    # A restart: new settings, new connections, same database; X answers with the same post.
    fake_x.tweet("older but unseen", author_id="1002", search=True, mention=False)
    report = wiring.cycle_runner(searching, wiring.chat_sink(searching))()

    assert len(fake_slack.posted) == 2
    assert report.posted == 1
    assert card_texts(fake_slack).count("> @bramblecafe best bramble cafe brownies") == 1


def test_rate_limit_backs_off_until_reset_and_loses_nothing(fake_x, fake_slack, poll, caplog):
    fake_x.tweet("@bramblecafe before", author_id="1001")
    poll()
    waiting = fake_x.tweet("@bramblecafe my order never came", author_id="1001")
    reset = int(time.time() + 0.5) + 1  # X's reset is a whole second: between 0.5 and 1.5 s from now
    body = json.loads(FIXTURES.joinpath("x_error_bodies.json").read_text())["rate_limit"]
    fake_x.fail_next("/mentions", Reply(429, body, {"x-rate-limit-reset": str(reset), "x-rate-limit-remaining": "0"}))

    limited = poll()
    assert limited.failed and "rate limit" in limited.reason.lower()
    assert "trying X again at" in caplog.text
    calls_before = len(fake_x.calls("/mentions"))
    during = poll()  # before the reset time: X is not called at all
    assert len(fake_x.calls("/mentions")) == calls_before and during.posted == 0

    time.sleep(max(0.0, reset - time.time()) + 0.2)
    recovered = poll()

    assert recovered.posted == 1 and card_texts(fake_slack)[-1] == f"> {waiting['text']}"


def test_a_429_in_the_middle_of_a_burst_skips_nothing(fake_x, fake_slack, poll, db):
    fake_x.tweet("@bramblecafe hello", author_id="1001")
    poll()
    cursor = store.get_cursors(db, "x")["mentions"]
    fake_x.page_limit = 10
    burst = [fake_x.tweet(f"@bramblecafe burst {i}", author_id="1002") for i in range(15)]
    # Page one is answered; page two hits the rate limit (whose window has already reset).
    fake_x.fail_next(
        "/mentions",
        Reply(429, {"title": "Too Many Requests"}, {"x-rate-limit-reset": str(int(time.time()) - 1)}),
        after=1,
    )

    interrupted = poll()
    assert interrupted.failed
    assert store.get_cursors(db, "x")["mentions"] == cursor  # not advanced past unread pages

    poll()
    texts = card_texts(fake_slack)
    assert sorted(texts[1:]) == sorted(f"> {t['text']}" for t in burst)
    assert len(texts) == len(set(texts))


def test_monthly_usage_cap_is_told_apart_said_once_and_waits_for_next_month(fake_x, poll, db, caplog):
    body = json.loads(FIXTURES.joinpath("x_error_bodies.json").read_text())["usage_cap"]
    fake_x.fail_next("/users/by/username/", Reply(429, body, {"x-rate-limit-reset": str(int(time.time()) + 60)}))

    first = poll()
    second = poll()

    assert "monthly allowance" in first.reason and "pauses until" in first.reason
    assert "monthly allowance" in second.reason
    assert caplog.text.count("monthly allowance") == 1
    retry_at = store.source_status(db, "x").retry_at
    assert retry_at.day == 1 and retry_at.hour == 0
    assert len(fake_x.calls("/users/by/username/")) == 1


def test_slack_429_is_retried_after_retry_after(fake_x, fake_slack, poll):
    fake_x.tweet("@bramblecafe loving the new menu", author_id="1001")
    fake_slack.fail_next("chat.postMessage", Reply(429, {"ok": False, "error": "ratelimited"}, {"Retry-After": "1"}))

    started = time.monotonic()
    report = poll()

    assert report.posted == 1 and not report.failed
    assert len(fake_slack.calls("chat.postMessage")) == 2
    assert time.monotonic() - started >= 1.0  # it honoured Retry-After


def test_slack_500_leaves_the_card_for_the_next_cycle(fake_x, fake_slack, poll):
    fake_x.tweet("@bramblecafe where is my parcel", author_id="1001")
    fake_x.tweet("@bramblecafe thanks!", author_id="1002")
    down = Reply(500, "<html>Internal Server Error</html>", {"Content-Type": "text/html"})
    fake_slack.fail_next("chat.postMessage", down)  # never resent blindly: Slack may have taken it

    failed = poll()
    assert failed.failed and failed.posted == 0 and "HTTP 500" in failed.reason
    assert len(fake_slack.calls("chat.postMessage")) == 1
    looked = len(fake_slack.calls("conversations.history"))

    recovered = poll()
    assert recovered.posted == 2
    assert len(fake_slack.calls("conversations.history")) == looked + 1  # looked for first, not found, then posted
    assert card_texts(fake_slack) == ["> @bramblecafe where is my parcel", "> @bramblecafe thanks!"]


def test_malformed_x_payloads_are_reported_and_lose_nothing(fake_x, fake_slack, poll, caplog):
    fake_x.tweet("@bramblecafe first", author_id="1001")
    poll()
    fake_x.tweet("@bramblecafe second", author_id="1001")
    fake_x.fail_next("/mentions", Reply(200, "{not json", {}))

    broken = poll()
    assert broken.failed and "could not read" in broken.reason

    fake_x.fail_next(
        "/mentions",
        Reply(200, {"data": [{"id": "1", "text": None}, {"text": "no id"}, "junk"], "meta": {"result_count": 3}}),
    )
    partly = poll()
    assert "could not be read" in caplog.text and not partly.failed

    fixed = poll()
    assert card_texts(fake_slack)[-1] == "> @bramblecafe second" and fixed.posted == 1


def test_recorded_x_page_without_requested_fields_still_makes_cards(fake_x, fake_slack, poll):
    recorded = json.loads(FIXTURES.joinpath("x_mentions_recorded.json").read_text())["body"]
    recorded["meta"].pop("next_token")
    fake_x.fail_next("/mentions", Reply(200, recorded))

    report = poll()

    assert report.posted == 5
    header = fake_slack.posted[0]["blocks"][0]["text"]["text"]
    assert "https://x.com/i/web/status/" in header


def test_own_posts_are_not_cards(fake_x, fake_slack, poll):
    fake_x.tweet("@maria_eats thanks for visiting! cc @bramblecafe", author_id="783214")
    fake_x.tweet("@bramblecafe a real customer", author_id="1001")

    report = poll()

    assert card_texts(fake_slack) == ["> @bramblecafe a real customer"] and report.fetched == 1


def test_mention_text_cannot_ping_people_or_inject_links(fake_x, fake_slack, poll):
    # X sends text HTML-escaped; this is "<@U0OWNER> see <https://evil.example|your invoice> & more".
    fake_x.tweet(
        "@bramblecafe &lt;@U0OWNER&gt; see &lt;https://evil.example|your invoice&gt; &amp; more", author_id="1001"
    )

    poll()

    card = fake_slack.posted[0]
    body = json.dumps(card["blocks"]) + card["text"]
    assert "<@U0OWNER>" not in body and "<https://evil" not in body
    assert (
        card["blocks"][1]["text"]["text"]
        == "> @bramblecafe &lt;@U0OWNER&gt; see &lt;https://evil.example|your invoice&gt; &amp; more"
    )


def test_a_complaint_of_harm_says_so_on_its_card_and_keeps_it_when_the_card_is_redrawn(fake_x, fake_slack, poll, db):
    fake_x.tweet("@bramblecafe my son was sick all night after your chicken wrap", author_id="1001")

    poll()

    verdict_line = fake_slack.posted[0]["blocks"][2]["elements"][0]["text"]
    assert "Complaint of harm (illness)" in verdict_line and "High urgency" in verdict_line
    [row] = db.query("select * from mentions")
    assert store.row_to_triage(row).harm == "health"  # what a redraw after Claim or Reply reads


def test_spam_is_stored_and_counted_but_not_posted(fake_x, fake_slack, poll, db):
    fake_x.tweet(
        "@bramblecafe GIVEAWAY win a free iPhone, DM me to claim https://a.co/1 https://a.co/2 https://a.co/3",
        author_id="1001",
    )
    fake_x.tweet("@bramblecafe great coffee", author_id="1002")

    report = poll()

    assert report.new == 2 and report.posted == 1
    assert store.counts(db).held == 1


def test_a_write_waits_for_another_connections_write_instead_of_failing(settings):
    """The poll, the clicks, reminders and the stats write from different threads at once."""
    import threading

    from storage import open_db

    mine = open_db(settings.database_path)
    holding, done = threading.Event(), threading.Event()

    def click_elsewhere():
        other = open_db(settings.database_path)  # a connection belongs to its thread
        other.conn.execute("BEGIN IMMEDIATE")
        other.execute("insert into meta (key, value) values ('elsewhere', '1')")
        holding.set()
        time.sleep(0.5)
        other.conn.commit()
        other.close()
        done.set()

    threading.Thread(target=click_elsewhere).start()
    assert holding.wait(5)
    store.set_cursor(mine, "x", "mentions", "1234")  # reads the table, then writes: it must wait, not fail
    assert done.is_set() and store.get_cursors(mine, "x") == {"mentions": "1234"}
    mine.close()
