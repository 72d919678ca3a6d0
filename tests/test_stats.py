"""Stats on hand-built timelines with known answers: every metric as docs/architecture.md defines it."""

from __future__ import annotations

import csv
import io
from datetime import datetime, timedelta

import pytest

from bot.chat.slack.reports import REPLY_LIMIT
from bot.chat.slack.text import mrkdwn
from bot.hours import parse
from bot.report import CardLink, plain
from handlers import stats
from storage import open_db
from tests.helpers import wait_for
from tests.timeline import BOT, MARIA, TOM, UTC, Timeline, at

WEEK = stats.Period("the test week", datetime(2026, 11, 9, tzinfo=UTC), datetime(2026, 11, 16, tzinfo=UTC))
HOURS = parse("mon-fri 09:00-17:00", "UTC")


@pytest.fixture
def week(tmp_path):
    db = open_db(tmp_path / "stats.db")
    t = Timeline(db)
    a = t.mention(at(9, 10), "negative")  # Monday: picked up in 4 min, replied in 20
    t.act(a, "claimed", MARIA, at(9, 10, 5), "claimed")
    t.act(a, "replied", MARIA, at(9, 10, 20), "replied")
    b = t.mention(at(13, 16, 45), "negative")  # Friday 16:45, answered Monday 09:15: 30 business minutes
    t.act(b, "replied", TOM, at(16, 9, 15), "replied")
    c = t.mention(at(10, 12), "neutral")  # dismissed: not in the reply rate
    t.act(c, "dismissed", TOM, at(10, 12, 30), "dismissed")
    d = t.mention(at(11, 9), "positive")  # still waiting, claimed by Tom
    t.act(d, "claimed", TOM, at(11, 9, 10), "claimed")
    t.mention(at(11, 9, 30), spam=True)  # spam: counted nowhere
    e = t.mention(at(12, 11), "positive")  # a bot's clicks count for nothing
    t.act(e, "claimed", BOT, at(12, 11, 1), "claimed")
    t.act(e, "replied", MARIA, at(12, 11, 40), "replied")
    f = t.mention(at(12, 14), "neutral")  # replied, reopened, replied again: the first reply stands
    t.act(f, "replied", MARIA, at(12, 14, 30), "replied")
    t.act(f, "reopened", TOM, at(12, 15), "new")
    t.act(f, "replied", TOM, at(12, 16), "replied")
    g = t.mention(at(14, 10), "negative")  # Saturday, still waiting
    t.mention(at(3, 10), "positive")  # the week before: for the sentiment change
    yield t, {"a": a, "b": b, "c": c, "d": d, "e": e, "f": f, "g": g}
    db.close()


def test_totals_follow_the_definitions(week):
    t, _ = week
    totals = stats.store.totals(t.db, WEEK.since, WEEK.until)
    assert (totals.received, totals.replied, totals.dismissed, totals.waiting) == (7, 4, 1, 2)
    assert totals.reply_rate == pytest.approx(4 / 6)
    # Response times: a 20 min, e 40 min, f 30 min (the first reply), b 2 days 16 h 30 min (kept to the hour, 64 h).
    assert sorted(m * 60 for m, n in totals.response.counts.items() for _ in range(n)) == [1200, 1800, 2400, 64 * 3600]
    assert totals.response.percentile(0.5) == 1800 and totals.response.percentile(0.9) == 64 * 3600
    # Pick-up: a 4 min (claim), b 3 days…, c 29 min, d 9 min, e 39 min (the bot's claim did not count), f 29 min.
    assert totals.pickup.percentile(0.5) == 29 * 60


def test_business_hours_count_only_open_time(week):
    t, ids = week
    assert stats.store.fill_business_times(t.db, HOURS, stats.store.hours_signature(HOURS)) == 4
    assert t.db["mentions"].get(ids["b"])["response_open_secs"] == 30 * 60
    # Nothing to recompute next time; everything when the hours change.
    assert stats.store.fill_business_times(t.db, HOURS, stats.store.hours_signature(HOURS)) == 0
    late = parse("mon-fri 10:00-18:00", "UTC")
    assert stats.store.fill_business_times(t.db, late, stats.store.hours_signature(late)) == 4
    assert t.db["mentions"].get(ids["b"])["response_open_secs"] == 75 * 60  # Fri 16:45–18:00, none of Mon before 10


def test_the_stats_report_reads_like_a_person_wrote_it(week):
    t, _ = week
    report = plain(stats.stats_report(t.db, WEEK, HOURS))
    assert "• Received 7 · replied 4 · no reply needed 1 · still waiting 2" in report
    assert "• Reply rate 67 %" in report
    assert "• Response time: median 30 min, 90 % within 2 days" in report
    assert "• Response time in business hours: median 30 min, 90 % within 40 min" in report
    assert "😊 2 (29 %, -71 pts)" in report and "vs the period before" in report
    assert "• By source: X 7" in report
    empty = stats.Period("last year", datetime(2025, 1, 1, tzinfo=UTC), datetime(2025, 1, 8, tzinfo=UTC))
    assert "No mentions in this period." in plain(stats.stats_report(t.db, empty, HOURS))


def permalink(channel: str, ts: str) -> str:
    return f"https://bramble.slack.com/archives/{channel}/p{ts.replace('.', '')}"


def test_leaders_and_queue(week):
    t, ids = week
    leaders = plain(stats.leaders_report(t.db, WEEK, HOURS))
    assert leaders.splitlines()[1:] == [
        "1. Maria — 3 replied, median 30 min",
        "2. Tom — 1 replied, median 2 days, 1 claimed and not answered yet",
    ]
    queue = stats.queue_report(t.db)
    assert CardLink("slack", "C0MENTIONS", "1700000000.000004") in queue.lines[1]  # @customer4's card
    lines = mrkdwn(queue, permalink, REPLY_LIMIT).splitlines()  # as Slack shows it
    assert lines[0] == "*3 mentions waiting*, oldest first:"  # the queue is not limited to a period
    assert "@customer9" in lines[1]  # from the week before
    assert (
        "@customer4" in lines[2]
        and "claimed by Tom" in lines[2]
        and lines[2].endswith(" · <https://bramble.slack.com/archives/C0MENTIONS/p1700000000000004|open card>")
    )
    assert "@customer8" in lines[3]


def test_periods_are_understood_or_explained():
    now = datetime(2026, 11, 22, 10, 0, tzinfo=UTC)
    tokyo = parse("", "Asia/Tokyo")
    today = stats.period("today", tokyo, now)
    assert today.since == datetime(2026, 11, 21, 15, 0, tzinfo=UTC)  # midnight in Tokyo
    # Whole local days, today included: 30d starts at midnight in Tokyo 29 days ago.
    assert stats.period("30d", tokyo, now).since == datetime(2026, 10, 23, 15, 0, tzinfo=UTC)
    with pytest.raises(stats.PeriodError, match="today, 7d, 30d or 90d"):
        stats.period("lastweek", tokyo, now)


def test_stats_on_the_command_line_and_as_csv(env, tmp_path, bot):

    db = open_db(env["DATABASE_PATH"])
    t = Timeline(db)
    now = datetime.now(UTC)
    m = t.mention(now - timedelta(hours=3), "negative")
    t.act(m, "replied", MARIA, now - timedelta(hours=2), "replied")
    db.close()
    text = bot("stats", "--days", "7", env=env)
    assert text.returncode == 0, text.stderr
    assert (
        "Received 1 · replied 1" in text.stdout and "median 1 h" in text.stdout and "Maria — 1 replied" in text.stdout
    )
    table = bot("stats", "--days", "3", "--csv", env=env)
    rows = list(csv.DictReader(io.StringIO(table.stdout)))
    assert len(rows) == 3 and sum(int(r["received"]) for r in rows) == 1
    assert any(r["response_median_min"] == "60" for r in rows)
    picture = bot("stats", "--days", "30", "--chart", str(tmp_path / "chart.png"), env=env)
    assert picture.returncode == 0 and "Chart (last 30 days) written to" in picture.stdout
    assert (tmp_path / "chart.png").read_bytes()[:4] == b"\x89PNG"


def test_listen_stats_through_slack_answers_after_the_ack(workspace_for, card, fake_slack, env):
    ws = workspace_for()
    mention_id, ts, _ = card(ws)
    ws.click("U0MARIA", "mention_claim", mention_id, ts)
    assert wait_for(lambda: ws.events(mention_id))

    def command(text: str) -> tuple[int, str]:
        return ws.command("U0MARIA", text)

    assert command("stats 30d public")[0] == 200
    assert wait_for(lambda: fake_slack.responses)
    answer = fake_slack.responses[-1]
    assert answer["response_type"] == "in_channel" and "Received 1 · replied 0" in answer["text"]
    assert command("queue")[0] == 200
    assert wait_for(lambda: len(fake_slack.responses) == 2)
    assert fake_slack.responses[-1]["response_type"] == "ephemeral"
    assert (
        "claimed by Maria" in fake_slack.responses[-1]["text"]
        and "https://bramble.slack.com/archives/C0MENTIONS/p" in fake_slack.responses[-1]["text"]
    )
    status, body = command("leaders sometime")
    assert status == 200 and "I don't know the period `sometime`" in body
    status, body = command("stast")
    assert "I don't know `/listen stast`" in body


def test_cached_daily_summaries_are_redone_when_a_mention_of_that_day_changes(week):
    t, ids = week
    first = plain(stats.stats_report(t.db, WEEK, HOURS))
    assert t.db["stats_days"].count >= 7  # the week's days are cached now
    assert plain(stats.stats_report(t.db, WEEK, HOURS)) == first  # and give the same answer
    t.act(ids["g"], "replied", TOM, at(16, 10), "replied")  # Saturday's mention answered on Monday
    again = plain(stats.stats_report(t.db, WEEK, HOURS))
    assert "• Received 7 · replied 5 · no reply needed 1 · still waiting 1" in again
    assert stats.store.summary(t.db, WEEK.since, WEEK.until, HOURS)[0].replied == 5
    assert "Tom — 2 replied" in plain(stats.leaders_report(t.db, WEEK, HOURS))
