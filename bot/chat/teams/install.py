"""Where Teams cards go: the team channel the bot learns when it is added to a team, forgotten when it is removed.

Teams has no channel setting to type in: when someone adds the app to a team, Teams tells the bot
the team's channel (its conversation id) and the address to post there (the service URL).
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from microsoft_teams.apps import App

Learned = Callable[[str, str, str, str, str], None]  # (channel, address, team id, team name, group id)
Removed = Callable[[str], None]  # (team id)


def listen_for_installs(
    app: App, learned: Learned, removed: Removed, ours: Callable[[Any], bool] = lambda activity: True
) -> None:
    """Call `learned` when the bot is added to a team and `removed` when it is taken out of one.

    `ours(activity)`: whether it comes from the bot's own organization; one from elsewhere is ignored, so
    nobody outside can move the cards to a team of theirs (or stop them) by adding or removing the bot.
    """
    from microsoft_teams.api import ConversationUpdateActivity
    from microsoft_teams.apps import ActivityContext

    @app.on_conversation_update
    async def on_update(ctx: ActivityContext[ConversationUpdateActivity]) -> None:
        activity = ctx.activity
        team = activity.channel_data.team if activity.channel_data else None
        if team is None or not team.id or activity.conversation.conversation_type != "channel":
            return  # a personal or group chat: no team channel to learn
        bot = activity.recipient.id
        added = any(member.id == bot for member in activity.members_added or []) and bool(activity.service_url)
        gone = any(member.id == bot for member in activity.members_removed or [])
        if not (added or gone) or not ours(activity):
            return
        # On a thread: storage waits on SQLite's lock, and a welcome sent from here waits on this loop.
        if added:
            await asyncio.to_thread(
                learned,
                activity.conversation.id,
                str(activity.service_url),
                team.id,
                team.name or "",
                team.aad_group_id or "",
            )
        else:
            await asyncio.to_thread(removed, team.id)
