"""Reviews: a star rating on the card (★★☆☆☆), weighed in triage above the words, and kept in the database."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from bot.chat.slack.blocks import card_blocks, minimal_blocks
from bot.config import DEFAULT_TEMPLATES
from bot.models import Intent, Label, Mention
from bot.replies import ReplyTemplates
from bot.triage import Triager
from storage import mentions as store


@pytest.fixture(scope="module")
def triager():
    return Triager(ReplyTemplates.load(DEFAULT_TEMPLATES), business="Bramble Café")


def review(text: str, rating: object) -> Mention:
    return Mention(
        "x",
        "r1",
        "",
        "Maria López",
        text,
        "https://example.com/r1",
        datetime(2026, 12, 1, 9, tzinfo=UTC),
        rating=rating,
    )


@pytest.mark.parametrize(
    "text",
    ["The staff were lovely and the cake was nice.", "", "Great location, friendly people!"],
)
def test_one_or_two_stars_is_a_complaint_whatever_the_words(triager, text):
    for stars in (1, 2):
        read = triager.triage(review(text, stars))
        assert (read.intent, read.label) == (Intent.COMPLAINT, Label.NEGATIVE), (stars, text)
        assert read.suggestions  # an answer to send, always


def test_stars_alone_are_praise_at_four_or_five_and_nothing_to_read_at_three(triager):
    five = triager.triage(review("", 5))
    assert (five.intent, five.label) == (Intent.PRAISE, Label.POSITIVE)
    assert five.suggestions and five.scored  # a thank-you in the business's words
    assert triager.triage(review("", 4)).intent == Intent.PRAISE
    three = triager.triage(review("", 3))
    assert (three.intent, three.label) == (Intent.OTHER, Label.NEUTRAL)


def test_three_stars_and_up_with_words_are_read_by_their_words(triager):
    asked = triager.triage(review("Do you have gluten free options?", 4))
    assert asked.intent == Intent.QUESTION
    moaned = triager.triage(review("Cold coffee and a rude waiter, never again.", 3))
    assert moaned.intent == Intent.COMPLAINT


@pytest.mark.parametrize("wrong", [0, 6, -1, 2.5, "5", True])
def test_a_rating_no_review_has_is_no_rating(wrong):
    assert review("hi", wrong).rating is None


def test_the_card_shows_the_stars_and_says_when_there_are_no_words(triager):
    rated = review("", 2)
    drawn = str(card_blocks(rated, triager.triage(rated)))
    assert "★★☆☆☆ (no text)" in drawn
    assert "★★★★☆ Lovely cake" in str(minimal_blocks(review("Lovely cake", 4)))


def test_the_rating_is_kept_with_the_mention(db, triager):
    rated = review("Lovely cake", 4)
    store.save_mentions(db, [(rated, triager.triage(rated))])
    assert store.row_to_mention(db["mentions"].get(rated.id)).rating == 4


@pytest.mark.xdist_group("teams")  # the worker that imports Teams' SDK anyway
def test_a_teams_card_shows_the_stars_too(triager):
    cards = pytest.importorskip("bot.chat.teams.cards", reason="Teams' SDK is the `teams` extra")
    rated = review("", 1)
    assert "★☆☆☆☆ (no text)" in str(cards.card(rated, triager.triage(rated)))
    assert "★★★☆☆ Fine" in str(cards.minimal(review("Fine", 3)))
