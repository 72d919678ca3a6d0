"""Listeners for the submitted forms: the dismissal reason and the reply, answered within Slack's 3 seconds."""

from __future__ import annotations

from slack_bolt import Ack, App, BoltContext
from slack_sdk import WebClient

from bot import wording
from bot.chat.slack import views
from bot.chat.slack.listeners.answers import show, update_form
from bot.chat.slack.listeners.context import services
from bot.chat.slack.listeners.errors import guarded
from bot.models import Actor
from handlers.actions import GONE, check_length


def on_dismiss_submitted(ack: Ack, body: dict, view: dict, client: WebClient, context: BoltContext) -> None:
    ack()
    s = services(context)
    reason = views.typed_text(view, views.REASON_BLOCK, views.REASON_ACTION)
    show(s, s.desk.dismiss(views.metadata(view).get("id", ""), s.people.actor(body["user"]), reason), body, client)


def on_reply_submitted(ack: Ack, body: dict, view: dict, client: WebClient, context: BoltContext) -> None:
    s = services(context)
    meta = views.metadata(view)
    mention_id, attempt = meta.get("id", ""), meta.get("attempt", 0)
    start = meta.get("start") if isinstance(meta.get("start"), int) else None
    text = views.typed_text(view, views.TEXT_BLOCK, views.TEXT_ACTION)
    # Only the id is needed before the ack; the name (a users.info call) is looked up after it.
    form = s.desk.reply_form(mention_id, Actor(body["user"]["id"], ""))
    if form is None:
        if views.has_text_box(view):
            ack(response_action="errors", errors={views.text_block_id(view): GONE})
        else:  # a form without a box (a feed entry) has nowhere to show an error: say it in the form
            ack(response_action="update", view=views.gone_view())
        return
    if not form.can_send:
        ack()
        show(s, s.desk.replied_outside(mention_id, s.people.actor(body["user"]), text), body, client)
        return
    problem = form.problem or check_length(form.mention, text)
    if problem:
        ack(response_action="errors", errors={views.text_block_id(view): problem})
        return
    ack(response_action="update", view=views.sending_view(form))
    outcome = s.desk.send_reply(mention_id, s.people.actor(body["user"]), text, start)
    if outcome.error:
        # Their words stay in the form, with what went wrong above them (if the form is still open).
        update_form(client, view["id"], views.reply_view(form, text, outcome.error, attempt + 1, start))
        return
    s.desk.announce(s.sink, outcome)  # the card first: the form may have been closed meanwhile
    found = s.desk.card(mention_id)
    handling = found[2] if found else None
    if handling and handling.status == "pending":
        done = views.done_view(form, outcome.message or "Sent for approval.")
    else:
        done = views.done_view(
            form,
            f"Your reply is on {wording.network_name(form.mention.source)}.",
            handling.reply_url if handling else "",
        )
    update_form(client, view["id"], done)


def register(app: App) -> None:
    app.view(views.DISMISS_VIEW)(guarded(on_dismiss_submitted))
    app.view(views.REPLY_VIEW)(guarded(on_reply_submitted))
