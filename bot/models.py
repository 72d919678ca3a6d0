"""The few core types every part of Listening Post shares."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from enum import StrEnum
from typing import Any, Protocol, runtime_checkable

from bot.report import Report
from bot.text import clean, one_line


# Each value is the word stored in the database and shown in JSON, CSV and reports: StrEnum members are
# those strings, so they compare, hash and print as the words do.
class Label(StrEnum):
    """The mood of a mention."""

    NEGATIVE = "negative"
    NEUTRAL = "neutral"
    POSITIVE = "positive"


class Intent(StrEnum):
    """What a mention wants; also the name of its section in the reply templates."""

    QUESTION = "question"
    COMPLAINT = "complaint"
    PRAISE = "praise"
    OTHER = "other"


class Urgency(StrEnum):
    """How soon a mention wants an answer, lowest first."""

    LOW = "low"
    NORMAL = "normal"
    HIGH = "high"


class Status(StrEnum):
    """Where the team is with a mention."""

    NEW = "new"
    HELD = "held"  # spam or a cross-post: stored and counted, never a card of its own
    CLAIMED = "claimed"
    PENDING = "pending"  # a reply waits for an approver
    REPLIED = "replied"
    DISMISSED = "dismissed"


OK, PROBLEM, NOTE = "✓", "✗", "•"  # doctor's marks
Check = tuple[str, str]  # one line of doctor: (mark, sentence)


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
    rating: int | None = None  # a review's stars, 1 to 5; None for a post

    def __post_init__(self):
        # Every mention is cleaned where it is made, whichever network it came from: one bad
        # character must never stop triage, storage or a card.
        for name in ("external_id", "author_handle", "author_name", "url"):
            object.__setattr__(self, name, one_line(getattr(self, name)))
        object.__setattr__(self, "text", clean(self.text))
        if self.rating is not None and (type(self.rating) is not int or not 1 <= self.rating <= 5):
            object.__setattr__(self, "rating", None)  # a rating no review has is no rating

    @property
    def id(self) -> str:
        return f"{self.source}:{self.external_id}"


@dataclass(frozen=True)
class Triage:
    """What the bot thinks of a mention and what the team could answer."""

    sentiment: float  # -1 (very negative) .. +1 (very positive)
    label: Label
    intent: Intent
    urgency: Urgency
    suggestions: tuple[str, ...]
    spam: bool = False
    scored: bool = True  # False when the language is not one we can score
    note: str = ""  # where the first suggestion came from: the business's facts, or a reply the team sent before
    harm: str | None = None  # the kind of harm a complaint tells of (health, allergy, …): careful replies only


@dataclass(frozen=True)
class ChatRef:
    """Where a mention's card was posted."""

    platform: str
    channel: str
    message_id: str


@dataclass(frozen=True)
class Actor:
    """A person (or the business account itself) acting on a mention."""

    id: str
    name: str
    is_bot: bool = False  # a bot's clicks are logged but never count as a response

    def __post_init__(self):
        object.__setattr__(self, "name", one_line(self.name))  # a display name is one line of plain text


@dataclass(frozen=True)
class Handling:
    """Where the team is with a mention, as its card shows it."""

    status: Status
    actor_name: str = ""  # who claimed, replied, dismissed, reopened or wrote the draft
    at: datetime | None = None  # when the status last changed
    note: str = ""  # the reply text, the draft waiting for approval, or the dismissal reason
    via: str = ""  # how: button, modal, approval, outside, platform
    reply_url: str = ""
    approved_by: str = ""
    response_secs: int | None = None  # first response time; reopening never resets it
    posted_at: datetime | None = None


@dataclass(frozen=True)
class NetworkReply:
    """A post the business account made on a network in reply to something."""

    source: str
    external_id: str
    in_reply_to: str  # the external id of the post it answers
    text: str
    url: str
    created_at: datetime
    account: str  # the business account's handle, for the card


@dataclass(frozen=True)
class SentReply:
    """A reply Listening Post posted on a network."""

    external_id: str
    url: str


@dataclass(frozen=True)
class Page:
    """One page of a source's results for one query (`key`).

    `cursor` is set only on a query's last page: the position to save once every
    page before it has been stored, so an interrupted burst is read again, never skipped.
    """

    key: str
    mentions: list[Mention]
    cursor: str | None = None
    replies: list[NetworkReply] = field(default_factory=list)


class Source(Protocol):
    """A social network (or feed) that mentions come from."""

    name: str

    def fetch(self, cursors: dict[str, str]) -> Iterator[Page]:
        """Yield pages of new mentions (and the account's own replies) since the saved cursors."""
        ...


@runtime_checkable
class ReplyingSource(Source, Protocol):
    """A source that can also post replies on its network (when its settings allow: `can_reply`)."""

    can_reply: bool

    def reply(self, mention: Mention, text: str) -> SentReply:
        """Post `text` as a reply to `mention`; raises ReplyError with words for the owner."""
        ...


class ChatOutlet(Protocol):
    """Where cards are redrawn and things said: one chat platform's sink, or every platform set up at once."""

    platform: str

    def update(self, ref: ChatRef, mention: Mention, triage: Triage, handling: Handling) -> None:
        """Redraw a card in place; a failure is logged, never raised (the action is already recorded)."""

    def note(self, ref: ChatRef, text: str, notify: tuple[str, ...] = ()) -> bool:
        """Add a line to the card's thread, for the team only, calling on `notify` (member ids, or "channel").

        Returns whether it was written; a failure is logged, never raised.
        """

    def say(self, message: Report, notify: tuple[str, ...] = ()) -> bool:
        """Post a message (a digest, a reminder) in the channel, calling on `notify`; returns whether it was posted."""


class ChatSink(ChatOutlet, Protocol):
    """A chat platform that shows mention cards."""

    def post(self, mention: Mention, triage: Triage, handling: Handling | None = None) -> ChatRef:
        """Show a card; raises PostError (CardRefused: never postable; PostUnconfirmed: may have been shown)."""

    def find_posted(self, mention_id: str, since: datetime) -> ChatRef | None:
        """The card of `mention_id` if an earlier, unconfirmed attempt since `since` did get posted.

        Raises PostError when it cannot tell (then nothing is posted until it can).
        """

    def posted_cards(self, since: datetime, until: datetime | None = None) -> dict[str, ChatRef]:
        """Every card in chat since `since`, by mention id (a bounded look-up); raises PostError when it cannot tell.

        Used once when a process starts posting: a restored or new database then recognises the
        cards that are already in chat instead of posting them again.
        """


class SourceError(Exception):
    """A source could not be read; the message is written for the business owner."""

    def __init__(self, message: str, retry_at: datetime | None = None):
        super().__init__(message)
        self.retry_at = retry_at


class PostError(Exception):
    """A card could not be posted; the message is written for the business owner."""


class CardRefused(PostError):
    """The chat platform refused this card for good, even in its minimal form: set it aside and move on."""


def attempt_window(attempted: datetime) -> tuple[datetime, datetime]:
    """Where in chat an unconfirmed post made at `attempted` can be: from a minute before (the chat's clock
    may differ) to fifteen after (a slow answer)."""
    return attempted - timedelta(minutes=1), attempted + timedelta(minutes=15)


class PostUnconfirmed(PostError):
    """The chat platform may have accepted the card without saying so (a timeout or a 5xx after sending).

    The attempt stays recorded; before posting it again, `find_posted` looks for it.
    """


class ReplyError(Exception):
    """A reply could not be posted; the message is written for the person replying.

    `unsure` means the network may have posted it anyway (it did not answer in time).
    """

    def __init__(self, message: str, unsure: bool = False):
        super().__init__(message)
        self.unsure = unsure
