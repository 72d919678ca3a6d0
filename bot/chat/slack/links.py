"""Card permalinks, made from the workspace's address."""

from __future__ import annotations

from collections.abc import Callable

from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError


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
