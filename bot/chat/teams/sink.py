"""The card sink for Teams: cards posted to the team channel and redrawn, notes in their threads, reports in the channel.

Teams has no channel setting: cards go to the channel the bot learned when it was added to a team
(`storage.places`). A card Teams may have taken without confirming it is looked for in the channel
(through Microsoft Graph) before it is sent again.
"""

from __future__ import annotations

import concurrent.futures
import json
import logging
import threading
import time
from collections.abc import Callable, Coroutine, Iterator
from datetime import datetime
from typing import TYPE_CHECKING, Any
from urllib.parse import quote, urlencode

import httpx

from bot.chat.teams import cards
from bot.chat.teams.reports import CardLinks, report_card
from bot.chat.teams.runtime import Stopped
from bot.chat.teams.token import SignInError
from bot.models import CardRefused, ChatRef, Handling, Mention, PostError, PostUnconfirmed, Triage, attempt_window
from bot.report import Report, report
from bot.text import one_line
from storage import places, responses
from storage.records import ChatPlace

if TYPE_CHECKING:
    import sqlite_utils

    from bot.chat.teams.history import ChannelHistory
    from bot.chat.teams.platform import TeamsSettings
    from bot.chat.teams.runtime import TeamsRuntime

log = logging.getLogger(__name__)

KEY = "teams"
SERVICE_URL = "https://smba.trafficmanager.net/teams/"  # Teams' own; each channel's comes with it when learned
FIND_PAGES = 3
RECONCILE_PAGES = 10
NO_CHANNEL = (
    "Teams has no channel for Listening Post yet: add the app to a team (in Teams: Apps → Manage your apps → "
    "Listening Post → Add to a team). The cards are kept and posted once it is added."
)


class _Refused(Exception):
    """Teams refused this card's content (400 or 413), not the bot, the channel or the moment."""


class TeamsSink:
    """Posts mention cards to the team channel, paced to Teams' rate for a bot in one conversation."""

    platform = KEY

    def __init__(
        self,
        runtime: TeamsRuntime,
        open_db: Callable[[], sqlite_utils.Database],
        history: Callable[[ChatPlace], ChannelHistory],
        tenant_id: str,
        min_interval: float = 1.0,
    ):
        self.runtime = runtime
        self.open_db = open_db
        self.history = history
        self.tenant_id = tenant_id
        self.min_interval = min_interval
        self._last_post = 0.0
        self._pace = threading.Lock()

    # --- where ---------------------------------------------------------------------------------

    def place(self) -> ChatPlace | None:
        db = self.open_db()
        try:
            return places.current_place(db, KEY)
        finally:
            db.close()

    def _where(self) -> ChatPlace:
        place = self.place()
        if place is None:
            raise PostError(NO_CHANNEL)
        return place

    def card_links(self) -> CardLinks:
        """How a report links to a card in Teams (a channel message's deep link); the team is looked up
        once for the whole report, not once per card it names."""
        place = self.place()
        group = {"groupId": place.group_id} if place and place.group_id else {}

        def link(channel: str, message_id: str) -> str:
            query = {"tenantId": self.tenant_id, "parentMessageId": message_id, **group}
            return f"https://teams.microsoft.com/l/message/{quote(channel, safe='')}/{quote(message_id, safe='')}?{urlencode(query)}"

        return link

    # --- cards ---------------------------------------------------------------------------------

    def post(self, mention: Mention, triage: Triage, handling: Handling | None = None) -> ChatRef:
        place = self._where()
        refused = ""
        for content in _drafts(mention, triage, handling):
            if refused:
                log.warning("Teams refused the card of %s (%s); posting a minimal card instead.", mention.id, refused)
            try:
                return self._post_card(place, content)
            except _Refused as exc:
                refused = str(exc)
        raise CardRefused(
            f"Teams refused the card of {mention.id} ({refused}), even in its minimal form; "
            "it is set aside and the next cards go out."
        )

    def _post_card(self, place: ChatPlace, content: dict[str, Any]) -> ChatRef:
        with self._pace:
            wait = self._last_post + self.min_interval - time.monotonic()
            if wait > 0:
                time.sleep(wait)
            try:
                sent = self._call(
                    self.runtime.app.send(place.channel, card_message(content), service_url=place.address)
                )
            finally:
                self._last_post = time.monotonic()
        if not str(getattr(sent, "id", "") or "").isdigit():  # Teams answered without the message's id
            raise PostUnconfirmed(
                "Teams did not say which message the card became; the channel is checked for it before it is sent again."
            )
        return ChatRef(KEY, place.channel, str(sent.id))

    def _call(self, work: Coroutine[Any, Any, Any]) -> Any:
        """Run one call to Teams; its failure as a PostError in plain words (PostUnconfirmed: Teams may have taken it)."""
        failure: PostError | _Refused | None = None
        try:
            return self.runtime.call(work)
        except httpx.HTTPStatusError as exc:
            failure = _status_error(exc.response.status_code, _teams_error(exc.response))
        except (httpx.ConnectError, httpx.ConnectTimeout, httpx.UnsupportedProtocol) as exc:  # never sent
            # No "next poll" here: a redraw or a note is not tried again; the pipeline says so for a card.
            failure = PostError(f"Could not reach Teams ({type(exc).__name__}).")
        except (httpx.HTTPError, TimeoutError, ValueError) as exc:  # sent, but no (readable) answer
            failure = PostUnconfirmed(
                f"Teams did not confirm the message ({type(exc).__name__}); it may have been posted, "
                "so the channel is checked for it before it is sent again."
            )
        except SignInError as exc:
            failure = PostError(str(exc))
        except Stopped:
            failure = PostError("Listening Post is stopping; nothing more is sent to Teams.")
        except concurrent.futures.CancelledError:  # stopped while the call was on its way: it may have gone out
            failure = PostUnconfirmed(
                "Listening Post stopped while Teams was being sent a message; it may have been posted, so the "
                "channel is checked for it before it is sent again."
            )
        raise failure  # out here, so no exception chain keeps the request (its token) as context

    def find_posted(self, mention_id: str, since: datetime) -> ChatRef | None:
        """The card of `mention_id` posted since `since` (an attempt Teams never confirmed), read from the channel."""
        return self.posted_cards(*attempt_window(since), FIND_PAGES).get(mention_id)

    def posted_cards(
        self, since: datetime, until: datetime | None = None, pages: int = RECONCILE_PAGES
    ) -> dict[str, ChatRef]:
        """Every card of ours in the channel between `since` and `until`, by mention id; PostError when Teams cannot be asked."""
        place = self.place()
        if place is None:
            return {}  # no channel yet: no card can be there
        if not place.group_id:
            raise PostError(
                "Listening Post cannot read the Teams channel to check for a card Teams never confirmed: "
                "Teams did not say which team it is. Remove the app from the team and add it again."
            )
        found = self.history(place).cards(since, until, pages)
        return {mention_id: ChatRef(KEY, place.channel, message_id) for mention_id, message_id in found.items()}

    def update(self, ref: ChatRef, mention: Mention, triage: Triage, handling: Handling) -> None:
        place = self.place()
        address = place.address if place else SERVICE_URL
        refused = False
        for content in _drafts(mention, triage, handling):
            if refused:
                log.warning("Teams refused the redrawn card of %s; drawing a minimal one.", mention.id)
            try:
                self._call(
                    self.runtime.app.api.conversations.update_activity(
                        ref.channel, ref.message_id, card_message(content), service_url=address
                    )
                )
                return
            except _Refused:
                refused = True
                continue
            except PostUnconfirmed:  # its words are about a new card ("checked for before it is sent again")
                log.warning(
                    "Teams did not confirm the redrawn card of %s; the action is recorded, and the card catches up "
                    "at the next action on it.",
                    mention.id,
                )
            except PostError as exc:
                log.warning("Could not redraw the card of %s (the action is recorded): %s", mention.id, exc)
            return
        log.warning("Teams refused even the minimal card of %s; the action is recorded.", mention.id)

    # --- messages ------------------------------------------------------------------------------

    def note(self, ref: ChatRef, text: str, notify: tuple[str, ...] = ()) -> bool:
        """A line in the card's reply thread; a person in `notify` is @mentioned there."""
        place = self.place()
        return self._send(
            "write in a card's thread",
            f"{ref.channel};messageid={ref.message_id}",
            place.address if place else SERVICE_URL,
            report("", [text]),
            notify,
        )

    def say(self, message: Report, notify: tuple[str, ...] = ()) -> bool:
        try:
            place = self._where()
        except PostError as exc:
            log.warning("Could not post in Teams: %s", exc)
            return False
        return self._send("post in the channel", place.channel, place.address, message, notify)

    def _send(self, what: str, conversation: str, address: str, message: Report, notify: tuple[str, ...]) -> bool:
        """Post a report card; False when it surely did not go out.

        One that calls on people is sent once: when Teams may have taken it without saying so, it
        counts as sent, so nobody is called on twice. Others are sent again next time.
        """
        content = self.with_mentions(report_card(message, self.card_links()), notify)
        try:
            self._call(self.runtime.app.send(conversation, card_message(content), service_url=address))
            return True
        except PostUnconfirmed:
            if notify:
                log.warning("Teams did not confirm a reminder; it is not sent again.")
                return True
            log.warning("Teams did not confirm a message (%s); it may not have arrived.", what)
        except (PostError, _Refused) as exc:
            log.warning("Could not %s: %s", what, exc)
        return False

    def with_mentions(self, content: dict[str, Any], notify: tuple[str, ...]) -> dict[str, Any]:
        """`content` with the people in `notify` @mentioned in a first line (the channel itself needs no call: it sees the post)."""
        people = tuple(who for who in notify if who != "channel")
        if not people:
            return content
        db = self.open_db()
        try:
            names = responses.actor_names(db, people)
        finally:
            db.close()
        tags = [(f"<at>{_tag_name(names.get(who, ''))}</at>", who) for who in people]
        line = {"type": "TextBlock", "text": " ".join(tag for tag, _ in tags), "wrap": True}
        entities = [{"type": "mention", "text": tag, "mentioned": {"id": who, "name": tag[4:-5]}} for tag, who in tags]
        return {
            **content,
            "body": [line, *content.get("body", [])],
            "msteams": {**content.get("msteams", {}), "entities": entities},
        }


def _drafts(mention: Mention, triage: Triage, handling: Handling | None) -> Iterator[dict[str, Any]]:
    """The card, then, only if Teams refuses it, its minimal form (drawn then, and skipped when the card
    already is it, having been over Teams' size)."""
    full = cards.card(mention, triage, handling)
    yield full
    smallest = cards.minimal(mention, handling)
    if smallest != full:
        yield smallest


def card_message(content: dict[str, Any]) -> Any:
    """A message holding one Adaptive Card, as sent (the card's JSON as built, not re-read by the SDK)."""
    from microsoft_teams.api.activities import MessageActivityInput
    from microsoft_teams.api.models import Attachment

    return MessageActivityInput(attachments=[Attachment(content_type=cards.CARD_TYPE, content=content)])


def _tag_name(name: str) -> str:
    """A person's name inside <at>…</at>, which sits in a TextBlock (read as markdown): letters, digits and the
    marks names use, on one line, never empty. Dropping only markup characters let a display name such as
    "Sam\n# [x](https://…)" through as a second line and "(https://…)", which Teams may show as a link."""
    kept = "".join(c if c.isalnum() or c in " .'’-" else " " for c in one_line(name))
    return " ".join(kept.split())[:60] or "you"


def _teams_error(response: httpx.Response) -> str:
    """Teams' error code from its JSON body ('' when it has none)."""
    try:
        body = json.loads(response.content or b"{}")
    except ValueError:
        return ""
    error = body.get("error") if isinstance(body, dict) else None
    return str(error.get("code") or "")[:80] if isinstance(error, dict) else ""


def _status_error(status: int, code: str) -> PostError | _Refused:
    said = f"HTTP {status}{f' {code}' if code else ''}"
    if status in (400, 413):
        return _Refused(said)
    if status in (401, 403):
        return PostError(
            f"Teams refused the bot ({said}): the app may have been removed from the team, or TEAMS_CLIENT_ID is "
            "not the bot the app package names. Check with: python -m bot doctor"
        )
    if status == 404 and code == "ActivityNotFoundInConversation":  # the message, not the channel
        return PostError(
            f"Teams no longer has that message ({said}): someone deleted it from the channel. Nothing needs doing."
        )
    if status == 404:
        return PostError(
            f"Teams no longer knows the channel ({said}): add the Listening Post app to the team again "
            "(Apps → Manage your apps → Listening Post → Add to a team)."
        )
    if status == 429:
        return PostError("Teams asked Listening Post to slow down (HTTP 429) for longer than it waits.")
    if status >= 500:
        return PostUnconfirmed(
            f"Teams is having trouble ({said}); the card may have been posted, so the channel is checked for it "
            "before it is sent again."
        )
    return PostError(f"Teams refused the message ({said}).")


def make_sink(cfg: TeamsSettings, open_db: Callable[[], sqlite_utils.Database]) -> TeamsSink:
    """The sink, with the SDK's App running on its own loop and signing in as the bot."""
    from bot.chat.teams.history import GRAPH_SCOPE, ChannelHistory
    from bot.chat.teams.runtime import TeamsRuntime
    from bot.chat.teams.token import BotToken

    token = BotToken(cfg.client_id, cfg.client_secret, cfg.tenant_id, login_url=cfg.login_url)
    runtime = TeamsRuntime(cfg.client_id, cfg.tenant_id, token, SERVICE_URL, keys_url=cfg.keys_url or None)

    def history(place: ChatPlace) -> ChannelHistory:
        return ChannelHistory(
            lambda: token(GRAPH_SCOPE), place.group_id, place.channel, cfg.client_id, graph_url=cfg.graph_url
        )

    return TeamsSink(runtime, open_db, history, cfg.tenant_id, cfg.post_interval)
