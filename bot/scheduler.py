"""The APScheduler job that runs a poll cycle on an interval."""
from __future__ import annotations

import logging
from datetime import datetime, timezone
from typing import Callable

from apscheduler.schedulers.background import BackgroundScheduler
from apscheduler.triggers.interval import IntervalTrigger

log = logging.getLogger(__name__)


def start_polling(cycle: Callable[[], object], interval_seconds: int) -> BackgroundScheduler:
    """Run `cycle` now and then every `interval_seconds`, never two at once.

    Jobs live in memory (cursors live in our database), so there is one scheduler per
    database and nothing to clean up after a crash.
    """
    scheduler = BackgroundScheduler(timezone=timezone.utc)
    scheduler.add_job(
        cycle,
        IntervalTrigger(seconds=interval_seconds, timezone=timezone.utc),
        id="poll",
        name="poll sources and post cards",
        next_run_time=datetime.now(timezone.utc),
        max_instances=1,  # a slow cycle is never overlapped by the next one
        coalesce=True,  # runs missed while busy or asleep collapse into one
        misfire_grace_time=interval_seconds,
    )
    scheduler.start()
    log.info("Polling every %d seconds.", interval_seconds)
    return scheduler
