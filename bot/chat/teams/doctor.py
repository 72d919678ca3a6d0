"""Doctor's checks for Teams: the settings, the bot's sign-in at Microsoft, and the team channel it learned."""

from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING

from bot.chat.teams.platform import TeamsSettings, missing
from bot.models import NOTE, OK, PROBLEM, Check

if TYPE_CHECKING:
    from bot.config import Settings


def checks(cfg: TeamsSettings | None, settings: Settings) -> Iterator[Check]:
    """The settings, a real sign-in (the token Teams needs), and whether a team channel is known."""
    problems = missing(cfg, True)
    if cfg is None or problems:
        for problem in problems:
            yield PROBLEM, problem
        return
    from bot.chat.teams.history import GRAPH_SCOPE
    from bot.chat.teams.token import BOT_SCOPE, BotToken, SignInError

    token = BotToken(cfg.client_id, cfg.client_secret, cfg.tenant_id, login_url=cfg.login_url)
    try:
        token(BOT_SCOPE)
        yield (
            OK,
            "Teams: the bot signs in at Microsoft (TEAMS_CLIENT_ID, TEAMS_CLIENT_SECRET and TEAMS_TENANT_ID work).",
        )
    except SignInError as exc:
        yield PROBLEM, f"Teams: {exc}"
        return
    try:
        token(GRAPH_SCOPE)
    except SignInError as exc:
        yield PROBLEM, f"Teams: the bot cannot sign in to read its channel through Microsoft Graph: {exc}"
    yield from _channel(settings)
    yield (
        NOTE,
        f"Teams sends button presses and commands to https://<your public address>/api/messages, on port {cfg.port} "
        "here: the bot's messaging endpoint (Azure Bot → Configuration, or Teams Developer Portal → Bot management) "
        "must be that address.",
    )


def _channel(settings: Settings) -> Iterator[Check]:
    from storage import DatabaseFile, DatabaseProblem, places

    try:
        db = DatabaseFile(settings.database_path).open()
    except DatabaseProblem as exc:
        yield PROBLEM, str(exc)
        return
    try:
        place = places.current_place(db, "teams")
    finally:
        db.close()
    if place is None:
        yield (
            PROBLEM,
            "Teams: no team channel yet. Run python -m bot teams-package, upload the zip in Teams (Apps → Manage "
            "your apps → Upload an app), then add the app to a team while Listening Post is running.",
        )
    else:
        yield (
            OK,
            f"Teams: cards go to the team {place.name or place.team} (learned {place.learned_at:%Y-%m-%d %H:%M} UTC).",
        )
