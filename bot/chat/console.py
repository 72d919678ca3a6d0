"""The terminal: mention cards as they would look in Slack (the demo), and reports drawn with rich."""

from __future__ import annotations

import shutil
import sys
import textwrap
from datetime import datetime
from typing import TextIO

from rich.console import Console
from rich.style import Style
from rich.text import Text

from bot import wording
from bot.models import ChatRef, Handling, Mention, Triage
from bot.report import Bold, Code, Link, Report


def draw(report: Report) -> Text:
    """The report's words as they are (a customer's asterisks too), bold and code in style.

    A card link is left out: a terminal cannot open a card in another chat.
    """
    text = Text()
    for i, line in enumerate(report.all_lines):
        if i:
            text.append("\n")
        for piece in line:
            if isinstance(piece, str):
                text.append(piece)
            elif isinstance(piece, Bold):
                text.append(piece.text, "bold")
            elif isinstance(piece, Code):
                text.append(piece.text, "cyan")
            elif isinstance(piece, Link):
                text.append(piece.text, Style(underline=True, link=piece.url))
    return text


class ConsoleSink:
    platform = "console"

    def __init__(self, out: TextIO = sys.stdout):
        self.out = out
        # Plain words in, plain words out: no markup, emoji codes or highlighting read into a customer's text,
        # no wrapping (a pipe or file gets each line whole), and styles only on a terminal.
        self.console = Console(file=out, soft_wrap=True, highlight=False, markup=False, emoji=False)
        self.width = min(88, shutil.get_terminal_size((88, 24)).columns)
        self.count = 0

    def _wrap(self, text: str, first: str = "│ ", rest: str | None = None) -> str:
        return textwrap.fill(text, self.width, initial_indent=first, subsequent_indent=rest or first)

    def post(self, mention: Mention, triage: Triage, handling: Handling | None = None) -> ChatRef:
        self.count += 1
        wrap = self._wrap
        where = f"on {wording.network_name(mention.source)} · {wording.age(mention.created_at)}"
        lines = [
            "┌" + "─" * (self.width - 1),
            wrap(
                f"{wording.author(mention)} {where}"
                + (f" · {wording.reach(mention)}" if wording.reach(mention) else "")
            ),
            wrap(wording.said(mention), "│   > "),
            wrap(wording.verdict(triage)),
        ]
        if wording.where_to_answer(mention):
            lines.append(wrap(wording.where_to_answer(mention)))
        if triage.suggestions:
            lines.append("│ Suggested replies:")
            lines += [wrap(s, f"│   {i}. ", "│      ") for i, s in enumerate(triage.suggestions, 1)]
            if triage.note:
                lines.append(wrap(triage.note))
        status = wording.status_line(mention, handling)
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
                f"{wording.author(mention)}: {wording.status_line(mention, handling)}",
                f"card {ref.message_id} ▸ ",
                "    ",
            ),
            file=self.out,
            flush=True,
        )

    def note(self, ref: ChatRef, text: str, notify: tuple[str, ...] = ()) -> bool:
        called = "".join(f"@{who} " for who in notify)
        print(self._wrap(called + text, "    thread ▸ ", "             "), file=self.out, flush=True)
        return True

    def say(self, message: Report, notify: tuple[str, ...] = ()) -> bool:
        self.console.print(Text("".join(f"@{who} " for who in notify)) + draw(message))
        return True

    def find_posted(self, mention_id: str, since: datetime) -> ChatRef | None:
        """A terminal keeps no history to look in, and never leaves a card unconfirmed."""
        return None

    def posted_cards(self, since: datetime, until: datetime | None = None) -> dict[str, ChatRef]:
        return {}
