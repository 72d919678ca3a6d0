"""The Bolt app: request verification, the services every listener is handed, the listeners, and the error handler."""

from __future__ import annotations

import logging
from collections.abc import Callable

from slack_bolt import App
from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError

from bot.chat.slack.listeners import register_listeners
from bot.chat.slack.listeners.answers import private_note
from bot.chat.slack.listeners.context import Services
from bot.chat.slack.people import People
from bot.chat.slack.sink import SlackSink
from handlers.desk import Desk
from handlers.stats import Reports

log = logging.getLogger(__name__)

OUR_BUG = (
    "Listening Post hit a problem of its own with that, and has written the details to its log. "
    "Please try again; if it happens again, send that log line to whoever runs Listening Post."
)


def on_listener_error(error: Exception, body: dict, client: WebClient) -> None:
    """Bolt's error handler: a bug in a listener is logged with its traceback, and the person who
    clicked or typed is told in plain words instead of seeing nothing happen."""
    log.warning("A Slack listener failed (%s).", type(error).__name__, exc_info=error)
    user = (body.get("user") or {}).get("id") or body.get("user_id")
    channel = (body.get("channel") or {}).get("id") or body.get("channel_id")
    if not (user and channel):
        return  # a form submission has no channel to answer in: the log has it
    try:
        client.chat_postEphemeral(channel=channel, user=user, text=private_note(OUR_BUG))
    except (SlackApiError, OSError) as exc:
        log.warning("Could not tell %s about the failure (%s).", user, type(exc).__name__)


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
