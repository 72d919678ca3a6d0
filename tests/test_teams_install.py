"""The Teams channel is learned when the bot is added to a team (signed by Teams), and left when it is removed."""

from __future__ import annotations

from importlib.util import find_spec

import pytest

# Only the worker that runs these imports Teams' SDK (2 s): they share one (`--dist loadgroup`).
pytestmark = [
    pytest.mark.skipif(
        find_spec("microsoft_teams") is None, reason="Teams' SDK is the `teams` extra (requirements-teams.txt)"
    ),
    pytest.mark.xdist_group("teams"),
]

from bot.chat.teams.install import listen_for_installs  # noqa: E402
from storage import open_db, places  # noqa: E402
from tests.fakes.teams_api import CLIENT_ID, TENANT_ID  # noqa: E402

TEAM = "19:b7a1c0ffee1234567890abcdef012345@thread.tacv2"  # a team's General channel has the team's id


def listen(teams, database) -> None:
    """Learn and leave through storage, on a connection of the SDK's own thread (one per thread)."""

    def on_own_connection(write):
        def run(*args):
            db = open_db(database)
            try:
                write(db, *args)
            finally:
                db.close()

        return run

    listen_for_installs(
        teams.app,
        on_own_connection(
            lambda db, channel, address, team, name, group: places.learn_place(
                db, "teams", channel, address, team, name, group
            )
        ),
        on_own_connection(lambda db, team: places.leave_team(db, "teams", team)),
    )


def team_update(connector, change: str, by: str = "29:owner") -> dict:
    """A conversationUpdate as Teams sends it when the bot is added to (or removed from) a team."""
    bot = {"id": f"28:{CLIENT_ID}", "name": "Listening Post"}
    return {
        "type": "conversationUpdate",
        "id": "f:1234567890",
        "timestamp": "2026-12-02T09:00:00.000Z",
        "channelId": "msteams",
        "serviceUrl": connector.service_url,
        "from": {"id": by, "aadObjectId": "aad-owner"},
        "recipient": bot,
        "conversation": {"isGroup": True, "conversationType": "channel", "tenantId": TENANT_ID, "id": TEAM},
        "membersAdded" if change == "added" else "membersRemoved": [{"id": bot["id"]}],
        "channelData": {
            "team": {"aadGroupId": "aad-team", "name": "Bramble Café", "id": TEAM},
            "eventType": "teamMemberAdded" if change == "added" else "teamMemberRemoved",
            "tenant": {"id": TENANT_ID},
        },
    }


def test_the_channel_is_learned_when_the_bot_joins_a_team_and_left_when_it_is_removed(teams, connector, settings, db):
    listen(teams, settings.database_path)
    signed = {"Authorization": f"Bearer {connector.sign()}"}

    assert teams.handle(team_update(connector, "added"), {})[0] == 401  # unsigned: nothing learned
    assert places.current_place(db, "teams") is None

    assert teams.handle(team_update(connector, "added"), signed)[0] == 200
    place = places.current_place(db, "teams")
    assert place is not None
    assert (place.channel, place.address, place.team, place.name, place.group_id) == (
        TEAM,
        connector.service_url,
        TEAM,
        "Bramble Café",
        "aad-team",
    )

    assert teams.handle(team_update(connector, "removed"), signed)[0] == 200
    assert places.current_place(db, "teams") is None

    assert teams.handle(team_update(connector, "added"), signed)[0] == 200  # added back: posted to again
    assert places.current_place(db, "teams") is not None


def test_someone_else_joining_the_team_changes_nothing(teams, connector, settings, db):
    listen(teams, settings.database_path)
    update = team_update(connector, "added")
    update["membersAdded"] = [{"id": "29:new-colleague"}]

    assert teams.handle(update, {"Authorization": f"Bearer {connector.sign()}"})[0] == 200
    assert places.current_place(db, "teams") is None
