"""A fake of Microsoft Graph's List channel messages (`GET /v1.0/teams/{team}/channels/{channel}/messages`), as strict as Graph.

What the channel holds comes from a `FakeConnector`: each message the bot posted into a channel is a
chatMessage there, shaped as Graph gives it (the card's JSON as a string, the body an `<attachment>`
tag). A post into a thread (`{channel};messageid={id}`) is a reply, and Graph lists top-level
messages only. Tests put other people's and other bots' messages in with `add`.

Refusals are Graph's: `$top` over 50 is a 400, a missing or other-audience token a 401
(InvalidAuthenticationToken), no ChannelMessage.Read.Group grant a 403, an unknown team or channel
a 404, all with Graph's error body. Messages come newest first, `page_size` at most per page
(tests make pages short), linked by `@odata.nextLink`, a full URL with an opaque `$skiptoken`.
"""

from __future__ import annotations

import base64
import hashlib
import html
import json
import time
from collections.abc import Iterable
from urllib.parse import quote, unquote

from tests.fakes.server import FakeServer, Reply, Request
from tests.fakes.teams_api import CLIENT_ID, TENANT_ID, FakeConnector

TEAM_ID = "6f1c3a52-0d1e-4b7a-9c55-2a8e8f0b1c2d"  # the team's Microsoft 365 group (`aadGroupId` in channelData)
CHANNEL = "19:c0ffee0000000000000000000000000@thread.tacv2"
GRAPH_AUDIENCES = {"https://graph.microsoft.com", "00000003-0000-0000-c000-000000000000"}  # Graph takes either
TOP_LIMIT = 50  # the most channel messages Graph gives per page
DEFAULT_TOP = 20  # what Graph gives without $top
CARD_TYPE = "application/vnd.microsoft.card.adaptive"
BOT_NAME = "Listening Post"
# Graph's refusal when the app holds no permission that reads the channel (here: no RSC grant in the team).
NO_GRANT = (
    "Missing role permissions on the request. API requires one of 'ChannelMessage.Read.All, "
    "ChannelMessage.Read.Group, Group.Read.All, Group.ReadWrite.All'. Roles on the request ''. "
    "Resource specific consent grants on the request ''."
)


def graph_error(status: int, code: str, message: str, headers: dict[str, str] | None = None) -> Reply:
    """An error as Graph sends it."""
    inner = {
        "date": time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime()),
        "request-id": "00000000-0000-0000-0000-000000000000",
        "client-request-id": "00000000-0000-0000-0000-000000000000",
    }
    return Reply(status, {"error": {"code": code, "message": message, "innerError": inner}}, headers or {})


def chat_message(
    message_id: str,
    created: str,
    *,
    team: str = TEAM_ID,
    channel: str = CHANNEL,
    app_id: str | None = CLIENT_ID,
    user: str | None = None,
    text: str = "",
    cards: Iterable[object] = (),
    reply_to: str | None = None,
    deleted: str | None = None,
    modified: str | None = None,
) -> dict:
    """A chatMessage as Graph lists it. `cards` are each an Adaptive Card (a dict, sent as its JSON text, as
    Graph does) or anything else, sent as is (for content Graph should never send). Sent by a bot
    (`app_id`) or, with `user`, by a person."""
    attachments = [
        {
            "id": hashlib.md5(f"{message_id}/{i}".encode()).hexdigest(),
            "contentType": CARD_TYPE,
            "contentUrl": None,
            "content": json.dumps(card) if isinstance(card, dict) else card,
            "name": None,
            "thumbnailUrl": None,
            "teamsAppId": None,
        }
        for i, card in enumerate(cards)
    ]
    sender: dict = {"application": None, "device": None, "user": None}
    if user:
        sender["user"] = {
            "id": hashlib.md5(user.encode()).hexdigest(),
            "displayName": user,
            "userIdentityType": "aadUser",
        }
    elif app_id:
        sender["application"] = {
            "@odata.type": "#microsoft.graph.teamworkApplicationIdentity",
            "id": app_id,
            "displayName": BOT_NAME if app_id == CLIENT_ID else "Another bot",
            "applicationIdentityType": "bot",
        }
    tags = "".join(f'<attachment id="{a["id"]}"></attachment>' for a in attachments)
    parent = reply_to or message_id
    return {
        "id": message_id,
        "replyToId": reply_to,
        "etag": message_id,
        "messageType": "message",
        "createdDateTime": created,
        "lastModifiedDateTime": modified or deleted or created,
        "lastEditedDateTime": None,
        "deletedDateTime": deleted,
        "subject": None,
        "summary": None,
        "chatId": None,
        "importance": "normal",
        "locale": "en-us",
        "webUrl": f"https://teams.microsoft.com/l/message/{quote(channel, safe='')}/{message_id}"
        f"?groupId={team}&tenantId={TENANT_ID}&createdTime={message_id}&parentMessageId={parent}",
        "policyViolation": None,
        "eventDetail": None,
        "from": sender,
        "body": {"contentType": "html", "content": "" if deleted else html.escape(text) + tags},
        "channelIdentity": {"teamId": team, "channelId": channel},
        "attachments": [] if deleted else attachments,
        "mentions": [],
        "reactions": [],
    }


class FakeGraph(FakeServer):
    """Graph's List channel messages over what `connector` holds and what tests `add`."""

    def __init__(
        self,
        connector: FakeConnector | None = None,
        channels: dict[str, list[str]] | None = None,
        page_size: int = TOP_LIMIT,
    ):
        super().__init__()
        self.connector = connector
        self.channels = channels if channels is not None else {TEAM_ID: [CHANNEL]}  # team id → its channels
        self.page_size = page_size  # at most this many per page, whatever $top asks: Graph may give fewer
        self.grant = True  # the team's owner consented to the app's ChannelMessage.Read.Group (RSC)
        self.added: list[dict] = []
        self.graph_url = f"{self.url}/v1.0"

    def add(self, message: dict) -> dict:
        """Put a chatMessage (see `chat_message`) into its channel."""
        self.added.append(message)
        return message

    def messages(self, team: str, channel: str) -> list[dict]:
        """The channel's top-level messages, newest first."""
        found = [
            m
            for m in self.added
            if m["channelIdentity"] == {"teamId": team, "channelId": channel} and not m.get("replyToId")
        ]
        for activity in self.connector.activities if self.connector else []:
            conversation = activity["conversation_id"]
            if conversation != channel:  # another channel, or a reply in a thread (`{channel};messageid=…`)
                continue
            cards = [a.get("content") for a in activity.get("attachments") or [] if a.get("contentType") == CARD_TYPE]
            found.append(
                chat_message(
                    activity["id"],
                    activity["posted_at"],
                    team=team,
                    channel=channel,
                    text=activity.get("text") or "",
                    cards=cards,
                )
            )
        return sorted(found, key=lambda m: (m["createdDateTime"], int(m["id"])), reverse=True)

    def answer(self, request: Request) -> Reply:
        parts = [unquote(p) for p in request.path.strip("/").split("/")]
        if (
            request.method != "GET"
            or len(parts) != 6
            or parts[0] != "v1.0"
            or (parts[1], parts[3], parts[5]) != ("teams", "channels", "messages")
        ):
            return graph_error(400, "BadRequest", f"Resource not found for the segment '{parts[-1]}'.")
        team, channel = parts[2], parts[4]
        refused = _token_problem(request) or self._query_problem(request)
        if refused:
            return refused
        if team not in self.channels:
            return graph_error(404, "NotFound", f"No team found with Group Id {team}")
        if not self.grant:
            return graph_error(403, "Forbidden", NO_GRANT)
        if channel not in self.channels[team]:
            return graph_error(404, "NotFound", "Channel not found")
        offset, top = 0, int(request.param("$top") or DEFAULT_TOP)
        skiptoken = request.param("$skiptoken")
        if skiptoken:
            try:
                offset, top = json.loads(base64.urlsafe_b64decode(skiptoken.encode()))
            except (TypeError, ValueError):
                return graph_error(400, "BadRequest", "Invalid skip token.")
        listed = self.messages(team, channel)
        size = min(top, self.page_size)
        page = listed[offset : offset + size]
        body: dict = {
            "@odata.context": f"https://graph.microsoft.com/v1.0/$metadata#teams('{team}')/channels"
            f"('{quote(channel, safe='')}')/messages",
            "@odata.count": len(page),
            "value": page,
        }
        if offset + size < len(listed):
            token = base64.urlsafe_b64encode(json.dumps([offset + size, top]).encode()).decode()
            body["@odata.nextLink"] = f"{self.graph_url}/teams/{team}/channels/{channel}/messages?$skiptoken={token}"
        return Reply(200, body)

    def _query_problem(self, request: Request) -> Reply | None:
        for name in request.query:
            if name in ("$filter", "$orderby"):
                return graph_error(400, "BadRequest", "Invalid filter clause")
            if name.startswith("$") and name not in ("$top", "$skiptoken", "$expand"):
                return graph_error(400, "BadRequest", f"Query option '{name}' is not allowed.")
        top = request.param("$top")
        if top is not None and (not top.isdigit() or not 1 <= int(top) <= TOP_LIMIT):
            return graph_error(
                400, "BadRequest", f"Invalid page size specified: '{top}'. Must be between 1 and {TOP_LIMIT} inclusive."
            )
        return None


def _token_problem(request: Request) -> Reply | None:
    """Graph's 401 unless the request carries an unexpired token Entra issued our bot for Graph."""
    import jwt

    authorization = next((v for k, v in request.headers.items() if k.lower() == "authorization"), "")
    if not authorization.startswith("Bearer ") or not authorization[7:]:
        return graph_error(401, "InvalidAuthenticationToken", "Access token is empty.")
    try:
        claims = jwt.decode(authorization[7:], options={"verify_signature": False})
    except jwt.PyJWTError:
        return graph_error(401, "InvalidAuthenticationToken", "IDX14100: JWT is not well formed.")
    if claims.get("aud") not in GRAPH_AUDIENCES or claims.get("appid") != CLIENT_ID:
        return graph_error(401, "InvalidAuthenticationToken", "Access token validation failure. Invalid audience.")
    if claims.get("exp", 0) <= time.time():
        return graph_error(401, "InvalidAuthenticationToken", "Lifetime validation failed, the token is expired.")
    return None
