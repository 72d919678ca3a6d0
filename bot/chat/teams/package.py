"""The Teams app package (`python -m bot teams-package`): the manifest naming the bot, and its two icons, in one zip."""

from __future__ import annotations

import io
import json
import os
import uuid
import zipfile
from dataclasses import dataclass
from datetime import UTC, datetime
from importlib.resources import files
from pathlib import Path
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

# Only the settings module: the package is built before Teams' SDK (the `teams` extra) need be installed.
from bot.chat.teams.platform import GUID, TeamsSettings

if TYPE_CHECKING:
    from bot.config import Settings

# Generally available since July 2025, so every Teams client takes it; nothing here needs a newer one.
# https://learn.microsoft.com/microsoftteams/platform/resources/schema/manifest-schema
MANIFEST_VERSION = "1.23"
SCHEMA = f"https://developer.microsoft.com/json-schemas/teams/v{MANIFEST_VERSION}/MicrosoftTeams.schema.json"
DEFAULT_OUT = Path("listening-post-teams.zip")
# Teams shows the maker's website, privacy policy and terms of use on the app's details page and
# requires all three as https addresses; without --website, a reserved placeholder that belongs to no one.
DEFAULT_WEBSITE = "https://www.example.com"
NAME = "Listening Post"  # also the name people type after @ to ask the bot something
ACCENT = "#2C3E50"  # the colour icon's background, and the Slack app's colour
ICONS = ("color.png", "outline.png")  # 192×192 full colour; 32×32 white on transparent
# The app's id, derived from the bot's: every package for one bot is the same app, so Teams updates it in
# place instead of adding a second app for the same bot (which Microsoft warns against), and nothing need be
# stored. Never change the namespace: every app id made before would change with it.
APP_ID_NAMESPACE = uuid.uuid5(uuid.NAMESPACE_URL, "listening-post:teams-app")
# RSC: the team owner who adds the app lets the bot read that team's channel messages, so a card Teams
# never confirmed is looked for before it is posted again (bot/chat/teams/history.py).
RSC_PERMISSIONS = ({"name": "ChannelMessage.Read.Group", "type": "Application"},)
# RSC needs webApplicationInfo with a `resource`, which it does not use; Microsoft's RSC example's value.
RSC_RESOURCE = "https://RscBasedStoreApp"

# What the bot answers (handlers/commands.py, and whoami in listeners.py), as Teams' command menu
# lists them: at most 10, each title at most 32 characters and its description at most 128.
COMMANDS = (
    ("stats", "Mentions, reply rate, response times and mood; add today, 7d, 30d or 90d, like stats 30d"),
    ("queue", "What still waits for an answer, oldest first"),
    ("leaders", "Who answered, how many and how fast; add a period, like leaders 30d"),
    ("chart", "A picture of mentions per day by mood, with the median response time"),
    ("sources", "Each network: on or off, its last good poll, mentions this week, its last problem"),
    ("status", "Cards waiting to be posted, and when each network last answered"),
    ("held", "Mentions held back as spam; post <id> lets one through"),
    ("facts", "What suggested replies know about the business"),
    ("whoami", "Your ID, for REPLY_APPROVERS"),
    ("help", "Everything you can ask"),
)
SHORT_DESCRIPTION = "What people say about your business, as cards your team answers."


class PackageError(ValueError):
    """The package cannot be built as asked; the message says what to do instead."""


@dataclass(frozen=True)
class Written:
    path: Path
    app_id: str
    version: str
    bot_id: str
    website: str


def now() -> datetime:
    return datetime.now(UTC)


def app_id(client_id: str) -> str:
    """The Teams app's id: the same for the same bot every time, another for another bot."""
    return str(uuid.uuid5(APP_ID_NAMESPACE, client_id.strip().lower()))


def app_version(at: datetime) -> str:
    """The time of the build as MAJOR.MINOR.PATCH (2026.1115.93045 at 09:30:45 UTC on 15 November 2026).

    Teams updates an uploaded app only from a package with a higher version, so each build is
    newer than the last without anyone keeping count. Each part stays a plain number well under
    2^31 (Teams keeps versions as numbers), with no leading zero (semver forbids one).
    """
    at = at.astimezone(UTC)
    return f"{at.year}.{at.month * 100 + at.day}.{at.hour * 10000 + at.minute * 100 + at.second}"


def manifest(client_id: str, business: str, website: str, at: datetime) -> dict[str, Any]:
    maker = business or NAME
    if len(maker) > 32:  # Teams' limit for the developer's name
        maker = maker[:31].rstrip() + "…"
    whose = business or "your business"
    full = (
        "Listening Post watches Google reviews, Facebook, Instagram, X, Mastodon, Bluesky, Reddit and news and "
        f"review feeds for what people say about {whose}, and brings each mention into a channel as a card: who said it, what they said, whether "
        "they are happy, asking something or complaining, and replies you could send. Claim a card, reply from "
        "it, or mark it as needing no reply; the team's numbers come from what it does. Mention the bot with "
        "stats, queue, leaders, chart, sources or help to ask it something. It reads its own team's channel "
        "messages only to make sure it never posts a card twice."
    )
    return {
        "$schema": SCHEMA,
        "manifestVersion": MANIFEST_VERSION,
        "version": app_version(at),
        "id": app_id(client_id),
        "developer": {"name": maker, "websiteUrl": website, "privacyUrl": website, "termsOfUseUrl": website},
        "name": {"short": NAME, "full": f"{NAME} for {business}" if business else NAME},
        "description": {"short": SHORT_DESCRIPTION, "full": full},
        "icons": {"color": ICONS[0], "outline": ICONS[1]},
        "accentColor": ACCENT,
        "bots": [
            {
                "botId": client_id,
                "scopes": ["team", "personal"],
                "isNotificationOnly": False,
                "supportsFiles": False,
                "commandLists": [
                    {
                        "scopes": ["team", "personal"],
                        "commands": [{"title": title, "description": about} for title, about in COMMANDS],
                    }
                ],
            }
        ],
        # "Add to a team" is what a person is offered first: a team's channel is where the cards go.
        "defaultInstallScope": "team",
        "authorization": {"permissions": {"resourceSpecific": [dict(p) for p in RSC_PERMISSIONS]}},
        "webApplicationInfo": {"id": client_id, "resource": RSC_RESOURCE},
        # Nothing opens inside Teams from a web address (no tabs; the reply dialog is a card).
        "validDomains": [],
    }


def icon(name: str) -> bytes:
    return files("bot.chat.teams").joinpath(name).read_bytes()  # shipped as package data (pyproject.toml)


def build(client_id: str, business: str, website: str, at: datetime) -> bytes:
    """The zip Teams takes: manifest.json and the two icons at its top level, nothing else."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as z:
        text = json.dumps(manifest(client_id, business, website, at), indent=2, ensure_ascii=False) + "\n"
        z.writestr("manifest.json", text.encode("utf-8"))  # UTF-8 without a BOM, as Teams reads it
        for name in ICONS:
            z.writestr(name, icon(name))
    return buffer.getvalue()


def client_id_of(settings: Settings) -> str:
    cfg = settings.chats.get("teams")
    client_id = cfg.client_id if isinstance(cfg, TeamsSettings) else ""
    if not client_id:
        raise PackageError(
            "TEAMS_CLIENT_ID is not set, and the Teams app names its bot by that ID. Put the bot's ID in .env as "
            "TEAMS_CLIENT_ID=… (Teams Developer Portal → Tools → Bot management lists it; it is also the "
            "Application (client) ID on the bot's page in entra.microsoft.com → App registrations), then run "
            "python -m bot teams-package again. README → Microsoft Teams says how to make the bot."
        )
    if not GUID.match(client_id):  # load() refuses it first; kept so the package never names a non-bot
        raise PackageError(
            "TEAMS_CLIENT_ID must be the bot's ID, a GUID like 8f6d0b9e-1c2d-4e5f-9a8b-7c6d5e4f3a2b "
            "(Teams Developer Portal → Tools → Bot management lists it)."
        )
    return client_id


def website_of(raw: str | None) -> str:
    if raw is None:
        return DEFAULT_WEBSITE
    text = raw.strip()
    parts = urlsplit(text)
    if parts.scheme.lower() != "https" or not parts.hostname or any(c.isspace() for c in text) or len(text) > 2048:
        raise PackageError(
            f"--website must be your website's address starting with https://, like --website https://bramble.example "
            f"(it is '{text[:60]}')."
        )
    return text


def out_path(raw: Path | None) -> Path:
    path = (raw or DEFAULT_OUT).expanduser()
    if path.is_dir():
        return path / DEFAULT_OUT.name
    if path.suffix.lower() != ".zip":
        raise PackageError(
            f"--out {path} does not end in .zip; Teams uploads the package as a .zip file, like --out {path.with_suffix('.zip')}."
        )
    return path


def write(settings: Settings, out: Path | None = None, website: str | None = None) -> Written:
    """Build the package from the settings and write it, whole or not at all."""
    client_id = client_id_of(settings)
    site = website_of(website)
    path = out_path(out)
    at = now()
    data = build(client_id, settings.business_name, site, at)
    # Written beside it, then renamed: an interrupted write never leaves half a zip where the last one was.
    partial = path.with_name(f".{path.name}.partial")
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        try:
            partial.write_bytes(data)
            os.replace(partial, path)
        except BaseException:
            partial.unlink(missing_ok=True)
            raise
    except OSError as exc:
        raise PackageError(
            f"Could not write {path} ({exc.strerror or type(exc).__name__}). Choose a file in a folder you can "
            f"write to, like --out {DEFAULT_OUT}."
        ) from None
    return Written(path, app_id(client_id), app_version(at), client_id, site)


def next_steps(written: Written) -> str:
    """What the person does with the zip, in order, in plain words."""
    lines = [
        f"Wrote {written.path}: the Teams app {NAME}, version {written.version}, for the bot {written.bot_id}.",
        "",
        "Next:",
        "  1. Start Listening Post where Teams can reach it (python -m bot run), with the bot's messaging endpoint",
        "     set to https://<your public address>/api/messages (README → Microsoft Teams).",
        f"  2. In Teams: Apps → Manage your apps → Upload an app → Upload a custom app, and choose {written.path.name}.",
        "  3. Choose Add to a team and pick the team for the cards. A team owner allows what the app asks: reading",
        "     that team's channel messages, so Listening Post never posts a card twice. It then says hello there.",
        "  4. Check everything with: python -m bot doctor",
        "",
        'No "Upload a custom app" in Teams? A Teams admin turns it on: Teams admin center → Teams apps → Setup',
        "policies → Upload custom apps, and Manage apps → Org-wide app settings → custom apps.",
        "Build and upload a new package whenever you like: it is the same app with a higher version, so Teams",
        "updates the app you already have.",
    ]
    if written.website == DEFAULT_WEBSITE:
        lines.append(
            f"The app's details in Teams link to {DEFAULT_WEBSITE}; to show your own site: "
            "python -m bot teams-package --website https://your-site.example"
        )
    return "\n".join(lines)
