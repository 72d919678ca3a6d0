"""Slack's HTTP mode: the server that receives Slack's signed requests at /slack/events."""
from __future__ import annotations

from socketserver import ThreadingMixIn
from wsgiref.simple_server import WSGIRequestHandler, WSGIServer, make_server

from slack_bolt import App
from slack_bolt.adapter.wsgi import SlackRequestHandler


class _ThreadingWSGIServer(ThreadingMixIn, WSGIServer):
    daemon_threads = True


class _QuietRequests(WSGIRequestHandler):
    def log_message(self, *args) -> None:  # one line per request is noise for a shop owner
        pass


EVENTS_PATH = "/slack/events"


def http_server(app: App, port: int, host: str = "0.0.0.0") -> WSGIServer:
    """Serve Slack's requests at /slack/events through Bolt's WSGI adapter.

    Bolt's own `app.start()` is a single-threaded development server; this standard-library
    one gives each request its own thread, so a slow request never holds up another's ack.
    Call `serve_forever()` on the result.
    """
    return make_server(host, port, SlackRequestHandler(app, path=EVENTS_PATH),
                       server_class=_ThreadingWSGIServer, handler_class=_QuietRequests)
