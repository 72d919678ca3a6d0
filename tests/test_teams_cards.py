"""Whatever a network or a person sends, a mention's Teams card is an Adaptive Card Teams takes, in which
the customer's words are shown as written: never a link, bold or an @mention of theirs, never over size."""

from __future__ import annotations

import json
from urllib.parse import urlsplit

import pytest
from hypothesis import HealthCheck, given, settings

from tests.strategies import NOW, handlings, mentions, triages

pytest.importorskip("microsoft_teams.cards", reason="Teams' SDK is the `teams` extra (requirements-teams.txt)")
pytestmark = pytest.mark.xdist_group("teams")  # one worker imports Teams' SDK

from microsoft_teams.cards import AdaptiveCard  # noqa: E402

from bot.chat.teams import cards  # noqa: E402
from bot.models import Handling, Mention, Triage  # noqa: E402

# How many examples: the Hypothesis profile loaded in conftest.py.
EXAMPLES = settings(suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
# Where Teams reads markdown: a customer's text must never land in one of these.
MARKDOWN_FIELDS = {"TextBlock": "text", "Fact": "value"}


def elements(node):
    """Every element and action in a card, depth first."""
    if isinstance(node, dict):
        if "type" in node:
            yield node
        for key, value in node.items():
            if key != "data":  # a button's data is Teams' to send back, not part of the card drawn
                yield from elements(value)
    elif isinstance(node, list):
        for item in node:
            yield from elements(item)


def shown_as_markdown(card: dict) -> list[str]:
    return [e[MARKDOWN_FIELDS[e["type"]]] for e in elements(card) if e.get("type") in MARKDOWN_FIELDS]


# The elements a card may hold: the SDK's model accepts any type (its models allow extra fields),
# so the kinds Teams draws are listed here.
KINDS = {"AdaptiveCard", "RichTextBlock", "TextRun", "TextBlock", "Container"}
ACTIONS = {"Action.Execute", "Action.Submit", "Action.OpenUrl"}


def assert_teams_takes(card: dict) -> None:
    assert card["type"] == "AdaptiveCard" and card["version"] == "1.5"
    assert cards.size(card) <= cards.CARD_LIMIT
    AdaptiveCard.model_validate(card)  # the SDK's own model reads it back
    json.dumps(card, ensure_ascii=False).encode("utf-8")  # no lone surrogate survives to the wire
    for element in elements(card):
        assert element["type"] in KINDS | ACTIONS, element["type"]
        if element["type"] == "RichTextBlock":
            assert element["inlines"] and all(run["type"] == "TextRun" and run["text"] for run in element["inlines"])
    for action in (e for e in elements(card) if e["type"] in ACTIONS):
        if action["type"] == "Action.OpenUrl":
            parts = urlsplit(action["url"])
            assert parts.scheme in ("https", "http") and parts.hostname and " " not in action["url"]
        else:
            assert action["data"]["mention_id"]


@EXAMPLES
@given(mentions(), triages, handlings)
def test_every_card_is_one_teams_takes_and_reads_no_customer_text_as_markdown(mention, triage, handling):
    for handled in (None, handling):
        card = cards.card(mention, triage, handled)
        assert_teams_takes(card)
        assert shown_as_markdown(card) in ([], ["Suggested replies"])


@EXAMPLES
@given(mentions(), handlings)
def test_the_minimal_card_always_fits(mention, handling):
    card = cards.minimal(mention, handling)
    assert_teams_takes(card)


def mention(text: str = "Waited 40 minutes and nobody said sorry", **extra) -> Mention:
    fields = {
        "source": "x",
        "external_id": "1578516300000001000",
        "author_handle": "maria_eats",
        "author_name": "Maria López",
        "url": "https://x.com/maria_eats/status/1578516300000001000",
        "created_at": NOW,
        **extra,
    }
    return Mention(text=text, **fields)


TRIAGE = Triage(
    sentiment=-0.6,
    label="negative",
    intent="complaint",
    urgency="high",
    suggestions=("Sorry, Maria: that is too long.", "We'd like to put it right."),
)


def texts(card: dict) -> list[str]:
    return [e["text"] for e in elements(card) if e.get("type") == "TextRun"]


def test_a_new_card_shows_who_what_the_verdict_the_replies_and_three_buttons():
    card = cards.card(mention(), TRIAGE)

    shown = texts(card)
    assert shown[:3] == ["Maria López", " @maria_eats", " on X · 2025-03-14 12:00 UTC"]
    assert "Waited 40 minutes and nobody said sorry" in shown
    assert "1. Sorry, Maria: that is too long." in shown and "2. We'd like to put it right." in shown
    buttons = [(a["type"], a["title"]) for a in card["actions"]]
    assert buttons == [
        ("Action.Execute", "Claim"),
        ("Action.Submit", "Reply…"),
        ("Action.Execute", "No reply needed"),
        ("Action.OpenUrl", "View post"),
    ]
    claim, reply = card["actions"][0], card["actions"][1]
    assert claim["verb"] == "claim" and claim["data"] == {"action": "claim", "mention_id": "x:1578516300000001000"}
    assert reply["data"]["msteams"]["type"] == "task/fetch" and reply["data"]["dialog_id"] == cards.REPLY_DIALOG


def test_a_customers_markdown_and_at_mentions_stay_words():
    sneaky = "**free** [refund](https://evil.example) <at>Everyone</at> # big"
    card = cards.card(mention(sneaky, author_name="[Owner](https://evil.example)"), TRIAGE)

    assert sneaky in texts(card) and "[Owner](https://evil.example)" in texts(card)
    assert shown_as_markdown(card) == ["Suggested replies"]
    assert not any(a.get("url", "").startswith("https://evil") for a in card["actions"])


def test_a_replied_card_shows_who_replied_and_offers_reopen_and_the_reply():
    handling = Handling(
        status="replied",
        actor_name="Sam",
        at=NOW,
        note="So sorry, Maria: your next coffee is on us.",
        via="modal",
        reply_url="https://x.com/bramblecafe/status/1578516300000009000",
        response_secs=95 * 60,
        posted_at=NOW,
    )
    card = cards.card(mention(), TRIAGE, handling)

    assert any("Replied by Sam in 1 h 35 min" in t for t in texts(card))
    assert "So sorry, Maria: your next coffee is on us." in texts(card)
    assert [a["title"] for a in card["actions"]] == ["Reopen", "View post", "View the reply"]
    assert not any("Suggested replies" == t for t in shown_as_markdown(card))


def test_a_card_over_teams_size_is_sent_minimal_with_its_buttons():
    huge = Triage(**{**TRIAGE.__dict__, "suggestions": tuple("x" * 3000 for _ in range(12))})
    card = cards.card(mention(), huge)

    assert cards.size(card) <= cards.CARD_LIMIT
    assert [a["title"] for a in card["actions"]][:3] == ["Claim", "Reply…", "No reply needed"]
    assert "Suggested replies" not in json.dumps(card)


def test_the_minimal_card_still_says_who_replied_and_links_the_reply():
    handling = Handling(
        status="replied",
        actor_name="Sam",
        at=NOW,
        note="So sorry. " * 3000,  # a reply far longer than any card
        via="modal",
        reply_url="https://www.reddit.com/r/london/comments/abc/def/",
        response_secs=600,
        posted_at=NOW,
    )
    huge = Triage(**{**TRIAGE.__dict__, "suggestions": tuple("x" * 3000 for _ in range(12))})

    card = cards.card(mention(), huge, handling)

    assert cards.size(card) <= cards.CARD_LIMIT
    assert any("Replied by Sam" in t for t in texts(card))
    assert [a["title"] for a in card["actions"]] == ["Reopen", "View post", "View the reply"]


@pytest.mark.parametrize(
    "url", ["https://x.com/a\nb", "https://evil.example /x", "https://", "javascript:alert(1)", "http://[::1"]
)
def test_an_address_that_is_not_a_web_page_gets_no_button(url):
    card = cards.card(mention(url=url.replace("\\n", "\n")), TRIAGE)

    assert "Action.OpenUrl" not in [a["type"] for a in card["actions"]]


def test_a_card_is_measured_in_the_larger_of_utf8_and_utf16():
    ascii_card = {"type": "AdaptiveCard", "text": "a" * 1000}
    cjk_card = {"type": "AdaptiveCard", "text": "咖" * 1000}

    assert cards.size(ascii_card) > 2000 and cards.size(cjk_card) > 3000
