"""Sentiment of a customer mention: TextBlob and VADER plus transparent customer-service rules.

Everything here works offline: TextBlob's default analyzer and VADER ship their lexicons
inside their packages. Nothing on this path needs NLTK corpora.
"""

from __future__ import annotations

import math
import re
from functools import lru_cache
from typing import TYPE_CHECKING

from bot.gated import Gated
from bot.models import Label

if TYPE_CHECKING:
    from vaderSentiment.vaderSentiment import SentimentIntensityAnalyzer

# Phrases customers use when something went wrong, which general-purpose lexicons
# score as neutral ("the delivery took forever", "still waiting", "on hold for an hour").
# Each weight is added to the blended score; the list is short on purpose so anyone
# can read why a mention was scored the way it was.
# Praise said with a negation ("never disappoints", "couldn't be happier", "no complaints"): a cue for
# the mood here, and taken out before intent looks for complaint words (bot/intent.py).
PRAISE_NEGATED = (
    r"\b(never|not once|rarely|don'?t ever) (disappoints?|lets? (me|us|you) down|misses|miss|fails?)\b"
    r"|\bcould(n'?t| not) (be|have been) (happier|better|more (pleased|happy|satisfied|impressed))\b"
    r"|\bcould(n'?t| not) (ask|have asked|wish) for (more|better|a better|anything (more|better))\b"
    r"|\b(can'?t|cannot|could(n'?t| not)) (fault|beat|complain|ask for more|recommend \w+ (enough|highly enough))\b"
    r"|\b(no|not (a|one|a single)) (complaints?|faults?|bad (things?|words?)|regrets?|issues?)\b"
    r"|\bnothing (bad|wrong|negative) to say\b|\bwould(n'?t| not) hesitate\b|\bzero (regrets|complaints)\b"
    r"|\bnever had a bad\b"
)
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
    (
        r"\b(rude|unprofessional|ignored|ignoring|no one|nobody|no (help|response|reply|answer|update|info|call ?back))\b",
        -0.5,
    ),
    (r"\b(can'?t|cannot|couldn'?t|unable to|won'?t|wouldn'?t) (get|reach|find|book|log|check|load|even)\b", -0.4),
    (r"\b(never again|last time i|not (happy|impressed|ok|okay|acceptable|good enough))\b", -0.6),
    (r"\b(ugh+|smh|wtf|seriously|ridiculous|unacceptable|joke|pathetic|fail(ed|s)?|worst|disappoint\w*)\b", -0.45),
    (r"\b(complain\w*|issue|problem|trouble|error)\b", -0.2),
    (r"\bthanks for nothing\b|\bthanks a lot\b(?!\W*(for (the|your)|!))", -0.8),
    (r"[😡😠🤬😤🙄👎😒😞😢🤢🤮]", -0.45),  # not 😭: as often "so good 😭" as tears
    # things that stopped working, people who never came, news nobody gave
    (
        r"\bkeeps? (crashing|freezing|breaking|failing|dropping|cutting out|logging (me|us) out)\b"
        r"|\b(crash(es|ed|ing)?|freez(es|ing)|froze|stopped working|out of order|no[- ]show)\b"
        r"|\b(does ?n[o']t|did ?n[o']t|won'?t|isn'?t|wasn'?t|not|never|hasn'?t|haven'?t) (even )?"
        r"(work(s|ing|ed)?|load(s|ing)?|turn(ed)? up|show(ed|n)? up|showed|arrived?|came|call(ed)? (back|me|us)?|rang|"
        r"respond(ed)?|repl(y|ied)|got back|been back|fixed|heard back)\b",
        -0.45,
    ),
    (
        r"\b(nobody|no one|noone) (told|warned|called|rang|came|bothered|apologi[sz]ed|offered|answers?)\b"
        r"|\bwithout (telling|warning|asking|notice)\b",
        -0.4,
    ),
    # a price given and a bigger one taken: "you quoted £40 and charged £95"
    (r"\b(quoted?|estimate|advertised|said|promised)\b[^!?\n]{0,60}\b(charged|billed|invoiced?|bill|paid)\b", -0.5),
    (
        r"\b(morons?|idiots?|clowns|useless|incompetent|shambles|shambolic|cowboys?|disgrace(ful)?|appalling|"
        r"pathetic|clueless|rip ?off|waste of (money|time)|humiliat\w*)\b",
        -0.6,
    ),
    # sarcasm: thanks and praise that mean the opposite
    (
        r"\b(oh|ah),? (great|good|brilliant|wonderful|fantastic|lovely|perfect|joy|fab|super)\b|\bjust what i needed\b"
        r"|\bliving the dream\b|\byeah,? right\b|\b(cheers|thanks) for that\b[.!\s]*$|#not\b"
        r"|\b(love|loving) (paying|waiting|being (ignored|charged|kept))\b",
        -0.9,
    ),
    (r"(^|\s)['‘\"“][a-z][a-z ]{1,24}['’\"”](?=[\s.,!?…]|$)", -0.3),  # scare quotes: 'fixed', 'express'
    # praise said with a negation or in slang, which lexicons read as complaints
    (
        PRAISE_NEGATED,
        1.0,
    ),
    (
        r"\b(unreal(?! how)|slaps|bussin|bangin[g']?|next level|goated|chef'?s kiss|top notch|legends?|lifesavers?|"
        r"insanely good|(is|was|are|were|so|absolutely|proper) (fire|mint|class|lit))\b",
        0.45,
    ),
    (
        r"\b(no notes|can'?t say enough good things|can'?t recommend (them|her|him|it|this place) enough|heaps good|ripper)\b",
        0.6,
    ),
    (
        r"\bmid\b(?![- ](morning|day|week|afternoon|evening|way|range|size|length|century|[0-9]))|\bat best\b",
        -0.45,
    ),  # so-so
    (r"🔥", 0.4),
    (r"\?\?|\?!|!\?", -0.2),
    # praise and gratitude
    (r"\b(thank(s| you)|thx|ty|kudos|shout ?out|props)\b", 0.35),
    (
        r"\b(love|loved|loving|amazing|awesome|fantastic|wonderful|excellent|best|perfect|brilliant|delicious|friendly|helpful)\b",
        0.25,
    ),
    (r"\b(recommend|highly recommend|5 stars|five stars|well done|great job|made my day)\b", 0.4),
    (r"[❤💕💖😍🥰😊🙏👏🙌👍✨🎉💯☺😀😃😁]", 0.4),
]
# Matched against lower-cased text: IGNORECASE makes each search about 50 % slower.
_CUE_RES = [(Gated(pattern), weight) for pattern, weight in _CUES]
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
    from vaderSentiment.vaderSentiment import SentimentIntensityAnalyzer

    return SentimentIntensityAnalyzer()


@lru_cache(maxsize=1)
def _pattern_sentiment():
    """TextBlob's pattern analyzer, imported when a text is first scored: TextBlob brings NLTK (0.7 s of
    start-up), which doctor, stats and a start that fails never need."""
    from textblob.en import sentiment

    return sentiment


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


_HASHTAG = re.compile(r"#(\w+)")
_CAMEL = re.compile(r"(?<=[a-z])(?=[A-Z])|(?<=[A-Za-z])(?=\d)")
_CURLY = str.maketrans({"’": "'", "‘": "'"})


def _split_tag(match: re.Match) -> str:
    tag = match.group(1)
    if tag.lower() == "not":
        return "#not"  # the sarcasm marker stays a marker
    if not tag.islower() and not tag.isupper():
        return " " + _CAMEL.sub(" ", tag) + " "  # #ThanksForNothing
    return " " + " ".join(_segment(tag.lower())) + " "  # #totallydisappointed


@lru_cache(maxsize=4096)
def _segment(word: str) -> tuple[str, ...]:
    """A lower-case hashtag cut into the fewest dictionary words, or left whole when it can't be."""
    from textblob.en import lexicon  # TextBlob's tagger lexicon, shipped in the package

    if len(word) > 40:
        return (word,)
    best: list[tuple[int, int] | None] = [(0, 0)] + [None] * len(word)  # (words, start) per end
    for end in range(1, len(word) + 1):
        for start in range(max(0, end - 20), end):
            piece, before, here = word[start:end], best[start], best[end]
            if before is None or (len(piece) < 2 and piece not in ("a", "i")) or piece not in lexicon:
                continue
            if here is None or before[0] + 1 < here[0]:
                best[end] = (before[0] + 1, start)
    if best[-1] is None:
        return (word,)
    pieces, end = [], len(word)
    while end:
        start = best[end][1]  # type: ignore[index]  # every end on the path back has a best split
        pieces.append(word[start:end])
        end = start
    return tuple(reversed(pieces))


@lru_cache(maxsize=256)  # sentiment, intent and the learned reader each start from it
def plain(text: str) -> str:
    """The words as a person reads them: hashtags split ("#ThanksForNothing" → "Thanks For Nothing",
    "#totallydisappointed" → "totally disappointed"), curly apostrophes straight."""
    text = text.translate(_CURLY)
    return _HASHTAG.sub(_split_tag, text) if "#" in text else text


# A score out of five or ten ("2/10", "1/5", "9/10 would go again"): low is a complaint, high is praise.
_RATING = Gated(r"(?<![\d/.$£€])(\d{1,2}(?:\.\d)?) ?/ ?(5|10)\b(?![/\d])")


def rating_weight(lowered: str) -> float:
    found = _RATING.search(lowered)
    if not found:
        return 0.0
    score, out_of = float(found.group(1)), int(found.group(2))
    if score > out_of:
        return 0.0  # a date or a fraction, not a rating
    return 2.0 * (score / out_of - 0.5)  # 1/5 → -0.6, 5/10 → 0, 10/10 → +1


def cue_score(text: str) -> float:
    lowered = text.lower()
    return sum(weight for pattern, weight in _CUE_RES if pattern.search(lowered)) + rating_weight(lowered)


@lru_cache(maxsize=256)  # the score and the cues start from the same words
def _words_only(text: str) -> str:
    """The post as plain words, without @handles and links."""
    return _MENTION_OR_URL.sub(" ", plain(text))


@lru_cache(maxsize=256)  # asked for the score, then for what decided a complaint
def cues(text: str) -> float:
    """The customer-service cues' part of a mention's score."""
    return cue_score(_words_only(text))


def score(text: str) -> float:
    """Polarity in -1..1: VADER and TextBlob blended, nudged by customer-service cues."""
    clean = _words_only(text)
    vader = _vader().polarity_scores(clean)["compound"]
    # The analyzer behind TextBlob(text).sentiment, called directly: building a TextBlob
    # (and PatternAnalyzer's per-call namedtuple) doubles the cost and adds nothing here.
    blob = _pattern_sentiment()(clean)[0]
    # tanh keeps strong mentions apart (-0.8 vs -1.0) instead of clipping them all to -1.
    return math.tanh(0.55 * vader + 0.45 * blob + cues(text))


def within(value: float, label: Label) -> float:
    """The value moved just inside `label`'s range when another reader chose the label."""
    if label == Label.NEGATIVE:
        return min(value, 2 * NEGATIVE_BELOW)
    if label == Label.POSITIVE:
        return max(value, POSITIVE_ABOVE + 0.01)
    return min(max(value, NEGATIVE_BELOW), POSITIVE_ABOVE)


def label_for(value: float) -> Label:
    if value < NEGATIVE_BELOW:
        return Label.NEGATIVE
    if value > POSITIVE_ABOVE:
        return Label.POSITIVE
    return Label.NEUTRAL
