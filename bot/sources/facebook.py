"""A Facebook Page: comments on its recent posts and posts that tag it, through Meta's Graph API (bot/sources/meta.py)."""

from __future__ import annotations

import logging
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING

import requests

from bot.models import OK, PROBLEM, Check, Mention, NetworkReply, Page, SentReply, SourceError
from bot.sources import meta
from bot.sources.common import FIRST_POLL_SIZE, iso, scrub, utc
from bot.sources.registry import Network

if TYPE_CHECKING:
    from bot.config import Reader

log = logging.getLogger(__name__)

NAME = "Facebook"
RECENT_POSTS = 25  # the Page's newest posts whose comments are read
COMMENT_PAGE = 50  # comments per page
MAX_PAGES = 10  # pages of new comments per post (or of tagged posts) per poll
OVERLAP = timedelta(minutes=2)  # read again before the newest time seen: Meta shows some comments (GIFs, videos) late
POST_FIELDS = "id,message,created_time,permalink_url"
COMMENT_FIELDS = "id,message,from{id,name},created_time,permalink_url,parent{id},attachment{type}"
TAGGED_FIELDS = "id,message,from{id,name},created_time,updated_time,permalink_url"

# The permissions each call needs (Graph API reference: Page Published Posts, Post Comments, Page Tagged;
# Pages API guide "Comments and @mentions"); an error names them.
READ_POSTS = ("pages_read_engagement", "pages_read_user_content")
READ_TAGGED = ("pages_read_user_content", "pages_show_list")
REPLY = ("pages_manage_engagement",)


@dataclass(frozen=True)
class Comments:
    """One post's comments as read this poll."""

    post: dict
    items: list[dict]
    cursor: str


class FacebookSource:
    """Comments on the Page's newest posts, and posts by others that tag the Page."""

    name = "facebook"
    can_reply = True

    def __init__(self, client: meta.GraphClient, page_id: str):
        self.client = client
        self.page_id = page_id

    def fetch(self, cursors: dict[str, str]) -> Iterator[Page]:
        needs = READ_POSTS
        try:
            yield from self._comments(cursors)
            needs = READ_TAGGED
            yield from self._tagged(cursors.get("tagged"))
        # Graph's errors, the network's and an answer of the wrong shape are Meta's problem, said in plain words;
        # anything else is a bug of ours and reaches the pipeline, which logs it with its traceback.
        except (meta.GraphError, meta.Paused, requests.RequestException, ValueError) as exc:
            log.debug("Facebook request failed", exc_info=True)
            raise meta.explain(exc, NAME, needs, self.client.token) from exc

    # -- comments ---------------------------------------------------------------------------------------------

    def _comments(self, cursors: dict[str, str]) -> Iterator[Page]:
        # One request: the newest posts, each with its newest comments (a field expansion). A small Page's
        # allowance is a few thousand calls a day; a call per post every five minutes would spend it.
        comments = f"comments.filter(stream).order(reverse_chronological).limit({COMMENT_PAGE}){{{COMMENT_FIELDS}}}"
        body = self.client.get(
            f"/{self.page_id}",
            {"fields": f"id,name,published_posts.limit({RECENT_POSTS}){{{POST_FIELDS},{comments}}}"},
        )
        posts, _ = meta.edge(body.get("published_posts"))
        first = not any(key.startswith("comments:") for key in cursors)
        read = [
            found
            for post in _objects(posts)
            if (found := self._read_post(post, cursors.get(f"comments:{post.get('id')}"), first)) is not None
        ]
        if first:
            yield from self._first_poll(read)
            return
        for found in read:
            key = f"comments:{found.post['id']}"
            mentions, replies = self._parse(found.items, found.post)
            if mentions or replies or cursors.get(key) != found.cursor:
                yield Page(key, mentions, cursor=found.cursor, replies=replies)

    def _read_post(self, post: dict, saved: str | None, first: bool) -> Comments | None:
        post_id = str(post.get("id") or "")
        if not post_id:
            log.warning("Skipped a Facebook post without an id: %.200r", post)
            return None
        since = _since(saved)
        items: list[dict] = []
        pages = self.client.pages(f"/{post_id}/comments", {}, first=post.get("comments") or {"data": []})
        for count, page in enumerate(pages, start=1):
            items += _dated(page)
            # Newest first: stop at a page that reaches back to what was read before (a post first seen
            # after the first poll is new, and read to its end); the first poll reads one page.
            if first or (since and _oldest(page) <= since - OVERLAP):
                break
            if count >= MAX_PAGES:
                log.warning(
                    "More than %s new comments on one Facebook post in one poll; older ones are skipped.",
                    MAX_PAGES * COMMENT_PAGE,
                )
                break
        if since:
            items = [c for c in items if _time(c) > since - OVERLAP]
        newest = max([_time(c) for c in items] + ([since] if since else []) + [utc(post.get("created_time"))])
        return Comments(post, items, iso(newest))

    def _first_poll(self, read: list[Comments]) -> Iterator[Page]:
        """The newest few comments across the posts, not every comment the Page ever had."""
        everything = sorted(
            ((c, r.post) for r in read for c in r.items if not self._own(c)), key=lambda pair: _time(pair[0])
        )
        shown = everything[-FIRST_POLL_SIZE:]
        cutoff = _time(shown[0][0]) if shown else None
        for found in read:
            mine = [c for c, post in shown if post is found.post]
            mentions, _ = self._parse(mine, found.post)
            # A post's cursor is never before the cut: what was left out is never shown later as new.
            cursor = max(utc(found.cursor), cutoff) if cutoff else utc(found.cursor)
            yield Page(f"comments:{found.post['id']}", mentions, cursor=iso(cursor))

    def _own(self, comment: dict) -> bool:
        return str((comment.get("from") or {}).get("id") or "") == self.page_id

    def _parse(self, items: list[dict], post: dict) -> tuple[list[Mention], list[NetworkReply]]:
        """Comments by others are mentions; the Page's own replies to a comment are replies found; a malformed
        comment is logged and skipped, not fatal."""
        mentions, replies = [], []
        for item in items:
            try:
                if not self._own(item):
                    mentions.append(comment_mention(item, post))
                elif (item.get("parent") or {}).get("id"):
                    replies.append(own_reply(item, post))
            except (AttributeError, KeyError, TypeError, ValueError):
                log.warning("Skipped a Facebook comment that could not be read: %.200r", item, exc_info=True)
        return mentions, replies

    # -- posts that tag the Page ------------------------------------------------------------------------------

    def _tagged(self, saved: str | None) -> Iterator[Page]:
        # Remembered by id, not by time: a post can tag the Page long after it was written.
        items, cursor, _ = meta.unseen(
            self.client, f"/{self.page_id}/tagged", TAGGED_FIELDS, saved, FIRST_POLL_SIZE, MAX_PAGES
        )
        mentions = []
        for item in items:
            try:
                mentions.append(tagged_mention(item))
            except (AttributeError, KeyError, TypeError, ValueError):
                log.warning("Skipped a Facebook post that could not be read: %.200r", item, exc_info=True)
        if mentions or cursor != saved:
            yield Page("tagged", mentions, cursor=cursor)

    # -- replies ---------------------------------------------------------------------------------------------

    def reply(self, mention: Mention, text: str) -> SentReply:
        """Post `text` as the Page's comment under the comment (or the tagging post) the mention is.

        Facebook puts an answer to a reply in the same thread. People are addressed by name, never by an
        @handle: a Page can only tag a person through Meta's Page Mentioning feature.
        """
        try:
            body = self.client.post(f"/{mention.external_id}/comments", {"message": text})
            comment_id = str(body["id"])
        except (meta.GraphError, meta.Paused, requests.RequestException, ValueError, KeyError, TypeError) as exc:
            log.debug("Posting a reply to Facebook failed", exc_info=True)
            raise meta.explain_reply(exc, NAME, REPLY, self.client.token) from exc
        return SentReply(comment_id, self._link(comment_id) or mention.url)

    def _link(self, comment_id: str) -> str:
        try:  # the reply is posted: a link that cannot be had is no reason to say otherwise
            return str(self.client.get(f"/{comment_id}", {"fields": "permalink_url"}).get("permalink_url") or "")
        except (meta.GraphError, meta.Paused, requests.RequestException, ValueError):
            log.debug("No link for a Facebook reply", exc_info=True)
            return ""


def _objects(items: list) -> list[dict]:
    return [item for item in items if isinstance(item, dict)]


def _dated(items: list) -> list[dict]:
    """The items whose times can be read; another is logged and skipped, not fatal."""
    found = []
    for item in _objects(items):
        try:
            _time(item)
            _time(item, "updated_time")
            found.append(item)
        except (KeyError, TypeError, ValueError):
            log.warning("Skipped an item from Facebook without a readable time: %.200r", item)
    return found


def _time(item: dict, name: str = "created_time") -> datetime:
    return utc(item.get(name) or item["created_time"])


def _oldest(page: list) -> datetime:
    times = [_time(c) for c in _dated(page)]
    return min(times) if times else datetime.max.replace(tzinfo=UTC)


def _since(saved: str | None) -> datetime | None:
    if not saved:
        return None
    try:
        return utc(saved)
    except ValueError:
        log.warning("Ignoring an unreadable saved Facebook position %.80r; reading as on a first poll.", saved)
        return None


def _author(item: dict) -> tuple[str, str]:
    """The commenter's name and id. Without Page Public Content Access Meta may leave `from` out for people."""
    person = item.get("from") or {}
    return str(person.get("name") or "A Facebook user"), str(person.get("id") or "")


def _words(item: dict) -> str:
    text = str(item.get("message") or "").strip()
    if not text and item.get("attachment"):
        kind = str((item.get("attachment") or {}).get("type") or "picture").replace("_", " ")
        text = f"({kind}, no words)"
    if not text:
        raise ValueError("a comment with no words and nothing attached")
    return text


def comment_mention(item: dict, post: dict) -> Mention:
    name, person_id = _author(item)
    parent = str((item.get("parent") or {}).get("id") or "")
    return Mention(
        source="facebook",
        external_id=str(item["id"]),
        author_handle="",  # Facebook has no @handles: cards and replies use the name
        author_name=name,
        text=_words(item),
        url=str(item.get("permalink_url") or post.get("permalink_url") or f"https://www.facebook.com/{item['id']}"),
        created_at=_time(item),
        in_reply_to=parent or str(post["id"]),
        raw=scrub({"kind": "comment", "post_id": post["id"], "from_id": person_id, "parent_id": parent or None}),
    )


def tagged_mention(item: dict) -> Mention:
    name, person_id = _author(item)
    return Mention(
        source="facebook",
        external_id=str(item["id"]),
        author_handle="",
        author_name=name,
        text=_words(item),
        url=str(item.get("permalink_url") or f"https://www.facebook.com/{item['id']}"),
        created_at=_time(item),
        raw=scrub({"kind": "tagged_post", "from_id": person_id}),
    )


def own_reply(item: dict, post: dict) -> NetworkReply:
    return NetworkReply(
        source="facebook",
        external_id=str(item["id"]),
        in_reply_to=str(item["parent"]["id"]),
        text=str(item.get("message") or ""),
        url=str(item.get("permalink_url") or post.get("permalink_url") or ""),
        created_at=_time(item),
        account=str((item.get("from") or {}).get("name") or "the Page"),
    )


# --- The network: its settings, doctor's check and its declaration. --------------------------------------------------


def read_settings(r: Reader) -> meta.MetaSettings | None:
    return meta.read_meta(r, "To listen on Facebook")


def build(cfg: meta.MetaSettings) -> FacebookSource:
    return FacebookSource(meta.GraphClient(cfg), cfg.page_id)


def check(cfg: meta.MetaSettings) -> Iterator[Check]:
    """The token's owner, a real first read (which names a missing permission), then the reply permission."""
    source = build(cfg)
    try:
        wrong = list(meta.whose_token(source.client, cfg))
        if wrong:
            yield from wrong
            return
        found = sum(len(page.mentions) for page in source.fetch({}))
    except SourceError as exc:
        yield PROBLEM, f"{NAME}: {exc}"
        return
    except Exception as exc:  # explain() turns Graph and network errors into words
        yield PROBLEM, f"{NAME}: {meta.explain(exc, NAME, READ_POSTS, cfg.token)}"
        return
    yield (
        OK,
        f"{NAME} works: {found} recent comment{'s' if found != 1 else ''} or tagging post{'s' if found != 1 else ''} "
        "to show on the first poll.",
    )
    yield from meta.permission_checks(meta.granted(source.client), READ_POSTS + READ_TAGGED[:1], REPLY, NAME)


def _reply_state(cfg: meta.MetaSettings) -> str:
    return "replies sent from Slack are posted as the Page, under the comment"


NETWORK = Network(
    key="facebook",
    name=NAME,
    read=read_settings,
    needs="META_PAGE_ID and META_PAGE_TOKEN",
    readme="2e. Facebook Page and Instagram",
    build=build,
    secrets=("META_PAGE_TOKEN",),
    check=check,
    replies=_reply_state,
    reply_limit=8000,  # Facebook's limit for a comment
    # No @handle on Facebook: mentions carry none, so suggested replies that address one are left out,
    # and the others greet people by first name.
    links=True,
    # requests and urllib3 are already kept at WARNING (bot/logs.py), and the token is only ever in a header.
    loggers=(),
    sample_link="https://www.facebook.com/{id}",
)
