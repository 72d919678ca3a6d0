"""Teams' rate limits and hiccups: what Teams refused is sent again after the wait it asks for, and never twice.

Teams limits how often a bot may post in one conversation and answers 429 with a Retry-After.
The Teams SDK retries nothing (a 429 raises at once), so this middleware does, as slack_sdk's
retry handlers do for Slack.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from typing import Any

log = logging.getLogger(__name__)

ATTEMPTS = 4  # one call and three more
LONGEST_WAIT = 30.0  # seconds: a longer Retry-After fails the call now (the caller tries again later)


class RetryAfter:
    """The SDK's middleware (`Client.use`) for every call to Teams.

    A 429 means Teams took nothing: sent again after Retry-After (or 1, 2, 4 s without one).
    A 5xx is sent again only for an update or a read: sending it again changes nothing more. A new
    message that met a 5xx may have been posted, so it is not sent again here; the caller decides.
    """

    def __init__(self, sleep: Callable[[float], Awaitable[Any]] = asyncio.sleep):
        self._sleep = sleep

    async def send(self, context, next_call):
        import httpx

        for attempt in range(ATTEMPTS):
            try:
                return await next_call()
            except httpx.HTTPStatusError as exc:
                status = exc.response.status_code
                again = status == 429 or (status >= 500 and context.method.upper() in ("PUT", "GET"))
                wait = _wait(exc.response.headers.get("Retry-After"), attempt)
                if not again or attempt == ATTEMPTS - 1 or wait > LONGEST_WAIT:
                    raise
                log.info("Teams answered %d; trying again in %.0f s.", status, wait)
                await self._sleep(wait)
        raise AssertionError("unreachable: the last attempt returns or raises")


def _wait(retry_after: str | None, attempt: int) -> float:
    """Seconds to wait: Retry-After as seconds or as a date, else 1, 2, 4…"""
    if retry_after:
        try:
            return max(0.0, float(retry_after))
        except ValueError:
            try:
                return max(0.0, (parsedate_to_datetime(retry_after) - datetime.now(UTC)).total_seconds())
            except (TypeError, ValueError):
                pass
    return float(2**attempt)
