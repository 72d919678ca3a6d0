"""The web server a chat platform's HTTP way in runs on: a thread per request, and limits a slow or flooding client cannot outlast."""

from __future__ import annotations

import errno
import logging
import socket
import sys
import threading
import time
from socketserver import ThreadingMixIn
from wsgiref.simple_server import WSGIRequestHandler, WSGIServer, make_server

from bot.config import ConfigError

log = logging.getLogger(__name__)

READ_DEADLINE = 10.0  # seconds to receive a whole request, however slowly its bytes trickle in
SOCKET_TIMEOUT = 10  # seconds of silence before a connection is dropped
CONNECTION_DEADLINE = 30.0  # seconds a connection may last, whatever it sends
MAX_CONNECTIONS = 64  # at once; a chat platform itself needs a handful


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
        log.debug("A connection to the chat endpoint ended early (%s).", type(sys.exc_info()[1]).__name__)


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


class Refused(Exception):
    """A request refused before it is read: the HTTP status and the words to answer with."""

    def __init__(self, status: str, text: str):
        super().__init__(text)
        self.status, self.text = status, text

    def answer(self, start_response):
        return answer(start_response, self.status, self.text)


def read_body(environ, max_body: int) -> bytes:
    """The request's body; Refused when it has no length, is too large or arrives too slowly."""
    try:
        length = int(environ.get("CONTENT_LENGTH") or "")
    except ValueError:
        raise Refused("411 Length Required", "A Content-Length is required.") from None
    if length < 0 or length > max_body:
        raise Refused("413 Payload Too Large", "Too large for a request from the chat.")
    body = _read(environ["wsgi.input"], length)
    if body is None:
        raise Refused("408 Request Timeout", "The request arrived too slowly.")
    return body


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


def answer(start_response, status: str, text: str, content_type: str = "text/plain; charset=utf-8"):
    body = text.encode()
    start_response(status, [("Content-Type", content_type), ("Content-Length", str(len(body)))])
    return [body]


def serve_on(app, port: int, setting: str = "PORT", host: str = "0.0.0.0") -> WSGIServer:
    """A threaded server for the WSGI `app` on `port` (call `serve_forever()`); a port that cannot be
    used is a ConfigError naming `setting`.

    The standard library's server, given a thread per request so a slow request never holds up
    another's answer (a chat platform gives each only a few seconds).
    """
    try:
        return make_server(host, port, app, server_class=_ThreadingWSGIServer, handler_class=_QuietRequests)
    except OSError as exc:
        if exc.errno == errno.EADDRINUSE:
            raise ConfigError(
                f"Port {port} is already in use (another program, another chat's way in, or Listening Post "
                f"running twice). Stop the other one, or set {setting} to a free port."
            ) from None
        raise ConfigError(
            f"Could not listen on port {port} ({exc.strerror}). Set {setting} to a free port above 1024."
        ) from None


class WebWayIn:
    """A chat platform's way in that is one of these servers (`self.server`): served until `stop`."""

    server: WSGIServer

    def serve(self) -> None:
        try:
            self.server.serve_forever()
        finally:
            self.server.server_close()

    def stop(self) -> None:
        self.server.shutdown()
