"""Small helpers every network source shares: first-poll size, times, HTML to plain text, clean JSON."""

from __future__ import annotations

import html
import re
from datetime import UTC, datetime
from typing import Any

from bot.text import clean

_LINK = re.compile(r"https?://\S+")
LINK_LENGTH = 23  # X and Mastodon count any link as 23 characters, however long


def links_shortened(text: str) -> str:
    """`text` with each link standing as long as the network counts it."""
    return _LINK.sub("x" * LINK_LENGTH, text)


FIRST_POLL_SIZE = 20  # on the very first poll, show recent mentions without flooding the channel

_BREAKS = re.compile(r"<br\s*/?>|</p>\s*<p[^>]*>|</li>|</div>", re.IGNORECASE)
_TAGS = re.compile(r"<[^>]+>")
_BLANK_LINES = re.compile(r"\n{3,}")


def html_to_text(markup: str) -> str:
    """Mastodon statuses and feed summaries arrive as HTML; a card shows plain text.

    No named dependency turns HTML into text, and these fragments are small and simple
    (paragraphs, line breaks, links), so a few patterns do it.
    """
    text = _TAGS.sub("", _BREAKS.sub("\n", markup or ""))
    return _BLANK_LINES.sub("\n\n", html.unescape(text)).strip()


def utc(moment: datetime | str | None) -> datetime:
    """A timezone-aware UTC time from a datetime or an ISO-8601 string; now when there is none."""
    if moment is None or moment == "":
        return datetime.now(UTC)
    if isinstance(moment, str):
        moment = datetime.fromisoformat(moment.replace("Z", "+00:00"))
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return moment.astimezone(UTC)


def strict_time(value: object) -> datetime:
    """A time a network's API gives (ISO-8601 / RFC 3339 text) as UTC; ValueError for anything else.

    A number or an object made `utc` raise AttributeError, and a date at the edge of the calendar
    OverflowError, which stopped every poll as a bug of ours instead of skipping the one item.
    """
    if not isinstance(value, str) or not value:
        raise ValueError("not a time")
    try:
        return utc(value)
    except (ValueError, OverflowError) as exc:
        raise ValueError("not a time") from exc


def iso(moment: datetime) -> str:
    return moment.astimezone(UTC).isoformat().replace("+00:00", "Z")


def scrub(value: Any) -> Any:
    """`value` (parsed JSON) with every string cleaned: no lone surrogates, NUL or control characters.

    A `Mention`'s own fields are cleaned when it is made; what a source keeps in `raw` is stored
    as JSON too, and one lone surrogate there would stop the whole page from being stored.
    """
    if isinstance(value, str):
        return clean(value)
    if isinstance(value, dict):
        return {clean(k) if isinstance(k, str) else k: scrub(v) for k, v in value.items()}
    if isinstance(value, list):
        return [scrub(v) for v in value]
    return value
