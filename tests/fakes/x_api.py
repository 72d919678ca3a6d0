"""A fake X API v2: users lookup, mentions, recent search, the account's own posts, and posting replies."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path

from tests.fakes.server import FakeServer, Reply, Request, Trickles

BEARER = "test-bearer-token-123"
CREATED = Path(__file__).parents[1] / "fixtures" / "x_create_tweet.json"
# OAuth 1.0a keys for posting as the account (X_API_KEY, X_API_SECRET, X_ACCESS_TOKEN, X_ACCESS_TOKEN_SECRET).
POSTING_KEYS = {
    "X_API_KEY": "test-consumer-key",
    "X_API_SECRET": "test-consumer-secret",
    "X_ACCESS_TOKEN": "783214-test-access-token",
    "X_ACCESS_TOKEN_SECRET": "test-access-secret",
}
DUPLICATE = {
    "detail": "You are not allowed to create a Tweet with duplicate content.",
    "type": "about:blank",
    "title": "Forbidden",
    "status": 403,
}


class FakeX(Trickles, FakeServer):
    def __init__(self, username: str = "bramblecafe", user_id: str = "783214"):
        super().__init__()
        self.account = {"id": user_id, "name": "Bramble Café", "username": username}
        self.users: dict[str, dict] = {user_id: {**self.account, "public_metrics": {"followers_count": 2300}}}
        self.mentions: list[dict] = []
        self.search_results: list[dict] = []
        self.own_posts: list[dict] = []
        self.created: list[dict] = []  # bodies of POST /2/tweets that X accepted
        # X may send fewer posts than max_results asked for, with a next_token for the rest (its docs
        # say so): a test sets this to read a burst across several pages without hundreds of posts.
        self.page_limit: int | None = None
        self._next_id = 1578516300000000000

    def add_user(self, user_id: str, username: str, name: str, followers: int = 100) -> None:
        self.users[user_id] = {
            "id": user_id,
            "username": username,
            "name": name,
            "public_metrics": {"followers_count": followers},
        }

    def tweet(
        self, text: str, author_id: str = "1001", minutes_ago: int = 5, search: bool = False, mention: bool = True
    ) -> dict:
        """Add a tweet (newest so far) to the mentions timeline and/or the search results."""
        if author_id not in self.users:
            self.add_user(author_id, f"customer{author_id}", f"Customer {author_id}")
        self._next_id += 1000
        created = datetime.now(UTC) - timedelta(minutes=minutes_ago)
        tweet = {
            "id": str(self._next_id),
            "text": text,
            "author_id": author_id,
            "lang": "en",
            "created_at": created.strftime("%Y-%m-%dT%H:%M:%S.000Z"),
            "edit_history_tweet_ids": [str(self._next_id)],
        }
        if mention:
            self.mentions.append(tweet)
        if search:
            self.search_results.append(tweet)
        return tweet

    def own_post(self, text: str, in_reply_to: str | None = None, minutes_ago: int = 0) -> dict:
        """A post by the business account itself (a reply when `in_reply_to` is given)."""
        self._next_id += 1000
        created = datetime.now(UTC) - timedelta(minutes=minutes_ago)
        post = {
            "id": str(self._next_id),
            "text": text,
            "author_id": self.account["id"],
            "created_at": created.strftime("%Y-%m-%dT%H:%M:%S.000Z"),
            "edit_history_tweet_ids": [str(self._next_id)],
        }
        if in_reply_to:
            post["referenced_tweets"] = [{"type": "replied_to", "id": in_reply_to}]
        self.own_posts.append(post)
        return post

    def answer(self, request: Request) -> Reply:
        if request.method == "POST" and request.path == "/2/tweets":
            return self._create(request) if self._signed(request) else self._unauthorized()
        if request.path == "/2/users/me":
            return Reply(200, {"data": self.account}) if self._signed(request) else self._unauthorized()
        if request.headers.get("Authorization") != f"Bearer {BEARER}":
            return self._unauthorized()
        parts = request.path.strip("/").split("/")
        if parts[:4] == ["2", "users", "by", "username"]:
            user = next((u for u in self.users.values() if u["username"].lower() == parts[4].lower()), None)
            if user is None:
                return Reply(
                    200,
                    {
                        "errors": [
                            {
                                "value": parts[4],
                                "detail": f"Could not find user with username: [{parts[4]}].",
                                "title": "Not Found Error",
                                "resource_type": "user",
                                "parameter": "username",
                                "resource_id": parts[4],
                                "type": "https://api.twitter.com/2/problems/resource-not-found",
                            }
                        ]
                    },
                )
            return Reply(200, {"data": {k: user[k] for k in ("id", "name", "username")}})
        if len(parts) == 4 and parts[:2] == ["2", "users"] and parts[3] == "mentions":
            return self._timeline(request, self.mentions, "pagination_token")
        if len(parts) == 4 and parts[:2] == ["2", "users"] and parts[3] == "tweets":
            return self._timeline(request, self.own_posts, "pagination_token")
        if parts == ["2", "tweets", "search", "recent"]:
            return self._timeline(request, self.search_results, "next_token")
        return Reply(404, {"title": "Not Found Error", "detail": request.path})

    @staticmethod
    def _signed(request: Request) -> bool:
        """Signed with OAuth 1.0a by the posting keys (the signature itself is not checked)."""
        auth = request.headers.get("Authorization", "")
        return auth.startswith("OAuth ") and f'oauth_consumer_key="{POSTING_KEYS["X_API_KEY"]}"' in auth

    @staticmethod
    def _unauthorized() -> Reply:
        return Reply(401, {"title": "Unauthorized", "type": "about:blank", "status": 401, "detail": "Unauthorized"})

    def _create(self, request: Request) -> Reply:
        body = request.json()
        if any(p["text"] == body.get("text") for p in self.own_posts):
            return Reply(403, DUPLICATE)
        post = self.own_post(body["text"], (body.get("reply") or {}).get("in_reply_to_tweet_id"))
        self.created.append(body)
        recorded = json.loads(CREATED.read_text())  # X's real answer, with this post's id and text
        recorded["response_body"]["data"].update(id=post["id"], text=post["text"])
        return Reply(
            recorded["status"],
            recorded["response_body"],
            {
                "x-rate-limit-limit": recorded["x-rate-limit-limit"],
                "x-rate-limit-remaining": recorded["x-rate-limit-remaining"],
            },
        )

    def _timeline(self, request: Request, tweets: list[dict], token_param: str) -> Reply:
        since = int(request.param("since_id", "0"))
        until = int(request.param("until_id", "0")) or None
        asked = request.param("max_results", "10")
        smallest = 10 if token_param == "next_token" else 5  # search, or a user's timeline
        if not asked.isdigit() or not smallest <= int(asked) <= 100:
            return Reply(400, _invalid_max_results(asked, smallest))
        size = min(int(asked), self.page_limit or 100)
        offset = int(request.param(token_param, "0"))
        matching = sorted(
            (t for t in tweets if int(t["id"]) > since and (until is None or int(t["id"]) < until)),
            key=lambda t: -int(t["id"]),
        )
        page = matching[offset : offset + size]
        if not page:
            return Reply(200, {"meta": {"result_count": 0}})
        fields = set((request.param("tweet.fields") or "").split(","))
        data = [
            {k: v for k, v in t.items() if k in ("id", "text", "edit_history_tweet_ids") or k in fields} for t in page
        ]
        body: dict = {
            "data": data,
            "meta": {"newest_id": page[0]["id"], "oldest_id": page[-1]["id"], "result_count": len(page)},
        }
        if offset + size < len(matching):
            body["meta"]["next_token"] = str(offset + size)
        if "author_id" in (request.param("expansions") or ""):
            authors = {t["author_id"] for t in page}
            body["includes"] = {"users": [self.users[a] for a in sorted(authors)]}
        return Reply(200, body, {"x-rate-limit-limit": "450", "x-rate-limit-remaining": "449"})


def _invalid_max_results(asked: str, smallest: int) -> dict:
    """X's answer to a max_results it does not allow."""
    return {
        "errors": [
            {
                "parameters": {"max_results": [asked]},
                "message": f"The `max_results` query parameter value [{asked}] is not between {smallest} and 100",
            }
        ],
        "title": "Invalid Request",
        "detail": "One or more parameters to your request was invalid.",
        "type": "https://api.twitter.com/2/problems/invalid-request",
    }
