"""The Teams SDK's App, run from our threads: one asyncio loop of its own, and a request handed to it whole.

The SDK is asyncio only, and its HTTP client keeps connections that belong to the loop that opened
them, so every call goes through one long-lived loop (`asyncio.run` per call breaks the second one).
Our own web server takes the request; `TeamsRuntime.handle` gives it to the SDK, which checks the
Bot Framework token (signature, issuer, audience, expiry, service URL) before any handler runs.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import logging
import os
import threading
import warnings
from collections.abc import Callable, Coroutine, Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING, Any

from bot.chat.teams.retry import RetryAfter

if TYPE_CHECKING:
    from microsoft_teams.apps import App

log = logging.getLogger(__name__)

CALL_TIMEOUT = 20.0  # seconds for one call to Teams
WORKERS = 16  # threads for the listeners' work (the database, a network, a redraw), apart from sign-in's
ANSWER_WITHIN = 12.0  # seconds to answer a request from Teams, which gives up after 15
BOT_FRAMEWORK_ISSUER = "https://api.botframework.com"
# An invoke whose `value` the SDK cannot read is handed over with one of these instead, so it is still
# checked as Teams' and its listener answers the person in words ("not a button Listening Post knows").
UNREADABLE_VALUE: dict[str, dict[str, Any]] = {
    "adaptiveCard/action": {"action": {"type": "Action.Execute", "verb": "", "data": {}}},
    "task/fetch": {"data": {}},
    "task/submit": {"data": {}},
}
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


class Stopped(RuntimeError):
    """The runtime was stopped: nothing more is sent to Teams."""


@contextmanager
def _sdk_environment() -> Iterator[None]:
    """The process's environment as it was, around the SDK's import and set-up.

    Importing the SDK copies a `.env` it finds (here or in any parent folder) into the environment,
    and its App prefers a CLIENT_SECRET it finds there to the sign-in given to it. Neither may
    change what Listening Post reads, or which credentials Teams gets.
    """
    before = dict(os.environ)
    for name in SDK_ENVIRONMENT:
        os.environ.pop(name, None)
    try:
        with warnings.catch_warnings():
            # The SDK warns at import about a preview feature of its own that Listening Post does not use.
            warnings.filterwarnings("ignore", message="HtmlWidgetSecurityPolicy is in preview")
            yield
    finally:
        os.environ.clear()
        os.environ.update(before)


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
        self.answer_within = ANSWER_WITHIN
        with _sdk_environment():
            from microsoft_teams.api.auth.cloud_environment import PUBLIC, with_overrides
            from microsoft_teams.apps import App
            from microsoft_teams.common import Client, ClientOptions

            # keys_url: where the signing keys of Teams' requests are read (tests give a local one).
            cloud = with_overrides(PUBLIC, openid_metadata_url=keys_url) if keys_url else PUBLIC
            self.loop = asyncio.new_event_loop()
            # Two pools, so listeners waiting on a call to Teams can never hold every thread that
            # call's sign-in needs (asyncio's default pool has cores + 4 threads, all of which
            # eight people pressing at once would fill).
            self._workers = concurrent.futures.ThreadPoolExecutor(WORKERS, "teams-work")
            sign_in_pool = concurrent.futures.ThreadPoolExecutor(2, "teams-sign-in")
            self._stopped = threading.Event()
            self._thread = threading.Thread(target=self.loop.run_forever, name="teams-loop", daemon=True)
            self._thread.start()
            client = Client(ClientOptions(timeout=CALL_TIMEOUT))
            client.use(retry or RetryAfter())  # 429s waited out; the SDK itself retries nothing

            async def signed_in(scope: str | list[str], tenant: str | None) -> str:
                # The SDK asks on its loop before every call: a sign-in that waits on Microsoft
                # must not hold up every other request meanwhile.
                return await asyncio.get_running_loop().run_in_executor(sign_in_pool, token, scope, tenant)

            self.app: App = App(
                client_id=client_id,
                tenant_id=tenant_id,
                token=signed_in,
                service_url=service_url,
                cloud=cloud,
                http_server_adapter=_Routes(),
                client=client,
                dangerously_allow_unauthenticated_requests=False,
            )
            self.call(self.app.initialize())

    async def in_thread(self, work: Callable[..., Any], *args: Any) -> Any:
        """`work(*args)` on one of the listeners' threads, awaited on the loop (which stays free meanwhile)."""
        return await self.loop.run_in_executor(self._workers, work, *args)

    def call(self, work: Coroutine[Any, Any, Any], timeout: float = CALL_TIMEOUT) -> Any:
        """Run `work` on the SDK's loop; past `timeout` it is cancelled (TimeoutError), never left running."""
        if self._stopped.is_set():
            work.close()
            raise Stopped("Teams is stopped")
        future = asyncio.run_coroutine_threadsafe(work, self.loop)
        try:
            return future.result(timeout)
        except concurrent.futures.TimeoutError:
            future.cancel()
            raise TimeoutError(f"Teams did not answer within {timeout:.0f} s") from None

    def handle(self, body: object, headers: dict[str, str]) -> tuple[int, dict | None]:
        """One request from Teams: its status and JSON body (an invoke's answer), after the SDK's checks.

        What cannot be Teams' is answered before the SDK sees it: a body that is not an activity
        (400), and a token from any issuer but Bot Framework's (401), since the SDK would first
        fetch signing keys for whatever directory such a token names.
        """
        if not isinstance(body, dict):
            return 400, {"error": "An activity is a JSON object."}
        lowered = {name.lower(): value for name, value in headers.items()}
        if _issuer(lowered.get("authorization", "")) != BOT_FRAMEWORK_ISSUER:
            return 401, {"error": "Unauthorized"}
        if body.get("type") == "invoke" and str(body.get("name") or "").startswith("signin/"):
            # Listening Post asks nobody to sign in, but the SDK's own handlers for these call Bot Framework's
            # token service (an outside address; a 500 and an error logged when it cannot be reached).
            return 400, {"error": "Listening Post asks nobody to sign in; nothing changed."}
        # An activity the SDK cannot read made it answer 500 and log a traceback as its own error: the
        # person saw "something went wrong" and the log blamed Listening Post. Read it here first.
        readable = _readable(body)
        if readable is None:
            log.info("Refused a request that is not an activity Teams sends (its fields have the wrong shape).")
            return 400, {"error": "Listening Post cannot read this activity; nothing changed."}
        body = readable
        try:
            answer = self.call(self.app.server.handle_request({"body": body, "headers": lowered}), self.answer_within)
        except TimeoutError:
            return 503, {"error": "Listening Post is busy; try again."}
        except (Stopped, concurrent.futures.CancelledError):  # stopping: was a traceback and a bare 500
            return 503, {"error": "Listening Post is stopping; try again in a moment."}
        return answer["status"], answer.get("body")

    def stop(self) -> None:
        """Stop the loop: work still running on it is cancelled, and a later call fails at once (Stopped)."""
        self._stopped.set()

        async def cancel_all() -> None:
            tasks = [task for task in asyncio.all_tasks() if task is not asyncio.current_task()]
            for task in tasks:
                task.cancel()
            # Let them unwind before the loop stops: a task still unwinding (an HTTP call closing its
            # connection) never told the thread waiting on it in `call`, which then waited CALL_TIMEOUT.
            if tasks:
                await asyncio.wait(tasks, timeout=2)

        if self._thread.is_alive():
            asyncio.run_coroutine_threadsafe(cancel_all(), self.loop).result(5)
            self.loop.call_soon_threadsafe(self.loop.stop)
            self._thread.join(5)
        if not self.loop.is_running():
            self.loop.close()
        self._workers.shutdown(wait=False, cancel_futures=True)


def _readable(body: dict[str, Any]) -> dict[str, Any] | None:
    """`body` if the SDK can read it as an activity; an invoke with an unreadable `value` with a neutral one
    instead (its listener then answers the person); None for anything else."""
    from microsoft_teams.api import ActivityTypeAdapter
    from microsoft_teams.apps.events import CoreActivity
    from pydantic import ValidationError

    def reads(activity: dict[str, Any]) -> bool:
        try:  # as the SDK reads it: its core fields, then the activity its type names
            core = CoreActivity.model_validate(activity).model_dump(by_alias=True, exclude_none=True)
            ActivityTypeAdapter.validate_python(core)
        except (ValidationError, ValueError, TypeError):
            return False
        return True

    if reads(body):
        return body
    neutral = UNREADABLE_VALUE.get(str(body.get("name"))) if body.get("type") == "invoke" else None
    if neutral is not None and reads({**body, "value": neutral}):
        return {**body, "value": neutral}
    return None


def _issuer(authorization: str) -> str:
    """The issuer a bearer token claims (unverified: only to refuse what Bot Framework never sends)."""
    import jwt

    token = authorization[7:] if authorization.lower().startswith("bearer ") else ""
    try:
        return str(jwt.decode(token, options={"verify_signature": False}).get("iss", ""))
    except jwt.PyJWTError:
        return ""
