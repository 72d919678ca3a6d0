"""Google's Business Profile API as Listening Post calls it: the owner's sign-in (google-auth, refresh token),
signed requests with a total deadline, and Google's errors in plain words (for reading and for replying)."""

from __future__ import annotations

import logging
import threading
from datetime import UTC, datetime, timedelta
from typing import Any

import requests

from bot.models import ReplyError, SourceError
from bot.sources.deadline import deadline_session, exceeded, took_too_long
from bot.text import clean

log = logging.getLogger("bot.sources.google")  # the network's own logger: its lines keep the network's name

API_URL = "https://mybusiness.googleapis.com"
INFO_URL = "https://mybusinessbusinessinformation.googleapis.com"
TOKEN_URL = "https://oauth2.googleapis.com/token"
SCOPE = "https://www.googleapis.com/auth/business.manage"
RATE_WINDOW = timedelta(minutes=1)  # Google's quotas are per minute
UNAPPROVED_WAIT = timedelta(hours=1)  # a project whose access Google has not approved yet (a quota of 0)
SETUP = "README → “2d. Google reviews”"


class GoogleError(Exception):
    """Google answered with an error: its HTTP status and the parts of its `{"error": {...}}` body."""

    def __init__(self, response: requests.Response):
        self.status = response.status_code
        self.retry_after = response.headers.get("Retry-After")
        error: Any = {}
        try:
            body = response.json()
            error = body.get("error") if isinstance(body, dict) else {}
        except ValueError:
            pass
        error = error if isinstance(error, dict) else {}
        self.code = str(error.get("status") or "")  # PERMISSION_DENIED, RESOURCE_EXHAUSTED, …
        self.message = clean(str(error.get("message") or ""))[:300]
        self.reason = ""
        self.metadata: dict = {}
        for detail in error.get("details") or []:
            if isinstance(detail, dict) and str(detail.get("@type", "")).endswith("google.rpc.ErrorInfo"):
                self.reason = str(detail.get("reason") or "")
                metadata = detail.get("metadata")
                self.metadata = metadata if isinstance(metadata, dict) else {}
        super().__init__(f"HTTP {self.status} {self.code} {self.reason}".strip())

    @property
    def unapproved(self) -> bool:
        """A quota of 0: Google has not approved this project's access to the Business Profile APIs yet."""
        return self.status == 429 and str(self.metadata.get("quota_limit_value", "")) == "0"


class GoogleClient:
    """Signed requests to Google's APIs for one refresh token: an access token is made when needed and kept
    until it expires; a 401 gets one fresh token and one more try (safe: a 401 was never carried out)."""

    def __init__(
        self,
        client_id: str,
        client_secret: str,
        refresh_token: str,
        api_url: str = API_URL,
        token_url: str = TOKEN_URL,
    ):
        from google.auth.transport.requests import Request
        from google.oauth2.credentials import Credentials

        self.api_url = api_url.rstrip("/")
        self.token_url = token_url
        self.session = deadline_session()  # a total deadline for every request, the token's too
        # Google's APIs and its token endpoint never redirect. requests would follow a 307 with the same POST body,
        # so the token form (client secret and refresh token) would go to wherever the redirect pointed.
        self.session.max_redirects = 0
        self._secrets = (client_secret, refresh_token)
        self._credentials = Credentials(
            token=None,
            refresh_token=refresh_token,
            client_id=client_id,
            client_secret=client_secret,
            token_uri=token_url,
            scopes=[SCOPE],  # google-auth then refuses a token made without it, and says so
        )
        self._request = Request(self.session)
        self._lock = threading.Lock()  # the poll and a person's reply may both need a token at once

    def mask(self, text: str) -> str:
        """`text` without the client secret, the refresh token or the access token (Google never echoes them, but
        an answer from something else may, and its words reach messages and the log)."""
        for secret in (*self._secrets, self._credentials.token or ""):
            if len(secret) >= 6:
                text = text.replace(secret, "***")
        return text

    def info_url(self) -> str:
        """The Business Information API: Google's own address, or the same one as the reviews when that is set."""
        return INFO_URL if self.api_url == API_URL else self.api_url

    def _authorization(self, renew: bool) -> dict[str, str]:
        with self._lock:
            if renew or not self._credentials.valid:
                try:
                    self._credentials.refresh(self._request)
                except (TypeError, KeyError, AttributeError):
                    # google-auth reads a 200 that is not a JSON object (a proxy's page) as a token and fails with
                    # a TypeError, which was a "bug of ours" on every poll. Nothing was sent with such a token.
                    from google.auth.exceptions import TransportError

                    raise TransportError("Google's sign-in answered with something that is not a token") from None
            return {"Authorization": f"Bearer {self._credentials.token}"}

    def call(self, method: str, url: str, **kwargs: Any) -> dict:
        """Google's JSON answer; GoogleError for an error, ValueError for an answer that is not a JSON object."""
        for renew in (False, True):
            response = self.session.request(method, url, headers=self._authorization(renew), timeout=20, **kwargs)
            if response.status_code != 401:
                break
        if response.status_code >= 400:
            raise GoogleError(response)
        # Google answers every call, updateReply too, with a JSON object. Anything else (an empty body, a proxy's
        # page) did not come from Google, so a reply answered so may not be there: ValueError, and it is `unsure`.
        body = response.json()
        if not isinstance(body, dict):
            raise ValueError(f"Google's answer is {type(body).__name__}, not an object")
        return body


# --- Errors in plain words. ---------------------------------------------------------------------------------------


def _sign_in_problem(exc: Exception) -> str | None:
    """Why Google's sign-in refused the settings, for the owner; None when it is not a sign-in refusal."""
    from google.auth.exceptions import RefreshError

    if not isinstance(exc, RefreshError):
        return None
    data = exc.args[1] if len(exc.args) > 1 and isinstance(exc.args[1], dict) else {}
    error = str(data.get("error") or "")
    if error == "invalid_grant":
        return (
            "Google no longer accepts GOOGLE_REFRESH_TOKEN: it has expired or was revoked (a token made while the "
            "OAuth consent screen is in 'Testing' lasts 7 days; changing the Google account's password or removing "
            f"the app's access ends it too). Make a new one ({SETUP}, step 5) and put it in GOOGLE_REFRESH_TOKEN."
        )
    if error in ("invalid_client", "unauthorized_client"):
        return (
            "Google did not accept GOOGLE_CLIENT_ID and GOOGLE_CLIENT_SECRET with this refresh token. Copy both again "
            "from Google Cloud → APIs & Services → Credentials, and make the refresh token with that same client "
            f"({SETUP}, steps 4 and 5)."
        )
    if "scope" in str(exc.args[0] if exc.args else "").lower():
        return (
            f"GOOGLE_REFRESH_TOKEN was made without the scope {SCOPE}, so it cannot read or answer reviews. "
            f"Make it again with that scope ({SETUP}, step 5)."
        )
    if getattr(exc, "retryable", False):
        return "Google's sign-in is having trouble; will try again next poll."
    return f"Google's sign-in refused the settings ({error or 'no reason given'}). Check them against {SETUP}."


def explain(exc: Exception, location: str, api_url: str) -> SourceError:
    """A failed read in words for the owner, with when to try again."""
    now = datetime.now(UTC)
    seconds = exceeded(exc)
    if seconds is not None:
        return SourceError(took_too_long("Google", seconds))
    signing_in = _sign_in_problem(exc)
    if signing_in:
        return SourceError(signing_in)
    if isinstance(exc, GoogleError):
        if exc.unapproved:
            until = now + UNAPPROVED_WAIT
            return SourceError(
                "Google has not approved this Google Cloud project for the Business Profile API yet (its quota is "
                f"0 requests a minute). Ask for access with Google's form ({SETUP}, step 2); approval takes a few "
                f"days. Listening Post tries again at {until:%H:%M} UTC.",
                retry_at=until,
            )
        if exc.status == 429:
            until = now + _wait(exc.retry_after)
            return SourceError(f"Google's rate limit reached; trying again at {until:%H:%M} UTC.", retry_at=until)
        if exc.reason == "SERVICE_DISABLED" or "has not been used in project" in exc.message:
            return SourceError(
                "The Google My Business API is not turned on in your Google Cloud project. Turn it on (Google Cloud → "
                f"APIs & Services → Library → “Google My Business API” → Enable; {SETUP}, step 3), wait a few "
                "minutes, and reviews are read on the next poll."
            )
        if exc.reason == "ACCESS_TOKEN_SCOPE_INSUFFICIENT":
            return SourceError(
                f"GOOGLE_REFRESH_TOKEN was made without the scope {SCOPE}. Make it again with that scope ({SETUP}, step 5)."
            )
        if exc.code == "FAILED_PRECONDITION" or "verified" in exc.message.lower():
            return SourceError(
                f"Google shows reviews only for a verified Business Profile, and {location} is not verified. Finish "
                "verifying it in Google Business Profile; reviews are read on the next poll after that."
            )
        if exc.status == 403:
            return SourceError(
                f"Google says the Google account that made GOOGLE_REFRESH_TOKEN cannot manage {location} (403). Make "
                "the refresh token signed in as an owner or manager of the Business Profile, and check GOOGLE_LOCATION."
            )
        if exc.status == 404:
            return SourceError(
                f"Google has no location {location} for this account (404). Check GOOGLE_LOCATION ({SETUP}, step 6)."
            )
        if exc.status == 401:
            return SourceError(
                f"Google refused the access made from GOOGLE_REFRESH_TOKEN (401). Make a new refresh token ({SETUP}, step 5)."
            )
        if exc.status >= 500:
            return SourceError(f"Google is having trouble (HTTP {exc.status}); will try again next poll.")
        return SourceError(f"Google answered HTTP {exc.status}: {exc.message or exc.code or 'no reason given'}")
    from google.auth.exceptions import TransportError

    if isinstance(exc, TransportError):
        return SourceError("Could not reach Google's sign-in; will try again next poll.")
    if isinstance(exc, requests.RequestException) and not isinstance(exc, ValueError):  # JSON errors are both
        return SourceError(f"Could not reach Google at {api_url} ({type(exc).__name__}); will try again next poll.")
    return SourceError("Google sent a response Listening Post could not read; will try again next poll.")


def _wait(retry_after: str | None) -> timedelta:
    try:
        return timedelta(seconds=min(max(float(retry_after or ""), 1), 3600))
    except ValueError:
        return RATE_WINDOW


def explain_reply(exc: Exception) -> ReplyError:
    """Why a reply could not be posted, in words for the person who wrote it."""
    signing_in = _sign_in_problem(exc)
    if signing_in and getattr(exc, "retryable", False):
        return ReplyError("Google's sign-in is having trouble, so nothing was posted. Try again in a few minutes.")
    if signing_in:
        return ReplyError(f"Nothing was posted. {signing_in}")
    if isinstance(exc, GoogleError):
        if exc.unapproved:
            return ReplyError(
                "Google has not approved this project for the Business Profile API yet, so nothing was posted. "
                "Reply on Google directly until it has."
            )
        if exc.status == 429:
            return ReplyError(
                "Google is limiting how often replies can be posted, so nothing was posted. Try again in a minute."
            )
        if exc.status == 404:
            return ReplyError(
                "That review is gone from Google (its author deleted it, or Google removed it), so nothing was posted."
            )
        if exc.reason == "SERVICE_DISABLED":
            return ReplyError(
                "The Google My Business API is not turned on in your Google Cloud project, so nothing was posted "
                f"({SETUP}, step 3)."
            )
        if exc.status == 403:
            return ReplyError(
                "Google refused to post the reply (403), so nothing was posted: the Google account that made "
                "GOOGLE_REFRESH_TOKEN must be an owner or manager of the Business Profile."
            )
        if exc.status == 400:
            return ReplyError(
                f"Google did not accept this reply, so nothing was posted. Google said: {exc.message or 'no reason given'}"
            )
        if exc.status < 500:
            return ReplyError(f"Google did not accept this reply (HTTP {exc.status}), so nothing was posted.")
    from google.auth.exceptions import TransportError

    if isinstance(exc, TransportError):  # the sign-in failed, so the reply was never sent
        return ReplyError("Could not reach Google's sign-in, so nothing was posted. Try again in a few minutes.")
    never_sent = isinstance(exc, requests.ConnectTimeout) or (
        isinstance(exc, requests.ConnectionError) and "NewConnectionError" in repr(exc)
    )
    if never_sent:
        return ReplyError("Could not reach Google, so nothing was posted. Try again in a few minutes.")
    # A 5xx, a timeout, a dropped connection or an unreadable answer came after Google had the reply.
    return ReplyError(
        "Google did not confirm this reply, so it may or may not be on Google. Listening Post looks at the review "
        "on the next poll and records the reply if it is there; please don't send it again before then.",
        unsure=True,
    )
