"""Draws mention cards in the terminal, as they would look in Slack (used by the demo)."""

from __future__ import annotations

import shutil
import sys
import textwrap
from datetime import datetime
from typing import TextIO

from bot.chat import cards
from bot.models import ChatRef, Handling, Mention, Triage


class ConsoleSink:
    platform = "console"

    def __init__(self, out: TextIO = sys.stdout):
        self.out = out
        self.width = min(88, shutil.get_terminal_size((88, 24)).columns)
        self.count = 0

    def _wrap(self, text: str, first: str = "│ ", rest: str | None = None) -> str:
        return textwrap.fill(text, self.width, initial_indent=first, subsequent_indent=rest or first)

    def post(self, mention: Mention, triage: Triage, handling: Handling | None = None) -> ChatRef:
        self.count += 1
        wrap = self._wrap
        where = f"on {cards.network_name(mention.source)} · {cards.age(mention.created_at)}"
        lines = [
            "┌" + "─" * (self.width - 1),
            wrap(f"{cards.author(mention)} {where}" + (f" · {cards.reach(mention)}" if cards.reach(mention) else "")),
            wrap(mention.text, "│   > "),
            wrap(cards.verdict(triage)),
        ]
        if cards.where_to_answer(mention):
            lines.append(wrap(cards.where_to_answer(mention)))
        if triage.suggestions:
            lines.append("│ Suggested replies:")
            lines += [wrap(s, f"│   {i}. ", "│      ") for i, s in enumerate(triage.suggestions, 1)]
            if triage.note:
                lines.append(wrap(triage.note))
        status = cards.status_line(mention, handling)
        lines += [
            wrap(status) if status else "│ [ Claim ]  [ Reply… ]  [ No reply needed ]",
            "└" + "─" * (self.width - 1),
        ]
        print("\n".join(lines), file=self.out, flush=True)
        return ChatRef(self.platform, "terminal", str(self.count))

    def update(self, ref: ChatRef, mention: Mention, triage: Triage, handling: Handling) -> None:
        """A terminal cannot redraw an earlier card, so the new state is printed under it."""
        print(
            self._wrap(
                f"{cards.author(mention)}: {cards.status_line(mention, handling)}", f"card {ref.message_id} ▸ ", "    "
            ),
            file=self.out,
            flush=True,
        )

    def note(self, ref: ChatRef, text: str, notify: tuple[str, ...] = ()) -> bool:
        called = "".join(f"@{who} " for who in notify)
        print(self._wrap(called + text, "    thread ▸ ", "             "), file=self.out, flush=True)
        return True

    def say(self, text: str, notify: tuple[str, ...] = ()) -> bool:
        print("".join(f"@{who} " for who in notify) + text, file=self.out, flush=True)
        return True

    def find_posted(self, mention_id: str, since: datetime) -> ChatRef | None:
        """A terminal keeps no history to look in, and never leaves a card unconfirmed."""
        return None

    def posted_cards(self, since: datetime, until: datetime | None = None) -> dict[str, ChatRef]:
        return {}
