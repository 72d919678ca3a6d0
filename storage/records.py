"""The typed records storage hands to the handlers: a stored mention, a card, and the rows behind the reports."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import NamedTuple

from bot.models import ChatRef, Handling, Label, Mention, Status, Triage


def card_on(refs: tuple[ChatRef, ...], platform: str) -> ChatRef | None:
    """The card among `refs` that is on `platform`, if any."""
    return next((ref for ref in refs if ref.platform == platform), None)


class Card(NamedTuple):
    """Everything needed to draw a mention's card as it stands now."""

    mention: Mention
    triage: Triage
    handling: Handling
    refs: tuple[ChatRef, ...]  # where its cards are, one per chat platform; none until it is posted

    def ref_on(self, platform: str) -> ChatRef | None:
        return card_on(self.refs, platform)


@dataclass(frozen=True)
class StoredMention:
    """A stored mention as the team's actions decide on it: what was said, the bot's reading, who has it."""

    mention: Mention
    triage: Triage
    handling: Handling
    refs: tuple[ChatRef, ...]
    actor_id: str  # who claimed it, wrote its draft or last acted; '' before anyone did
    sending_by: str  # a reply on its way: who sent it ('') and since when (None)
    sending_at: datetime | None
    # The columns as stored, for storage's own writes (the handling's first-response times are set once).
    row: dict = field(repr=False, compare=False)

    @property
    def id(self) -> str:
        return self.mention.id

    @property
    def status(self) -> Status:
        return self.handling.status

    @property
    def card(self) -> Card:
        return Card(self.mention, self.triage, self.handling, self.refs)


@dataclass(frozen=True)
class Waiting:
    """A mention waiting for an answer, as the queue and the reminders list it."""

    id: str
    source: str
    author_handle: str
    author_name: str
    text: str
    created_at: datetime
    label: Label
    scored: bool
    status: Status
    actor_id: str  # who holds it ('' when nobody)
    actor_name: str
    refs: tuple[ChatRef, ...]  # its cards, one per chat platform

    def ref_on(self, platform: str) -> ChatRef | None:
        return card_on(self.refs, platform)


@dataclass(frozen=True)
class HeldMention:
    """A mention held back as spam, as `/listen held` lists it."""

    id: str
    source: str
    author_handle: str
    text: str
    created_at: datetime


@dataclass(frozen=True)
class FastestReply:
    """The fastest first reply in a period, for the digest."""

    source: str
    author_handle: str
    text: str
    replier_name: str
    response_secs: int


@dataclass(frozen=True)
class SourceStatus:
    """A source's last good poll, its last problem, and when it may be polled again after a rate limit."""

    source: str
    last_success_at: datetime | None = None
    last_error: str | None = None
    last_error_at: datetime | None = None
    retry_at: datetime | None = None


@dataclass(frozen=True)
class Counts:
    """The mentions stored, for the end-of-run summary and `/listen status`."""

    total: int
    posted: int
    held: int  # spam, cross-posts aside
    waiting: int  # to be posted


@dataclass(frozen=True)
class ChatPlace:
    """A channel a chat platform told the bot about (Teams, when the bot is added to a team)."""

    platform: str
    channel: str  # the platform's id for it (Teams: the conversation id)
    address: str  # where messages for it are sent (Teams: the service URL)
    team: str
    name: str
    learned_at: datetime
    group_id: str = ""  # Teams: the team's Microsoft 365 group, by which Graph reads the channel
