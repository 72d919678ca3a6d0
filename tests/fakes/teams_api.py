"""A fake of Microsoft Entra's token endpoint for a Teams bot (client-credentials grant), with its real errors.

Error bodies are Entra's shape: `error`, `error_description` starting with the AADSTS code, and
`error_codes`. The token is JWT-shaped, as the Teams SDK parses it.
"""

from __future__ import annotations

import base64
import json
import time

from tests.fakes.server import FakeServer, Reply, Request

CLIENT_ID = "00000000-0000-0000-0000-00000000b07a"
CLIENT_SECRET = "test~teams~secret~value"
TENANT_ID = "11111111-2222-3333-4444-555555555555"
BOT_SCOPE = "https://api.botframework.com/.default"


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
        if form.get("scope") != BOT_SCOPE:
            return entra_error(400, "invalid_scope", 1002012, "The provided value for scope is not valid.")
        self.issued += 1
        now = int(time.time())
        claims = {"aud": "https://api.botframework.com", "appid": CLIENT_ID, "iat": now, "exp": now + self.expires_in}
        token = f"{_b64({'alg': 'RS256', 'typ': 'JWT'})}.{_b64(claims)}.c2lnbmF0dXJl"
        return Reply(200, {"token_type": "Bearer", "expires_in": self.expires_in, "access_token": token})
