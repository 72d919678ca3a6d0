"""Builds the sources, triager and chat sink that the settings ask for."""
from __future__ import annotations

import threading

from bot.config import Settings
from bot.models import ChatSink, Source
from bot.pipeline import Pipeline
from bot.replies import ReplyTemplates
from bot.sources import x
from bot.triage import Triager
from handlers.actions import Replier
from handlers.desk import Desk
from handlers.stats import Reports
from storage import open_db


def triager(settings: Settings) -> Triager:
    return Triager(ReplyTemplates.load(settings.reply_templates), business=settings.display_name)


def sources(settings: Settings) -> list[Source]:
    found: list[Source] = []
    if settings.x_enabled:
        client = x.make_client(settings.x_bearer_token, settings.x_api_url)
        posting = x.make_client("", settings.x_api_url, **settings.x_posting_keys) if settings.x_can_reply else None
        found.append(x.XSource(client, settings.x_username, settings.x_search_query, settings.x_api_url, posting))
    return found


def repliers(found: list[Source]) -> dict[str, Replier]:
    """The networks Listening Post can post replies on, by source name."""
    return {s.name: s.reply for s in found if getattr(s, "can_reply", False)}


def reports(settings: Settings, card_link=None) -> Reports:
    return Reports(lambda: open_db(settings.database_path), settings.business_hours, card_link)


def desk(settings: Settings, found: list[Source]) -> Desk:
    return Desk(lambda: open_db(settings.database_path), repliers(found), settings.reply_approvers)


def slack_sink(settings: Settings):
    from bot.chat.slack import SlackSink, make_client  # only chat modules import a chat SDK

    client = make_client(settings.slack_bot_token, settings.slack_api_url)
    return SlackSink(client, settings.slack_channel, settings.slack_post_interval)


def cycle_runner(settings: Settings, sink: ChatSink | None, stop: threading.Event | None = None,
                 the_sources: list[Source] | None = None):
    """A function that runs one poll cycle on its own database connection (one per thread)."""
    the_sources = sources(settings) if the_sources is None else the_sources
    the_triager = triager(settings)

    def run_cycle():
        db = open_db(settings.database_path)
        try:
            return Pipeline(db, the_sources, sink, the_triager, stop).run_cycle()
        finally:
            db.close()

    return run_cycle
