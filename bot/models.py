"""The few core types every part of Listening Post shares."""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Iterator, Protocol

LABELS = ("negative", "neutral", "positive")
INTENTS = ("question", "complaint", "praise", "other")
URGENCIES = ("low", "normal", "high")


@dataclass(frozen=True)
class Mention:
    """One thing someone said about the business, normalized across networks."""

    source: str
    external_id: str
    author_handle: str
    author_name: str
    text: str
    url: str
    created_at: datetime  # always timezone-aware UTC
    in_reply_to: str | None = None
    author_followers: int | None = None
    lang: str | None = None
    raw: dict[str, Any] = field(default_factory=dict, compare=False, repr=False)

    @property
    def id(self) -> str:
        return f"{self.source}:{self.external_id}"


@dataclass(frozen=True)
class Triage:
    """What the bot thinks of a mention and what the team could answer."""

    sentiment: float  # -1 (very negative) .. +1 (very positive)
    label: str  # one of LABELS
    intent: str  # one of INTENTS
    urgency: str  # one of URGENCIES
    suggestions: tuple[str, ...]
    spam: bool = False
    scored: bool = True  # False when the language is not one we can score


@dataclass(frozen=True)
class ChatRef:
    """Where a mention's card was posted."""

    platform: str
    channel: str
    message_id: str


@dataclass(frozen=True)
class Page:
    """One page of a source's results for one query (`key`).

    `cursor` is set only on a query's last page: the position to save once every
    page before it has been stored, so an interrupted burst is read again, never skipped.
    """

    key: str
    mentions: list[Mention]
    cursor: str | None = None


class Source(Protocol):
    """A social network (or feed) that mentions come from."""

    name: str
    reply_limit: int  # characters a reply may have on this network

    def fetch(self, cursors: dict[str, str]) -> Iterator[Page]:
        """Yield pages of new mentions since the saved cursors (query key -> cursor)."""
        ...


class ChatSink(Protocol):
    """A chat platform that shows mention cards."""

    platform: str

    def post(self, mention: Mention, triage: Triage) -> ChatRef: ...


class SourceError(Exception):
    """A source could not be read; the message is written for the business owner."""

    def __init__(self, message: str, retry_at: datetime | None = None):
        super().__init__(message)
        self.retry_at = retry_at


class PostError(Exception):
    """A card could not be posted; the message is written for the business owner."""
