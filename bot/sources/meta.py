"""Meta's Graph API, shared by the Facebook Page and Instagram networks: requests, paging, usage, errors in plain
words, settings and doctor's checks (how both read comments is in meta_comments.py).

Plain `requests`, not a client library. The Graph API is JSON over HTTPS with cursor paging, and
what a client library would add is what this module must control itself: a total deadline per
request (`DeadlineAdapter`), the Page token kept out of every URL (it goes in the Authorization
header; Graph's own `paging.next` links carry `access_token=…`, so only their query is followed,
without it, on our own base URL), Meta's usage headers turned into a pause, and its error codes
into plain words. facebook-business is the Marketing API's SDK (ads objects, heavy, and it
still leaves paging and errors to us); python-facebook-api is a thin wrapper by one maintainer
whose models would drop or refuse answers of a shape they do not expect; facebook-sdk has had
no release since 2018. requests is already a dependency.
"""

from __future__ import annotations

import json
import logging
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any
from urllib.parse import parse_qsl, urlsplit

import requests
from urllib3.util.retry import Retry

from bot.models import NOTE, OK, PROBLEM, Check, ReplyError, SourceError
from bot.sources.common import scrub
from bot.sources.deadline import DeadlineAdapter, exceeded, took_too_long

if TYPE_CHECKING:
    from bot.config import Reader

log = logging.getLogger(__name__)

# The one Graph API version every request names. v26.0 came out on 29 July 2026; Meta keeps a
# version for at least two years after the next one (v25.0 runs until 29 July 2028).
# https://developers.facebook.com/docs/graph-api/changelog/versions/
GRAPH_VERSION = "v26.0"
RETRY_BACKOFF = 0.5  # seconds before trying a refused connection again (then 1 s): Meta blips, briefly
GRAPH_URL = "https://graph.facebook.com"
README = "README → “2e. Facebook Page and Instagram”"
USER_AGENT = "ListeningPost/1.0"

BUSY_AT = 95  # percent of an allowance in Meta's usage headers at which Listening Post pauses itself
RATE_WINDOW = timedelta(minutes=30)  # a pause when Meta gives no time to wait (app usage is a rolling hour)
RATE_CODES = {4, 17, 32, 613, 80001, 80002}  # app, user, Page, custom; Pages and Instagram business use cases
PERMISSION_CODES = {10, *range(200, 300)}
TRANSIENT_CODES = {1, 2, 341}  # "temporary issue due to downtime": try again
# Graph's ids are digits, joined by "_" (a Page's post, a post's comment); this also keeps an id safe in a path.
GRAPH_ID = re.compile(r"[0-9A-Za-z]{1,64}(?:_[0-9A-Za-z]{1,64}){0,3}")


class GraphError(Exception):
    """Graph answered with an error body ({"error": {message, type, code, error_subcode, fbtrace_id}}) or not JSON."""

    def __init__(self, status: int, body: dict | None, headers: dict[str, str] | None = None):
        error = (body or {}).get("error") if isinstance(body, dict) else None
        error = error if isinstance(error, dict) else {}
        self.status = status
        self.code = _int(error.get("code"))
        self.subcode = _int(error.get("error_subcode"))
        self.message = str(error.get("message") or "")[:300]
        self.user_message = str(error.get("error_user_msg") or "")[:300]
        self.headers = headers or {}
        super().__init__(f"HTTP {status}, code {self.code}, subcode {self.subcode}")


class Paused(Exception):
    """Listening Post stops itself before a request: Meta's usage headers said the allowance is nearly spent."""

    def __init__(self, until: datetime, percent: int):
        super().__init__(f"paused until {until:%H:%M}")
        self.until = until
        self.percent = percent


# Graph's errors, the network's and an answer of the wrong shape: Meta's problem, said in plain words. Anything
# else is a bug of ours and reaches the pipeline, which logs it with its traceback.
READ_ERRORS = (GraphError, Paused, requests.RequestException, ValueError)
MALFORMED = (AttributeError, KeyError, TypeError, ValueError)  # one item of the wrong shape: skipped, not fatal


def graph_id(value: object) -> str:
    """A Graph id as text; ValueError for anything else (null, "", an object, "../me/feed", true), so the item is
    skipped as malformed. Before, str() made `None` an id: a second comment without an id was then dropped as a
    duplicate of the first, and an id with "/" or "?" in it would have been posted to as a path."""
    if isinstance(value, bool) or not isinstance(value, (str, int)):
        raise ValueError("not a Graph id")
    text = str(value)
    if not GRAPH_ID.fullmatch(text):
        raise ValueError("not a Graph id")
    return text


def _int(value: object) -> int | None:
    try:
        return int(value)  # type: ignore[call-overload]
    except (TypeError, ValueError):
        return None


@dataclass(frozen=True)
class MetaSettings:
    """What both Meta networks share: the Page, its token and where Graph is."""

    page_id: str
    token: str = field(repr=False)
    graph_url: str = GRAPH_URL


class GraphClient:
    """GETs and POSTs to one Graph API version as one Page, with a total deadline per request.

    Only GETs are retried on a connection that could not be made, so a reply is never posted twice.
    """

    def __init__(self, settings: MetaSettings, seconds: float | None = None):
        self.base = f"{settings.graph_url.rstrip('/')}/{GRAPH_VERSION}"
        self.token = settings.token
        self.session = requests.Session()
        adapter = DeadlineAdapter(
            seconds=seconds,
            max_retries=Retry(
                total=2, connect=2, read=0, status=0, backoff_factor=RETRY_BACKOFF, allowed_methods=["GET"]
            ),
        )
        for prefix in ("https://", "http://"):
            self.session.mount(prefix, adapter)
        # Graph never redirects an API call: one that does is not Graph, and its answer is not read as Graph's.
        self.session.max_redirects = 0
        # The token travels only in this header: never in a URL that a log line or a traceback could show.
        self.session.headers.update({"Authorization": f"Bearer {self.token}", "User-Agent": USER_AGENT})
        self.paused_until: datetime | None = None
        self.busiest = 0  # the highest usage percent in the last answer

    def get(self, path: str, params: dict[str, Any] | None = None) -> dict:
        return self._send("GET", path, params=params or {})

    def post(self, path: str, data: dict[str, str]) -> dict:
        return self._send("POST", path, data=data)  # a form body: the text is never in the URL either

    def _send(self, method: str, path: str, **kwargs: Any) -> dict:
        now = datetime.now(UTC)
        if self.paused_until and now < self.paused_until:
            raise Paused(self.paused_until, self.busiest)
        response = self.session.request(method, self.base + path, timeout=(10, 20), **kwargs)
        headers = {k.lower(): v for k, v in response.headers.items()}
        self._note_usage(headers, now)
        try:
            body = response.json()
        except ValueError:
            body = None
        if response.status_code >= 400 or (isinstance(body, dict) and "error" in body):
            raise GraphError(response.status_code, body if isinstance(body, dict) else None, headers)
        if not isinstance(body, dict):
            raise ValueError(f"Graph answered {type(body).__name__}, not an object")
        return scrub(body)

    def _note_usage(self, headers: dict[str, str], now: datetime) -> None:
        percent, wait = usage(headers)
        self.busiest = percent
        if percent >= BUSY_AT:
            self.paused_until = now + (wait or RATE_WINDOW)
            log.info(
                "Meta says this app has used %s%% of its allowance; pausing Meta until %s.", percent, self.paused_until
            )

    def pages(self, path: str, params: dict[str, Any], first: dict | None = None) -> Iterator[list]:
        """Each page of an edge, newest first as Graph sends it, following `paging.next` until it ends.

        `first` is the edge as a field expansion already returned it ({"data": [...], "paging": {...}}).
        """
        body = first if first is not None else self.get(path, params)
        while True:
            data, following = edge(body)
            yield data
            if following is None:
                return
            body = self.get(path, following)


def edge(body: object) -> tuple[list, dict[str, str] | None]:
    """An edge's items and the query of its next page (without any access_token), or None at its end.

    Graph pages some edges with cursors (`paging.cursors.after`, comments and media) and others by time
    (`until` and `__paging_token` in `paging.next`, posts); the query of `paging.next` covers both.
    """
    if body is None:
        return [], None
    if not isinstance(body, dict) or not isinstance(body.get("data", []), list):
        raise ValueError("Graph edge of the wrong shape")
    paging = body.get("paging") or {}
    following = paging.get("next") if isinstance(paging, dict) else None
    if not isinstance(following, str) or not following:
        return body.get("data") or [], None
    query = {k: v for k, v in parse_qsl(urlsplit(following).query, keep_blank_values=True) if k != "access_token"}
    return body.get("data") or [], query


def usage(headers: dict[str, str]) -> tuple[int, timedelta | None]:
    """The highest percent used in X-App-Usage and X-Business-Use-Case-Usage, and how long Meta says to wait.

    X-App-Usage: {"call_count": 28, "total_time": 25, "total_cputime": 25} (percents of the app's hourly
    allowance). X-Business-Use-Case-Usage: {"<page or IG id>": [{"type": "pages", "call_count": …,
    "total_cputime": …, "total_time": …, "estimated_time_to_regain_access": minutes}]}.
    https://developers.facebook.com/docs/graph-api/overview/rate-limiting/
    """
    percent, wait = 0, 0
    for name in ("x-app-usage", "x-page-usage", "x-business-use-case-usage"):
        try:
            parsed = json.loads(headers.get(name) or "null")
        except ValueError:
            continue
        entries: list = []
        if isinstance(parsed, dict) and name != "x-business-use-case-usage":
            entries = [parsed]
        elif isinstance(parsed, dict):
            entries = [e for v in parsed.values() if isinstance(v, list) for e in v if isinstance(e, dict)]
        for entry in entries:
            for key in ("call_count", "total_cputime", "total_time"):
                percent = max(percent, _int(entry.get(key)) or 0)
            wait = max(wait, _int(entry.get("estimated_time_to_regain_access")) or 0)
    return percent, timedelta(minutes=wait) if wait else None


# --- Errors in plain words -----------------------------------------------------------------------------------------

NEW_TOKEN = (
    f"Make a new long-lived Page token ({README}, steps 4–6: Graph API Explorer, extend the user token, then "
    "me/accounts) and put it in META_PAGE_TOKEN."
)


def explain(exc: Exception, network: str, needs: tuple[str, ...], token: str = "") -> SourceError:
    """A Graph or network error in words for the owner, with when to try again; `needs` names the permissions
    of the call that failed."""
    seconds = exceeded(exc)
    if seconds is not None:
        return SourceError(took_too_long(network, seconds))
    now = datetime.now(UTC)
    if isinstance(exc, Paused):
        return SourceError(
            f"Meta says this app has used {exc.percent}% of what it may ask for now, so Listening Post pauses "
            f"{network} until {exc.until:%H:%M} UTC rather than be cut off.",
            retry_at=exc.until,
        )
    if isinstance(exc, GraphError):
        words, retry_at = _graph_words(exc, network, needs, token, now)
        return SourceError(words, retry_at=retry_at)
    if isinstance(exc, requests.RequestException) and not isinstance(exc, ValueError):  # JSON errors are both
        return SourceError(f"Could not reach Meta for {network} ({type(exc).__name__}); will try again next poll.")
    return SourceError(f"Meta sent {network} a response Listening Post could not read; will try again next poll.")


def _graph_words(
    exc: GraphError, network: str, needs: tuple[str, ...], token: str, now: datetime
) -> tuple[str, datetime | None]:
    code = exc.code
    if code == 190 or exc.status == 401:
        why = {
            463: "it expired",
            460: "the password of the person who made it changed",
            492: "that person's role on the Page changed",
            458: "the app was removed from that person's account",
        }.get(exc.subcode or 0, "it expired, was revoked or was mistyped")
        return f"Meta no longer accepts META_PAGE_TOKEN ({why}). {NEW_TOKEN}", None
    if code in RATE_CODES or (code is None and exc.status == 429):  # a bare 429 (a proxy, an edge) waits too
        _, wait = usage(exc.headers)
        until = now + (wait or RATE_WINDOW)
        return f"Meta's rate limit for {network} is reached (code {code}); trying again at {until:%H:%M} UTC.", until
    if code in PERMISSION_CODES:
        return (
            f"Meta refused to let the token read {network}: it lacks a permission ({_ticks(needs)}). {TICK}",
            None,
        )
    if code == 100 and exc.subcode == 33:
        return (
            f"Meta cannot find what {network} reads with this token (code 100): check META_PAGE_ID (and "
            "INSTAGRAM_ACCOUNT_ID), and that META_PAGE_TOKEN is that Page's token, copied from me/accounts.",
            None,
        )
    if code in TRANSIENT_CODES or exc.status >= 500:
        return f"Meta is having trouble (HTTP {exc.status}); will try {network} again next poll.", None
    if code is None:
        return (
            f"Meta sent {network} a response Listening Post could not read (HTTP {exc.status}); will try again next poll.",
            None,
        )
    return f"Meta answered HTTP {exc.status} (code {code}): {masked(exc.message, token) or 'no reason given'}", None


TICK = (
    "In your app at developers.facebook.com: Use cases → Customize → tick it, then make a new Page token with it "
    f"and put that in META_PAGE_TOKEN ({README})."
)


def _ticks(needs: tuple[str, ...]) -> str:
    return "tick " + " and ".join(needs) if needs else "see doctor"


def masked(text: str, token: str) -> str:
    """Meta's own words, never carrying the token (it does not echo it, but nothing here trusts that)."""
    if token and len(token) >= 6:
        text = text.replace(token, "***")
    return re.sub(r"access_token=[^&\s]+", "access_token=***", text)


def explain_reply(exc: Exception, network: str, needs: tuple[str, ...], token: str = "") -> ReplyError:
    """Why a reply could not be posted, in words for the person who wrote it."""
    if isinstance(exc, Paused):
        return ReplyError(
            f"Meta says this app has used {exc.percent}% of what it may ask for now, so nothing was posted. "
            f"Try again after {exc.until:%H:%M} UTC."
        )
    if isinstance(exc, GraphError):
        code = exc.code
        if code == 190 or exc.status == 401:
            return ReplyError(f"Meta no longer accepts META_PAGE_TOKEN, so nothing was posted. {NEW_TOKEN}")
        if code in RATE_CODES or code == 368 or (code is None and exc.status == 429):
            return ReplyError(
                f"Meta is limiting how often the account can comment on {network}, so nothing was posted. "
                "Try again in a few minutes."
            )
        if code in PERMISSION_CODES:
            return ReplyError(
                f"Meta refused to post this reply on {network} (code {code}), so nothing was posted: the token needs "
                f"{' and '.join(needs)}, or {network} does not let the account comment there. {TICK}"
            )
        if code == 100 and exc.subcode == 33:
            return ReplyError(f"That comment or post is gone from {network} (or hidden), so nothing was posted.")
        if code == 506:
            return ReplyError(f"{network} refused this reply as a duplicate of one just posted. Change a few words.")
        if code in TRANSIENT_CODES or exc.status >= 500:
            return ReplyError(
                f"Meta is having trouble (HTTP {exc.status}), so the reply may or may not be on {network}. Listening "
                "Post looks for the Page's replies on the next poll; please don't send it again before then.",
                unsure=True,
            )
        said = masked(exc.user_message or exc.message, token) or "no reason given"
        return ReplyError(f"{network} did not accept this reply, so nothing was posted (code {code}): {said}")
    if isinstance(exc, requests.ConnectTimeout) or "NewConnectionError" in repr(exc):
        return ReplyError(f"Could not reach Meta, so nothing was posted on {network}. Try again in a few minutes.")
    return ReplyError(
        f"Meta did not confirm this reply, so it may or may not be on {network}. Listening Post looks for the "
        "Page's replies on the next poll and records it if it went out; please don't send it again before then.",
        unsure=True,
    )


# --- Settings, shared -----------------------------------------------------------------------------------------------

_DIGITS = r"\d{5,30}"


def token_problem(token: str) -> str | None:
    """What is wrong with a token that cannot be a Page token by its shape (a user token looks the same: doctor tells)."""
    if "|" in token:
        return (
            "META_PAGE_TOKEN looks like an app token (the app ID and secret joined by |), which cannot read a Page. "
            f"Copy the Page's own access_token from me/accounts ({README}, step 6)."
        )
    if token.startswith("IG"):
        return (
            "META_PAGE_TOKEN looks like an Instagram Login token (it starts with IG). Listening Post reads Instagram "
            f"through the Facebook Page it is linked to: copy the Page's access_token from me/accounts ({README}, step 6)."
        )
    return None


def read_meta(r: Reader, purpose: str) -> MetaSettings | None:
    r.together(
        purpose,
        ("META_PAGE_ID", "META_PAGE_TOKEN"),
        f"the Page's ID and its long-lived Page token, both from me/accounts; {README}",
    )
    page_id = r.one(
        "META_PAGE_ID",
        _DIGITS,
        "META_PAGE_ID must be your Facebook Page's ID, digits only, like 104857362519283 (the id next to your Page "
        f"in me/accounts; {README}), not its name or address",
    )
    token = r.get("META_PAGE_TOKEN")
    if token and (problem := token_problem(token)):
        r.problem(problem)
    graph_url = r.url("META_GRAPH_URL", GRAPH_URL).rstrip("/")
    if not (page_id and token):
        return None
    return MetaSettings(page_id, token, graph_url)


def read_ig_id(r: Reader) -> str:
    return r.one(
        "INSTAGRAM_ACCOUNT_ID",
        _DIGITS,
        "INSTAGRAM_ACCOUNT_ID must be the Instagram professional account's ID, digits only, like 17841400455970028 "
        f"(instagram_business_account in me/accounts; {README}), not its @name",
    )


# --- Doctor, shared -------------------------------------------------------------------------------------------------


def whose_token(client: GraphClient, settings: MetaSettings) -> Iterator[Check]:
    """A PROBLEM when the token is not the Page's own (a personal user token, another Page's); nothing when it is."""
    me = client.get("/me", {"fields": "id,name"})
    if str(me.get("id")) != settings.page_id:
        yield (
            PROBLEM,
            f"META_PAGE_TOKEN is not the token of Page {settings.page_id}: it belongs to {me.get('name') or 'someone'} "
            f"({me.get('id')}), so it is a personal (user) token or another Page's. Run me/accounts with your "
            f"long-lived user token and copy the access_token next to your Page ({README}, step 6).",
        )


def granted(client: GraphClient) -> set[str] | None:
    """The permissions the token carries, from /debug_token, or None when Meta will not say.

    The only Graph call whose URL holds the token (input_token has no other place); doctor runs it with
    logging off, and nothing here logs a URL.
    """
    try:
        body = client.get("/debug_token", {"input_token": client.token})
    except (GraphError, Paused, requests.RequestException, ValueError):
        return None
    data = body.get("data")
    scopes = data.get("scopes") if isinstance(data, dict) else None
    return {str(s) for s in scopes} if isinstance(scopes, list) else None


def first_poll_words(found: int) -> str:
    """What doctor's first read found, as its line says it: "3 recent comments or tagging posts to show…"."""
    s = "" if found == 1 else "s"
    return f"{found} recent comment{s} or tagging post{s} to show on the first poll."


def permission_checks(
    scopes: set[str] | None, reads: tuple[str, ...], replies: tuple[str, ...], network: str
) -> Iterator[Check]:
    if scopes is None:
        yield (
            NOTE,
            f"Meta would not say which permissions the token has; replies on {network} need {' and '.join(replies)}.",
        )
        return
    missing = [p for p in reads if p not in scopes]
    if missing:
        yield PROBLEM, f"{network}: the token lacks {' and '.join(missing)}, which reading needs. {TICK}"
    missing = [p for p in replies if p not in scopes]
    if missing:
        yield (
            PROBLEM,
            f"{network}: replies sent from Slack would be refused: the token lacks {' and '.join(missing)}. {TICK}",
        )
    else:
        yield OK, f"{network}: the token may post replies ({' and '.join(replies)})."
