"""Microsoft Teams as a chat platform: its settings, checked, and its declaration (the SDK is imported only where it is used)."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from bot.config import Reader, shown
from bot.platforms import Backend, ChatPlatform, Check, Inbound

if TYPE_CHECKING:
    import sqlite_utils

    from bot.chat.teams.sink import TeamsSink
    from bot.config import Settings

LOGIN_URL = "https://login.microsoftonline.com"
GRAPH_URL = "https://graph.microsoft.com/v1.0"
PORT = 3978  # Bot Framework's usual port, the one Microsoft's guides and dev tunnels use
GUID = re.compile(r"^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$")
WHERE = "the bot's Overview page in Entra (entra.microsoft.com → App registrations → your bot)"
EXTRA = 'Teams needs its extra: pip install ".[teams]" (or pip install -r requirements-teams.txt).'


@dataclass(frozen=True)
class TeamsSettings:
    client_id: str = ""
    client_secret: str = field(default="", repr=False)
    tenant_id: str = ""
    port: int = PORT
    login_url: str = LOGIN_URL
    keys_url: str = ""  # where Teams' signing keys are read; "" is Microsoft's own
    graph_url: str = GRAPH_URL
    post_interval: float = 1.0  # seconds between cards: Teams allows about one message a second per channel


def read_settings(r: Reader) -> TeamsSettings | None:
    client_id = r.one(
        "TEAMS_CLIENT_ID", GUID.pattern, f"TEAMS_CLIENT_ID must be the Application (client) ID, a GUID, from {WHERE}"
    )
    tenant_id = r.one(
        "TEAMS_TENANT_ID", GUID.pattern, f"TEAMS_TENANT_ID must be the Directory (tenant) ID, a GUID, from {WHERE}"
    )
    secret = r.get("TEAMS_CLIENT_SECRET")
    # A platform's host (Heroku, Render…) gives one port in PORT; Teams listens there unless told otherwise.
    port = r.number("TEAMS_PORT", r.number("PORT", PORT, int, 1, 65535), int, 1, 65535)
    cfg = TeamsSettings(
        client_id=client_id,
        client_secret=secret,
        tenant_id=tenant_id,
        port=port,
        login_url=r.url("TEAMS_LOGIN_URL", LOGIN_URL).rstrip("/"),
        keys_url=r.url("TEAMS_KEYS_URL", "", "https://login.botframework.com/v1/.well-known/openidconfiguration"),
        graph_url=r.url("TEAMS_GRAPH_URL", GRAPH_URL).rstrip("/"),
        post_interval=r.number("TEAMS_POST_INTERVAL_SECONDS", 1.0, float, 0, 60, " (a minute)"),
    )
    if not (client_id or secret or tenant_id):
        return None
    if client_id and secret and GUID.match(secret):
        r.problem(
            "TEAMS_CLIENT_SECRET looks like an ID (a GUID), not a secret: in Entra → App registrations → your bot → "
            "Certificates & secrets, copy the secret's Value, not its Secret ID."
        )
    if client_id and tenant_id and client_id.lower() == tenant_id.lower():
        r.problem(f"TEAMS_CLIENT_ID and TEAMS_TENANT_ID are the same ('{shown(client_id)}'); {WHERE} shows both.")
    return cfg


def missing(cfg: TeamsSettings | None, serving: bool) -> list[str]:
    """What `run` and `poll` need from Teams that is not set, each as an instruction."""
    cfg = cfg or TeamsSettings()
    wanted = {
        "TEAMS_CLIENT_ID": (cfg.client_id, f"the Application (client) ID from {WHERE}"),
        "TEAMS_CLIENT_SECRET": (
            cfg.client_secret,
            "a client secret's Value (App registrations → your bot → Certificates & secrets)",
        ),
        "TEAMS_TENANT_ID": (cfg.tenant_id, f"the Directory (tenant) ID from {WHERE}"),
    }
    problems = [f"{name} is not set ({where})." for name, (value, where) in wanted.items() if not value]
    if not problems:
        from importlib.util import find_spec

        if find_spec("microsoft_teams") is None:
            problems.append(EXTRA)
    return problems


def sink(cfg: TeamsSettings, open_db: Callable[[], sqlite_utils.Database]) -> TeamsSink:
    from bot.chat.teams.sink import make_sink

    return make_sink(cfg, open_db)


def open_inbound(cfg: TeamsSettings, settings: Settings, card_sink, backend: Backend) -> Inbound:
    from bot.chat.teams.inbound import open_inbound

    return open_inbound(cfg, card_sink, backend)


def check(cfg: TeamsSettings | None, settings: Settings) -> Iterator[Check]:
    from bot.chat.teams.doctor import checks

    return checks(cfg, settings)


PLATFORM = ChatPlatform(
    key="teams",
    name="Microsoft Teams",
    read=read_settings,
    secrets=("TEAMS_CLIENT_SECRET",),
    missing=missing,
    sink=sink,
    open=open_inbound,
    check=check,
    member_id=GUID,
    member_ids="Teams people's object IDs (GUIDs)",
    member_id_help="In Teams: type @Listening Post whoami in the channel; it answers with your ID.",
)
