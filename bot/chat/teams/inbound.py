"""Teams' way in: a web server on TEAMS_PORT at /api/messages, where Teams sends what people do (Teams has no socket mode).

The body is read under the web server's limits, then handed whole to the SDK, which checks Bot
Framework's signed token before any listener runs.
"""

from __future__ import annotations

import json
import logging

from bot.chat.teams.listeners import register
from bot.chat.teams.platform import TeamsSettings
from bot.chat.teams.sink import TeamsSink
from bot.platforms import Backend
from bot.webserver import Refused, WebWayIn, answer, read_body, serve_on

log = logging.getLogger(__name__)

MESSAGES_PATH = "/api/messages"
FINISH_WITHIN = 3.0  # seconds stop() waits for redraws still going (the service stops within 8)
MAX_BODY = 1024 * 1024  # an activity with a card and a dialog's inputs is tens of kilobytes


class TeamsGate:
    """The WSGI app in front of the SDK: the path, the size and a JSON body, then the SDK's own checks."""

    def __init__(self, handle, max_body: int = MAX_BODY):
        self.handle = handle  # TeamsRuntime.handle
        self.max_body = max_body

    def __call__(self, environ, start_response):
        if environ.get("PATH_INFO") != MESSAGES_PATH:
            return answer(start_response, "404 Not Found", "Not Found")
        if environ.get("REQUEST_METHOD") != "POST":
            return answer(start_response, "405 Method Not Allowed", "Teams posts its requests here.")
        try:
            body = json.loads(read_body(environ, self.max_body) or b"null", parse_constant=_no_constant)
        except Refused as refused:
            return refused.answer(start_response)
        # RecursionError: JSON nested thousands deep, which anyone could send before any token is checked
        # (it was a 500 and a traceback on stderr for each one). NaN and Infinity are not JSON Teams sends.
        except (ValueError, RecursionError):
            return answer(start_response, "400 Bad Request", "A request from Teams is JSON.")
        headers = {"Authorization": environ.get("HTTP_AUTHORIZATION", "")}
        status, reply = self.handle(body, headers)
        if status >= 500:
            log.warning("Answered a request from Teams with %d.", status)
        text = json.dumps(reply) if reply is not None else ""
        return answer(
            start_response, f"{status} {'OK' if status < 400 else 'Error'}", text, "application/json; charset=utf-8"
        )


def _no_constant(name: str) -> None:
    raise ValueError(f"{name} is not JSON")


class TeamsWayIn(WebWayIn):
    """The web server Teams posts to; `stop` also stops the SDK's loop, so nothing more is sent."""

    def __init__(self, cfg: TeamsSettings, sink: TeamsSink, backend: Backend, host: str = "0.0.0.0"):
        self.runtime = sink.runtime
        self.listeners = register(self.runtime, sink, backend)
        self.server = serve_on(TeamsGate(self.runtime.handle), cfg.port, "TEAMS_PORT", host)
        self.port = self.server.server_port
        self.description = (
            f"Listening for Microsoft Teams on port {self.port} at {MESSAGES_PATH} "
            "(Teams must reach it at a public https address)."
        )

    def stop(self) -> None:
        super().stop()
        self.listeners.finish(FINISH_WITHIN)  # a card being redrawn is finished, not cut off
        self.runtime.stop()


def open_inbound(cfg: TeamsSettings, sink: TeamsSink, backend: Backend) -> TeamsWayIn:
    return TeamsWayIn(cfg, sink, backend)
