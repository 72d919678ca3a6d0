"""A small recording HTTP server on 127.0.0.1 that fakes route handlers answer from."""

from __future__ import annotations

import json
import threading
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlsplit


@dataclass
class Request:
    method: str
    path: str
    query: dict[str, list[str]]
    headers: dict[str, str]
    body: bytes

    def json(self):
        return json.loads(self.body or b"{}")

    def form(self) -> dict[str, str]:
        return {k: v[0] for k, v in parse_qs(self.body.decode()).items()}

    def param(self, name: str, default: str | None = None) -> str | None:
        return self.query.get(name, [default])[0]


@dataclass
class Reply:
    status: int = 200
    body: object = None  # dict/list (sent as JSON) or str/bytes (sent as is)
    headers: dict[str, str] = field(default_factory=dict)


class FakeServer:
    """Subclasses implement `answer(request) -> Reply`; `fail_next` queues scripted replies."""

    def __init__(self):
        self.requests: list[Request] = []
        self._scripted: list[list] = []  # [path part, normal answers first, reply]
        self._lock = threading.Lock()
        fake = self

        class Handler(BaseHTTPRequestHandler):
            def _serve(self):
                parts = urlsplit(self.path)
                length = int(self.headers.get("Content-Length") or 0)
                request = Request(
                    self.command, parts.path, parse_qs(parts.query), dict(self.headers), self.rfile.read(length)
                )
                reply = fake._dispatch(request)
                body = reply.body
                if isinstance(body, (dict, list)):
                    body = json.dumps(body).encode()
                elif isinstance(body, str):
                    body = body.encode()
                self.send_response(reply.status)
                headers = {"Content-Type": "application/json; charset=utf-8", **reply.headers}
                for name, value in headers.items():
                    self.send_header(name, value)
                self.send_header("Content-Length", str(len(body or b"")))
                self.end_headers()
                self.wfile.write(body or b"")

            do_GET = do_POST = do_PUT = _serve

            def log_message(self, *args):  # keep test output clean
                pass

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.httpd.server_address[1]}"
        # A short poll interval: shutdown() waits up to one interval, and every test stops its servers.
        self._thread = threading.Thread(target=self.httpd.serve_forever, kwargs={"poll_interval": 0.02}, daemon=True)

    def start(self) -> FakeServer:
        self._thread.start()
        return self

    def stop(self) -> None:
        close_soon(self.httpd)

    def fail_next(self, path_part: str, *replies: Reply, after: int = 0) -> None:
        """The next requests whose path contains `path_part` get these replies, in order,
        once `after` such requests have been answered normally."""
        with self._lock:
            for i, reply in enumerate(replies):
                self._scripted.append([path_part, after if i == 0 else 0, reply])

    def calls(self, path_part: str) -> list[Request]:
        return [r for r in self.requests if path_part in r.path]

    def _dispatch(self, request: Request) -> Reply:
        with self._lock:
            self.requests.append(request)
            for i, (part, skip, reply) in enumerate(self._scripted):
                if part in request.path:
                    if skip:
                        self._scripted[i][1] -= 1
                        break
                    del self._scripted[i]
                    return reply
        return self.answer(request)

    def answer(self, request: Request) -> Reply:
        raise NotImplementedError


def close_soon(httpd) -> None:
    """Stop a server without waiting: serve_forever sees the request only at its next poll, and every test
    stops two or three servers. Its own thread closes the socket then; nothing connects to it any more."""

    def close() -> None:
        httpd.shutdown()
        httpd.server_close()

    threading.Thread(target=close, name="close-server", daemon=True).start()


class Trickles:
    """Trickle mode for a fake server: its answers to matching paths (status line, headers and
    body) go out one byte every `every` seconds, like a server on a failing link. Per-read
    timeouts never fire against it; only a total deadline does.
    """

    def trickle(self, path_part: str, every: float = 0.3, times: int = 1, after: int = 0) -> None:
        """The next `times` answers to paths containing `path_part` trickle, once `after` were sent normally."""
        self._trickles = getattr(self, "_trickles", [])
        self._trickles.append([path_part, every, times, after])
        self._trickle_lock = getattr(self, "_trickle_lock", threading.Lock())
        self._stopped = threading.Event() if not hasattr(self, "_stopped") else self._stopped
        handler = self.httpd.RequestHandlerClass
        if getattr(handler, "trickling", False):
            return
        fake = self

        class Trickling(handler):
            trickling = True

            def setup(self):
                super().setup()
                self.wfile = _SlowWriter(self.wfile, self, fake)

        self.httpd.RequestHandlerClass = Trickling

    def _trickle_for(self, path: str) -> float | None:
        with self._trickle_lock:
            for rule in self._trickles:
                if rule[0] in path and rule[2] > 0:
                    if rule[3] > 0:
                        rule[3] -= 1
                        return None
                    rule[2] -= 1
                    return rule[1]
        return None

    def stop(self) -> None:
        if hasattr(self, "_stopped"):
            self._stopped.set()
        super().stop()


class _SlowWriter:
    def __init__(self, wfile, handler, fake):
        self._wfile, self._handler, self._fake = wfile, handler, fake
        self._every: float | None = None
        self._decided_for = None

    def write(self, data: bytes) -> int:
        path = getattr(self._handler, "path", None)
        if path is not None and self._decided_for is not self._handler.requestline:
            self._decided_for = self._handler.requestline
            self._every = self._fake._trickle_for(path)
        if not self._every:
            return self._wfile.write(data)
        for i in range(len(data)):
            if self._fake._stopped.wait(self._every):
                break
            try:
                self._wfile.write(data[i : i + 1])
            except OSError:  # the client gave up and closed the connection
                break
        return len(data)

    def __getattr__(self, name):
        return getattr(self._wfile, name)
