"""`python -m bot run`: the scheduler polling in the background and the Slack app in front."""
from __future__ import annotations

import logging
import signal
import threading

from bot import wiring
from bot.config import ConfigError, Settings, missing_for_service
from bot.chat.cards import network_name
from storage import mentions as store
from storage import open_db

log = logging.getLogger(__name__)


def status_lines(settings: Settings) -> list[str]:
    """What `/listen status` says: cards waiting, and each source's last poll."""
    db = open_db(settings.database_path)
    try:
        totals = store.counts(db)
        lines = [f"{totals['posted']} cards posted, {totals['waiting']} waiting to be posted, {totals['held']} held back as spam."]
        for row in db["source_status"].rows:
            line = f"{network_name(row['source'])}: last good poll {row['last_success_at'] or 'never'}"
            if row["last_error"]:
                line += f"; last problem: {row['last_error']}"
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


def run(settings: Settings) -> None:
    problems = missing_for_service(settings)
    if not settings.slack_app_token and not settings.slack_signing_secret:
        problems.append("Set SLACK_APP_TOKEN (Socket Mode, no public URL needed) or SLACK_SIGNING_SECRET (HTTP mode).")
    if problems:
        raise ConfigError(" ".join(problems))

    from slack_bolt.adapter.socket_mode import SocketModeHandler

    from bot.scheduler import start_jobs

    # Migrate once, here, before the jobs and listeners open connections of their own on other threads.
    open_db(settings.database_path).close()
    stop = threading.Event()
    sink = wiring.slack_sink(settings)
    the_sources = wiring.sources(settings)
    cycle = wiring.cycle_runner(settings, sink, stop, the_sources)

    def guarded_cycle():
        try:
            report = cycle()
        except Exception:  # keep the service alive; the next cycle tries again
            log.exception("A poll cycle failed unexpectedly; trying again in %d seconds.", settings.poll_interval)
            return
        if report.failed:
            log.warning("Poll cycle: %s", report.reason)

    scheduler = start_jobs(guarded_cycle, settings.poll_interval, settings.business_hours.tz,
                           reminders=wiring.reminder_job(settings, sink),
                           digest=wiring.digest_job(settings, sink), digest_at=settings.digest_time,
                           warm=wiring.reports(settings).warm)
    app = slack_app(settings, sink, the_sources)

    def on_term(signum, frame):
        raise KeyboardInterrupt

    signal.signal(signal.SIGTERM, on_term)
    try:
        if settings.slack_app_token:
            log.info("Connecting to Slack in Socket Mode.")
            SocketModeHandler(app, settings.slack_app_token).start()
        else:
            from bot.chat.slack_http import http_server

            server = http_server(app, settings.port)
            log.info("Listening for Slack on port %d at /slack/events.", settings.port)
            try:
                server.serve_forever()
            finally:
                server.server_close()
    except KeyboardInterrupt:
        log.info("Shutting down: finishing the card being posted, nothing is lost.")
    finally:
        stop.set()
        scheduler.shutdown(wait=True)
        log.info("Stopped.")
