"""The Bolt app: request verification, the services every listener is handed, the listeners, and the error handler."""

from __future__ import annotations

import logging
from collections.abc import Callable

from slack_bolt import App
from slack_sdk import WebClient

from bot.chat.slack.listeners import register_listeners
from bot.chat.slack.listeners.context import Services
from bot.chat.slack.listeners.errors import on_listener_error
from bot.chat.slack.people import People
from bot.chat.slack.sink import SlackSink
from handlers.desk import Desk
from handlers.stats import Reports

log = logging.getLogger(__name__)


def build_app(
    client: WebClient,
    signing_secret: str,
    status_lines: Callable[[], list[str]],
    desk: Desk,
    sink: SlackSink,
    reports: Reports,
) -> App:
    """The Bolt app: request verification, the card's buttons and modals, `/listen` and the App Home tab."""
    app = App(
        client=client,
        signing_secret=signing_secret,
        # Checked by `python -m bot doctor` instead, so a start-up never fails on a network blip.
        token_verification_enabled=False,
        process_before_response=False,
    )
    # Listeners are plain functions: what they need beyond Bolt's own arguments comes in `context`.
    app.use(Services(desk, sink, reports, status_lines, People(client)).attach)
    register_listeners(app)
    app.error(on_listener_error)
    return app
