"""Slack listeners for the numbers: the `/listen` command, chart uploads, and the App Home tab."""

from __future__ import annotations

import logging
import re
from collections.abc import Callable
from datetime import datetime
from urllib.error import URLError

from slack_bolt import App
from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError, SlackRequestError

from bot.chat import slack_cards
from bot.chat.slack_errors import describe
from handlers import commands
from handlers.chart import Chart
from handlers.stats import Reports

log = logging.getLogger(__name__)

_SECTION_LIMIT = 3000  # Slack's limit for a section's text
REPLY_LIMIT = 38000  # a `/listen` answer (Slack allows 40,000 characters; a few links are added after the cut)
# A card's permalink at the end of a report line (see slack.card_links): shown as a link, not a raw address.
_CARD_LINK = re.compile(r"(https://[^\s<>|]+/archives/[A-Z0-9]+/p\d+)$", re.MULTILINE)


def as_mrkdwn(report: str, limit: int = REPLY_LIMIT) -> str:
    """A report written as text (with *bold*), escaped and cut for Slack, its card permalinks as "open card" links."""
    budget = limit
    while True:
        text = _CARD_LINK.sub(r"<\1|open card>", slack_cards.fit(report, budget))
        if len(text) <= limit or budget <= 1:
            return text[:limit]
        budget -= len(text) - limit


def upload_chart(client: WebClient, channel: str, chart: Chart, user: str) -> str:
    """Upload the chart into `channel`; returns '' when done, or what went wrong in words."""
    try:
        client.files_upload_v2(
            channel=channel,
            file=chart.png,
            filename=chart.filename,
            title=chart.title,
            initial_comment=f"<@{user}> asked for this chart.",
        )
        return ""
    except SlackApiError as exc:
        error = exc.response.get("error") if isinstance(exc.response.data, dict) else ""
        if error in ("not_in_channel", "channel_not_found"):
            return (
                "I can only post a chart in a channel I'm in. Invite me with `/invite @Listening Post`, "
                "or ask in the mentions channel."
            )
        if error == "missing_scope":
            return (
                "The Slack app cannot upload files yet: add the `files:write` scope under OAuth & Permissions "
                "(or paste the new manifest.yml), then reinstall the app."
            )
        return f"I could not post the chart: {describe(exc, channel)}"
    except (SlackRequestError, URLError, OSError) as exc:
        return f"I could not upload the chart ({type(exc).__name__}); please try again in a minute."


def home_view(stats: str, queue: str, updated: datetime) -> dict:
    def section(text: str) -> dict:
        return {"type": "section", "text": {"type": "mrkdwn", "text": as_mrkdwn(text, _SECTION_LIMIT) or " "}}

    return {
        "type": "home",
        "blocks": [
            {"type": "header", "text": {"type": "plain_text", "text": "Listening Post"}},
            section(stats),
            {"type": "divider"},
            section(queue),
            {
                "type": "context",
                "elements": [
                    {
                        "type": "mrkdwn",
                        "text": f"Updated {updated:%a %d %b %H:%M} when you opened this tab. "
                        "`/listen help` lists everything you can ask.",
                    }
                ],
            },
        ],
    }


def register(app: App, status_lines: Callable[[], list[str]], reports: Reports) -> None:
    @app.command("/listen")
    def listen_command(ack, command, respond, client):
        answer = commands.listen(command.get("text", ""), status_lines, reports)
        if answer.chart is not None:
            ack(text="📈 Drawing the chart…")
            problem = upload_chart(client, command["channel_id"], answer.chart(), command["user_id"])
            if problem:
                respond(text=problem, response_type="ephemeral")
            return
        if answer.report is None:
            ack(text=as_mrkdwn(answer.text))
            return
        ack()  # reports are computed after the acknowledgement, and sent through response_url
        respond(text=as_mrkdwn(answer.report()), response_type="in_channel" if answer.public else "ephemeral")

    @app.event("app_home_opened")
    def home_opened(event, client):
        if event.get("tab") != "home":
            return  # the Messages tab
        stats, queue = reports.home()
        try:
            client.views_publish(user_id=event["user"], view=home_view(stats, queue, datetime.now(reports.hours.tz)))
        except (SlackApiError, URLError, OSError) as exc:
            log.warning("Could not show the App Home tab (%s).", type(exc).__name__)
