"""Bluesky mentions, replies and quotes (and an optional search) through the atproto SDK."""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import TYPE_CHECKING

import regex

from bot.models import Mention, Page, ReplyError, SentReply, SourceError
from bot.sources.common import FIRST_POLL_SIZE, iso, scrub, utc
from bot.sources.deadline import deadline_request, exceeded, took_too_long
from bot.sources.registry import Network

if TYPE_CHECKING:  # the library is imported where it is used, so declaring the network costs nothing
    from atproto import Client
    from atproto.exceptions import RequestException

    from bot.config import Reader

log = logging.getLogger(__name__)

PAGE_SIZE = 100  # the most listNotifications and searchPosts return per page
MAX_PAGES = 50  # per query and poll; a range not read to its end is read again next poll
OVERLAP = timedelta(minutes=15)  # read again before the saved time: search and notifications can index late
REASONS = ["mention", "reply", "quote"]
APP_PASSWORDS = "Settings → Privacy and security → App passwords"


def post_url(handle: str, uri: str) -> str:
    """The post on bsky.app (at://did/app.bsky.feed.post/rkey → /profile/handle/post/rkey)."""
    return f"https://bsky.app/profile/{handle}/post/{uri.rsplit('/', 1)[-1]}"


def explain(exc: Exception, where: str) -> SourceError:
    """Turn an atproto error into words for the owner, with when to try again."""
    from atproto.exceptions import (
        BadRequestError,
        NetworkError,
        RateLimitExceededError,
        RequestException,
        UnauthorizedError,
    )

    seconds = exceeded(exc)
    if seconds is not None:
        return SourceError(took_too_long("Bluesky", seconds))
    if isinstance(exc, RateLimitExceededError):
        until = exc.reset_at
        return SourceError(
            f"Bluesky rate limit reached; trying again at {until:%H:%M} UTC."
            if until
            else "Bluesky rate limit reached; will try again next poll.",
            retry_at=until,
        )
    if isinstance(exc, UnauthorizedError):
        return SourceError(
            f"Bluesky did not accept BLUESKY_HANDLE and BLUESKY_APP_PASSWORD. Check the handle (like "
            f"bramblecafe.bsky.social) and make a new app password under {APP_PASSWORDS}."
        )
    if isinstance(exc, BadRequestError):
        return SourceError(f"Bluesky refused the request (400): {_detail(exc)}. Check BLUESKY_SEARCH.")
    if isinstance(exc, NetworkError) and exc.response is None:
        return SourceError(f"Could not reach Bluesky at {where}; will try again next poll.")
    if isinstance(exc, RequestException) and exc.response is not None and exc.response.status_code == 404:
        return SourceError(
            f"There is no Bluesky service at {where} (404). Leave BLUESKY_SERVICE_URL unset unless you "
            "run your own server."
        )
    if isinstance(exc, (NetworkError, RequestException)) and exc.response is not None:
        return SourceError(f"Bluesky is having trouble (HTTP {exc.response.status_code}); will try again next poll.")
    return SourceError("Bluesky sent a response Listening Post could not read; will try again next poll.")


def _detail(exc: RequestException) -> str:
    content = exc.response.content if exc.response is not None else None
    return str(getattr(content, "message", "") or getattr(content, "error", "") or "no reason given")[:200]


def explain_reply(exc: Exception) -> ReplyError:
    from atproto.exceptions import (
        BadRequestError,
        NetworkError,
        RateLimitExceededError,
        RequestException,
        UnauthorizedError,
    )

    if isinstance(exc, RateLimitExceededError):
        return ReplyError("Bluesky is limiting how often the account can post, so nothing was posted. Try again later.")
    if isinstance(exc, UnauthorizedError):
        return ReplyError(
            f"Bluesky did not accept the app password, so nothing was posted. Make a new one under {APP_PASSWORDS}."
        )
    if isinstance(exc, BadRequestError):
        return ReplyError(f"Bluesky did not accept this reply, so nothing was posted: {_detail(exc)}")
    if isinstance(exc, NetworkError) and exc.response is None and "Connect" in repr(exc.__cause__):
        return ReplyError("Could not reach Bluesky, so nothing was posted. Try again in a few minutes.")
    if (
        isinstance(exc, (NetworkError, RequestException))
        and exc.response is not None
        and exc.response.status_code >= 500
    ):
        return ReplyError(
            f"Bluesky is having trouble (HTTP {exc.response.status_code}), so nothing was posted. Try again later."
        )
    return ReplyError(
        "Bluesky did not confirm this reply, so it may or may not be posted. Check the account on Bluesky "
        "before sending it again.",
        unsure=True,
    )


class BlueskySource:
    """Reads what Bluesky notifies the account of (mentions, replies, quotes), and optionally a search."""

    name = "bluesky"
    can_reply = True

    def __init__(self, service_url: str, handle: str, app_password: str, search: str = ""):

        self.service_url = service_url
        self.handle = handle
        self._password = app_password
        self.search = search
        self._client: Client | None = None
        self._login_lock = threading.Lock()  # the scheduler and a Slack listener may both need the session

    def client(self) -> Client:
        """A logged-in client, made once: the SDK refreshes the session itself (createSession is rate-limited)."""
        from atproto import Client

        with self._login_lock:
            if self._client is None:
                # Every request with a total deadline, and pages with a lone surrogate read, not refused.
                client = Client(base_url=self.service_url, request=deadline_request())
                client.login(self.handle, self._password)
                self._client = client
            return self._client

    def fetch(self, cursors: dict[str, str]) -> Iterator[Page]:
        from atproto import models
        from atproto.exceptions import AtProtocolError, UnauthorizedError

        try:
            client = self.client()
            own = client.me.did

            def notifications(cursor: str | None, limit: int) -> tuple[list, str | None]:
                body = client.invoke_query(
                    "app.bsky.notification.listNotifications",
                    models.AppBskyNotificationListNotifications.Params(limit=limit, cursor=cursor, reasons=REASONS),
                ).content
                return _listed(body, "notifications")

            yield from self._read(
                "notifications", cursors.get("notifications"), notifications, lambda n: _from_notification(n, own)
            )
            if self.search:

                def search(cursor: str | None, limit: int) -> tuple[list, str | None]:
                    body = client.invoke_query(
                        "app.bsky.feed.searchPosts",
                        models.AppBskyFeedSearchPosts.Params(q=self.search, sort="latest", limit=limit, cursor=cursor),
                    ).content
                    return _listed(body, "posts")

                key = f"search:{self.search}"
                yield from self._read(key, cursors.get(key), search, lambda p: _from_post(p, own))
        except UnauthorizedError as exc:
            self._client = None  # log in again next poll
            raise explain(exc, self.service_url) from exc
        # atproto's errors and an answer of the wrong shape (ValueError) are Bluesky's problem, said in plain
        # words; anything else is a bug of ours and reaches the pipeline, which logs it with its traceback.
        except (AtProtocolError, ValueError) as exc:
            log.debug("Bluesky request failed", exc_info=True)
            raise explain(exc, self.service_url) from exc

    def _read(self, key: str, since: str | None, call: Callable, parse: Callable) -> Iterator[Page]:
        """Newest first: read pages down to the time saved last poll, then save the newest time.

        Bluesky has no "since" parameter for these, so the cursor is the newest indexedAt seen.
        Items down to `OVERLAP` before it are read again and dropped as known, so a post indexed
        late is still read. The newest time is saved only once the pages reached that far (or the
        list's end): an empty page in the middle is not the end, and then nothing is saved and the
        range is read again next poll.
        """
        floor = utc(since) if since else None
        start = floor - OVERLAP if floor else None  # read again: a post can be indexed later than newer ones
        newest: datetime | None = None
        cursor = None
        seen: set[str] = set()
        pages = 0
        while True:
            size = FIRST_POLL_SIZE if floor is None else PAGE_SIZE
            items, next_cursor = call(cursor, size)
            pages += 1
            times = [_indexed_at(item) for item in items]
            newest = max([t for t in times if t] + ([newest] if newest else []), default=None)
            fresh = [item for item, t in zip(items, times, strict=False) if start is None or t is None or t >= start]
            yield Page(key, _parse_each(fresh, parse))
            reached = start is None or any(t is not None and t <= start for t in times)
            # The list's real end is a short last page, or nothing at all on the first; a full page
            # without a cursor, or an empty one reached through a cursor, is a range cut short.
            ended = not next_cursor and (len(items) < size if items else pages == 1)
            if reached or ended:
                complete = True
                break
            if not next_cursor or next_cursor in seen or pages >= MAX_PAGES:
                complete = False  # an empty page mid-range, or a cursor going round in circles
                break
            seen.add(next_cursor)
            cursor = next_cursor
        if not complete:
            log.info("Bluesky sent an empty page in the middle of %s; the range is read again next poll.", key)
        elif newest and (floor is None or newest > floor):
            yield Page(key, [], cursor=iso(newest))

    def reply(self, mention: Mention, text: str) -> SentReply:
        """Post `text` as a reply record: the thread's root and the mention as parent, with its links made clickable."""
        from atproto import models
        from atproto.exceptions import AtProtocolError
        from atproto_client.utils.facet_detection import detect_facets

        parent = models.ComAtprotoRepoStrongRef.Main(uri=mention.raw["uri"], cid=mention.raw["cid"])
        root = mention.raw.get("root") or {}
        root_ref = models.ComAtprotoRepoStrongRef.Main(uri=root["uri"], cid=root["cid"]) if root else parent
        try:
            client = self.client()
            created = client.send_post(
                text,
                reply_to=models.AppBskyFeedPost.ReplyRef(root=root_ref, parent=parent),
                facets=detect_facets(text) or None,
            )
        except (AtProtocolError, ValueError, TypeError, KeyError) as exc:
            log.debug("Posting a reply to Bluesky failed", exc_info=True)
            raise explain_reply(exc) from exc
        return SentReply(created.uri, post_url(client.me.handle, created.uri))


def _listed(body: object, field: str) -> tuple[list, str | None]:
    """The items and next cursor of one page; an answer of another shape is unreadable (ValueError)."""
    if not isinstance(body, dict):
        raise ValueError(f"Bluesky page is {type(body).__name__}, not an object")
    items, cursor = body.get(field) or [], body.get("cursor") or None
    if not isinstance(items, list) or not isinstance(cursor, (str, type(None))):
        raise ValueError("Bluesky page fields of the wrong type")
    return items, cursor


def _indexed_at(item: dict) -> datetime | None:
    try:
        return utc(item["indexedAt"])
    except (KeyError, TypeError, ValueError):
        return None


def _parse_each(items: list, parse: Callable) -> list[Mention]:
    """Each item on its own: the SDK validates a whole page at once, so one malformed
    post would otherwise hold back every post after it, poll after poll."""
    from atproto.exceptions import ModelError

    found = []
    for item in items:
        try:
            mention = parse(item)
            if mention:
                found.append(mention)
        except (AttributeError, KeyError, TypeError, ValueError, ModelError):
            log.warning("Skipped an item from Bluesky that could not be read: %.200r", item, exc_info=True)
    return found


def _from_notification(item: dict, own_did: str) -> Mention | None:
    if item["reason"] not in REASONS:
        return None
    return _to_mention(item["uri"], item["cid"], item["author"], item["record"], own_did)


def _from_post(post: dict, own_did: str) -> Mention | None:
    return _to_mention(post["uri"], post["cid"], post["author"], post["record"], own_did)


def _to_mention(uri: str, cid: str, author: dict, record: dict, own_did: str) -> Mention | None:
    if author["did"] == own_did:
        return None  # the business's own posts are not mentions to answer
    text = record["text"].strip()
    if not text:
        raise ValueError("empty post")
    handle = author["handle"]
    reply = record.get("reply") or {}
    langs = record.get("langs") or []
    return Mention(
        source="bluesky",
        external_id=uri,  # a quote and a mention of the same post share it, so they are one card
        author_handle=handle,
        author_name=author.get("displayName") or handle,
        text=text,
        url=post_url(handle, uri),
        created_at=utc(record["createdAt"]),
        in_reply_to=(reply.get("parent") or {}).get("uri"),
        author_followers=author.get("followersCount"),
        lang=langs[0] if langs else None,
        raw=scrub({"uri": uri, "cid": cid, "root": reply.get("root")}),
    )


# --- The network: its settings, how it counts a reply, and its declaration. --------------------------------------

SERVICE_URL = "https://bsky.social"


@dataclass(frozen=True)
class BlueskySettings:
    handle: str
    app_password: str = field(repr=False)
    search: str = ""
    service_url: str = SERVICE_URL


def read_settings(r: Reader) -> BlueskySettings | None:
    r.together(
        "To listen on Bluesky",
        ("BLUESKY_HANDLE", "BLUESKY_APP_PASSWORD"),
        f"the handle is like bramblecafe.bsky.social; make an app password under {APP_PASSWORDS}",
    )
    handle = r.one(
        "BLUESKY_HANDLE",
        r"did:[a-z]+:[\w.:%-]+|[^\s/@:]+\.[^\s/@:]+|[^\s/@:]+@[^\s/@:]+\.[^\s/@:]+",
        "BLUESKY_HANDLE must be your full handle, like bramblecafe.bsky.social",
        strip=("@",),
    )
    app_password = r.get("BLUESKY_APP_PASSWORD")
    search = r.text("BLUESKY_SEARCH", 300)
    service_url = r.url("BLUESKY_SERVICE_URL", SERVICE_URL).rstrip("/")
    return BlueskySettings(handle, app_password, search, service_url) if handle and app_password else None


_GRAPHEME = regex.compile(r"\X")

NETWORK = Network(
    key="bluesky",
    name="Bluesky",
    read=read_settings,
    needs="BLUESKY_HANDLE and BLUESKY_APP_PASSWORD",
    readme="2c. Mastodon, Bluesky, Reddit and RSS",
    build=lambda cfg: BlueskySource(cfg.service_url, cfg.handle, cfg.app_password, cfg.search),
    secrets=("BLUESKY_APP_PASSWORD",),
    replies=lambda cfg: "replies sent from Slack are posted on Bluesky as replies in the thread",
    reply_limit=300,
    length=lambda text: len(_GRAPHEME.findall(text)),  # Bluesky counts what a reader sees as one character
    loggers=("atproto", "httpx", "httpcore"),  # httpx logs every request at INFO
    sample_link="https://bsky.app/profile/{handle}/post/{rkey}",
)
