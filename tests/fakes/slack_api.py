"""A fake Slack Web API (and response_url endpoint): the methods Listening Post calls, answering as Slack does."""
from __future__ import annotations

import itertools
import json

from tests.fakes.server import FakeServer, Reply, Request

BOT_TOKEN = "xoxb-test-token-0000"
APP_TOKEN = "xapp-1-A0APP-0000-test"  # the app-level token that opens Socket Mode connections
CHANNEL = "C0MENTIONS"
# Members of the test workspace, as users.info describes them.
PEOPLE = {
    "U0MARIA": {"name": "maria", "real_name": "Maria Okafor", "display_name": "Maria"},
    "U0TOM": {"name": "tom", "real_name": "Tom Reyes", "display_name": ""},
    "U0OWNER": {"name": "sam", "real_name": "Sam Bramble", "display_name": "Sam (owner)"},
}


class FakeSlack(FakeServer):
    def __init__(self):
        super().__init__()
        self.channels = {CHANNEL: {"id": CHANNEL, "name": "mentions", "is_member": True}}
        self.posted: list[dict] = []  # cards: top-level messages
        self.thread_notes: list[dict] = []
        self.updated: list[dict] = []  # chat.update calls
        self.ephemeral: list[dict] = []
        self.views_opened: list[dict] = []
        self.views_updated: list[dict] = []
        self.responses: list[dict] = []  # bodies posted to response_url
        self.home_views: list[dict] = []  # views.publish calls
        self.files: dict[str, dict] = {}  # file id -> what files.getUploadURLExternal was told, and the bytes uploaded
        self.shared: list[dict] = []  # files.completeUploadExternal calls
        self._ts = itertools.count(1)
        self.scopes = "chat:write,commands,channels:read,groups:read,users:read,files:write"  # sent as x-oauth-scopes

    @property
    def api_url(self) -> str:
        return self.url + "/api/"

    def response_url(self, name: str = "1") -> str:
        return f"{self.url}/respond/{name}"

    def card_update(self, ts: str) -> dict | None:
        """The latest chat.update of the card posted at `ts`."""
        return next((u for u in reversed(self.updated) if u["ts"] == ts), None)

    def answer(self, request: Request) -> Reply:
        if request.path.startswith("/respond/"):
            self.responses.append(request.json())
            return Reply(200, "ok")
        if request.path.startswith("/upload/"):  # files.slack.com's upload URL: raw bytes, answered in plain text
            upload = self.files.get(request.path.rsplit("/", 1)[-1])
            if upload is None:
                return Reply(404, "Not Found")
            upload["data"] = request.body
            return Reply(200, f"OK - {len(request.body)}", {"Content-Type": "text/plain; charset=utf-8"})
        if request.path.endswith("/apps.connections.open"):  # the only method taking the app-level token
            if request.headers.get("Authorization") != f"Bearer {APP_TOKEN}":
                return Reply(200, {"ok": False, "error": "invalid_auth"})
            return Reply(200, {"ok": True, "url": self.url.replace("http", "ws", 1) + "/link/?ticket=t0"})
        if request.headers.get("Authorization") != f"Bearer {BOT_TOKEN}":
            return Reply(200, {"ok": False, "error": "invalid_auth"})
        method = request.path.rsplit("/", 1)[-1]
        args = self._args(request)
        if method == "auth.test":
            return Reply(200, {"ok": True, "url": "https://bramble.slack.com/", "team": "Bramble Café", "user": "listening_post",
                               "team_id": "T0TEAM", "user_id": "U0BOT", "bot_id": "B0BOT", "is_enterprise_install": False},
                         {"x-oauth-scopes": self.scopes})
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
            (self.thread_notes if args.get("thread_ts") else self.posted).append({**args, "ts": ts})
            return Reply(200, {"ok": True, "channel": channel["id"], "ts": ts, "message": {"text": args.get("text"), "ts": ts}})
        if method == "chat.update":
            if not any(p["ts"] == args.get("ts") and p["channel"] == args.get("channel") for p in self.posted):
                return Reply(200, {"ok": False, "error": "message_not_found"})
            self.updated.append(args)
            return Reply(200, {"ok": True, "channel": args["channel"], "ts": args["ts"], "text": args.get("text")})
        if method in ("views.open", "views.update"):
            if method == "views.open" and not args.get("trigger_id"):
                return Reply(200, {"ok": False, "error": "invalid_arguments"})
            view = args.get("view")
            view = json.loads(view) if isinstance(view, str) else view
            (self.views_opened if method == "views.open" else self.views_updated).append({**args, "view": view})
            return Reply(200, {"ok": True, "view": {**view, "id": args.get("view_id") or "V0MODAL", "hash": "1700000000.abc"}})
        if method == "users.info":
            person = PEOPLE.get(args.get("user", ""))
            if person is None:
                return Reply(200, {"ok": False, "error": "user_not_found"})
            return Reply(200, {"ok": True, "user": {"id": args["user"], "name": person["name"], "real_name": person["real_name"],
                                                    "profile": {"display_name": person["display_name"], "real_name": person["real_name"]}}})
        if method == "views.publish":
            view = args.get("view")
            self.home_views.append({**args, "view": json.loads(view) if isinstance(view, str) else view})
            return Reply(200, {"ok": True, "view": {"id": "V0HOME", "type": "home"}})
        if method == "files.getUploadURLExternal":
            if not args.get("filename") or not str(args.get("length", "")).isdigit():
                return Reply(200, {"ok": False, "error": "invalid_arguments"})
            file_id = f"F0{len(self.files) + 1:08d}"
            self.files[file_id] = {"filename": args["filename"], "length": int(args["length"]), "data": None}
            return Reply(200, {"ok": True, "upload_url": f"{self.url}/upload/{file_id}", "file_id": file_id})
        if method == "files.completeUploadExternal":
            files = json.loads(args["files"]) if isinstance(args.get("files"), str) else args.get("files", [])
            channel = self.channels.get(args.get("channel_id", ""))
            if channel is None:
                return Reply(200, {"ok": False, "error": "channel_not_found"})
            if not channel["is_member"]:
                return Reply(200, {"ok": False, "error": "not_in_channel"})
            if any(self.files.get(f["id"], {}).get("data") is None for f in files):
                return Reply(200, {"ok": False, "error": "file_not_found"})
            self.shared.append({**args, "files": files})
            return Reply(200, {"ok": True, "files": [{"id": f["id"], "title": f.get("title", "")} for f in files]})
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
