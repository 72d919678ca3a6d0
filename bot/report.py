"""What a report or message says, as data: a title, lines of plain text and marked pieces, drawn by each chat platform.

Plain text is always someone's words or ours, never markup: a customer's asterisks stay asterisks on
every platform, because each platform escapes plain text and draws the marked pieces its own way.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass


@dataclass(frozen=True)
class Bold:
    text: str


@dataclass(frozen=True)
class Code:
    """Something to type, like /listen stats."""

    text: str


@dataclass(frozen=True)
class Link:
    url: str
    text: str


@dataclass(frozen=True)
class CardLink:
    """A link to a mention's card, where it was posted, drawn as `before` then a link labelled `text`.

    Only the platform the card is on can make its address; elsewhere (a terminal) it is left out, `before` too.
    """

    platform: str
    channel: str
    message_id: str
    text: str = "open card"
    before: str = " · "


Piece = str | Bold | Code | Link | CardLink
Line = tuple[Piece, ...]


@dataclass(frozen=True)
class Report:
    """A report or message: its title (may be empty) and its lines."""

    title: Line = ()
    lines: tuple[Line, ...] = ()

    @property
    def all_lines(self) -> tuple[Line, ...]:
        """The title (when there is one) and the lines, as they are drawn."""
        return ((self.title,) if self.title else ()) + self.lines

    def __add__(self, other: Report) -> Report:
        """One report after the other, the second's title as a line of its own."""
        return Report(self.title, self.lines + ((other.title,) if other.title else ()) + other.lines)


def line(*pieces: Piece) -> Line:
    return tuple(piece for piece in pieces if piece != "")


def report(title: Line | str, lines: Iterable[Line | str] = ()) -> Report:
    """A report from a title and lines, each given as a string (plain text) or a line of pieces."""
    as_line = lambda x: (x,) if isinstance(x, str) else tuple(x)  # noqa: E731
    return Report(as_line(title) if title else (), tuple(as_line(each) for each in lines))


def plain(text: Report | Line | Piece) -> str:
    """The words alone, with no marks: for logs, tests and anything that only needs the text."""
    if isinstance(text, Report):
        return "\n".join(plain(each) for each in text.all_lines)
    if isinstance(text, tuple):
        return "".join(plain(piece) for piece in text)
    if isinstance(text, str):
        return text
    if isinstance(text, CardLink):
        return ""
    return text.text
