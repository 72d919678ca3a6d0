"""The learned readers of intent and mood: what they find that the rules miss, and where the rules keep the last word."""

from __future__ import annotations

import csv
import json
from datetime import UTC, datetime
from pathlib import Path

import pytest

from bot.config import DEFAULT_TEMPLATES
from bot.models import Mention
from bot.replies import ReplyTemplates
from bot.triage import Triager
from bot.word_model import AUDIENCES, HARMS, INTENTS, MODEL_PATH, MOODS, Reader, WordModel, features

BENCH = Path(__file__).resolve().parents[1] / "bench"


def mention(text: str) -> Mention:
    return Mention(
        "x",
        "1",
        "maria_eats",
        "Maria López",
        text,
        "https://x.com/maria_eats/status/1",
        datetime.now(UTC),
        author_followers=150,
        lang="en",
    )


@pytest.fixture(scope="module")
def triager():
    return Triager(ReplyTemplates.load(DEFAULT_TEMPLATES), business="Bramble Café")


def leaning(intent: str, strength: float = 3.0, mood: str = "neutral", harm: str = "none") -> Reader:
    """Models that read every post as `intent`, `mood` and `harm`, as sure as `strength` makes them."""

    def table(labels, chosen):
        return {"labels": list(labels), "bias": [strength if x == chosen else 0.0 for x in labels], "weights": {}}

    return Reader(
        {
            "intent": table(INTENTS, intent),
            "mood": table(MOODS, mood),
            "harm": table(HARMS, harm),
            "audience": table(AUDIENCES, "business"),
        }
    )


@pytest.mark.parametrize(
    "text",
    [
        "Paid for the large box and half the macarons were squashed flat",
        "my fringe is now two inches shorter than I asked for",
        "the lid came off in the bag and soaked everything",
        "got home and the trainers are two different sizes",
    ],
)
def test_a_complaint_in_words_no_rule_knows_is_found_and_needs_an_answer(triager, text):
    t = triager.triage(mention(text))
    assert (t.intent, t.label) == ("complaint", "negative")
    assert t.urgency != "low"


def test_a_plain_question_the_lexicons_find_a_little_negative_stays_a_question(triager):
    assert triager.triage(mention("how late is the kitchen open on a friday")).intent == "question"


def test_a_negation_turns_the_few_words_after_it_until_the_sentence_ends():
    found = features("The coffee was not good at all. Lovely staff though! @bramblecafe https://t.co/x")
    assert {"not_good", "not_at", "not_all", "lovely", "lovely staff"} <= found
    assert "good" not in found and "not_lovely" not in found
    assert not any("bramblecafe" in f or "t.co" in f for f in found)
    assert {"thanks", "for", "nothing"} <= features("#ThanksForNothing")


@pytest.mark.parametrize(
    "text, kind",
    [
        ("Got food poisoning after the chicken wrap on Friday", "harm"),
        ("Oh great, another 'system error' at the till. Brilliant.", "irony"),
    ],
)
def test_harm_and_sarcasm_the_rules_name_are_never_overruled(text, kind):
    sure_it_is_praise = Triager(ReplyTemplates.load(DEFAULT_TEMPLATES), reader=leaning("praise", 10.0))
    assert sure_it_is_praise.triage(mention(text)).intent == "complaint", kind


def test_a_sure_model_outweighs_a_telling_word_and_an_unsure_one_does_not():
    text = "The card reader freezes every single time"  # a fault word the rules know
    templates = ReplyTemplates.load(DEFAULT_TEMPLATES)
    assert Triager(templates, reader=leaning("other", 0.5)).triage(mention(text)).intent == "complaint"
    assert Triager(templates, reader=leaning("other", 5.0)).triage(mention(text)).intent == "other"


def test_a_model_for_other_labels_is_refused_with_a_plain_message():
    with pytest.raises(ValueError, match="retrain it with python bench/train_word_model.py"):
        WordModel(INTENTS, {"labels": ["complaint", "praise"], "bias": [0, 0], "weights": {}})


def test_the_mood_of_a_question_or_chat_is_read_with_the_mood_model_and_stays_inside_its_range():
    templates = ReplyTemplates.load(DEFAULT_TEMPLATES)
    text = "Is the patio open today?"
    t = Triager(templates, reader=leaning("question", 5.0, mood="negative")).triage(mention(text))
    assert (t.intent, t.label) == ("question", "negative") and t.sentiment < 0
    t = Triager(templates, reader=leaning("question", 5.0, mood="positive")).triage(mention(text))
    assert t.label == "positive" and t.sentiment > 0.29


def test_a_complaint_is_negative_whatever_the_mood_model_says():
    sure_it_is_happy = Triager(ReplyTemplates.load(DEFAULT_TEMPLATES), reader=leaning("complaint", 5.0, "positive"))
    assert sure_it_is_happy.triage(mention("The card reader freezes every single time")).label == "negative"


def test_the_shipped_model_was_trained_on_the_labelled_sets_as_they_are_now():
    """A set edited or added without retraining (python bench/train_word_model.py) fails here."""
    trained_on = json.loads(MODEL_PATH.read_text(encoding="utf-8"))["trained_on"]
    for name, rows in trained_on.items():
        with (BENCH / name).open(newline="", encoding="utf-8") as f:
            assert sum(1 for _ in csv.DictReader(f)) == rows, name
    assert "heldout3_mentions.csv" not in trained_on  # the one set kept from the model and the rules alike


def test_money_taken_in_words_the_harm_lists_lack_is_high_with_careful_replies(triager):
    m = mention("they took £200 off my card for a cancelled booking and won't give it back")
    t = triager.triage(m)
    assert (t.intent, t.harm, t.urgency) == ("complaint", "money", "high")
    careful = triager.templates.suggest(
        intent="complaint",
        handle=m.author_handle,
        name=m.author_name,
        text=m.text,
        business=triager.business,
        network="x",
        serious="money",
    )
    assert t.suggestions and set(t.suggestions) <= set(careful)


def test_the_harm_model_speaks_only_for_complaints_and_never_replaces_a_kind_the_lists_name():
    templates = ReplyTemplates.load(DEFAULT_TEMPLATES)
    sure_of_injury = Triager(templates, reader=leaning("praise", 5.0, "positive", harm="injury"))
    assert sure_of_injury.triage(mention("Loved my cut today, thank you Jade")).harm is None
    sure_of_injury = Triager(templates, reader=leaning("complaint", 5.0, "negative", harm="injury"))
    assert sure_of_injury.triage(mention("Got food poisoning after the chicken wrap on Friday")).harm == "health"
    assert sure_of_injury.triage(mention("the hinge on the gate squeaks")).harm == "injury"


@pytest.mark.parametrize(
    "text",
    [
        "who's the best barber in Leith these days",
        "is there anywhere in town that does proper sourdough?",
    ],
)
def test_a_question_to_other_people_in_words_the_rules_miss_gets_no_promise_to_answer(triager, text):
    t = triager.triage(mention(text))
    assert t.intent == "question"
    assert not any("get back to you" in s or "right answer" in s for s in t.suggestions), t.suggestions
    to_us = triager.triage(mention("what time do you shut on a Sunday"))
    assert any("get back to you" in s or "right answer" in s or "open" in s for s in to_us.suggestions), (
        to_us.suggestions
    )
