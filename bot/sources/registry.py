"""The network registry: what each network module declares, and the one list of them the rest of the code loops over."""

from __future__ import annotations

import importlib
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from functools import cache
from typing import TYPE_CHECKING, Any

from bot.models import Check

if TYPE_CHECKING:
    from bot.config import Reader
    from bot.models import Source

# The registry list: adding a network is its module under bot/sources/ and its name here.
# The order is the order of doctor's lines, `/listen sources` and the set-up hints.
KEYS = ("x", "mastodon", "bluesky", "reddit", "rss", "google", "facebook", "instagram")


@dataclass(frozen=True)
class Network:
    """Everything about one network that code outside its module needs to know.

    A network's settings object (`cfg` below) is whatever its `read` returns; only its own module
    looks inside it. Network modules import their client library inside functions, so declaring
    a network costs nothing until it is set up (atproto alone adds about 40 MB).
    """

    key: str  # stored as each mention's source, and in its id ("mastodon:1234")
    name: str  # as people write it: "Mastodon"
    read: Callable[[Reader], Any]  # its settings, checked (problems noted on the reader); None when not set up
    needs: str  # the settings that turn it on: "MASTODON_BASE_URL and MASTODON_ACCESS_TOKEN"
    readme: str  # the README heading that says where to find its settings
    build: Callable[[Any], Source]  # its source, from its settings
    secrets: tuple[str, ...] = ()  # settings that are never echoed or logged
    check: Callable[[Any], Iterator[Check]] | None = None  # doctor's check; None: a first read, counted
    replies: Callable[[Any], str] = lambda cfg: "replies cannot be sent from here"  # doctor's word on replies
    reply_limit: int | None = None  # characters a reply may have; None: nobody can be answered from chat
    length: Callable[[str], int] = len  # how the network counts a reply's length
    address: str = "@{handle}"  # how a reply names the person it answers
    links: bool = True  # whether a suggested reply may carry a link
    messages: bool = True  # whether the person can be sent a private message there, so a reply may ask for a DM
    account: Callable[[Any], str] = lambda cfg: ""  # the business's own name on it, when it has one to sign with
    loggers: tuple[str, ...] = ()  # its library's loggers, which print request headers or forms at DEBUG
    sample_link: str = ""  # a link for a demo mention: {handle} {id} {user} {server} {rkey} {thing}

    @property
    def setup(self) -> str:
        """How to turn it on, as an instruction."""
        return f"set {self.needs}"


@cache
def networks() -> tuple[Network, ...]:
    """Every network, in the registry's order (each module imported once, on first use)."""
    return tuple(importlib.import_module(f"bot.sources.{key}").NETWORK for key in KEYS)


def network(key: str) -> Network | None:
    return next((n for n in networks() if n.key == key), None)


def name(key: str) -> str:
    """A network's name as people write it; an unknown key (an old database's) shown capitalised."""
    found = network(key)
    return found.name if found else key.capitalize()


def reply_limit(key: str) -> int | None:
    """Characters a reply on this network may have; None when nobody can be answered there from chat."""
    found = network(key)
    return found.reply_limit if found else None


def answerable(key: str) -> bool:
    return reply_limit(key) is not None


def reply_length(key: str, text: str) -> int:
    """The length the network counts for a reply, to compare with its `reply_limit`."""
    found = network(key)
    return found.length(text) if found else len(text)


def replying() -> tuple[str, ...]:
    """The networks a reply can be suggested and sent on."""
    return tuple(n.key for n in networks() if n.reply_limit is not None)


def secrets() -> tuple[str, ...]:
    return tuple(s for n in networks() for s in n.secrets)


def loggers() -> tuple[str, ...]:
    return tuple(logger for n in networks() for logger in n.loggers)


def set_up_hint() -> str:
    """Each network and the settings that turn it on, as one phrase for "set up at least one: …"."""
    parts = [f"{n.name} ({n.needs})" for n in networks()]
    return ", ".join(parts[:-1]) + " or " + parts[-1]


def readme_sections() -> str:
    headings = list(dict.fromkeys(n.readme for n in networks()))
    return "README → " + " and ".join(f"“{h}”" for h in headings)
