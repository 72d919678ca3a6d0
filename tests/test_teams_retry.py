"""Teams' 429s are waited out as Teams asks; a new message that met a 5xx is never sent twice; an update is."""

from __future__ import annotations

import httpx
import pytest

pytest.importorskip("microsoft_teams.apps", reason="Teams' SDK is the `teams` extra (requirements-teams.txt)")

from microsoft_teams.api import MessageActivityInput  # noqa: E402

from bot.chat.teams.retry import LONGEST_WAIT  # noqa: E402
from tests.fakes.server import Reply  # noqa: E402

CHANNEL = "19:c0ffee0000000000000000000000000@thread.tacv2"
THROTTLED = {"error": {"code": "TooManyRequests", "message": "Too many requests, please retry later."}}


def test_a_card_throttled_twice_is_posted_once_after_the_waits_teams_asked_for(teams, connector):
    connector.fail_next(
        "/activities", Reply(429, THROTTLED, {"Retry-After": "2"}), Reply(429, THROTTLED, {"Retry-After": "3"})
    )

    sent = teams.call(teams.app.send(CHANNEL, MessageActivityInput(text="A card")))

    assert [a["id"] for a in connector.activities] == [sent.id]
    assert teams.waits == [2.0, 3.0] and len(connector.calls("/activities")) == 3


def test_a_new_message_that_met_a_server_error_is_not_sent_again(teams, connector):
    connector.fail_next("/activities", Reply(502, {"error": {"code": "BadGateway", "message": "Bad gateway"}}))

    with pytest.raises(httpx.HTTPStatusError):
        teams.call(teams.app.send(CHANNEL, MessageActivityInput(text="A card")))

    assert len(connector.calls("/activities")) == 1 and teams.waits == []


def test_an_update_that_met_a_server_error_is_sent_again(teams, connector):
    sent = teams.call(teams.app.send(CHANNEL, MessageActivityInput(text="Before")))
    connector.fail_next("/activities/", Reply(503, {"error": {"code": "ServiceUnavailable", "message": "Busy"}}))

    teams.call(teams.app.api.conversations.update_activity(CHANNEL, sent.id, MessageActivityInput(text="After")))

    assert connector.activities[-1]["text"] == "After" and connector.activities[-1]["updated"]
    assert teams.waits == [1.0]


def test_a_wait_longer_than_half_a_minute_is_left_to_the_next_try(teams, connector):
    connector.fail_next("/activities", Reply(429, THROTTLED, {"Retry-After": str(int(LONGEST_WAIT) + 30)}))

    with pytest.raises(httpx.HTTPStatusError):
        teams.call(teams.app.send(CHANNEL, MessageActivityInput(text="A card")))

    assert teams.waits == [] and connector.activities == []
