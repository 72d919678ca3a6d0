"""The numbers in Slack: a chart uploaded into a channel, and the App Home tab."""

from __future__ import annotations

from datetime import datetime
from urllib.error import URLError

from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError, SlackRequestError
from slack_sdk.models.blocks import (
    ContextBlock,
    DividerBlock,
    HeaderBlock,
    MarkdownTextObject,
    PlainTextObject,
    SectionBlock,
)
from slack_sdk.models.views import View

from bot.chat.slack.blocks import SECTION_LIMIT
from bot.chat.slack.errors import describe
from bot.chat.slack.text import CardLinks, mrkdwn
from bot.report import Report
from handlers.chart import Chart

REPLY_LIMIT = 38000  # a `/listen` answer (Slack allows 40,000 characters of `text`)


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


def home_view(stats: Report, queue: Report, updated: datetime, card_link: CardLinks | None = None) -> dict:
    """The App Home tab; the block models check Slack's limits as it is made (a section over 3,000 raises)."""

    def section(report: Report) -> SectionBlock:
        return SectionBlock(text=MarkdownTextObject(text=mrkdwn(report, card_link, SECTION_LIMIT) or " "))

    updated_at = (
        f"Updated {updated:%a %d %b %H:%M} when you opened this tab. `/listen help` lists everything you can ask."
    )
    return View(
        type="home",
        blocks=[
            HeaderBlock(text=PlainTextObject(text="Listening Post")),
            section(stats),
            DividerBlock(),
            section(queue),
            ContextBlock(elements=[MarkdownTextObject(text=updated_at)]),
        ],
    ).to_dict()
