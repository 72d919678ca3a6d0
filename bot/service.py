"""`python -m bot run`: the scheduler polling in the background and each chat platform's way in, in front."""

from __future__ import annotations

import logging
import os
import signal
import sys
import threading

from bot import platforms, wiring
from bot.config import ConfigError, Settings, missing_for_service
from bot.platforms import Inbound
from bot.sources import registry
from bot.wording import age
from storage import DatabaseProblem, posting
from storage import mentions as store

STOP_WITHIN = 8.0  # seconds SIGTERM waits for the cycle in progress; platforms kill at 10

log = logging.getLogger(__name__)


def status_lines(settings: Settings) -> list[str]:
    """What `/listen status` says: cards waiting, and each source's last poll."""
    db = wiring.open_db(settings)
    try:
        totals = store.counts(db)
        lines = [
            f"{totals.posted} cards posted, {totals.waiting} waiting to be posted, {totals.held} held back as spam."
        ]
        refused = posting.refused_count(db)
        if refused:
            lines.append(
                f"{refused} card(s) the chat refused even in their simplest form were set aside (the log says which); "
                "their mentions are kept and counted."
            )
        for status in store.source_statuses(db):
            good = age(status.last_success_at) if status.last_success_at else "never"
            line = f"{registry.name(status.source)}: last good poll {good}"
            if status.last_error:
                line += f"; last problem: {status.last_error}"
            lines.append(line)
        return lines
    finally:
        db.close()


def open_inbound(settings: Settings, sink, the_sources: list) -> list[Inbound]:
    """Each set-up chat platform's way in, opened before anything is polled: a port in use or a bad token stops the start here.

    Each acts through its own sink; an action redraws the card on every platform (`sink`).
    """
    backend = wiring.backend(settings, the_sources, lambda: status_lines(settings), sink)
    own = {s.platform: s for s in platforms.chats(sink)}
    return [
        p.open(settings.chats[p.key], settings, own[p.key], backend)
        for p in platforms.platforms()
        if p.key in settings.chats
    ]


def run(settings: Settings) -> None:
    problems = missing_for_service(settings, serving=True)
    if problems:
        raise ConfigError(problems)

    from bot.scheduler import start_jobs

    # Made (or migrated) once, here, before the jobs and listeners open connections of their own on other threads.
    try:
        wiring.open_db(settings).close()
    except DatabaseProblem as exc:
        raise ConfigError(str(exc)) from None
    stop = threading.Event()
    sink = wiring.chat_sink(settings)
    the_sources = wiring.sources(settings)
    inbound = open_inbound(settings, sink, the_sources)
    cycle = wiring.cycle_runner(settings, sink, stop, the_sources)
    cycle_done = threading.Event()
    cycle_done.set()

    def guarded_cycle():
        cycle_done.clear()
        try:
            report = cycle()
        except Exception:  # keep the service alive; the next cycle tries again
            log.exception("A poll cycle failed unexpectedly; trying again in %d seconds.", settings.poll_interval)
            return
        finally:
            cycle_done.set()
        if report.failed:
            log.warning("Poll cycle: %s", report.reason)

    scheduler = start_jobs(
        guarded_cycle,
        settings.poll_interval,
        settings.business_hours.tz,
        reminders=wiring.reminder_job(settings, sink),
        digest=wiring.digest_job(settings, sink),
        digest_at=settings.digest_time,
        warm=wiring.reports(settings).warm,
    )

    def on_term(signum, frame):
        raise KeyboardInterrupt

    signal.signal(signal.SIGTERM, on_term)
    failed = threading.Event()

    def serve(way_in: Inbound) -> None:
        # A way in that stops by itself leaves the team's buttons dead: stop the service so its
        # host restarts it, rather than keep polling with nobody able to act on the cards.
        try:
            way_in.serve()
        except Exception:
            log.exception("%s stopped on an unexpected error.", type(way_in).__name__)
        if not stop.is_set():
            log.error("Chat requests are no longer taken; stopping so the service can be restarted.")
            failed.set()
            stop.set()

    for way_in in inbound:
        log.info("%s", way_in.description)
        threading.Thread(target=serve, args=(way_in,), name=type(way_in).__name__, daemon=True).start()
    try:
        stop.wait()  # until SIGTERM, Ctrl-C, or a way in that stopped by itself
    except KeyboardInterrupt:
        log.info("Shutting down: finishing the card being posted, nothing is lost.")
    finally:
        stop.set()
        for way_in in inbound:
            way_in.stop()
        scheduler.shutdown(wait=False)
        if cycle_done.wait(STOP_WITHIN):
            log.info("Stopped.")
        else:
            log.info("Stopped (a slow network's answer was left; it is read again next start).")
        # Leave now rather than let the interpreter wait for the scheduler's threads: one may be in a
        # slow call (a reminder to a chat that hangs). Everything done is committed; an abandoned
        # read saved no cursor; a reminder cut short was marked before sending, so it never repeats.
        logging.shutdown()
        sys.stdout.flush()
        sys.stderr.flush()
        os._exit(1 if failed.is_set() else 0)
