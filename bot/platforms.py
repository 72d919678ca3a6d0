"""The chat platform registry: what each platform package declares, and the one list of them wiring and service use."""

from __future__ import annotations

import importlib
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from functools import cache
from typing import TYPE_CHECKING, Any, Protocol, TextIO

from bot.models import Check

if TYPE_CHECKING:
    from bot.config import Reader, Settings
    from bot.models import ChatOutlet, ChatSink
    from handlers.desk import Desk
    from handlers.stats import Reports

# The registry list: each is a package under bot/chat/ whose __init__ declares PLATFORM.
KEYS = ("slack", "teams")


@dataclass(frozen=True)
class Backend:
    """What a platform's inbound side acts on: the actions, the reports and `/listen status`."""

    desk: Desk
    reports: Reports
    status_lines: Callable[[], list[str]]


class Inbound(Protocol):
    """A platform's way in (a socket it holds open, or a web server), opened before anything is polled."""

    description: str  # for the log: "Connected to Slack in Socket Mode."

    def serve(self) -> None:
        """Take requests until `stop` is called."""

    def stop(self) -> None: ...


@dataclass(frozen=True)
class ChatPlatform:
    """Everything about one chat platform that code outside its package needs to know.

    Its settings object (`cfg`) is whatever its `read` returns; only its own package looks inside.
    A package imports its SDK inside the functions that use it, so declaring it costs nothing.
    """

    key: str  # stored with each card posted there
    name: str  # "Slack"
    read: Callable[[Reader], Any]  # its settings, checked (problems noted on the reader); None when none is set
    missing: Callable[[Any, bool], list[str]]  # what the service needs that is not set (bool: also to serve)
    sink: Callable[[Any, Callable[[], Any]], ChatSink]  # where cards go (given how to open the database)
    open: Callable[[Any, Settings, ChatSink, Backend], Inbound]  # its way in; a ConfigError says what to fix
    check: Callable[[Any, Settings], Iterator[Check]]  # doctor's checks (cfg is None when nothing is set)
    member_id: re.Pattern[str]  # a person's ID there, as REPLY_APPROVERS lists them
    member_ids: str  # what they look like: "Slack member IDs like U0123ABCD"
    member_id_help: str  # where to find one
    secrets: tuple[str, ...] = ()  # settings that are never echoed or logged


@cache
def platforms() -> tuple[ChatPlatform, ...]:
    """Every chat platform, in the registry's order (each package imported once, on first use)."""
    return tuple(importlib.import_module(f"bot.chat.{key}").PLATFORM for key in KEYS)


def platform(key: str) -> ChatPlatform | None:
    return next((p for p in platforms() if p.key == key), None)


def name(key: str) -> str:
    """A platform's name for people ("Microsoft Teams"); the key itself for one not declared (the console)."""
    found = platform(key)
    return found.name if found else key


def secrets() -> tuple[str, ...]:
    return tuple(s for p in platforms() for s in p.secrets)


def console(out: TextIO) -> ChatSink:
    """The terminal as a chat: the demo's cards, and where `python -m bot stats` prints its reports."""
    return importlib.import_module("bot.chat.console").ConsoleSink(out)


class EveryChat:
    """Every chat platform set up, as one: a card redrawn, a note or a message goes to each platform it concerns.

    Cards themselves are posted by the pipeline to each platform in turn (`chats`); a person's ID in
    `notify` is passed only to the platform whose IDs look like it.
    """

    platform = "every"

    def __init__(self, sinks: tuple[ChatSink, ...]):
        self.sinks = sinks

    def sink_for(self, platform: str) -> ChatSink | None:
        return next((s for s in self.sinks if s.platform == platform), None)

    def update(self, ref, mention, triage, handling) -> None:
        if found := self.sink_for(ref.platform):
            found.update(ref, mention, triage, handling)

    def note(self, ref, text: str, notify: tuple[str, ...] = ()) -> bool:
        found = self.sink_for(ref.platform)
        return found.note(ref, text, _theirs(ref.platform, notify)) if found else False

    def say(self, message, notify: tuple[str, ...] = ()) -> bool:
        said = [s.say(message, _theirs(s.platform, notify)) for s in self.sinks]
        return any(said)


def _theirs(key: str, notify: tuple[str, ...]) -> tuple[str, ...]:
    """The IDs in `notify` that are people on platform `key` (and "channel", which every platform has)."""
    declared = platform(key)
    return tuple(who for who in notify if who == "channel" or (declared and declared.member_id.match(who)))


def chats(sink: ChatSink | EveryChat | None) -> tuple[ChatSink, ...]:
    """The platforms' own sinks behind `sink`."""
    if sink is None:
        return ()
    return sink.sinks if isinstance(sink, EveryChat) else (sink,)


def draws(sink: ChatOutlet, key: str) -> bool:
    """Whether `sink` (one platform's, or every platform's) shows cards on platform `key`."""
    return any(s.platform == key for s in sink.sinks) if isinstance(sink, EveryChat) else sink.platform == key
