"""Triage of one mention: sentiment label, intent, urgency, spam, and suggested replies."""
from __future__ import annotations

import re
from datetime import datetime, timezone

from bot import sentiment
from bot.facts import Facts
from bot.models import REPLY_LIMITS, URGENCIES, Mention, Triage
from bot.replies import NO_LINKS, ReplyTemplates, first_name, reply_length

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
# Someone selling to us, or pinging the whole channel: spam whatever else the post says.
_SPAM = re.compile(
    r"\b(free followers|(buy|get|more|cheap|real) (followers|likes|views)|promo code for followers|"
    r"check (out )?my (bio|profile|page)|link in (my )?bio|onlyfans|click (here|the link))\b"
    r"|@(channel|here|everyone)\b|<!(channel|here|everyone)>",
    re.IGNORECASE,
)
# Words spam uses, but a customer may ask about too ("is your giveaway still on?", "do you take
# crypto?", "can you follow back so I can DM you?"): spam only when the post asks nothing.
_SPAMMY_TOPIC = re.compile(
    r"\b(giveaways?|give ?away|win (a|an|free)|crypto|airdrop|nfts?|claim your|dm (me|us) to (claim|win)|"
    r"follow back|earn \$?\d+|make \$\d+|limited offer)\b",
    re.IGNORECASE,
)
# A post that asks something: a question, or a request to the business, wherever it sits in the text.
_ASKS = re.compile(
    r"\?|(^|[.!;\n]\s*)(who|what|when|where|why|how|which|is|are|was|were|do|does|did|can|could|will|would|"
    r"should|may|any ?one)\b"
    r"|\b(can|could|may|do|shall) (i|we|you)\b|\b(is|are|was|were) (it|there|you|your|the)\b"
    r"|\b(please|pls|plz|i'?d like to|we'?d like to|i want to|i need to|let me know|wondering (if|whether)|"
    r"anyone know|how (much|long|do|can|does)|(tell|show) (me|us)|know (if|whether|when|where|how|what|why))\b",
    re.IGNORECASE,
)
# A question that pitches to the reader ("Want to win a free iPhone?") asks nothing of the business.
_PITCH = re.compile(
    r"(^|[.!?\n]\s*)(do you |are you |r u )?(want|wanna|need|looking for|interested in|tired of)\b[^.!?\n]*\?",
    re.IGNORECASE,
)
_LEADING_HANDLES = re.compile(r"^(\s*@\w+[:,]?)+\s*")
_URL = re.compile(r"https?://\S+", re.IGNORECASE)
WIDE_REACH = 10_000


def asks_something(text: str) -> bool:
    """A question or a request, also after leading @handles ("@bramble can I book for 6?")."""
    return bool(_ASKS.search(_LEADING_HANDLES.sub("", text)))


def is_spam(text: str) -> bool:
    """Held back, never shown as a card: someone selling, a channel ping, a link farm, or a
    giveaway/crypto post that asks nothing. A customer asking about those is never spam."""
    if _SPAM.search(text) or len(_URL.findall(text)) >= 3:  # mostly links: not a customer talking to us
        return True
    if not _SPAMMY_TOPIC.search(text):
        return False
    return not asks_something(text) or bool(_PITCH.search(_LEADING_HANDLES.sub("", text)))


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

    def __init__(self, templates: ReplyTemplates, business: str = "our team", facts: Facts | None = None):
        self.templates = templates
        self.business = business
        self.facts = facts

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
        answered = self._answer(mention, intent) if scored and not spam else None
        note = ""
        if answered:
            suggestions, note = [answered[0], *[s for s in suggestions if s != answered[0]][:2]], answered[1]
        return Triage(
            sentiment=round(value, 3), label=label, intent=intent, urgency=urgency,
            suggestions=tuple(suggestions), spam=spam, scored=scored, note=note,
        )

    def _answer(self, mention: Mention, intent: str) -> tuple[str, str] | None:
        """A question the business's facts answer: the reply that answers it, and the card's note."""
        if intent != "question" or self.facts is None or mention.source not in REPLY_LIMITS:
            return None
        fact = self.facts.answer(mention.text, datetime.now(timezone.utc), links=mention.source not in NO_LINKS)
        if fact is None:
            return None
        name = first_name(mention.author_name, mention.author_handle)
        reply = f"Hi {name}! {fact.text}" if name else f"Thanks for asking! {fact.text}"
        if reply_length(mention.source, reply) > REPLY_LIMITS[mention.source]:
            return None
        return reply, f"📘 The first suggestion is from your facts: {fact.label}."
