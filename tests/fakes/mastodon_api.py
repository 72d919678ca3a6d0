"""A fake Mastodon server: mention notifications and hashtag timelines with Link paging, posting statuses."""

from __future__ import annotations

import copy
import html
import json
from datetime import UTC, datetime, timedelta
from pathlib import Path

from tests.fakes.server import FakeServer, Reply, Request, Trickles

TOKEN = "test-mastodon-token-456"
RECORDED = json.loads((Path(__file__).parents[1] / "fixtures" / "mastodon_recorded.json").read_text(encoding="utf-8"))
MAX_LIMIT = 40  # Mastodon silently clamps a larger `limit` to this


def _stamp(moment: datetime) -> str:
    return moment.strftime("%Y-%m-%dT%H:%M:%S.000Z")


class FakeMastodon(Trickles, FakeServer):
    def __init__(self, account: str = "bramblecafe"):
        super().__init__()
        self.account = account
        self.notifications: list[dict] = []  # oldest first, as the server stores them
        self.tags: dict[str, list[dict]] = {}
        self.posted: list[dict] = []  # form bodies of POST /api/v1/statuses that were accepted
        self.page_limit: int | None = None  # most items a page, any `limit`: Mastodon drops filtered posts from pages
        self._next_id = 117020577157693549
        self._next_notification = 21

    def _id(self) -> str:
        self._next_id += 1000
        return str(self._next_id)

    def status(
        self,
        text: str,
        acct: str = "maria@mastodon.social",
        name: str = "Maria López",
        minutes_ago: int = 5,
        visibility: str = "public",
        language: str | None = "en",
    ) -> dict:
        """A status shaped like the recorded one (the server's real JSON), with our own text and author."""
        status = copy.deepcopy(RECORDED["mention_notification"]["status"])
        status_id = self._id()
        username = acct.split("@")[0]
        status.update(
            id=status_id,
            created_at=_stamp(datetime.now(UTC) - timedelta(minutes=minutes_ago)),
            content=f"<p>{html.escape(text)}</p>",
            visibility=visibility,
            language=language,
            url=f"https://mastodon.social/@{username}/{status_id}",
            uri=f"https://mastodon.social/users/{username}/statuses/{status_id}",
        )
        status["account"].update(
            acct=acct,
            username=username,
            display_name=name,
            followers_count=230,
            url=f"https://mastodon.social/@{username}",
        )
        return status

    def mention(self, text: str, **kwargs) -> dict:
        """A mention notification (newest so far) carrying a new status."""
        status = self.status(text, **kwargs)
        notification = copy.deepcopy(RECORDED["mention_notification"])
        self._next_notification += 1
        notification.update(
            id=str(self._next_notification),
            group_key=f"ungrouped-{self._next_notification}",
            created_at=status["created_at"],
            account=status["account"],
            status=status,
        )
        self.notifications.append(notification)
        return notification

    def tagged(self, tag: str, text: str, **kwargs) -> dict:
        status = self.status(text, **kwargs)
        self.tags.setdefault(tag.lower(), []).append(status)
        return status

    def answer(self, request: Request) -> Reply:
        if request.headers.get("Authorization") != f"Bearer {TOKEN}":
            return Reply(401, {"error": "The access token is invalid"})
        if request.method == "GET" and request.path == "/api/v1/notifications":
            wanted = request.query.get("types[]")
            items = [n for n in self.notifications if not wanted or n["type"] in wanted]
            return self._page(request, items)
        if request.method == "GET" and request.path.startswith("/api/v1/timelines/tag/"):
            return self._page(request, self.tags.get(request.path.rsplit("/", 1)[1].lower(), []))
        if request.method == "GET" and request.path == "/api/v1/accounts/verify_credentials":
            account = copy.deepcopy(RECORDED["mention_notification"]["status"]["account"])
            account.update(username=self.account, acct=self.account, display_name="Bramble Café")
            return Reply(200, account)
        if request.method == "POST" and request.path == "/api/v1/statuses":
            return self._post(request)
        return Reply(404, RECORDED["not_found"])

    def _page(self, request: Request, items: list[dict]) -> Reply:
        """Mastodon's paging: newest first, since_id/max_id/min_id windows, and a Link header."""
        limit = min(int(request.param("limit", "20")), MAX_LIMIT)
        if self.page_limit is not None:
            limit = min(limit, self.page_limit)
        ids = lambda item: int(item["id"])  # noqa: E731
        if request.param("max_id"):
            items = [i for i in items if ids(i) < int(request.param("max_id"))]
        if request.param("since_id"):
            items = [i for i in items if ids(i) > int(request.param("since_id"))]
        if request.param("min_id"):
            # The `limit` items just after min_id (the oldest new ones), still sent newest first.
            page = [i for i in items if ids(i) > int(request.param("min_id"))][:limit]
        else:
            page = items[-limit:]
        page = sorted(page, key=ids, reverse=True)
        headers = {}
        if page:
            base = f"{self.url}{request.path}"
            extra = "".join(f"&types%5B%5D={t}" for t in request.query.get("types[]", []))
            headers["Link"] = (
                f'<{base}?max_id={page[-1]["id"]}{extra}>; rel="next", '
                f'<{base}?min_id={page[0]["id"]}{extra}>; rel="prev"'
            )
        return Reply(200, page, headers)

    def _post(self, request: Request) -> Reply:
        form = request.form()
        status = copy.deepcopy(RECORDED["reply_status"])
        status.update(
            id=self._id(),
            content=f"<p>{html.escape(form.get('status', ''))}</p>",
            in_reply_to_id=form.get("in_reply_to_id"),
            visibility=form.get("visibility", "public"),
            created_at=_stamp(datetime.now(UTC)),
        )
        status["url"] = f"https://mastodon.social/@{self.account}/{status['id']}"
        self.posted.append(form)
        return Reply(200, status)


def rate_limited(reset: datetime) -> Reply:
    """A 429 as Mastodon sends it: X-RateLimit-Reset is an ISO-8601 time, not epoch seconds."""
    return Reply(
        429,
        {"error": "Too many requests"},
        {
            "X-RateLimit-Limit": "300",
            "X-RateLimit-Remaining": "0",
            "X-RateLimit-Reset": reset.strftime("%Y-%m-%dT%H:%M:%S.%f")[:-3] + "Z",
        },
    )
