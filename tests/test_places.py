"""Channels a chat platform told the bot about: the latest one learned and not left is where its cards go."""

from __future__ import annotations

from storage import places


def test_the_channel_learned_last_is_used_and_a_team_left_is_not(db):
    places.learn_place(
        db, "teams", "19:cafe@thread.tacv2", "https://smba.example/emea/", "19:cafe@thread.tacv2", "Café"
    )
    places.learn_place(
        db, "teams", "19:shop@thread.tacv2", "https://smba.example/amer/", "19:shop@thread.tacv2", "Shop"
    )

    assert places.current_place(db, "teams").channel == "19:shop@thread.tacv2"
    assert places.current_place(db, "slack") is None

    places.leave_team(db, "teams", "19:shop@thread.tacv2")
    assert places.current_place(db, "teams").address == "https://smba.example/emea/"

    places.learn_place(
        db, "teams", "19:shop@thread.tacv2", "https://smba.example/apac/", "19:shop@thread.tacv2", "Shop"
    )
    back = places.current_place(db, "teams")
    assert (back.channel, back.address) == ("19:shop@thread.tacv2", "https://smba.example/apac/")
