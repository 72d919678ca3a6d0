"""Bolt listeners for the card's buttons and the modals: translate Slack's payloads, call the desk, show the result.

Every listener calls `ack()` first; the slow part (posting to the network, redrawing the
card) runs after it, so Slack always hears back within its 3 seconds.
"""

from __future__ import annotations

import logging
import threading

from slack_bolt import App
from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError

from bot.chat import slack_cards as cards
from bot.chat import slack_views as views
from bot.chat.cards import network_name
from bot.models import Actor
from handlers.actions import GONE, Outcome, check_length
from handlers.desk import Desk

log = logging.getLogger(__name__)

EPHEMERAL_LIMIT = 3000  # a private note is a sentence or two; Slack allows 40,000 characters of `text`


def private_note(text: str) -> str:
    """A note only the person who clicked sees (chat.postEphemeral's `text`), escaped and cut."""
    return cards.fit(text, EPHEMERAL_LIMIT)


OUR_BUG = (
    "Listening Post hit a problem of its own with that, and has written the details to its log. "
    "Please try again; if it happens again, send that log line to whoever runs Listening Post."
)


def on_listener_error(error: Exception, body: dict, client: WebClient) -> None:
    """Bolt's error handler: a bug in a listener is logged with its traceback, and the person who
    clicked or typed is told in plain words instead of seeing nothing happen."""
    log.warning("A Slack listener failed (%s).", type(error).__name__, exc_info=error)
    user = (body.get("user") or {}).get("id") or body.get("user_id")
    channel = (body.get("channel") or {}).get("id") or body.get("channel_id")
    if not (user and channel):
        return  # a form submission has no channel to answer in: the log has it
    try:
        client.chat_postEphemeral(channel=channel, user=user, text=private_note(OUR_BUG))
    except (SlackApiError, OSError) as exc:
        log.warning("Could not tell %s about the failure (%s).", user, type(exc).__name__)


def takeover_question(message: str, mention_id: str) -> list[dict]:
    """The private "take it over?" question, with its one button."""
    return [
        {"type": "section", "text": {"type": "mrkdwn", "text": cards.fit(message, cards.SECTION_LIMIT) or " "}},
        {"type": "actions", "elements": [cards.button("Take it over", cards.TAKEOVER, mention_id, "primary")]},
    ]


class People:
    """Names (and whether they are bots) from `users.info`, remembered for the life of the process."""

    def __init__(self, client: WebClient):
        self.client = client
        self._known: dict[str, Actor] = {}
        self._lock = threading.Lock()

    def actor(self, user: dict) -> Actor:
        user_id = user.get("id", "")
        with self._lock:
            known = self._known.get(user_id)
        if known is None:
            found = self._look_up(user_id)
            known = found or Actor(user_id, user.get("name") or user.get("username") or user_id)
            if found:  # a failed lookup is tried again next time
                with self._lock:
                    self._known[user_id] = known
        return known

    def _look_up(self, user_id: str) -> Actor | None:
        try:
            user = self.client.users_info(user=user_id)["user"]
        except (SlackApiError, OSError, KeyError, TypeError):
            log.warning("Could not look up the Slack name of %s; using the name in the request.", user_id)
            return None
        profile = user.get("profile") or {}
        name = (
            profile.get("display_name")
            or profile.get("real_name")
            or user.get("real_name")
            or user.get("name")
            or user_id
        )
        return Actor(user_id, name, is_bot=bool(user.get("is_bot")))


def register(app: App, desk: Desk, sink) -> None:
    """Attach the card and modal listeners to `app`; `sink` redraws cards and writes thread notes."""
    people = People(app.client)

    def button_value(body: dict) -> str:
        return body["actions"][0].get("value", "")

    def tell(client: WebClient, user_id: str, channel: str, text: str, blocks: list | None = None) -> None:
        try:
            client.chat_postEphemeral(channel=channel, user=user_id, text=private_note(text), blocks=blocks)
        except (SlackApiError, OSError) as exc:
            log.warning("Could not send a private note to %s (%s).", user_id, type(exc).__name__)

    def open_form(client: WebClient, body: dict, mention_id: str, view: dict) -> None:
        try:
            client.views_open(trigger_id=body["trigger_id"], view=view)
        except (SlackApiError, OSError) as exc:
            # Most often expired_trigger_id: Slack allows 3 seconds between the click and the form.
            log.warning(
                "Could not open a form (%s).",
                exc.response.get("error") if isinstance(exc, SlackApiError) else type(exc).__name__,
            )
            tell(
                client,
                body["user"]["id"],
                channel_of(body, mention_id),
                "Slack could not open the form in time. Please click the button again.",
            )

    def update_form(client: WebClient, view_id: str, view: dict, hash: str | None = None) -> None:
        """Redraw an open form; one the person closed (not_found) or changed meanwhile (hash_conflict) is left as it is."""
        try:
            client.views_update(view_id=view_id, view=view, **({"hash": hash} if hash else {}))
        except (SlackApiError, OSError) as exc:
            log.info(
                "Did not redraw a form (%s); what was done is on the card.",
                exc.response.get("error") if isinstance(exc, SlackApiError) else type(exc).__name__,
            )

    def channel_of(body: dict, mention_id: str) -> str:
        channel = (body.get("channel") or {}).get("id")
        if channel:
            return channel
        found = desk.card(mention_id)
        return found[3].channel if found and found[3] else ""

    def show(outcome: Outcome, body: dict, client: WebClient) -> None:
        desk.announce(sink, outcome)
        private = outcome.error or outcome.message
        if private:
            tell(client, body["user"]["id"], channel_of(body, outcome.mention_id), private)

    @app.action(cards.CLAIM)
    def on_claim(ack, body, client):
        ack()
        outcome = desk.claim(button_value(body), people.actor(body["user"]))
        if outcome.takeover_from:
            question = takeover_question(outcome.message, outcome.mention_id)
            tell(client, body["user"]["id"], channel_of(body, outcome.mention_id), outcome.message, question)
            return
        show(outcome, body, client)

    @app.action(cards.TAKEOVER)
    def on_takeover(ack, body, client, respond):
        ack()
        show(desk.claim(button_value(body), people.actor(body["user"]), takeover=True), body, client)
        if body.get("response_url"):
            respond(delete_original=True)  # the question has been answered

    def one_click(act):
        def listener(ack, body, client):
            ack()
            show(act(button_value(body), people.actor(body["user"])), body, client)

        return listener

    for action_id, act in ((cards.REOPEN, desk.reopen), (cards.APPROVE, desk.approve), (cards.REJECT, desk.reject)):
        app.action(action_id)(one_click(act))

    @app.action(cards.DISMISS)
    def on_dismiss(ack, body, client):
        ack()
        mention_id = button_value(body)
        problem = desk.dismissal_problem(mention_id)
        if problem:  # nothing to ask a reason for
            tell(client, body["user"]["id"], channel_of(body, mention_id), problem)
            desk.announce(sink, Outcome(mention_id))  # an old card catches up
            return
        open_form(client, body, mention_id, views.dismiss_view(mention_id))

    @app.view(views.DISMISS_VIEW)
    def on_dismiss_submitted(ack, body, view, client):
        ack()
        reason = views.typed_text(view, views.REASON_BLOCK, views.REASON_ACTION)
        show(desk.dismiss(views.metadata(view).get("id", ""), people.actor(body["user"]), reason), body, client)

    @app.action(cards.REPLY)
    @app.action(cards.EDIT)
    def on_reply(ack, body, client):
        ack()
        # No name lookup here: views.open must happen within 3 seconds of the click (trigger_id).
        mention_id, actor = button_value(body), Actor(body["user"]["id"], "")
        if body["actions"][0]["action_id"] == cards.EDIT and not desk.is_approver(actor):
            tell(
                client,
                actor.id,
                channel_of(body, mention_id),
                "Only the people in REPLY_APPROVERS can edit a reply waiting for approval.",
            )
            return
        form = desk.reply_form(mention_id, actor)
        if form is None or form.problem:
            tell(client, actor.id, channel_of(body, mention_id), form.problem if form else GONE)
            desk.announce(sink, Outcome(mention_id))  # an old card catches up
            return
        open_form(client, body, mention_id, views.reply_view(form))

    @app.action(views.PICK)
    def on_pick_suggestion(ack, body, client):
        ack()
        view = body["view"]
        meta = views.metadata(view)
        form = desk.reply_form(meta.get("id", ""), Actor(body["user"]["id"], ""))
        if form is None or form.problem:
            return
        try:
            picked = int(body["actions"][0]["selected_option"]["value"])
            text = form.triage.suggestions[picked]
        except (KeyError, IndexError, TypeError, ValueError):
            return
        # `hash` makes Slack refuse the update if the form changed meanwhile, instead of losing typing.
        update_form(
            client,
            view["id"],
            views.reply_view(form, text, attempt=meta.get("attempt", 0) + 1, start=picked),
            view.get("hash"),
        )

    @app.view(views.REPLY_VIEW)
    def on_reply_submitted(ack, body, view, client):
        meta = views.metadata(view)
        mention_id, attempt = meta.get("id", ""), meta.get("attempt", 0)
        start = meta.get("start") if isinstance(meta.get("start"), int) else None
        text = views.typed_text(view, views.TEXT_BLOCK, views.TEXT_ACTION)
        # Only the id is needed before the ack; the name (a users.info call) is looked up after it.
        form = desk.reply_form(mention_id, Actor(body["user"]["id"], ""))
        if form is None:
            if views.has_text_box(view):
                ack(response_action="errors", errors={views.text_block_id(view): GONE})
            else:  # a form without a box (a feed entry) has nowhere to show an error: say it in the form
                ack(response_action="update", view=views.gone_view())
            return
        if not form.can_send:
            ack()
            show(desk.replied_outside(mention_id, people.actor(body["user"]), text), body, client)
            return
        problem = form.problem or check_length(form.mention, text)
        if problem:
            ack(response_action="errors", errors={views.text_block_id(view): problem})
            return
        ack(response_action="update", view=views.sending_view(form))
        outcome = desk.send_reply(mention_id, people.actor(body["user"]), text, start)
        if outcome.error:
            # Their words stay in the form, with what went wrong above them (if the form is still open).
            update_form(client, view["id"], views.reply_view(form, text, outcome.error, attempt + 1, start))
            return
        desk.announce(sink, outcome)  # the card first: the form may have been closed meanwhile
        found = desk.card(mention_id)
        handling = found[2] if found else None
        if handling and handling.status == "pending":
            done = views.done_view(form, outcome.message or "Sent for approval.")
        else:
            done = views.done_view(
                form, f"Your reply is on {network_name(form.mention.source)}.", handling.reply_url if handling else ""
            )
        update_form(client, view["id"], done)
