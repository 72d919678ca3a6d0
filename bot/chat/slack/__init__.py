"""Slack: the platform's declaration here; the Web API client, card sink, Bolt app, listeners and HTTP server in its modules."""

from bot.chat.slack.platform import PLATFORM

__all__ = ["PLATFORM"]
