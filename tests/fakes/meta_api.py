"""A fake of Meta's Graph API for one Facebook Page and its linked Instagram professional account.

As strict as Graph where Listening Post could go wrong: every path names the version, a `limit` over 100 is
refused, field expansion (`published_posts.limit(25){…,comments.filter(stream).order(…){…}}`) is read, edges
page with cursors (comments, media) or by time (tagged posts), `paging.next` links carry `access_token=` as
Graph's do, errors have Graph's body ({"error": {message, type, code, error_subcode, fbtrace_id}}), a token is
checked on every call (in the Authorization header or the query), each call needs its permissions, and usage
headers can be sent on every answer.
"""

from __future__ import annotations

import base64
import copy
import itertools
import json
from datetime import UTC, datetime, timedelta
from pathlib import Path
from urllib.parse import urlencode

from tests.fakes.server import FakeServer, Reply, Request, Trickles

GRAPH_VERSION = "v26.0"  # the version Listening Post names (tests check it is bot.sources.meta.GRAPH_VERSION)
TOKEN = "EAAGtestPageTokenForBrambleCafe0123456789abcdef"
PAGE_ID = "104857362519283"
PAGE_NAME = "Bramble Café"
IG_ID = "17841400455970028"
IG_USERNAME = "bramblecafe"
USER_ID = "10160000000000001"  # a person: who a user token belongs to
RECORDED = json.loads((Path(__file__).parents[1] / "fixtures" / "meta_graph.json").read_text(encoding="utf-8"))
MAX_LIMIT = 100
COMMENT_LIMITS = {"comments": 8000, "replies": 2200}  # a Facebook comment, an Instagram comment
ALL_SCOPES = (
    "pages_show_list",
    "pages_read_engagement",
    "pages_read_user_content",
    "pages_manage_engagement",
    "instagram_basic",
    "instagram_manage_comments",
)


def stamp(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S+0000")


def ago(minutes: float) -> str:
    return stamp(datetime.now(UTC) - timedelta(minutes=minutes))


def error(code: int, message: str, subcode: int | None = None, status: int = 400, headers: dict | None = None) -> Reply:
    """An error as Graph sends it (the shape of the error-handling guide's example)."""
    body = copy.deepcopy(RECORDED["error"])
    body["error"].update(message=message, code=code, type="OAuthException", fbtrace_id="AbC123xYz")
    body["error"].pop("error_user_title")
    body["error"].pop("error_user_msg")
    if subcode is None:
        body["error"].pop("error_subcode")
    else:
        body["error"]["error_subcode"] = subcode
    return Reply(status, body, headers or {})


def rate_limited(code: int = 4, minutes: int = 0, kind: str = "pages", owner: str = PAGE_ID) -> Reply:
    messages = {
        4: "(#4) Application request limit reached",
        17: "(#17) User request limit reached",
        32: "(#32) Page request limit reached",
        613: "(#613) Calls to this api have exceeded the rate limit.",
        80001: "(#80001) There have been too many calls to this Page account. Wait a bit and try again.",
        80002: "(#80002) There have been too many calls to this Instagram account. Wait a bit and try again.",
    }
    return error(
        code, messages[code], status=400 if code != 4 else 403, headers=usage_headers(100, minutes, kind, owner)
    )


def usage_headers(percent: int, minutes: int = 0, kind: str = "pages", owner: str = PAGE_ID) -> dict[str, str]:
    """X-Business-Use-Case-Usage as Meta's docs and a recorded answer show it, with our numbers."""
    entry = copy.deepcopy(next(iter(RECORDED["business_use_case_usage"].values()))[0])
    entry.update(type=kind, call_count=percent, total_cputime=max(1, percent // 3), total_time=max(1, percent // 2))
    entry["estimated_time_to_regain_access"] = minutes
    return {"X-Business-Use-Case-Usage": json.dumps({owner: [entry]})}


def parse_fields(text: str) -> list[tuple[str, dict[str, str], list | None]]:
    """Graph's `fields`: names, `.modifier(value)`s and nested `{…}` field lists."""
    pos = 0

    def items() -> list:
        nonlocal pos
        found = []
        while pos < len(text) and text[pos] != "}":
            start = pos
            while pos < len(text) and (text[pos].isalnum() or text[pos] == "_"):
                pos += 1
            name, modifiers, sub = text[start:pos], {}, None
            if not name:
                raise ValueError(f"bad fields at {pos}")
            while pos < len(text) and text[pos] == ".":
                close = text.index(")", pos)
                modifier, _, value = text[pos + 1 : close].partition("(")
                modifiers[modifier] = value
                pos = close + 1
            if pos < len(text) and text[pos] == "{":
                pos += 1
                sub = items()
                if pos >= len(text) or text[pos] != "}":
                    raise ValueError("unclosed {")
                pos += 1
            found.append((name, modifiers, sub))
            if pos < len(text) and text[pos] == ",":
                pos += 1
        return found

    parsed = items()
    if pos != len(text):
        raise ValueError("unbalanced }")
    return parsed


class Refused(Exception):
    def __init__(self, reply: Reply):
        self.reply = reply


class FakeMeta(Trickles, FakeServer):
    def __init__(self):
        super().__init__()
        self.token = TOKEN
        self.token_owner = "page"  # or "user": a personal token, which /me shows
        self.expired = False
        self.scopes = set(ALL_SCOPES)
        self.usage: dict[str, str] = {}  # headers sent with every answer
        self.page = {"id": PAGE_ID, "name": PAGE_NAME}
        self.posts: list[dict] = []  # oldest first
        self.tagged_posts: list[dict] = []
        self.account = {"id": IG_ID, "username": IG_USERNAME}
        self.media: list[dict] = []
        self.ig_tags: list[dict] = []
        self.posted: list[dict] = []  # {"path", "form"} of POSTs accepted
        self.hidden_authors = False  # without Page Public Content Access, `from` is left out for people
        self._ids = itertools.count(1000)

    def _id(self) -> str:
        return str(next(self._ids))

    # --- Facebook ---------------------------------------------------------------------------------------------

    def post(self, message: str = "Our autumn menu is here!", minutes_ago: float = 600) -> dict:
        post_id = f"{PAGE_ID}_{self._id()}"
        post = {
            "id": post_id,
            "message": message,
            "created_time": ago(minutes_ago),
            "permalink_url": f"https://www.facebook.com/{PAGE_ID}/posts/{post_id.split('_')[1]}",
            "_comments": [],
        }
        self.posts.append(post)
        return post

    def comment(
        self,
        post: dict,
        message: str,
        name: str = "Maria López",
        person_id: str = "2711636948859886",
        minutes_ago: float = 5,
        parent: dict | None = None,
    ) -> dict:
        """A comment shaped like the recorded one, on `post` (or in `parent`'s thread)."""
        comment = copy.deepcopy(RECORDED["facebook_comment"])
        number = self._id()
        comment_id = f"{post['id'].split('_')[1]}_{number}"
        link = f"{post['permalink_url']}/?comment_id={(parent or {}).get('id', comment_id).split('_')[1]}"
        comment.update(
            id=comment_id,
            message=message,
            created_time=ago(minutes_ago),
            permalink_url=link + (f"&reply_comment_id={number}" if parent else ""),
        )
        comment["from"] = {"name": name, "id": person_id}
        if parent:
            comment["parent"] = {"id": parent["id"]}
        post["_comments"].append(comment)
        return comment

    def page_reply(self, post: dict, to: dict, message: str, minutes_ago: float = 1) -> dict:
        """The Page's own reply, made on Facebook itself."""
        return self.comment(post, message, PAGE_NAME, PAGE_ID, minutes_ago, parent=to)

    def tag(self, message: str, name: str = "Tom Becker", minutes_ago: float = 30, author: bool = False) -> dict:
        post = copy.deepcopy(RECORDED["facebook_tagged_post"])
        post_id = f"100{self._id()}_{self._id()}"
        post.update(
            id=post_id,
            message=message,
            created_time=ago(minutes_ago),
            updated_time=ago(minutes_ago),
            permalink_url=f"https://www.facebook.com/{post_id.replace('_', '/posts/')}",
        )
        if author:  # "For user posts, the from field will only be returned if the user making the request created it"
            post["from"] = {"name": name, "id": "2711600000000001"}
        self.tagged_posts.append(post)
        return post

    # --- Instagram -------------------------------------------------------------------------------------------

    def medium(self, caption: str = "Fresh cinnamon buns", minutes_ago: float = 600) -> dict:
        media_id = f"178{self._id()}{self._id()}"
        medium = {
            "id": media_id,
            "caption": caption,
            "media_type": "IMAGE",
            "permalink": f"https://www.instagram.com/p/C{media_id[-8:]}/",
            "timestamp": ago(minutes_ago),
            "_comments": [],
        }
        self.media.append(medium)
        return medium

    def ig_comment(
        self, medium: dict, text: str, username: str = "maria_eats", minutes_ago: float = 5, parent: dict | None = None
    ) -> dict:
        comment = copy.deepcopy(RECORDED["instagram_comment"])
        comment.update(id=f"179{self._id()}{self._id()}", text=text, timestamp=ago(minutes_ago), username=username)
        comment["from"] = {"id": IG_ID if username == IG_USERNAME else f"9{self._id()}", "username": username}
        if parent:
            comment["parent_id"] = parent["id"]
            parent["_replies"].append(comment)
        else:
            comment["_replies"] = []
            medium["_comments"].append(comment)
        return comment

    def tagged_in(self, caption: str, username: str = "tomwrites", minutes_ago: float = 30) -> dict:
        medium = copy.deepcopy(RECORDED["instagram_tagged_media"])
        media_id = f"180{self._id()}{self._id()}"
        medium.update(
            id=media_id,
            caption=caption,
            username=username,
            timestamp=ago(minutes_ago),
            permalink=f"https://www.instagram.com/p/T{media_id[-8:]}/",
        )
        self.ig_tags.append(medium)
        return medium

    # --- Serving ---------------------------------------------------------------------------------------------

    def answer(self, request: Request) -> Reply:
        try:
            reply = self._answer(request)
        except Refused as refused:
            reply = refused.reply
        reply.headers = {**self.usage, **reply.headers}
        return reply

    def _answer(self, request: Request) -> Reply:
        self._check_token(request)
        prefix = f"/{GRAPH_VERSION}/"
        if not request.path.startswith(prefix):
            raise Refused(error(2500, "Unknown path components: a version like /v26.0 must come first"))
        parts = request.path[len(prefix) :].strip("/").split("/")
        if request.method == "POST":
            return self._post(parts, request.form())
        params = {k: v[0] for k, v in request.query.items() if k != "access_token"}
        if parts == ["me"]:
            me = self.page if self.token_owner == "page" else {"id": USER_ID, "name": "Maria López"}
            return Reply(200, self._render(me, params.get("fields", "id,name"), "me"))
        if parts == ["debug_token"]:
            return Reply(200, self._debug_token(params))
        if len(parts) == 1:
            found, kind = self._find(parts[0])
            return Reply(200, self._render(found, params.get("fields", "id"), kind))
        if len(parts) == 2:
            found, kind = self._find(parts[0])
            items = self._edge(found, kind, parts[1])
            fields = parse_fields(params.get("fields", "id"))
            return Reply(200, self._list(items, kind, parts[1], fields, params, f"/{parts[0]}/{parts[1]}"))
        raise Refused(error(2500, "Unknown path components"))

    def _check_token(self, request: Request) -> None:
        given = request.headers.get("Authorization", "").removeprefix("Bearer ") or request.param("access_token", "")
        if given != self.token:
            raise Refused(error(190, "Invalid OAuth access token - Cannot parse access token"))
        if self.expired:
            raise Refused(
                error(
                    190,
                    "Error validating access token: Session has expired on Tuesday, 01-Sep-26 09:00:00 PDT.",
                    subcode=463,
                )
            )

    def _needs(self, *scopes: str) -> None:
        missing = [s for s in scopes if s not in self.scopes]
        if missing:
            raise Refused(error(10, f"(#10) This endpoint requires the '{missing[0]}' permission.", status=403))

    def _find(self, object_id: str) -> tuple[dict, str]:
        if object_id == PAGE_ID:
            return self.page, "page"
        if object_id == IG_ID:
            return self.account, "ig_user"
        for post in self.posts:
            if post["id"] == object_id:
                return post, "post"
            for comment in post["_comments"]:
                if comment["id"] == object_id:
                    return comment, "comment"
        for post in self.tagged_posts:
            if post["id"] == object_id:
                return post, "tagged_post"
        for medium in self.media:
            if medium["id"] == object_id:
                return medium, "media"
            for comment in medium["_comments"]:
                if comment["id"] == object_id:
                    return comment, "ig_comment"
                for reply in comment["_replies"]:
                    if reply["id"] == object_id:
                        return reply, "ig_reply"
        raise Refused(
            error(
                100,
                f"Unsupported get request. Object with ID '{object_id}' does not exist, cannot be loaded due to missing "
                "permissions, or does not support this operation.",
                subcode=33,
            )
        )

    def _edge(self, found: dict, kind: str, name: str) -> list[dict]:
        if kind == "page" and name == "published_posts":
            self._needs("pages_read_engagement")
            return self.posts
        if kind == "page" and name == "tagged":
            self._needs("pages_read_user_content", "pages_show_list")
            return self.tagged_posts
        if kind == "post" and name == "comments":
            self._needs("pages_read_engagement", "pages_read_user_content")
            return found["_comments"]
        if kind == "ig_user" and name == "media":
            self._needs("instagram_basic", "pages_read_engagement")
            return self.media
        if kind == "ig_user" and name == "tags":
            self._needs("instagram_basic", "instagram_manage_comments", "pages_read_engagement")
            return self.ig_tags
        if kind == "media" and name == "comments":
            self._needs("instagram_basic", "instagram_manage_comments", "pages_read_engagement")
            return found["_comments"]
        if kind == "ig_comment" and name == "replies":
            self._needs("instagram_basic", "instagram_manage_comments", "pages_read_engagement")
            return found["_replies"]
        raise Refused(error(100, f"(#100) Tried accessing nonexisting field ({name}) on node type ({kind})"))

    def _render(self, found: dict, fields: str, kind: str) -> dict:
        try:
            wanted = parse_fields(fields)
        except ValueError as exc:
            raise Refused(error(100, f"(#100) Syntax error in fields: {exc}")) from exc
        return self._object(found, kind, wanted)

    def _object(self, found: dict, kind: str, wanted: list) -> dict:
        shown: dict = {}
        for name, modifiers, sub in wanted:
            if name in ("published_posts", "tagged", "media", "tags", "comments", "replies"):
                items = self._edge(found, kind, name)
                params = {f"{k}": v for k, v in modifiers.items()}
                listed = self._list(items, kind, name, sub or [("id", {}, None)], params, f"/{found['id']}/{name}")
                if listed["data"]:  # Graph leaves an empty edge out of a field expansion
                    shown[name] = listed
                continue
            if name == "from" and self.hidden_authors and found.get("from", {}).get("id") not in (PAGE_ID, IG_ID):
                continue
            if name.startswith("_") or name not in found:
                continue
            value = found[name]
            if sub and isinstance(value, dict):
                value = {k: v for k, v in value.items() if k in {s[0] for s in sub}}
            shown[name] = value
        return shown

    def _list(self, items: list[dict], kind: str, name: str, fields: list, params: dict, path: str) -> dict:
        limit = int(params.get("limit") or 25)
        if limit > MAX_LIMIT:
            raise Refused(error(100, f"(#100) The 'limit' parameter should not exceed {MAX_LIMIT}"))
        child = {"published_posts": "post", "tagged": "tagged_post", "media": "media", "tags": "media"}.get(name)
        if name == "comments":
            child = "ig_comment" if kind == "media" else "comment"
        if name == "replies":
            child = "ig_reply"
        ordered = self._ordered(items, kind, name, params)
        start = _offset(params.get("after") or params.get("__paging_token"))
        page = ordered[start : start + limit]
        body: dict = {"data": [self._object(item, child or "", fields) for item in page]}
        more = start + limit < len(ordered)
        following = {**{k: v for k, v in params.items() if k not in ("after", "__paging_token", "until")}}
        following["fields"] = _fields_text(fields)
        following["limit"] = str(limit)
        token = f"access_token={self.token}&"  # as Graph's own links carry it
        base = f"https://graph.facebook.com/{GRAPH_VERSION}{path}?{token}"
        cursor = _cursor(start + limit)
        if name == "tagged":  # paged by time, like a Page's posts: no cursors, `until` and `__paging_token`
            if more:
                until = int(datetime.fromisoformat(page[-1]["updated_time"]).timestamp())
                body["paging"] = {"next": base + urlencode({**following, "until": until, "__paging_token": cursor})}
            return body
        body["paging"] = {"cursors": {"before": _cursor(start), "after": cursor}}
        if more:
            body["paging"]["next"] = base + urlencode({**following, "after": cursor})
        return body

    def _ordered(self, items: list[dict], kind: str, name: str, params: dict) -> list[dict]:
        if name == "comments" and kind == "post":
            if params.get("filter") != "stream":  # toplevel, Graph's default
                items = [c for c in items if "parent" not in c]
            newest_first = params.get("order") == "reverse_chronological"
            return sorted(items, key=lambda c: str(c["created_time"]), reverse=newest_first)
        if name == "replies":
            return sorted(items, key=lambda c: str(c["timestamp"]))
        key = (
            "updated_time"
            if name == "tagged"
            else "timestamp"
            if name in ("media", "tags", "comments")
            else "created_time"
        )
        # str(): a test may give an item a time of another type, which Graph would still have sorted by its own
        return sorted(items, key=lambda i: str(i[key]), reverse=True)  # newest first

    def _debug_token(self, params: dict) -> dict:
        if params.get("input_token") != self.token:
            raise Refused(error(100, "(#100) The App_id in the input_token did not match the Viewing App"))
        return {
            "data": {
                "app_id": "1234567890123456",
                "type": "PAGE" if self.token_owner == "page" else "USER",
                "application": "Listening Post",
                "data_access_expires_at": 0,
                "expires_at": 0,
                "is_valid": True,
                "profile_id": PAGE_ID,
                "scopes": sorted(self.scopes),
                "user_id": USER_ID,
            }
        }

    def _post(self, parts: list[str], form: dict[str, str]) -> Reply:
        if len(parts) != 2 or parts[1] not in ("comments", "replies"):
            raise Refused(error(100, "(#100) Unsupported post request"))
        if not form.get("message"):
            raise Refused(error(100, "(#100) Missing message or attachment"))
        found, kind = self._find(parts[0])
        limit = COMMENT_LIMITS["replies" if kind.startswith("ig_") else "comments"]
        if len(form["message"]) > limit:  # as Graph refuses a comment over the network's limit
            raise Refused(error(100, f"(#100) Param message must be at most {limit} characters long."))
        if parts[1] == "comments" and kind in ("comment", "post", "tagged_post"):
            self._needs("pages_manage_engagement")
            self.posted.append({"path": "/".join(parts), "form": form})
            if kind == "comment":  # a reply to a reply joins the top-level comment's thread
                post = next(p for p in self.posts if found in p["_comments"])
                top = found if "parent" not in found else self._find(found["parent"]["id"])[0]
                created = self.page_reply(post, top, form["message"], minutes_ago=0)
                return Reply(200, {"id": created["id"]})
            return Reply(200, copy.deepcopy(RECORDED["facebook_comment_created"]))
        if parts[1] == "replies" and kind in ("ig_comment", "ig_reply"):
            self._needs("instagram_manage_comments")
            self.posted.append({"path": "/".join(parts), "form": form})
            top = found if kind == "ig_comment" else self._find(found["parent_id"])[0]
            medium = next(m for m in self.media if top in m["_comments"])
            created = self.ig_comment(medium, form["message"], IG_USERNAME, minutes_ago=0, parent=top)
            return Reply(200, {"id": created["id"]})
        raise Refused(error(100, f"(#100) Unsupported post request on {kind}"))


def _cursor(offset: int) -> str:
    return base64.urlsafe_b64encode(f"offset:{offset}".encode()).decode().rstrip("=")


def _offset(cursor: str | None) -> int:
    if not cursor:
        return 0
    padded = cursor + "=" * (-len(cursor) % 4)
    try:
        return int(base64.urlsafe_b64decode(padded).decode().removeprefix("offset:"))
    except ValueError as exc:
        raise Refused(error(100, "(#100) Invalid cursor")) from exc


def _fields_text(fields: list) -> str:
    def one(name: str, modifiers: dict, sub: list | None) -> str:
        text = name + "".join(f".{k}({v})" for k, v in modifiers.items())
        return text + ("{" + _fields_text(sub) + "}" if sub else "")

    return ",".join(one(*f) for f in fields)
