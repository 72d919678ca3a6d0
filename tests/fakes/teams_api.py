"""A fake of Microsoft Entra's token endpoint for a Teams bot (client-credentials grant), with its real errors.

Error bodies are Entra's shape: `error`, `error_description` starting with the AADSTS code, and
`error_codes`. The token is JWT-shaped, as the Teams SDK parses it.
"""

from __future__ import annotations

import base64
import functools
import json
import time
from datetime import UTC, datetime

from tests.fakes.server import FakeServer, Reply, Request

CLIENT_ID = "00000000-0000-0000-0000-00000000b07a"
CLIENT_SECRET = "test~teams~secret~value"
TENANT_ID = "11111111-2222-3333-4444-555555555555"
BOT_SCOPE = "https://api.botframework.com/.default"
GRAPH_SCOPE = "https://graph.microsoft.com/.default"
# The scopes the bot may ask a token for, and the audience (`aud`) of each one's token.
AUDIENCES = {BOT_SCOPE: "https://api.botframework.com", GRAPH_SCOPE: "https://graph.microsoft.com"}


def _b64(data: dict) -> str:
    return base64.urlsafe_b64encode(json.dumps(data).encode()).decode().rstrip("=")


def entra_error(status: int, error: str, code: int, description: str) -> Reply:
    """An error as Entra sends it."""
    return Reply(
        status,
        {
            "error": error,
            "error_description": f"AADSTS{code}: {description} Trace ID: 0 Correlation ID: 0 Timestamp: 2026-12-02",
            "error_codes": [code],
            "timestamp": "2026-12-02 10:00:00Z",
            "trace_id": "00000000-0000-0000-0000-000000000000",
            "correlation_id": "00000000-0000-0000-0000-000000000000",
        },
    )


class FakeEntra(FakeServer):
    def __init__(self, expires_in: int = 3599):
        super().__init__()
        self.expires_in = expires_in
        self.issued = 0

    def answer(self, request: Request) -> Reply:
        parts = request.path.strip("/").split("/")
        if request.method != "POST" or parts[1:] != ["oauth2", "v2.0", "token"]:
            return Reply(404, {"error": "not_found"})
        form = request.form()
        if parts[0] != TENANT_ID:
            return entra_error(400, "invalid_request", 90002, f"Tenant '{parts[0]}' not found.")
        if form.get("grant_type") != "client_credentials":
            return entra_error(400, "unsupported_grant_type", 70003, "The app requested an unsupported grant type.")
        if form.get("client_id") != CLIENT_ID:
            return entra_error(
                400,
                "unauthorized_client",
                700016,
                f"Application with identifier '{form.get('client_id')}' was not found.",
            )
        if form.get("client_secret") != CLIENT_SECRET:
            return entra_error(401, "invalid_client", 7000215, "Invalid client secret provided.")
        if form.get("scope") not in AUDIENCES:
            return entra_error(400, "invalid_scope", 1002012, "The provided value for scope is not valid.")
        self.issued += 1
        now = int(time.time())
        claims = {"aud": AUDIENCES[form["scope"]], "appid": CLIENT_ID, "iat": now, "exp": now + self.expires_in}
        token = f"{_b64({'alg': 'RS256', 'typ': 'JWT'})}.{_b64(claims)}.c2lnbmF0dXJl"
        return Reply(200, {"token_type": "Bearer", "expires_in": self.expires_in, "access_token": token})


# Teams' side: the Bot Connector a bot posts to, and the keys Teams signs its requests with. The keys
# are made here, once per test process: nothing is fetched from Microsoft.
MESSAGE_LIMIT = 28_000  # bytes Teams takes in one message activity
CARD_TYPE = "application/vnd.microsoft.card.adaptive"


@functools.cache
def signing_key():
    """Teams' signing key in these tests: made once per test process (a 2048-bit key takes a while)."""
    from cryptography.hazmat.primitives.asymmetric import rsa

    return rsa.generate_private_key(public_exponent=65537, key_size=2048)


class FakeConnector(FakeServer):
    """The Bot Connector (`{serviceUrl}/v3/conversations/...`) and Bot Framework's signing keys."""

    def __init__(self):
        super().__init__()
        self.key = signing_key()
        self.kid = "fake-teams-key"
        self.service_url = f"{self.url}/"
        self.keys_url = f"{self.url}/v1/.well-known/openidconfiguration"  # the SDK reads .../keys
        self.activities: list[dict] = []  # what Teams accepted, in order
        self.lose_answers = 0  # new messages Teams posts but answers with a 500 (the bot cannot know they went out)
        self._next = 1_700_000_000_000

    def answer(self, request: Request) -> Reply:
        if request.method == "GET" and request.path == "/v1/.well-known/keys":
            return Reply(200, {"keys": [self._jwk()]})
        parts = request.path.strip("/").split("/")
        if parts[:2] != ["v3", "conversations"] or len(parts) < 4 or parts[3] != "activities":
            return Reply(404, {"error": {"code": "NotFound", "message": request.path}})
        authorization = next((v for k, v in request.headers.items() if k.lower() == "authorization"), "")
        if not _bot_token(authorization):
            return Reply(401, {"message": "Authorization has been denied for this request."})
        if len(request.body) > MESSAGE_LIMIT:
            return Reply(413, {"error": {"code": "MessageSizeTooBig", "message": "Message size too big"}})
        activity = request.json()
        problem = _activity_problem(activity)
        if problem:
            return Reply(400, {"error": {"code": "BadArgument", "message": problem}})
        if request.method == "PUT" and len(parts) == 5:
            at = next((i for i, a in enumerate(self.activities) if a["id"] == parts[4]), None)
            if at is None:
                return Reply(404, {"error": {"code": "ActivityNotFoundInConversation", "message": "Unknown activity"}})
            self.activities[at] = {
                **activity,
                "id": parts[4],
                "conversation_id": parts[2],
                "updated": True,
                "posted_at": self.activities[at]["posted_at"],
            }
            return Reply(200, {"id": parts[4]})
        self._next += 1
        self.activities.append(
            {
                **activity,
                "id": str(self._next),
                "conversation_id": parts[2],
                "posted_at": datetime.now(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z"),
            }
        )
        if self.lose_answers:
            self.lose_answers -= 1
            return Reply(500, {"error": {"code": "ServiceError", "message": "Unknown error"}})
        return Reply(201, {"id": str(self._next)})

    def sign(self, key=None, **claims) -> str:
        """A token as Teams sends it with a request to the bot (`Authorization: Bearer …`)."""
        import time

        import jwt

        now = int(time.time())
        payload = {
            "iss": "https://api.botframework.com",
            "aud": CLIENT_ID,
            "iat": now,
            "nbf": now,
            "exp": now + 600,
            "serviceurl": self.service_url,
            **claims,
        }
        return jwt.encode(payload, key or self.key, algorithm="RS256", headers={"kid": self.kid})

    def _jwk(self) -> dict:
        from jwt.algorithms import RSAAlgorithm

        return {**json.loads(RSAAlgorithm.to_jwk(self.key.public_key())), "kid": self.kid, "use": "sig", "alg": "RS256"}


def _bot_token(authorization: str) -> bool:
    """A bearer token Entra issued to our bot for Bot Framework, not expired (its signature is Entra's to check)."""
    import time

    import jwt

    if not authorization.startswith("Bearer "):
        return False
    try:
        claims = jwt.decode(authorization[7:], options={"verify_signature": False})
    except jwt.PyJWTError:
        return False
    return (
        claims.get("appid") == CLIENT_ID
        and claims.get("aud") == "https://api.botframework.com"
        and claims.get("exp", 0) > time.time()
    )


CARD_VERSIONS = {"1.0", "1.1", "1.2", "1.3", "1.4", "1.5"}  # what Teams draws for a bot's message
CARD_ACTIONS = {"Action.Execute", "Action.Submit", "Action.OpenUrl", "Action.ShowCard", "Action.ToggleVisibility"}


def _activity_problem(activity: object) -> str | None:
    """What Teams would refuse in an activity a bot sends."""
    if not isinstance(activity, dict) or activity.get("type") != "message":
        return "Activity type must be message"
    for attachment in activity.get("attachments") or []:
        if attachment.get("contentType") == CARD_TYPE:
            content = attachment.get("content")
            if not isinstance(content, dict) or content.get("type") != "AdaptiveCard":
                return "Invalid Adaptive Card"
            if content.get("version") not in CARD_VERSIONS or not isinstance(content.get("body", []), list):
                return "Invalid Adaptive Card: version or body"
            actions = content.get("actions") or []
            if not isinstance(actions, list) or any(a.get("type") not in CARD_ACTIONS for a in actions):
                return "Invalid Adaptive Card: unknown action"
    if not activity.get("text") and not activity.get("attachments"):
        return "Activity has no text and no attachments"
    return None


def message_input(**fields):
    """A message for the bot to send, as the SDK builds it (imported when used: only Teams' tests load the SDK)."""
    from microsoft_teams.api import MessageActivityInput

    return MessageActivityInput(**fields)
