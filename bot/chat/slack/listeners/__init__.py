"""Bolt's listeners, one module per kind of request, each attached by its `register(app)`."""

from __future__ import annotations

from slack_bolt import App

from bot.chat.slack.listeners import actions, commands, events, views


def register_listeners(app: App) -> None:
    actions.register(app)
    views.register(app)
    commands.register(app)
    events.register(app)
