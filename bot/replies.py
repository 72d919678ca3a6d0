"""Suggested replies: the owner's TOML templates, filled and fitted to the network's limits."""
from __future__ import annotations

import re
import string
import tomllib
import zlib
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import regex

from bot.config import ConfigError
from bot.models import REPLY_LIMITS

PLACEHOLDERS = {"handle", "first_name", "topic", "business"}
NO_LINKS = {"x"}  # a reply with a link costs the business about 13 times more on X
ADDRESS = {"reddit": "u/{handle}"}  # how a reply addresses the person, where it is not @handle
SECTIONS = ("complaint", "question", "praise", "other", "not_english")
_URL = re.compile(r"\s*(https?://|www\.)\S+", re.IGNORECASE)
_SPACES = re.compile(r"[ \t]{2,}")


@dataclass(frozen=True)
class ReplyTemplates:
    replies: dict[str, list[str]]
    topics: dict[str, re.Pattern]  # topic name -> one pattern for all its words

    @classmethod
    def load(cls, path: str | Path) -> "ReplyTemplates":
        path = Path(path)
        try:
            data = tomllib.loads(path.read_text(encoding="utf-8"))
        except (OSError, UnicodeDecodeError) as exc:
            raise ConfigError(f"Could not read the reply templates at {path}: {exc}.") from None
        except tomllib.TOMLDecodeError as exc:
            raise ConfigError(f"The reply templates at {path} are not valid TOML ({exc}).") from None
        replies = data.get("replies", {})
        for section in SECTIONS:
            entries = replies.get(section)
            if not isinstance(entries, list) or not entries or not all(isinstance(e, str) for e in entries):
                raise ConfigError(f"{path}: [replies] needs '{section}' as a list of at least one reply.")
            for entry in entries:
                unknown = placeholders(entry) - PLACEHOLDERS
                if unknown:
                    raise ConfigError(
                        f"{path}: the reply \"{entry[:60]}\" uses {{{sorted(unknown)[0]}}}; "
                        f"the placeholders are {', '.join('{' + p + '}' for p in sorted(PLACEHOLDERS))}."
                    )
        topics = {
            str(name): re.compile(r"\b(?:" + "|".join(re.escape(str(w)) for w in words) + r")\b", re.IGNORECASE)
            for name, words in data.get("topics", {}).items()
            if isinstance(words, list) and words
        }
        return cls(replies={s: list(replies[s]) for s in SECTIONS}, topics=topics)

    def topic_of(self, text: str) -> str | None:
        return next((name for name, pattern in self.topics.items() if pattern.search(text)), None)

    def suggest(
        self, *, intent: str, handle: str, name: str, text: str, business: str,
        network: str = "x", english: bool = True, count: int = 3,
    ) -> list[str]:
        """Up to `count` replies that fit the network's length limit and conventions."""
        if network not in REPLY_LIMITS:
            return []  # a feed entry cannot be answered from here, so there is nothing to suggest
        section = intent if english else "not_english"
        templates = self.replies.get(section) or self.replies["other"]
        limit = REPLY_LIMITS[network]
        allow_links = network not in NO_LINKS
        values = {
            "handle": handle or "there",
            "first_name": first_name(name),
            "topic": self.topic_of(text),
            "business": business,
        }
        # Start at a place that depends on the text, so a busy channel doesn't show
        # the same three replies on every card, yet a card's suggestions never change.
        start = zlib.crc32(text.encode("utf-8")) % len(templates)
        chosen: list[str] = []
        for template in templates[start:] + templates[:start]:
            reply = fill(template.replace("@{handle}", ADDRESS.get(network, "@{handle}")), values, allow_links)
            if reply and reply_length(network, reply) <= limit and reply not in chosen:
                chosen.append(reply)
            if len(chosen) == count:
                break
        return chosen


def first_name(name: str) -> str:
    words = name.split()
    if words and words[0].isalpha() and 1 < len(words[0]) <= 20:
        return words[0].capitalize() if words[0].islower() else words[0]
    return "there"  # "Hi there" reads better than "Hi maria_eats_88"


@lru_cache(maxsize=512)
def placeholders(template: str) -> frozenset[str]:
    return frozenset(name for _, name, _, _ in string.Formatter().parse(template) if name is not None)


def fill(template: str, values: dict[str, str | None], allow_links: bool) -> str | None:
    """The filled reply, or None when it needs a placeholder we have no value for."""
    if any(not values.get(n) for n in placeholders(template)):
        return None
    reply = template.format(**values)
    if not allow_links and ("http" in reply or "www." in reply):
        reply = _URL.sub("", reply)
        reply = _SPACES.sub(" ", reply)
    return reply.strip()


# twitter-text v3: these code points weigh 1, every other (CJK, emoji…) 2, and any link 23.
_X_LIGHT_RANGES = ((0, 4351), (8192, 8205), (8208, 8223), (8242, 8247))
_X_HEAVY = re.compile("[^" + "".join(f"{chr(lo)}-{chr(hi)}" for lo, hi in _X_LIGHT_RANGES) + "]")
_LINK = re.compile(r"https?://\S+")
_GRAPHEME = regex.compile(r"\X")


def reply_length(network: str, text: str) -> int:
    """The length the network counts for a reply, to compare with REPLY_LIMITS."""
    if network == "bluesky":
        return len(_GRAPHEME.findall(text))  # Bluesky counts what a reader sees as one character
    if network == "mastodon":
        return len(_LINK.sub("x" * 23, text))  # any link counts 23
    if network != "x":
        return len(text)
    text = _LINK.sub("x" * 23, text)
    return len(text) + len(_X_HEAVY.findall(text))  # heavy characters count twice
