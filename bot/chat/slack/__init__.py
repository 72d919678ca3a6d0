"""Slack: the Web API client, the card sink, the Bolt app with its listeners, and the HTTP-mode server."""

from bot.chat.slack.app import build_app
from bot.chat.slack.client import make_client
from bot.chat.slack.errors import describe
from bot.chat.slack.http import http_server
from bot.chat.slack.links import card_links
from bot.chat.slack.sink import SlackSink

__all__ = ["SlackSink", "build_app", "card_links", "describe", "http_server", "make_client"]
