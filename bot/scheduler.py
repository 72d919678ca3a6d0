"""The APScheduler jobs: the poll cycle on an interval, reminders and the digest on cron triggers in the business's zone."""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import UTC, datetime, time, timedelta, tzinfo

from apscheduler.schedulers.background import BackgroundScheduler
from apscheduler.triggers.cron import CronTrigger
from apscheduler.triggers.date import DateTrigger
from apscheduler.triggers.interval import IntervalTrigger

log = logging.getLogger(__name__)

# Every job: never two runs at once, and runs missed while busy or asleep collapse into one.
_ONE_AT_A_TIME = {"max_instances": 1, "coalesce": True}
DIGEST_RETRY = timedelta(minutes=10)


def _guarded(job: Callable[[], object], what: str) -> Callable[[], object]:
    def run():
        try:
            return job()
        except Exception:  # keep the service alive; the next run tries again
            log.exception("%s failed unexpectedly; it runs again at its next time.", what)

    return run


def start_jobs(
    cycle: Callable[[], object],
    interval_seconds: int,
    tz: tzinfo = UTC,
    reminders: Callable[[], object] | None = None,
    digest: Callable[[], bool | None] | None = None,
    digest_at: time | None = None,
    warm: Callable[[], object] | None = None,
) -> BackgroundScheduler:
    """Start the jobs: `cycle` now and every `interval_seconds`; `reminders` every minute; `digest` daily at `digest_at`;
    `warm` once, now (it prepares the stats so the first `/listen stats` is as quick as the rest).

    Jobs live in memory and their state in our database (cursors, reminder marks, the last
    digest day), so there is one scheduler per database, nothing to clean up after a crash,
    and a restart never repeats a reminder or a digest.
    """
    scheduler = BackgroundScheduler(timezone=tz)
    now = datetime.now(UTC)
    scheduler.add_job(
        cycle,
        IntervalTrigger(seconds=interval_seconds, timezone=tz),
        id="poll",
        name="poll sources and post cards",
        next_run_time=now,
        misfire_grace_time=interval_seconds,
        **_ONE_AT_A_TIME,
    )
    if reminders is not None:
        scheduler.add_job(
            _guarded(reminders, "Sending reminders"),
            CronTrigger(minute="*", timezone=tz),
            id="reminders",
            name="nudge mentions past the reply target",
            misfire_grace_time=60,
            **_ONE_AT_A_TIME,
        )
    if digest is not None and digest_at is not None:

        def daily_digest():
            if _guarded(digest, "The digest")() is False:  # Slack failed: once more a little later
                scheduler.add_job(
                    _guarded(digest, "The digest"),
                    DateTrigger(datetime.now(UTC) + DIGEST_RETRY),
                    id="digest-retry",
                    replace_existing=True,
                )

        # Run once at start too: the job itself sends only a digest that is due and not yet sent,
        # so one missed while the service was down goes out now.
        scheduler.add_job(
            daily_digest,
            CronTrigger(hour=digest_at.hour, minute=digest_at.minute, timezone=tz),
            id="digest",
            name="daily digest",
            next_run_time=now,
            misfire_grace_time=3600,
            **_ONE_AT_A_TIME,
        )
    if warm is not None:
        scheduler.add_job(_guarded(warm, "Preparing the stats"), id="warm", name="prepare daily stats")  # once, now
    scheduler.start()
    log.info(
        "Polling every %d seconds.%s%s",
        interval_seconds,
        " Reminders on." if reminders else "",
        f" Daily digest at {digest_at:%H:%M}." if digest and digest_at else "",
    )
    return scheduler
