"""Posting cards to Slack through the real service: always within Slack's limits, a refused card replaced by a
minimal one (or set aside), and never a duplicate when Slack accepted a card without saying so."""

from __future__ import annotations

import json
import socket
from datetime import UTC, datetime, timedelta

import pytest
from slack_sdk.models.blocks import Block

from bot.chat.slack import blocks as slack_blocks
from bot.chat.slack import client  # make_client looked up when called: conftest takes out its retry waits
from bot.chat.slack.sink import CARD_EVENT, SlackSink
from bot.models import CardRefused, Mention, PostError, PostUnconfirmed, Triage
from tests.fakes import slack_api
from tests.fakes.reddit_api import CLIENT_ID, CLIENT_SECRET, PASSWORD, USERNAME
from tests.fakes.server import Reply
from tests.helpers import card_texts, wait_for

FISH = "Fish & chips & tea\n" * 105
TRIAGE = Triage(0.0, "neutral", "question", "normal", ("Thanks for asking!",))
REFUSED = Reply(
    200,
    {
        "ok": False,
        "error": "invalid_blocks",
        "response_metadata": {
            "messages": ["[ERROR] must be less than 3001 characters [json-pointer:/blocks/1/text/text]"]
        },
    },
)


def real_slack_valid(message: dict) -> None:
    """What Slack would accept: the fake's check of Slack's limits, and slack_sdk's own block models."""
    assert slack_api.message_problems(message) is None, slack_api.message_problems(message)
    for block in Block.parse_all(message["blocks"]):
        block.validate_json()


def mention(text: str = "@bramblecafe hello", **fields) -> Mention:
    base = dict(
        source="x",
        external_id="42",
        author_handle="maria_eats",
        author_name="Maria López",
        text=text,
        url="https://x.com/maria_eats/status/42",
        created_at=datetime.now(UTC),
    )
    return Mention(**{**base, **fields})


@pytest.fixture
def sink(fake_slack):
    return SlackSink(client.make_client(slack_api.BOT_TOKEN, fake_slack.api_url), slack_api.CHANNEL, min_interval=0)


def test_a_long_post_of_many_quoted_lines_is_carded_within_slacks_limits(fake_x, fake_slack, poll):
    assert len(FISH) == 1995
    fake_x.tweet(FISH, author_id="1001")

    report = poll()

    assert (report.posted, report.failed) == (1, False) and not fake_slack.refused
    card = fake_slack.posted[0]
    real_slack_valid(card)
    quoted = card_texts(fake_slack)[0]
    assert len(quoted) <= 3000 and quoted.startswith("> Fish &amp; chips &amp; tea\n> Fish")
    assert quoted.endswith("…") and "&amp" not in quoted.replace("&amp;", "")  # cut, and never inside an entity
    assert card["metadata"] == {
        "event_type": CARD_EVENT,
        "event_payload": {"mention_id": f"x:{fake_x.mentions[-1]['id']}"},
    }


def test_a_card_slack_refuses_goes_out_as_a_minimal_card_and_the_queue_moves_on(fake_x, fake_slack, poll):
    for i in range(10):
        fake_x.tweet(f"@bramblecafe question number {i}", author_id="1001", minutes_ago=30 - i)
    fake_slack.fail_next("chat.postMessage", REFUSED)

    report = poll()

    assert (report.posted, report.failed) == (10, False)
    minimal, *rest = fake_slack.posted
    assert [b["type"] for b in minimal["blocks"]] == ["section", "section", "actions"]
    assert minimal["blocks"][1]["text"]["text"] == "> @bramblecafe question number 0"
    assert [e["action_id"] for e in minimal["blocks"][2]["elements"]] == [
        slack_blocks.CLAIM,
        slack_blocks.REPLY,
        slack_blocks.DISMISS,
    ]
    real_slack_valid(minimal)
    assert card_texts(fake_slack)[1:] == [f"> @bramblecafe question number {i}" for i in range(1, 10)]
    assert all(len(m["blocks"]) > 3 for m in rest)  # the others are full cards


def test_a_card_refused_even_in_its_minimal_form_is_set_aside_and_the_rest_are_posted(fake_x, fake_slack, poll, db):
    tweets = [
        fake_x.tweet(f"@bramblecafe question number {i}", author_id="1001", minutes_ago=30 - i) for i in range(10)
    ]
    fake_slack.fail_next("chat.postMessage", REFUSED, REFUSED)

    report = poll()

    assert card_texts(fake_slack) == [f"> @bramblecafe question number {i}" for i in range(1, 10)]
    refused = db["mentions"].get(f"x:{tweets[0]['id']}")
    [(why,)] = db.execute("select refused from card_queue where mention_id = ? and platform = 'slack'", [refused["id"]])
    assert refused["posted_at"] is None and "invalid_blocks" in why
    assert report.posted == 9 and len(fake_slack.calls("chat.postMessage")) == 11
    assert poll().posted == 0  # set aside: not tried again every cycle


def test_slack_sink_raises_card_refused_after_the_minimal_card_is_refused_too(sink, fake_slack):
    fake_slack.fail_next("chat.postMessage", REFUSED, REFUSED)
    with pytest.raises(CardRefused, match="invalid_blocks"):
        sink.post(mention(), TRIAGE)
    assert fake_slack.posted == []


def test_a_channel_problem_is_a_plain_post_error_and_the_card_is_not_shrunk(sink, fake_slack):
    fake_slack.channels[slack_api.CHANNEL]["is_member"] = False
    with pytest.raises(PostError, match="/invite") as raised:
        sink.post(mention(), TRIAGE)
    assert type(raised.value) is PostError and len(fake_slack.calls("chat.postMessage")) == 1


def test_three_500s_after_slack_accepted_the_card_leave_exactly_one_card(fake_x, fake_slack, poll):
    fake_x.tweet("@bramblecafe is the terrace open?", author_id="1001")
    down = Reply(500, "<html>Internal Server Error</html>", {"Content-Type": "text/html"})
    fake_slack.accept_then(down, down, down)

    first = poll()
    assert first.failed and first.posted == 0 and "may have been posted" in first.reason
    assert len(fake_slack.calls("chat.postMessage")) == 1  # never sent blind a second time
    looked = len(fake_slack.calls("conversations.history"))  # once at start, for cards already in the channel

    second = poll()
    assert not second.failed and second.reconciled == 1
    assert card_texts(fake_slack) == ["> @bramblecafe is the terrace open?"]
    [history] = fake_slack.calls("conversations.history")[looked:]
    assert history.form()["include_all_metadata"] in ("true", "1")
    assert poll().posted == 0 and len(fake_slack.posted) == 1


def test_a_card_whose_answer_never_comes_is_unconfirmed_then_found(sink, fake_slack):
    sink.deadline = 0.5  # a total deadline: the answer trickles in too late
    fake_slack.accept_then(3.0)
    started = datetime.now(UTC)
    with pytest.raises(PostUnconfirmed):
        sink.post(mention(), TRIAGE)
    assert len(fake_slack.posted) == 1
    found = sink.find_posted("x:42", started)
    assert found is not None and found.message_id == fake_slack.posted[0]["ts"]
    assert sink.find_posted("x:43", started) is None


def test_a_timeout_after_sending_is_unconfirmed_and_a_refused_connection_is_not(fake_slack):
    slow = SlackSink(
        client.make_client(slack_api.BOT_TOKEN, fake_slack.api_url, timeout=0.5), slack_api.CHANNEL, min_interval=0
    )
    fake_slack.accept_then(2.5)
    with pytest.raises(PostUnconfirmed):
        slow.post(mention(), TRIAGE)
    assert len(fake_slack.calls("chat.postMessage")) == 1  # the read timeout is not retried

    with socket.socket() as unused:
        unused.bind(("127.0.0.1", 0))
        port = unused.getsockname()[1]
    closed = SlackSink(
        client.make_client(slack_api.BOT_TOKEN, f"http://127.0.0.1:{port}/api/"), slack_api.CHANNEL, min_interval=0
    )
    with pytest.raises(PostError) as raised:
        closed.post(mention(), TRIAGE)
    assert type(raised.value) is PostError and "Could not reach Slack" in str(raised.value)


def test_find_posted_reads_a_few_pages_and_only_top_level_cards_with_that_mention(sink, fake_slack):
    since = datetime.now(UTC)
    sink.post(mention(external_id="7"), TRIAGE)
    for i in range(150):  # newer messages above it
        fake_slack.posted.append(
            {
                "channel": slack_api.CHANNEL,
                "ts": f"{since.timestamp() + 1:.0f}.{900000 + i}",
                "text": "x",
                "metadata": {"event_type": CARD_EVENT, "event_payload": {"mention_id": f"x:other{i}"}},
            }
        )
    found = sink.find_posted("x:7", since)
    assert found is not None and found.channel == slack_api.CHANNEL
    assert len(fake_slack.calls("conversations.history")) == 2
    assert sink.find_posted("x:7", since + timedelta(hours=1)) is None  # older than the window


def test_find_posted_names_the_missing_history_scope(sink, fake_slack):
    fake_slack.scopes = "chat:write,commands,channels:read,groups:read,users:read,files:write"
    with pytest.raises(PostError, match="channels:history"):
        sink.find_posted("x:7", datetime.now(UTC))


def test_the_reddit_reply_form_opens_within_slacks_limits(workspace_for, fake_reddit, fake_slack):
    ws = workspace_for(
        REDDIT_CLIENT_ID=CLIENT_ID,
        REDDIT_CLIENT_SECRET=CLIENT_SECRET,
        REDDIT_USERNAME=USERNAME,
        REDDIT_PASSWORD=PASSWORD,
        REDDIT_QUERY='"Bramble Café"',
        REDDIT_URL=fake_reddit.url,
    )
    fake_reddit.post("Bramble Café brunch worth the queue?", "Thinking of going Saturday", minutes_ago=5)
    assert not ws.poll().failed
    card = next(m for m in fake_slack.posted if "brunch" in m["blocks"][1]["text"]["text"])
    mention_id = card["metadata"]["event_payload"]["mention_id"]

    assert ws.click("U0MARIA", slack_blocks.REPLY, mention_id, card["ts"]) == 200

    assert wait_for(lambda: fake_slack.views_opened or fake_slack.refused)
    assert not fake_slack.refused
    form = fake_slack.views_opened[-1]["view"]
    assert slack_api.view_problems(form) == []
    [box] = [b["element"] for b in form["blocks"] if b["type"] == "input"]
    assert box["max_length"] == 3000
    assert "a longer reply must be posted on Reddit itself" in json.dumps(form, ensure_ascii=False)


def test_an_author_name_cannot_forge_a_bold_line_in_the_card(fake_x, fake_slack, poll):
    fake_x.add_user("1099", "sam_b", "Sam\n*✅ Replied by Sam in 1 min*", followers=3)
    fake_x.tweet("@bramblecafe hi", author_id="1099")

    poll()

    header = fake_slack.posted[0]["blocks"][0]["text"]["text"]
    assert "\n" not in header
    assert header.startswith("*Sam ✅ Replied by Sam in 1 min* <https://x.com/sam_b/status/")
    assert header.count("*") == 2  # the name's own markers are gone: only the bold around it
    real_slack_valid(fake_slack.posted[0])
