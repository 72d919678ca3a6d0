"""Sentiment of a customer mention: TextBlob and VADER plus transparent customer-service rules.

Everything here works offline: TextBlob's default analyzer and VADER ship their lexicons
inside their packages. Nothing on this path needs NLTK corpora.
"""
from __future__ import annotations

import math
import re
from functools import lru_cache

from textblob.en import sentiment as pattern_sentiment
from vaderSentiment.vaderSentiment import SentimentIntensityAnalyzer

# Phrases customers use when something went wrong, which general-purpose lexicons
# score as neutral ("the delivery took forever", "still waiting", "on hold for an hour").
# Each weight is added to the blended score; the list is short on purpose so anyone
# can read why a mention was scored the way it was.
_CUES: list[tuple[str, float]] = [
    # waiting and delays
    (r"\b(took|takes|taking) (forever|ages)\b|\bforever\b", -0.45),
    (r"\bstill (waiting|no|not|nothing|haven'?t|hasn'?t|can'?t|don'?t|isn'?t)\b", -0.5),
    (r"\b(on hold|hold times?|been waiting|waiting for|waited)\b", -0.4),
    (r"\b\d+\s*(hrs?|hours?|mins?|minutes?|days?|weeks?)\b", -0.15),
    (r"\b(delay(ed|s)?|late|cancel+ed|cancel+ation|rebook(ed)?|missed|stuck|stranded|overbooked)\b", -0.35),
    # things broken, lost or wrong
    (r"\b(lost|missing|broken|damaged|wrong|cold|stale|dirty|leak(ing|ed)?|burnt|raw)\b", -0.35),
    (r"\b(refund|compensation|charged twice|overcharged|double charged|money back)\b", -0.35),
    (r"\b(rude|unprofessional|ignored|ignoring|no one|nobody|no (help|response|reply|answer|update|info|call ?back))\b", -0.5),
    (r"\b(can'?t|cannot|couldn'?t|unable to|won'?t|wouldn'?t) (get|reach|find|book|log|check|load|even)\b", -0.4),
    (r"\b(never again|last time i|not (happy|impressed|ok|okay|acceptable|good enough))\b", -0.6),
    (r"\b(ugh+|smh|wtf|seriously|ridiculous|unacceptable|joke|pathetic|fail(ed|s)?|worst|disappoint\w*)\b", -0.45),
    (r"\b(complain\w*|issue|problem|trouble|error)\b", -0.2),
    (r"\bthanks for nothing\b|\bthanks a lot\b(?!\W*(for (the|your)|!))", -0.8),
    (r"[😡😠🤬😤🙄👎😒😞😢😭]", -0.45),
    (r"\?\?|\?!|!\?", -0.2),
    # praise and gratitude
    (r"\b(thank(s| you)|thx|ty|kudos|shout ?out|props)\b", 0.35),
    (r"\b(love|loved|loving|amazing|awesome|fantastic|wonderful|excellent|best|perfect|brilliant|delicious|friendly|helpful)\b", 0.25),
    (r"\b(recommend|highly recommend|5 stars|five stars|well done|great job|made my day)\b", 0.4),
    (r"[❤💕💖😍🥰😊🙏👏🙌👍✨🎉💯☺😀😃😁]", 0.4),
]
# Matched against lower-cased text: IGNORECASE makes each search about 50 % slower.
_CUE_RES = [(re.compile(pattern), weight) for pattern, weight in _CUES]
_MENTION_OR_URL = re.compile(r"(@\w+|https?://\S+)")

NEGATIVE_BELOW = -0.05
POSITIVE_ABOVE = 0.29

_FOREIGN_WORDS = set(
    "el la los las que por para con una muy pero gracias está es no y "  # Spanish
    "le les des est une pas très merci avec pour dans "  # French
    "der die das und ist nicht mit sehr danke ein eine auf "  # German
    "o os um uma não obrigado obrigada com muito "  # Portuguese
    "il di che è grazie della molto".split()  # Italian
)
_ENGLISH_WORDS = set(
    "the and is are was were to of in it for you your my i we our this that not with on at be have has "
    "but so just can what why how when where do does did".split()
)
_WORD = re.compile(r"[^\W\d_]+", re.UNICODE)


@lru_cache(maxsize=1)
def _vader() -> SentimentIntensityAnalyzer:
    return SentimentIntensityAnalyzer()


def looks_english(text: str) -> bool:
    """A cheap guess for text from sources that give no language tag."""
    words = [w.lower() for w in _WORD.findall(_MENTION_OR_URL.sub(" ", text))]
    if not words:
        return True
    letters = "".join(words)
    if sum(c.isascii() for c in letters) < 0.6 * len(letters):
        return False
    foreign = sum(w in _FOREIGN_WORDS for w in words)
    english = sum(w in _ENGLISH_WORDS for w in words)
    return not (foreign >= 2 and foreign > english)


def cue_score(text: str) -> float:
    lowered = text.lower()
    return sum(weight for pattern, weight in _CUE_RES if pattern.search(lowered))


def score(text: str) -> float:
    """Polarity in -1..1: VADER and TextBlob blended, nudged by customer-service cues."""
    clean = _MENTION_OR_URL.sub(" ", text)
    vader = _vader().polarity_scores(clean)["compound"]
    # The analyzer behind TextBlob(text).sentiment, called directly: building a TextBlob
    # (and PatternAnalyzer's per-call namedtuple) doubles the cost and adds nothing here.
    blob = pattern_sentiment(clean)[0]
    # tanh keeps strong mentions apart (-0.8 vs -1.0) instead of clipping them all to -1.
    return math.tanh(0.55 * vader + 0.45 * blob + cue_score(clean))


def label_for(value: float) -> str:
    if value < NEGATIVE_BELOW:
        return "negative"
    if value > POSITIVE_ABOVE:
        return "positive"
    return "neutral"
