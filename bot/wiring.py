"""Builds the sources, triager and chat sink that the settings ask for."""

from __future__ import annotations

import logging
import sqlite3
import threading

from bot import platforms
from bot.config import Settings, networks
from bot.models import ChatOutlet, ChatSink, ReplyingSource, Source
from bot.pipeline import CycleReport, Pipeline
from bot.platforms import Backend, EveryChat
from bot.replies import ReplyTemplates
from bot.sources import registry
from bot.triage import Triager
from handlers import digest, reminders
from handlers.actions import Replier, network_replies
from handlers.desk import Desk
from handlers.stats import Reports
from storage import DatabaseFile, DatabaseProblem
from storage.db import explain as explain_db_error

log = logging.getLogger(__name__)
_databases: dict[str, DatabaseFile] = {}
_db_lock = threading.Lock()


def database(settings: Settings) -> DatabaseFile:
    """The database file of this process: created when first opened, after that never silently replaced."""
    key = str(settings.database_path.resolve()) if str(settings.database_path) != ":memory:" else ":memory:"
    with _db_lock:
        return _databases.setdefault(key, DatabaseFile(settings.database_path))


def open_db(settings: Settings):
    return database(settings).open()


def triager(settings: Settings) -> Triager:
    return Triager(ReplyTemplates.load(settings.reply_templates), business=settings.display_name, facts=settings.facts)


def sources(settings: Settings) -> list[Source]:
    """A source for each network that is set up, in the registry's order."""
    return [n.build(settings.networks[n.key]) for n in registry.networks() if n.key in settings.networks]


def repliers(found: list[Source]) -> dict[str, Replier]:
    """The networks Listening Post can post replies on, by source name."""
    return {s.name: s.reply for s in found if isinstance(s, ReplyingSource) and s.can_reply}


def reports(settings: Settings) -> Reports:
    return Reports(
        database(settings).open,
        settings.business_hours,
        networks(settings),
        (settings.facts, str(settings.facts_path)),
    )


def desk(settings: Settings, found: list[Source], everywhere: ChatOutlet | None = None) -> Desk:
    return Desk(database(settings).open, repliers(found), settings.reply_approvers, everywhere)


def chat_sink(settings: Settings) -> ChatSink | EveryChat:
    """Where cards go: the chat platform set up, or every one of them at once (`run` and `poll` refuse to start without one)."""
    sinks = tuple(
        p.sink(settings.chats[p.key], database(settings).open) for p in platforms.platforms() if p.key in settings.chats
    )
    return sinks[0] if len(sinks) == 1 else EveryChat(sinks)


def backend(settings: Settings, found: list[Source], status_lines, everywhere: ChatOutlet | None = None) -> Backend:
    """What a chat platform's buttons and commands act on (an action redraws its card on `everywhere`)."""
    return Backend(desk(settings, found, everywhere), reports(settings), status_lines)


def _on_own_connection(settings: Settings, job, on_problem=lambda message: None):
    """`job(db)` on a connection of its own: each scheduler run may be on another thread.

    A database that has gone, been replaced, filled the disk or broken stops the job with one
    clear log line (said again only when it changes) instead of a traceback every run.
    """
    said: list[str] = []

    def run():
        try:
            db = open_db(settings)
            try:
                result = job(db)
            finally:
                db.close()
        except (DatabaseProblem, sqlite3.Error) as exc:
            problem = exc if isinstance(exc, DatabaseProblem) else explain_db_error(exc, settings.database_path)
            if said != [str(problem)]:
                log.error("%s", problem)
                said[:] = [str(problem)]
            return on_problem(str(problem))
        if said:
            log.info("The database is working again.")
            said.clear()
        return result

    return run


def reminder_job(settings: Settings, sink: ChatOutlet):
    """Nudges mentions past REPLY_TARGET_MINUTES; None when reminders are off."""
    if settings.reply_target_minutes <= 0:
        return None
    return _on_own_connection(
        settings,
        lambda db: reminders.send_reminders(
            db, sink, settings.business_hours, settings.reply_target_minutes, settings.reply_approvers
        ),
    )


def digest_job(settings: Settings, sink: ChatOutlet):
    """Posts the day's digest when due; None when DIGEST_TIME is off."""
    if settings.digest_time is None:
        return None
    return _on_own_connection(
        settings, lambda db: digest.send_digest(db, sink, settings.business_hours, settings.digest_time)
    )


def cycle_runner(
    settings: Settings,
    sink: ChatSink | EveryChat | None,
    stop: threading.Event | None = None,
    the_sources: list[Source] | None = None,
):
    """A function that runs one poll cycle on its own database connection (one per thread)."""
    the_sources = sources(settings) if the_sources is None else the_sources
    the_triager = triager(settings)

    deadline = max(60.0, min(float(settings.poll_interval), 600.0))
    replies_found = network_replies(sink)
    # Until each platform's chat has been checked once, cards already there are recognised before posting any.
    unchecked = {s.platform for s in platforms.chats(sink)}

    def cycle(db):
        report = Pipeline(
            db, the_sources, sink, the_triager, stop, deadline, reconcile=frozenset(unchecked), on_reply=replies_found
        ).run_cycle()
        unchecked.difference_update(report.chats_checked)
        return report

    return _on_own_connection(settings, cycle, on_problem=lambda message: CycleReport(post_error=message))
