"""Doctor's checks for Slack: the token and its scopes, Socket Mode or HTTP mode, the approvers and the channel."""

from __future__ import annotations

from collections.abc import Iterator

from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError

from bot.chat.slack.client import make_client
from bot.chat.slack.errors import describe
from bot.chat.slack.platform import SlackSettings
from bot.models import NOTE, OK, PROBLEM, Check

# The bot scopes manifest.yml asks for.
# channels:history and groups:history let a card whose posting was never confirmed be looked for before a resend.
SCOPES = (
    "chat:write",
    "commands",
    "channels:read",
    "groups:read",
    "users:read",
    "files:write",
    "channels:history",
    "groups:history",
)


def checks(cfg: SlackSettings | None, approvers: frozenset[str], port: int) -> Iterator[Check]:
    """The token, its scopes, the way in (Socket Mode or HTTP), the approvers and the channel."""
    if cfg is None or not cfg.bot_token:
        yield (
            PROBLEM,
            "SLACK_BOT_TOKEN is not set: create the app from manifest.yml (see README), install it, and copy the Bot User OAuth Token (xoxb-…).",
        )
        return
    client = make_client(cfg.bot_token, cfg.api_url)
    try:
        auth = client.auth_test()
        yield OK, f"Slack token works: bot @{auth.get('user')} in workspace {auth.get('team')}."
        # Slack lists the token's scopes in a header on every answer.
        granted = next((v for k, v in auth.headers.items() if k.lower() == "x-oauth-scopes"), None)
        missing = [
            scope for scope in SCOPES if granted is not None and scope not in granted.replace(" ", "").split(",")
        ]
        if missing:
            yield (
                PROBLEM,
                (
                    f"The Slack app lacks the permission{'s' if len(missing) > 1 else ''} {', '.join(missing)}. "
                    "Paste the current manifest.yml under App Manifest (or add them under OAuth & Permissions), "
                    "then Reinstall to Workspace."
                ),
            )
    except SlackApiError as exc:
        yield PROBLEM, describe(exc)
        if cfg.app_token:  # the app-level token is separate: say whether it works too
            yield from _socket_mode(cfg)
        return
    except OSError as exc:
        yield (
            PROBLEM,
            f"Could not reach Slack at {cfg.api_url} ({type(exc).__name__}). Check the network or SLACK_API_URL.",
        )
        return
    if cfg.app_token:
        yield from _socket_mode(cfg)
    elif cfg.signing_secret:
        yield OK, f"HTTP mode: Slack must reach this server at https://<your-host>/slack/events (port {port})."
    else:
        yield (
            PROBLEM,
            "Set SLACK_APP_TOKEN (Socket Mode, easiest) or SLACK_SIGNING_SECRET (HTTP mode) so buttons and /listen work.",
        )
    yield from _approvers(approvers, client)
    if not cfg.channel:
        yield (
            PROBLEM,
            "SLACK_CHANNEL is not set: use the channel ID, like C0123456789 (channel name → About, at the bottom).",
        )
        return
    try:
        channel = client.conversations_info(channel=cfg.channel)["channel"]
    except SlackApiError as exc:
        yield PROBLEM, describe(exc, cfg.channel)
        return
    if channel.get("is_member"):
        yield OK, f"The bot is in #{channel.get('name')} and will post cards there."
    else:
        yield PROBLEM, f"The bot is not in #{channel.get('name')}. In that channel, type: /invite @Listening Post"


def _socket_mode(cfg: SlackSettings) -> Iterator[Check]:
    """Opens (and drops) a Socket Mode connection URL with the app-level token, as `run` will."""
    client = WebClient(token=cfg.app_token, base_url=cfg.api_url, timeout=15)
    try:
        client.apps_connections_open(app_token=cfg.app_token)
    except SlackApiError as exc:
        error = exc.response.get("error") if isinstance(exc.response.data, dict) else f"HTTP {exc.response.status_code}"
        if error in ("invalid_auth", "not_authed", "token_revoked", "token_expired", "not_allowed_token_type"):
            yield (
                PROBLEM,
                (
                    f"Slack rejected SLACK_APP_TOKEN ({error}). In the Slack app: Basic Information → App-Level Tokens, "
                    "generate a token with the connections:write scope and copy it (xapp-…)."
                ),
            )
        elif error == "missing_scope":
            yield (
                PROBLEM,
                (
                    "SLACK_APP_TOKEN lacks the connections:write scope. In the Slack app: Basic Information → App-Level "
                    "Tokens, generate a new token with that scope and copy it (xapp-…)."
                ),
            )
        else:
            yield (
                PROBLEM,
                (
                    f"Slack would not open a Socket Mode connection ({error}). Turn Socket Mode on in the Slack app "
                    "(left menu: Socket Mode), or leave SLACK_APP_TOKEN empty and use HTTP mode."
                ),
            )
        return
    except OSError as exc:
        yield (
            PROBLEM,
            f"Could not reach Slack at {cfg.api_url} to check SLACK_APP_TOKEN ({type(exc).__name__}). Check the network.",
        )
        return
    yield OK, "Socket Mode token works: buttons and /listen will reach the bot (no public URL needed)."


def _approvers(approvers: frozenset[str], client: WebClient) -> Iterator[Check]:
    if not approvers:
        yield NOTE, "Anyone in the channel can send replies (set REPLY_APPROVERS to have staff replies approved first)."
        return
    names = []
    for user_id in sorted(approvers):
        try:
            user = client.users_info(user=user_id)["user"]
        except SlackApiError as exc:
            yield (
                PROBLEM,
                f"REPLY_APPROVERS lists {user_id}, but Slack says '{exc.response.get('error')}'. Copy the member ID again from their profile.",
            )
            return
        names.append(
            (user.get("profile") or {}).get("display_name") or user.get("real_name") or user.get("name") or user_id
        )
    yield OK, f"Replies by anyone but {', '.join(names)} wait for their approval."
