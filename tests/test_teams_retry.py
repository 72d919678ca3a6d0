"""Teams' 429s are waited out as Teams asks; a new message that met a 5xx is never sent twice; an update is."""

from __future__ import annotations

from importlib.util import find_spec

import httpx
import pytest

# Only the worker that runs these imports Teams' SDK (2 s): they share one (`--dist loadgroup`).
pytestmark = [
    pytest.mark.skipif(
        find_spec("microsoft_teams") is None, reason="Teams' SDK is the `teams` extra (requirements-teams.txt)"
    ),
    pytest.mark.xdist_group("teams"),
]

from bot.chat.teams.retry import LONGEST_WAIT  # noqa: E402
from tests.fakes.server import Reply  # noqa: E402
from tests.fakes.teams_api import message_input  # noqa: E402

CHANNEL = "19:c0ffee0000000000000000000000000@thread.tacv2"
THROTTLED = {"error": {"code": "TooManyRequests", "message": "Too many requests, please retry later."}}


def test_a_card_throttled_twice_is_posted_once_after_the_waits_teams_asked_for(teams, connector):
    connector.fail_next(
        "/activities", Reply(429, THROTTLED, {"Retry-After": "2"}), Reply(429, THROTTLED, {"Retry-After": "3"})
    )

    sent = teams.call(teams.app.send(CHANNEL, message_input(text="A card")))

    assert [a["id"] for a in connector.activities] == [sent.id]
    assert teams.waits == [2.0, 3.0] and len(connector.calls("/activities")) == 3


def test_a_new_message_that_met_a_server_error_is_not_sent_again(teams, connector):
    connector.fail_next("/activities", Reply(502, {"error": {"code": "BadGateway", "message": "Bad gateway"}}))

    with pytest.raises(httpx.HTTPStatusError):
        teams.call(teams.app.send(CHANNEL, message_input(text="A card")))

    assert len(connector.calls("/activities")) == 1 and teams.waits == []


def test_an_update_that_met_a_server_error_is_sent_again(teams, connector):
    sent = teams.call(teams.app.send(CHANNEL, message_input(text="Before")))
    connector.fail_next("/activities/", Reply(503, {"error": {"code": "ServiceUnavailable", "message": "Busy"}}))

    teams.call(teams.app.api.conversations.update_activity(CHANNEL, sent.id, message_input(text="After")))

    assert connector.activities[-1]["text"] == "After" and connector.activities[-1]["updated"]
    assert teams.waits == [1.0]


def test_a_wait_longer_than_half_a_minute_is_left_to_the_next_try(teams, connector):
    connector.fail_next("/activities", Reply(429, THROTTLED, {"Retry-After": str(int(LONGEST_WAIT) + 30)}))

    with pytest.raises(httpx.HTTPStatusError):
        teams.call(teams.app.send(CHANNEL, message_input(text="A card")))

    assert teams.waits == [] and connector.activities == []
