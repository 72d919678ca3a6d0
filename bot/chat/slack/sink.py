"""The card sink for Slack: cards posted and redrawn, notes in their threads, and the cards already in the channel."""

from __future__ import annotations

import http.client
import logging
import time
from collections.abc import Callable
from datetime import datetime
from typing import Any
from urllib.error import URLError

from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError, SlackObjectFormationError

from bot.chat.slack.blocks import NOTE_LIMIT, SAY_LIMIT, card_blocks, escape, fallback_text, fit, minimal_blocks
from bot.chat.slack.client import call
from bot.chat.slack.errors import CARD_ERRORS, describe, explain
from bot.chat.slack.links import card_links
from bot.chat.slack.text import mrkdwn
from bot.models import CardRefused, ChatRef, Handling, Mention, PostError, PostUnconfirmed, Triage, attempt_window
from bot.report import Report

log = logging.getLogger(__name__)

CALL_DEADLINE = 60  # seconds for a whole call through SlackSink, retries and Retry-After waits included
CARD_EVENT = "listening_post_card"  # the message metadata every card carries, to find it again
FIND_PAGES, FIND_PAGE_SIZE = 3, 100
RECONCILE_PAGES = 10  # at start: up to 1,000 of the channel's latest messages are checked for cards already there
HISTORY_SCOPES = "channels:history (groups:history for a private channel)"


def _called(notify: tuple[str, ...]) -> str:
    """Slack's mentions of the people (member ids) or "channel" to call on; ids are ours, from settings."""
    return "".join("<!channel> " if who == "channel" else f"<@{escape(who)}> " for who in notify)


class _Refused(Exception):
    """Slack refused this card's content (not the channel, the token or the moment)."""

    def __init__(self, error: str):
        super().__init__(error)
        self.error = error


class SlackSink:
    """Posts mention cards into one channel, paced to Slack's one message per second.

    Every call has a total deadline (see `client.call`): a call past it is abandoned.
    """

    platform = "slack"

    def __init__(self, client: WebClient, channel: str, min_interval: float = 1.0, deadline: float = CALL_DEADLINE):
        self.client = client
        self.channel = channel
        self.min_interval = min_interval
        self.deadline = deadline
        self.card_link = card_links(client)  # how a report links to a card in this workspace
        self._last_post = 0.0

    def _call(self, method: Callable, once: bool = False, **kwargs):
        return call(method, self.deadline, once, **kwargs)

    @staticmethod
    def _card(mention: Mention, triage: Triage, handling: Handling | None) -> list[dict] | None:
        """The full card; None when slack_sdk's models find it over one of Slack's limits (logged)."""
        try:
            return card_blocks(mention, triage, handling)
        except SlackObjectFormationError as exc:
            log.warning("The card of %s would break a Slack limit (%s); drawing a minimal one.", mention.id, exc)
            return None

    def post(self, mention: Mention, triage: Triage, handling: Handling | None = None) -> ChatRef:
        text = fallback_text(mention, triage)
        full = self._card(mention, triage, handling)
        try:
            if full is not None:
                return self._post_card(mention, text, full)
        except _Refused as exc:
            log.warning("Slack refused the card of %s (%s); posting a minimal card instead.", mention.id, exc.error)
        try:
            return self._post_card(mention, text, minimal_blocks(mention, handling))
        except (_Refused, SlackObjectFormationError) as exc:
            raise CardRefused(
                f"Slack refused the card of {mention.id} ('{getattr(exc, 'error', exc)}'), even in its minimal form; "
                "it is set aside and the next cards go out."
            ) from None

    def _post_card(self, mention: Mention, text: str, blocks: list[dict]) -> ChatRef:
        wait = self._last_post + self.min_interval - time.monotonic()
        if wait > 0:
            time.sleep(wait)
        try:
            response = self._call(
                self.client.chat_postMessage,
                once=True,
                channel=self.channel,
                text=text,
                blocks=blocks,
                unfurl_links=False,
                unfurl_media=False,
                metadata={"event_type": CARD_EVENT, "event_payload": {"mention_id": mention.id}},
            )
        except SlackApiError as exc:
            status = exc.response.status_code
            if status >= 500 or not isinstance(exc.response.data, dict):
                raise PostUnconfirmed(
                    f"Slack is having trouble (HTTP {status}); the card may have been posted, "
                    "so Slack is checked for it before it is sent again."
                ) from None
            error = exc.response.get("error") or ""
            if error in CARD_ERRORS:
                raise _Refused(error) from None
            raise PostError(describe(exc, self.channel)) from None
        except URLError as exc:  # the request was never sent
            raise PostError(
                f"Could not reach Slack ({type(exc.reason).__name__ if isinstance(exc.reason, Exception) else 'URLError'})."
            ) from None
        except (OSError, http.client.HTTPException, ValueError) as exc:
            # Sent, but no answer (a timeout, a dropped connection, a garbled reply): Slack may have posted it.
            raise PostUnconfirmed(
                f"Slack did not confirm the card ({type(exc).__name__}); it may have been posted, "
                "so Slack is checked for it before it is sent again."
            ) from None
        finally:
            self._last_post = time.monotonic()
        return ChatRef(self.platform, response["channel"], response["ts"])

    def find_posted(self, mention_id: str, since: datetime) -> ChatRef | None:
        """The card of `mention_id` posted since `since` (an attempt Slack never confirmed), from the channel's history."""
        return self.posted_cards(*attempt_window(since), FIND_PAGES).get(mention_id)

    def posted_cards(
        self, since: datetime, until: datetime | None = None, pages: int = RECONCILE_PAGES
    ) -> dict[str, ChatRef]:
        """Every card in the channel between `since` and `until` (now), by mention id, from at most `pages` pages of history.

        Raises PostError when Slack cannot be asked (then nothing is known either way).
        """
        window: dict[str, Any] = {
            "oldest": f"{since.timestamp():.6f}",
            **({"latest": f"{until.timestamp():.6f}"} if until else {}),
        }
        found: dict[str, ChatRef] = {}
        cursor = ""
        for _ in range(pages):
            try:
                page = self._call(
                    self.client.conversations_history,
                    channel=self.channel,
                    limit=FIND_PAGE_SIZE,
                    include_all_metadata=True,
                    **window,
                    **({"cursor": cursor} if cursor else {}),  # type: ignore[arg-type]  # all go to Slack, not to once
                )
            except SlackApiError as exc:
                error = exc.response.get("error") if isinstance(exc.response.data, dict) else ""
                if error == "missing_scope":
                    raise PostError(
                        explain(error, self.channel, exc.response.get("needed") or HISTORY_SCOPES)
                        + " Listening Post reads the channel to check that a card Slack never confirmed"
                        " is not posted twice."
                    ) from None
                raise PostError(
                    f"Could not check which cards are in the channel: {describe(exc, self.channel)}"
                ) from None
            except (OSError, http.client.HTTPException, ValueError) as exc:
                raise PostError(
                    f"Could not reach Slack to check which cards are in the channel ({type(exc).__name__})."
                ) from None
            for message in page.get("messages") or []:
                meta = message.get("metadata") or {}
                mention_id = (meta.get("event_payload") or {}).get("mention_id")
                if (
                    message.get("thread_ts") in (None, message.get("ts"))
                    and meta.get("event_type") == CARD_EVENT
                    and mention_id
                ):
                    found.setdefault(
                        mention_id, ChatRef(self.platform, page.get("channel") or self.channel, message["ts"])
                    )
            cursor = (page.get("response_metadata") or {}).get("next_cursor") or ""
            if not page.get("has_more") or not cursor:
                break
        return found

    def update(self, ref: ChatRef, mention: Mention, triage: Triage, handling: Handling) -> None:
        text = fallback_text(mention, triage)
        minimal = minimal_blocks(mention, handling)
        for blocks in (self._card(mention, triage, handling) or minimal, minimal):
            try:
                self._call(
                    self.client.chat_update,
                    channel=ref.channel,
                    ts=ref.message_id,
                    text=text,
                    blocks=blocks,
                    metadata={"event_type": CARD_EVENT, "event_payload": {"mention_id": mention.id}},
                )
                return
            except SlackApiError as exc:
                error = exc.response.get("error") if isinstance(exc.response.data, dict) else ""
                if error in CARD_ERRORS and blocks is not minimal:
                    log.warning("Slack refused the redrawn card of %s (%s); drawing a minimal one.", mention.id, error)
                    continue
                log.warning(
                    "Could not redraw the card of %s (the action is recorded): %s",
                    mention.id,
                    describe(exc, ref.channel),
                )
                return
            except (OSError, http.client.HTTPException, ValueError) as exc:
                log.warning(
                    "Could not reach Slack to redraw the card of %s (%s); the action is recorded.",
                    mention.id,
                    type(exc).__name__,
                )
                return

    def note(self, ref: ChatRef, text: str, notify: tuple[str, ...] = ()) -> bool:
        return self._send(
            "write in a card's thread",
            bool(notify),
            channel=ref.channel,
            thread_ts=ref.message_id,
            text=_called(notify) + fit(text, NOTE_LIMIT),
        )

    def say(self, message: Report, notify: tuple[str, ...] = ()) -> bool:
        return self._send(
            "post in the channel",
            bool(notify),
            channel=self.channel,
            text=_called(notify) + mrkdwn(message, self.card_link, SAY_LIMIT),
        )

    def _send(self, what: str, calls_on_people: bool, **message) -> bool:
        """Post a message; False when it surely did not go out.

        A plain note or a digest may be retried after a 5xx: a rare duplicate line is better than
        a lost one. A message that calls on people (a reminder's @channel) is sent once: when Slack
        may have taken it without saying so, it counts as sent, so nobody is called on twice.
        """
        try:
            self._call(
                self.client.chat_postMessage, once=calls_on_people, **message, unfurl_links=False, unfurl_media=False
            )
            return True
        except SlackApiError as exc:
            # 502 and 503 come from in front of Slack: the message never reached it. Other 5xx may follow its posting.
            unsure = exc.response.status_code not in (502, 503) and (
                exc.response.status_code >= 500 or not isinstance(exc.response.data, dict)
            )
            if calls_on_people and unsure:
                log.warning(
                    "Slack may or may not have posted a reminder (HTTP %d); it is not sent again.",
                    exc.response.status_code,
                )
                return True
            log.warning("Could not %s: %s", what, describe(exc, message["channel"]))
        except URLError as exc:  # never sent
            log.warning("Could not reach Slack to %s (%s).", what, type(exc).__name__)
        except (OSError, http.client.HTTPException, ValueError) as exc:
            if calls_on_people:
                log.warning("Slack did not confirm a reminder (%s); it is not sent again.", type(exc).__name__)
                return True
            log.warning("Could not reach Slack to %s (%s).", what, type(exc).__name__)
        return False
