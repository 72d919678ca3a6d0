"""What every listener is handed through Bolt's context: the desk, the sink, the reports and people's names."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from slack_bolt import BoltContext

from bot.chat.slack.people import People
from bot.chat.slack.sink import SlackSink
from handlers.desk import Desk
from handlers.stats import Reports

KEY = "listening_post"  # apart from the keys Bolt itself sets (client, user_id, …)


@dataclass(frozen=True)
class Services:
    desk: Desk
    sink: SlackSink  # redraws cards and writes thread notes
    reports: Reports
    status_lines: Callable[[], list[str]]
    people: People

    def attach(self, context: BoltContext, next_: Callable[[], None]) -> None:
        """Bolt's global middleware: every request's listener finds these in its `context`."""
        context[KEY] = self
        next_()


def services(context: BoltContext) -> Services:
    return context[KEY]
