"""The Teams SDK run from our threads, against a fake Bot Connector and Entra: a card reaches the channel,
and a request reaches a handler only when Teams signed it (keys made by the test)."""

from __future__ import annotations

import pytest

pytest.importorskip("microsoft_teams.apps", reason="Teams' SDK is the `teams` extra (requirements-teams.txt)")

from cryptography.hazmat.primitives.asymmetric import rsa  # noqa: E402
from microsoft_teams.api import MessageActivity, MessageActivityInput  # noqa: E402
from microsoft_teams.apps import ActivityContext  # noqa: E402

from bot.chat.teams import cards  # noqa: E402
from tests.fakes.teams_api import CLIENT_ID, TENANT_ID  # noqa: E402
from tests.test_teams_cards import TRIAGE, mention  # noqa: E402

CHANNEL = "19:c0ffee0000000000000000000000000@thread.tacv2"


def test_a_card_sent_to_the_channel_is_the_card_teams_shows(teams, connector):
    card = cards.card(mention(), TRIAGE)

    sent = teams.call(teams.app.send(CHANNEL, MessageActivityInput().add_card(card)))

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
    async def on_message(ctx: ActivityContext[MessageActivity]):
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
