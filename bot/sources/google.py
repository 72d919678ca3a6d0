"""Google reviews: each new or edited review of the business's location, through the Business Profile API.

Reviews are read with the My Business API v4 (`accounts/{a}/locations/{l}/reviews`, newest change first)
and answered with its updateReply. Signing in is OAuth 2.0 with the owner's refresh token, exchanged
for an access token by Google's own `google-auth` library; the HTTP calls are requests, on a session
with a total deadline per request, so a test server or a proxy can stand in for Google (google_client.py:
the sign-in, the calls and Google's errors in plain words; this module: reading and the declaration).

Documentation relied on:
- reviews.list, updateReply and the Review resource:
  https://developers.google.com/my-business/reference/rest/v4/accounts.locations.reviews
- the reviews guide: https://developers.google.com/my-business/content/review-data
- the location's Maps link: https://developers.google.com/my-business/reference/businessinformation/rest/v1/locations
- quotas (zero until Google approves access, 429 past them): https://developers.google.com/my-business/content/limits
"""

from __future__ import annotations

import hashlib
import json
import logging
import re
import traceback
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING

import requests

from bot.models import Mention, NetworkReply, Page, ReplyError, SentReply, SourceError
from bot.sources.common import FIRST_POLL_SIZE, iso, scrub, strict_time, utc
from bot.sources.google_client import API_URL, SETUP, TOKEN_URL, GoogleClient, GoogleError, explain, explain_reply
from bot.sources.registry import Network
from bot.text import clean

if TYPE_CHECKING:  # google-auth is imported where it is used, so declaring the network costs nothing
    from bot.config import Reader

log = logging.getLogger(__name__)

API_VERSION = "v4"  # reviews are only in the My Business API v4 (Google moved the rest of it to v1 APIs)
INFO_VERSION = "v1"  # the Business Information API: only for the location's Maps link, when a review has no link
PAGE_SIZE = 50  # the most reviews.list returns a page; Google refuses a larger pageSize
MAX_PAGES = 20  # per poll; a range not read to its end is read again next poll
OVERLAP = timedelta(days=1)  # read again before the newest change seen: a review held for checks appears late
REMEMBERED = 2000  # reviews whose words and stars are kept in the cursor, to tell an edit from a re-read
EDIT_GRACE = timedelta(minutes=1)  # an updateTime this close to createTime is the review as first written
REPLY_BYTES = 4096  # Google's limit for a reply's comment, counted in bytes (UTF-8)
PROFILE_LINK = "https://business.google.com/reviews"  # where the owner's reviews are, when Google gives no better link
STARS = {"ONE": 1, "TWO": 2, "THREE": 3, "FOUR": 4, "FIVE": 5}
LOCATION = re.compile(r"accounts/(\d+)/locations/(\d+)")
EARLIEST = datetime(2005, 1, 1, tzinfo=UTC)  # before any Google review: a saved time earlier than this is not ours
REVIEW_ID = re.compile(r"[\w-]{1,300}")


# --- Reading. ------------------------------------------------------------------------------------------------------


def compact(moment: datetime) -> str:
    """A time as it goes into an edited review's id: 20261201T093012Z."""
    return moment.astimezone(UTC).strftime("%Y%m%dT%H%M%SZ")


def _digest(text: str) -> str:
    return hashlib.sha1(text.encode("utf-8", "surrogatepass")).hexdigest()[:12]


@dataclass
class _Position:
    """What the cursor of one location keeps: the newest change seen, the time before which nothing unseen is
    shown (older than the first poll), and each remembered review's words and stars with the card it has."""

    since: datetime | None = None
    floor: datetime | None = None
    seen: dict[str, str] = field(default_factory=dict)  # digest of the review id -> "words digest|id suffix"

    @classmethod
    def read(cls, saved: str | None) -> _Position:
        if not saved:
            return cls()
        try:
            state = json.loads(saved)
            seen = state.get("seen") or {}
            if not isinstance(seen, dict) or not all(isinstance(v, str) for v in seen.values()):
                raise ValueError("seen")
            return cls(
                _saved_time(state["since"]) if state.get("since") else None,
                _saved_time(state["floor"]) if state.get("floor") else None,
                dict(seen),
            )
        except (ValueError, TypeError, KeyError, AttributeError):
            log.warning("Ignoring an unreadable saved Google position %.80r; starting as on a first poll.", saved)
            return cls()

    def dump(self) -> str:
        kept = dict(list(self.seen.items())[-REMEMBERED:])
        return json.dumps(
            {
                "since": iso(self.since) if self.since else None,
                "floor": iso(self.floor) if self.floor else None,
                "seen": kept,
            },
            separators=(",", ":"),
        )


@dataclass(frozen=True)
class _Review:
    """The parts of one review Listening Post uses, checked."""

    review_id: str
    stars: int | None
    comment: str
    created: datetime
    updated: datetime
    raw: dict

    @classmethod
    def of(cls, raw: object) -> _Review:
        if not isinstance(raw, dict):
            raise ValueError("not an object")
        review_id = raw["reviewId"]
        if not isinstance(review_id, str) or not REVIEW_ID.fullmatch(review_id):
            raise ValueError("reviewId")
        comment = raw.get("comment") or ""
        if not isinstance(comment, str):
            raise ValueError("comment")
        stars = STARS.get(str(raw.get("starRating")))  # STAR_RATING_UNSPECIFIED, or none: no stars to show
        if stars is None and not comment.strip():
            raise ValueError("neither stars nor words")
        created = strict_time(raw["createTime"])
        return cls(review_id, stars, comment, created, strict_time(raw.get("updateTime") or raw["createTime"]), raw)

    @property
    def words(self) -> str:
        return _digest(f"{self.stars}|{self.comment}")

    def reply(self) -> dict | None:
        """The owner's reply on Google, unless Google rejected it (then nobody sees it)."""
        reply = self.raw.get("reviewReply")
        if not isinstance(reply, dict) or not isinstance(reply.get("comment"), str) or not reply.get("updateTime"):
            return None
        try:  # a reply whose time cannot be read is no reply: before, it made the whole review unreadable, never carded
            strict_time(reply["updateTime"])
        except ValueError:
            return None
        state = reply.get("reviewReplyState") or reply.get("state")
        return None if state == "REJECTED" else reply

    def reply_explains(self) -> bool:
        """Whether a change of updateTime is the owner's reply, not the reviewer's edit."""
        reply = self.reply()
        return reply is not None and abs(utc(reply["updateTime"]) - self.updated) <= timedelta(seconds=2)


class GoogleSource:
    """New and edited reviews of one Business Profile location, and the owner's replies to them."""

    name = "google"
    can_reply = True

    def __init__(self, client: GoogleClient, location: str):
        self.client = client
        self.location = location
        self._link: str | None = None

    @property
    def reviews_url(self) -> str:
        return f"{self.client.api_url}/{API_VERSION}/{self.location}/reviews"

    def fetch(self, cursors: dict[str, str]) -> Iterator[Page]:
        from google.auth.exceptions import GoogleAuthError

        key = f"reviews:{self.location}"
        failure: SourceError | None = None
        try:
            yield from self._read(key, _Position.read(cursors.get(key)))
        # google-auth's and requests' errors, Google's refusals and an answer of the wrong shape (ValueError) are
        # Google's problem, said in plain words; anything else is a bug of ours and reaches the pipeline.
        except (GoogleAuthError, GoogleError, requests.RequestException, ValueError) as exc:
            said = explain(exc, self.location, self.client.api_url)
            failure = SourceError(self._failed("Google request failed", exc, said), retry_at=said.retry_at)
        if failure is not None:  # raised here, outside the except: no exception chain carries what the request held
            raise failure

    def _failed(self, what: str, exc: BaseException, said: Exception) -> str:
        """Log `exc` at DEBUG with its traceback, masked, and return `said`'s words, masked. google-auth's errors
        hold the token endpoint's answer, and requests' the request; neither is kept in the error raised."""
        log.debug("%s: %s", what, self.client.mask("".join(traceback.format_exception(exc))))
        return self.client.mask(str(said))

    def _read(self, key: str, position: _Position) -> Iterator[Page]:
        """Newest change first, down to `OVERLAP` before the newest change seen last poll (the first page always:
        it also carries replies the owner made on Google). The cursor is saved only with the last page."""
        first = position.since is None
        stop = position.since - OVERLAP if position.since else None
        newest, token, pages, complete = position.since, None, 0, False
        while pages < MAX_PAGES:
            params = {"pageSize": FIRST_POLL_SIZE if first else PAGE_SIZE, "orderBy": "updateTime desc"}
            body = self.client.call(
                "GET", self.reviews_url, params={**params, **({"pageToken": token} if token else {})}
            )
            items, token = body.get("reviews") or [], body.get("nextPageToken") or None
            if not isinstance(items, list) or not isinstance(token, (str, type(None))):
                raise ValueError("Google's page of reviews has fields of the wrong type")
            pages += 1
            reviews = _each(items)
            mentions, replies = self._page(reviews, position)
            if first:
                # Reviews older than the first poll's are never shown, unless their author edits them later.
                position.floor = min((r.updated for r in reviews), default=None) if token else None
            newest = max([r.updated for r in reviews] + ([newest] if newest else []), default=None)
            # Never later than now: a review dated in the future (a wrong clock, a hostile answer) made every later
            # poll stop at its first page, which "reached" the day before it, so a burst's second page was never read.
            newest = min(newest, datetime.now(UTC)) if newest else None
            reached = first or stop is None or any(r.updated <= stop for r in reviews)
            if reached or not token:
                complete = bool(items) or pages == 1 or reached
                position.since = newest
                yield Page(key, mentions, cursor=position.dump() if complete else None, replies=replies)
                break
            yield Page(key, mentions, replies=replies)
        if not complete:
            log.info("Google's pages of reviews ended before the last position seen; they are read again next poll.")

    def _page(self, reviews: list[_Review], position: _Position) -> tuple[list[Mention], list[NetworkReply]]:
        mentions, replies = [], []
        for review in reviews:
            try:
                found = self._version(review, position)
                if found is None:
                    continue
                card_id, new = found
                if new:
                    mentions.append(self._mention(review, card_id))
                reply = self._reply(review, card_id)
                if reply:
                    replies.append(reply)
            except (AttributeError, KeyError, TypeError, ValueError):
                log.warning("Skipped a review from Google that could not be read: %.200r", review.raw, exc_info=True)
        return mentions, replies

    def _version(self, review: _Review, position: _Position) -> tuple[str, bool] | None:
        """The id of the card this version of the review has, and whether it is a new one; None for a review
        older than the first poll that nobody changed since.

        An edited review (its words or stars changed) is a new card, `{reviewId}:{updateTime}`: on Google an edit
        replaces the review under the same id, and a complaint that became praise, or the other way round, is
        news the team should see (and answer again) rather than a change hidden in an old card. Its
        updateTime also moves when the owner replies, so an edit is told by the words and stars changing,
        which the cursor remembers, not by the time alone.
        """
        key = _digest(review.review_id)
        remembered = position.seen.pop(key, None)
        if remembered is not None:
            words, _, suffix = remembered.partition("|")
            if words == review.words:
                position.seen[key] = remembered  # kept, as the most recently read
                return (f"{review.review_id}:{suffix}" if suffix else review.review_id), False
            suffix = compact(review.updated)
        elif position.floor is not None and review.updated <= position.floor:
            return None
        else:
            # Not seen before: a new review, or one whose first version was never read here (written before the
            # first poll, or forgotten): then this version is its own card, apart from any old one.
            edited = review.updated - review.created > EDIT_GRACE and not review.reply_explains()
            suffix = compact(review.updated) if edited else ""
        position.seen[key] = f"{review.words}|{suffix}"
        return (f"{review.review_id}:{suffix}" if suffix else review.review_id), True

    def _mention(self, review: _Review, card_id: str) -> Mention:
        found = review.raw.get("reviewer")
        reviewer: dict = found if isinstance(found, dict) else {}
        anonymous = reviewer.get("isAnonymous") is True or not reviewer.get("displayName")
        edited = ":" in card_id
        return Mention(
            source="google",
            external_id=card_id,
            author_handle="",  # nobody has a handle on Google; a reply names them instead
            author_name="A Google user" if anonymous else str(reviewer["displayName"]),
            text=review.comment,  # may be empty: stars alone
            url=self._url(review.raw),
            created_at=review.updated if edited else review.created,
            rating=review.stars,
            raw=scrub({"review": review.raw.get("name"), "edited": edited}),
        )

    def _reply(self, review: _Review, card_id: str) -> NetworkReply | None:
        reply = review.reply()
        if reply is None:
            return None
        written = utc(reply["updateTime"])
        # A reply written before this version of the review answered an earlier one: the original card.
        version = review.updated if ":" in card_id else review.created
        answers = card_id if written >= version - timedelta(seconds=2) else review.review_id
        return NetworkReply(
            source="google",
            external_id=reply_id(review.review_id, written),
            in_reply_to=answers,
            text=clean(reply["comment"]),
            url=self._url(review.raw),
            created_at=written,
            account="",  # the business has no handle on Google: the card says the owner replied
        )

    def _url(self, raw: dict) -> str:
        """Where the card sends the team: Google's own link to answer this review, else the location on Maps."""
        link = raw.get("reviewReplyUrl")
        if isinstance(link, str) and link.startswith("https://"):
            return link
        return self.location_link()

    def location_link(self) -> str:
        """The location on Google Maps (asked once), or the owner's reviews page when Google does not say."""
        if self._link is None:
            self._link = PROFILE_LINK
            try:
                found = self.client.call(
                    "GET",
                    f"{self.client.info_url()}/{INFO_VERSION}/locations/{self.location.rsplit('/', 1)[-1]}",
                    params={"readMask": "metadata"},
                )
                maps = (found.get("metadata") or {}).get("mapsUri")
                if isinstance(maps, str) and maps.startswith("https://"):
                    self._link = maps
            except Exception as exc:  # only a link: the Business Information API may be off, and the reviews come
                log.debug("The location's Maps link could not be read: %s", self.client.mask(repr(exc)))
        return self._link

    def reply(self, mention: Mention, text: str) -> SentReply:
        """Post `text` as the owner's reply to the review (updateReply: it replaces a reply already there)."""
        from google.auth.exceptions import GoogleAuthError

        review_id = mention.external_id.split(":", 1)[0]
        if not REVIEW_ID.fullmatch(review_id):  # never a path of another shape ("../", "?", "/") on Google's API
            raise ReplyError(
                "This mention's Google review id is not one Listening Post can answer, so nothing was posted. "
                "Reply on Google directly, then press “I replied myself”."
            )
        failure: ReplyError | None = None
        try:
            body = self.client.call("PUT", f"{self.reviews_url}/{review_id}/reply", json={"comment": text})
        except (GoogleAuthError, GoogleError, requests.RequestException, ValueError) as exc:
            said = explain_reply(exc)
            failure = ReplyError(self._failed("Posting a reply to Google failed", exc, said), unsure=said.unsure)
        if failure is not None:  # outside the except: no chain
            raise failure
        try:
            written = utc(body["updateTime"])
        except (KeyError, TypeError, ValueError):
            written = datetime.now(UTC)
        return SentReply(reply_id(review_id, written), mention.url)


def reply_id(review_id: str, written: datetime) -> str:
    """A reply's id: Google gives it none; the review and when the reply was written tell it apart."""
    return f"{review_id}:reply:{compact(written)}"


def _saved_time(value: object) -> datetime:
    """A time from a saved position: one before Google reviews existed or over a day ahead was not saved by this
    version (hand-edited; `since - OVERLAP` overflowed on every poll, or every review was hidden), so it is unreadable."""
    moment = strict_time(value)
    if not EARLIEST <= moment <= datetime.now(UTC) + timedelta(days=1):
        raise ValueError("out of range")
    return min(moment, datetime.now(UTC))


def _each(items: list) -> list[_Review]:
    """The readable reviews of a page; a malformed one is logged and skipped, the rest are carded."""
    found = []
    for item in items:
        try:
            found.append(_Review.of(item))
        except (AttributeError, KeyError, TypeError, ValueError):
            log.warning("Skipped a review from Google that could not be read: %.200r", item, exc_info=True)
    return found


# --- The network: its settings and its declaration. ---------------------------------------------------------------


@dataclass(frozen=True)
class GoogleSettings:
    client_id: str = field(repr=False)
    client_secret: str = field(repr=False)
    refresh_token: str = field(repr=False)
    location: str
    api_url: str = API_URL
    token_url: str = TOKEN_URL


def read_settings(r: Reader) -> GoogleSettings | None:
    names = ("GOOGLE_CLIENT_ID", "GOOGLE_CLIENT_SECRET", "GOOGLE_REFRESH_TOKEN", "GOOGLE_LOCATION")
    r.together("To read Google reviews", names, SETUP)
    client_id, client_secret, refresh_token = (r.get(name) for name in names[:3])
    location = r.one(
        "GOOGLE_LOCATION",
        LOCATION.pattern,
        "GOOGLE_LOCATION must be your location as Google's API names it, like accounts/123456789/locations/987654321 "
        f"({SETUP}, step 6, shows where to find both numbers)",
        strip=("/",),
    ).strip("/")
    api_url = r.url("GOOGLE_API_URL", API_URL).rstrip("/")
    token_url = r.url("GOOGLE_TOKEN_URL", TOKEN_URL)
    if not (client_id and client_secret and refresh_token and LOCATION.fullmatch(location)):
        return None
    return GoogleSettings(client_id, client_secret, refresh_token, location, api_url, token_url)


def build(cfg: GoogleSettings) -> GoogleSource:
    client = GoogleClient(cfg.client_id, cfg.client_secret, cfg.refresh_token, cfg.api_url, cfg.token_url)
    return GoogleSource(client, cfg.location)


NETWORK = Network(
    key="google",
    name="Google reviews",
    read=read_settings,
    needs="GOOGLE_CLIENT_ID, GOOGLE_CLIENT_SECRET, GOOGLE_REFRESH_TOKEN and GOOGLE_LOCATION",
    readme="2d. Google reviews",
    build=build,
    secrets=("GOOGLE_CLIENT_ID", "GOOGLE_CLIENT_SECRET", "GOOGLE_REFRESH_TOKEN"),
    replies=lambda cfg: "replies sent from chat are posted on Google as the owner's reply to the review",
    reply_limit=REPLY_BYTES,
    length=lambda text: len(text.encode("utf-8")),  # Google counts a reply's bytes, not its characters
    # A review is answered in public, under it, with no @: the reply names the reviewer by first name, if any.
    address="{first_name},",
    # Google shows a reply as plain text (a link is not clickable) and asks for short, relevant replies.
    links=False,
    messages=False,  # nobody can be sent a message on Google: a reply never asks for a DM
    loggers=("google.auth", "google.oauth2"),  # google-auth logs the refresh-token form at DEBUG
    sample_link="https://business.google.com/reviews",
)
