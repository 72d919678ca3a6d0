"""Slack as a chat platform: its settings, checked, and its declaration (the SDK is imported only where it is used)."""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from bot.config import Reader, shown
from bot.platforms import Backend, ChatPlatform, Check, Inbound

if TYPE_CHECKING:
    from bot.chat.slack.sink import SlackSink
    from bot.config import Settings

API_URL = "https://slack.com/api/"
CHANNEL_ID = re.compile(r"^[CGD](?=[A-Z0-9]*[0-9])[A-Z0-9]{2,}$")  # C public, G private, D direct; IDs have digits
MEMBER_ID = re.compile(r"^[UW][A-Z0-9]{2,}$")


@dataclass(frozen=True)
class SlackSettings:
    bot_token: str = field(default="", repr=False)
    signing_secret: str = field(default="", repr=False)
    app_token: str = field(default="", repr=False)  # Socket Mode; without it, HTTP mode with the signing secret
    channel: str = ""
    api_url: str = API_URL
    post_interval: float = 1.0  # seconds between posts: Slack takes about one message a second per channel


def read_settings(r: Reader) -> SlackSettings | None:
    bot_token, app_token = r.get("SLACK_BOT_TOKEN"), r.get("SLACK_APP_TOKEN")
    _tokens(r, bot_token, app_token)
    cfg = SlackSettings(
        bot_token=bot_token,
        signing_secret=r.get("SLACK_SIGNING_SECRET"),
        app_token=app_token,
        channel=_channel(r),
        api_url=r.url("SLACK_API_URL", API_URL).rstrip("/") + "/",
        post_interval=r.number("SLACK_POST_INTERVAL_SECONDS", 1.0, float, 0, 60, " (a minute)"),
    )
    return cfg if (cfg.bot_token or cfg.channel or cfg.app_token or cfg.signing_secret) else None


def _tokens(r: Reader, bot_token: str, app_token: str) -> None:
    where_bot = "the Bot User OAuth Token, which starts with xoxb- (Slack app → OAuth & Permissions)"
    where_app = "the app-level token, which starts with xapp- (Slack app → Basic Information → App-Level Tokens, scope connections:write)"
    if bot_token and not bot_token.startswith(
        ("xoxb-", "xoxe.xoxb-")
    ):  # xoxe.xoxb-: a bot token with token rotation on
        if bot_token.startswith("xapp-"):
            r.problem(
                f"SLACK_BOT_TOKEN holds the app-level token (xapp-…), which belongs in SLACK_APP_TOKEN; SLACK_BOT_TOKEN is {where_bot}."
            )
        elif bot_token.startswith("xoxp-"):
            r.problem(f"SLACK_BOT_TOKEN holds a user token (xoxp-…); it must be {where_bot}.")
        else:
            r.problem(f"SLACK_BOT_TOKEN must be {where_bot}.")
    if app_token and not app_token.startswith("xapp-"):
        if app_token.startswith("xoxb-"):
            r.problem(
                f"SLACK_APP_TOKEN holds the bot token (xoxb-…), which belongs in SLACK_BOT_TOKEN; SLACK_APP_TOKEN is {where_app}."
            )
        else:
            r.problem(
                f"SLACK_APP_TOKEN must be {where_app}; or leave it empty and set SLACK_SIGNING_SECRET for HTTP mode."
            )


def _channel(r: Reader) -> str:
    raw = r.get("SLACK_CHANNEL")
    if raw and not CHANNEL_ID.match(raw):
        r.problem(
            f"SLACK_CHANNEL must be the channel's ID, like C0123456789, not its name ('{shown(raw, 30)}'). "
            "In Slack, click the channel name → About: the Channel ID is at the bottom."
        )
    return raw


def missing(cfg: SlackSettings | None, serving: bool) -> list[str]:
    """What `run` (serving) and `poll` need from Slack that is not set, each as an instruction."""
    cfg = cfg or SlackSettings()
    problems = []
    if not cfg.bot_token:
        problems.append(
            "SLACK_BOT_TOKEN is not set (Slack app → OAuth & Permissions → Bot User OAuth Token, starts with xoxb-)."
        )
    if not cfg.channel:
        problems.append(
            "SLACK_CHANNEL is not set (the channel ID, like C0123456789: open the channel → its name → About, at the bottom)."
        )
    if serving and not cfg.app_token and not cfg.signing_secret:
        problems.append("Set SLACK_APP_TOKEN (Socket Mode, no public URL needed) or SLACK_SIGNING_SECRET (HTTP mode).")
    return problems


def sink(cfg: SlackSettings, open_db=None) -> SlackSink:
    from bot.chat.slack.client import make_client
    from bot.chat.slack.sink import SlackSink

    return SlackSink(make_client(cfg.bot_token, cfg.api_url), cfg.channel, cfg.post_interval)


def open_inbound(cfg: SlackSettings, settings: Settings, card_sink, backend: Backend) -> Inbound:
    from bot.chat.slack.inbound import open_inbound

    return open_inbound(cfg, settings.port, card_sink, backend)


def check(cfg: SlackSettings | None, settings: Settings) -> Iterator[Check]:
    from bot.chat.slack.doctor import checks

    return checks(cfg, settings.reply_approvers, settings.port)


PLATFORM = ChatPlatform(
    key="slack",
    name="Slack",
    read=read_settings,
    secrets=("SLACK_BOT_TOKEN", "SLACK_SIGNING_SECRET", "SLACK_APP_TOKEN"),
    missing=missing,
    sink=sink,
    open=open_inbound,
    check=check,
    member_id=MEMBER_ID,
    member_ids="Slack member IDs like U0123ABCD",
    member_id_help="In Slack: click the person → View full profile → ⋯ → Copy member ID.",
)
