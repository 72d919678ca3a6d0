"""Before a card Teams may have taken is sent again, the channel is read through Microsoft Graph: our bot's
card is found by its mention, nothing else is taken for one, and every refusal is said in plain words."""

from __future__ import annotations

import json
import socket
from datetime import UTC, datetime, timedelta
from importlib.util import find_spec

import pytest
import requests

# Only the worker that runs these imports Teams' SDK (2 s): they share one (`--dist loadgroup`).
pytestmark = [
    pytest.mark.skipif(
        find_spec("microsoft_teams") is None, reason="Teams' SDK is the `teams` extra (requirements-teams.txt)"
    ),
    pytest.mark.xdist_group("teams"),
]

from bot.chat.teams import cards  # noqa: E402
from bot.chat.teams.history import GRAPH_SCOPE, ChannelHistory  # noqa: E402
from bot.chat.teams.token import BOT_SCOPE, BotToken  # noqa: E402
from bot.models import PostError  # noqa: E402
from tests.fakes.server import Reply  # noqa: E402
from tests.fakes.teams_api import CLIENT_ID, CLIENT_SECRET, TENANT_ID, FakeEntra, message_input  # noqa: E402
from tests.fakes.teams_graph import CHANNEL, TEAM_ID, FakeGraph, chat_message, graph_error  # noqa: E402
from tests.test_teams_cards import TRIAGE, mention  # noqa: E402

HOUR = timedelta(hours=1)


@pytest.fixture
def graph(connector):
    """Graph over what the fake Bot Connector holds: what Teams shows in the channel."""
    server = FakeGraph(connector).start()
    yield server
    server.stop()


@pytest.fixture
def token():
    """The bot's real sign-in, at a fake Entra, asked for Graph."""
    entra = FakeEntra().start()
    provider = BotToken(CLIENT_ID, CLIENT_SECRET, TENANT_ID, login_url=entra.url)
    yield lambda: provider(GRAPH_SCOPE)
    entra.stop()


@pytest.fixture
def history(graph, token):
    return ChannelHistory(token, TEAM_ID, CHANNEL, CLIENT_ID, graph_url=graph.graph_url)


def post(teams, external_id: str, conversation: str = CHANNEL) -> str:
    """A mention's card sent through the Teams SDK, as the bot posts it; the id Teams answered with."""
    card = cards.card(mention(external_id=external_id), TRIAGE)
    return teams.call(teams.app.send(conversation, message_input().add_card(card))).id


def card_for(external_id: str) -> dict:
    return cards.card(mention(external_id=external_id), TRIAGE)


def stamp(moment: datetime) -> str:
    return moment.isoformat(timespec="milliseconds").replace("+00:00", "Z")


def test_a_card_the_bot_posted_is_found_by_its_mention(teams, graph, history):
    posted = post(teams, "1001")

    found = history.cards(since=datetime.now(UTC) - HOUR)

    assert found == {"x:1001": posted}  # the id the Bot Connector answered with: the one to update
    [asked] = graph.calls("/messages")
    assert asked.path == f"/v1.0/teams/{TEAM_ID}/channels/19%3Ac0ffee0000000000000000000000000%40thread.tacv2/messages"
    assert asked.param("$top") == "50"  # the most Graph gives in a page


def test_a_thread_s_conversation_id_reads_its_channel(teams, graph, token):
    posted = post(teams, "1002")
    history = ChannelHistory(token, TEAM_ID, f"{CHANNEL};messageid={posted}", CLIENT_ID, graph_url=graph.graph_url)

    assert history.cards(since=datetime.now(UTC) - HOUR) == {"x:1002": posted}


def test_only_our_bot_s_cards_count(teams, graph, history):
    ours = post(teams, "2001")
    teams.call(teams.app.send(CHANNEL, message_input(text="Good morning from Listening Post")))  # no card
    now = stamp(datetime.now(UTC))
    graph.add(chat_message("1700000009001", now, app_id="another-bot-app-id", cards=[card_for("2002")]))
    graph.add(chat_message("1700000009002", now, user="Maria", cards=[card_for("2003")]))  # a person's copy

    assert history.cards(since=datetime.now(UTC) - HOUR) == {"x:2001": ours}


def test_replies_and_deleted_cards_are_not_cards_in_the_channel(teams, graph, history):
    first = post(teams, "3001")
    post(teams, "3002", conversation=f"{CHANNEL};messageid={first}")  # into the first card's thread
    now = stamp(datetime.now(UTC))
    # What Graph would not list (a reply) or lists without its card (a deleted message), given anyway.
    graph.add(chat_message("1700000009003", now, cards=[card_for("3003")], reply_to=first))
    deleted = graph.add(chat_message("1700000009004", now, cards=[card_for("3004")]))
    deleted["deletedDateTime"] = now

    assert history.cards(since=datetime.now(UTC) - HOUR) == {"x:3001": first}


def test_every_page_is_read_up_to_the_budget(teams, graph, history):
    graph.page_size = 2  # short pages: five cards are three pages
    posted = {f"x:40{i}": post(teams, f"40{i}") for i in range(5)}

    assert history.cards(since=datetime.now(UTC) - HOUR) == posted
    first, *rest = graph.calls("/messages")
    assert len(rest) == 2 and all(r.param("$skiptoken") for r in rest)

    newest_four = dict(list(posted.items())[1:])
    assert history.cards(since=datetime.now(UTC) - HOUR, pages=2) == newest_four


def test_only_cards_posted_in_the_window_are_found(teams, connector, history):
    earlier, later = post(teams, "5001"), post(teams, "5002")
    now = datetime.now(UTC)
    connector.activities[0]["posted_at"] = stamp(now - 2 * HOUR)

    assert history.cards(since=now - HOUR) == {"x:5002": later}
    assert history.cards(since=now - 3 * HOUR, until=now - HOUR) == {"x:5001": earlier}


def test_a_card_with_its_buttons_in_an_action_set_is_found(graph, history):
    submit = {
        "type": "Action.Submit",
        "title": "Reply…",
        "data": {"msteams": {"type": "task/fetch"}, "mention_id": "x:6"},
    }
    card = {
        "type": "AdaptiveCard",
        "version": "1.5",
        "body": [{"type": "Container", "items": [{"type": "ActionSet", "actions": [submit]}]}],
    }
    graph.add(chat_message("1700000009006", stamp(datetime.now(UTC)), cards=[card]))

    assert history.cards(since=datetime.now(UTC) - HOUR) == {"x:6": "1700000009006"}


def test_content_that_is_not_a_card_is_skipped(teams, graph, history):
    ours = post(teams, "7001")
    now = stamp(datetime.now(UTC))
    odd = ["not json {", "[1, 2]", json.dumps("a string"), None, 42, {"actions": "none"}, {"actions": [{"data": 7}]}]
    for i, content in enumerate(odd):
        graph.add(chat_message(f"170000000910{i}", now, cards=[content]))
    graph.add(chat_message("1700000009200", "yesterday-ish", cards=[card_for("7002")]))  # no readable time

    assert history.cards(since=datetime.now(UTC) - HOUR) == {"x:7001": ours}


def test_without_the_permission_to_read_the_channel_it_says_how_to_grant_it(graph, history):
    graph.grant = False

    with pytest.raises(PostError) as refused:
        history.cards(since=datetime.now(UTC) - HOUR)

    said = str(refused.value)
    assert "ChannelMessage.Read.Group" in said and "python -m bot teams-package" in said and "team owner" in said


@pytest.mark.parametrize("status", [429, 503])
def test_a_busy_teams_is_tried_again_next_poll(graph, history, status):
    graph.fail_next("/messages", graph_error(status, "TooManyRequests", "Too many requests.", {"Retry-After": "7"}))

    with pytest.raises(PostError, match="Teams is busy") as busy:
        history.cards(since=datetime.now(UTC) - HOUR)

    assert "tried again next poll" in str(busy.value) and "7 s" in str(busy.value)


def test_a_team_the_bot_was_removed_from_says_to_add_it_again(graph, token):
    gone = ChannelHistory(token, "00000000-0000-0000-0000-000000000404", CHANNEL, CLIENT_ID, graph_url=graph.graph_url)

    with pytest.raises(PostError, match="Add it to the team again"):
        gone.cards(since=datetime.now(UTC) - HOUR)


def test_a_token_for_another_service_is_refused_in_plain_words(graph):
    entra = FakeEntra().start()
    try:
        provider = BotToken(CLIENT_ID, CLIENT_SECRET, TENANT_ID, login_url=entra.url)
        history = ChannelHistory(lambda: provider(BOT_SCOPE), TEAM_ID, CHANNEL, CLIENT_ID, graph_url=graph.graph_url)
        with pytest.raises(PostError, match="did not accept the bot's sign-in"):
            history.cards(since=datetime.now(UTC) - HOUR)
    finally:
        entra.stop()


def test_a_refused_sign_in_is_said_as_the_sign_in_says_it(graph):
    entra = FakeEntra().start()
    try:
        provider = BotToken(CLIENT_ID, "a-wrong-secret-value", TENANT_ID, login_url=entra.url)
        history = ChannelHistory(lambda: provider(GRAPH_SCOPE), TEAM_ID, CHANNEL, CLIENT_ID, graph_url=graph.graph_url)
        with pytest.raises(PostError, match="copy the secret's Value") as refused:
            history.cards(since=datetime.now(UTC) - HOUR)
    finally:
        entra.stop()
    assert graph.requests == [] and refused.value.__context__ is None


def test_an_answer_that_is_not_messages_is_said_so(graph, history):
    graph.fail_next("/messages", Reply(200, "<html>Service unavailable</html>", {"Content-Type": "text/html"}))

    with pytest.raises(PostError, match="something other than the channel's messages"):
        history.cards(since=datetime.now(UTC) - HOUR)


def test_graph_out_of_reach_is_said_so(token):
    with socket.socket() as unused:
        unused.bind(("127.0.0.1", 0))
        port = unused.getsockname()[1]
    history = ChannelHistory(token, TEAM_ID, CHANNEL, CLIENT_ID, graph_url=f"http://127.0.0.1:{port}/v1.0")

    with pytest.raises(PostError, match="Could not reach Microsoft Graph") as failed:
        history.cards(since=datetime.now(UTC) - HOUR)
    assert failed.value.__context__ is None  # the failed request carried the token


def test_a_next_page_elsewhere_is_not_followed_with_the_token(graph, history):
    graph.fail_next("/messages", Reply(200, {"value": [], "@odata.nextLink": "https://evil.example/v1.0/messages"}))

    with pytest.raises(PostError, match="another address"):
        history.cards(since=datetime.now(UTC) - HOUR)
    assert len(graph.calls("/messages")) == 1


def test_the_token_is_in_no_error(graph, history, token):
    secret = token()
    failures = [
        graph_error(403, "Forbidden", "Missing role permissions on the request."),
        graph_error(404, "NotFound", "No team found"),
        graph_error(429, "TooManyRequests", "Too many requests.", {"Retry-After": "3"}),
        graph_error(500, "InternalServerError", f"echoed {secret}"),
        Reply(200, "not json"),
    ]
    for failure in failures:
        graph.fail_next("/messages", failure)
        with pytest.raises(PostError) as failed:
            history.cards(since=datetime.now(UTC) - HOUR)
        assert secret not in str(failed.value) and failed.value.__context__ is None and failed.value.__cause__ is None


def test_the_fake_refuses_what_graph_refuses(graph, token):
    url = f"{graph.graph_url}/teams/{TEAM_ID}/channels/{CHANNEL}/messages"
    bearer = {"Authorization": f"Bearer {token()}"}

    too_many = requests.get(url, params={"$top": "51"}, headers=bearer, timeout=5)
    unsigned = requests.get(url, timeout=5)

    assert too_many.status_code == 400 and too_many.json()["error"]["code"] == "BadRequest"
    assert unsigned.status_code == 401 and unsigned.json()["error"]["code"] == "InvalidAuthenticationToken"
