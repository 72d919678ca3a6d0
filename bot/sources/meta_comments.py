"""How Facebook and Instagram read comments and tagging posts the same way: a cursor per post, a capped first
poll, posts remembered by id, the account's own replies told apart, replies posted (each network passes its `Dialect`)."""

from __future__ import annotations

import json
import logging
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

from bot.models import Mention, NetworkReply, Page, ReplyError
from bot.sources.common import FIRST_POLL_SIZE, iso, strict_time, utc
from bot.sources.meta import MALFORMED, READ_ERRORS, GraphClient, explain, explain_reply, graph_id

log = logging.getLogger(__name__)

MAX_LIMIT = 100  # Graph refuses a larger `limit` on the edges read here
MAX_PAGES = 10  # pages of new comments per post (or of tagging posts) per poll
OVERLAP = timedelta(minutes=2)  # read again before the newest time seen: Meta shows some comments (GIFs, videos) late
EARLIEST = datetime(2004, 1, 1, tzinfo=UTC)  # no Graph object is older than Facebook; an earlier saved time is raised


def not_ahead(moment: datetime) -> datetime:
    """`moment`, but never later than now. A position saved from a comment dated in the future (a wrong clock, a
    hostile answer) dropped every later comment on its post as already read. (Meta's clock a little ahead of ours
    only means a little more is read again, and known by its id.)"""
    return min(moment, datetime.now(UTC))


SEEN_KEPT = 300  # ids a seen-list cursor remembers: far more than one poll's first page


def unseen(
    client: GraphClient, path: str, fields: str, saved: str | None, first_size: int, max_pages: int
) -> tuple[list[dict], str, bool]:
    """The items of an edge not seen before, newest first, and the cursor that remembers them.

    For edges whose order says little (posts that tag the account: a tag can be added to an old post),
    a cursor of the ids seen, not a time. The first poll marks a whole page seen and returns its newest
    `first_size`; later polls page on while a page still holds unseen items. Returns (items, cursor, first).
    """
    try:
        seen = json.loads(saved)["seen"] if saved else None
        if not isinstance(seen, list):
            raise TypeError
    except (ValueError, TypeError, KeyError):
        if saved:
            log.warning("Ignoring an unreadable saved position %.80r; reading as on a first poll.", saved)
        seen = None
    known = set(map(str, seen or []))
    found: list[dict] = []
    read: list[str] = []
    for count, page in enumerate(client.pages(path, {"fields": fields, "limit": MAX_LIMIT}), start=1):
        items = [item for item in page if isinstance(item, dict) and item.get("id")]
        read += [str(item["id"]) for item in items]
        fresh = [item for item in items if str(item["id"]) not in known]
        found += fresh
        if seen is None or not fresh or len(fresh) < len(items) or count >= max_pages:
            break
    if seen is None:
        found = found[:first_size]
    kept = list(dict.fromkeys(read + [str(i) for i in seen or []]))[:SEEN_KEPT]
    return found, json.dumps({"seen": kept}), seen is None


# --- Comments and tagging posts, read the same way on both networks ------------------------------------------------


@dataclass(frozen=True)
class Dialect:
    """How one Meta network's posts and comments read, where Facebook and Instagram differ."""

    name: str  # the network as messages name it: "Facebook"
    log: logging.Logger  # the network module's logger, so its lines keep its name
    posted: str  # the field of a post's time: "created_time", "timestamp"
    when: Callable[[dict], datetime]  # a comment's time
    unfold: Callable[[list], list[dict]]  # a page of comments as kept: those that can be read, replies flattened in
    oldest: Callable[[list], datetime]  # a page's oldest comment, which says whether to read back further
    parent: Callable[[dict], object]  # the comment a comment answers, if any
    comment: Callable[[dict, dict], Mention]  # a comment by someone else on a post, as a mention
    tagged: Callable[[dict], Mention]  # a post that tags the account, as a mention
    cut: str = ""  # logged when a post has more new comments than MAX_PAGES pages hold; "" logs nothing


@dataclass
class Thread:
    """One post's comments as read this poll, replies among them, and the cursor to save for it."""

    post: dict
    items: list[dict] = field(default_factory=list)
    cursor: str = ""


Own = Callable[[dict], bool]  # whether a comment is the account's own
OwnReply = Callable[[dict, dict], NetworkReply]  # the account's own reply to a comment, on a post, as a reply found


def explained(pages: Iterator[Page], dialect: Dialect, needs: tuple[str, ...], token: str) -> Iterator[Page]:
    """The pages, with Meta's errors said in plain words that name `needs`, the permissions of the calls made."""
    try:
        yield from pages
    except READ_ERRORS as exc:
        dialect.log.debug("%s request failed", dialect.name, exc_info=True)
        raise explain(exc, dialect.name, needs, token) from exc


def comment_pages(
    client: GraphClient, posts: list, cursors: dict[str, str], dialect: Dialect, own: Own, reply: OwnReply
) -> Iterator[Page]:
    """A page for each post with new comments (or a moved cursor); on the first poll, only the newest few."""
    first = not any(key.startswith("comments:") for key in cursors)
    threads = [
        thread
        for post in objects(posts)
        if (thread := read_thread(client, post, cursors.get(f"comments:{post.get('id')}"), first, dialect)) is not None
    ]
    if first:
        yield from first_poll(threads, dialect, own, reply)
        return
    for thread in threads:
        key = f"comments:{thread.post['id']}"
        mentions, replies = split(thread.items, thread.post, dialect, own, reply)
        if mentions or replies or cursors.get(key) != thread.cursor:
            yield Page(key, mentions, cursor=thread.cursor, replies=replies)


def read_thread(client: GraphClient, post: dict, saved: str | None, first: bool, dialect: Dialect) -> Thread | None:
    """A post's comments back to its cursor (less the overlap), or its first page on a first poll; None without an id."""
    try:
        post_id = graph_id(post.get("id"))
    except ValueError:
        dialect.log.warning("Skipped %s post without an id: %.200r", _a(dialect.name), post)
        return None
    embedded = post.get("comments") or {"data": []}
    if not isinstance(embedded, dict):
        # One post's comments of the wrong shape once stopped the whole network's poll ("could not read") for as
        # long as the post was among the newest. Left out this poll, its cursor unmoved: read again next poll.
        dialect.log.warning("Skipped the comments of %s post that could not be read: %.200r", _a(dialect.name), post)
        return None
    since = _since(saved, dialect)
    thread = Thread({**post, "id": post_id})
    pages = client.pages(f"/{post_id}/comments", {}, first=embedded)
    for count, page in enumerate(pages, start=1):
        thread.items += dialect.unfold(page)
        # Newest first: stop at a page that reaches back to what was read before (a post first seen
        # after the first poll is new, and read to its end); the first poll reads one page.
        if first or (since and dialect.oldest(page) <= since - OVERLAP):
            break
        if count >= MAX_PAGES:
            if dialect.cut:
                dialect.log.warning(dialect.cut)
            break
    if since:
        thread.items = [c for c in thread.items if dialect.when(c) > since - OVERLAP]
    newest = [dialect.when(c) for c in thread.items] + ([since] if since else []) + _posted(post, dialect)
    thread.cursor = iso(not_ahead(max(newest)))
    return thread


def _posted(post: dict, dialect: Dialect) -> list[datetime]:
    """The post's own time, if it can be read (now, as before, when it has none)."""
    try:
        return [not_ahead(strict_time(post.get(dialect.posted) or iso(datetime.now(UTC))))]
    except ValueError:
        return []


def first_poll(threads: list[Thread], dialect: Dialect, own: Own, reply: OwnReply) -> Iterator[Page]:
    """The newest few comments across the posts, not every comment the account ever had."""
    everything = sorted(
        ((c, t.post) for t in threads for c in t.items if not own(c)), key=lambda pair: dialect.when(pair[0])
    )
    shown = everything[-FIRST_POLL_SIZE:]
    cutoff = dialect.when(shown[0][0]) if shown else None
    for thread in threads:
        mentions, _ = split([c for c, post in shown if post is thread.post], thread.post, dialect, own, reply)
        # A post's cursor is never before the cut: what was left out is never shown later as new.
        cursor = max(utc(thread.cursor), cutoff) if cutoff else utc(thread.cursor)
        yield Page(f"comments:{thread.post['id']}", mentions, cursor=iso(not_ahead(cursor)))


def split(
    items: list[dict], post: dict, dialect: Dialect, own: Own, reply: OwnReply
) -> tuple[list[Mention], list[NetworkReply]]:
    """Comments by others as mentions and the account's own replies as replies found; a malformed one is skipped."""
    mentions, replies = [], []
    for item in items:
        try:
            if not own(item):
                mentions.append(dialect.comment(item, post))
            elif dialect.parent(item):  # the account's own comment straight on its post answers nobody
                replies.append(reply(item, post))
        except MALFORMED:
            dialect.log.warning(
                "Skipped %s comment that could not be read: %.200r", _a(dialect.name), item, exc_info=True
            )
    return mentions, replies


def tagged_pages(
    client: GraphClient, path: str, fields: str, saved: str | None, key: str, dialect: Dialect
) -> Iterator[Page]:
    """The posts that tag the account and were not seen before, as one page under `key`."""
    # Remembered by id, not by time: a post can tag the account long after it was written.
    items, cursor, _ = unseen(client, path, fields, saved, FIRST_POLL_SIZE, MAX_PAGES)
    mentions = []
    for item in items:
        try:
            mentions.append(dialect.tagged(item))
        except MALFORMED:
            dialect.log.warning("Skipped %s post that could not be read: %.200r", _a(dialect.name), item, exc_info=True)
    if mentions or cursor != saved:
        yield Page(key, mentions, cursor=cursor)


def post_reply(client: GraphClient, path: str, text: str, dialect: Dialect, needs: tuple[str, ...]) -> str:
    """Post `text` as a comment at `path` and return its id; a failure said in words for the person who wrote it."""
    try:
        body = client.post(path, {"message": text})
        # An answer whose id is null or of another shape says nothing of whether the reply went out (graph_id's
        # ValueError is unsure below): before, str() recorded it as the reply "None", shared by every such reply.
        return graph_id(body["id"])
    # KeyError and TypeError too: an answer without an id says nothing of whether the reply went out.
    except (*READ_ERRORS, KeyError, TypeError) as exc:
        dialect.log.debug("Posting a reply to %s failed", dialect.name, exc_info=True)
        raise explain_reply(exc, dialect.name, needs, client.token) from exc


def reply_target(value: object, network: str) -> str:
    """The id a reply is posted under, checked before anything is sent: an id of another shape (an older version's,
    a hand-made mention) must never become another path on Graph."""
    try:
        return graph_id(value)
    except ValueError:
        raise ReplyError(
            f"This mention's {network} id is not one Listening Post can answer, so nothing was posted. "
            f"Reply on {network} directly, then press “I replied myself”."
        ) from None


def objects(items: list) -> list[dict]:
    """The items that are objects: anything else in a list from Graph is passed over."""
    return [item for item in items if isinstance(item, dict)]


def oldest(times: Iterable[datetime]) -> datetime:
    """The earliest of `times`; the end of time when there are none, so a page without times never stops reading."""
    found = list(times)
    return min(found) if found else datetime.max.replace(tzinfo=UTC)


def _since(saved: str | None, dialect: Dialect) -> datetime | None:
    """The time a post's saved cursor holds; None when there is none or it cannot be read (read as a first poll)."""
    if not saved:
        return None
    try:
        since = strict_time(saved)
    except ValueError:
        dialect.log.warning(
            "Ignoring an unreadable saved %s position %.80r; reading as on a first poll.", dialect.name, saved
        )
        return None
    # A hand-edited time at the calendar's edge made `since - OVERLAP` overflow on every poll; one in the future
    # would drop every comment until then. Kept between Facebook's beginning and now.
    return not_ahead(max(since, EARLIEST))


def _a(name: str) -> str:
    """The network's name with its article, as log lines say it: "a Facebook", "an Instagram"."""
    return ("an " if name[:1] in "AEIOU" else "a ") + name
