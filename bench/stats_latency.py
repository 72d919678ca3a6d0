"""How long `/listen stats 30d`, `queue` and `leaders` take to compute, at N mentions.

Builds a database of N mentions spread over 90 days with a realistic mix of what the team
did (replied 70 %, dismissed 12 %, claimed and open 6 %, waiting 10 %, spam 2 %; five
people; responses from minutes to days), then times the three reports exactly as the
`/listen` handler computes them (a fresh connection each time, as Bolt's threads do). The
first call after a start builds the daily summaries and is reported apart; p50/p99 are over
the calls after it, as a running service sees them.
Last output line is JSON: {"mentions": N, "p50_ms": ..., "p99_ms": ..., "db_mb": ...}.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import statistics
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bot.chat.console import ConsoleSink  # noqa: E402
from bot.hours import parse  # noqa: E402
from handlers import stats  # noqa: E402
from handlers.digest import digest_text  # noqa: E402
from handlers.reminders import send_reminders  # noqa: E402
from handlers.stats import Reports  # noqa: E402
from storage import open_db  # noqa: E402
from storage.mentions import iso  # noqa: E402
from storage.stats import fill_business_times, hours_signature  # noqa: E402

PEOPLE = [("U0MARIA", "Maria"), ("U0TOM", "Tom"), ("U0PRIYA", "Priya"), ("U0SAM", "Sam"), ("U0ALEX", "Alex")]
HOURS = parse("mon-fri 09:00-17:00; sat 10:00-14:00", "Europe/London")


def build(path: Path, count: int, now: datetime) -> None:
    db = open_db(path)
    rng = random.Random(11)
    rows = []
    for i in range(count):
        created = now - timedelta(seconds=rng.randrange(90 * 86400))
        posted = created + timedelta(seconds=rng.randrange(30, 600))
        roll = rng.random()
        status, who, replied, pickup = "new", None, None, None
        if roll < 0.70:
            status, who = "replied", rng.choice(PEOPLE)
            replied = posted + timedelta(seconds=int(rng.lognormvariate(7.5, 1.3)))
        elif roll < 0.82:
            status, who = "dismissed", rng.choice(PEOPLE)
        elif roll < 0.88:
            status, who = "claimed", rng.choice(PEOPLE)
        elif roll < 0.98:
            status = "new"
        else:
            status = "held"
        if who:
            first = replied or posted + timedelta(seconds=int(rng.lognormvariate(6.5, 1.2)))
            pickup = int((first - posted).total_seconds())
        label = rng.choices(("negative", "neutral", "positive"), (0.3, 0.45, 0.25))[0]
        rows.append(
            (
                f"x:{i}",
                "x",
                str(i),
                f"customer{i % 5000}",
                f"Customer {i % 5000}",
                f"mention number {i}",
                iso(created),
                label,
                status,
                iso(created),
                iso(posted) if status != "held" else None,
                who[0] if who else None,
                who[1] if who else None,
                iso(replied) if replied else None,
                int((replied - created).total_seconds()) if replied else None,
                who[0] if replied else None,
                who[1] if replied else None,
                pickup,
            )
        )
    with db.atomic():
        db.conn.executemany(
            "insert into mentions (id, source, external_id, author_handle, author_name, text, created_at, label, status,"
            " fetched_at, posted_at, actor_id, actor_name, first_replied_at, response_secs, first_replier_id,"
            " first_replier_name, pickup_secs) values (" + ",".join("?" * 18) + ")",
            rows,
        )
        db.conn.executemany(  # where each posted card is
            "insert into cards (mention_id, platform, channel, message_id, posted_at) values (?, 'slack', ?, ?, ?)",
            [(row[0], "C0MENTIONS", f"1700000000.{i:06d}", row[10]) for i, row in enumerate(rows) if row[10]],
        )
    db.execute("analyze")
    db.close()


def _timed(call) -> float:
    t0 = time.perf_counter()
    call()
    return (time.perf_counter() - t0) * 1000


def extras(path: Path, reports: Reports, month, now: datetime) -> None:
    """What runs after the ack or on the scheduler: the Home tab, the chart, a reminder check, the digest."""
    print(f"App Home tab (7 days + queue): {min(_timed(reports.home) for _ in range(5)):.1f} ms")
    print(
        f"/listen chart 30d, first (loads matplotlib): {_timed(lambda: reports.chart(month)):.0f} ms; "
        f"then {min(_timed(lambda: reports.chart(month)) for _ in range(3)):.0f} ms"
    )
    db = open_db(path)
    try:
        sink = ConsoleSink(out=open(os.devnull, "w"))
        print(
            f"reminder check (nudging up to 20): {_timed(lambda: send_reminders(db, sink, HOURS, 60, now=now)):.1f} ms; "
            f"next check: {_timed(lambda: send_reminders(db, sink, HOURS, 60, now=now)):.1f} ms"
        )
        moment = now.astimezone(HOURS.tz).replace(hour=9, minute=0, second=0, microsecond=0)
        print(f"daily digest text: {_timed(lambda: digest_text(db, HOURS, moment, now)):.1f} ms")
    finally:
        db.close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--mentions", type=int, default=10_000)
    parser.add_argument("--rounds", type=int, default=30)
    args = parser.parse_args()
    now = datetime.now(UTC)
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "stats.db"
        started = time.perf_counter()
        build(path, args.mentions, now)
        print(f"built {args.mentions:,} mentions in {time.perf_counter() - started:.1f} s")
        db = open_db(path)
        started = time.perf_counter()
        filled = fill_business_times(db, HOURS, hours_signature(HOURS))
        print(
            f"business-hours response times cached for {filled:,} replies in {time.perf_counter() - started:.1f} s (once; later only new replies)"
        )
        db.close()
        reports = Reports(lambda: open_db(path), HOURS)
        month = stats.period("30d", HOURS, now)
        timings: dict[str, list[float]] = {"stats 30d": [], "queue": [], "leaders 30d": []}
        calls = {
            "stats 30d": lambda: reports.stats(month),
            "queue": reports.queue,
            "leaders 30d": lambda: reports.leaders(month),
        }
        for name, call in calls.items():  # the first report after a start summarises every day once
            t0 = time.perf_counter()
            call()
            print(f"{name}, first after start (daily summaries built): {(time.perf_counter() - t0) * 1000:.0f} ms")
        for _ in range(args.rounds):
            for name, call in calls.items():
                t0 = time.perf_counter()
                call()
                timings[name].append((time.perf_counter() - t0) * 1000)
        for name, values in timings.items():
            print(f"{name}: median {statistics.median(values):.1f} ms, max {max(values):.1f} ms")
        extras(path, reports, month, now)
        every = sorted(v for values in timings.values() for v in values)
        p99 = every[min(len(every) - 1, int(round(0.99 * (len(every) - 1))))]
        size = sum(f.stat().st_size for f in Path(tmp).glob("stats.db*")) / 1e6
        print(
            json.dumps(
                {
                    "mentions": args.mentions,
                    "p50_ms": round(statistics.median(every), 1),
                    "p99_ms": round(p99, 1),
                    "db_mb": round(size, 1),
                }
            )
        )


if __name__ == "__main__":
    main()
