"""Slack: the Web API client with retries, the card sink, and the Bolt app with its listeners."""

from __future__ import annotations

import http.client
import logging
import threading
import time
from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any
from urllib.error import URLError

from slack_bolt import App
from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError
from slack_sdk.http_retry import RetryIntervalCalculator
from slack_sdk.http_retry.builtin_handlers import (
    ConnectionErrorRetryHandler,
    RateLimitErrorRetryHandler,
    ServerErrorRetryHandler,
)
from slack_sdk.http_retry.handler import default_interval_calculator

from bot.chat import slack_actions, slack_cards, slack_reports
from bot.chat.slack_errors import describe, explain
from bot.models import CardRefused, ChatRef, Handling, Mention, PostError, PostUnconfirmed, Triage
from handlers.desk import Desk
from handlers.stats import Reports

log = logging.getLogger(__name__)

CALL_TIMEOUT = 10  # seconds for each socket operation (urllib's timeout is per connect or read, not per call)
CALL_DEADLINE = 60  # seconds for a whole call through SlackSink, retries and Retry-After waits included
CARD_EVENT = "listening_post_card"  # the message metadata every card carries, to find it again
FIND_PAGES, FIND_PAGE_SIZE = 3, 100
RECONCILE_PAGES = 10  # at start: up to 1,000 of the channel's latest messages are checked for cards already there
# Slack refused the card itself: sending it again unchanged cannot work.
CARD_ERRORS = {
    "invalid_blocks",
    "invalid_blocks_format",
    "invalid_arguments",
    "msg_too_long",
    "msg_blocks_too_long",
    "too_many_attachments",
    "invalid_attachments",
    "no_text",
    "markdown_text_conflict",
    "invalid_metadata_format",
    "invalid_metadata_schema",
    "metadata_too_large",
    "metadata_must_be_sent_from_app",
}
HISTORY_SCOPES = "channels:history (groups:history for a private channel)"

# What the call running on this thread allows; set by SlackSink._call in the thread it runs the call on.
_call = threading.local()


def _abandoned() -> bool:
    event = getattr(_call, "abandoned", None)
    return bool(event and event.is_set())


def _once() -> bool:
    return bool(getattr(_call, "once", False))


class _RateLimitRetry(RateLimitErrorRetryHandler):
    """429: Slack did not take the call, so sending it again is always safe; the wait ends if the call is given up."""

    def _can_retry(self, **kwargs) -> bool:
        return not _abandoned() and super()._can_retry(**kwargs)

    def prepare_for_next_attempt(self, *, state, request, response=None, error=None) -> None:
        if response is None:
            raise error  # type: ignore[misc]
        state.next_attempt_requested = True
        retry_after = next((v for k, v in response.headers.items() if k.lower() == "retry-after"), None)
        try:
            wait = float(retry_after[0] if isinstance(retry_after, list) else retry_after) if retry_after else 1.0
        except (TypeError, ValueError):
            wait = 1.0
        event = getattr(_call, "abandoned", None)
        if event is not None and event.wait(wait + 0.2):
            raise TimeoutError(
                "given up while waiting for Slack's rate limit"
            )  # nobody is waiting for this call any more
        if event is None:
            time.sleep(wait + 0.2)
        state.increment_current_attempt()


class _ServerErrorRetry(ServerErrorRetryHandler):
    """500 and 503, except for a card: Slack may have posted it before failing (three 500s would make three cards)."""

    def _can_retry(self, **kwargs) -> bool:
        return not _once() and not _abandoned() and super()._can_retry(**kwargs)


class _ConnectionRetry(ConnectionErrorRetryHandler):
    """Connection errors. slack_sdk's handler retries URLError, ConnectionResetError and RemoteDisconnected.

    urllib raises URLError only when the request could not be sent (connection refused, DNS, a failure
    while writing it): Slack cannot have acted on it, so it is retried for every call. A reset or a
    disconnect while waiting for the answer comes after the request reached Slack, which may have
    posted the card: for a card that is left to `find_posted` instead of sent again.
    """

    def _can_retry(self, *, state, request, response=None, error=None) -> bool:
        if _abandoned():
            return False
        if _once() and not isinstance(error, URLError):
            return False
        return super()._can_retry(state=state, request=request, response=response, error=error)


def make_client(
    token: str,
    base_url: str,
    timeout: int = CALL_TIMEOUT,
    retry_interval: RetryIntervalCalculator = default_interval_calculator,  # the wait before a 5xx or connection retry
) -> WebClient:
    # slack_sdk retries nothing on 429 or 5xx unless asked to, and adds its own ConnectionErrorRetryHandler.
    client = WebClient(token=token, base_url=base_url, timeout=timeout, retry_handlers=[])
    client.retry_handlers.extend(
        [
            _RateLimitRetry(max_retry_count=3),
            _ServerErrorRetry(max_retry_count=2, interval_calculator=retry_interval),
            _ConnectionRetry(interval_calculator=retry_interval),
        ]
    )
    return client


def _called(notify: tuple[str, ...]) -> str:
    """Slack's mentions of the people (member ids) or "channel" to call on; ids are ours, from settings."""
    return "".join("<!channel> " if who == "channel" else f"<@{slack_cards.escape(who)}> " for who in notify)


class _Refused(Exception):
    """Slack refused this card's content (not the channel, the token or the moment)."""

    def __init__(self, error: str):
        super().__init__(error)
        self.error = error


class SlackSink:
    """Posts mention cards into one channel, paced to Slack's one message per second.

    Every call has a total deadline: urllib's timeout covers one socket operation, so a server
    trickling a byte every few seconds could otherwise hold a call for ever. A call past its
    deadline is abandoned (its thread is left to finish on its own, and retries nothing).
    """

    platform = "slack"

    def __init__(self, client: WebClient, channel: str, min_interval: float = 1.0, deadline: float = CALL_DEADLINE):
        self.client = client
        self.channel = channel
        self.min_interval = min_interval
        self.deadline = deadline
        self._last_post = 0.0

    def _call(self, method: Callable, once: bool = False, **kwargs):
        """`method(**kwargs)` within `self.deadline` seconds; `once`: never resend it after it may have reached Slack."""
        result: dict = {}
        abandoned = threading.Event()

        def run() -> None:
            _call.abandoned, _call.once = abandoned, once
            try:
                result["value"] = method(**kwargs)
            except BaseException as exc:  # handed to the caller's thread
                result["error"] = exc

        worker = threading.Thread(target=run, name="slack-call", daemon=True)
        worker.start()
        worker.join(self.deadline)
        if worker.is_alive():
            abandoned.set()
            raise TimeoutError(f"Slack did not answer within {self.deadline:g} seconds")
        if "error" in result:
            raise result["error"]
        return result["value"]

    def post(self, mention: Mention, triage: Triage, handling: Handling | None = None) -> ChatRef:
        text = slack_cards.fallback_text(mention, triage)
        try:
            return self._post_card(mention, text, slack_cards.card_blocks(mention, triage, handling))
        except _Refused as exc:
            log.warning("Slack refused the card of %s (%s); posting a minimal card instead.", mention.id, exc.error)
        try:
            return self._post_card(mention, text, slack_cards.minimal_blocks(mention, handling))
        except _Refused as exc:
            raise CardRefused(
                f"Slack refused the card of {mention.id} ('{exc.error}'), even in its minimal form; "
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
        return self.posted_cards(since - timedelta(minutes=1), since + timedelta(minutes=15), FIND_PAGES).get(
            mention_id
        )

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
        text = slack_cards.fallback_text(mention, triage)
        minimal = slack_cards.minimal_blocks(mention, handling)
        for blocks in (slack_cards.card_blocks(mention, triage, handling), minimal):
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
            text=_called(notify) + slack_cards.fit(text, slack_cards.NOTE_LIMIT),
        )

    def say(self, text: str, notify: tuple[str, ...] = ()) -> bool:
        return self._send(
            "post in the channel",
            bool(notify),
            channel=self.channel,
            text=_called(notify) + slack_cards.fit(text, slack_cards.SAY_LIMIT),
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

    slack_actions.register(app, desk, sink)
    slack_reports.register(app, status_lines, reports)
    app.error(slack_actions.on_listener_error)
    return app
