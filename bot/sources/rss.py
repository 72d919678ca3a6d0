"""RSS and Atom feeds (Google Alerts, review sites, press) through feedparser, with HTTP caching."""

from __future__ import annotations

import calendar
import hashlib
import json
import logging
import re
from collections.abc import Iterator
from datetime import UTC, datetime
from typing import TYPE_CHECKING
from urllib.parse import parse_qs, urlsplit

import requests

from bot.models import Mention, Page, SourceError
from bot.sources.common import FIRST_POLL_SIZE, html_to_text, iso, scrub, utc
from bot.sources.deadline import deadline_session, exceeded, took_too_long
from bot.sources.registry import Network

if TYPE_CHECKING:
    from bot.config import Reader

log = logging.getLogger(__name__)

USER_AGENT = "ListeningPost/1.0 (+feed reader)"
TEXT_LIMIT = 700  # a feed summary can be a whole article; the card needs the gist


class RssSource:
    """Each new entry of each feed is a mention; nobody can be answered through a feed."""

    name = "rss"
    can_reply = False

    def __init__(self, feeds: tuple[str, ...], timeout: float = 20.0):
        self.feeds = feeds
        self.timeout = timeout
        self.session = deadline_session()  # a total deadline: `timeout` alone is per read
        self.session.headers["User-Agent"] = USER_AGENT

    def fetch(self, cursors: dict[str, str]) -> Iterator[Page]:
        problems = []
        for url in self.feeds:
            key = f"feed:{url}"
            try:
                page = self._read(url, key, _state(cursors.get(key)))
            except SourceError as exc:
                problems.append(str(exc))  # one broken feed never holds back the others
                continue
            if page:
                yield page
        if problems:
            raise SourceError(" ".join(problems))

    def _read(self, url: str, key: str, state: dict) -> Page | None:
        # Fetched with requests, not by feedparser itself: feedparser has no timeout, and
        # one feed that never answers would stall every source's poll.
        import feedparser

        headers = {}
        if state.get("etag"):
            headers["If-None-Match"] = state["etag"]
        if state.get("modified"):
            headers["If-Modified-Since"] = state["modified"]
        try:
            response = self.session.get(url, headers=headers, timeout=self.timeout)
        except requests.RequestException as exc:
            log.debug("Feed request failed", exc_info=True)
            seconds = exceeded(exc)
            if seconds is not None:
                raise SourceError(took_too_long(f"The feed {url}", seconds)) from None
            raise SourceError(f"Could not reach the feed {url}; will try again next poll.") from None
        if response.status_code == 304:
            return None  # unchanged since last poll: nothing to read, nothing to pay
        if response.status_code >= 400:
            hint = (
                " Check the address in RSS_FEEDS."
                if response.status_code in (401, 403, 404, 410)
                else " Will try again next poll."
            )
            raise SourceError(f"The feed {url} answered HTTP {response.status_code}.{hint}")
        parsed = feedparser.parse(
            response.content,
            response_headers={"content-type": response.headers.get("Content-Type", ""), "content-location": url},
        )
        if parsed.bozo and not parsed.entries:
            raise SourceError(
                f"{url} is not a readable RSS or Atom feed ({_reason(parsed)}). Check the address in RSS_FEEDS: "
                "it should be the feed's own address, often ending in /feed, .rss or .xml."
            )
        feed_title = parsed.feed.get("title") or urlsplit(url).netloc
        lang = (parsed.feed.get("language") or "")[:2].lower() or None
        mentions = []
        for entry in parsed.entries:
            try:
                mentions.append(to_mention(entry, feed_title, url, lang))
            except (AttributeError, KeyError, TypeError, ValueError):
                log.warning("Skipped an entry of %s that could not be read: %.200r", url, dict(entry), exc_info=True)
        since = state.get("since")
        present = {m.external_id for m in mentions}
        if since is None:
            # First poll: the newest few; the older entries in the feed now are never shown.
            mentions = sorted(mentions, key=lambda m: m.created_at)[-FIRST_POLL_SIZE:]
            shown = {m.external_id for m in mentions}
            skip = sorted(present - shown)
            since = iso(mentions[0].created_at) if mentions else iso(datetime.now(UTC))
        elif "skip" in state:
            # Later polls: every entry not set aside on the first poll, whatever its date (a review
            # site may date an entry days back); ids already stored are dropped downstream.
            skip = sorted(set(state["skip"]) & present)  # forget entries that left the feed
            mentions = [m for m in mentions if m.external_id not in set(skip)]
        else:
            # A cursor saved before "skip" existed: by date, as it was read then.
            skip = sorted(m.external_id for m in mentions if m.created_at < utc(since))
            mentions = [m for m in mentions if m.created_at >= utc(since)]
        cursor = {
            "etag": response.headers.get("ETag"),
            "modified": response.headers.get("Last-Modified"),
            "since": since,
            "skip": skip,
        }
        return Page(key, mentions, cursor=json.dumps(cursor))


def _state(saved: str | None) -> dict:
    """A feed's saved position; an unreadable one reads the feed as on a first poll."""
    try:
        state = json.loads(saved or "{}")
    except ValueError:
        state = {}
    if not isinstance(state, dict):
        state = {}
    if not isinstance(state.get("skip", []), list):
        state.pop("skip")
    return state


def _reason(parsed) -> str:
    exc = parsed.get("bozo_exception")
    return str(getattr(exc, "getMessage", lambda: exc)())[:120] if exc else "no entries"


_PLAIN_ID = re.compile(r"^[\w:/.?=&%#@+,;~-]{1,200}$")


def entry_id(raw: str) -> str:
    """A feed entry's id as the card's id. A feed may use anything (quotes, 2,000 characters):
    such an id is replaced by its digest, so it fits everywhere a card carries it (buttons, forms)."""
    raw = str(raw)
    if _PLAIN_ID.match(raw):
        return raw
    return "sha1:" + hashlib.sha1(raw.encode("utf-8", "surrogatepass")).hexdigest()


def to_mention(entry, feed_title: str, feed_url: str, lang: str | None) -> Mention:
    link = unwrap(entry.get("link") or "")
    title = html_to_text(entry.get("title") or "")
    summary = html_to_text(entry.get("summary") or "")
    text = "\n".join(part for part in (title, summary) if part)
    if not text or not (link or entry.get("id")):
        raise ValueError("an entry needs a title or summary, and a link or id")
    if len(text) > TEXT_LIMIT:
        text = text[: TEXT_LIMIT - 1].rstrip() + "…"
    stamp = entry.get("published_parsed") or entry.get("updated_parsed")
    created = datetime.fromtimestamp(calendar.timegm(stamp), UTC) if stamp else datetime.now(UTC)
    return Mention(
        source="rss",
        external_id=entry_id(entry.get("id") or link),  # the same entry in two feeds is one card
        author_handle="",
        author_name=html_to_text(entry.get("author") or "") or feed_title,
        text=text,
        url=link,
        created_at=created,
        lang=lang,
        raw=scrub({"feed": feed_url, "feed_title": feed_title}),
    )


def unwrap(link: str) -> str:
    """Google Alerts link through a google.com/url redirect; the card should open the page itself."""
    parts = urlsplit(link)
    if parts.netloc.endswith("google.com") and parts.path == "/url":
        target = parse_qs(parts.query).get("url") or parse_qs(parts.query).get("q")
        if target and target[0].startswith("http"):
            return target[0]
    return link


# --- The network: its settings and its declaration. ---------------------------------------------------------------


def read_settings(r: Reader) -> tuple[str, ...] | None:
    return r.urls("RSS_FEEDS") or None


NETWORK = Network(
    key="rss",
    name="RSS",
    read=read_settings,
    needs="RSS_FEEDS",
    readme="2c. Mastodon, Bluesky, Reddit and RSS",
    build=RssSource,
    replies=lambda feeds: "a feed cannot be answered from here; its cards say where to answer",
    loggers=("feedparser",),
)
