"""A fake Bluesky PDS: createSession with a real JWT shape, getProfile, listNotifications, searchPosts, createRecord."""

from __future__ import annotations

import base64
import copy
import json
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

from tests.fakes.server import FakeServer, Reply, Request, Trickles

HANDLE = "bramblecafe.bsky.social"
APP_PASSWORD = "abcd-efgh-ijkl-mnop"
OWN_DID = "did:plc:bramble4cafe7x2k3m5n6p7q"
RECORDED = json.loads(
    (Path(__file__).parents[1] / "fixtures" / "bluesky_notifications.json").read_text(encoding="utf-8")
)


def _b64(data: dict) -> str:
    return base64.urlsafe_b64encode(json.dumps(data).encode()).rstrip(b"=").decode()


def jwt(scope: str, did: str, lifetime: int) -> str:
    """A token the SDK can decode: it reads `exp` to know when to refresh (the signature is not checked client-side)."""
    now = int(time.time())
    return ".".join(
        [
            _b64({"typ": "at+jwt", "alg": "ES256K"}),
            _b64({"scope": scope, "sub": did, "iat": now, "exp": now + lifetime, "aud": "did:web:fake.host"}),
            "c2lnbmF0dXJl",
        ]
    )


def _stamp(moment: datetime) -> str:
    return moment.strftime("%Y-%m-%dT%H:%M:%S.%f")[:-3] + "Z"


class FakeBluesky(Trickles, FakeServer):
    def __init__(self):
        super().__init__()
        self.access = jwt("com.atproto.access", OWN_DID, 7200)
        self.notifications: list[dict] = []  # oldest first
        self.search_posts: list[dict] = []
        self.records: list[dict] = []  # bodies of createRecord calls that were accepted
        self.page_limit: int | None = None  # at most this many items a page whatever `limit` asked, as Bluesky does
        self._next = 1000

    def _post(self, reason: str, text: str, handle: str, name: str, minutes_ago: int, reply_to: dict | None) -> dict:
        template = copy.deepcopy(
            RECORDED["quote" if reason == "quote" else "reply" if reason == "reply" else "mention"]
        )
        self._next += 1
        did = f"did:plc:{handle.split('.')[0][:8]:x<8}{self._next:016d}"
        rkey = f"3lbq{self._next:09d}"
        moment = datetime.now(UTC) - timedelta(minutes=minutes_ago)
        template["author"].update(did=did, handle=handle, displayName=name)
        template["uri"] = f"at://{did}/app.bsky.feed.post/{rkey}"
        template["cid"] = f"bafyreib{self._next:052d}"
        template["indexedAt"] = _stamp(moment)
        record = template["record"]
        record.update(text=text, createdAt=_stamp(moment), langs=["en"])
        record.pop("facets", None)
        if reply_to:
            record["reply"] = {"root": reply_to, "parent": reply_to}
        if reason == "quote":
            record["embed"]["record"] = {"uri": f"at://{OWN_DID}/app.bsky.feed.post/3lbqown000001", "cid": "bafyreiown"}
        template["reasonSubject"] = f"at://{OWN_DID}/app.bsky.feed.post/3lbqown000001"
        return template

    def notify(
        self,
        text: str,
        reason: str = "mention",
        handle: str = "maria.bsky.social",
        name: str = "Maria López",
        minutes_ago: int = 5,
        reply_to: dict | None = None,
    ) -> dict:
        notification = self._post(reason, text, handle, name, minutes_ago, reply_to)
        self.notifications.append(notification)
        return notification

    def searchable(self, text: str, handle: str = "sam.bsky.social", name: str = "Sam", minutes_ago: int = 5) -> dict:
        post = self._post("mention", text, handle, name, minutes_ago, None)
        view = {k: post[k] for k in ("uri", "cid", "author", "record", "indexedAt")}
        view.update(replyCount=0, repostCount=0, likeCount=0, labels=[])
        self.search_posts.append(view)
        return view

    def answer(self, request: Request) -> Reply:
        method = request.path.removeprefix("/xrpc/")
        if method == "com.atproto.server.createSession":
            body = request.json()
            if body.get("identifier") != HANDLE or body.get("password") != APP_PASSWORD:
                return Reply(401, {"error": "AuthenticationRequired", "message": "Invalid identifier or password"})
            return Reply(
                200,
                {
                    "accessJwt": self.access,
                    "refreshJwt": jwt("com.atproto.refresh", OWN_DID, 86400),
                    "handle": HANDLE,
                    "did": OWN_DID,
                    "active": True,
                },
            )
        if request.headers.get("Authorization") != f"Bearer {self.access}":
            return Reply(401, {"error": "InvalidToken", "message": "Bad token scope"})
        if method == "app.bsky.actor.getProfile":
            return Reply(200, {"did": OWN_DID, "handle": HANDLE, "displayName": "Bramble Café", "followersCount": 410})
        if method == "app.bsky.notification.listNotifications":
            reasons = request.query.get("reasons")
            items = [n for n in self.notifications if not reasons or n["reason"] in reasons]
            return self._page(request, items, "notifications")
        if method == "app.bsky.feed.searchPosts":
            return self._page(request, self.search_posts, "posts")
        if method == "com.atproto.repo.createRecord":
            body = request.json()
            self.records.append(body)
            self._next += 1
            made = dict(RECORDED["create_record"])
            made["uri"] = f"at://{OWN_DID}/app.bsky.feed.post/3lbqreply{self._next}"
            return Reply(200, made)
        return Reply(501, {"error": "MethodNotImplemented", "message": "Method Not Implemented"})

    def _page(self, request: Request, items: list[dict], field: str) -> Reply:
        """Newest first, an opaque cursor for the next (older) page, none after the last. A `limit` the
        lexicon does not allow (an integer from 1 to 100, 50 when left out) is refused as Bluesky does."""
        try:
            limit = int(request.param("limit", "50"))
        except ValueError:
            return _invalid("limit must be an integer")
        if limit > 100:
            return _invalid("limit can not be greater than 100")
        if limit < 1:
            return _invalid("limit can not be less than 1")
        count = min(limit, self.page_limit) if self.page_limit is not None else limit
        newest_first = list(reversed(items))
        start = int(request.param("cursor", "0"))
        page = newest_first[start : start + count]
        body = {field: page}
        if start + count < len(newest_first):
            body["cursor"] = str(start + count)
        return Reply(200, body)


def _invalid(message: str) -> Reply:
    """A request the lexicon refuses: HTTP 400 with the XRPC error body."""
    return Reply(400, {"error": "InvalidRequest", "message": message})


def rate_limited(reset: datetime) -> Reply:
    """A 429 as Bluesky sends it: ratelimit-reset in epoch seconds."""
    return Reply(
        429,
        {"error": "RateLimitExceeded", "message": "Rate Limit Exceeded"},
        {
            "ratelimit-limit": "3000",
            "ratelimit-remaining": "0",
            "ratelimit-reset": str(int(reset.timestamp())),
            "ratelimit-policy": "3000;w=300",
        },
    )
