"""How a listener answers the person who clicked: a private note, the card redrawn, a form opened or redrawn."""

from __future__ import annotations

import logging

from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError

from bot.chat.slack.blocks import SECTION_LIMIT, TAKEOVER, button, fit
from bot.chat.slack.listeners.context import Services
from bot.chat.slack.platform import PLATFORM
from handlers.actions import Outcome

log = logging.getLogger(__name__)

EPHEMERAL_LIMIT = 3000  # a private note is a sentence or two; Slack allows 40,000 characters of `text`


def private_note(text: str) -> str:
    """A note only the person who clicked sees (chat.postEphemeral's `text`), escaped and cut."""
    return fit(text, EPHEMERAL_LIMIT)


def takeover_question(message: str, mention_id: str) -> list[dict]:
    """The private "take it over?" question, with its one button."""
    return [
        {"type": "section", "text": {"type": "mrkdwn", "text": fit(message, SECTION_LIMIT) or " "}},
        {"type": "actions", "elements": [button("Take it over", TAKEOVER, mention_id, "primary")]},
    ]


def button_value(body: dict) -> str:
    return body["actions"][0].get("value", "")


def tell(client: WebClient, user_id: str, channel: str, text: str, blocks: list | None = None) -> None:
    try:
        client.chat_postEphemeral(channel=channel, user=user_id, text=private_note(text), blocks=blocks)
    except (SlackApiError, OSError) as exc:
        log.warning("Could not send a private note to %s (%s).", user_id, type(exc).__name__)


def channel_of(s: Services, body: dict, mention_id: str) -> str:
    channel = (body.get("channel") or {}).get("id")
    if channel:
        return channel
    found = s.desk.card(mention_id)
    ref = found.ref_on(PLATFORM.key) if found else None
    return ref.channel if ref else ""


def show(s: Services, outcome: Outcome, body: dict, client: WebClient) -> None:
    s.desk.announce(s.sink, outcome)
    private = outcome.error or outcome.message
    if private:
        tell(client, body["user"]["id"], channel_of(s, body, outcome.mention_id), private)


def open_form(s: Services, client: WebClient, body: dict, mention_id: str, view: dict) -> None:
    try:
        client.views_open(trigger_id=body["trigger_id"], view=view)
    except (SlackApiError, OSError) as exc:
        # Most often expired_trigger_id: Slack allows 3 seconds between the click and the form.
        log.warning(
            "Could not open a form (%s).",
            exc.response.get("error") if isinstance(exc, SlackApiError) else type(exc).__name__,
        )
        tell(
            client,
            body["user"]["id"],
            channel_of(s, body, mention_id),
            "Slack could not open the form in time. Please click the button again.",
        )


def update_form(client: WebClient, view_id: str, view: dict, hash: str | None = None) -> None:
    """Redraw an open form; one the person closed (not_found) or changed meanwhile (hash_conflict) is left as it is."""
    try:
        client.views_update(view_id=view_id, view=view, **({"hash": hash} if hash else {}))
    except (SlackApiError, OSError) as exc:
        log.info(
            "Did not redraw a form (%s); what was done is on the card.",
            exc.response.get("error") if isinstance(exc, SlackApiError) else type(exc).__name__,
        )
