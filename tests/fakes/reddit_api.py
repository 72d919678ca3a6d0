"""A fake Reddit: the OAuth token endpoint, subreddit search and comment listings with `after` paging, posting comments."""

from __future__ import annotations

import base64
import time

from tests.fakes.server import FakeServer, Reply, Request, Trickles

CLIENT_ID = "p-jcoLKBynTLew"
CLIENT_SECRET = "gko_LXELoV07ZBNUXrvWZfzE3aI"
USERNAME = "bramblecafe"
PASSWORD = "test-reddit-password"
TOKEN = "fake-reddit-access-token"
MAX_LIMIT = 100  # Reddit silently clamps a larger `limit` to this


def _listing(children: list[dict], after: str | None) -> dict:
    return {
        "kind": "Listing",
        "data": {
            "after": after,
            "dist": len(children),
            "modhash": None,
            "geo_filter": "",
            "children": children,
            "before": None,
        },
    }


class FakeReddit(Trickles, FakeServer):
    def __init__(self):
        super().__init__()
        self.posts: list[dict] = []  # oldest first
        self.comments: list[dict] = []
        self.replies: list[dict] = []  # form bodies of POST /api/comment that were accepted
        self.page_limit: int | None = None  # most items a page, any `limit`: Reddit drops removed items from a page
        self._next = 1_700_000_000

    def _thing(self, kind: str, subreddit: str, author: str, minutes_ago: float, **data) -> dict:
        self._next += 1
        thing_id = base36(self._next)
        created = time.time() - minutes_ago * 60
        data.update(
            id=thing_id,
            name=f"{kind}_{thing_id}",
            author=author,
            subreddit=subreddit,
            subreddit_name_prefixed=f"r/{subreddit}",
            created_utc=float(int(created)),
            score=1,
            ups=1,
        )
        return {"kind": kind, "data": data}

    def post(
        self,
        title: str,
        selftext: str = "",
        subreddit: str = "london",
        author: str = "maria_eats",
        minutes_ago: float = 5,
    ) -> dict:
        thing = self._thing(
            "t3",
            subreddit,
            author,
            minutes_ago,
            title=title,
            selftext=selftext,
            num_comments=0,
            is_self=True,
            over_18=False,
        )
        data = thing["data"]
        data["permalink"] = f"/r/{subreddit}/comments/{data['id']}/{title.lower().replace(' ', '_')[:40]}/"
        data["url"] = "https://www.reddit.com" + data["permalink"]
        self.posts.append(thing)
        return thing

    def comment(
        self,
        body: str,
        subreddit: str = "london",
        author: str = "tom_b",
        minutes_ago: float = 5,
        post_id: str = "1h2x3y4",
    ) -> dict:
        thing = self._thing(
            "t1", subreddit, author, minutes_ago, body=body, parent_id=f"t3_{post_id}", link_id=f"t3_{post_id}"
        )
        thing["data"]["permalink"] = f"/r/{subreddit}/comments/{post_id}/a_thread/{thing['data']['id']}/"
        self.comments.append(thing)
        return thing

    def answer(self, request: Request) -> Reply:
        if request.path == "/api/v1/access_token":
            expected = "Basic " + base64.b64encode(f"{CLIENT_ID}:{CLIENT_SECRET}".encode()).decode()
            form = request.form()
            if request.headers.get("Authorization") != expected:
                return Reply(401, {"message": "Unauthorized", "error": 401})
            if form.get("grant_type") == "password" and (form.get("username"), form.get("password")) != (
                USERNAME,
                PASSWORD,
            ):
                return Reply(200, {"error": "invalid_grant"})
            return Reply(200, {"access_token": TOKEN, "token_type": "bearer", "expires_in": 86400, "scope": "*"})
        if request.headers.get("Authorization") != f"bearer {TOKEN}":
            return Reply(401, {"message": "Unauthorized", "error": 401})
        if request.path.endswith("/search") or request.path.endswith("/search/"):
            query = (request.param("q") or "").strip('"').lower()
            found = [p for p in self.posts if query in (p["data"]["title"] + " " + p["data"]["selftext"]).lower()]
            return self._page(request, found)
        if request.path.rstrip("/").endswith("/comments"):
            return self._page(request, self.comments)
        if request.path.rstrip("/") == "/api/comment":
            form = request.form()
            self.replies.append(form)
            made = self._thing(
                "t1", "london", USERNAME, 0, body=form["text"], parent_id=form["thing_id"], link_id=form["thing_id"]
            )
            made["data"]["permalink"] = f"/r/london/comments/abc/a_thread/{made['data']['id']}/"
            return Reply(200, {"json": {"errors": [], "data": {"things": [made]}}})
        return Reply(404, {"message": "Not Found", "error": 404})

    def _page(self, request: Request, items: list[dict]) -> Reply:
        """Newest first, `limit` per page (100 at most), `after` the last item's fullname while more remain."""
        limit = min(int(request.param("limit", "25")), MAX_LIMIT)
        if self.page_limit is not None:
            limit = min(limit, self.page_limit)
        newest_first = list(reversed(items))
        after = request.param("after")
        start = next((i + 1 for i, t in enumerate(newest_first) if t["data"]["name"] == after), 0) if after else 0
        page = newest_first[start : start + limit]
        more = start + limit < len(newest_first)
        return Reply(200, _listing(page, page[-1]["data"]["name"] if page and more else None))


def base36(number: int) -> str:
    digits = "0123456789abcdefghijklmnopqrstuvwxyz"
    out = ""
    while number:
        number, rest = divmod(number, 36)
        out = digits[rest] + out
    return out or "0"


def rate_limited(seconds: int) -> Reply:
    """A 429 as Reddit sends it: x-ratelimit-reset is seconds until the window resets."""
    return Reply(
        429,
        {"message": "Too Many Requests", "error": 429},
        {"x-ratelimit-used": "100", "x-ratelimit-remaining": "0", "x-ratelimit-reset": str(seconds)},
    )
