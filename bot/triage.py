"""Triage of one mention: sentiment label, intent, urgency, spam, and suggested replies."""
from __future__ import annotations

import re

from bot import sentiment
from bot.models import URGENCIES, Mention, Triage
from bot.replies import ReplyTemplates

_QUESTION = re.compile(
    r"\?|^(who|what|when|where|why|how|which|is|are|do|does|did|can|could|will|would|should|any ?one)\b"
    r"|\b(anyone know|wondering if|let me know|how (much|long|do|can))\b",
    re.IGNORECASE,
)
_COMPLAINT = re.compile(
    r"\b(refund|complain\w*|broken|wrong|rude|never again|disappoint\w*|unacceptable|still waiting|"
    r"worst|cancel+ed|lost|missing|charged twice|overcharged|food poisoning|not (ok|okay|happy|impressed))\b",
    re.IGNORECASE,
)
_PRAISE = re.compile(
    r"\b(thank(s| you)|love|loved|amazing|awesome|best|great|fantastic|recommend|kudos|shout ?out|"
    r"delicious|beautiful|lovely|perfect|stars?)\b|[❤😍🥰👏🙌]",
    re.IGNORECASE,
)
# Words that make a problem urgent for a small business: health, safety, money, legal.
_URGENT = re.compile(
    r"\b(food poisoning|sick|allerg\w*|injur\w*|unsafe|hospital|lawyer|legal|scam|fraud|"
    r"charged twice|double charged|stolen|police|never again|refund)\b",
    re.IGNORECASE,
)
_SPAM = re.compile(
    r"\b(giveaway|give away|free followers|win (a|an|free)|claim your|dm (me|us) to (claim|win)|"
    r"crypto|airdrop|nft|promo code for followers|check my (bio|profile)|follow back|onlyfans|"
    r"earn \$?\d+|click (here|the link)|limited offer)\b|@(channel|here|everyone)\b|<!(channel|here|everyone)>",
    re.IGNORECASE,
)
_URL = re.compile(r"https?://\S+", re.IGNORECASE)
WIDE_REACH = 10_000


def is_spam(text: str) -> bool:
    # Link farms: a post that is mostly links is not a customer talking to us.
    return bool(_SPAM.search(text)) or len(_URL.findall(text)) >= 3


def intent_for(text: str, label: str) -> str:
    if _COMPLAINT.search(text) or (label == "negative" and not _QUESTION.search(text)):
        return "complaint"
    if _QUESTION.search(text):
        # A question asked in anger is a complaint first ("why is nobody answering??").
        return "complaint" if label == "negative" else "question"
    if label == "positive" or (_PRAISE.search(text) and label != "negative"):
        return "praise"
    return "other"


def urgency_for(text: str, value: float, intent: str, followers: int | None) -> str:
    """low (no answer needed soon), normal (answer today), high (answer now)."""
    if intent in ("praise", "other"):
        return "low"
    level = 1
    if value < -0.5 or _URGENT.search(text):
        level += 1
    if followers and followers >= WIDE_REACH:
        level += 1
    return URGENCIES[min(level, 2)]


class Triager:
    """Turns a mention into a Triage; holds the reply templates so they are read once."""

    def __init__(self, templates: ReplyTemplates, business: str = "our team"):
        self.templates = templates
        self.business = business

    def triage(self, mention: Mention) -> Triage:
        text = mention.text
        spam = is_spam(text)
        # Trust the network's language tag when it has one; guess only when it has none.
        scored = mention.lang == "en" or (mention.lang in (None, "", "und", "qme", "zxx") and sentiment.looks_english(text))
        value = sentiment.score(text) if scored else 0.0
        label = sentiment.label_for(value) if scored else "neutral"
        intent = intent_for(text, label) if scored else ("question" if "?" in text else "other")
        urgency = urgency_for(text, value, intent, mention.author_followers)
        suggestions = () if spam else self.templates.suggest(
            intent=intent, handle=mention.author_handle, name=mention.author_name, text=text,
            business=self.business, network=mention.source, english=scored,
        )
        return Triage(
            sentiment=round(value, 3), label=label, intent=intent, urgency=urgency,
            suggestions=tuple(suggestions), spam=spam, scored=scored,
        )
