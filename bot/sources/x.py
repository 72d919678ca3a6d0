"""X (Twitter) mentions and recent search through tweepy's v2 `Client`."""
from __future__ import annotations

import html
import logging
import math
from datetime import datetime, timedelta, timezone
from typing import Callable, Iterator

import requests
import tweepy
from requests.adapters import HTTPAdapter
from urllib3.util.retry import Retry

from bot.config import DEFAULT_X_API_URL
from bot.models import Mention, Page, SourceError

log = logging.getLogger(__name__)

TWEET_FIELDS = ["created_at", "author_id", "conversation_id", "referenced_tweets", "lang", "in_reply_to_user_id"]
USER_FIELDS = ["username", "name", "public_metrics"]
PAGE_SIZE = 100  # the most X allows: fewest calls for a burst
FIRST_POLL_SIZE = 20  # on the very first poll, show recent mentions without flooding the channel
RATE_WINDOW = timedelta(minutes=15)  # X's rate-limit window, when a 429 carries no reset time


class XTransport(HTTPAdapter):
    """Sends tweepy's requests to `base_url` with a timeout.

    tweepy builds every URL on https://api.twitter.com and sets no timeout, so the only
    way to reach a proxy (or a test server) is a transport adapter on its session.
    Only GETs are retried on connection errors, so a reply is never posted twice.
    """

    def __init__(self, base_url: str, timeout: float = 20.0):
        super().__init__(max_retries=Retry(total=2, connect=2, read=0, status=0, backoff_factor=0.5, allowed_methods=["GET"]))
        self.base_url = base_url.rstrip("/")
        self.timeout = timeout

    def send(self, request, **kwargs):
        if self.base_url != DEFAULT_X_API_URL and request.url.startswith(DEFAULT_X_API_URL):
            request.url = self.base_url + request.url[len(DEFAULT_X_API_URL):]
        kwargs["timeout"] = kwargs.get("timeout") or self.timeout
        return super().send(request, **kwargs)


def make_client(bearer_token: str, api_url: str = DEFAULT_X_API_URL, **user_keys: str) -> tweepy.Client:
    # wait_on_rate_limit stays off: without a reset header tweepy retries in a tight loop.
    # Raw dicts (not tweepy's models) so one malformed post can be skipped, not fail the page.
    client = tweepy.Client(bearer_token=bearer_token, wait_on_rate_limit=False, return_type=dict, **user_keys)
    client.session.mount(DEFAULT_X_API_URL + "/", XTransport(api_url))
    return client


def start_of_next_month(now: datetime) -> datetime:
    first = now.replace(day=1, hour=0, minute=0, second=0, microsecond=0)
    return (first + timedelta(days=32)).replace(day=1)


def explain(exc: Exception, api_url: str, username: str = "") -> SourceError:
    """Turn a tweepy or network error into words for the owner, with when to try again."""
    now = datetime.now(timezone.utc)
    if isinstance(exc, tweepy.TooManyRequests):
        try:
            title = exc.response.json().get("title", "")
        except ValueError:
            title = ""
        if title == "UsageCapExceeded":
            until = start_of_next_month(now)
            return SourceError(
                "X says this app has used its monthly allowance of posts (usage cap). Listening on X "
                f"pauses until {until:%d %B %Y}; other sources keep working. Your plan is on the X developer portal.",
                retry_at=until,
            )
        reset = datetime.fromtimestamp(exc.reset_time, timezone.utc) if exc.reset_time else now + RATE_WINDOW
        return SourceError(f"X rate limit reached; trying X again at {reset:%H:%M} UTC.", retry_at=reset)
    if isinstance(exc, tweepy.Unauthorized):
        return SourceError("X rejected the bearer token (401). Copy the Bearer Token again from the X developer portal into X_BEARER_TOKEN.")
    if isinstance(exc, tweepy.Forbidden):
        return SourceError(f"X refused the request (403): {_detail(exc)} Your X plan may not include this endpoint.")
    if isinstance(exc, tweepy.NotFound):
        return account_not_found(username)
    if isinstance(exc, tweepy.TwitterServerError):
        return SourceError(f"X is having trouble (HTTP {exc.response.status_code}); will try again next poll.")
    if isinstance(exc, tweepy.HTTPException):
        return SourceError(f"X answered HTTP {exc.response.status_code}: {_detail(exc)}")
    if isinstance(exc, requests.RequestException) and not isinstance(exc, ValueError):  # JSON errors are both
        return SourceError(f"Could not reach X at {api_url} ({type(exc).__name__}); will try again next poll.")
    return SourceError("X sent a response Listening Post could not read; will try again next poll.")


def account_not_found(username: str) -> SourceError:
    return SourceError(f"X account @{username} was not found. Check X_USERNAME.")


def lookup_account(client: tweepy.Client, username: str) -> dict:
    """The account's id, name and username; X answers 200 with an `errors` list for an unknown name."""
    user = client.get_user(username=username).get("data")
    if not user:
        raise account_not_found(username)
    return user


def _detail(exc: tweepy.HTTPException) -> str:
    try:
        body = exc.response.json()
    except ValueError:
        return ""
    return str(body.get("detail") or body.get("title") or "").strip()


class XSource:
    """Reads mentions of one X account (and optionally a recent-search query)."""

    name = "x"
    reply_limit = 280

    def __init__(self, client: tweepy.Client, username: str, search_query: str = "", api_url: str = DEFAULT_X_API_URL):
        self.client = client
        self.username = username.lstrip("@")
        self.search_query = search_query
        self.api_url = api_url

    def fetch(self, cursors: dict[str, str]) -> Iterator[Page]:
        try:
            yield from self._fetch(cursors)
        except (tweepy.TweepyException, requests.RequestException, ValueError, KeyError, TypeError) as exc:
            log.debug("X request failed", exc_info=True)
            raise explain(exc, self.api_url, self.username) from exc

    def _fetch(self, cursors: dict[str, str]) -> Iterator[Page]:
        user_key = f"user_id:{self.username.lower()}"
        user_id = cursors.get(user_key)
        if not user_id:
            # Resolved once and kept in the database: every X call costs a small shop money.
            user_id = str(lookup_account(self.client, self.username)["id"])
            yield Page(user_key, [], cursor=user_id)
        yield from self._read("mentions", self.client.get_users_mentions, user_id, cursors.get("mentions"), user_id)
        if self.search_query:
            key = f"search:{self.search_query}"
            yield from self._read(key, self.client.search_recent_tweets, self.search_query, cursors.get(key), user_id)

    def _read(self, key: str, method: Callable, arg: str, since_id: str | None, own_id: str) -> Iterator[Page]:
        params = dict(tweet_fields=TWEET_FIELDS, expansions=["author_id"], user_fields=USER_FIELDS)
        if since_id:
            params.update(since_id=since_id, max_results=PAGE_SIZE)
        else:
            params.update(max_results=FIRST_POLL_SIZE)
        newest = None
        for body in tweepy.Paginator(method, arg, limit=math.inf if since_id else 1, **params):
            if not isinstance(body, dict):
                raise ValueError("X page is not a JSON object")
            # With since_id, X pages from newest to oldest: the first page's newest_id is the cursor.
            newest = newest or (body.get("meta") or {}).get("newest_id")
            yield Page(key, parse_page(body, own_id))
        if newest:
            yield Page(key, [], cursor=newest)


def parse_page(body: dict, own_id: str | None = None) -> list[Mention]:
    """Mentions in one page of X's JSON; a malformed post is logged and skipped, not fatal."""
    users = {str(u.get("id")): u for u in (body.get("includes") or {}).get("users", []) if isinstance(u, dict)}
    mentions = []
    for raw in body.get("data") or []:
        try:
            author_id = str(raw.get("author_id") or "")
            if own_id and author_id == own_id:
                continue  # the business's own posts are not mentions to answer
            mentions.append(to_mention(raw, users.get(author_id, {})))
        except (AttributeError, KeyError, TypeError, ValueError):
            log.warning("Skipped a post from X that could not be read: %.200r", raw)
    return mentions


def to_mention(raw: dict, user: dict) -> Mention:
    handle = user.get("username", "")
    tweet_id = str(raw["id"])
    replied_to = next((r["id"] for r in raw.get("referenced_tweets") or [] if r.get("type") == "replied_to"), None)
    created = raw.get("created_at")
    return Mention(
        source="x",
        external_id=tweet_id,
        author_handle=handle,
        author_name=user.get("name", handle),
        text=html.unescape(raw["text"]),  # X sends &amp; &lt; &gt; escaped
        url=f"https://x.com/{handle}/status/{tweet_id}" if handle else f"https://x.com/i/web/status/{tweet_id}",
        created_at=datetime.fromisoformat(created.replace("Z", "+00:00")) if created else datetime.now(timezone.utc),
        in_reply_to=str(replied_to) if replied_to else None,
        author_followers=(user.get("public_metrics") or {}).get("followers_count"),
        lang=raw.get("lang"),
        raw={**raw, "author": user} if user else raw,
    )
