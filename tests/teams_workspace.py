"""Listening Post's Teams side served on 127.0.0.1 as `python -m bot run` serves it, and signed activities as Teams sends them."""

from __future__ import annotations

import itertools
import json
import threading
import urllib.error
import urllib.request
from dataclasses import replace

from bot import config, platforms, service, wiring
from bot.chat.slack.http import http_server
from bot.chat.slack.inbound import slack_app
from bot.chat.teams.inbound import TeamsWayIn
from tests.fakes.server import close_soon
from tests.fakes.teams_api import CLIENT_ID, CLIENT_SECRET, TENANT_ID, FakeConnector
from tests.fakes.teams_graph import CHANNEL, TEAM_ID
from tests.workspace import Workspace

BOT = {"id": f"28:{CLIENT_ID}", "name": "Listening Post"}
# People in the team: their Teams id, name and Entra object ID (what REPLY_APPROVERS lists).
PEOPLE = {
    "maria": ("29:maria", "Maria", "0f0f0f0f-0000-4000-8000-00000000a001"),
    "sam": ("29:sam", "Sam", "0f0f0f0f-0000-4000-8000-00000000a002"),
    "owner": ("29:owner", "Olive", "0f0f0f0f-0000-4000-8000-00000000a003"),
}
_ids = itertools.count(1)


def teams_env(
    env: dict[str, str], entra_url: str, connector: FakeConnector, graph_url: str, slack: bool = False
) -> dict[str, str]:
    """Settings for Teams (and Slack too, with `slack`), signing in at the fake Entra, reading keys and the channel from the fakes."""
    return {
        **{k: v for k, v in env.items() if slack or not k.startswith("SLACK_")},
        "TEAMS_CLIENT_ID": CLIENT_ID,
        "TEAMS_CLIENT_SECRET": CLIENT_SECRET,
        "TEAMS_TENANT_ID": TENANT_ID,
        "TEAMS_LOGIN_URL": entra_url,
        "TEAMS_KEYS_URL": connector.keys_url,
        "TEAMS_GRAPH_URL": graph_url,
        "TEAMS_POST_INTERVAL_SECONDS": "0",
    }


class SlackSide(Workspace):
    """The Slack side of a service that runs Slack and Teams at once: Slack's clicks, sent to its server."""

    def __init__(self, settings: config.Settings, fake_slack, url: str):  # the server is the TeamsWorkspace's
        self.settings, self.slack_settings, self.slack, self.url = settings, settings.chats["slack"], fake_slack, url


class TeamsWorkspace:
    """The Teams way in on 127.0.0.1 (and Slack's, when it is set up too), the poll that posts cards, and the
    team members who act in Teams."""

    def __init__(self, settings: config.Settings, connector: FakeConnector, fake_slack=None):
        self.settings = settings
        self.connector = connector
        self.sink = wiring.chat_sink(settings)  # every platform set up, as `python -m bot run` makes it
        own = {s.platform: s for s in platforms.chats(self.sink)}
        self.teams_sink = own["teams"]
        sources = wiring.sources(settings)
        self.poll = wiring.cycle_runner(settings, self.sink, None, sources)
        backend = wiring.backend(settings, sources, lambda: service.status_lines(settings), self.sink)
        self.way_in = TeamsWayIn(replace(settings.chats["teams"], port=0), own["teams"], backend, host="127.0.0.1")
        self.url = f"http://127.0.0.1:{self.way_in.port}/api/messages"
        # The way in's own loop, polled often: `serve` polls every 0.5 s, which each test's stop waited out.
        threading.Thread(target=self.way_in.server.serve_forever, kwargs={"poll_interval": 0.02}, daemon=True).start()
        self.slack_server = None
        if "slack" in own:
            slack = settings.chats["slack"]
            self.slack_server = http_server(
                slack_app(slack, own["slack"], backend), 0, slack.signing_secret, "127.0.0.1"
            )
            threading.Thread(
                target=self.slack_server.serve_forever, kwargs={"poll_interval": 0.02}, daemon=True
            ).start()
            url = f"http://127.0.0.1:{self.slack_server.server_port}/slack/events"
            self.slack_side = SlackSide(settings, fake_slack, url)

    def stop(self) -> None:
        self.way_in.stop()
        self.way_in.server.server_close()
        if self.slack_server is not None:
            close_soon(self.slack_server)

    # --- what Teams sends ----------------------------------------------------------------------

    def send(self, activity: dict, signed: bool = True, authorization: str | None = None) -> tuple[int, object]:
        token = authorization if authorization is not None else (f"Bearer {self.connector.sign()}" if signed else "")
        body = json.dumps(activity).encode()
        request = urllib.request.Request(
            self.url, data=body, headers={"Content-Type": "application/json", "Authorization": token}, method="POST"
        )
        try:
            with urllib.request.urlopen(request, timeout=20) as response:
                text = response.read().decode()
                return response.status, json.loads(text) if text else None
        except urllib.error.HTTPError as exc:
            text = exc.read().decode()
            try:
                return exc.code, json.loads(text) if text else None
            except ValueError:
                return exc.code, text

    def activity(self, kind: str, who: str, conversation: str = CHANNEL, **fields) -> dict:
        teams_id, name, aad = PEOPLE[who]
        personal = not conversation.startswith("19:")
        return {
            "type": kind,
            "id": f"f:{next(_ids)}",
            "timestamp": "2026-12-02T09:00:00.000Z",
            "channelId": "msteams",
            "serviceUrl": self.connector.service_url,
            "from": {"id": teams_id, "name": name, "aadObjectId": aad},
            "recipient": BOT,
            "conversation": {
                "id": conversation,
                "conversationType": "personal" if personal else "channel",
                "tenantId": TENANT_ID,
                **({} if personal else {"isGroup": True}),
            },
            "channelData": {
                "tenant": {"id": TENANT_ID},
                **({} if personal else {"team": {"id": CHANNEL, "aadGroupId": TEAM_ID}, "channel": {"id": CHANNEL}}),
            },
            **fields,
        }

    def install(self, change: str = "added") -> int:
        """Someone adds the app to the team (or removes it): Teams tells the bot with a conversationUpdate."""
        update = self.activity("conversationUpdate", "owner")
        update["membersAdded" if change == "added" else "membersRemoved"] = [{"id": BOT["id"]}]
        update["channelData"].update(
            team={"id": CHANNEL, "aadGroupId": TEAM_ID, "name": "Bramble Café"},
            eventType="teamMemberAdded" if change == "added" else "teamMemberRemoved",
        )
        return self.send(update)[0]

    def press(self, who: str, action: str, mention_id: str, card_id: str = "", **signing) -> tuple[int, object]:
        """A card's Action.Execute button, as Teams invokes the bot with it."""
        invoke = self.activity(
            "invoke",
            who,
            f"{CHANNEL};messageid={card_id}" if card_id else CHANNEL,
            name="adaptiveCard/action",
            replyToId=card_id or None,
            value={
                "action": {
                    "type": "Action.Execute",
                    "verb": action,
                    "data": {"action": action, "mention_id": mention_id},
                },
                "trigger": "manual",
            },
        )
        return self.send(invoke, **signing)

    def open_dialog(self, who: str, dialog: str, mention_id: str) -> tuple[int, object]:
        """Reply… or Edit…: Teams asks the bot for the dialog (task/fetch) with the button's data."""
        data = {"msteams": {"type": "task/fetch"}, "dialog_id": dialog, "mention_id": mention_id}
        return self.send(
            self.activity("invoke", who, name="task/fetch", value={"data": data, "context": {"theme": "default"}})
        )

    def submit_dialog(self, who: str, dialog: dict, button: str, **typed) -> tuple[int, object]:
        """A dialog's button pressed: Teams sends the button's data with every input's value (task/submit)."""
        card = dialog_card(dialog)
        [pressed] = [a for a in card["actions"] if a["title"] == button]
        inputs = {e["id"]: e.get("value") for e in card["body"] if e.get("type", "").startswith("Input.")}
        data = {**{k: v for k, v in inputs.items() if v is not None}, **typed, **pressed["data"]}
        return self.send(
            self.activity("invoke", who, name="task/submit", value={"data": data, "context": {"theme": "default"}})
        )

    def say(self, who: str, text: str, conversation: str = CHANNEL, mention_bot: bool = True) -> tuple[int, object]:
        """A message typed to the bot: in the channel with `@Listening Post` before it, or in a personal chat."""
        entities = [{"type": "mention", "text": "<at>Listening Post</at>", "mentioned": BOT}] if mention_bot else []
        said = f"<at>Listening Post</at> {text}" if mention_bot else text
        return self.send(self.activity("message", who, conversation, text=said, entities=entities, textFormat="plain"))

    # --- what the bot wrote ----------------------------------------------------------------

    def cards(self) -> list[dict]:
        """The messages the bot posted at the top of the channel (cards, reports, the welcome)."""
        return [a for a in self.connector.activities if a["conversation_id"] == CHANNEL]

    def card_of(self, card_id: str) -> dict:
        return next(a for a in self.connector.activities if a["id"] == card_id)["attachments"][0]["content"]

    def thread(self, card_id: str) -> list[dict]:
        return [a for a in self.connector.activities if a["conversation_id"] == f"{CHANNEL};messageid={card_id}"]

    events = Workspace.events  # the log, read the same way


def dialog_card(answer: object) -> dict:
    """The card inside a dialog answer (task/fetch or task/submit's `continue`)."""
    assert isinstance(answer, dict) and answer["task"]["type"] == "continue", answer
    return answer["task"]["value"]["card"]["content"]


def words(content: dict, sep: str = " ") -> str:
    """Every piece of text on a card, in order, for asserting what a person reads (`sep` between pieces)."""
    found: list[str] = []

    def walk(node: object) -> None:
        if isinstance(node, dict):
            for key in ("text", "title", "label", "value"):
                if isinstance(node.get(key), str):
                    found.append(node[key])
            for value in node.values():
                if isinstance(value, (dict, list)):
                    walk(value)
        elif isinstance(node, list):
            for item in node:
                walk(item)

    walk(content)
    return sep.join(found)
