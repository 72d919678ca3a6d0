"""Activities Teams sends again when it did not hear back in time: the second gets the first one's answer and acts once."""

from __future__ import annotations

import asyncio
import logging
import time
from collections import OrderedDict
from collections.abc import Awaitable, Callable
from typing import Any, TypeVar

log = logging.getLogger("bot.chat.teams.listeners")  # said where the listeners' own lines are
T = TypeVar("T")


class Answered:
    """Activities already answered, for a while: Teams sends one again when it did not hear back in time
    (a slow network behind a press), and the second must not act again, only get the first's answer.

    Keyed by conversation and activity id, after the SDK checked Teams' token, so only Teams can fill it.
    """

    KEEP = 600.0  # seconds: Teams gives up retrying long before
    MOST = 2000

    def __init__(self) -> None:
        self._answers: OrderedDict[tuple[str, str], tuple[float, asyncio.Future]] = OrderedDict()
        self._sent: set[tuple[str, str]] = set()

    @staticmethod
    def _key(activity: Any) -> tuple[str, str] | None:
        conversation = getattr(getattr(activity, "conversation", None), "id", "")
        return (str(conversation), str(activity.id)) if getattr(activity, "id", None) else None

    async def once(self, activity: Any, run: Callable[[], Awaitable[T]]) -> T:
        key = self._key(activity)
        if key is None:
            return await run()
        now = time.monotonic()
        while self._answers and (len(self._answers) > self.MOST or next(iter(self._answers.values()))[0] < now):
            forgotten, _ = self._answers.popitem(last=False)
            self._sent.discard(forgotten)
        if key in self._answers:
            log.info("Teams sent a request again; it gets the first one's answer and changes nothing more.")
            return await asyncio.shield(self._answers[key][1])
        answer: asyncio.Future = asyncio.get_running_loop().create_future()
        self._answers[key] = (now + self.KEEP, answer)
        try:
            result = await run()
        except BaseException as exc:
            answer.set_exception(exc)
            answer.exception()  # retrieved: an unawaited failure is not logged again by asyncio
            raise
        answer.set_result(result)
        return result

    def first(self, activity: Any) -> bool:
        """Whether this activity's answer is to be sent now (a message's answer is posted once)."""
        key = self._key(activity)
        if key is None:
            return True
        if key in self._sent:
            return False
        self._sent.add(key)
        return True
