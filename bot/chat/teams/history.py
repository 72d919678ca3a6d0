"""The cards already in a Teams channel, read through Microsoft Graph, so an unconfirmed post is never sent twice."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from typing import Any
from urllib.parse import quote, urlsplit

import requests

from bot.chat.teams.token import SignInError
from bot.models import PostError

GRAPH_URL = "https://graph.microsoft.com/v1.0"
GRAPH_SCOPE = "https://graph.microsoft.com/.default"
CARD_TYPE = "application/vnd.microsoft.card.adaptive"
PAGE_SIZE = 50  # the most Graph gives per page of channel messages; $top over 50 is refused with a 400

# Why Graph: the Bot Connector can post, update and delete a channel message but not list them.
#
# Access: List channel messages takes the RSC permission ChannelMessage.Read.Group, which a team owner
# grants by installing the app (https://learn.microsoft.com/graph/api/channel-list-messages). Teams'
# protected-API page lists it, with application permissions, behind a request form
# (https://learn.microsoft.com/graph/teams-protected-apis), but Graph's refusal in that case reads
# "requires Protected API access in application-only context when not using Resource Specific Consent":
# with RSC, as here, nothing is to be requested. It is not metered: Teams' billed APIs are the
# getAllMessages exports and change notifications (https://learn.microsoft.com/graph/teams-licenses).
#
# Order: the reference does not say in which order messages come (its example is newest first, and
# Microsoft's answers differ between creation and last-modified time), it takes only $top and $expand,
# and no date filter (only /messages/delta filters, by lastModifiedDateTime). So paging cannot stop at
# `since` safely: the whole page budget is read.
#
# Ids: a channel message's Graph id is the activity id the Bot Connector answered the post with; both
# are the number Teams names a thread by (`{channel};messageid={id}`, the Teams SDK's
# to_threaded_conversation_id) and that Graph gives as a reply's replyToId and in a message's webUrl.


class ChannelHistory:
    """Our bot's cards in one team channel, found by the mention id their buttons carry."""

    def __init__(
        self,
        token: Callable[[], str],
        team_id: str,
        channel_id: str,
        bot_id: str,
        graph_url: str = GRAPH_URL,
        timeout: float = 15,
    ):
        self._token = token
        self._bot_id = bot_id
        self._timeout = timeout
        self._graph = graph_url.rstrip("/")
        channel = channel_id.split(";")[0]  # a thread's conversation id names its channel before the ";"
        self._first = f"{self._graph}/teams/{quote(team_id, safe='')}/channels/{quote(channel, safe='')}/messages"

    def cards(self, since: datetime, until: datetime | None = None, pages: int = 10) -> dict[str, str]:
        """mention id -> the card's message id, for each top-level message in the channel posted by our bot
        (from.application.id == bot_id) between since and until (now)."""
        since, until = _utc(since), _utc(until or datetime.now(UTC))
        found: dict[str, tuple[datetime, str]] = {}
        for message in self._messages(pages):
            card = self._card(message, since, until)
            if card is None:
                continue
            mention_id, created, message_id = card
            # A mention posted twice already: the first card is the one people saw first.
            if mention_id not in found or created < found[mention_id][0]:
                found[mention_id] = (created, message_id)
        return {mention_id: message_id for mention_id, (_, message_id) in found.items()}

    def _card(self, message: object, since: datetime, until: datetime) -> tuple[str, datetime, str] | None:
        if not isinstance(message, dict) or message.get("replyToId") or message.get("deletedDateTime"):
            return None
        sender = message.get("from")
        application = sender.get("application") if isinstance(sender, dict) else None
        if not isinstance(application, dict) or application.get("id") != self._bot_id:
            return None
        created = _time(message.get("createdDateTime"))
        message_id = message.get("id")
        if created is None or not since <= created <= until or not isinstance(message_id, str) or not message_id:
            return None
        attachments = message.get("attachments")
        for attachment in attachments if isinstance(attachments, list) else []:
            mention_id = _mention_id(attachment)
            if mention_id:
                return mention_id, created, message_id
        return None

    def _messages(self, pages: int) -> Iterator[object]:
        url: str | None = f"{self._first}?$top={PAGE_SIZE}"
        for _ in range(pages):
            if url is None:
                return
            body = self._get(url)
            yield from body["value"]
            link = body.get("@odata.nextLink")
            url = link if isinstance(link, str) and link else None
            if url is not None and not _same_origin(url, self._graph):
                # The token goes with the request: it is sent to Graph's own address only.
                raise PostError("Microsoft Graph sent a next-page link to another address; it was not followed.")

    def _get(self, url: str) -> dict[str, Any]:
        token, signed_out = "", ""
        try:
            token = self._token()
        except SignInError as exc:
            signed_out = str(exc)
        # Raised out here, not in the except blocks: an exception raised there keeps the failed call
        # (its request carries the token) as its __context__ for anything that walks the chain.
        if signed_out or not token:
            raise PostError(signed_out or "Microsoft's sign-in gave the bot no token; it is tried again next poll.")
        answer, unreachable = None, ""
        try:
            answer = requests.get(url, headers={"Authorization": f"Bearer {token}"}, timeout=self._timeout)
        except requests.RequestException as exc:
            unreachable = type(exc).__name__
        if answer is None:
            raise PostError(
                f"Could not reach Microsoft Graph to look for cards already in the channel ({unreachable}); "
                "it is tried again next poll."
            )
        problem = _problem(answer)
        if problem:
            raise PostError(problem)
        try:
            body = answer.json()
        except ValueError:
            body = None
        if not isinstance(body, dict) or not isinstance(body.get("value"), list):
            raise PostError(
                "Microsoft Graph answered with something other than the channel's messages; it is tried again next poll."
            )
        return body


def _problem(answer: requests.Response) -> str | None:
    """What a refusal from Graph means, in plain words; None for a success."""
    status = answer.status_code
    if 200 <= status < 300:
        return None
    if status == 403:
        return (
            "Listening Post may not read the Teams channel's messages (HTTP 403), so it cannot check whether a "
            "card it sent is already there: its Teams app lacks the permission ChannelMessage.Read.Group. Upload "
            "the app package again from `python -m bot teams-package` (it asks for that permission), and a "
            "team owner must approve it. If the app was taken out of the team, add it again."
        )
    if status == 401:
        return (
            "Microsoft Graph did not accept the bot's sign-in (HTTP 401). Check that TEAMS_TENANT_ID is the "
            "directory (tenant) of the team the bot is in; it is tried again next poll."
        )
    if status == 404:
        return (
            "Microsoft Teams no longer has the team or channel Listening Post posts to (HTTP 404): the bot may "
            "have been removed from the team. Add it to the team again."
        )
    if status in (429, 503):
        wait = _seconds(answer.headers.get("Retry-After"))
        asked = f"; Microsoft asked to wait {wait} s" if wait else ""
        return f"Teams is busy (HTTP {status}{asked}); tried again next poll."
    code = _error_code(answer)
    said = f" {code}" if code else ""
    return f"Microsoft Graph did not list the channel's messages (HTTP {status}{said}); it is tried again next poll."


def _error_code(answer: requests.Response) -> str:
    try:
        body = answer.json()
    except ValueError:
        return ""
    error = body.get("error") if isinstance(body, dict) else None
    code = error.get("code") if isinstance(error, dict) else None
    return code[:80] if isinstance(code, str) and code.isprintable() else ""


def _seconds(retry_after: str | None) -> int | None:
    try:
        return max(0, int(float(retry_after or "")))
    except ValueError:
        return None  # Graph sends seconds; a date or nothing is just not repeated


def _mention_id(attachment: object) -> str | None:
    """The mention id a card's buttons carry (`data.mention_id`), or None for anything else."""
    if not isinstance(attachment, dict) or attachment.get("contentType") != CARD_TYPE:
        return None
    content = attachment.get("content")
    if isinstance(content, str):  # Graph gives the card as its JSON text
        try:
            content = json.loads(content)
        except ValueError:
            return None
    if not isinstance(content, dict):
        return None
    for action in _actions(content):
        data = action.get("data")
        for carrier in (data, data.get("data") if isinstance(data, dict) else None):
            mention_id = carrier.get("mention_id") if isinstance(carrier, dict) else None
            if isinstance(mention_id, str) and mention_id:
                return mention_id
    return None


def _actions(card: dict[str, Any]) -> Iterator[dict[str, Any]]:
    """The card's actions, and those of any ActionSet in its body (at any depth)."""
    actions = card.get("actions")
    yield from (a for a in actions if isinstance(a, dict)) if isinstance(actions, list) else ()
    stack: list[object] = [card.get("body")]
    while stack:
        node = stack.pop()
        if isinstance(node, list):
            stack.extend(node)
        elif isinstance(node, dict):
            if node.get("type") == "ActionSet" and isinstance(node.get("actions"), list):
                yield from (a for a in node["actions"] if isinstance(a, dict))
            stack.extend(v for k, v in node.items() if k != "actions" and isinstance(v, (list, dict)))


def _time(value: object) -> datetime | None:
    if not isinstance(value, str):
        return None
    try:
        return _utc(datetime.fromisoformat(value))
    except ValueError:
        return None


def _utc(moment: datetime) -> datetime:
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)


def _same_origin(url: str, base: str) -> bool:
    try:
        a, b = urlsplit(url), urlsplit(base)
        return (a.scheme, a.hostname, a.port) == (b.scheme, b.hostname, b.port)
    except ValueError:
        return False
