"""The Teams bot's sign-in against a fake of Microsoft Entra: one token reused, renewed, and every refusal in plain words."""

from __future__ import annotations

import re
import socket
import time

import pytest

from bot.chat.teams.token import BotToken, SignInError
from tests.fakes.server import Reply
from tests.fakes.teams_api import BOT_SCOPE, CLIENT_ID, CLIENT_SECRET, TENANT_ID, FakeEntra


@pytest.fixture
def entra():
    server = FakeEntra().start()
    yield server
    server.stop()


def test_one_token_serves_every_call_until_it_nears_expiry(entra):
    token = BotToken(CLIENT_ID, CLIENT_SECRET, TENANT_ID, login_url=entra.url)

    first = token(BOT_SCOPE, None)

    assert token(BOT_SCOPE, None) == token(BOT_SCOPE, TENANT_ID) == first and first.count(".") == 2
    [asked] = entra.calls("/oauth2/v2.0/token")
    assert asked.path == f"/{TENANT_ID}/oauth2/v2.0/token"
    assert asked.form() == {
        "grant_type": "client_credentials",
        "client_id": CLIENT_ID,
        "client_secret": CLIENT_SECRET,
        "scope": BOT_SCOPE,
    }


def test_a_token_about_to_expire_is_never_handed_out(entra):
    entra.expires_in = 0  # lapses at once: every call needs a new one
    token = BotToken(CLIENT_ID, CLIENT_SECRET, TENANT_ID, login_url=entra.url)

    token(BOT_SCOPE, None)
    token(BOT_SCOPE, None)

    assert entra.issued == 2


@pytest.mark.parametrize(
    ("client_id", "secret", "tenant", "says"),
    [
        (CLIENT_ID, "a-wrong-secret-value", TENANT_ID, "copy the secret's Value (not its Secret ID)"),
        ("00000000-0000-0000-0000-000000000000", CLIENT_SECRET, TENANT_ID, "TEAMS_CLIENT_ID is not an app"),
        (CLIENT_ID, CLIENT_SECRET, "not-our-tenant", "TEAMS_TENANT_ID is not a Microsoft 365 directory"),
    ],
    ids=["secret", "client id", "tenant"],
)
def test_a_refused_sign_in_says_which_setting_to_fix_and_never_shows_the_secret(entra, client_id, secret, tenant, says):
    token = BotToken(client_id, secret, tenant, login_url=entra.url)

    with pytest.raises(SignInError) as refused:
        token(BOT_SCOPE, None)

    assert says in str(refused.value)
    assert secret not in str(refused.value) and "Traceback" not in str(refused.value)


def test_sign_in_that_cannot_be_reached_says_so():
    with socket.socket() as unused:
        unused.bind(("127.0.0.1", 0))
        port = unused.getsockname()[1]
    token = BotToken(CLIENT_ID, CLIENT_SECRET, TENANT_ID, login_url=f"http://127.0.0.1:{port}")

    with pytest.raises(SignInError, match="Could not reach Microsoft's sign-in") as failed:
        token(BOT_SCOPE, None)
    assert failed.value.__context__ is None  # the failed request (its form holds the secret) is not kept


def test_the_teams_sdk_takes_the_token_as_its_own(entra):
    """The SDK parses every token it is given as a JWT; ours must pass as one."""
    pytest.importorskip("microsoft_teams.api", reason="Teams' SDK is the `teams` extra (requirements-teams.txt)")
    from microsoft_teams.api import JsonWebToken

    token = BotToken(CLIENT_ID, CLIENT_SECRET, TENANT_ID, login_url=entra.url)

    assert JsonWebToken(token(BOT_SCOPE, None)).app_id == CLIENT_ID


@pytest.mark.parametrize(
    ("answer", "says"),
    [
        (
            Reply(503, "<html>Service Unavailable</html>", {"Content-Type": "text/html"}),
            "unavailable for now (HTTP 503)",
        ),
        (Reply(429, {"error": "temporarily_unavailable"}), "unavailable for now (HTTP 429)"),
        (Reply(200, "<html>a captive portal</html>", {"Content-Type": "text/html"}), "something other than a token"),
        (Reply(200, {"token_type": "Bearer", "expires_in": 3599, "access_token": ""}), "refused"),
    ],
    ids=["down", "throttled", "not json", "empty token"],
)
def test_an_outage_is_told_apart_from_a_wrong_setting(entra, answer, says):
    entra.fail_next("/oauth2/", answer)

    with pytest.raises(SignInError, match=re.escape(says)) as failed:
        BotToken(CLIENT_ID, CLIENT_SECRET, TENANT_ID, login_url=entra.url)(BOT_SCOPE, None)

    assert failed.value.__context__ is None and failed.value.__cause__ is None  # no request, no form, no secret


@pytest.mark.parametrize("expires_in", ["inf", "nan", -5, "soon", None])
def test_an_odd_lifetime_never_keeps_a_token_forever(entra, expires_in):
    entra.fail_next("/oauth2/", Reply(200, {"token_type": "Bearer", "expires_in": expires_in, "access_token": "a.b.c"}))
    token = BotToken(CLIENT_ID, CLIENT_SECRET, TENANT_ID, login_url=entra.url)

    assert token(BOT_SCOPE, None) == "a.b.c"
    assert token._cached[BOT_SCOPE][1] - time.monotonic() <= 86_400
