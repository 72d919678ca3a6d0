"""A fake Google: the OAuth 2.0 token endpoint (refresh-token grant), the Business Profile API v4's reviews list
(newest change first, pageToken paging, pageSize at most 50 as Google insists) and updateReply, and the Business
Information API's location with its Maps link. Errors in Google's `{"error": {"code", "message", "status"}}` shape,
from tests/fixtures/google_errors.json; reviews shaped like tests/fixtures/google_reviews.json."""

from __future__ import annotations

import base64
import copy
import itertools
import json
import re
from datetime import UTC, datetime, timedelta
from pathlib import Path

from tests.fakes.server import FakeServer, Reply, Request, Trickles

FIXTURES = Path(__file__).parents[1] / "fixtures"
RECORDED = json.loads((FIXTURES / "google_reviews.json").read_text(encoding="utf-8"))
ERRORS = json.loads((FIXTURES / "google_errors.json").read_text(encoding="utf-8"))

CLIENT_ID = "123456789012-fakeclientid.apps.googleusercontent.com"
CLIENT_SECRET = "GOCSPX-fake-client-secret-42"
REFRESH_TOKEN = "1//0fake-refresh-token-Xyz"
ACCOUNT, LOCATION_ID = "112233445566778899001", "9876543210123456789"
LOCATION = f"accounts/{ACCOUNT}/locations/{LOCATION_ID}"
SCOPE = "https://www.googleapis.com/auth/business.manage"
MAX_PAGE_SIZE = 50  # Google refuses a larger pageSize (INVALID_ARGUMENT)
DEFAULT_PAGE_SIZE = 10
REPLY_BYTES = 4096
STARS = ("ONE", "TWO", "THREE", "FOUR", "FIVE")


def stamp(moment: datetime) -> str:
    """Google's timestamps: Z-normalised, with nine fractional digits."""
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%f") + "000Z"


def error(name: str) -> dict:
    body = copy.deepcopy(ERRORS[name])
    body.pop("_origin", None)
    return body


def failure(name: str, headers: dict[str, str] | None = None) -> Reply:
    """A scripted failure, with Google's status code for that body."""
    body = error(name)
    return Reply(int(body["error"]["code"]), body, headers or {})


class FakeGoogle(Trickles, FakeServer):
    def __init__(self):
        super().__init__()
        self.reviews: list[dict] = []
        self.replies: list[dict] = []  # JSON bodies of accepted updateReply calls
        self.tokens: dict[str, str] = {}  # access token -> the scopes it was granted
        self.refresh_token = REFRESH_TOKEN  # the one Google still accepts
        self.granted_scope = SCOPE
        self.reply_bumps_review = False  # whether the owner's reply moves the review's updateTime too
        self.reply_urls = False  # whether reviews carry reviewReplyUrl (new in 2026)
        self._ids = itertools.count(1)
        self._tokens = itertools.count(1)

    @property
    def token_url(self) -> str:
        return f"{self.url}/token"

    # --- Reviews as Google holds them. ------------------------------------------------------------------------

    def review(
        self,
        comment: str | None = "Lovely cake and friendly staff.",
        stars: int = 4,
        name: str = "Maria López",
        minutes_ago: float = 5,
        anonymous: bool = False,
    ) -> dict:
        review = copy.deepcopy(RECORDED["page"]["reviews"][1 if anonymous else 0])
        review.pop("reviewReply", None)
        review_id = f"AIe9_BGx{next(self._ids):06d}Kn-O3bY1Ka9Yw2u8s"
        when = stamp(datetime.now(UTC) - timedelta(minutes=minutes_ago))
        review.update(name=f"{LOCATION}/reviews/{review_id}", reviewId=review_id, starRating=STARS[stars - 1])
        review.update(createTime=when, updateTime=when)
        if comment:
            review["comment"] = comment
        else:
            review.pop("comment", None)  # stars alone: Google leaves the field out
        if not anonymous:
            review["reviewer"]["displayName"] = name
        self.reviews.append(review)
        return review

    def edit(self, review: dict, comment: str | None = None, stars: int | None = None) -> dict:
        """The reviewer changes their review: same id, a new updateTime."""
        if comment is not None:
            review["comment"] = comment
        if stars is not None:
            review["starRating"] = STARS[stars - 1]
        review["updateTime"] = stamp(datetime.now(UTC))
        return review

    def owner_reply(self, review: dict, text: str, minutes_ago: float = 0) -> dict:
        """The owner answers in Google's own app."""
        when = stamp(datetime.now(UTC) - timedelta(minutes=minutes_ago))
        review["reviewReply"] = {"comment": text, "updateTime": when}
        if self.reply_bumps_review:
            review["updateTime"] = when
        return review["reviewReply"]

    # --- The wire. ---------------------------------------------------------------------------------------------

    def answer(self, request: Request) -> Reply:
        if request.path == "/token":
            return self._token(request)
        authorization = request.headers.get("Authorization", "")
        if not authorization.startswith("Bearer ") or authorization[7:] not in self.tokens:
            return failure("unauthenticated")
        if SCOPE not in self.tokens[authorization[7:]].split():
            return failure("insufficient_scopes")
        reviews = f"/v4/{LOCATION}/reviews"
        if request.method == "GET" and request.path.startswith("/v4/") and request.path.endswith("/reviews"):
            return self._list(request) if request.path == reviews else failure("not_found")
        reply = re.fullmatch(rf"{re.escape(reviews)}/([\w-]+)/reply", request.path)
        if request.method == "PUT" and reply:
            return self._reply(request, reply.group(1))
        if request.method == "GET" and request.path == f"/v1/locations/{LOCATION_ID}":
            if not request.param("readMask"):
                return failure("invalid_argument")  # the Business Information API insists on a readMask
            location = copy.deepcopy(RECORDED["location"])
            location.pop("_origin")
            return Reply(200, location)
        return failure("not_found")

    def _token(self, request: Request) -> Reply:
        form = request.form()
        if request.method != "POST" or form.get("grant_type") != "refresh_token":
            return Reply(400, {"error": "unsupported_grant_type", "error_description": "Invalid grant_type: "})
        if (form.get("client_id"), form.get("client_secret")) != (CLIENT_ID, CLIENT_SECRET):
            return Reply(401, error("invalid_client"))
        if form.get("refresh_token") != self.refresh_token:
            return Reply(400, error("invalid_grant"))
        token = f"ya29.fake-access-{next(self._tokens)}"
        self.tokens[token] = self.granted_scope
        return Reply(
            200, {"access_token": token, "expires_in": 3599, "scope": self.granted_scope, "token_type": "Bearer"}
        )

    def revoke_access_tokens(self) -> None:
        """Every access token handed out stops working (as when Google revokes them early)."""
        self.tokens.clear()

    def _list(self, request: Request) -> Reply:
        size = int(request.param("pageSize") or DEFAULT_PAGE_SIZE)
        order = request.param("orderBy") or "updateTime desc"
        if not 0 < size <= MAX_PAGE_SIZE or order not in ("updateTime desc", "rating", "rating desc"):
            return failure("invalid_argument")
        start = 0
        if request.param("pageToken"):
            try:
                start = int(base64.urlsafe_b64decode(request.param("pageToken") or "").decode())
            except ValueError:
                return failure("invalid_argument")
        ordered = sorted(self.reviews, key=lambda r: r["updateTime"], reverse=True)
        page = copy.deepcopy(ordered[start : start + size])
        if self.reply_urls:
            for review in page:
                review["reviewReplyUrl"] = f"https://business.google.com/reviews/reply/{review['reviewId']}"
        body: dict = {"totalReviewCount": len(self.reviews)}
        if page:
            body["reviews"] = page  # Google leaves out an empty list
            stars = [STARS.index(r["starRating"]) + 1 for r in self.reviews if r.get("starRating") in STARS]
            body["averageRating"] = round(sum(stars) / len(stars), 1) if stars else 0
        if start + size < len(ordered):
            body["nextPageToken"] = base64.urlsafe_b64encode(str(start + size).encode()).decode()
        return Reply(200, body)

    def _reply(self, request: Request, review_id: str) -> Reply:
        review = next((r for r in self.reviews if r["reviewId"] == review_id), None)
        if review is None:
            return failure("not_found")
        try:
            body = request.json()
        except ValueError:
            return failure("invalid_argument")
        comment = body.get("comment") if isinstance(body, dict) else None
        if not isinstance(comment, str) or not comment.strip() or len(comment.encode("utf-8")) > REPLY_BYTES:
            return failure("invalid_argument")
        self.replies.append(body)
        return Reply(200, self.owner_reply(review, comment))
