"""The bot's token for Teams: Microsoft Entra's client-credentials grant, kept until shortly before it expires.

Written here rather than left to the Teams SDK's MSAL path because MSAL only talks to an https
sign-in address and looks Microsoft's instance list up on the internet first; this is the same
OAuth call (one form POST), with a sign-in address that can be set, and errors in plain words.
The SDK asks for a token before every call; it gets this cached one (`App(token=BotToken(...))`).
"""

from __future__ import annotations

import math
import threading
import time

import requests

LOGIN_URL = "https://login.microsoftonline.com"
BOT_SCOPE = "https://api.botframework.com/.default"
EARLY = 300  # seconds before expiry a token is renewed, so a call never carries one about to lapse
TIMEOUT = 15

# Entra's error codes (AADSTS…) a small business meets when setting up, said in plain words.
_EXPLAINED = {
    7000215: "TEAMS_CLIENT_SECRET is not this app's secret. In Entra → App registrations → your bot → "
    "Certificates & secrets, copy the secret's Value (not its Secret ID), or make a new one.",
    7000222: "TEAMS_CLIENT_SECRET has expired. Make a new one in Entra → App registrations → your bot → "
    "Certificates & secrets, and put its Value in TEAMS_CLIENT_SECRET.",
    700016: "TEAMS_CLIENT_ID is not an app in the directory TEAMS_TENANT_ID names. Copy the Application "
    "(client) ID and the Directory (tenant) ID from the bot's Overview page in Entra → App registrations.",
    90002: "TEAMS_TENANT_ID is not a Microsoft 365 directory. Copy the Directory (tenant) ID from the bot's "
    "Overview page in Entra → App registrations.",
    900023: "TEAMS_TENANT_ID is not a directory ID. Copy the Directory (tenant) ID (a GUID) from the bot's "
    "Overview page in Entra → App registrations.",
}


class SignInError(Exception):
    """Microsoft's sign-in refused the bot, or could not be reached; the message says what to do."""


class BotToken:
    """A token provider for the Teams SDK (called as `provider(scope, tenant_id)`); thread-safe."""

    def __init__(self, client_id: str, client_secret: str, tenant_id: str, login_url: str = LOGIN_URL):
        self._form = {"grant_type": "client_credentials", "client_id": client_id, "client_secret": client_secret}
        self._tenant = tenant_id
        self._url = login_url.rstrip("/")
        self._lock = threading.Lock()
        self._cached: dict[str, tuple[str, float]] = {}  # scope → (token, renew after)

    def __call__(self, scope: str | list[str] = BOT_SCOPE, tenant_id: str | None = None) -> str:
        """A token for `scope`, always from the bot's own directory (a single-tenant app): the SDK's
        `tenant_id` is Bot Framework's shared one unless it was told ours."""
        scope = " ".join(scope) if isinstance(scope, list) else scope or BOT_SCOPE
        with self._lock:
            token, renew_after = self._cached.get(scope, ("", 0.0))
            if token and time.monotonic() < renew_after:
                return token
            token, lifetime = self._fetch(scope, self._tenant)
            self._cached[scope] = (token, time.monotonic() + max(lifetime - EARLY, lifetime / 2))
            return token

    def _fetch(self, scope: str, tenant: str) -> tuple[str, float]:
        url = f"{self._url}/{tenant}/oauth2/v2.0/token"
        answer, unreachable = None, ""
        try:
            answer = requests.post(url, data={**self._form, "scope": scope}, timeout=TIMEOUT)
        except requests.RequestException as exc:
            unreachable = type(exc).__name__
        # Raised out here, not in the except: an exception raised there keeps the request (and its
        # form, with the secret) as its __context__ for anything that walks the chain.
        if answer is None:
            raise SignInError(f"Could not reach Microsoft's sign-in ({unreachable}); it is tried again next time.")
        if answer.status_code == 429 or answer.status_code >= 500:
            raise SignInError(
                f"Microsoft's sign-in is unavailable for now (HTTP {answer.status_code}); it is tried again next time."
            )
        try:
            body = answer.json()
        except ValueError:
            body = None
        if not isinstance(body, dict):
            raise SignInError(
                "Microsoft's sign-in answered with something other than a token; it is tried again next time."
            )
        token = body.get("access_token")
        if answer.ok and isinstance(token, str) and token.count(".") == 2:
            return token, _lifetime(body.get("expires_in"))
        codes = body.get("error_codes")
        for code in codes if isinstance(codes, list) else []:
            if code in _EXPLAINED:
                raise SignInError(f"Microsoft refused the bot's sign-in: {_EXPLAINED[code]}")
        raise SignInError(
            f"Microsoft refused the bot's sign-in ({answer.status_code} {body.get('error') or 'no reason given'}). "
            "Check TEAMS_CLIENT_ID, TEAMS_CLIENT_SECRET and TEAMS_TENANT_ID against the bot's app registration."
        )


def _lifetime(expires_in: object) -> float:
    """Seconds the token lasts, as Entra says (an hour when it says nothing usable), at most a day."""
    try:
        seconds = float(expires_in)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        return 3600.0
    return min(max(seconds, 0.0), 86_400.0) if math.isfinite(seconds) else 3600.0
