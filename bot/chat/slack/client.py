"""Slack's Web API client: which failed calls are sent again, and a total deadline for each call."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from typing import Any
from urllib.error import URLError

from slack_sdk import WebClient
from slack_sdk.http_retry import RetryIntervalCalculator
from slack_sdk.http_retry.builtin_handlers import (
    ConnectionErrorRetryHandler,
    RateLimitErrorRetryHandler,
    ServerErrorRetryHandler,
)
from slack_sdk.http_retry.handler import default_interval_calculator

CALL_TIMEOUT = 10  # seconds for each socket operation (urllib's timeout is per connect or read, not per call)

# What the call running on this thread allows; set by `call` in the thread it runs the call on.
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


def call(method: Callable, deadline: float, once: bool = False, **kwargs) -> Any:
    """`method(**kwargs)` within `deadline` seconds; `once`: never resend it after it may have reached Slack.

    urllib's timeout covers one socket operation, so a server trickling a byte every few seconds
    could otherwise hold a call for ever. A call past its deadline is abandoned: its thread is
    left to finish on its own, and retries nothing.
    """
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
    worker.join(deadline)
    if worker.is_alive():
        abandoned.set()
        raise TimeoutError(f"Slack did not answer within {deadline:g} seconds")
    if "error" in result:
        raise result["error"]
    return result["value"]
