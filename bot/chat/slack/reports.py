"""The numbers in Slack: a report as mrkdwn, a chart uploaded into a channel, and the App Home tab."""

from __future__ import annotations

from datetime import datetime
from urllib.error import URLError

from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError, SlackRequestError

from bot.chat.slack.blocks import fit
from bot.chat.slack.errors import describe
from bot.chat.slack.links import CARD_LINK
from handlers.chart import Chart

_SECTION_LIMIT = 3000  # Slack's limit for a section's text
REPLY_LIMIT = 38000  # a `/listen` answer (Slack allows 40,000 characters; a few links are added after the cut)


def as_mrkdwn(report: str, limit: int = REPLY_LIMIT) -> str:
    """A report written as text (with *bold*), escaped and cut for Slack, its card permalinks as "open card" links."""
    budget = limit
    while True:
        text = CARD_LINK.sub(r"<\1|open card>", fit(report, budget))
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
