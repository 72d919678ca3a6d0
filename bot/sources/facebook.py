"""A Facebook Page: comments on its recent posts and posts that tag it, through Meta's Graph API (bot/sources/meta.py)."""

from __future__ import annotations

import logging
from collections.abc import Iterator
from datetime import datetime
from typing import TYPE_CHECKING

from bot.models import OK, PROBLEM, Check, Mention, NetworkReply, Page, SentReply, SourceError
from bot.sources import meta, meta_comments
from bot.sources.common import scrub, strict_time
from bot.sources.registry import Network

if TYPE_CHECKING:
    from bot.config import Reader

log = logging.getLogger(__name__)

NAME = "Facebook"
RECENT_POSTS = 25  # the Page's newest posts whose comments are read
COMMENT_PAGE = 50  # comments per page
POST_FIELDS = "id,message,created_time,permalink_url"
COMMENT_FIELDS = "id,message,from{id,name},created_time,permalink_url,parent{id},attachment{type}"
TAGGED_FIELDS = "id,message,from{id,name},created_time,updated_time,permalink_url"

# The permissions each call needs (Graph API reference: Page Published Posts, Post Comments, Page Tagged;
# Pages API guide "Comments and @mentions"); an error names them.
READ_POSTS = ("pages_read_engagement", "pages_read_user_content")
READ_TAGGED = ("pages_read_user_content", "pages_show_list")
REPLY = ("pages_manage_engagement",)


class FacebookSource:
    """Comments on the Page's newest posts, and posts by others that tag the Page."""

    name = "facebook"
    can_reply = True

    def __init__(self, client: meta.GraphClient, page_id: str):
        self.client = client
        self.page_id = page_id

    def fetch(self, cursors: dict[str, str]) -> Iterator[Page]:
        # Each part's errors name the permissions that part needs.
        yield from meta_comments.explained(self._comments(cursors), DIALECT, READ_POSTS, self.client.token)
        tagged = meta_comments.tagged_pages(
            self.client, f"/{self.page_id}/tagged", TAGGED_FIELDS, cursors.get("tagged"), "tagged", DIALECT
        )
        yield from meta_comments.explained(tagged, DIALECT, READ_TAGGED, self.client.token)

    def _comments(self, cursors: dict[str, str]) -> Iterator[Page]:
        # One request: the newest posts, each with its newest comments (a field expansion). A small Page's
        # allowance is a few thousand calls a day; a call per post every five minutes would spend it.
        comments = f"comments.filter(stream).order(reverse_chronological).limit({COMMENT_PAGE}){{{COMMENT_FIELDS}}}"
        body = self.client.get(
            f"/{self.page_id}",
            {"fields": f"id,name,published_posts.limit({RECENT_POSTS}){{{POST_FIELDS},{comments}}}"},
        )
        posts, _ = meta.edge(body.get("published_posts"))
        yield from meta_comments.comment_pages(self.client, posts, cursors, DIALECT, self._own, own_reply)

    def _own(self, comment: dict) -> bool:
        return str((comment.get("from") or {}).get("id") or "") == self.page_id

    # -- replies ---------------------------------------------------------------------------------------------

    def reply(self, mention: Mention, text: str) -> SentReply:
        """Post `text` as the Page's comment under the comment (or the tagging post) the mention is.

        Facebook puts an answer to a reply in the same thread. People are addressed by name, never by an
        @handle: a Page can only tag a person through Meta's Page Mentioning feature.
        """
        target = meta_comments.reply_target(mention.external_id, NAME)
        comment_id = meta_comments.post_reply(self.client, f"/{target}/comments", text, DIALECT, REPLY)
        return SentReply(comment_id, self._link(comment_id) or mention.url)

    def _link(self, comment_id: str) -> str:
        try:  # the reply is posted: a link that cannot be had is no reason to say otherwise
            return str(self.client.get(f"/{comment_id}", {"fields": "permalink_url"}).get("permalink_url") or "")
        except meta.READ_ERRORS:
            log.debug("No link for a Facebook reply", exc_info=True)
            return ""


def _dated(items: list) -> list[dict]:
    """The items whose times can be read; another is logged and skipped, not fatal."""
    found = []
    for item in meta_comments.objects(items):
        try:
            _time(item)
            _time(item, "updated_time")
            found.append(item)
        except (KeyError, TypeError, ValueError):
            log.warning("Skipped an item from Facebook without a readable time: %.200r", item)
    return found


def _time(item: dict, name: str = "created_time") -> datetime:
    return strict_time(item.get(name) or item["created_time"])


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
        external_id=meta.graph_id(item.get("id")),
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
        external_id=meta.graph_id(item.get("id")),
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
        external_id=meta.graph_id(item.get("id")),
        in_reply_to=str(item["parent"]["id"]),
        text=str(item.get("message") or ""),
        url=str(item.get("permalink_url") or post.get("permalink_url") or ""),
        created_at=_time(item),
        account=str((item.get("from") or {}).get("name") or "the Page"),
    )


DIALECT = meta_comments.Dialect(
    name=NAME,
    log=log,
    posted="created_time",
    when=_time,
    unfold=_dated,
    oldest=lambda page: meta_comments.oldest(_time(c) for c in _dated(page)),
    parent=lambda item: (item.get("parent") or {}).get("id"),
    comment=comment_mention,
    tagged=tagged_mention,
    cut=f"More than {meta_comments.MAX_PAGES * COMMENT_PAGE} new comments on one Facebook post in one poll; "
    "older ones are skipped.",
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
    yield OK, f"{NAME} works: {meta.first_poll_words(found)}"
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
