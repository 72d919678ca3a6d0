"""Card permalinks: made from the workspace's address, and found again at the end of a report line."""

from __future__ import annotations

import re
from collections.abc import Callable

from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError

# A card's permalink at the end of a report line (as `card_links` writes it): shown as a link, not a raw address.
CARD_LINK = re.compile(r"(https://[^\s<>|]+/archives/[A-Z0-9]+/p\d+)$", re.MULTILINE)


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
