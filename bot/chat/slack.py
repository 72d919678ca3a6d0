"""Slack: the Web API client with retries, the card sink, and the Bolt app with its listeners."""
from __future__ import annotations

import logging
import time
from typing import Callable
from urllib.error import URLError

from slack_bolt import App
from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError
from slack_sdk.http_retry.builtin_handlers import (
    ConnectionErrorRetryHandler,
    RateLimitErrorRetryHandler,
    ServerErrorRetryHandler,
)

from bot.chat import slack_actions, slack_cards, slack_reports
from bot.chat.slack_errors import describe
from bot.models import ChatRef, Handling, Mention, PostError, Triage
from handlers.desk import Desk
from handlers.stats import Reports

log = logging.getLogger(__name__)


def make_client(token: str, base_url: str) -> WebClient:
    client = WebClient(token=token, base_url=base_url, timeout=20)
    # slack_sdk retries nothing on 429 or 5xx unless asked to.
    client.retry_handlers.extend([RateLimitErrorRetryHandler(max_retry_count=3), ServerErrorRetryHandler(max_retry_count=2)])
    if not any(isinstance(h, ConnectionErrorRetryHandler) for h in client.retry_handlers):
        client.retry_handlers.append(ConnectionErrorRetryHandler())
    return client


class SlackSink:
    """Posts mention cards into one channel, paced to Slack's one message per second."""

    platform = "slack"

    def __init__(self, client: WebClient, channel: str, min_interval: float = 1.0):
        self.client = client
        self.channel = channel
        self.min_interval = min_interval
        self._last_post = 0.0

    def post(self, mention: Mention, triage: Triage, handling: Handling | None = None) -> ChatRef:
        wait = self._last_post + self.min_interval - time.monotonic()
        if wait > 0:
            time.sleep(wait)
        try:
            response = self.client.chat_postMessage(
                channel=self.channel,
                text=slack_cards.fallback_text(mention, triage),
                blocks=slack_cards.card_blocks(mention, triage, handling),
                unfurl_links=False,
                unfurl_media=False,
            )
        except SlackApiError as exc:
            raise PostError(describe(exc, self.channel)) from None
        except (URLError, OSError) as exc:
            raise PostError(f"Could not reach Slack ({type(exc).__name__}).") from None
        finally:
            self._last_post = time.monotonic()
        return ChatRef(self.platform, response["channel"], response["ts"])


    def update(self, ref: ChatRef, mention: Mention, triage: Triage, handling: Handling) -> None:
        try:
            self.client.chat_update(
                channel=ref.channel, ts=ref.message_id,
                text=slack_cards.fallback_text(mention, triage),
                blocks=slack_cards.card_blocks(mention, triage, handling),
            )
        except SlackApiError as exc:
            log.warning("Could not redraw the card of %s (the action is recorded): %s", mention.id, describe(exc, ref.channel))
        except (URLError, OSError) as exc:
            log.warning("Could not reach Slack to redraw the card of %s (%s); the action is recorded.", mention.id, type(exc).__name__)

    def note(self, ref: ChatRef, text: str, notify: tuple[str, ...] = ()) -> bool:
        called = "".join("<!channel> " if who == "channel" else f"<@{who}> " for who in notify)
        return self._send("write in a card's thread", channel=ref.channel, thread_ts=ref.message_id,
                          text=called + slack_cards.escape(text))

    def say(self, text: str) -> bool:
        return self._send("post the digest", channel=self.channel, text=slack_cards.escape(text))

    def _send(self, what: str, **message) -> bool:
        try:
            self.client.chat_postMessage(**message, unfurl_links=False, unfurl_media=False)
            return True
        except SlackApiError as exc:
            log.warning("Could not %s: %s", what, describe(exc, message["channel"]))
        except (URLError, OSError) as exc:
            log.warning("Could not reach Slack to %s (%s).", what, type(exc).__name__)
        return False


def card_links(client: WebClient) -> Callable[[str, str], str]:
    """Links to cards, in Slack's permalink form; the workspace address is asked for once, when first needed."""
    workspace: list[str] = []

    def link(channel: str, ts: str) -> str:
        if not workspace:
            try:
                workspace.append(client.auth_test()["url"])
            except (SlackApiError, OSError, KeyError):
                return ""
        return f"{workspace[0]}archives/{channel}/p{ts.replace('.', '')}"

    return link


def build_app(client: WebClient, signing_secret: str, status_lines: Callable[[], list[str]], desk: Desk, sink: SlackSink,
              reports: Reports) -> App:
    """The Bolt app: request verification, the card's buttons and modals, `/listen` and the App Home tab."""
    app = App(
        client=client,
        signing_secret=signing_secret,
        # Checked by `python -m bot doctor` instead, so a start-up never fails on a network blip.
        token_verification_enabled=False,
        process_before_response=False,
    )

    slack_actions.register(app, desk, sink)
    slack_reports.register(app, status_lines, reports)
    return app
