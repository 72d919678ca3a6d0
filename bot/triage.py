"""Triage of one mention: sentiment label, intent, urgency, spam, and suggested replies."""

from __future__ import annotations

import re
from datetime import UTC, datetime

from bot import language, sentiment
from bot.facts import Facts
from bot.gated import Gated
from bot.intent import LEADING_HANDLES, asks_others, reading, sad_news, serious_kind
from bot.models import Intent, Label, Mention, Triage, Urgency
from bot.replies import SAD, ReplyTemplates, first_name
from bot.sources import registry
from bot.word_model import Reader, shipped

# Someone selling to us, or pinging the whole channel: spam whatever else the post says.
_SPAM = Gated(
    r"\b(free followers|(buy|get|more|cheap|real) (followers|likes|views)|promo code for followers|"
    r"check (out )?my (bio|profile|page)|link in (my )?bio|onlyfans|click (here|the link))\b"
    r"|@(channel|here|everyone)\b|<!(channel|here|everyone)>"
)
# Words spam uses, but a customer may ask about too ("is your giveaway still on?", "do you take
# crypto?", "can you follow back so I can DM you?"): spam only when the post asks nothing.
_SPAMMY_TOPIC = Gated(
    r"\b(giveaways?|give ?away|win (a|an|free)|crypto|airdrop|nfts?|claim your|dm (me|us) to (claim|win)|"
    r"follow back|earn \$?\d+|make \$\d+|limited offer)\b"
)
# A post that asks something: a question, or a request to the business, wherever it sits in the text.
_ASKS = re.compile(
    r"\?|(^|[.!;\n]\s*)(who|what|when|where|why|how|which|is|are|was|were|do|does|did|can|could|will|would|"
    r"should|may|any ?one)\b"
    r"|\b(can|could|may|do|shall) (i|we|you)\b|\b(is|are|was|were) (it|there|you|your|the)\b"
    r"|\b(please|pls|plz|i'?d like to|we'?d like to|i want to|i need to|let me know|wondering (if|whether)|"
    r"anyone know|how (much|long|do|can|does)|(tell|show) (me|us)|know (if|whether|when|where|how|what|why))\b"
)
# A question that pitches to the reader ("Want to win a free iPhone?") asks nothing of the business.
_PITCH = re.compile(
    r"(^|[.!?\n]\s*)(do you |are you |r u )?(want|wanna|need|looking for|interested in|tired of)\b[^.!?\n]*\?"
)
# Words that make a problem urgent for a small business, besides the kinds of harm in bot/intent.py.
_URGENT = Gated(
    r"\b(food poisoning|allerg\w*|injur\w*|unsafe|hospital|lawyer|legal|scam|fraud|"
    r"charged twice|double charged|stolen|police|never again|refund)\b"
)
_URL = re.compile(r"https?://\S+")
WIDE_REACH = 10_000


def asks_something(text: str) -> bool:
    """A question or a request, also after leading @handles ("@bramble can I book for 6?")."""
    return bool(_ASKS.search(LEADING_HANDLES.sub("", text).lower()))


def by_stars(rating: int, text: str, intent: Intent, value: float, label: Label) -> tuple[Intent, float, Label]:
    """A review's stars outweigh its words: one or two stars is a complaint whatever it says (a polite
    "the staff were nice, but…" still needs an answer), and four or five stars with no words is praise."""
    if rating <= 2:
        return Intent.COMPLAINT, sentiment.within(value, Label.NEGATIVE), Label.NEGATIVE
    if rating >= 4 and not text.strip():
        return Intent.PRAISE, sentiment.within(value, Label.POSITIVE), Label.POSITIVE
    if not text.strip():
        return Intent.OTHER, 0.0, Label.NEUTRAL
    return intent, value, label


def is_spam(text: str) -> bool:
    """Held back, never shown as a card: someone selling, a channel ping, a link farm, or a
    giveaway/crypto post that asks nothing. A customer asking about those is never spam."""
    lowered = text.lower()  # the patterns are lower case: IGNORECASE would double their cost
    if _SPAM.search(lowered) or len(_URL.findall(lowered)) >= 3:  # mostly links: not a customer talking to us
        return True
    if not _SPAMMY_TOPIC.search(lowered):
        return False
    return not asks_something(lowered) or bool(_PITCH.search(LEADING_HANDLES.sub("", lowered)))


def urgency_for(text: str, value: float, intent: Intent, followers: int | None, harm: str | None = None) -> Urgency:
    """low (no answer needed soon), normal (answer today), high (answer now)."""
    if intent in (Intent.PRAISE, Intent.OTHER):
        return Urgency.LOW
    if intent == Intent.COMPLAINT and harm:
        return Urgency.HIGH  # health, allergy, injury, safety, legal, money taken: answer now, whoever it is
    level = 1
    if value < -0.5 or _URGENT.search(text.lower()):
        level += 1
    if followers and followers >= WIDE_REACH:
        level += 1
    return tuple(Urgency)[min(level, 2)]


class Triager:
    """Turns a mention into a Triage; holds the reply templates so they are read once."""

    def __init__(
        self,
        templates: ReplyTemplates,
        business: str = "our team",
        facts: Facts | None = None,
        reader: Reader | None = None,
    ):
        self.templates = templates
        self.business = business
        self.facts = facts
        self.reader = reader or shipped()

    def triage(self, mention: Mention) -> Triage:
        text = mention.text
        spam = is_spam(text)
        # The network's language tag when it has one; else py3langid's model, and when the model cannot
        # tell (a short post), whether it looks English. Sentiment is scored in English only.
        written_in = language.of(mention.lang, text)
        if written_in == "und" and sentiment.looks_english(text):
            written_in = "en"
        if mention.rating is not None and not text.strip():
            written_in = "en"  # stars alone: nothing to read, and the reply is in the business's words
        scored = written_in == "en"
        value = sentiment.score(text) if scored else 0.0
        label = sentiment.label_for(value) if scored else Label.NEUTRAL
        intent = (
            self._intent(text, value) if scored else (Intent.QUESTION if "?" in text or "¿" in text else Intent.OTHER)
        )
        if scored:
            # The words that make a post a complaint (a fault, a let-down, harm, sarcasm) are what general
            # lexicons miss, so the mood follows them: a complaint is negative and praise positive. Else the
            # learned mood model reads it with the lexicons.
            mood = {Intent.COMPLAINT: Label.NEGATIVE, Intent.PRAISE: Label.POSITIVE}.get(intent) or self.reader.mood(
                text, label
            )
            value, label = sentiment.within(value, mood), mood
        if mention.rating is not None:
            intent, value, label = by_stars(mention.rating, text, intent, value, label)
        serious = self.reader.harm(text, serious_kind(text)) if intent == Intent.COMPLAINT else None
        urgency = urgency_for(text, value, intent, mention.author_followers, serious)
        to_others = intent == Intent.QUESTION and self.reader.to_others(text, asks_others(text))
        sad = intent in (Intent.PRAISE, Intent.OTHER) and sad_news(text)
        suggestions = (
            ()
            if spam
            else self.templates.suggest(
                intent=SAD if sad else Intent.OTHER if to_others else intent,
                handle=mention.author_handle,
                name=mention.author_name,
                text=text,
                business=self.business,
                network=mention.source,
                english=scored,
                serious=serious,
                language=written_in,
            )
        )
        answered = self._answer(mention, intent) if scored and not spam else None
        note = ""
        if answered:
            suggestions, note = [answered[0], *[s for s in suggestions if s != answered[0]][:2]], answered[1]
        return Triage(
            sentiment=round(value, 3),
            label=label,
            intent=intent,
            urgency=urgency,
            suggestions=tuple(suggestions),
            spam=spam,
            scored=scored,
            note=note,
            harm=serious,
        )

    def _intent(self, text: str, value: float) -> Intent:
        """The rules' reading weighed with the learned model's; harm or sarcasm the rules name is a complaint."""
        return self.reader.intent(text, *reading(text, value))

    def _answer(self, mention: Mention, intent: Intent) -> tuple[str, str] | None:
        """A question the business's facts answer: the reply that answers it, and the card's note."""
        where = registry.network(mention.source)
        if intent != Intent.QUESTION or self.facts is None or where is None or where.reply_limit is None:
            return None
        fact = self.facts.answer(mention.text, datetime.now(UTC), links=where.links)
        if fact is None:
            return None
        name = first_name(mention.author_name, mention.author_handle)
        reply = f"Hi {name}! {fact.text}" if name else f"Thanks for asking! {fact.text}"
        if where.length(reply) > where.reply_limit:
            return None
        return reply, f"📘 The first suggestion is from your facts: {fact.label}."
