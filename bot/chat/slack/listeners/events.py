"""Event listeners: the App Home tab, drawn afresh each time it is opened."""

from __future__ import annotations

import logging
from datetime import datetime
from urllib.error import URLError

from slack_bolt import App, BoltContext
from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError

from bot.chat.slack.listeners.context import services
from bot.chat.slack.listeners.errors import guarded
from bot.chat.slack.reports import home_view

log = logging.getLogger(__name__)


def on_app_home_opened(event: dict, client: WebClient, context: BoltContext) -> None:
    if event.get("tab") != "home":
        return  # the Messages tab
    s = services(context)
    stats, queue = s.reports.home()
    try:
        view = home_view(stats, queue, datetime.now(s.reports.hours.tz), s.sink.card_link)
        client.views_publish(user_id=event["user"], view=view)
    except (SlackApiError, URLError, OSError) as exc:
        log.warning("Could not show the App Home tab (%s).", type(exc).__name__)


def register(app: App) -> None:
    app.event("app_home_opened")(guarded(on_app_home_opened))
