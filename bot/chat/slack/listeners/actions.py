"""Listeners for the card's buttons and the reply form's menu: translate Slack's payloads, call the desk, show the result.

Every listener calls `ack()` first; the slow part (posting to the network, redrawing the
card) runs after it, so Slack always hears back within its 3 seconds.
"""

from __future__ import annotations

from slack_bolt import Ack, App, BoltContext, Respond
from slack_sdk import WebClient

from bot.chat.slack import blocks, views
from bot.chat.slack.listeners.answers import (
    button_value,
    channel_of,
    open_form,
    show,
    takeover_question,
    tell,
    update_form,
)
from bot.chat.slack.listeners.context import services
from bot.chat.slack.listeners.errors import guarded
from bot.models import Actor
from handlers.actions import GONE, Outcome


def on_claim(ack: Ack, body: dict, client: WebClient, context: BoltContext) -> None:
    ack()
    s = services(context)
    outcome = s.desk.claim(button_value(body), s.people.actor(body["user"]))
    if outcome.takeover_from:
        question = takeover_question(outcome.message, outcome.mention_id)
        tell(client, body["user"]["id"], channel_of(s, body, outcome.mention_id), outcome.message, question)
        return
    show(s, outcome, body, client)


def on_takeover(ack: Ack, body: dict, client: WebClient, respond: Respond, context: BoltContext) -> None:
    ack()
    s = services(context)
    show(s, s.desk.claim(button_value(body), s.people.actor(body["user"]), takeover=True), body, client)
    if body.get("response_url"):
        respond(delete_original=True)  # the question has been answered


def on_reopen(ack: Ack, body: dict, client: WebClient, context: BoltContext) -> None:
    ack()
    s = services(context)
    show(s, s.desk.reopen(button_value(body), s.people.actor(body["user"])), body, client)


def on_approve(ack: Ack, body: dict, client: WebClient, context: BoltContext) -> None:
    ack()
    s = services(context)
    show(s, s.desk.approve(button_value(body), s.people.actor(body["user"])), body, client)


def on_reject(ack: Ack, body: dict, client: WebClient, context: BoltContext) -> None:
    ack()
    s = services(context)
    show(s, s.desk.reject(button_value(body), s.people.actor(body["user"])), body, client)


def on_dismiss(ack: Ack, body: dict, client: WebClient, context: BoltContext) -> None:
    ack()
    s = services(context)
    mention_id = button_value(body)
    problem = s.desk.dismissal_problem(mention_id)
    if problem:  # nothing to ask a reason for
        tell(client, body["user"]["id"], channel_of(s, body, mention_id), problem)
        s.desk.announce(s.sink, Outcome(mention_id))  # an old card catches up
        return
    open_form(s, client, body, mention_id, views.dismiss_view(mention_id))


def on_reply(ack: Ack, body: dict, client: WebClient, context: BoltContext) -> None:
    """Reply… on a new or claimed card, and Edit… on a reply waiting for approval."""
    ack()
    s = services(context)
    # No name lookup here: views.open must happen within 3 seconds of the click (trigger_id).
    mention_id, actor = button_value(body), Actor(body["user"]["id"], "")
    if body["actions"][0]["action_id"] == blocks.EDIT and not s.desk.is_approver(actor):
        tell(
            client,
            actor.id,
            channel_of(s, body, mention_id),
            "Only the people in REPLY_APPROVERS can edit a reply waiting for approval.",
        )
        return
    form = s.desk.reply_form(mention_id, actor)
    if form is None or form.problem:
        tell(client, actor.id, channel_of(s, body, mention_id), form.problem if form else GONE)
        s.desk.announce(s.sink, Outcome(mention_id))  # an old card catches up
        return
    open_form(s, client, body, mention_id, views.reply_view(form))


def on_pick_suggestion(ack: Ack, body: dict, client: WebClient, context: BoltContext) -> None:
    """A suggestion picked from the reply form's menu: the form is redrawn with it in the text box."""
    ack()
    view = body["view"]
    meta = views.metadata(view)
    form = services(context).desk.reply_form(meta.get("id", ""), Actor(body["user"]["id"], ""))
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


def register(app: App) -> None:
    app.action(blocks.CLAIM)(guarded(on_claim))
    app.action(blocks.TAKEOVER)(guarded(on_takeover))
    app.action(blocks.REOPEN)(guarded(on_reopen))
    app.action(blocks.APPROVE)(guarded(on_approve))
    app.action(blocks.REJECT)(guarded(on_reject))
    app.action(blocks.DISMISS)(guarded(on_dismiss))
    app.action(blocks.REPLY)(guarded(on_reply))
    app.action(blocks.EDIT)(guarded(on_reply))
    app.action(views.PICK)(guarded(on_pick_suggestion))
