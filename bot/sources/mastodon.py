"""Mastodon mentions (and optional hashtag timelines) through Mastodon.py."""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING

import requests

from bot.models import Mention, Page, ReplyError, SentReply, SourceError
from bot.sources.common import FIRST_POLL_SIZE, html_to_text, links_shortened, scrub, utc
from bot.sources.deadline import deadline_session, exceeded, took_too_long
from bot.sources.registry import Network

if TYPE_CHECKING:  # the library is imported where it is used, so declaring the network costs nothing
    from mastodon import Mastodon, MastodonError

    from bot.config import Reader

log = logging.getLogger(__name__)

PAGE_SIZE = 40  # the most Mastodon returns per page of statuses
RATE_WINDOW = timedelta(minutes=5)  # Mastodon's rate-limit window, when a 429 carries no reset time
USER_AGENT = "ListeningPost/1.0"


def make_client(base_url: str, access_token: str) -> Mastodon:
    # "throw": Mastodon.py's default is to sleep through a rate limit inside the poll,
    # which would hold up every other source; we back off between polls instead.
    # The session gives every request a total deadline (request_timeout is per read).
    from mastodon import Mastodon

    return Mastodon(
        access_token=access_token,
        api_base_url=base_url,
        ratelimit_method="throw",
        request_timeout=20,
        version_check_mode="none",
        user_agent=USER_AGENT,
        session=deadline_session(),
    )


def explain(exc: Exception, client: Mastodon) -> SourceError:
    """Turn a Mastodon.py error into words for the owner, with when to try again."""
    from mastodon import (
        MastodonAPIError,
        MastodonNetworkError,
        MastodonNotFoundError,
        MastodonRatelimitError,
        MastodonServerError,
        MastodonUnauthorizedError,
    )

    where = client.api_base_url
    seconds = exceeded(exc)
    if seconds is not None:
        return SourceError(took_too_long(f"Mastodon at {where}", seconds))
    if isinstance(exc, MastodonAPIError) and not isinstance(_status(exc), int):
        return SourceError(
            "Mastodon sent a response Listening Post could not read; will try again next poll."
        )  # not JSON
    if isinstance(exc, MastodonRatelimitError):
        # Mastodon.py has already turned the ISO-8601 X-RateLimit-Reset header into epoch seconds.
        reset = client.ratelimit_reset
        until = datetime.fromtimestamp(reset, UTC) if reset else datetime.now(UTC) + RATE_WINDOW
        return SourceError(
            f"Mastodon rate limit reached at {where}; trying again at {until:%H:%M} UTC.", retry_at=until
        )
    if isinstance(exc, MastodonUnauthorizedError):
        return SourceError(
            f"{where} rejected the Mastodon access token (401). In Mastodon: Preferences → Development → "
            "your application → copy 'Your access token' into MASTODON_ACCESS_TOKEN."
        )
    if isinstance(exc, MastodonNotFoundError):
        return SourceError(
            f"There is no Mastodon API at {where} (404). Set MASTODON_BASE_URL to your server's address, "
            "like https://mastodon.social."
        )
    if isinstance(exc, MastodonServerError):
        return SourceError(f"Your Mastodon server is having trouble (HTTP {_status(exc)}); will try again next poll.")
    if isinstance(exc, MastodonAPIError):
        # The server's message is in the account's language: show it, never match on it.
        if _status(exc) == 403:
            return SourceError(
                "Mastodon refused the request (403): the access token needs the read scope. Tick 'read' "
                "for the application under Preferences → Development, then copy the new token."
            )
        return SourceError(f"Mastodon answered HTTP {_status(exc)}: {_message(exc)}")
    if isinstance(exc, MastodonNetworkError) and isinstance(
        exc.__context__, (requests.RequestException, OSError, type(None))
    ):
        return SourceError(f"Could not reach Mastodon at {where}; will try again next poll.")
    return SourceError("Mastodon sent a response Listening Post could not read; will try again next poll.")


def explain_reply(exc: Exception) -> ReplyError:
    """Why a reply could not be posted, in words for the person who wrote it."""
    from mastodon import (
        MastodonAPIError,
        MastodonNotFoundError,
        MastodonRatelimitError,
        MastodonServerError,
        MastodonUnauthorizedError,
    )

    if isinstance(exc, MastodonRatelimitError):
        return ReplyError(
            "Mastodon is limiting how often the account can post, so nothing was posted. Try again in a few minutes."
        )
    if isinstance(exc, MastodonUnauthorizedError) or (isinstance(exc, MastodonAPIError) and _status(exc) == 403):
        return ReplyError(
            "Mastodon refused to post (the access token may only read), so nothing was posted. Give the "
            "application the 'write:statuses' scope and put the new token in MASTODON_ACCESS_TOKEN."
        )
    if isinstance(exc, MastodonNotFoundError):
        return ReplyError(
            "That post is gone from Mastodon (deleted, or no longer visible to the account), so nothing was posted."
        )
    if isinstance(exc, MastodonServerError):
        return ReplyError(
            f"Mastodon is having trouble (HTTP {_status(exc)}), so nothing was posted. Try again in a few minutes."
        )
    if isinstance(exc, MastodonAPIError):
        return ReplyError(f"Mastodon did not accept this reply (HTTP {_status(exc)}): {_message(exc)}")
    return ReplyError(
        "Mastodon did not confirm this reply, so it may or may not be posted. Check the account on Mastodon "
        "before sending it again.",
        unsure=True,
    )


def _status(exc: MastodonError) -> object:
    return exc.args[1] if len(exc.args) > 1 else "error"


def _message(exc: MastodonError) -> str:
    return str(exc.args[3] if len(exc.args) > 3 and exc.args[3] else "no reason given")[:200]


class MastodonSource:
    """Reads mentions of one Mastodon account (and optionally hashtag timelines)."""

    name = "mastodon"
    can_reply = True

    def __init__(self, client: Mastodon, hashtags: tuple[str, ...] = ()):
        self.client = client
        self.hashtags = tuple(tag.lstrip("#") for tag in hashtags if tag.lstrip("#"))

    def fetch(self, cursors: dict[str, str]) -> Iterator[Page]:
        from mastodon import MastodonError

        try:
            yield from self._read(
                "mentions",
                lambda **kw: self.client.notifications(types=["mention"], **kw),
                cursors.get("mentions"),
                _notification_status,
            )
            for tag in self.hashtags:
                key = f"tag:{tag.lower()}"
                yield from self._read(
                    key, lambda tag=tag, **kw: self.client.timeline_hashtag(tag, **kw), cursors.get(key), lambda s: s
                )
        # Mastodon.py's errors and an answer of the wrong shape (ValueError) are Mastodon's problem, said in plain
        # words; anything else is a bug of ours and reaches the pipeline, which logs it with its traceback.
        except (MastodonError, ValueError) as exc:
            log.debug("Mastodon request failed", exc_info=True)
            raise explain(exc, self.client) from exc

    def _read(self, key: str, method: Callable, min_id: str | None, status_of: Callable) -> Iterator[Page]:
        if min_id is None:
            page = _listed(method(limit=FIRST_POLL_SIZE))
            # An empty first poll saves "0", so the next one reads everything that arrives.
            yield Page(key, parse(page, status_of), cursor=_newest_id(page) if page else "0")
            return
        # min_id pages forward in time (oldest new items first), so each page's cursor
        # can be saved as soon as it is stored: an interrupted burst resumes, never skips.
        # An empty page ends this poll's reading; the next poll carries on from the last page stored.
        page = _listed(method(min_id=min_id, limit=PAGE_SIZE))
        while page:
            yield Page(key, parse(page, status_of), cursor=_newest_id(page))
            page = _listed(self.client.fetch_previous(page))  # type: ignore[arg-type]  # Mastodon.py's own paginated list

    def reply(self, mention: Mention, text: str) -> SentReply:
        """Post `text` as a reply, addressed to the author and as visible as the mention was."""
        from mastodon import MastodonError

        text = addressed(mention.author_handle, text)
        try:
            status = self.client.status_post(
                text, in_reply_to_id=mention.external_id, visibility=mention.raw.get("visibility") or "public"
            )
        except (MastodonError, ValueError, TypeError, KeyError) as exc:
            log.debug("Posting a reply to Mastodon failed", exc_info=True)
            raise explain_reply(exc) from exc
        return SentReply(str(status["id"]), status.get("url") or status.get("uri") or "")


def addressed(acct: str, text: str) -> str:
    """Mastodon only tells someone about a reply that mentions them, so start with @acct when it doesn't."""
    handle = "@" + acct.lstrip("@")
    if not acct or handle.lower() in text.lower():
        return text
    return f"{handle} {text}"


def _listed(page: object) -> list:
    """A page of items; anything else Mastodon might send is unreadable (ValueError)."""
    if page is None:
        return []
    if not isinstance(page, list):
        raise ValueError(f"Mastodon page is {type(page).__name__}, not a list")
    return page


def _newest_id(page: list) -> str:
    """The newest id on a page (sent newest first, but not trusted to be): the position after it."""
    ids = [str(item["id"]) for item in page if isinstance(item, dict) and str(item.get("id", "")).isdigit()]
    if not ids:
        raise ValueError("Mastodon page without ids")
    return max(ids, key=int)


def _notification_status(notification: dict) -> dict | None:
    return notification.get("status") if notification.get("type") == "mention" else None


def parse(items: list, status_of: Callable) -> list[Mention]:
    """Mentions in one page; a malformed item is logged and skipped, not fatal."""
    found = []
    for item in items:
        try:
            status = status_of(item)
            if status:
                found.append(to_mention(status))
        except (AttributeError, KeyError, TypeError, ValueError):
            log.warning("Skipped an item from Mastodon that could not be read: %.200r", item, exc_info=True)
    return found


def to_mention(status: dict) -> Mention:
    account = status["account"]
    text = html_to_text(status["content"])
    if status.get("spoiler_text"):
        text = f"[CW: {status['spoiler_text']}] {text}"
    if not text:
        raise ValueError("empty status")
    acct = account["acct"]
    return Mention(
        source="mastodon",
        external_id=str(status["id"]),
        author_handle=acct,
        author_name=account.get("display_name") or account.get("username") or acct,
        text=text,
        url=status.get("url") or status.get("uri") or "",
        created_at=utc(status["created_at"]),
        in_reply_to=str(status["in_reply_to_id"]) if status.get("in_reply_to_id") else None,
        author_followers=account.get("followers_count"),
        lang=status.get("language"),
        raw=scrub(
            {
                "visibility": status.get("visibility", "public"),
                "uri": status.get("uri"),
                "account_url": account.get("url"),
            }
        ),
    )


# --- The network: its settings, how it counts a reply, and its declaration. --------------------------------------


@dataclass(frozen=True)
class MastodonSettings:
    base_url: str
    access_token: str = field(repr=False)
    hashtags: tuple[str, ...] = ()


def read_settings(r: Reader) -> MastodonSettings | None:
    r.together(
        "To listen on Mastodon",
        ("MASTODON_BASE_URL", "MASTODON_ACCESS_TOKEN"),
        "Preferences → Development → New application, then copy "
        "'Your access token'; the base URL is your server's address, like https://mastodon.social",
    )
    base_url = r.url("MASTODON_BASE_URL", example="https://mastodon.social").rstrip("/")
    access_token = r.get("MASTODON_ACCESS_TOKEN")
    hashtags = r.names("MASTODON_HASHTAGS", r"\w+", ("#",), "hashtags without spaces, like BrambleCafe")
    return MastodonSettings(base_url, access_token, hashtags) if base_url and access_token else None


NETWORK = Network(
    key="mastodon",
    name="Mastodon",
    read=read_settings,
    needs="MASTODON_BASE_URL and MASTODON_ACCESS_TOKEN",
    readme="2c. Mastodon, Bluesky, Reddit and RSS",
    build=lambda cfg: MastodonSource(make_client(cfg.base_url, cfg.access_token), cfg.hashtags),
    secrets=("MASTODON_ACCESS_TOKEN",),
    replies=lambda cfg: "replies sent from Slack are posted on Mastodon, addressed to the author",
    reply_limit=500,
    length=lambda text: len(links_shortened(text)),  # any link counts 23
    loggers=("mastodon",),
    sample_link="https://{server}/@{user}/{id}",
)
