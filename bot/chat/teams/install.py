"""Where Teams cards go: the team channel the bot learns when it is added to a team, forgotten when it is removed.

Teams has no channel setting to type in: when someone adds the app to a team, Teams tells the bot
the team's channel (its conversation id) and the address to post there (the service URL).
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from microsoft_teams.apps import App

Learned = Callable[[str, str, str, str, str], None]  # (channel, address, team id, team name, group id)
Removed = Callable[[str], None]  # (team id)


def listen_for_installs(app: App, learned: Learned, removed: Removed) -> None:
    """Call `learned` when the bot is added to a team and `removed` when it is taken out of one."""
    from microsoft_teams.api import ConversationUpdateActivity
    from microsoft_teams.apps import ActivityContext

    @app.on_conversation_update
    async def on_update(ctx: ActivityContext[ConversationUpdateActivity]) -> None:
        activity = ctx.activity
        team = activity.channel_data.team if activity.channel_data else None
        if team is None or not team.id or activity.conversation.conversation_type != "channel":
            return  # a personal or group chat: no team channel to learn
        bot = activity.recipient.id
        # On a thread: storage waits on SQLite's lock, and a welcome sent from here waits on this loop.
        if any(member.id == bot for member in activity.members_added or []) and activity.service_url:
            await asyncio.to_thread(
                learned,
                activity.conversation.id,
                activity.service_url,
                team.id,
                team.name or "",
                team.aad_group_id or "",
            )
        elif any(member.id == bot for member in activity.members_removed or []):
            await asyncio.to_thread(removed, team.id)
