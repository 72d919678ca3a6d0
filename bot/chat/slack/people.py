"""People's names in Slack (and whether they are bots), from `users.info`."""

from __future__ import annotations

import logging
import threading

from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError

from bot.models import Actor

log = logging.getLogger(__name__)


class People:
    """Names (and whether they are bots) from `users.info`, remembered for the life of the process."""

    def __init__(self, client: WebClient):
        self.client = client
        self._known: dict[str, Actor] = {}
        self._lock = threading.Lock()

    def actor(self, user: dict) -> Actor:
        user_id = user.get("id", "")
        with self._lock:
            known = self._known.get(user_id)
        if known is None:
            found = self._look_up(user_id)
            known = found or Actor(user_id, user.get("name") or user.get("username") or user_id)
            if found:  # a failed lookup is tried again next time
                with self._lock:
                    self._known[user_id] = known
        return known

    def _look_up(self, user_id: str) -> Actor | None:
        try:
            user = self.client.users_info(user=user_id)["user"]
        except (SlackApiError, OSError, KeyError, TypeError):
            log.warning("Could not look up the Slack name of %s; using the name in the request.", user_id)
            return None
        profile = user.get("profile") or {}
        name = (
            profile.get("display_name")
            or profile.get("real_name")
            or user.get("real_name")
            or user.get("name")
            or user_id
        )
        return Actor(user_id, name, is_bot=bool(user.get("is_bot")))
