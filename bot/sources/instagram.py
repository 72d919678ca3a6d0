"""An Instagram professional account linked to the Facebook Page: comments on its recent posts and posts it is
tagged in, through the Instagram API with Facebook Login (Meta's Graph API, bot/sources/meta.py).

@mentions of the account in other people's captions and comments reach apps only as webhooks (Meta calls a
public https address of the app); a poll cannot ask for them, so they are not read here (README, 2e).
"""

from __future__ import annotations

import logging
import re
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING

from bot.models import OK, PROBLEM, Check, Mention, NetworkReply, Page, ReplyError, SentReply, SourceError
from bot.sources import meta, meta_comments
from bot.sources.common import scrub, strict_time
from bot.sources.registry import Network

if TYPE_CHECKING:
    from bot.config import Reader

log = logging.getLogger(__name__)

NAME = "Instagram"
RECENT_MEDIA = 25  # the account's newest posts whose comments are read
COMMENT_PAGE = 50  # top-level comments per page, each with its first replies
COMMENT_FIELDS = "id,text,timestamp,username,from{id,username},parent_id"
REPLY_LIMIT = 2200  # Instagram's limit for a caption or a comment
TAG_FIELDS = "id,caption,permalink,timestamp,username,media_type"

# Instagram API with Facebook Login reference: IG User Media, IG Media Comments, IG User Tags, IG Comment Replies.
READ = ("instagram_basic", "instagram_manage_comments", "pages_read_engagement")
REPLY = ("instagram_manage_comments",)


class InstagramSource:
    """Comments (and replies) on the account's newest posts, and posts by others that tag the account."""

    name = "instagram"
    can_reply = True

    def __init__(self, client: meta.GraphClient, account_id: str):
        self.client = client
        self.account_id = account_id
        self.username = ""

    def fetch(self, cursors: dict[str, str]) -> Iterator[Page]:
        yield from meta_comments.explained(self._comments(cursors), DIALECT, READ, self.client.token)
        tags = meta_comments.tagged_pages(
            self.client, f"/{self.account_id}/tags", TAG_FIELDS, cursors.get("tags"), "tags", DIALECT
        )
        yield from meta_comments.explained(tags, DIALECT, READ, self.client.token)

    def _comments(self, cursors: dict[str, str]) -> Iterator[Page]:
        # One request: the account's name and newest posts, each with its newest comments and their replies.
        comments = f"comments.limit({COMMENT_PAGE}){{{COMMENT_FIELDS},replies{{{COMMENT_FIELDS}}}}}"
        body = self.client.get(
            f"/{self.account_id}",
            {"fields": f"username,media.limit({RECENT_MEDIA}){{id,caption,permalink,timestamp,{comments}}}"},
        )
        self.username = str(body.get("username") or self.username)
        media, _ = meta.edge(body.get("media"))
        yield from meta_comments.comment_pages(self.client, media, cursors, DIALECT, self._own, self._own_reply)

    def _own(self, comment: dict) -> bool:
        by = comment.get("from") or {}
        if str(by.get("id") or "") == self.account_id:
            return True
        return bool(self.username) and str(comment.get("username") or "").lower() == self.username.lower()

    def _own_reply(self, item: dict, media: dict) -> NetworkReply:
        return own_reply(item, media, self.username)

    # -- replies ---------------------------------------------------------------------------------------------

    def reply(self, mention: Mention, text: str) -> SentReply:
        """Post `text` as the account's reply in the comment's thread, starting with the author's @username.

        Instagram takes replies to top-level comments only (an answer to a reply goes under its top-level
        comment), and none at all on posts the account is tagged in.
        """
        if mention.raw.get("kind") == "tagged_media":
            raise ReplyError(
                "Instagram does not let apps comment on posts your account is tagged in, so nothing was posted. "
                "Answer in the Instagram app, then press “I replied myself”."
            )
        target = meta_comments.reply_target(mention.raw.get("parent_id") or mention.external_id, NAME)
        message = addressed(mention.author_handle, text)
        if len(message) > REPLY_LIMIT:  # the @name added may take a reply that fitted the form over the limit
            raise ReplyError(
                f"With @{mention.author_handle.lstrip('@')} added at its start, this reply counts {len(message):,} "
                f"characters, over Instagram's {REPLY_LIMIT:,}, so nothing was posted. Shorten it by "
                f"{len(message) - REPLY_LIMIT:,}."
            )
        return SentReply(
            meta_comments.post_reply(self.client, f"/{target}/replies", message, DIALECT, REPLY), mention.url
        )


def addressed(username: str, text: str) -> str:
    """Instagram tells someone about a reply that names them: start with @username when the text doesn't.

    The name counts only as a whole @name: "@sam" inside "@samantha" or "sam@example.com" is someone else (before,
    a substring was enough, and Sam was never told of the reply)."""
    name = username.lstrip("@")
    if not name or re.search(rf"(?<![\w.@])@{re.escape(name)}(?![\w]|\.\w)", text, re.IGNORECASE):
        return text
    return f"@{name} {text}"


def _time(item: dict) -> datetime:
    return strict_time(item.get("timestamp"))


def _readable(items: list, logged: bool = False) -> list[dict]:
    """The items whose time can be read. One that cannot is skipped (and logged, once, where the page is unfolded):
    before, its time stopped every Instagram poll ("could not read") while it was on one of the newest posts."""
    found = []
    for item in meta_comments.objects(items):
        try:
            _time(item)
            found.append(item)
        except ValueError:
            if logged:
                log.warning("Skipped an Instagram comment without a readable time: %.200r", item)
    return found


def _unfold(page: list) -> list[dict]:
    """A page's top-level comments, each followed by the replies that came with it."""
    items = []
    for comment in meta_comments.objects(page):
        try:
            replies, _ = meta.edge(comment.get("replies"))
        except ValueError:  # the comment is still read; only its replies of the wrong shape are left out
            log.warning("Skipped the replies of an Instagram comment that could not be read: %.200r", comment)
            replies = []
        # Only the first page of a comment's replies comes with it; a long thread's older replies are not read.
        thread = [comment] + [
            {**r, "parent_id": r.get("parent_id") or comment.get("id")} for r in meta_comments.objects(replies)
        ]
        items += _readable(thread, logged=True)
    return items


def comment_mention(item: dict, media: dict) -> Mention:
    username = str(item.get("username") or (item.get("from") or {}).get("username") or "")
    text = str(item.get("text") or "").strip()
    if not username or not text:
        raise ValueError("an Instagram comment without its author or words")
    try:  # a parent of another shape is left out: a reply then goes under the comment itself, which Instagram
        parent = meta.graph_id(item["parent_id"]) if item.get("parent_id") else ""  # puts in its thread
    except ValueError:
        parent = ""
    return Mention(
        source="instagram",
        external_id=meta.graph_id(item.get("id")),
        author_handle=username,
        author_name=username,
        text=text,
        url=str(media.get("permalink") or ""),  # a comment has no link of its own: its post's
        created_at=_time(item),
        in_reply_to=parent or str(media["id"]),
        raw=scrub(
            {
                "kind": "comment",
                "media_id": media["id"],
                "parent_id": parent or None,
                "from_id": (item.get("from") or {}).get("id"),
            }
        ),
    )


def tagged_mention(item: dict) -> Mention:
    username = str(item.get("username") or "")
    kind = str(item.get("media_type") or "post").lower().replace("_", " ")
    return Mention(
        source="instagram",
        external_id=meta.graph_id(item.get("id")),
        author_handle=username,
        author_name=username or "An Instagram user",
        text=str(item.get("caption") or "").strip() or f"(a {kind} tagging you, no caption)",
        url=str(item.get("permalink") or ""),
        created_at=_time(item),
        raw=scrub({"kind": "tagged_media"}),
    )


def own_reply(item: dict, media: dict, account: str) -> NetworkReply:
    return NetworkReply(
        source="instagram",
        external_id=meta.graph_id(item.get("id")),
        in_reply_to=str(item["parent_id"]),
        text=str(item.get("text") or ""),
        url=str(media.get("permalink") or ""),
        created_at=_time(item),
        account=account or str(item.get("username") or "the account"),
    )


DIALECT = meta_comments.Dialect(
    name=NAME,
    log=log,
    posted="timestamp",
    when=_time,
    unfold=_unfold,
    # Pages are of top-level comments, so theirs say how far back a page reaches (replies only ride along).
    oldest=lambda page: meta_comments.oldest(_time(c) for c in _readable(page)),
    parent=lambda item: item.get("parent_id"),
    comment=comment_mention,
    tagged=tagged_mention,
)


# --- The network: its settings, doctor's check and its declaration. --------------------------------------------------


@dataclass(frozen=True)
class InstagramSettings:
    account_id: str
    meta: meta.MetaSettings


def read_settings(r: Reader) -> InstagramSettings | None:
    account_id = meta.read_ig_id(r)
    shared = meta.read_meta(r, "To listen on Instagram") if account_id else None
    if account_id and shared is None and not r.missing(("META_PAGE_ID", "META_PAGE_TOKEN")):
        r.problem(
            "INSTAGRAM_ACCOUNT_ID is set, so META_PAGE_ID and META_PAGE_TOKEN must be set too: Instagram is read "
            f"with the token of the Facebook Page it is linked to ({meta.README})."
        )
    if not account_id:
        # Read (and so masked in the logs) even when Instagram is off, as every network's secrets are.
        r.get("META_PAGE_TOKEN")
        return None
    return InstagramSettings(account_id, shared) if shared else None


def build(cfg: InstagramSettings) -> InstagramSource:
    return InstagramSource(meta.GraphClient(cfg.meta), cfg.account_id)


def check(cfg: InstagramSettings) -> Iterator[Check]:
    """The account looked up, a real first read (which names a missing permission), then the reply permission."""
    source = build(cfg)
    try:
        account = source.client.get(f"/{cfg.account_id}", {"fields": "username"})
        found = sum(len(page.mentions) for page in source.fetch({}))
    except meta.GraphError as exc:
        if exc.code == 100:
            yield (
                PROBLEM,
                f"{NAME}: INSTAGRAM_ACCOUNT_ID {cfg.account_id} is not an Instagram professional account this Page's "
                "token can read. Link the account to the Page (Instagram app: Settings → Account type and tools, or "
                "the Page's settings → Linked accounts), then copy instagram_business_account from "
                f"me/accounts?fields=instagram_business_account ({meta.README}).",
            )
            return
        yield PROBLEM, f"{NAME}: {meta.explain(exc, NAME, READ, cfg.meta.token)}"
        return
    except SourceError as exc:
        yield PROBLEM, f"{NAME}: {exc}"
        return
    except Exception as exc:  # explain() turns Graph and network errors into words
        yield PROBLEM, f"{NAME}: {meta.explain(exc, NAME, READ, cfg.meta.token)}"
        return
    yield OK, f"{NAME} works: listening to @{account.get('username')}: {meta.first_poll_words(found)}"
    yield from meta.permission_checks(meta.granted(source.client), READ, REPLY, NAME)


NETWORK = Network(
    key="instagram",
    name=NAME,
    read=read_settings,
    needs="INSTAGRAM_ACCOUNT_ID (with META_PAGE_ID and META_PAGE_TOKEN)",
    readme="2e. Facebook Page and Instagram",
    build=build,
    secrets=("META_PAGE_TOKEN",),
    check=check,
    replies=lambda cfg: "replies sent from Slack are posted in the comment's thread, starting with the author's @name",
    reply_limit=REPLY_LIMIT,
    # requests and urllib3 are already kept at WARNING (bot/logs.py), and the token is only ever in a header.
    loggers=(),
    sample_link="https://www.instagram.com/p/{id}/",
)
