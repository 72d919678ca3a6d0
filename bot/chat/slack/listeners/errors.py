"""A bug of ours in a listener: logged with its traceback, and the person who clicked or typed told in plain words."""

from __future__ import annotations

import functools
import logging
from collections.abc import Callable

from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError

from bot.chat.slack.listeners.answers import private_note

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


def guarded(listener: Callable) -> Callable:
    """`listener`, with a bug of ours after its ack() handled here rather than by Bolt's error handler.

    Bolt's thread runner, when a listener raises after ack(), replaces the acknowledgement with
    nothing: if that happens before Bolt has answered Slack, Slack gets a 404 three seconds later
    and shows the person an error on top of ours. Bolt reads a listener's arguments through
    `functools.wraps`, so the wrapped listener is given exactly what it asks for.
    """

    @functools.wraps(listener)
    def run(**kwargs):
        try:
            return listener(**kwargs)
        except Exception as error:
            body, client = kwargs.get("body"), kwargs.get("client")
            if body is None or client is None:
                raise  # Bolt's error handler has what it needs
            on_listener_error(error, body, client)
            return None

    return run
