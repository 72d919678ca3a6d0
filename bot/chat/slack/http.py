"""Slack's HTTP mode: the server that receives Slack's signed requests at /slack/events, guarded in front of Bolt."""

from __future__ import annotations

import io
import logging
import threading
import time

from slack_bolt import App
from slack_bolt.adapter.wsgi import SlackRequestHandler
from slack_sdk.signature import SignatureVerifier

from bot.webserver import Refused, read_body, serve_on
from bot.webserver import answer as _answer

log = logging.getLogger(__name__)

EVENTS_PATH = "/slack/events"
# Slack's largest requests (a form submitted with long text and its state) are tens of kilobytes.
MAX_BODY = 256 * 1024
SIGNATURE_WINDOW = 5 * 60  # Slack's own: a request older than this is refused as stale


class SlackGate:
    """Checks each request before Bolt reads it: size first, then the signature, then that it is not a replay.

    Bolt's WSGI adapter reads and parses the whole body before it verifies the signature, and
    accepts a signed request as often as it is sent within five minutes; this gate refuses a
    huge or unsigned body without parsing it, and answers a replayed request without acting on it.
    """

    def __init__(self, inner, signing_secret: str, max_body: int = MAX_BODY):
        self.inner = inner
        self.verifier = SignatureVerifier(signing_secret)
        self.max_body = max_body
        self._seen: dict[str, float] = {}  # signature → when it may be forgotten
        self._lock = threading.Lock()

    def __call__(self, environ, start_response):
        if environ.get("PATH_INFO") != EVENTS_PATH or environ.get("REQUEST_METHOD") != "POST":
            return _answer(start_response, "404 Not Found", "Not Found")
        try:
            body = read_body(environ, self.max_body)
        except Refused as refused:
            return refused.answer(start_response)
        timestamp = environ.get("HTTP_X_SLACK_REQUEST_TIMESTAMP", "")
        signature = environ.get("HTTP_X_SLACK_SIGNATURE", "")
        if not (timestamp and signature and self._signed(body, timestamp, signature)):
            return _answer(start_response, "401 Unauthorized", "Invalid or missing Slack signature.")
        if self._replayed(signature, timestamp):
            log.info("Ignored a Slack request that was sent before (a replay); nothing changed.")
            return _answer(start_response, "200 OK", "")
        environ["wsgi.input"] = io.BytesIO(body)
        environ["CONTENT_LENGTH"] = str(len(body))
        try:
            return self.inner(environ, start_response)
        except Exception as exc:  # noqa: BLE001 — a signed but malformed request: say so, without a traceback
            log.warning("Could not read a request from Slack (%s); it was ignored.", type(exc).__name__)
            return _answer(start_response, "400 Bad Request", "Malformed request.")

    def _signed(self, body: bytes, timestamp: str, signature: str) -> bool:
        try:
            return self.verifier.is_valid(body, timestamp, signature)
        except (ValueError, TypeError, UnicodeError):  # a timestamp that is no number, a body that is no text
            return False

    def _replayed(self, signature: str, timestamp: str) -> bool:
        now = time.time()
        with self._lock:
            if signature in self._seen:
                return True
            if len(self._seen) > 10_000:
                self._seen = {s: until for s, until in self._seen.items() if until > now}
            # Kept for as long as the signature itself could pass the freshness check.
            self._seen[signature] = float(timestamp) + SIGNATURE_WINDOW + 60
        return False


def http_server(app: App, port: int, signing_secret: str, host: str = "0.0.0.0"):
    """Serve Slack's requests at /slack/events through Bolt's WSGI adapter, behind the gate.

    Bolt's own `app.start()` is a single-threaded development server; this one gives each request
    its own thread, so a slow request never holds up another's ack. Call `serve_forever()` on the
    result; a port that cannot be used is a ConfigError.
    """
    return serve_on(SlackGate(SlackRequestHandler(app, path=EVENTS_PATH), signing_secret), port, "PORT", host)
