"""Learned second readers of a mention: its intent, mood, harm and whom it asks, from labelled mentions.

Hand-written rules and general lexicons read the phrasings their authors thought of; on posts
written by other people the rules got about three intents in ten wrong. Small models trained
on labelled mentions of cafés, salons, shops and trades (`bench/train_word_model.py` writes
`bot/word_model.json` from the sets in `bench/`) know many more phrasings, and weighed with the
rules and lexicons they read unseen posts better than either alone. Each model is multinomial
logistic regression kept as a table of word weights in plain JSON, read without numpy, so nothing
is downloaded and anyone can look up why a word pushed a post one way.
"""

from __future__ import annotations

import json
import math
import re
from functools import lru_cache
from pathlib import Path
from typing import Generic, TypeVar

from bot import sentiment
from bot.gated import Gated
from bot.models import Intent, Label
from bot.replies import SERIOUS_KINDS

MODEL_PATH = Path(__file__).with_name("word_model.json")
# In the order of word_model.json's columns.
INTENTS = (Intent.COMPLAINT, Intent.QUESTION, Intent.PRAISE, Intent.OTHER)
MOODS = (Label.NEGATIVE, Label.NEUTRAL, Label.POSITIVE)
HARMS = ("none", *SERIOUS_KINDS)
AUDIENCES = ("business", "others")  # whom a question asks: the business, or people in general
# How far the rules' intent pulls against the model's probabilities, by what decided it: a telling word
# or pattern counts for more than the lexicons' mood alone, and harm or sarcasm the rules name is never
# overruled (absent here). Likewise the lexicons' mood against the mood model. Chosen on labelled posts
# that neither the rules nor the models had seen (bench/README.md has the figures).
RULES_WEIGHT = {"words": 0.3, "mood": 0.1}
LEXICON_WEIGHT = 0.3
# A complaint the harm lists do not recognise is taken as harm of a kind when the harm model gives that
# kind at least this much (of seven: none and six kinds); chosen like the weights above, where it found
# a tenth more of the harm and no more false alarms.
HARM_AT_LEAST = 0.25
# A question the rules take as put to the business is put to other people when the audience model
# gives that at least this much; chosen like the weights above (it found 15 more of 50, one wrongly).
OTHERS_AT_LEAST = 0.5

_TOKEN = re.compile(r"[a-z0-9']+|[?!]|[^\w\s]")
_NOISE = re.compile(r"https?://\S+|@\w+")
_NEGATIONS = frozenset(
    {"not", "no", "never", "nothing", "nobody", "hardly", "without", "cant", "dont", "didnt", "wont", "isnt", "wasnt"}
)
_ANY_NEGATION = Gated(r"\b(" + "|".join(sorted(_NEGATIONS)) + r")\b|n't\b")
_NEGATED_SPAN = 3  # words after a negation that it turns: "not [very good at] all"


@lru_cache(maxsize=256)  # read once for the intent, once for the mood
def features(text: str) -> frozenset[str]:
    """Words, punctuation marks and emoji, and each pair of neighbours, as a person reads the post:
    hashtags split into words, links and @handles left out, and the few words after a negation
    marked as negated ("not good" gives "not_good"), so "good" there does not count as praise."""
    lowered = _NOISE.sub(" ", sentiment.plain(text)).lower()
    words = _TOKEN.findall(lowered)
    if _ANY_NEGATION.search(lowered):  # most posts have none, and marking walks every word
        words = _mark_negated(words)
    return frozenset((*words, *map(" ".join, zip(words, words[1:], strict=False))))


def _mark_negated(words: list[str]) -> list[str]:
    marked, left = [], 0
    for word in words:
        if not word[0].isalnum():
            left = 0  # a full stop or a comma ends what a negation turns
        elif left:
            word, left = "not_" + word, left - 1
        elif word in _NEGATIONS or word.endswith("n't"):
            left = _NEGATED_SPAN
        marked.append(word)
    return marked


L = TypeVar("L", bound=str)


class WordModel(Generic[L]):
    """One table: a bias and each feature's weight per label."""

    def __init__(self, labels: tuple[L, ...], data: dict):
        if tuple(data["labels"]) != labels:
            raise ValueError(
                f"a word model for {data['labels']}, not {[str(label) for label in labels]}: retrain it with "
                "python bench/train_word_model.py"
            )
        self.labels = labels
        self.bias: list[float] = data["bias"]
        self.weights: dict[str, list[float]] = data["weights"]

    def probabilities(self, text: str) -> dict[L, float]:
        found = [w for w in map(self.weights.get, features(text)) if w]
        totals = (
            [b + sum(column) for b, column in zip(self.bias, zip(*found, strict=False), strict=False)]
            if found
            else list(self.bias)
        )
        top = max(totals)
        exps = [math.exp(t - top) for t in totals]
        whole = sum(exps)
        return {label: e / whole for label, e in zip(self.labels, exps, strict=False)}

    def weighed(self, text: str, other_reading: L, weight: float) -> L:
        """The label the model and another reader agree on best: the model's probabilities, with the
        other reader's label counted as `weight` of certainty."""
        probs = self.probabilities(text)
        return max(self.labels, key=lambda label: (1 - weight) * probs[label] + weight * (label == other_reading))


class Reader:
    """The intent, mood, harm and audience models together, as bench/train_word_model.py writes them."""

    def __init__(self, data: dict):
        self.intents = WordModel(INTENTS, data["intent"])
        self.moods = WordModel(MOODS, data["mood"])
        self.harms = WordModel(HARMS, data["harm"])
        self.audiences = WordModel(AUDIENCES, data["audience"])

    @classmethod
    def load(cls, path: Path) -> Reader:
        return cls(json.loads(path.read_text(encoding="utf-8")))

    def intent(self, text: str, rules_intent: Intent, decided_by: str) -> Intent:
        if decided_by not in RULES_WEIGHT:
            return rules_intent  # harm or sarcasm the rules name
        return self.intents.weighed(text, rules_intent, RULES_WEIGHT[decided_by])

    def mood(self, text: str, lexicon_mood: Label) -> Label:
        return self.moods.weighed(text, lexicon_mood, LEXICON_WEIGHT)

    def harm(self, text: str, rules_kind: str | None) -> str | None:
        """The kind of harm a complaint tells of: the harm lists' when they name one, else the model's."""
        if rules_kind:
            return rules_kind
        probs = self.harms.probabilities(text)
        kind = max(SERIOUS_KINDS, key=probs.__getitem__)
        return kind if probs[kind] >= HARM_AT_LEAST else None

    def to_others(self, text: str, rules_say: bool) -> bool:
        """Whether a question is put to other people ("anyone know a good plumber?") rather than to us."""
        return rules_say or self.audiences.probabilities(text)["others"] >= OTHERS_AT_LEAST


@lru_cache(maxsize=1)
def shipped() -> Reader:
    """The models that come with Listening Post, read once."""
    return Reader.load(MODEL_PATH)
