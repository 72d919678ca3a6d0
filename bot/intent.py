"""What a mention wants (complaint, question, praise or other) and whether it complains of harm, by readable rules.

The rules read a post as a person would: after leading @handles, with hashtags as words, and with
the blended sentiment as one piece of evidence among the words that customers use.
"""

from __future__ import annotations

import re
from functools import lru_cache

from bot import sentiment
from bot.gated import Gated
from bot.models import Intent, Label
from bot.sentiment import NEGATIVE_BELOW

# --- Intent: what the person wants, found wherever it sits in the text and however it is phrased ---

# Praise said with a negation ("never disappoints", "couldn't be happier", "no complaints"): taken out
# before looking for complaints, so "disappoint" or "complaint" in it is not read as one.
_PRAISE_NEGATED = Gated(sentiment.PRAISE_NEGATED)
# Something went wrong: faults, let-downs, no-shows, money, rudeness, insults and sarcasm.
_COMPLAINT = Gated(
    r"\b(refund|complain\w*|broken|broke down|wrong|rude(st)?|never again|disappoint\w*|unacceptable|still waiting|"
    r"worst|cancel+ed|lost|missing|charged twice|overcharged|food poisoning|not (ok|okay|happy|impressed)|"
    # faults and things that stopped working
    r"keeps? (crashing|freezing|breaking|failing|dropping|cutting out|logging (me|us) out)|crash(es|ed|ing)?|"
    r"freez(es|ing)|froze|stopped (working|answering|replying|responding|returning)|out of order|no[- ]show|"
    r"leak(s|ing|ed)?|jams|stale|mouldy|moldy|"
    r"burnt|undercooked|lukewarm|cold (coffee|food|tea)|chipped|cracked|crushed|smashed|damaged|faded|wilted|"
    r"not (the best|great|good|ideal|amazing|brilliant|up to (much|scratch|standard))|"
    r"(does ?n[o']t|did ?n[o']t|won'?t|isn'?t|wasn'?t|not|never|hasn'?t|haven'?t|still not) (even )?"
    r"(work(s|ing|ed)?|load(s|ing)?|turn(ed)? up|show(ed|n)? up|showed|arrived?|came|call(ed)? (back|me|us)|rang|"
    r"respond(ed)?|repl(y|ied)|got back|been back|fixed|heard back|been (started|made|done|fixed))|"
    # let-downs: nobody told us, we were left waiting
    r"(nobody|no one|noone) (told|warned|called|rang|came|bothered|apologi[sz]ed|offered|answers?|calls? back)|"
    r"without (telling|warning|asking|notice)|no (reply|response|answer|call ?back)|ignored|gave up|"
    r"waste of (money|time)|rip ?off|step down|used to be|what happened|(a|what a) joke|fail(ed|s)?|"
    r"morons?|idiots?|clowns|useless|incompetent|shambles|shambolic|cowboys?|disgrace(ful)?|appalling|"
    r"pathetic|clueless|humiliat\w*|terrible|awful|horrible|disgusting|dirty|filthy|"
    # a price given and a bigger one taken
    r"(quoted?|estimate|advertised|promised)\b[^!?\n]{0,60}\b(charged|billed|invoiced?|bill|cost)|"
    # good, then the let-down: "lovely job on the patio, shame it slopes towards the house"
    r"(shame|pity) (about|that|the|it|they|he|she|you|we|i)|(bit of|such) a (let ?down|shame))\b",
)
# Words that say the opposite of what they mean: sarcasm, and complaints asked as questions. A reader
# that counts words sees praise or a question here, so what these find is not overruled.
_IRONY = Gated(
    r"\b((oh|ah),? (great|good|brilliant|wonderful|fantastic|lovely|perfect|joy|fab|super)|just what i needed|"
    r"living the dream|yeah,? right|thanks for nothing|(cheers|thanks|great|lovely|cool|nice) i guess|"
    r"really adds to the (experience|vibe|atmosphere)|(love|loving) (paying|waiting|being (ignored|charged|kept))|"
    # a complaint asked as a question: "is it normal to wait 40 mins?", "do you guys even want work"
    r"is it (too much to ask|normal (to|that|for))|is it (just )?me or|"
    r"do (you|u) (guys |lot )?even (want|care|read|answer|bother))\b"
    r"|\b(cheers|thanks) for that\b[.!\s]*$|#not\b",
)
# Thanks for a problem put right is praise, whatever the problem was ("the leak's gone, thank you",
# "got my refund today… thank you!"), unless the thanks is sarcastic or the problem was harm.
_PUT_RIGHT = Gated(
    r"\b(sort(ed|ing)|fixed|resolved|(sent|sending) (a|the) replacement|got my (refund|money back)|refunded|"
    r"came (back|straight back|out)|replaced|"
    r"put (it|things) right|made it right|all good now|back to normal|gone now|\w+'s gone)\b"
)
_THANKFUL = Gated(
    r"\b(thank(s| you)|cheers|fair play|appreciate\w*|grateful|kudos|legends?|top job|great job|"
    r"good people|great (customer )?service|shout ?out)\b|🙏|🙌"
)
_SARCASM = Gated(r"\b(thanks for nothing|cheers for that|thanks a lot)\b|#not\b")
# A complaint told as a timeline: two clock times or dates and something that came, or did not, between
# them ("ordered at 12:10, it turned up at 12:55", "party on the 14th, it arrived on the 16th").
_MOMENT = re.compile(r"\b\d{1,2}[:.]\d{2}\b|\b\d{1,2} ?(am|pm)\b|\b\d{1,2}(st|nd|rd|th)\b")
_ARRIVAL = Gated(
    r"\b(turned up|turn up|arrived|arrive|came|showed up|show up|delivered|ready|got there|finally|"
    r"still (not|no|waiting|nothing|closed|shut|down)|no sign|ordered|booked|served|seen|sat|"
    r"got (my|our|the|it|them))\b"
)
# Let-downs that are complaints unless the post is plainly happy ("third time this month", "one till open").
_LET_DOWN = Gated(
    r"\b((third|3rd|fourth|4th|fifth|5th|umpteenth) time|instead of|make it make sense|"
    r"follow(ed|ing)? (me|us) (round|around)|told (me|us|my \w+) off|never asked|"
    r"won'?t (answer|take|give|refund|reply|respond|return|pick up|call)|(busted|broken|dead) since|"
    r"half the size|shrinkflation|(one|1) till|no (apology|sorry|explanation)|"
    # a complaint asked as a question: "did she really just follow me round?", "just a suggestion?"
    r"really just|just a suggestion|why (did|does|has|have|is|are|would) (my|our|the|this|that|it) "
    r"[^?!.]{0,60}\b(turn|go|gone|stop|break|broke|fall|fell|come|take|cost|charge|shrink)\w*|"
    r"how hard (is it|can it be)|then why|(one|two|1|2)[- ]stars?|"
    # something that should never be in food, and things taken away
    r"(hair|plaster|glass|bug|fly|insect|slug|bone|plastic) in (my|the|our|his|her) (soup|food|meal|salad|"
    r"sandwich|coffee|drink|burger|pizza|cake|dish|curry|chips|bread)|"
    r"(wiped|deleted|cancelled|lost) (all )?(my|our) (points|stamps|booking|order|account|credit|voucher))\b"
    r"|,? really\?+\s*$"
)
# A fault word in a plain question to the business is what the question is about ("lost my card, can I
# still…?", "is it refundable?"), not a complaint.
_SOFT_FAULTS = frozenset({"lost", "missing", "refund", "wrong", "leak", "leaks", "leaking", "leaked", "broken"})
# An insult right after thanks ("Thanks @airline. Morons.") is sarcasm, caught by the insult words above.
_PRAISE = Gated(
    r"\b(thank(s| you)|cheers|love|loved|amazing|awesome|best|great|fantastic|recommend|kudos|shout ?out|"
    r"delicious|beautiful|lovely|perfect|stars?|stunning|obsessed|legend|genius|impressed|brilliant|"
    r"unreal|slaps|next level|top notch|chef'?s kiss|lifesavers?)\b|[❤😍🥰👏🙌🔥💯]",
)
# Praise that tells rather than exclaims, which a lexicon reads as neutral or worse: a promise to come
# back or recommend, and the things a good tradesperson or shop did not do ("didn't charge a penny").
_VOUCHED = Gated(
    r"\b(would (definitely |100% |deffo |def |highly )?recommend|will (definitely |100% |deffo |def )?"
    r"(be back|use (them|him|her|you|it) again|use again|recommend|go back)|"
    r"(didn'?t|did not|never) (charge|try to (upsell|sell)|rip)|no bother|(no|without (any|the)) fuss|"
    r"have my (loyalty|business)|stuck with (me|us) (for life|now)|soundest|so reassuring|(hella|super|so) efficient|"
    r"never going (anywhere else|back to)|deserves? a (pay rise|raise|medal|award|promotion)|"
    r"(nobody|no one) \w+ (a |an |the )?\w+ like|lowkey elite|elite ngl)\b"
)
# A question put to other people about a place ("anyone tried the new barbers?", "best fry-up in town?"):
# nothing for the business to look up, so it gets a friendly word rather than "we'll get back to you".
_ASKS_OTHERS = Gated(
    r"\b(any ?one|any ?body|does anyone|has anyone|who (does|has|knows|do)|recommendations?|"
    r"worth (it|going|trying|a visit)|best (place|spot|shop|one)s? (for|in|near|around))\b"
)
_TO_US = re.compile(r"(^|\W)(you|your|you'?re|u|ur|ya|y'?all)(\W|$)")
# A sarcastic sign-off: a post that ends on one word of praise after something bad ("…came back with
# the engine light on. Great.", "Classic.", "cheers mate").
# "Love how they advertise 'free' wrapping and then charge for it": sarcasm when the praise meets scare quotes.
_LOVE_HOW = re.compile(r"\b(love|loving) (how|when|that)\b.*(^|\s)['‘\"“][^'’\"”]{1,30}['’\"”]")
_SIGN_OFF = re.compile(
    r"(^|[.!?,;]\s*|\s)(great|lovely|brilliant|classic|grand|fab|perfect|fantastic|super|nice one|"
    r"cheers( mate)?|love it|amazing|marvellous|wonderful)\W*$"
)
# News and chatter around a business, cheerful but praising nothing: "wish me luck", "free entry Thursday".
_CHATTER = Gated(
    r"\b(wish (me|her|him|us|them) luck|congrat\w*|psa|fyi|free entry|is (hosting|doing|looking for)|"
    r"are (hosting|doing|looking for)|hiring|retiring|first day|apparently|heard)\b"
)
# Sad news is not a complaint: "closing at the end of the month, end of an era 😢".
_SAD_NEWS = Gated(
    r"\b(end of an era|(gonna|going to|will) miss|sad to (hear|see)|sad news|retiring|closing (down|its doors)|"
    r"passed away|funeral|(his|her|their|'s) wake|condolences|rest in peace|heartbroken|will be (sorely |so )?missed|"
    r"(put|putting) (him|her|them) down|put to sleep|lost (my|our) (mum|mom|dad|nan|gran|grandad|grandpa|grandma|"
    r"husband|wife|partner|son|daughter|brother|sister|friend|dog|cat|boy|girl))\b"
)
# A question or a request to the business, at the start of any sentence (after leading @handles
# and a greeting) or anywhere in the text. "Can't believe…", "Can't wait…" ask nothing.
_NOT_NEG = r"(?!n?['’]t\b|not\b)"
_QUESTION = re.compile(
    r"(^|[.!?;,\n…]\s*|\b(hi|hey|hello|hiya|morning|afternoon|evening|so|and|but|also|quick question),?\s+)"
    r"(who|what|when|where|why|which|how|is|are|was|were|do|does|did|can|could|will|would|should|shall|may|"
    r"have you|has anyone|any ?(one|body|chance|idea|news|update)|need|looking (for|to))\b"
    + _NOT_NEG
    + r"|\b(can|could|do|will|would|are|is) (you|u|ya|i|we|there|it)\b"
    + _NOT_NEG.replace("(?!", "(?!\\s*")
    + r"|\b(any chance|is it possible|wondering (if|whether|when|what|how)|i'?d like to know|let (me|us) know|"
    r"(please|pls|plz) (could|can|let|call|ring|send|tell|advise|confirm)|(call|ring|phone|email|text|dm) (me|us) back|"
    r"(when|where|what time|how) (can|do|should|shall|could) (i|we)|how (much|long|many)|what'?s the (price|cost)|"
    r"anyone (know|been|tried|used|recommend))\b",
)
# Amazement written as a question is praise: "How is this so good?!", "How?!"
_WONDER = re.compile(r"\?!|!\?", re.IGNORECASE)

# --- Serious complaints: high urgency and careful replies, never a cheerful template ---

# Words that make a complaint serious whatever else the post says.
_SERIOUS: dict[str, Gated] = {
    "allergy": Gated(
        r"\b(anaphyla\w*|epi-?pen|allergic reaction|puffed up|(face|lips?|eyes?|throat) (swell|swelled|swelling|swole)\w*|"
        r"steroids|antihistamines?|(had|having|went into|severe|bad|nasty) (an? )?(allergic )?reaction|"
        r"hives|rash|swollen|swelling|(coeliac|celiac)\b[^.!?]{0,60}\b(still|anyway|ignored|despite|twice|regular)|"
        r"(coeliac|celiac|nut|peanut|dairy|gluten|sesame|shellfish|egg) (allergy|intolerance)"
        r"[^.!?]{0,60}\b(still|anyway|ignored|despite|twice|regular|contained|had|came)|said (it was|they were) "
        r"['‘\"“]?(nut|gluten|dairy|allergen)[- ]free|reaction to (the|your) (dye|tint|glue|product|cream|wax|polish|lotion)|"
        r"(contained|had|full of|traces of) ((wal|hazel|pea|pine ?|cashew |brazil |tree )?nuts|almonds?|cashews|pecans|"
        r"pistachios|sesame|dairy|gluten|egg|shellfish)\b[^.!?]{0,40}\b(allerg\w*|told|said|asked))\b",
    ),
    "health": Gated(
        r"\b(food poisoning|poison(ed|ing)|(got|get|getting|been|was|were|felt|feel|feeling|fell|made (me|us|him|her|them|my \w+)|"
        r"left (me|us)) (so |really |violently |very |quite |all )?(sick|ill|unwell|poorly)|vomit\w*|throwing up|threw up|"
        r"diarrh\w*|doubled over|stomach (cramps|bug|ache|pains?)|upset stomach|infect(ion|ed)|undercooked|raw (chicken|meat|pork)|"
        r"a&e|a & e|hospital(i[sz]ed)?\b[^.!?]{0,20}\b(after|since|because)|(ended up|spent|taken) (in|to) hospital|"
        r"(doctor|docs?|gp) (says?|said|thinks?)|been poorly|ill (since|after)|salmonella|e\.? ?coli|norovirus|listeria|"
        r"(sick|ill|poorly) (all night|for (two|three|\d+) days))\b",
    ),
    "injury": Gated(
        r"\b(injur\w*|hurt (my|her|his|their|our|me|us|him|them|herself|himself|themselves)|"
        r"(burn(ed|t)|scald(ed)?) (my|her|his|their|our)|blister(ed|s|ing)?|bleeding|bled|stitches|concussion|"
        r"(slipped|tripped) (on|over|up|and|in|down|going)|(i|she|he|they|we|mum|dad|son|daughter|husband|wife|kid) "
        r"(slipped|tripped)|fell (off|down|over|through)|(broke|broken|sprained|cut|nicked) (my|his|her|their|an?) "
        r"(\w+ )?(arm|leg|wrist|ankle|hand|finger|toe|tooth|teeth|nose|rib|ear|head|foot|back)|broken (arm|leg|wrist|ankle|bone|tooth)|"
        r"bruis(ed|es|ing)|(first|second|third)[- ]degree|chemical burns?|burns? (on|to) (my|her|his|their))\b",
    ),
    "safety": Gated(
        r"\b(unsafe|dangerous|hazard\w*|gas (leak|smell)|smell(ed|s)? of gas|stank of (gas|it)|gas on|carbon monoxide|"
        r"(live|exposed|bare) wires?|electric(al)? shock|electrocut\w*|caught fire|started a fire|fire (hazard|risk)|"
        r"smoke alarm|overheat\w*|scorch\w*|sparks?|mice|mouse|rats?|cockroach\w*|vermin|droppings|"
        r"(someone|somebody|a kid|a child)('s| is| will| could) (gonna |going to |be )?(get )?(hurt|killed|injured|flattened)|"
        r"environmental health|health and safety|brakes? (failed|failing|gone|went)|(ceiling|roof|shelf|shelving) "
        r"(collapsed|came down|fell in)|asbestos|flood(ed|ing) (the|our|my)|(no|without) (a )?(gas safe|certificate))\b",
    ),
    "legal": Gated(
        r"\b(lawyer|solicitor|legal action|sue|suing|court|small claims|trading standards|ombudsman|police|"
        r"discriminat\w*|racis[mt]|report(ing)? (you|this|them) to|on (camera|video|cctv)|insurance claim|"
        r"(hit|reversed into|backed into|damaged|scratched|dented) (my|our) (car|van|bike|house|wall|fence|gate)|"
        r"(guide|service|assistance) dog|data protection|gdpr|(falsely )?accused (me|us|my \w+) of|without (a )?permit)\b",
    ),
    "money": Gated(
        r"\b(charged (me |us )?twice|double[- ]charged|overcharged|charged (me |us )?for (an? |the )?\w+ (that|which) "
        r"(was|were) (cancel+ed|never)|took (my|our) money|(kept|keep|keeping|won'?t (give|return|refund)|"
        r"refus\w* to (return|refund)) (back )?(my|our|the) (\W?\d+ )?(deposit|money)|deposit\b[^.!?]{0,40}\b(not|never|no|nothing|won'?t)|"
        r"theft|thieves|stole|stolen|fraud\w*|(it'?s|is|was|total|complete|absolute|such) (a )?scam|scammed|scammers|never (placed|ordered|authori[sz]ed)|used my card|"
        r"(?<!got my )(?<!got our )money back|refund\b[^.!?]{0,30}\b(promised|still|never|nothing|waiting)|no refund|(still )?got (billed|charged)|"
        r"(quoted?|quote was|estimate|advertised|promised)\b[^!?\n]{0,60}\b(charged|billed|invoiced?|bill|cost|came in)|"
        r"(kept|took|taken|pocketed) (my|our|the) (\W?\d+ )?deposit|hidden (fees|charges)|(charged|billed|invoiced) "
        r"(me |us )?for (work|parts|a service|things) (never|not) (done|fitted|carried out|delivered))\b",
    ),
}
# Hospital, allergens, a deposit or a refund mentioned in a question are not by themselves a complaint
# ("can you deliver flowers to the hospital?", "is the brownie nut free?"): the patterns above ask for harm.
LEADING_HANDLES = re.compile(r"^(\s*@\w+[:,]?)+\s*")
ANGRY_BELOW = -0.3  # a question this negative is a complaint first
# What decided a reading: harm named, words that mean their opposite, telling words or a pattern (a
# fault, a question, praise), or only the lexicons' mood (and nothing telling at all).
HARM, IRONY, WORDS, MOOD = "harm", "irony", "words", "mood"


@lru_cache(maxsize=256)  # asked for intent, then for urgency, of the same text
def serious_kind(text: str) -> str | None:
    """health, allergy, injury, safety, legal or money when the post complains of that kind of harm."""
    lowered = sentiment.plain(text).lower()
    return next((kind for kind, pattern in _SERIOUS.items() if pattern.search(lowered)), None)


def _is_question(lowered: str) -> bool:
    return bool(_QUESTION.search(lowered)) or ("?" in lowered and not _WONDER.search(lowered))


def intent_for(text: str, value: float) -> Intent:
    """complaint, question, praise or other, by the rules alone."""
    return reading(text, value)[0]


def reading(text: str, value: float) -> tuple[Intent, str]:
    """The rules' intent for the text and its sentiment `value`, and which kind of rule decided it. The
    text is read as a person would: after leading @handles, hashtags as words, praise said with a
    negation taken out before looking for complaints."""
    label = sentiment.label_for(value)
    lowered = LEADING_HANDLES.sub("", sentiment.plain(text)).lower()
    negated_praise = _PRAISE_NEGATED.search(lowered)
    if (
        _PUT_RIGHT.search(lowered)
        and _THANKFUL.search(lowered)
        and value > -0.5
        and not _SARCASM.search(lowered)
        or sentiment.rating_weight(lowered) >= 0.6
    ) and not serious_kind(text):
        return Intent.PRAISE, WORDS  # thanks for a problem put right, or their own 8/10 or better
    fault = _COMPLAINT.search(_PRAISE_NEGATED.pattern.sub(" ", lowered) if negated_praise else lowered)
    irony = _IRONY.search(lowered) or _LOVE_HOW.search(lowered)
    vouched = _VOUCHED.search(lowered)
    if (vouched or negated_praise and not (fault or irony)) and "?" not in lowered and not serious_kind(text):
        return Intent.PRAISE, WORDS  # "Would recommend. Came out same day…", "Couldn't fault them. Was so nervous…"
    asks = _is_question(lowered)
    if serious_kind(text):
        return Intent.COMPLAINT, HARM
    if irony:
        return Intent.COMPLAINT, IRONY
    if fault and not (asks and fault.group(0) in _SOFT_FAULTS and value > 2 * ANGRY_BELOW):
        return Intent.COMPLAINT, WORDS
    signed_off = _SIGN_OFF.search(lowered)
    if signed_off and sentiment.score(lowered[: signed_off.start()]) < NEGATIVE_BELOW:
        return Intent.COMPLAINT, IRONY
    timeline = _ARRIVAL.search(lowered) and len(_MOMENT.findall(lowered)) >= 2
    if label != Label.POSITIVE and (_LET_DOWN.search(lowered) or timeline):
        return Intent.COMPLAINT, WORDS
    if label == Label.NEGATIVE and _SAD_NEWS.search(lowered) and not asks:
        return Intent.OTHER, WORDS
    if label == Label.NEGATIVE and not negated_praise and (not asks or value < ANGRY_BELOW):
        # A question asked in anger is a complaint first ("why is nobody answering??"); a plain
        # question a lexicon finds a little negative ("when does the kitchen stop…?") is a question.
        # The customer-service cues alone ("still waiting", "2/10", "mid") are telling words.
        return Intent.COMPLAINT, WORDS if sentiment.cues(text) <= NEGATIVE_BELOW else MOOD
    if asks:
        return Intent.QUESTION, WORDS
    if negated_praise or (label != Label.NEGATIVE and _PRAISE.search(lowered)):
        return Intent.PRAISE, WORDS
    if label == Label.POSITIVE and not _CHATTER.search(lowered):
        return Intent.PRAISE, MOOD
    return Intent.OTHER, MOOD


def sad_news(text: str) -> bool:
    """A death, a closing, someone much loved leaving: news that wants a kind word, not thanks."""
    return bool(_SAD_NEWS.search(sentiment.plain(text).lower()))


def asks_others(text: str) -> bool:
    """A question put to other people about a place, not to the business ("anyone tried the new barbers?")."""
    lowered = text.lower()
    return bool(_ASKS_OTHERS.search(lowered)) and not _TO_US.search(LEADING_HANDLES.sub("", lowered))
