"""A fake X API v2: users lookup, mentions timeline and recent search, paged like X pages them."""
from __future__ import annotations

from datetime import datetime, timedelta, timezone

from tests.fakes.server import FakeServer, Reply, Request

BEARER = "test-bearer-token-123"


class FakeX(FakeServer):
    def __init__(self, username: str = "bramblecafe", user_id: str = "783214"):
        super().__init__()
        self.account = {"id": user_id, "name": "Bramble Café", "username": username}
        self.users: dict[str, dict] = {user_id: {**self.account, "public_metrics": {"followers_count": 2300}}}
        self.mentions: list[dict] = []
        self.search_results: list[dict] = []
        self._next_id = 1578516300000000000

    def add_user(self, user_id: str, username: str, name: str, followers: int = 100) -> None:
        self.users[user_id] = {"id": user_id, "username": username, "name": name, "public_metrics": {"followers_count": followers}}

    def tweet(self, text: str, author_id: str = "1001", minutes_ago: int = 5, search: bool = False, mention: bool = True) -> dict:
        """Add a tweet (newest so far) to the mentions timeline and/or the search results."""
        if author_id not in self.users:
            self.add_user(author_id, f"customer{author_id}", f"Customer {author_id}")
        self._next_id += 1000
        created = datetime.now(timezone.utc) - timedelta(minutes=minutes_ago)
        tweet = {
            "id": str(self._next_id), "text": text, "author_id": author_id, "lang": "en",
            "created_at": created.strftime("%Y-%m-%dT%H:%M:%S.000Z"),
            "edit_history_tweet_ids": [str(self._next_id)],
        }
        if mention:
            self.mentions.append(tweet)
        if search:
            self.search_results.append(tweet)
        return tweet

    def answer(self, request: Request) -> Reply:
        if request.headers.get("Authorization") != f"Bearer {BEARER}":
            return Reply(401, {"title": "Unauthorized", "type": "about:blank", "status": 401, "detail": "Unauthorized"})
        parts = request.path.strip("/").split("/")
        if parts[:4] == ["2", "users", "by", "username"]:
            user = next((u for u in self.users.values() if u["username"].lower() == parts[4].lower()), None)
            if user is None:
                return Reply(200, {"errors": [{"value": parts[4], "detail": f"Could not find user with username: [{parts[4]}].",
                                               "title": "Not Found Error", "resource_type": "user", "parameter": "username",
                                               "resource_id": parts[4], "type": "https://api.twitter.com/2/problems/resource-not-found"}]})
            return Reply(200, {"data": {k: user[k] for k in ("id", "name", "username")}})
        if len(parts) == 4 and parts[:2] == ["2", "users"] and parts[3] == "mentions":
            return self._timeline(request, self.mentions, "pagination_token")
        if parts == ["2", "tweets", "search", "recent"]:
            return self._timeline(request, self.search_results, "next_token")
        return Reply(404, {"title": "Not Found Error", "detail": request.path})

    def _timeline(self, request: Request, tweets: list[dict], token_param: str) -> Reply:
        since = int(request.param("since_id", "0"))
        size = int(request.param("max_results", "10"))
        offset = int(request.param(token_param, "0"))
        matching = sorted((t for t in tweets if int(t["id"]) > since), key=lambda t: -int(t["id"]))
        page = matching[offset: offset + size]
        if not page:
            return Reply(200, {"meta": {"result_count": 0}})
        fields = set((request.param("tweet.fields") or "").split(","))
        data = [{k: v for k, v in t.items() if k in ("id", "text", "edit_history_tweet_ids") or k in fields} for t in page]
        body: dict = {"data": data, "meta": {"newest_id": page[0]["id"], "oldest_id": page[-1]["id"], "result_count": len(page)}}
        if offset + size < len(matching):
            body["meta"]["next_token"] = str(offset + size)
        if "author_id" in (request.param("expansions") or ""):
            authors = {t["author_id"] for t in page}
            body["includes"] = {"users": [self.users[a] for a in sorted(authors)]}
        return Reply(200, body, {"x-rate-limit-limit": "450", "x-rate-limit-remaining": "449"})
