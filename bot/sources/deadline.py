"""A total deadline for every network call: connect, headers and the whole body.

requests, urllib3 and httpx time out per read, so a server that sends one byte every few
seconds is never timed out. Here each HTTP request runs under a `Watch`: a timer that, once
the deadline passes, shuts down every socket the request used, so the blocked read returns at
once and the library raises. The adapter (requests) and transport (httpx) then raise their
library's own timeout error, marked with `deadline_seconds`, so `exceeded(exc)` can tell it
from any other failure however a client library wraps it.

Used by every source: tweepy, Mastodon.py and praw run on a requests session with
`DeadlineAdapter` mounted (`deadline_session`), RSS too, and atproto's httpx client on
`deadline_request()`.
"""

from __future__ import annotations

import json
import logging
import socket
import threading
from typing import Any

import requests
from requests.adapters import HTTPAdapter
from urllib3 import connection as u3_connection
from urllib3 import connectionpool as u3_pool

from bot.sources.common import scrub

log = logging.getLogger(__name__)

DEADLINE = 30.0  # seconds for one HTTP request, from connecting to the last byte of the answer
CONNECT_TIMEOUT = 10.0  # when a caller sets no timeout of its own

_current = threading.local()


class Watch:
    """One request's deadline: on expiry, shuts down the sockets registered while it ran."""

    def __init__(self, seconds: float):
        self.seconds = seconds
        self.expired = False
        self._sockets: list[socket.socket] = []
        self._lock = threading.Lock()
        self._timer = threading.Timer(seconds, self._fire)
        self._timer.daemon = True
        self._outer: Watch | None = None

    def __enter__(self) -> Watch:
        self._outer = getattr(_current, "watch", None)
        _current.watch = self
        self._timer.start()
        return self

    def __exit__(self, *exc_info) -> None:
        self._timer.cancel()
        _current.watch = self._outer

    def add(self, sock: socket.socket | None) -> None:
        if sock is None:
            return
        with self._lock:
            if self.expired:
                _shut(sock)
            elif all(s is not sock for s in self._sockets):
                self._sockets.append(sock)

    def _fire(self) -> None:
        with self._lock:
            self.expired = True
            sockets = list(self._sockets)
        for sock in sockets:
            _shut(sock)


def _shut(sock: socket.socket) -> None:
    # socket.socket.shutdown, not SSLSocket.shutdown: the reading thread still owns the TLS state.
    try:
        socket.socket.shutdown(sock, socket.SHUT_RDWR)
    except (OSError, ValueError, TypeError):
        pass


def watch_socket(sock: socket.socket | None) -> None:
    """Put `sock` under the deadline of the request running on this thread, if any."""
    watch = getattr(_current, "watch", None)
    if watch is not None:
        watch.add(sock)


def exceeded(exc: BaseException | None) -> float | None:
    """The deadline in seconds if `exc` (or anything it wraps) is a deadline that passed."""
    seen = 0
    while exc is not None and seen < 20:
        seconds = getattr(exc, "deadline_seconds", None)
        if seconds is not None:
            return seconds
        seen += 1
        exc = (
            getattr(exc, "original_exception", None)
            if isinstance(getattr(exc, "original_exception", None), BaseException)
            else exc.__cause__ or exc.__context__
        )
    return None


def took_too_long(what: str, seconds: float) -> str:
    return f"{what} took longer than {seconds:g} s to answer; will try again next poll."


class DeadlineExceeded(requests.Timeout):
    """A request got no complete answer within its deadline (not retried: the time is spent)."""

    def __init__(self, seconds: float, *args: Any, **kwargs: Any):
        super().__init__(f"no complete answer within {seconds:g} s", *args, **kwargs)
        self.deadline_seconds = seconds


# urllib3: connections that put their socket under the current request's deadline.
class _Watched(u3_connection.HTTPConnection):
    def connect(self) -> None:
        super().connect()
        watch_socket(self.sock)

    def request(self, *args: Any, **kwargs: Any) -> None:
        watch_socket(self.sock)
        super().request(*args, **kwargs)

    def getresponse(self, *args: Any, **kwargs: Any):
        watch_socket(self.sock)
        return super().getresponse(*args, **kwargs)


class _HTTPConnection(_Watched):
    pass


class _HTTPSConnection(_Watched, u3_connection.HTTPSConnection):
    pass


class _HTTPPool(u3_pool.HTTPConnectionPool):
    ConnectionCls = _HTTPConnection


class _HTTPSPool(u3_pool.HTTPSConnectionPool):
    ConnectionCls = _HTTPSConnection


def _watched(manager: Any) -> Any:
    if hasattr(manager, "pool_classes_by_scheme"):
        manager.pool_classes_by_scheme = {"http": _HTTPPool, "https": _HTTPSPool}
    return manager


class DeadlineAdapter(HTTPAdapter):
    """A requests transport adapter that gives each request a total deadline (`DEADLINE` unless `seconds`).

    The body is read inside `send` (under the deadline) unless the caller asked to stream it.
    """

    def __init__(self, *args: Any, seconds: float | None = None, **kwargs: Any):
        self.seconds = seconds
        super().__init__(*args, **kwargs)

    def init_poolmanager(self, *args: Any, **kwargs: Any) -> None:
        super().init_poolmanager(*args, **kwargs)
        _watched(self.poolmanager)

    def proxy_manager_for(self, *args: Any, **kwargs: Any):
        return _watched(super().proxy_manager_for(*args, **kwargs))

    def send(self, request, stream=False, timeout=None, **kwargs):
        seconds = self.seconds or DEADLINE
        if timeout is None:
            timeout = (min(CONNECT_TIMEOUT, seconds), seconds)
        watch = Watch(seconds)
        try:
            with watch:
                response = super().send(request, stream=True, timeout=timeout, **kwargs)
                if not stream:
                    response.content  # noqa: B018 — read the whole body while the deadline is armed
        except Exception as exc:
            if watch.expired:
                raise DeadlineExceeded(seconds, request=request) from exc
            raise
        if watch.expired:  # the sockets were shut as the answer ended: it may be cut short
            raise DeadlineExceeded(seconds, request=request)
        return response


def deadline_session(seconds: float | None = None, adapter: DeadlineAdapter | None = None) -> requests.Session:
    """A requests session whose every request has a total deadline."""
    session = requests.Session()
    for prefix in ("https://", "http://"):
        session.mount(prefix, adapter or DeadlineAdapter(seconds=seconds))
    return session


# httpx (atproto): the same watch, on the sockets httpcore opens.
def deadline_request(seconds: float | None = None):
    """An atproto `Request` whose httpx client has a total deadline per request and reads
    JSON that holds lone surrogates (atproto's own parser refuses a whole page for one)."""
    import httpx
    from atproto_client import request as at_request
    from pydantic_core import from_json

    class HttpxDeadlineExceeded(httpx.TimeoutException):
        def __init__(self, secs: float, request: httpx.Request):
            super().__init__(f"no complete answer within {secs:g} s", request=request)
            self.deadline_seconds = secs

    class WatchedStream:
        def __init__(self, stream):
            self._stream = stream

        def _watch(self):
            watch_socket(self._stream.get_extra_info("socket"))

        def read(self, max_bytes, timeout=None):
            self._watch()
            return self._stream.read(max_bytes, timeout)

        def write(self, buffer, timeout=None):
            self._watch()
            return self._stream.write(buffer, timeout)

        def close(self):
            return self._stream.close()

        def start_tls(self, *args, **kwargs):
            return WatchedStream(self._stream.start_tls(*args, **kwargs))

        def get_extra_info(self, info):
            return self._stream.get_extra_info(info)

    class WatchedBackend:
        def __init__(self, backend):
            self._backend = backend

        def connect_tcp(self, *args, **kwargs):
            stream = WatchedStream(self._backend.connect_tcp(*args, **kwargs))
            stream._watch()
            return stream

        def connect_unix_socket(self, *args, **kwargs):
            return WatchedStream(self._backend.connect_unix_socket(*args, **kwargs))

        def sleep(self, seconds):
            return self._backend.sleep(seconds)

    class DeadlineTransport(httpx.BaseTransport):
        def __init__(self):
            self._inner = httpx.HTTPTransport()
            pool = getattr(self._inner, "_pool", None)
            if pool is not None and hasattr(pool, "_network_backend"):
                pool._network_backend = WatchedBackend(pool._network_backend)
            else:  # pragma: no cover - a future httpx: fall back to its per-read timeouts
                log.warning("httpx changed: requests to Bluesky have no total deadline.")

        def handle_request(self, request: httpx.Request) -> httpx.Response:
            secs = seconds or DEADLINE
            watch = Watch(secs)
            try:
                with watch:
                    response = self._inner.handle_request(request)
                    try:
                        raw = b"".join(response.stream)
                    finally:
                        response.close()
            except Exception as exc:
                if watch.expired:
                    raise HttpxDeadlineExceeded(secs, request) from exc
                raise
            if watch.expired:
                raise HttpxDeadlineExceeded(secs, request)
            return httpx.Response(
                response.status_code,
                headers=response.headers,
                stream=httpx.ByteStream(raw),
                extensions=response.extensions,
            )

        def close(self) -> None:
            self._inner.close()

    class CleanRequest(at_request.Request):
        def get(self, *args, **kwargs):
            return _parse(self._send_request("GET", *args, **kwargs))

        def post(self, *args, **kwargs):
            return _parse(self._send_request("POST", *args, **kwargs))

    def _parse(response: httpx.Response):
        content: Any = response.content
        if "application/json" in (response.headers.get("content-type") or "").lower():
            try:
                content = from_json(content)
            except ValueError:
                content = scrub(json.loads(content))  # the standard parser accepts lone surrogates; drop them
        return at_request.Response(
            success=True,
            status_code=response.status_code,
            content=content,
            headers={k.lower(): v for k, v in response.headers.items()},
        )

    timeout = httpx.Timeout(seconds or DEADLINE, connect=min(CONNECT_TIMEOUT, seconds or DEADLINE))
    return CleanRequest(transport=DeadlineTransport(), timeout=timeout)
