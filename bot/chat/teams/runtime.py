"""The Teams SDK's App, run from our threads: one asyncio loop of its own, and a request handed to it whole.

The SDK is asyncio only, and its HTTP client keeps connections that belong to the loop that opened
them, so every call goes through one long-lived loop (`asyncio.run` per call breaks the second one).
Our own web server takes the request; `TeamsRuntime.handle` gives it to the SDK, which checks the
Bot Framework token (signature, issuer, audience, expiry, service URL) before any handler runs.
"""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Callable, Coroutine
from typing import TYPE_CHECKING, Any

from bot.chat.teams.retry import RetryAfter

if TYPE_CHECKING:
    from microsoft_teams.apps import App

CALL_TIMEOUT = 20.0  # seconds for one call to Teams; Teams gives a button's answer 15
# Generic names the SDK reads from the environment (and a `.env` it loads itself); one set by
# another program must never replace the settings given here.
SDK_ENVIRONMENT = ("CLIENT_ID", "CLIENT_SECRET", "TENANT_ID", "SERVICE_URL", "CLOUD", "OAUTH_URL")


class _Routes:
    """The SDK's server adapter, minus the server: it only keeps the route the SDK registers."""

    def __init__(self) -> None:
        self.routes: dict[tuple[str, str], Callable] = {}

    def register_route(self, method: str, path: str, handler: Callable) -> None:
        self.routes[(method, path)] = handler

    def serve_static(self, path: str, directory: str) -> None:
        pass

    async def start(self, port: int) -> None:
        raise RuntimeError("Listening Post serves Teams' requests with its own web server")

    async def stop(self) -> None:
        pass


class TeamsRuntime:
    """An initialized App on its own event loop thread; `call` runs a coroutine there from any thread."""

    def __init__(
        self,
        client_id: str,
        tenant_id: str,
        token: Callable[[str | list[str], str | None], str],
        service_url: str,
        keys_url: str | None = None,
        retry: RetryAfter | None = None,
    ):
        import os

        from microsoft_teams.api.auth.cloud_environment import PUBLIC, with_overrides
        from microsoft_teams.apps import App
        from microsoft_teams.common import Client, ClientOptions

        for name in SDK_ENVIRONMENT:  # the SDK's import may have loaded them from a .env
            os.environ.pop(name, None)
        # keys_url: where the signing keys of Teams' requests are read (tests give a local one).
        cloud = with_overrides(PUBLIC, openid_metadata_url=keys_url) if keys_url else PUBLIC
        self.loop = asyncio.new_event_loop()
        self._thread = threading.Thread(target=self.loop.run_forever, name="teams-loop", daemon=True)
        self._thread.start()
        client = Client(ClientOptions(timeout=CALL_TIMEOUT))
        client.use(retry or RetryAfter())  # 429s waited out; the SDK itself retries nothing
        self.app: App = App(
            client_id=client_id,
            tenant_id=tenant_id,
            token=token,
            service_url=service_url,
            cloud=cloud,
            http_server_adapter=_Routes(),
            client=client,
            dangerously_allow_unauthenticated_requests=False,
        )
        self.call(self.app.initialize())

    def call(self, work: Coroutine[Any, Any, Any], timeout: float = CALL_TIMEOUT) -> Any:
        return asyncio.run_coroutine_threadsafe(work, self.loop).result(timeout)

    def handle(self, body: dict, headers: dict[str, str]) -> tuple[int, dict | None]:
        """One request from Teams: its status and JSON body (an invoke's answer), after the SDK's checks."""
        lowered = {name.lower(): value for name, value in headers.items()}
        answer = self.call(self.app.server.handle_request({"body": body, "headers": lowered}))
        return answer["status"], answer.get("body")

    def stop(self) -> None:
        self.loop.call_soon_threadsafe(self.loop.stop)
