"""Reddit posts and comments that name the business, through praw (a "script" app)."""

from __future__ import annotations

import logging
import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from itertools import islice
from typing import TYPE_CHECKING, Any

from bot.models import Mention, Page, ReplyError, SentReply, SourceError
from bot.sources.common import FIRST_POLL_SIZE, scrub
from bot.sources.deadline import deadline_session, exceeded, took_too_long
from bot.sources.registry import Network

if TYPE_CHECKING:  # the library is imported where it is used, so declaring the network costs nothing
    import praw

    from bot.config import Reader

log = logging.getLogger(__name__)

SITE = "https://www.reddit.com"
BURST_LIMIT = 1000  # items per query per poll: as far back as a Reddit listing goes
LISTING_PAGE = 100  # items per page of a Reddit listing, as praw asks for them
OVERLAP = timedelta(minutes=15)  # read again before the saved time: Reddit's search indexes posts late
COMMENTS_READ = 100  # newest comments scanned per poll (Reddit's API cannot search comments)
TEXT_LIMIT = 700
RATE_WINDOW = timedelta(minutes=10)


def make_client(cfg: RedditSettings) -> praw.Reddit:
    import praw

    extra: dict[str, Any] = {"username": cfg.username, "password": cfg.password} if cfg.can_reply else {}
    return praw.Reddit(
        client_id=cfg.client_id,
        client_secret=cfg.client_secret,
        user_agent=f"python:listening-post:1.0 (by /u/{cfg.username or 'listening-post'})",
        check_for_updates=False,  # otherwise every start asks PyPI for a newer praw
        reddit_url=cfg.url,
        oauth_url=cfg.url.replace("://www.", "://oauth.") if "://www." in cfg.url else cfg.url,
        timeout=20,
        requestor_kwargs={"session": deadline_session()},  # a total deadline for every request
        **extra,
    )


def explain(exc: Exception) -> SourceError:
    """Turn a praw/prawcore error into words for the owner, with when to try again."""
    import prawcore

    seconds = exceeded(exc)
    if seconds is not None:
        return SourceError(took_too_long("Reddit", seconds))
    if isinstance(exc, prawcore.TooManyRequests):
        reset = _reset_at(exc)
        return SourceError(f"Reddit rate limit reached; trying again at {reset:%H:%M} UTC.", retry_at=reset)
    if isinstance(exc, (prawcore.OAuthException, prawcore.ResponseException)) and _status(exc) in (400, 401):
        return SourceError(
            "Reddit did not accept the app's credentials. Check REDDIT_CLIENT_ID (under the app's name at "
            "reddit.com/prefs/apps) and REDDIT_CLIENT_SECRET, and REDDIT_USERNAME and REDDIT_PASSWORD if set."
        )
    if isinstance(exc, prawcore.OAuthException):
        return SourceError(
            "Reddit did not accept REDDIT_USERNAME and REDDIT_PASSWORD (accounts with two-factor login "
            "cannot be used by a script app)."
        )
    if isinstance(exc, (prawcore.Forbidden, prawcore.NotFound, prawcore.Redirect)):
        return SourceError(
            "Reddit could not show one of REDDIT_SUBREDDITS (private, banned or misspelled). "
            "Write the names without r/, separated by commas."
        )
    if isinstance(exc, prawcore.ServerError):
        return SourceError(f"Reddit is having trouble (HTTP {_status(exc)}); will try again next poll.")
    if isinstance(exc, prawcore.RequestException):
        return SourceError("Could not reach Reddit; will try again next poll.")
    return SourceError("Reddit sent a response Listening Post could not read; will try again next poll.")


def _status(exc: Exception) -> int | None:
    response = getattr(exc, "response", None)
    return getattr(response, "status_code", None)


def _reset_at(exc: Exception) -> datetime:
    now = datetime.now(UTC)
    try:
        return now + timedelta(seconds=float(exc.response.headers["x-ratelimit-reset"]))  # type: ignore[attr-defined]
    except (AttributeError, KeyError, TypeError, ValueError):
        return now + RATE_WINDOW


def explain_reply(exc: Exception) -> ReplyError:
    import praw
    import prawcore

    if isinstance(exc, praw.exceptions.RedditAPIException):
        item = exc.items[0] if exc.items else None
        reason = f"{item.error_type}: {item.message}" if item else "no reason given"
        return ReplyError(f"Reddit did not accept this reply, so nothing was posted ({reason}).")
    if isinstance(exc, prawcore.TooManyRequests):
        return ReplyError(
            "Reddit is limiting how often the account can post, so nothing was posted. Try again in a few minutes."
        )
    if isinstance(exc, (prawcore.Forbidden, prawcore.OAuthException)):
        return ReplyError(
            "Reddit refused to post as the account (banned from that subreddit, or the thread is locked), "
            "so nothing was posted."
        )
    if isinstance(exc, prawcore.NotFound):
        return ReplyError("That post or comment is gone from Reddit, so nothing was posted.")
    if isinstance(exc, prawcore.ServerError):
        return ReplyError("Reddit is having trouble, so nothing was posted. Try again in a few minutes.")
    return ReplyError(
        "Reddit did not confirm this reply, so it may or may not be posted. Check the thread on Reddit "
        "before sending it again.",
        unsure=True,
    )


class RedditSource:
    """New posts matching REDDIT_QUERY (Reddit's search) and new comments naming it, in some subreddits or all."""

    name = "reddit"

    def __init__(self, client: praw.Reddit, query: str, subreddits: tuple[str, ...] = (), can_reply: bool = False):
        self.client = client
        self.query = query
        self.where = "+".join(subreddits) or "all"
        self.can_reply = can_reply
        self._named = re.compile(r"\b" + re.escape(query.strip('"').strip()) + r"\b", re.IGNORECASE)

    def fetch(self, cursors: dict[str, str]) -> Iterator[Page]:
        import praw
        import prawcore

        try:
            subreddit = self.client.subreddit(self.where)
            key = f"posts:{self.where}:{self.query}"
            yield from self._read(
                key, cursors.get(key), lambda limit: subreddit.search(self.query, sort="new", limit=limit)
            )
            key = f"comments:{self.where}"
            yield from self._read(
                key,
                cursors.get(key),
                lambda limit: subreddit.comments(limit=min(limit or COMMENTS_READ, COMMENTS_READ)),
                keep=self._names,
            )
        # praw's errors and an answer of the wrong shape (ValueError) are Reddit's problem, said in plain words;
        # anything else is a bug of ours and reaches the pipeline, which logs it with its traceback.
        except (praw.exceptions.PRAWException, prawcore.PrawcoreException, ValueError, RuntimeError) as exc:
            log.debug("Reddit request failed", exc_info=True)
            raise explain(exc) from exc

    def _names(self, comment) -> bool:
        body = getattr(comment, "body", None)
        return isinstance(body, str) and bool(self._named.search(body))

    def _read(self, key: str, since: str | None, listing, keep=lambda item: True) -> Iterator[Page]:
        """Newest first, down to `OVERLAP` before the time saved last poll; the newest time is the next cursor.

        Reddit's search shows some posts minutes after they were made, so a post older than the
        saved time can still be new: the overlap reads it. Items read again are dropped as known.
        A first poll that finds nothing saves nothing (the next poll is a first poll again).
        """
        floor = float(since) if since else None
        start = floor - OVERLAP.total_seconds() if floor is not None else None
        fresh, reached = [], floor is None  # a first poll's one small page is the whole range
        items, read = listing(FIRST_POLL_SIZE if floor is None else BURST_LIMIT), 0
        # Stop at the first item older than that, so a quiet poll costs one request.
        for item in islice(items, BURST_LIMIT):
            read += 1
            created = _created(item)
            if start is not None and created is not None and created < start:
                reached = True
                break
            if keep(item):
                fresh.append(item)
        # Read to its end: down to the old position, or to the listing's own end, or as far as it
        # goes. A burst cut short by an empty page is read again next poll instead (items read
        # again are dropped as known).
        reached = reached or _listed_to_its_end(items, read)
        newest = max((t for t in map(_created, fresh) if t is not None), default=None)
        moved = reached and newest is not None and (floor is None or newest > floor)
        if fresh and not reached:
            log.info("Reddit's listing for %s ended before the last position seen; it is read again next poll.", key)
        yield Page(key, _parse_each(fresh), cursor=str(newest) if moved else None)

    def reply(self, mention: Mention, text: str) -> SentReply:
        """Post `text` as a comment under the post or comment."""
        import praw
        import prawcore

        kind, _, thing_id = mention.external_id.partition("_")
        thing = self.client.submission(id=thing_id) if kind == "t3" else self.client.comment(id=thing_id)
        try:
            comment = thing.reply(text)
        except (
            praw.exceptions.PRAWException,
            prawcore.PrawcoreException,
            AttributeError,
            TypeError,
            ValueError,
        ) as exc:
            log.debug("Posting a reply to Reddit failed", exc_info=True)
            raise explain_reply(exc) from exc
        if comment is None:
            raise ReplyError(
                "Reddit did not post this reply (the thread may be locked or archived), so nothing was posted."
            )
        return SentReply(f"t1_{comment.id}", SITE + comment.permalink)


def _listed_to_its_end(items, read: int) -> bool:
    """Whether a listing stopped at its end or its limit, not at an empty page in the middle of a burst.

    praw stops quietly at both; only its generator knows which (`_exhausted`: Reddit gave no `after`),
    so that private flag is read (praw is pinned). Without it, a short last page is the end: Reddit
    sends pages of 100, but fewer when it drops removed items, so that guess can lose a burst's rest.
    """
    if read >= BURST_LIMIT or (getattr(items, "limit", None) or BURST_LIMIT) <= getattr(items, "yielded", 0):
        return True
    exhausted = getattr(items, "_exhausted", None)
    return exhausted if isinstance(exhausted, bool) else read % LISTING_PAGE != 0


def _created(item) -> float | None:
    try:
        return float(item.created_utc)
    except (AttributeError, TypeError, ValueError):
        return None


def _parse_each(items: Iterable) -> list[Mention]:
    found = []
    for item in items:
        try:
            found.append(to_mention(item))
        except (AttributeError, KeyError, TypeError, ValueError):
            log.warning(
                "Skipped an item from Reddit that could not be read: %.200r",
                getattr(item, "__dict__", item),
                exc_info=True,
            )
    return found


def to_mention(item) -> Mention:
    import praw

    if item.author is None:
        raise ValueError("deleted")  # a deleted post or comment has no one to answer
    handle = item.author.name
    if isinstance(item, praw.models.Submission):
        text = "\n".join(part for part in (item.title, item.selftext) if part)
        in_reply_to = None
    else:
        text, in_reply_to = item.body, item.parent_id
    if not text:
        raise ValueError("empty")
    if len(text) > TEXT_LIMIT:
        text = text[: TEXT_LIMIT - 1].rstrip() + "…"
    return Mention(
        source="reddit",
        external_id=item.fullname,  # t3_… for a post, t1_… for a comment
        author_handle=handle,
        author_name=handle,
        text=text,
        url=SITE + item.permalink,
        created_at=datetime.fromtimestamp(float(item.created_utc), UTC),
        in_reply_to=in_reply_to,
        raw=scrub({"subreddit": str(item.subreddit), "kind": item.fullname[:2]}),
    )


# --- The network: its settings and its declaration. ---------------------------------------------------------------


@dataclass(frozen=True)
class RedditSettings:
    client_id: str = field(repr=False)
    client_secret: str = field(repr=False)
    query: str
    subreddits: tuple[str, ...] = ()
    username: str = ""
    password: str = field(default="", repr=False)
    url: str = SITE  # also where its OAuth API is, in tests

    @property
    def can_reply(self) -> bool:
        return bool(self.username and self.password)


def read_settings(r: Reader) -> RedditSettings | None:
    r.together(
        "To listen on Reddit",
        ("REDDIT_CLIENT_ID", "REDDIT_CLIENT_SECRET", "REDDIT_QUERY"),
        "create a 'script' app at reddit.com/prefs/apps; REDDIT_QUERY is what to look for, like \"Bramble Café\"",
    )
    r.together(
        "For replies on Reddit", ("REDDIT_USERNAME", "REDDIT_PASSWORD"), "the Reddit account that owns the script app"
    )
    client_id, client_secret = r.get("REDDIT_CLIENT_ID"), r.get("REDDIT_CLIENT_SECRET")
    username = r.one(
        "REDDIT_USERNAME",
        r"[A-Za-z0-9_-]{3,20}",
        "REDDIT_USERNAME must be the Reddit account's name, like bramblecafe (no spaces)",
        strip=("/", "u/"),
    )
    password = r.password("REDDIT_PASSWORD")
    query = r.text("REDDIT_QUERY", 512)
    subreddits = r.names(
        "REDDIT_SUBREDDITS", r"[A-Za-z0-9_]{2,21}", ("/", "r/"), "subreddit names like london or cafes"
    )
    url = r.url("REDDIT_URL", SITE).rstrip("/")
    if not (client_id and client_secret and query):
        return None
    return RedditSettings(client_id, client_secret, query, subreddits, username, password, url)


def _replies(cfg: RedditSettings) -> str:
    if cfg.can_reply:
        return "replies sent from Slack are posted on Reddit as comments"
    return "replies on Reddit are recorded by hand (set REDDIT_USERNAME and REDDIT_PASSWORD to send them from Slack)"


NETWORK = Network(
    key="reddit",
    name="Reddit",
    read=read_settings,
    needs="REDDIT_CLIENT_ID, REDDIT_CLIENT_SECRET and REDDIT_QUERY",
    readme="2c. Mastodon, Bluesky, Reddit and RSS",
    build=lambda cfg: RedditSource(make_client(cfg), cfg.query, cfg.subreddits, can_reply=cfg.can_reply),
    secrets=("REDDIT_CLIENT_ID", "REDDIT_CLIENT_SECRET", "REDDIT_PASSWORD"),
    replies=_replies,
    reply_limit=10000,
    address="u/{handle}",
    loggers=("prawcore", "praw"),  # praw logs the password form at DEBUG
    sample_link="https://www.reddit.com/comments/{thing}/",
)
