"""Listening Post's Slack app served on 127.0.0.1 as `python -m bot run` serves it, and signed clicks and form submissions as Slack sends them."""

from __future__ import annotations

import copy
import json
import threading
import time
import urllib.error
import urllib.request
from pathlib import Path
from urllib.parse import urlencode

from bot import config, service, wiring
from bot.chat.slack.http import http_server
from bot.chat.slack.inbound import slack_app
from storage import open_db
from tests.fakes import slack_api
from tests.fakes.server import close_soon
from tests.slack_signing import signed_headers

FIXTURES = Path(__file__).parent / "fixtures"
PEOPLE = {uid: person["name"] for uid, person in slack_api.PEOPLE.items()}


class Workspace:
    """Listening Post's Slack app served on 127.0.0.1, and the team members who click in it."""

    def __init__(self, settings: config.Settings, fake_slack: slack_api.FakeSlack):
        self.settings = settings
        self.slack_settings = settings.chats["slack"]
        self.slack = fake_slack
        sink = wiring.chat_sink(settings)
        sources = wiring.sources(settings)
        self.poll = wiring.cycle_runner(settings, sink, None, sources)
        backend = wiring.backend(settings, sources, lambda: service.status_lines(settings))
        app = slack_app(self.slack_settings, sink, backend)
        # what `python -m bot run` serves in HTTP mode
        self.server = http_server(app, 0, self.slack_settings.signing_secret, host="127.0.0.1")
        self.url = f"http://127.0.0.1:{self.server.server_port}/slack/events"
        threading.Thread(target=self.server.serve_forever, kwargs={"poll_interval": 0.02}, daemon=True).start()

    def stop(self) -> None:
        close_soon(self.server)

    def send(self, payload: dict, secret: str | None = None, timestamp: int | None = None) -> tuple[int, str]:
        """A click or a form submission: Slack posts these as a form with one `payload` field."""
        return self._post(
            urlencode({"payload": json.dumps(payload)}), "application/x-www-form-urlencoded", secret, timestamp
        )

    def command(self, user_id: str, text: str, channel: str = slack_api.CHANNEL) -> tuple[int, str]:
        """`/listen <text>` typed by `user_id`, with the slash command's form fields."""
        fields = {
            "token": "legacy",
            "team_id": "T0TEAM",
            "channel_id": channel,
            "user_id": user_id,
            "user_name": PEOPLE[user_id],
            "command": "/listen",
            "text": text,
            "response_url": self.slack.response_url("cmd"),
            "trigger_id": f"{time.time()}.trigger",
        }
        return self._post(urlencode(fields), "application/x-www-form-urlencoded")

    def event(self, event: dict, secret: str | None = None) -> tuple[int, str]:
        """An Events API callback, as JSON in the envelope Slack wraps every event in."""
        body = {
            "token": "legacy",
            "team_id": "T0TEAM",
            "api_app_id": "A0APP",
            "type": "event_callback",
            "event_id": f"Ev{time.time_ns()}",
            "event_time": int(time.time()),
            "event": event,
            "authorizations": [{"team_id": "T0TEAM", "user_id": "U0BOT", "is_bot": True}],
        }
        return self._post(json.dumps(body), "application/json", secret)

    def _post(
        self, body: str, content_type: str, secret: str | None = None, timestamp: int | None = None
    ) -> tuple[int, str]:
        headers = {
            **signed_headers(secret or self.slack_settings.signing_secret, body, timestamp),
            "Content-Type": content_type,
        }
        return self._post_exact(body, headers)

    def _post_exact(self, body: str, headers: dict) -> tuple[int, str]:
        """A request with exactly these headers (a captured one sent again, say)."""
        headers = {"Content-Type": "application/x-www-form-urlencoded", **headers}
        request = urllib.request.Request(self.url, data=body.encode(), headers=headers, method="POST")
        try:
            with urllib.request.urlopen(request, timeout=10) as response:
                return response.status, response.read().decode()
        except urllib.error.HTTPError as exc:
            return exc.code, exc.read().decode()

    def _user(self, user_id: str) -> dict:
        return {"id": user_id, "username": PEOPLE[user_id], "name": PEOPLE[user_id], "team_id": "T0TEAM"}

    def click_payload(self, user_id: str, action_id: str, mention_id: str, card_ts: str) -> dict:
        payload = json.loads(FIXTURES.joinpath("slack_block_actions_button.json").read_text())
        payload["user"] = self._user(user_id)
        payload["channel"] = {"id": slack_api.CHANNEL, "name": "mentions"}
        payload["container"].update(message_ts=card_ts, channel_id=slack_api.CHANNEL)
        payload["message"]["ts"] = card_ts
        payload["response_url"] = self.slack.response_url(f"{user_id}-{action_id}")
        payload["trigger_id"] = f"{time.time()}.trigger"
        payload["actions"] = [
            {
                "action_id": action_id,
                "block_id": "mention_actions",
                "type": "button",
                "value": mention_id,
                "text": {"type": "plain_text", "text": "button"},
                "action_ts": str(time.time()),
            }
        ]
        return payload

    def click(self, user_id: str, action_id: str, mention_id: str, card_ts: str = "", **signing) -> int:
        return self.send(self.click_payload(user_id, action_id, mention_id, card_ts), **signing)[0]

    def submit(self, user_id: str, view: dict, typed: str | None = None) -> dict:
        """Submit a modal the app opened, as Slack does: the view comes back with what was typed in its state."""
        payload = json.loads(FIXTURES.joinpath("slack_view_submission.json").read_text())
        payload["user"] = self._user(user_id)
        payload["trigger_id"] = f"{time.time()}.trigger"  # Slack gives every submission its own
        submitted = copy.deepcopy(view)
        submitted.update(id="V0MODAL", hash="1700000000.abc", team_id="T0TEAM")
        values = {}
        for block in submitted["blocks"]:
            if block["type"] == "input":
                element = block["element"]
                value = typed if typed is not None else element.get("initial_value")
                values[block["block_id"]] = {element["action_id"]: {"type": element["type"], "value": value}}
        submitted["state"] = {"values": values}
        payload["view"] = submitted
        status, body = self.send(payload)
        assert status == 200, body
        return json.loads(body) if body else {}

    def events(self, mention_id: str) -> list[dict]:
        db = open_db(self.settings.database_path)
        try:
            return list(db.query("select * from events where mention_id = ? order by id", [mention_id]))
        finally:
            db.close()

    def mention(self, mention_id: str) -> dict:
        db = open_db(self.settings.database_path)
        try:
            return db["mentions"].get(mention_id)
        finally:
            db.close()
