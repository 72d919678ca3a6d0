"""A fake Slack Web API: the methods Listening Post calls, answering as Slack does."""
from __future__ import annotations

import itertools
import json

from tests.fakes.server import FakeServer, Reply, Request

BOT_TOKEN = "xoxb-test-token-0000"
CHANNEL = "C0MENTIONS"


class FakeSlack(FakeServer):
    def __init__(self):
        super().__init__()
        self.channels = {CHANNEL: {"id": CHANNEL, "name": "mentions", "is_member": True}}
        self.posted: list[dict] = []
        self.ephemeral: list[dict] = []
        self._ts = itertools.count(1)

    @property
    def api_url(self) -> str:
        return self.url + "/api/"

    def answer(self, request: Request) -> Reply:
        if request.headers.get("Authorization") != f"Bearer {BOT_TOKEN}":
            return Reply(200, {"ok": False, "error": "invalid_auth"})
        method = request.path.rsplit("/", 1)[-1]
        args = self._args(request)
        if method == "auth.test":
            return Reply(200, {"ok": True, "url": "https://bramble.slack.com/", "team": "Bramble Café", "user": "listening_post",
                               "team_id": "T0TEAM", "user_id": "U0BOT", "bot_id": "B0BOT", "is_enterprise_install": False})
        if method == "conversations.info":
            channel = self.channels.get(args.get("channel", ""))
            return Reply(200, {"ok": True, "channel": channel} if channel else {"ok": False, "error": "channel_not_found"})
        if method == "chat.postMessage":
            channel = self.channels.get(args.get("channel", ""))
            if channel is None:
                return Reply(200, {"ok": False, "error": "channel_not_found"})
            if not channel["is_member"]:
                return Reply(200, {"ok": False, "error": "not_in_channel"})
            ts = f"1700000000.{next(self._ts):06d}"
            self.posted.append({**args, "ts": ts})
            return Reply(200, {"ok": True, "channel": channel["id"], "ts": ts, "message": {"text": args.get("text"), "ts": ts}})
        if method == "chat.postEphemeral":
            self.ephemeral.append(args)
            return Reply(200, {"ok": True, "message_ts": "1700000000.999999"})
        return Reply(200, {"ok": False, "error": "unknown_method"})

    @staticmethod
    def _args(request: Request) -> dict:
        args = {k: v[0] for k, v in request.query.items()}
        content_type = request.headers.get("Content-Type", "")
        if "json" in content_type:
            args.update(request.json())
        elif request.body:
            args.update(request.form())
            if isinstance(args.get("blocks"), str):
                args["blocks"] = json.loads(args["blocks"])
        return args
