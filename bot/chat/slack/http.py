"""Slack's HTTP mode: the server that receives Slack's signed requests at /slack/events, guarded in front of Bolt."""

from __future__ import annotations

import io
import logging
import socket
import sys
import threading
import time
from socketserver import ThreadingMixIn
from wsgiref.simple_server import WSGIRequestHandler, WSGIServer, make_server

from slack_bolt import App
from slack_bolt.adapter.wsgi import SlackRequestHandler
from slack_sdk.signature import SignatureVerifier

log = logging.getLogger(__name__)

EVENTS_PATH = "/slack/events"
# Slack's largest requests (a form submitted with long text and its state) are tens of kilobytes.
MAX_BODY = 256 * 1024
READ_DEADLINE = 10.0  # seconds to receive a whole request, however slowly its bytes trickle in
SOCKET_TIMEOUT = 10  # seconds of silence before a connection is dropped
CONNECTION_DEADLINE = 30.0  # seconds a connection may last, whatever it sends
SIGNATURE_WINDOW = 5 * 60  # Slack's own: a request older than this is refused as stale


MAX_CONNECTIONS = 64  # at once; Slack itself needs a handful


class _ThreadingWSGIServer(ThreadingMixIn, WSGIServer):
    daemon_threads = True

    def __init__(self, *args, **kwargs):
        self._slots = threading.BoundedSemaphore(MAX_CONNECTIONS)
        super().__init__(*args, **kwargs)

    def process_request(self, request, client_address):
        if not self._slots.acquire(blocking=False):  # a flood of connections: the newest are dropped
            self.shutdown_request(request)
            return
        super().process_request(request, client_address)

    def process_request_thread(self, request, client_address):
        try:
            super().process_request_thread(request, client_address)
        finally:
            self._slots.release()

    def handle_error(self, request, client_address) -> None:
        # A client that went quiet or hung up: one plain line, not socketserver's traceback on stderr.
        log.debug("A connection to the Slack endpoint ended early (%s).", type(sys.exc_info()[1]).__name__)


class _QuietRequests(WSGIRequestHandler):
    timeout = SOCKET_TIMEOUT

    def setup(self) -> None:
        super().setup()
        # A whole request, headers included, within CONNECTION_DEADLINE: a per-read timeout alone lets
        # a client sending one byte every few seconds hold the connection for ever.
        self._deadline = threading.Timer(CONNECTION_DEADLINE, self._cut)
        self._deadline.daemon = True
        self._deadline.start()

    def _cut(self) -> None:
        try:
            self.connection.shutdown(socket.SHUT_RDWR)
        except OSError:
            pass

    def finish(self) -> None:
        self._deadline.cancel()
        try:
            super().finish()
        except OSError:
            pass

    def log_message(self, *args) -> None:  # one line per request is noise for a shop owner
        pass


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
            length = int(environ.get("CONTENT_LENGTH") or "")
        except ValueError:
            return _answer(start_response, "411 Length Required", "A Content-Length is required.")
        if length < 0 or length > self.max_body:
            return _answer(start_response, "413 Payload Too Large", "Too large for a Slack request.")
        body = _read(environ["wsgi.input"], length)
        if body is None:
            return _answer(start_response, "408 Request Timeout", "The request arrived too slowly.")
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


def _read(stream, length: int) -> bytes | None:
    """The body, or None when it does not arrive within READ_DEADLINE (a per-read timeout alone never fires on a trickle)."""
    ends_at = time.monotonic() + READ_DEADLINE
    chunks, remaining = [], length
    while remaining > 0:
        if time.monotonic() > ends_at:
            return None
        try:
            # read1 returns what has arrived (one socket read); read(n) would wait for all n bytes.
            chunk = (stream.read1 if hasattr(stream, "read1") else stream.read)(min(remaining, 65536))
        except OSError:  # the socket's own timeout, or the connection's deadline
            return None
        if not chunk:
            break
        chunks.append(chunk)
        remaining -= len(chunk)
    return b"".join(chunks)


def _answer(start_response, status: str, text: str):
    body = text.encode()
    start_response(status, [("Content-Type", "text/plain; charset=utf-8"), ("Content-Length", str(len(body)))])
    return [body]


def http_server(app: App, port: int, signing_secret: str, host: str = "0.0.0.0") -> WSGIServer:
    """Serve Slack's requests at /slack/events through Bolt's WSGI adapter, behind the gate.

    Bolt's own `app.start()` is a single-threaded development server; this standard-library
    one gives each request its own thread, so a slow request never holds up another's ack.
    Call `serve_forever()` on the result.
    """
    gate = SlackGate(SlackRequestHandler(app, path=EVENTS_PATH), signing_secret)
    return make_server(host, port, gate, server_class=_ThreadingWSGIServer, handler_class=_QuietRequests)
