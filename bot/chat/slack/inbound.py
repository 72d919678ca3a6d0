"""Slack's way in, opened before anything is polled: Socket Mode with the app-level token, or HTTP mode on PORT."""

from __future__ import annotations

import threading

from slack_bolt import App

from bot.chat.slack.app import build_app
from bot.chat.slack.platform import SlackSettings
from bot.chat.slack.sink import SlackSink
from bot.config import ConfigError
from bot.platforms import Backend
from bot.webserver import WebWayIn


def slack_app(cfg: SlackSettings, sink: SlackSink, backend: Backend) -> App:
    """The Bolt app with `/listen` and the card actions, acting through `backend`."""
    return build_app(sink.client, cfg.signing_secret, backend.status_lines, backend.desk, sink, backend.reports)


class SocketMode:
    """A Socket Mode connection: Slack sends requests down a socket this process opened, so no public URL is needed."""

    def __init__(self, app: App, app_token: str):
        from slack_bolt.adapter.socket_mode import SocketModeHandler

        self.handler = SocketModeHandler(app, app_token)
        self._stopped = threading.Event()
        try:
            self.handler.connect()
        except Exception as exc:  # noqa: BLE001 — slack_sdk raises several types here; each means the same to the owner
            self.handler.close()  # its client's threads stop with it
            error = getattr(getattr(exc, "response", None), "get", lambda _k: None)("error") or type(exc).__name__
            raise ConfigError(
                f"Slack refused to open a Socket Mode connection ({error}). Check SLACK_APP_TOKEN: Slack app → "
                "Basic Information → App-Level Tokens, a token starting with xapp- with the "
                "connections:write scope. Or remove it to use HTTP mode."
            ) from None

    description = "Connected to Slack in Socket Mode."

    def serve(self) -> None:
        self._stopped.wait()  # the SDK's own threads take the requests

    def stop(self) -> None:
        self._stopped.set()


class HttpMode(WebWayIn):
    """A web server on PORT at /slack/events: Slack must be able to reach it at a public https address."""

    def __init__(self, app: App, port: int, signing_secret: str):
        from bot.chat.slack.http import http_server

        self.server = http_server(app, port, signing_secret)  # a port that cannot be used: ConfigError
        self.description = f"Listening for Slack on port {port} at /slack/events."


def open_inbound(cfg: SlackSettings, port: int, sink: SlackSink, backend: Backend) -> SocketMode | HttpMode:
    app = slack_app(cfg, sink, backend)
    return SocketMode(app, cfg.app_token) if cfg.app_token else HttpMode(app, port, cfg.signing_secret)
