"""`python -m bot doctor`: checks settings and connections and says what is wrong in plain words."""

from __future__ import annotations

import logging
import warnings
from collections.abc import Iterator
from contextlib import contextmanager

from bot import wiring
from bot.config import ConfigError, Settings
from bot.sources import registry
from bot.sources.registry import NOTE, OK, PROBLEM


def checks(settings: Settings) -> Iterator[tuple[str, str]]:
    """Yield (mark, sentence) pairs; any PROBLEM means the service will not work as set up."""
    for check in (_storage, _templates, _schedule, _slack, _networks, _any_network):
        try:
            yield from check(settings)
        except Exception as exc:  # one check failing in an unforeseen way must not hide the others
            yield (
                PROBLEM,
                (
                    f"A check stopped unexpectedly ({type(exc).__name__}) in the {check.__name__.strip('_').replace('_', ' ')} "
                    "part; run `python -m bot doctor` again, and if it repeats, report it with this line."
                ),
            )


def _any_network(settings: Settings):
    if not settings.any_source:
        yield (
            PROBLEM,
            f"No network is set up, so there is nothing to listen to. Set up at least one: {registry.set_up_hint()}; "
            f"{registry.readme_sections()} say where to find each.",
        )


def _storage(settings: Settings):
    from storage import open_db

    try:
        open_db(settings.database_path).close()
        yield OK, f"Database {settings.database_path} is ready (keep it on a persistent disk)."
    except Exception as exc:  # any failure here is the user's path or disk
        yield (
            PROBLEM,
            f"Cannot open the database at {settings.database_path} ({exc}). Set DATABASE_PATH to a writable file.",
        )


def _templates(settings: Settings):
    try:
        wiring.triager(settings)
        yield OK, f"Reply templates read from {settings.reply_templates}."
    except ConfigError as exc:
        yield PROBLEM, str(exc)


def _schedule(settings: Settings):
    from bot.chat.cards import duration

    hours = settings.business_hours
    if settings.reply_target_minutes:
        counted = "" if hours.always_open else " of business hours"
        yield (
            OK,
            f"Reminders: a mention unanswered after {duration(settings.reply_target_minutes * 60)}{counted} gets one nudge in its thread.",
        )
    else:
        yield OK, "Reminders are off (REPLY_TARGET_MINUTES=0)."
    if settings.digest_time:
        yield OK, f"Daily digest at {settings.digest_time:%H:%M} ({hours.tz.key}), with last week's numbers on Mondays."
    else:
        yield OK, "The daily digest is off (DIGEST_TIME=off)."


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


def _slack(settings: Settings):
    if not settings.slack_bot_token:
        yield (
            PROBLEM,
            "SLACK_BOT_TOKEN is not set: create the app from manifest.yml (see README), install it, and copy the Bot User OAuth Token (xoxb-…).",
        )
        return
    from slack_sdk.errors import SlackApiError

    from bot.chat.slack import describe, make_client

    client = make_client(settings.slack_bot_token, settings.slack_api_url)
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
        if settings.slack_app_token:  # the app-level token is separate: say whether it works too
            yield from _socket_mode(settings)
        return
    except OSError as exc:
        yield (
            PROBLEM,
            f"Could not reach Slack at {settings.slack_api_url} ({type(exc).__name__}). Check the network or SLACK_API_URL.",
        )
        return
    if settings.slack_app_token:
        yield from _socket_mode(settings)
    elif settings.slack_signing_secret:
        yield OK, f"HTTP mode: Slack must reach this server at https://<your-host>/slack/events (port {settings.port})."
    else:
        yield (
            PROBLEM,
            "Set SLACK_APP_TOKEN (Socket Mode, easiest) or SLACK_SIGNING_SECRET (HTTP mode) so buttons and /listen work.",
        )
    yield from _approvers(settings, client)
    if not settings.slack_channel:
        yield (
            PROBLEM,
            "SLACK_CHANNEL is not set: use the channel ID, like C0123456789 (channel name → About, at the bottom).",
        )
        return
    try:
        channel = client.conversations_info(channel=settings.slack_channel)["channel"]
    except SlackApiError as exc:
        yield PROBLEM, describe(exc, settings.slack_channel)
        return
    if channel.get("is_member"):
        yield OK, f"The bot is in #{channel.get('name')} and will post cards there."
    else:
        yield PROBLEM, f"The bot is not in #{channel.get('name')}. In that channel, type: /invite @Listening Post"


def _socket_mode(settings: Settings):
    """Opens (and drops) a Socket Mode connection URL with the app-level token, as `run` will."""
    from slack_sdk import WebClient
    from slack_sdk.errors import SlackApiError

    client = WebClient(token=settings.slack_app_token, base_url=settings.slack_api_url, timeout=15)
    try:
        client.apps_connections_open(app_token=settings.slack_app_token)
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
            f"Could not reach Slack at {settings.slack_api_url} to check SLACK_APP_TOKEN ({type(exc).__name__}). Check the network.",
        )
        return
    yield OK, "Socket Mode token works: buttons and /listen will reach the bot (no public URL needed)."


def _approvers(settings: Settings, client):
    from slack_sdk.errors import SlackApiError

    if not settings.reply_approvers:
        yield NOTE, "Anyone in the channel can send replies (set REPLY_APPROVERS to have staff replies approved first)."
        return
    names = []
    for user_id in sorted(settings.reply_approvers):
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


def _networks(settings: Settings):
    """Each network: off (and how to turn it on), its own check, or a real first read of what it would show."""
    from bot.models import SourceError

    for network in registry.networks():
        label, cfg = network.name, settings.networks.get(network.key)
        if cfg is None:
            yield NOTE, f"{label} is not set up ({network.setup}); nothing is read from {label}."
            continue
        if network.check is not None:
            yield from network.check(cfg)
            continue
        try:
            found = sum(len(page.mentions) for page in network.build(cfg).fetch({}))
        except SourceError as exc:
            yield PROBLEM, f"{label}: {exc}"
            continue
        yield (
            OK,
            f"{label} works: {found} recent mention{'s' if found != 1 else ''} to show on the first poll; "
            f"{network.replies(cfg)}.",
        )


@contextmanager
def quiet_libraries():
    """Doctor's output is its own plain lines: the libraries' log lines and warnings are kept out of it."""
    previous = logging.root.manager.disable
    logging.disable(logging.CRITICAL)
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            yield
    finally:
        logging.disable(previous)


def run(settings: Settings, out) -> int:
    problems = 0
    with quiet_libraries():
        for mark, sentence in checks(settings):
            problems += mark == PROBLEM
            print(f"{mark} {sentence}", file=out, flush=True)
    print(("All set." if not problems else f"{problems} thing(s) to fix before `python -m bot run`."), file=out)
    return 1 if problems else 0
