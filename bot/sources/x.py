"""X (Twitter) mentions and recent search through tweepy's v2 `Client`."""

from __future__ import annotations

import html
import json
import logging
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any

import requests
from urllib3.util.retry import Retry

from bot.models import NOTE, OK, PROBLEM, Check, Mention, NetworkReply, Page, ReplyError, SentReply, SourceError
from bot.sources.common import links_shortened, scrub
from bot.sources.deadline import DeadlineAdapter, exceeded, took_too_long
from bot.sources.registry import Network
from bot.text import clean

if TYPE_CHECKING:  # tweepy is imported where it is used, so declaring the network costs nothing
    import tweepy

    from bot.config import Reader

log = logging.getLogger(__name__)

API_URL = "https://api.twitter.com"

TWEET_FIELDS = ["created_at", "author_id", "conversation_id", "referenced_tweets", "lang", "in_reply_to_user_id"]
USER_FIELDS = ["username", "name", "public_metrics"]
PAGE_SIZE = 100  # the most X allows: fewest calls for a burst
MAX_PAGES = 50  # per range and poll; a range not read to its end is read again next poll
FIRST_POLL_SIZE = 20  # on the very first poll, show recent mentions without flooding the channel
GAP_CONFIRMATIONS = 2  # empty answers in a row before a remembered gap is taken to be empty
RATE_WINDOW = timedelta(minutes=15)  # X's rate-limit window, when a 429 carries no reset time


class XTransport(DeadlineAdapter):
    """Sends tweepy's requests to `base_url` with a timeout, and a total deadline for each.

    tweepy builds every URL on https://api.twitter.com and sets no timeout, so the only
    way to reach a proxy (or a test server) is a transport adapter on its session.
    Only GETs are retried on connection errors, so a reply is never posted twice.
    """

    def __init__(self, base_url: str, timeout: float = 20.0):
        super().__init__(
            max_retries=Retry(total=2, connect=2, read=0, status=0, backoff_factor=0.5, allowed_methods=["GET"])
        )
        self.base_url = base_url.rstrip("/")
        self.timeout = timeout

    def send(self, request, **kwargs):
        if self.base_url != API_URL and request.url.startswith(API_URL):
            request.url = self.base_url + request.url[len(API_URL) :]
        kwargs["timeout"] = kwargs.get("timeout") or self.timeout
        return super().send(request, **kwargs)


def make_client(bearer_token: str, api_url: str = API_URL, **user_keys: str) -> tweepy.Client:
    import tweepy

    # wait_on_rate_limit stays off: without a reset header tweepy retries in a tight loop.
    # Raw dicts (not tweepy's models) so one malformed post can be skipped, not fail the page.
    client = tweepy.Client(bearer_token=bearer_token, wait_on_rate_limit=False, return_type=dict, **user_keys)
    client.session.mount(API_URL + "/", XTransport(api_url))
    return client


def start_of_next_month(now: datetime) -> datetime:
    first = now.replace(day=1, hour=0, minute=0, second=0, microsecond=0)
    return (first + timedelta(days=32)).replace(day=1)


def explain(exc: Exception, api_url: str, username: str = "") -> SourceError:
    """Turn a tweepy or network error into words for the owner, with when to try again."""
    import tweepy

    now = datetime.now(UTC)
    seconds = exceeded(exc)
    if seconds is not None:
        return SourceError(took_too_long("X", seconds))
    if isinstance(exc, tweepy.TooManyRequests):
        if _usage_capped(exc):
            until = start_of_next_month(now)
            return SourceError(
                "X says this app has used its monthly allowance of posts (usage cap). Listening on X "
                f"pauses until {until:%d %B %Y}; other sources keep working. Your plan is on the X developer portal.",
                retry_at=until,
            )
        reset = _reset_at(exc, now)
        return SourceError(f"X rate limit reached; trying X again at {reset:%H:%M} UTC.", retry_at=reset)
    if isinstance(exc, tweepy.Unauthorized):
        return SourceError(
            "X rejected the bearer token (401). Copy the Bearer Token again from the X developer portal into X_BEARER_TOKEN."
        )
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


def _usage_capped(exc: tweepy.TooManyRequests) -> bool:
    try:
        return exc.response.json().get("title") == "UsageCapExceeded"
    except (ValueError, AttributeError):
        return False


def _reset_at(exc: tweepy.TooManyRequests, now: datetime) -> datetime:
    return datetime.fromtimestamp(exc.reset_time, UTC) if exc.reset_time else now + RATE_WINDOW


def account_not_found(username: str) -> SourceError:
    return SourceError(f"X account @{username} was not found. Check X_USERNAME.")


def lookup_account(client: tweepy.Client, username: str) -> dict:
    """The account's id, name and username; X answers 200 with an `errors` list for an unknown name."""
    user = client.get_user(username=username).get("data")
    if not user:
        raise account_not_found(username)
    return user


def explain_reply(exc: Exception) -> ReplyError:
    """Why a reply could not be posted, in words for the person who wrote it."""
    import tweepy

    if isinstance(exc, tweepy.TooManyRequests):
        now = datetime.now(UTC)
        if _usage_capped(exc):
            return ReplyError(
                "X says this app has used its monthly allowance (usage cap), so nothing was posted. "
                f"Reply on X directly until {start_of_next_month(now):%d %B}."
            )
        return ReplyError(
            f"X is limiting how often the account can post, so nothing was posted. Try again after {_reset_at(exc, now):%H:%M} UTC."
        )
    if isinstance(exc, tweepy.Unauthorized):
        return ReplyError(
            "X rejected the keys for posting (401), so nothing was posted. Check X_API_KEY, X_API_SECRET, "
            "X_ACCESS_TOKEN and X_ACCESS_TOKEN_SECRET."
        )
    if isinstance(exc, tweepy.Forbidden):
        detail = _detail(exc)
        if "duplicate" in detail.lower():
            return ReplyError(
                "X refused this reply because the account already posted exactly this text. Change a few words and send again."
            )
        if "permission" in detail.lower():
            return ReplyError(
                "X says the access token may only read, so nothing was posted. In the X developer portal set the app "
                "to Read and Write, make a new access token and secret, and put them in the settings."
            )
        return ReplyError(
            f"X refused to post this reply (403), so nothing was posted. X said: {detail or 'no reason given'}"
        )
    if isinstance(exc, tweepy.TwitterServerError):
        return ReplyError(
            f"X is having trouble (HTTP {exc.response.status_code}), so nothing was posted. Try again in a few minutes."
        )
    if isinstance(exc, tweepy.HTTPException):
        return ReplyError(f"X did not accept this reply (HTTP {exc.response.status_code}): {_detail(exc)}")
    if isinstance(exc, requests.ConnectTimeout) or "NewConnectionError" in repr(exc):
        return ReplyError("Could not reach X, so nothing was posted. Try again in a few minutes.")
    # Anything else (a read timeout, a dropped connection, an unreadable answer) came after X had the request.
    return ReplyError(
        "X did not confirm this reply, so it may or may not be on X. Listening Post checks the account's "
        "replies on the next poll and records it if it went out; please don't send it again before then.",
        unsure=True,
    )


def _detail(exc: tweepy.HTTPException) -> str:
    try:
        body = exc.response.json()
    except ValueError:
        return ""
    return str(body.get("detail") or body.get("title") or "").strip()


class XSource:
    """Reads mentions of one X account (and optionally a recent-search query)."""

    name = "x"

    def __init__(
        self,
        client: tweepy.Client,
        username: str,
        search_query: str = "",
        api_url: str = API_URL,
        posting_client: tweepy.Client | None = None,
    ):
        self.client = client
        self.username = username.lstrip("@")
        self.search_query = search_query
        self.api_url = api_url
        self.posting_client = posting_client  # signed as the account (OAuth 1.0a user keys)

    @property
    def can_reply(self) -> bool:
        return self.posting_client is not None

    def reply(self, mention: Mention, text: str) -> SentReply:
        """Post `text` as the account's reply to `mention`."""
        import tweepy

        if self.posting_client is None:
            raise ReplyError(
                "Listening Post has no posting keys for X; set X_API_KEY and the others (README, step 2b)."
            )
        try:
            body = self.posting_client.create_tweet(text=text, in_reply_to_tweet_id=mention.external_id, user_auth=True)
            tweet_id = str(body["data"]["id"])
        except (tweepy.TweepyException, requests.RequestException, ValueError, KeyError, TypeError) as exc:
            log.debug("Posting a reply to X failed", exc_info=True)
            raise explain_reply(exc) from exc
        return SentReply(tweet_id, f"https://x.com/{self.username}/status/{tweet_id}")

    def fetch(self, cursors: dict[str, str]) -> Iterator[Page]:
        import tweepy

        try:
            yield from self._fetch(cursors)
        # The libraries' errors and a page of the wrong shape (_Unreadable) are X's problem, said in plain words;
        # anything else is a bug of ours and reaches the pipeline, which logs it with its traceback.
        except (tweepy.TweepyException, requests.RequestException, ValueError, RuntimeError) as exc:
            log.debug("X request failed", exc_info=True)
            raise explain(exc, self.api_url, self.username) from exc

    def _fetch(self, cursors: dict[str, str]) -> Iterator[Page]:
        user_key = f"user_id:{self.username.lower()}"
        user_id = cursors.get(user_key)
        if not user_id:
            # Resolved once and kept in the database: every X call costs a small shop money.
            user_id = str(lookup_account(self.client, self.username)["id"])
            yield Page(user_key, [], cursor=user_id)

        def mentions(key: str) -> Callable[[dict], Page]:
            return lambda body: Page(key, parse_page(body, user_id))

        people = dict(tweet_fields=TWEET_FIELDS, expansions=["author_id"], user_fields=USER_FIELDS)
        yield from self._read(
            "mentions", self.client.get_users_mentions, user_id, cursors.get("mentions"), mentions("mentions"), people
        )
        if self.search_query:
            key = f"search:{self.search_query}"
            yield from self._read(
                key, self.client.search_recent_tweets, self.search_query, cursors.get(key), mentions(key), people
            )
        # The account's own posts, to count replies made on X directly (read after the mentions they answer).
        yield from self._read(
            "own_posts",
            self.client.get_users_tweets,
            user_id,
            cursors.get("own_posts"),
            lambda body: Page("own_posts", [], replies=parse_own_replies(body, self.username)),
            dict(tweet_fields=["created_at", "referenced_tweets"], exclude=["retweets"]),
        )

    def _read(
        self, key: str, method: Callable, arg: str, saved: str | None, parse: Callable[[dict], Page], fields: dict
    ) -> Iterator[Page]:
        """X pages newest first. The new since_id is saved only once the pages were read down to
        the old one; a range cut short (an empty page reached through a next_token) is kept as
        a gap and read again next poll (ids already stored cost nothing downstream)."""
        since_id, gap, tries = _position(saved)
        if since_id is None:
            # The very first poll: one small page is the whole range by definition.
            newest, _, _ = yield from self._range(method, arg, fields, parse, FIRST_POLL_SIZE, first=True)
            if newest:
                yield Page(key, [], cursor=str(newest))
            return
        newest, oldest, complete = yield from self._range(method, arg, fields, parse, PAGE_SIZE, since_id=since_id)
        # Not read to its end: what lies between the old since_id and the oldest post read is a gap.
        # (With nothing read at all, the since_id simply stays.)
        gaps = [] if complete or oldest is None else [(since_id, oldest)]
        tries_left = 0
        if gap:
            _, gap_oldest, gap_done = yield from self._range(
                method, arg, fields, parse, PAGE_SIZE, since_id=gap[0], until_id=gap[1]
            )
            # X sometimes gives a next_token that leads nowhere, so a gap can be truly empty; but an
            # empty answer can also be a hiccup. Believe "nothing there" only once X says it twice.
            if not gap_done or (gap_oldest is None and tries + 1 < GAP_CONFIRMATIONS):
                gaps.append((gap[0], gap_oldest or gap[1]))
                tries_left = tries + 1 if gap_oldest is None else 0
        if not gaps and newest is None and gap is None:
            return  # nothing new: the saved position stands
        position: dict[str, Any] = {"since_id": str(max(newest or 0, int(since_id)))}
        if gaps:
            # One gap covering both (reading a few known posts again is cheaper than a second gap);
            # a range newly cut short joins it, so its empty answers are counted afresh.
            position["gap"] = [str(min(int(g[0]) for g in gaps)), str(max(int(g[1]) for g in gaps))]
            if tries_left and len(gaps) == 1:
                position["empty_reads"] = tries_left
            log.info("X's pages for %s ended before the last position seen; the rest is read again next poll.", key)
        yield Page(key, [], cursor=position["since_id"] if "gap" not in position else json.dumps(position))

    def _range(
        self,
        method: Callable,
        arg: str,
        fields: dict,
        parse: Callable[[dict], Page],
        size: int,
        first: bool = False,
        **bounds: str,
    ):
        """Yields the pages of one id range (newest first); returns (newest id, oldest id, read to its end)."""
        token_name = (
            "next_token"
            if getattr(method, "__name__", "") in ("search_recent_tweets", "search_all_tweets")
            else "pagination_token"
        )
        params = {**fields, **bounds, "max_results": size}
        newest = oldest = None
        token = None
        pages = 0
        while True:
            body = method(arg, **params, **({token_name: token} if token else {}))
            meta, posts = _checked(body)
            pages += 1
            ids = [int(p["id"]) for p in posts if isinstance(p, dict) and str(p.get("id", "")).isdigit()]
            if ids:
                newest = max(ids + ([newest] if newest else []))
                oldest = min(ids + ([oldest] if oldest else []))
            yield parse(body)
            token = meta.get("next_token")
            if first:
                return newest, oldest, True
            if not token:
                # The end, unless it is an empty page reached through a next_token: that is not the end.
                return newest, oldest, pages == 1 or bool(posts)
            if pages >= MAX_PAGES:
                return newest, oldest, False


def _position(saved: str | None) -> tuple[str | None, tuple[str, str] | None, int]:
    """The saved since_id, the id range still to read again (if a poll was cut short), and how
    many times in a row that range came back empty."""
    if not saved:
        return None, None, 0
    if saved.isdigit():
        return saved, None, 0
    try:
        position = json.loads(saved)
        since_id = str(position["since_id"])
        gap = position.get("gap")
        if not since_id.isdigit():
            raise ValueError(since_id)
        if gap and all(str(g).isdigit() for g in gap) and len(gap) == 2:
            return since_id, (str(gap[0]), str(gap[1])), int(position.get("empty_reads") or 0)
        return since_id, None, 0
    except (ValueError, TypeError, KeyError, AttributeError):
        log.warning("Ignoring an unreadable saved X position %.80r; starting as on a first poll.", saved)
        return None, None, 0


class _Unreadable(ValueError):
    """X answered 200 with JSON of the wrong shape."""


def _checked(body: object) -> tuple[dict, list]:
    """The page's `meta` and `data` when the page has X's shape; raises `_Unreadable` otherwise."""
    if not isinstance(body, dict):
        raise _Unreadable(f"page is {type(body).__name__}, not an object")
    meta = body.get("meta") or {}
    posts = body.get("data") or []
    includes = body.get("includes") or {}
    if (
        not isinstance(meta, dict)
        or not isinstance(posts, list)
        or not isinstance(includes, dict)
        or not isinstance(includes.get("users") or [], list)
        or not isinstance(meta.get("next_token") or "", str)
    ):
        raise _Unreadable("page fields of the wrong type")
    return meta, posts


def parse_page(body: dict, own_id: str | None = None) -> list[Mention]:
    """Mentions in one page of X's JSON; a malformed post is logged and skipped, not fatal."""
    users = {str(u.get("id")): u for u in (body.get("includes") or {}).get("users") or [] if isinstance(u, dict)}
    mentions = []
    for raw in body.get("data") or []:
        try:
            author_id = str(raw.get("author_id") or "")
            if own_id and author_id == own_id:
                continue  # the business's own posts are not mentions to answer
            mentions.append(to_mention(raw, users.get(author_id, {})))
        except (AttributeError, KeyError, TypeError, ValueError):
            log.warning("Skipped a post from X that could not be read: %.200r", raw, exc_info=True)
    return mentions


def parse_own_replies(body: dict, account: str) -> list[NetworkReply]:
    """The account's posts in one page that reply to something; others are skipped."""
    found = []
    for raw in body.get("data") or []:
        try:
            replied_to = _replied_to(raw)
            if replied_to:
                found.append(
                    NetworkReply(
                        source="x",
                        external_id=str(raw["id"]),
                        in_reply_to=replied_to,
                        text=clean(html.unescape(raw["text"])),
                        url=f"https://x.com/{account}/status/{raw['id']}",
                        created_at=_created_at(raw),
                        account=account,
                    )
                )
        except (AttributeError, KeyError, TypeError, ValueError):
            log.warning("Skipped one of the account's posts that could not be read: %.200r", raw, exc_info=True)
    return found


def _replied_to(raw: dict) -> str | None:
    replied = next((r["id"] for r in raw.get("referenced_tweets") or [] if r.get("type") == "replied_to"), None)
    return str(replied) if replied else None


def _created_at(raw: dict) -> datetime:
    created = raw.get("created_at")
    return datetime.fromisoformat(created.replace("Z", "+00:00")) if created else datetime.now(UTC)


def to_mention(raw: dict, user: dict) -> Mention:
    handle = user.get("username", "")
    tweet_id = str(raw["id"])
    return Mention(
        source="x",
        external_id=tweet_id,
        author_handle=handle,
        author_name=user.get("name", handle),
        text=html.unescape(raw["text"]),  # X sends &amp; &lt; &gt; escaped
        url=f"https://x.com/{handle}/status/{tweet_id}" if handle else f"https://x.com/i/web/status/{tweet_id}",
        created_at=_created_at(raw),
        in_reply_to=_replied_to(raw),
        author_followers=(user.get("public_metrics") or {}).get("followers_count"),
        lang=raw.get("lang"),
        raw=scrub({**raw, "author": user} if user else raw),  # stored as JSON: no lone surrogates
    )


# --- The network: its settings, doctor's check, how it counts a reply, and its declaration. ----------------------

POSTING_KEYS = ("X_API_KEY", "X_API_SECRET", "X_ACCESS_TOKEN", "X_ACCESS_TOKEN_SECRET")


@dataclass(frozen=True)
class XSettings:
    bearer_token: str = field(repr=False)
    username: str
    search_query: str = ""
    api_url: str = API_URL
    posting_keys: dict[str, str] = field(default_factory=dict, repr=False)  # OAuth 1.0a user keys, all four or none

    @property
    def can_reply(self) -> bool:
        return len(self.posting_keys) == 4 and all(self.posting_keys.values())


def read_settings(r: Reader) -> XSettings | None:
    if missing := r.missing(POSTING_KEYS):
        r.problem(
            f"To post replies on X, all four keys are needed; {', '.join(missing)} not set. "
            "They are on the X developer portal under Keys and tokens (access token with Read and Write)."
        )
    bearer_token = r.get("X_BEARER_TOKEN")
    username = r.one(
        "X_USERNAME",
        r"[A-Za-z0-9_]{1,15}",
        "X_USERNAME must be your X handle without the @, like bramblecafe (letters, digits and _, at most 15)",
        strip=("@",),
    )
    search_query = r.text("X_SEARCH_QUERY", 512)
    api_url = r.url("X_API_URL", API_URL).rstrip("/")
    keys = dict(
        zip(
            ("consumer_key", "consumer_secret", "access_token", "access_token_secret"),
            map(r.get, POSTING_KEYS),
            strict=True,
        )
    )
    if not (bearer_token and username):
        return None
    return XSettings(bearer_token, username, search_query, api_url, keys if all(keys.values()) else {})


def build(cfg: XSettings) -> XSource:
    client = make_client(cfg.bearer_token, cfg.api_url)
    posting = make_client("", cfg.api_url, **cfg.posting_keys) if cfg.can_reply else None
    return XSource(client, cfg.username, cfg.search_query, cfg.api_url, posting)


def check(cfg: XSettings) -> Iterator[Check]:
    """The account looked up with the bearer token, then the posting keys tried."""
    client = make_client(cfg.bearer_token, cfg.api_url)
    try:
        user = lookup_account(client, cfg.username)
    except SourceError as exc:
        yield PROBLEM, str(exc)
        return
    except Exception as exc:  # explain() turns tweepy and network errors into words
        yield PROBLEM, str(explain(exc, cfg.api_url, cfg.username))
        return
    yield (
        OK,
        f"X works: listening for mentions of @{user['username']}"
        + (f" and posts matching “{cfg.search_query}”." if cfg.search_query else "."),
    )
    yield from _check_posting(cfg)


def _check_posting(cfg: XSettings) -> Iterator[Check]:
    import tweepy

    if not cfg.can_reply:
        yield (
            NOTE,
            "Replies are not posted from Slack (X_API_KEY, X_API_SECRET, X_ACCESS_TOKEN, X_ACCESS_TOKEN_SECRET not set); "
            "the reply form records replies your team makes on X by hand.",
        )
        return
    client = make_client("", cfg.api_url, **cfg.posting_keys)
    try:
        me = client.get_me(user_auth=True)["data"]
    except tweepy.Unauthorized:
        yield (
            PROBLEM,
            "X rejected the keys for posting replies (401): check X_API_KEY, X_API_SECRET, X_ACCESS_TOKEN and X_ACCESS_TOKEN_SECRET.",
        )
        return
    except Exception as exc:  # explain() turns tweepy and network errors into words
        yield PROBLEM, str(explain(exc, cfg.api_url, cfg.username))
        return
    if me["username"].lower() != cfg.username.lower():
        yield (
            PROBLEM,
            f"The posting keys belong to @{me['username']}, not @{cfg.username}: replies would come from the wrong "
            f"account. Make the access token while logged in to X as @{cfg.username}.",
        )
        return
    yield OK, f"Replies sent from Slack will be posted on X as @{me['username']}."


# twitter-text v3: these code points weigh 1, every other (CJK, emoji…) 2, and any link 23.
_LIGHT_RANGES = ((0, 4351), (8192, 8205), (8208, 8223), (8242, 8247))
_HEAVY = re.compile("[^" + "".join(f"{chr(lo)}-{chr(hi)}" for lo, hi in _LIGHT_RANGES) + "]")


def reply_length(text: str) -> int:
    text = links_shortened(text)
    return len(text) + len(_HEAVY.findall(text))  # heavy characters count twice


NETWORK = Network(
    key="x",
    name="X",
    read=read_settings,
    needs="X_BEARER_TOKEN and X_USERNAME",
    readme="2. Connect X",
    build=build,
    secrets=("X_BEARER_TOKEN", *POSTING_KEYS),
    check=check,
    reply_limit=280,
    length=reply_length,
    links=False,  # a reply with a link costs the business about 13 times more on X
    account=lambda cfg: f"@{cfg.username}",
    loggers=("tweepy",),
    sample_link="https://x.com/{handle}/status/{id}",
)
