"""`python -m bot run`: the scheduler polling in the background and the Slack app in front."""

from __future__ import annotations

import errno
import logging
import os
import signal
import sys
import threading

from bot import wiring
from bot.chat.cards import age, network_name
from bot.config import ConfigError, Settings, missing_for_service
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
                f"{refused} card(s) Slack refused even in their simplest form were set aside (the log says which); "
                "their mentions are kept and counted."
            )
        for status in store.source_statuses(db):
            good = age(status.last_success_at) if status.last_success_at else "never"
            line = f"{network_name(status.source)}: last good poll {good}"
            if status.last_error:
                line += f"; last problem: {status.last_error}"
            lines.append(line)
        return lines
    finally:
        db.close()


def slack_app(settings: Settings, sink, the_sources: list):
    """The Bolt app with `/listen` and the card actions, posting replies through `the_sources`."""
    from bot.chat.slack import build_app, card_links

    desk = wiring.desk(settings, the_sources)
    reports = wiring.reports(settings, card_links(sink.client))
    return build_app(sink.client, settings.slack_signing_secret, lambda: status_lines(settings), desk, sink, reports)


def _listener(settings: Settings, app):
    """Slack's way in, opened before anything is polled: a port in use or a bad app token stops the start here."""
    if settings.slack_app_token:
        from slack_bolt.adapter.socket_mode import SocketModeHandler

        handler = SocketModeHandler(app, settings.slack_app_token)
        try:
            handler.connect()
        except Exception as exc:  # noqa: BLE001 — slack_sdk raises several types here; each means the same to the owner
            error = getattr(getattr(exc, "response", None), "get", lambda _k: None)("error") or type(exc).__name__
            raise ConfigError(
                f"Slack refused to open a Socket Mode connection ({error}). Check SLACK_APP_TOKEN: Slack app → "
                "Basic Information → App-Level Tokens, a token starting with xapp- with the "
                "connections:write scope. Or remove it to use HTTP mode."
            ) from None
        return handler
    from bot.chat.slack_http import http_server

    try:
        return http_server(app, settings.port, settings.slack_signing_secret)
    except OSError as exc:
        if exc.errno == errno.EADDRINUSE:
            raise ConfigError(
                f"Port {settings.port} is already in use (another program, or Listening Post running twice). "
                "Stop the other one, or set PORT to a free port."
            ) from None
        raise ConfigError(
            f"Could not listen on port {settings.port} ({exc.strerror}). Set PORT to a free port above 1024."
        ) from None


def run(settings: Settings) -> None:
    problems = missing_for_service(settings)
    if not settings.slack_app_token and not settings.slack_signing_secret:
        problems.append("Set SLACK_APP_TOKEN (Socket Mode, no public URL needed) or SLACK_SIGNING_SECRET (HTTP mode).")
    if problems:
        raise ConfigError(problems)

    from bot.scheduler import start_jobs

    # Made (or migrated) once, here, before the jobs and listeners open connections of their own on other threads.
    try:
        wiring.open_db(settings).close()
    except DatabaseProblem as exc:
        raise ConfigError(str(exc)) from None
    stop = threading.Event()
    sink = wiring.slack_sink(settings)
    the_sources = wiring.sources(settings)
    app = slack_app(settings, sink, the_sources)
    listener = _listener(settings, app)
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
    try:
        if settings.slack_app_token:
            log.info("Connected to Slack in Socket Mode.")
            stop.wait()
        else:
            log.info("Listening for Slack on port %d at /slack/events.", settings.port)
            try:
                listener.serve_forever()
            finally:
                listener.server_close()
    except KeyboardInterrupt:
        log.info("Shutting down: finishing the card being posted, nothing is lost.")
    finally:
        stop.set()
        scheduler.shutdown(wait=False)
        if cycle_done.wait(STOP_WITHIN):
            log.info("Stopped.")
        else:
            log.info("Stopped (a slow network's answer was left; it is read again next start).")
        # Leave now rather than let the interpreter wait for the scheduler's threads: one may be in a
        # slow call (a reminder to a Slack that hangs). Everything done is committed; an abandoned
        # read saved no cursor; a reminder cut short was marked before sending, so it never repeats.
        logging.shutdown()
        sys.stdout.flush()
        sys.stderr.flush()
        os._exit(0)
