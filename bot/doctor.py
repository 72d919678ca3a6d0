"""`python -m bot doctor`: checks settings and connections and says what is wrong in plain words."""

from __future__ import annotations

import logging
import warnings
from collections.abc import Iterator
from contextlib import contextmanager

from bot import wiring
from bot.config import ConfigError, Settings, networks

OK, PROBLEM, NOTE = "✓", "✗", "•"


def checks(settings: Settings) -> Iterator[tuple[str, str]]:
    """Yield (mark, sentence) pairs; any PROBLEM means the service will not work as set up."""
    for check in (_storage, _templates, _schedule, _slack, _x, _other_networks, _any_network):
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


# Where the README says how to turn each network on.
README_NETWORKS = "README → “2. Connect X” and “2c. Mastodon, Bluesky, Reddit and RSS”"


def _any_network(settings: Settings):
    if not settings.any_source:
        yield (
            PROBLEM,
            (
                "No network is set up, so there is nothing to listen to. Set up at least one: X (X_BEARER_TOKEN and "
                "X_USERNAME), Mastodon, Bluesky, Reddit or RSS_FEEDS; " + README_NETWORKS + " say where to find each."
            ),
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


def _x(settings: Settings):
    if not settings.x_enabled:
        yield NOTE, "X is not set up (X_BEARER_TOKEN and X_USERNAME); no mentions will be read from X."
        return
    from bot.models import SourceError
    from bot.sources.x import explain, lookup_account, make_client

    client = make_client(settings.x_bearer_token, settings.x_api_url)
    try:
        user = lookup_account(client, settings.x_username)
    except SourceError as exc:
        yield PROBLEM, str(exc)
        return
    except Exception as exc:  # explain() turns tweepy and network errors into words
        yield PROBLEM, str(explain(exc, settings.x_api_url, settings.x_username))
        return
    yield (
        OK,
        f"X works: listening for mentions of @{user['username']}"
        + (f" and posts matching “{settings.x_search_query}”." if settings.x_search_query else "."),
    )
    yield from _x_posting(settings)


REPLIES = {
    "mastodon": "replies sent from Slack are posted on Mastodon, addressed to the author",
    "bluesky": "replies sent from Slack are posted on Bluesky as replies in the thread",
    "reddit": "replies sent from Slack are posted on Reddit as comments",
    "rss": "a feed cannot be answered from here; its cards say where to answer",
}


def _other_networks(settings: Settings):
    """Each network but X: off (and how to turn it on), or a real first read of what it would show."""
    from bot.chat.cards import network_name
    from bot.models import SourceError

    states = networks(settings)
    built = {source.name: source for source in wiring.sources(settings)}
    for name, how_to_enable in states.items():
        label = network_name(name)
        if name == "x":
            continue
        if how_to_enable:
            yield NOTE, f"{label} is not set up ({how_to_enable}); nothing is read from {label}."
            continue
        try:
            found = sum(len(page.mentions) for page in built[name].fetch({}))
        except SourceError as exc:
            yield PROBLEM, f"{label}: {exc}"
            continue
        replies = (
            REPLIES[name]
            if name != "reddit" or settings.reddit_can_reply
            else (
                "replies on Reddit are recorded by hand (set REDDIT_USERNAME and REDDIT_PASSWORD to send them from Slack)"
            )
        )
        yield (
            OK,
            f"{label} works: {found} recent mention{'s' if found != 1 else ''} to show on the first poll; {replies}.",
        )


def _x_posting(settings: Settings):
    if not settings.x_can_reply:
        yield (
            NOTE,
            (
                "Replies are not posted from Slack (X_API_KEY, X_API_SECRET, X_ACCESS_TOKEN, X_ACCESS_TOKEN_SECRET not set); "
                "the reply form records replies your team makes on X by hand."
            ),
        )
        return
    import tweepy

    from bot.sources.x import explain, make_client

    client = make_client("", settings.x_api_url, **settings.x_posting_keys)
    try:
        me = client.get_me(user_auth=True)["data"]
    except tweepy.Unauthorized:
        yield (
            PROBLEM,
            "X rejected the keys for posting replies (401): check X_API_KEY, X_API_SECRET, X_ACCESS_TOKEN and X_ACCESS_TOKEN_SECRET.",
        )
        return
    except Exception as exc:  # explain() turns tweepy and network errors into words
        yield PROBLEM, str(explain(exc, settings.x_api_url, settings.x_username))
        return
    if me["username"].lower() != settings.x_username.lower():
        yield (
            PROBLEM,
            (
                f"The posting keys belong to @{me['username']}, not @{settings.x_username}: replies would come from the wrong "
                f"account. Make the access token while logged in to X as @{settings.x_username}."
            ),
        )
        return
    yield OK, f"Replies sent from Slack will be posted on X as @{me['username']}."


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
