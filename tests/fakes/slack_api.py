"""A fake Slack Web API (and response_url endpoint): the methods Listening Post calls, answering as Slack does."""

from __future__ import annotations

import base64
import itertools
import json
import threading
import time

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

# Slack's documented limits (Block Kit reference; chat.postMessage; views.open).
LIMITS = {
    "message_text": 40000,
    "message_blocks": 50,
    "view_blocks": 100,
    "text": 3000,
    "field": 2000,
    "fields": 10,
    "header": 150,
    "context_elements": 10,
    "actions_elements": 25,
    "button_text": 75,
    "button_value": 2000,
    "url": 3000,
    "id": 255,
    "option_text": 75,
    "option_value": 150,
    "options": 100,
    "placeholder": 150,
    "label": 2000,
    "hint": 2000,
    "input_max_length": 3000,
    "title": 24,
    "private_metadata": 3000,
}


def _too_long(where: str, limit: int) -> str:
    return f"[ERROR] must be less than {limit + 1} characters [json-pointer:{where}]"


def _text_object(obj, where: str, limit: int, problems: list[str], kinds=("plain_text", "mrkdwn")) -> None:
    if not isinstance(obj, dict) or obj.get("type") not in kinds or not isinstance(obj.get("text"), str):
        problems.append(f"[ERROR] must provide an object of type {' or '.join(kinds)} [json-pointer:{where}]")
        return
    if not obj["text"]:
        problems.append(f"[ERROR] must be more than 0 characters [json-pointer:{where}/text]")
    elif len(obj["text"]) > limit:
        problems.append(_too_long(f"{where}/text", limit))


def _short(value, where: str, limit: int, problems: list[str]) -> None:
    if value is not None and (not isinstance(value, str) or len(value) > limit):
        problems.append(_too_long(where, limit))


def _element(element: dict, where: str, problems: list[str]) -> None:
    kind = element.get("type")
    _short(element.get("action_id"), f"{where}/action_id", LIMITS["id"], problems)
    if kind == "button":
        _text_object(element.get("text"), f"{where}/text", LIMITS["button_text"], problems, ("plain_text",))
        _short(element.get("value"), f"{where}/value", LIMITS["button_value"], problems)
        _short(element.get("url"), f"{where}/url", LIMITS["url"], problems)
        if element.get("style") not in (None, "primary", "danger"):
            problems.append(f"[ERROR] must be one of primary, danger [json-pointer:{where}/style]")
    elif kind == "static_select":
        options = element.get("options") or []
        if not 1 <= len(options) <= LIMITS["options"]:
            problems.append(f"[ERROR] must have between 1 and {LIMITS['options']} items [json-pointer:{where}/options]")
        for i, option in enumerate(options):
            _text_object(
                option.get("text"), f"{where}/options/{i}/text", LIMITS["option_text"], problems, ("plain_text",)
            )
            _short(option.get("value"), f"{where}/options/{i}/value", LIMITS["option_value"], problems)
        if "placeholder" in element:
            _text_object(
                element["placeholder"], f"{where}/placeholder", LIMITS["placeholder"], problems, ("plain_text",)
            )
    elif kind == "plain_text_input":
        max_length = element.get("max_length")
        if max_length is not None and not (
            isinstance(max_length, int) and 1 <= max_length <= LIMITS["input_max_length"]
        ):
            problems.append(
                f"[ERROR] must be between 1 and {LIMITS['input_max_length']} [json-pointer:{where}/max_length]"
            )
        initial = element.get("initial_value")
        if initial is not None:
            cap = min(
                max_length if isinstance(max_length, int) else LIMITS["input_max_length"], LIMITS["input_max_length"]
            )
            _short(initial, f"{where}/initial_value", cap, problems)
        if "placeholder" in element:
            _text_object(
                element["placeholder"], f"{where}/placeholder", LIMITS["placeholder"], problems, ("plain_text",)
            )
    else:
        problems.append(f"[ERROR] unsupported element type {kind!r} [json-pointer:{where}/type]")


def block_problems(
    blocks, where: str = "/blocks", most: int = LIMITS["message_blocks"], inputs: bool = False
) -> list[str]:
    """What Slack would refuse in `blocks`, as Slack words it (`response_metadata.messages`)."""
    if not isinstance(blocks, list):
        return [f"[ERROR] must provide an array [json-pointer:{where}]"]
    problems: list[str] = []
    if len(blocks) > most:
        problems.append(f"[ERROR] no more than {most} items allowed [json-pointer:{where}]")
    for n, block in enumerate(blocks):
        at = f"{where}/{n}"
        kind = block.get("type") if isinstance(block, dict) else None
        if kind is None:
            problems.append(f"[ERROR] must provide an object [json-pointer:{at}]")
            continue
        _short(block.get("block_id"), f"{at}/block_id", LIMITS["id"], problems)
        if kind == "section":
            if "text" not in block and "fields" not in block:
                problems.append(f"[ERROR] must provide text or fields [json-pointer:{at}]")
            if "text" in block:
                _text_object(block["text"], f"{at}/text", LIMITS["text"], problems)
            fields = block.get("fields") or []
            if len(fields) > LIMITS["fields"]:
                problems.append(f"[ERROR] no more than {LIMITS['fields']} items allowed [json-pointer:{at}/fields]")
            for i, field in enumerate(fields):
                _text_object(field, f"{at}/fields/{i}", LIMITS["field"], problems)
        elif kind == "header":
            _text_object(block.get("text"), f"{at}/text", LIMITS["header"], problems, ("plain_text",))
        elif kind == "context":
            elements = block.get("elements") or []
            if not 1 <= len(elements) <= LIMITS["context_elements"]:
                problems.append(
                    f"[ERROR] must have between 1 and {LIMITS['context_elements']} items [json-pointer:{at}/elements]"
                )
            for i, element in enumerate(elements):
                _text_object(element, f"{at}/elements/{i}", LIMITS["text"], problems)
        elif kind == "actions":
            elements = block.get("elements") or []
            if not 1 <= len(elements) <= LIMITS["actions_elements"]:
                problems.append(
                    f"[ERROR] must have between 1 and {LIMITS['actions_elements']} items [json-pointer:{at}/elements]"
                )
            for i, element in enumerate(elements):
                _element(element, f"{at}/elements/{i}", problems)
        elif kind == "input" and inputs:
            _text_object(block.get("label"), f"{at}/label", LIMITS["label"], problems, ("plain_text",))
            if "hint" in block:
                _text_object(block["hint"], f"{at}/hint", LIMITS["hint"], problems, ("plain_text",))
            _element(block.get("element") or {}, f"{at}/element", problems)
        elif kind != "divider":
            problems.append(f"[ERROR] unsupported block type {kind!r} [json-pointer:{at}/type]")
    return problems


def message_problems(args: dict) -> tuple[str, list[str]] | None:
    """Slack's answer to a message (chat.postMessage, chat.update, chat.postEphemeral) it would refuse: (error, messages)."""
    text = args.get("text")
    if isinstance(text, str) and len(text) > LIMITS["message_text"]:
        return "msg_too_long", []
    blocks = args.get("blocks")
    if blocks is None:
        return None if text else ("no_text", [])
    problems = block_problems(blocks)
    return ("invalid_blocks", problems) if problems else None


def view_problems(view) -> list[str]:
    """What Slack would refuse in a view (views.open, views.update, views.publish), as `response_metadata.messages`."""
    if not isinstance(view, dict) or view.get("type") not in ("modal", "home"):
        return ["[ERROR] must provide a view of type modal or home [json-pointer:/view/type]"]
    problems: list[str] = []
    if view["type"] == "modal":
        _text_object(view.get("title"), "/view/title", LIMITS["title"], problems, ("plain_text",))
        for button in ("close", "submit"):
            if button in view:
                _text_object(view[button], f"/view/{button}", LIMITS["title"], problems, ("plain_text",))
        if (
            any(b.get("type") == "input" for b in view.get("blocks") or [] if isinstance(b, dict))
            and "submit" not in view
        ):
            problems.append("[ERROR] a view with inputs must have a submit button [json-pointer:/view/submit]")
    _short(view.get("private_metadata"), "/view/private_metadata", LIMITS["private_metadata"], problems)
    _short(view.get("callback_id"), "/view/callback_id", LIMITS["id"], problems)
    blocks = view.get("blocks")
    if not blocks:
        problems.append("[ERROR] must have at least 1 item [json-pointer:/view/blocks]")
    problems += block_problems(blocks or [], "/view/blocks", LIMITS["view_blocks"], inputs=True)
    return problems


def _refused(error: str, messages: list[str]) -> Reply:
    body: dict = {"ok": False, "error": error}
    if messages:
        body["response_metadata"] = {"messages": messages}
    return Reply(200, body)


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
        self.scopes = "chat:write,commands,channels:read,groups:read,users:read,files:write,channels:history,groups:history"  # sent as x-oauth-scopes
        self.refused: list[dict] = []  # messages and views refused for breaking Slack's limits, with Slack's answer
        self._after_accept: list = []  # what chat.postMessage answers after storing a card (see accept_then)
        self._accept_lock = threading.Lock()

    def accept_then(self, *answers) -> None:
        """The next card posts are stored, then answered with these: a Reply (say a 500), or a number of seconds
        to wait before the normal answer (past the client's timeout)."""
        with self._accept_lock:
            self._after_accept.extend(answers)

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
            return Reply(
                200,
                {
                    "ok": True,
                    "url": "https://bramble.slack.com/",
                    "team": "Bramble Café",
                    "user": "listening_post",
                    "team_id": "T0TEAM",
                    "user_id": "U0BOT",
                    "bot_id": "B0BOT",
                    "is_enterprise_install": False,
                },
                {"x-oauth-scopes": self.scopes},
            )
        if method == "conversations.info":
            channel = self.channels.get(args.get("channel", ""))
            return Reply(
                200, {"ok": True, "channel": channel} if channel else {"ok": False, "error": "channel_not_found"}
            )
        if method in ("chat.postMessage", "chat.update", "chat.postEphemeral"):
            problem = message_problems(args)
            if problem:
                self.refused.append({"method": method, **args, "error": problem[0], "messages": problem[1]})
                return _refused(*problem)
        if method == "chat.postMessage":
            channel = self.channels.get(args.get("channel", ""))
            if channel is None:
                return Reply(200, {"ok": False, "error": "channel_not_found"})
            if not channel["is_member"]:
                return Reply(200, {"ok": False, "error": "not_in_channel"})
            # Real-looking timestamps (now), so conversations.history's `oldest` works on them.
            ts = f"{int(time.time())}.{next(self._ts):06d}"
            (self.thread_notes if args.get("thread_ts") else self.posted).append({**args, "ts": ts})
            ok = Reply(
                200, {"ok": True, "channel": channel["id"], "ts": ts, "message": {"text": args.get("text"), "ts": ts}}
            )
            if not args.get("thread_ts"):
                with self._accept_lock:
                    then = self._after_accept.pop(0) if self._after_accept else None
                if isinstance(then, Reply):
                    return then
                if then is not None:
                    time.sleep(then)
            return ok
        if method == "chat.update":
            if not any(p["ts"] == args.get("ts") and p["channel"] == args.get("channel") for p in self.posted):
                return Reply(200, {"ok": False, "error": "message_not_found"})
            self.updated.append(args)
            return Reply(200, {"ok": True, "channel": args["channel"], "ts": args["ts"], "text": args.get("text")})
        if method == "conversations.history":
            return self._history(args)
        if method in ("views.open", "views.update", "views.publish"):
            view = args.get("view")
            view = json.loads(view) if isinstance(view, str) else view
            problems = view_problems(view)
            if problems:
                self.refused.append(
                    {"method": method, **args, "view": view, "error": "invalid_arguments", "messages": problems}
                )
                return _refused("invalid_arguments", problems)
        if method in ("views.open", "views.update"):
            if method == "views.open" and not args.get("trigger_id"):
                return Reply(200, {"ok": False, "error": "invalid_arguments"})
            (self.views_opened if method == "views.open" else self.views_updated).append({**args, "view": view})
            return Reply(
                200, {"ok": True, "view": {**view, "id": args.get("view_id") or "V0MODAL", "hash": "1700000000.abc"}}
            )
        if method == "users.info":
            person = PEOPLE.get(args.get("user", ""))
            if person is None:
                return Reply(200, {"ok": False, "error": "user_not_found"})
            return Reply(
                200,
                {
                    "ok": True,
                    "user": {
                        "id": args["user"],
                        "name": person["name"],
                        "real_name": person["real_name"],
                        "profile": {"display_name": person["display_name"], "real_name": person["real_name"]},
                    },
                },
            )
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

    def _history(self, args: dict) -> Reply:
        """conversations.history: top-level messages, newest first, metadata only when asked for."""
        channel = self.channels.get(args.get("channel", ""))
        if channel is None:
            return Reply(200, {"ok": False, "error": "channel_not_found"})
        if "channels:history" not in self.scopes.split(","):
            return Reply(
                200, {"ok": False, "error": "missing_scope", "needed": "channels:history", "provided": self.scopes}
            )
        oldest, latest = float(args.get("oldest") or 0), float(args.get("latest") or "inf")
        metadata = str(args.get("include_all_metadata", "")).lower() in ("true", "1")
        found = [m for m in self.posted if m["channel"] == channel["id"] and oldest < float(m["ts"]) <= latest]
        found.sort(key=lambda m: float(m["ts"]), reverse=True)
        start = int(base64.b64decode(args["cursor"]).decode().split(":")[1]) if args.get("cursor") else 0
        limit = min(int(args.get("limit") or 100), 999)
        page = found[start : start + limit]
        messages = []
        for m in page:
            message = {
                "type": "message",
                "user": "U0BOT",
                "bot_id": "B0BOT",
                "ts": m["ts"],
                "text": m.get("text", ""),
                "blocks": m.get("blocks") or [],
            }
            meta = m.get("metadata")
            if metadata and meta:
                message["metadata"] = json.loads(meta) if isinstance(meta, str) else meta
            messages.append(message)
        more = start + limit < len(found)
        cursor = base64.b64encode(f"next_ts:{start + limit}".encode()).decode() if more else ""
        return Reply(
            200,
            {
                "ok": True,
                "messages": messages,
                "has_more": more,
                "pin_count": 0,
                "channel_actions_ts": None,
                "channel_actions_count": 0,
                "response_metadata": {"next_cursor": cursor},
            },
        )

    @staticmethod
    def _args(request: Request) -> dict:
        args = {k: v[0] for k, v in request.query.items()}
        content_type = request.headers.get("Content-Type", "")
        if "json" in content_type:
            args.update(request.json())
        elif request.body:
            args.update(request.form())
            for name in ("blocks", "metadata"):
                if isinstance(args.get(name), str):
                    args[name] = json.loads(args[name])
        return args
