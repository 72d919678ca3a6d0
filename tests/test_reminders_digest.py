"""Reminders and the daily digest: sent once, at the right time, to the real Slack client against the fake Slack."""

from __future__ import annotations

import threading
from datetime import datetime, time, timedelta

import pytest

from bot import config, wiring
from bot.hours import parse
from bot.scheduler import start_jobs
from handlers.digest import send_digest
from handlers.reminders import send_reminders
from storage import open_db
from tests.fakes.server import Reply
from tests.helpers import wait_for
from tests.timeline import BOT, MARIA, TOM, UTC, Timeline, at

HOURS = parse("mon-fri 09:00-17:00", "UTC")
LONDON = parse("mon-fri 09:00-17:00", "Europe/London")


@pytest.fixture
def timeline(settings):
    db = open_db(settings.database_path)
    yield Timeline(db)
    db.close()


@pytest.fixture
def sink(settings):
    return wiring.chat_sink(settings)


def nudges(fake_slack) -> list[dict]:
    """Reminders: per-person ones in cards' threads, and the one for mentions nobody holds in the channel."""
    return sorted(
        (n for n in fake_slack.thread_notes + fake_slack.posted if n["text"].count("⏰")), key=lambda n: n["ts"]
    )


def test_a_mention_waiting_past_the_target_in_business_hours_gets_one_nudge(timeline, sink, fake_slack, settings):
    waiting = timeline.mention(at(13, 16, 30))  # Friday 16:30: 30 open minutes before the weekend
    claimed = timeline.mention(at(13, 16, 35))
    timeline.act(claimed, "claimed", MARIA, at(13, 16, 40), "claimed")
    answered = timeline.mention(at(13, 16, 20))
    timeline.act(answered, "replied", TOM, at(13, 16, 50), "replied")

    # Saturday and Sunday are closed: still only 30 open minutes, however long the weekend.
    assert send_reminders(timeline.db, sink, HOURS, 60, now=at(15, 23)) == 0
    # Monday 09:31: the 16:30 mention has waited 61 open minutes, the 16:35 one only 56.
    assert send_reminders(timeline.db, sink, HOURS, 60, now=at(16, 9, 31)) == 1
    [nudge] = nudges(fake_slack)
    # Nobody holds it, so the channel is called on, in the channel: one message per check, whatever the backlog.
    assert (
        nudge["text"].startswith(
            "<!channel> ⏰ A mention has waited past the reply target (1 h) with nobody on them:\n• "
        )
        and "1 h 1 min of opening hours" in nudge["text"]
    )
    assert "thread_ts" not in nudge and "/listen queue" in nudge["text"]
    assert timeline.db["mentions"].get(waiting)["reminded_at"]
    # Maria's claim comes due at 09:35 and calls on her by name; nobody is nudged twice.
    assert send_reminders(timeline.db, sink, HOURS, 60, now=at(16, 9, 36)) == 1
    assert nudges(fake_slack)[-1]["text"].startswith("<@U0MARIA> ⏰ Maria claimed this and it has waited 1 h 1 min")
    restarted = open_db(settings.database_path)
    assert send_reminders(restarted, sink, HOURS, 60, now=at(16, 15)) == 0
    restarted.close()
    assert len(nudges(fake_slack)) == 2
    assert timeline.db["mentions"].get(answered)["reminded_at"] is None  # answered in time: never nudged


def test_reminders_call_the_approvers_for_a_reply_waiting_for_approval(timeline, sink, fake_slack):
    pending = timeline.mention(at(16, 10))
    timeline.act(pending, "submitted", TOM, at(16, 10, 20), "pending")
    assert send_reminders(timeline.db, sink, HOURS, 30, frozenset({"U0OWNER"}), now=at(16, 10, 45)) == 1
    assert nudges(fake_slack)[0]["text"].startswith("<@U0OWNER> ⏰ The reply by Tom has waited for approval")


def test_a_nudge_slack_refused_is_tried_again_and_two_runs_at_once_send_it_once(timeline, sink, fake_slack, settings):
    mention = timeline.mention(at(16, 9))
    fake_slack.fail_next("chat.postMessage", Reply(503, "upstream down"))  # a call on people is sent once per check
    assert send_reminders(timeline.db, sink, HOURS, 60, now=at(16, 11)) == 0
    assert timeline.db["mentions"].get(mention)["reminded_at"] is None  # not lost: the next check sends it
    results = []
    barrier = threading.Barrier(2)

    def run():
        db = open_db(settings.database_path)  # another thread, another connection, as in two processes
        barrier.wait()
        results.append(send_reminders(db, sink, HOURS, 60, now=at(16, 11, 1)))
        db.close()

    threads = [threading.Thread(target=run) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(results) == [0, 1] and len(nudges(fake_slack)) == 1


def test_reminders_are_off_with_a_target_of_zero(timeline, sink, fake_slack):
    timeline.mention(at(16, 9))
    assert send_reminders(timeline.db, sink, HOURS, 0, now=at(20, 9)) == 0
    assert not nudges(fake_slack)


@pytest.fixture
def busy_day(timeline):
    """Monday 16 Nov and the week before it, in London (GMT in November)."""
    t = timeline
    fast = t.mention(at(16, 10), "positive")
    t.act(fast, "replied", MARIA, at(16, 10, 4), "replied")
    slow = t.mention(at(16, 11), "negative")
    t.act(slow, "replied", TOM, at(16, 12), "replied")
    by_bot = t.mention(at(16, 12), "neutral")
    t.act(by_bot, "replied", BOT, at(16, 12, 1), "replied")  # a bot's reply is never the best response
    t.mention(at(16, 15), "negative")  # still waiting
    t.act(t.mention(at(10, 9), "neutral"), "replied", MARIA, at(10, 9, 30), "replied")  # last week
    return t


def test_the_digest_tells_what_came_in_what_waits_and_the_best_response(busy_day, sink, fake_slack):
    assert send_digest(busy_day.db, sink, LONDON, time(9), now=at(17, 9) + timedelta(seconds=30)) is True
    digest = fake_slack.posted[-1]["text"]
    assert digest.splitlines()[:4] == [
        "*Daily digest, Tuesday 17 November* (since yesterday 09:00)",
        "• 4 mentions came in: 😊 1 · 😐 1 · 😠 2. Replied so far 2, no reply needed 0.",
        "• Still waiting now: 1, the oldest for 18 h (`/listen queue` lists them).",
        "• 🏆 Best response: Maria answered @customer1 on X in 4 min: “mention 1”",
    ]
    assert "last week" not in digest  # the weekly numbers come on Mondays


def test_the_digest_is_sent_once_a_day_even_after_a_restart(busy_day, sink, fake_slack, settings):
    assert send_digest(busy_day.db, sink, LONDON, time(9), now=at(17, 8, 59)) is None  # not yet
    assert send_digest(busy_day.db, sink, LONDON, time(9), now=at(17, 9)) is True
    again = open_db(settings.database_path)  # a restart at 09:05: the job runs at start-up
    assert send_digest(again, sink, LONDON, time(9), now=at(17, 9, 5)) is None
    assert len([p for p in fake_slack.posted if "Daily digest" in p["text"]]) == 1
    # Missed entirely (down from 08:00 to 16:00): too late to be useful, tomorrow's comes as usual.
    assert send_digest(again, sink, LONDON, time(9), now=at(18, 16)) is None
    assert send_digest(again, sink, LONDON, time(9), now=at(19, 9, 1)) is True


def test_a_digest_slack_refused_is_not_marked_sent(busy_day, sink, fake_slack):
    fake_slack.fail_next("chat.postMessage", *[Reply(503, "down")] * 3)
    assert send_digest(busy_day.db, sink, LONDON, time(9), now=at(17, 9)) is False
    assert send_digest(busy_day.db, sink, LONDON, time(9), now=at(17, 9, 10)) is True


def test_on_mondays_the_digest_adds_last_weeks_numbers(busy_day, sink, fake_slack):
    assert send_digest(busy_day.db, sink, LONDON, time(9), now=at(16, 9, 1)) is True
    digest = fake_slack.posted[-1]["text"]
    assert "*Mentions, last week (9 Nov – 15 Nov)*" in digest
    assert "• Received 1 · replied 1 · no reply needed 0 · still waiting 0" in digest
    assert "*Who answered, last week (9 Nov – 15 Nov)*\n1. Maria — 1 replied, median 30 min" in digest


def test_the_digest_follows_the_business_clock_across_a_clock_change(timeline, sink, fake_slack):
    # Clocks went back in London early on Sunday 25 Oct 2026: Sunday's 09:00 is 09:00 UTC, Saturday's was 08:00 UTC.
    timeline.mention(datetime(2026, 10, 24, 8, 30, tzinfo=UTC))  # Saturday 09:30 BST: in the 25-hour day
    timeline.mention(datetime(2026, 10, 24, 7, 30, tzinfo=UTC))  # Saturday 08:30 BST: the day before
    assert send_digest(timeline.db, sink, LONDON, time(9), now=datetime(2026, 10, 25, 9, 0, 10, tzinfo=UTC)) is True
    assert "• 1 mention came in" in fake_slack.posted[-1]["text"]


def test_the_scheduler_runs_a_missed_digest_at_start_and_retries_one_slack_refused():
    calls = []

    def digest():
        calls.append(datetime.now(UTC))
        return False  # as when Slack refused it

    scheduler = start_jobs(lambda: None, 3600, LONDON.tz, reminders=lambda: None, digest=digest, digest_at=time(9))
    try:
        assert wait_for(lambda: calls)  # at start: it sends a digest that is due and not yet sent
        assert wait_for(lambda: scheduler.get_job("digest-retry") is not None)
        retry = scheduler.get_job("digest-retry").next_run_time
        assert timedelta(minutes=9) < retry - calls[0] <= timedelta(minutes=10, seconds=5)
        daily = scheduler.get_job("digest").trigger
        assert str(daily.timezone) == "Europe/London" and "hour='9', minute='0'" in str(daily)
        assert "minute='*'" in str(scheduler.get_job("reminders").trigger)
        for job in scheduler.get_jobs():
            assert job.max_instances == 1 and job.coalesce
    finally:
        scheduler.shutdown(wait=False)


def test_reminder_and_digest_settings_are_checked_in_plain_words(env):
    assert config.load(env).digest_time == time(9) and config.load(env).reply_target_minutes == 60
    assert config.load({**env, "DIGEST_TIME": "off", "REPLY_TARGET_MINUTES": "0"}).digest_time is None
    assert config.load({**env, "DIGEST_TIME": "7:30"}).digest_time == time(7, 30)
    with pytest.raises(
        config.ConfigError, match=r"DIGEST_TIME must be a 24-hour time like 09:00, or off \(it is set to '9am'\)"
    ):
        config.load({**env, "DIGEST_TIME": "9am"})
    with pytest.raises(config.ConfigError, match="REPLY_TARGET_MINUTES must be a number"):
        config.load({**env, "REPLY_TARGET_MINUTES": "1h"})


def test_a_backlog_coming_due_at_opening_calls_on_the_channel_once(timeline, sink, fake_slack):
    for minute in range(45):  # the night's mentions, all due when the shop opens
        timeline.mention(at(16, 1, minute))
    for minute in range(5):
        assert send_reminders(timeline.db, sink, HOURS, 60, now=at(16, 10, minute)) == (45 if minute == 0 else 0)
    [call] = nudges(fake_slack)
    assert call["text"].startswith("<!channel> ⏰ 45 mentions have waited") and "…and 35 more." in call["text"]
    later = timeline.mention(at(16, 9, 5))  # due at 10:05
    assert send_reminders(timeline.db, sink, HOURS, 60, now=at(16, 10, 6)) == 0  # at most one call every 15 minutes…
    assert send_reminders(timeline.db, sink, HOURS, 60, now=at(16, 10, 15)) == 1  # …then the next one
    assert timeline.db["mentions"].get(later)["reminded_at"]


def test_a_reminder_slack_may_have_posted_is_never_sent_again(timeline, sink, fake_slack):
    timeline.mention(at(16, 9))
    fake_slack.accept_then(Reply(500, "<html>Internal Server Error</html>", {"Content-Type": "text/html"}))
    assert (
        send_reminders(timeline.db, sink, HOURS, 60, now=at(16, 10, 1)) == 1
    )  # counted as sent: nobody is called twice
    for minute in range(20, 40, 5):
        send_reminders(timeline.db, sink, HOURS, 60, now=at(16, 10, minute))
    assert len(nudges(fake_slack)) == 1
