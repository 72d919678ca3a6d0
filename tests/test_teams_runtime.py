"""The Teams SDK run from our threads, against a fake Bot Connector and Entra: a card reaches the channel,
and a request reaches a handler only when Teams signed it (keys made by the test)."""

from __future__ import annotations

import os
from importlib.util import find_spec

import pytest

# Only the worker that runs these imports Teams' SDK (2 s): they share one (`--dist loadgroup`).
pytestmark = [
    pytest.mark.skipif(
        find_spec("microsoft_teams") is None, reason="Teams' SDK is the `teams` extra (requirements-teams.txt)"
    ),
    pytest.mark.xdist_group("teams"),
]

from cryptography.hazmat.primitives.asymmetric import rsa  # noqa: E402

from bot.chat.teams import cards  # noqa: E402
from tests.fakes.teams_api import CLIENT_ID, TENANT_ID, message_input  # noqa: E402
from tests.test_teams_cards import TRIAGE, mention  # noqa: E402

CHANNEL = "19:c0ffee0000000000000000000000000@thread.tacv2"


def test_a_card_sent_to_the_channel_is_the_card_teams_shows(teams, connector):
    card = cards.card(mention(), TRIAGE)

    sent = teams.call(teams.app.send(CHANNEL, message_input().add_card(card)))

    [posted] = connector.activities
    assert sent.id == posted["id"] and posted["conversation_id"] == CHANNEL
    assert posted["attachments"][0]["content"] == card
    [asked] = connector.calls("/activities")
    assert asked.headers["Authorization"].startswith("Bearer ey")  # the token from Entra, not a secret


def message(connector, text: str = "<at>Listening Post</at> stats 30d") -> dict:
    return {
        "type": "message",
        "id": "1700000000001",
        "channelId": "msteams",
        "serviceUrl": connector.service_url,
        "from": {"id": "29:maria", "name": "Maria", "aadObjectId": "aad-maria"},
        "recipient": {"id": f"28:{CLIENT_ID}", "name": "Listening Post"},
        "conversation": {"id": CHANNEL, "conversationType": "channel", "tenantId": TENANT_ID, "isGroup": True},
        "channelData": {"tenant": {"id": TENANT_ID}, "channel": {"id": CHANNEL}},
        "text": text,
    }


def test_only_a_request_teams_signed_reaches_the_bot(teams, connector):
    heard: list[str] = []

    @teams.app.on_message
    async def on_message(ctx):
        heard.append(ctx.activity.text)

    other_key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    forged = {
        "unsigned": {},
        "another key": {"Authorization": f"Bearer {connector.sign(key=other_key)}"},
        "another bot": {"Authorization": f"Bearer {connector.sign(aud='someone-elses-bot')}"},
        "another issuer": {"Authorization": f"Bearer {connector.sign(iss='https://evil.example')}"},
        "expired": {"Authorization": f"Bearer {connector.sign(exp=1_600_000_000, iat=1_599_999_000)}"},
        "another service": {"Authorization": f"Bearer {connector.sign(serviceurl='https://evil.example/')}"},
    }
    for why, headers in forged.items():
        assert teams.handle(message(connector), headers)[0] == 401, why
    assert heard == []

    status, _ = teams.handle(message(connector), {"Authorization": f"Bearer {connector.sign()}"})

    assert status == 200 and heard == ["<at>Listening Post</at> stats 30d"]


def test_what_cannot_be_from_teams_is_answered_before_the_sdk_sees_it(teams, connector):
    entra_token = connector.sign(iss="https://login.microsoftonline.com/attacker/v2.0", tid="attacker")

    assert teams.handle([], {})[0] == 400
    assert teams.handle("x", {"Authorization": f"Bearer {connector.sign()}"})[0] == 400
    assert teams.handle(message(connector), {"Authorization": f"Bearer {entra_token}"})[0] == 401
    assert teams.handle(message(connector), {"Authorization": "Bearer not-a-token"})[0] == 401
    assert connector.calls("/keys") == []  # nothing was fetched for any of them


def test_a_request_not_answered_in_time_gets_503_and_its_work_is_cancelled(teams, connector):
    import asyncio
    import time

    @teams.app.on_message
    async def slow(ctx):
        await asyncio.sleep(0.3)
        await ctx.send("too late")  # must never be sent: Teams has given up on this request

    teams.answer_within = 0.1

    assert teams.handle(message(connector), {"Authorization": f"Bearer {connector.sign()}"})[0] == 503
    time.sleep(0.4)
    assert connector.activities == []


def test_after_stop_nothing_waits_and_nothing_is_sent(teams, connector):
    from bot.chat.teams.runtime import Stopped

    teams.stop()

    with pytest.raises(Stopped):
        teams.call(teams.app.send(CHANNEL, message_input(text="after stop")))
    assert connector.activities == []


def test_the_sdk_changes_no_setting_of_the_process_and_takes_no_secret_from_it(connector, monkeypatch):
    from bot.chat.teams.runtime import TeamsRuntime
    from bot.chat.teams.token import BotToken
    from tests.fakes.teams_api import CLIENT_SECRET, FakeEntra

    monkeypatch.setenv("CLIENT_ID", "another-programs-app")
    monkeypatch.setenv("CLIENT_SECRET", "another-programs-secret")  # the SDK would sign in with it instead
    entra = FakeEntra().start()
    runtime = TeamsRuntime(
        CLIENT_ID,
        TENANT_ID,
        BotToken(CLIENT_ID, CLIENT_SECRET, TENANT_ID, login_url=entra.url),
        service_url=connector.service_url,
        keys_url=connector.keys_url,
    )
    try:
        runtime.call(runtime.app.send(CHANNEL, message_input(text="hello")))
        assert entra.issued == 1 and len(connector.activities) == 1  # signed in with ours
        assert os.environ["CLIENT_ID"] == "another-programs-app"
        assert os.environ["CLIENT_SECRET"] == "another-programs-secret"
    finally:
        runtime.stop()
        entra.stop()
