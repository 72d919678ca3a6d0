"""The `/listen` command: a short answer in the acknowledgement, a report after it, a chart as an upload."""

from __future__ import annotations

from slack_bolt import Ack, App, BoltContext, Respond
from slack_sdk import WebClient

from bot.chat.slack.listeners.context import services
from bot.chat.slack.listeners.errors import guarded
from bot.chat.slack.reports import REPLY_LIMIT, upload_chart
from bot.chat.slack.text import mrkdwn
from handlers import commands


def on_listen(ack: Ack, command: dict, respond: Respond, client: WebClient, context: BoltContext) -> None:
    s = services(context)
    answer = commands.listen(command.get("text", ""), s.status_lines, s.reports)
    if answer.chart is not None:
        ack(text="📈 Drawing the chart…")
        problem = upload_chart(client, command["channel_id"], answer.chart(), command["user_id"])
        if problem:
            respond(text=problem, response_type="ephemeral")
        return
    if answer.report is None:
        ack(text=mrkdwn(answer.text, s.sink.card_link, REPLY_LIMIT))
        return
    ack()  # reports are computed after the acknowledgement, and sent through response_url
    text = mrkdwn(answer.report(), s.sink.card_link, REPLY_LIMIT)
    respond(text=text, response_type="in_channel" if answer.public else "ephemeral")


def register(app: App) -> None:
    app.command("/listen")(guarded(on_listen))
