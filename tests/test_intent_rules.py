"""Issue 12, item 4 — no customer missed: each failure pattern seen on real posts, as a named case.

(The development set that the rules are measured on is bench/dev_mentions.csv; it is kept apart
from these cases.)
"""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from bot.config import DEFAULT_TEMPLATES
from bot.intent import serious_kind
from bot.models import Mention
from bot.replies import ReplyTemplates
from bot.triage import Triager

NEEDS_ANSWER = ("complaint", "question")


@pytest.fixture(scope="module")
def triager():
    return Triager(ReplyTemplates.load(DEFAULT_TEMPLATES), business="Bramble Café")


def triage(triager, text, followers=150, name="Maria López"):
    return triager.triage(
        Mention(
            "x",
            "1",
            "maria_eats",
            name,
            text,
            "https://x.com/maria_eats/status/1",
            datetime.now(UTC),
            author_followers=followers,
            lang="en",
        )
    )


@pytest.mark.parametrize(
    "text",
    [
        "@bramblecafe your app keeps crashing when I try to pay",
        "The card reader freezes every single time",
        "Booked a plumber for 8am and he didn't turn up",
        "You quoted £40 and charged £95",
        "Our class was cancelled and nobody told us",
    ],
)
def test_fault_and_let_down_words_are_complaints(triager, text):
    t = triage(triager, text)
    assert t.intent == "complaint" and t.urgency in ("normal", "high"), t
    assert t.label == "negative" and t.sentiment < 0, t  # the card's mood agrees: a complaint is never neutral


@pytest.mark.parametrize("text", ["There was a cockroach in the toilets", "My order arrived with the lid cracked"])
def test_a_complaint_in_plain_words_shows_a_negative_mood(triager, text):
    t = triage(triager, text)  # no word of these is negative to a general lexicon
    assert (t.intent, t.label) == ("complaint", "negative") and t.sentiment < 0, t


# Each way a post was misread on mentions written apart from the rules, as a case of its own kind
# (the phrasing here is new: the development sets stay apart from the tests).
READINGS = [
    ("a plain question a lexicon finds a little negative", "When do you stop serving lunch on weekdays", "question"),
    ("a plain question a lexicon finds a little negative", "Do you need to cancel a booking by phone?", "question"),
    ("a let-down", "Paid the electrician up front in May and he has stopped answering my calls", "complaint"),
    (
        "a quote and a bigger bill across sentences",
        "They quoted £200 for the repair. The invoice said £650.",
        "complaint",
    ),
    ("a timeline", "Booked the 9am slot, the mechanic finally looked at it at 2pm", "complaint"),
    ("a timeline", "Ordered the curtains on the 3rd for a party on the 20th, they arrived on the 24th", "complaint"),
    ("a timeline", "booked for 10am, sat in the chair at 11.05", "complaint"),
    ("a happy timeline", "Booked at 2pm, out by 2.40 looking amazing. Love this place!", "praise"),
    (
        "thanks for a problem put right",
        "The boiler was leaking again but they came straight back and sorted it. Thank you!",
        "praise",
    ),
    ("thanks for a problem put right", "Got my money back within a day after the mix-up, cheers @fernandco", "praise"),
    (
        "thanks for a problem put right",
        "Sent a replacement kettle the day after the first one arrived broken. Great customer service",
        "praise",
    ),
    ("sarcastic thanks for a fix", "Replaced the part and it broke the next day. Thanks for nothing.", "complaint"),
    ("a mixed post", "Gorgeous shop, shame about the lad on the till who ignored us", "complaint"),
    ("a complaint asked as a question", "Is it normal to wait three weeks for a quote?", "complaint"),
    ("a complaint asked as a question", "do you guys even answer your phone", "complaint"),
    ("a low rating", "2/10 would not get my nails done here again", "complaint"),
    ("a high rating", "10/10 for the scalp massage", "praise"),
    ("a high rating despite a fault word", "8/10, lost a point for the parking but the fitting was spot on", "praise"),
    ("slang", "honestly the new menu is mid", "complaint"),
    ("slang", "no notes, the new barber is class", "praise"),
    ("praise negated", "Not the best haircut I've had, and she barely spoke to me", "complaint"),
    ("praise said with 'i guess'", "£6 for a toastie that was mostly air. lovely i guess", "complaint"),
    ("a let-down without a fault word", "Fourth time the bread delivery has been short this month", "complaint"),
    ("a let-down without a fault word", "The manager followed me round the aisles like I was a thief", "complaint"),
    ("a let-down without a fault word", "paid the deposit in May and now they won't answer the phone", "complaint"),
    ("a fault word in a plain question", "Lost my loyalty card, can you add the stamps to a new one?", "question"),
    ("a fault word in a plain question", "Is the deposit refundable if we have to cancel?", "question"),
    (
        "praise that tells",
        "Couldn't fault them. Was nervous about going blonde and they talked me through it",
        "praise",
    ),
    ("praise that tells", "Would recommend the lads at Hartley to anyone. Came out the same day", "praise"),
    ("praise that tells", "Fixed the leak in twenty minutes and didn't charge a penny for the call out", "praise"),
    ("sad news", "Heard the bakery on Main St is closing down next month. End of an era 😢", "other"),
    ("a sarcastic sign-off", "Waited a week for the part and it was the wrong size again. Brilliant.", "complaint"),
    ("cheerful chatter", "The deli is hosting a cheese tasting on Friday, free entry, wish me luck resisting", "other"),
    ("a complaint asked as a question", "why did my new boots fall apart after a week of wearing them?", "complaint"),
    ("a complaint asked as a question", "did the waiter really just roll his eyes at my order?", "complaint"),
    ("praise that tells", "Nobody bakes a sourdough like the lads at Crumb. Never going anywhere else", "praise"),
    ("praise that tells", "whoever iced the birthday cake deserves a pay rise", "praise"),
    ("a question about a scam, not a complaint of one", "is a £300 deep clean worth it or is it a scam?", "question"),
    ("sarcasm with scare quotes", "Love how the 'express' wash took three hours", "complaint"),
    ("a rhetorical question", "How hard can it be to put the right postcode on a parcel", "complaint"),
    ("a rhetorical question", "Shut at 4 on a Saturday, really?", "complaint"),
    ("something in the food", "There was a bit of plastic in my curry last night", "complaint"),
    ("something taken away", "Your app update wiped all my points", "complaint"),
    ("a low rating in words", "Two stars. The cut was fine but I waited forty minutes", "complaint"),
    ("coeliac and happy", "I'm coeliac and had the gluten free brownie, gorgeous", "praise"),
]


@pytest.mark.parametrize("kind, text, intent", READINGS, ids=[f"{kind}: {text[:30]}" for kind, text, _ in READINGS])
def test_how_a_post_is_read(triager, kind, text, intent):
    assert triage(triager, text).intent == intent, kind


def test_praise_the_rules_find_shows_a_positive_mood(triager):
    t = triage(triager, "Legend behind the counter today")  # a lexicon finds nothing positive here
    assert (t.intent, t.label) == ("praise", "positive") and t.sentiment > 0, t


def test_a_question_put_to_other_people_gets_a_friendly_word_not_a_promise_to_answer(triager):
    to_others = triage(triager, "Can anyone recommend a good florist in Leith for a wedding?")
    assert to_others.intent == "question"
    assert not any("get back to you" in s or "right answer" in s for s in to_others.suggestions), to_others.suggestions
    to_us = triage(triager, "Does anyone at your shop know if you deliver to Leith?")
    assert any("get back to you" in s or "right answer" in s for s in to_us.suggestions), to_us.suggestions


def test_a_blister_and_a_danger_to_others_are_harm(triager):
    assert (
        serious_kind("The barista spilled boiling water on my hand, I've got a blister the size of a coin") == "injury"
    )
    assert serious_kind("Ladders left across the pavement outside, someone's going to get hurt") == "safety"


def test_slipped_tiles_are_not_an_injury_but_a_slip_is(triager):
    assert serious_kind("Can you send someone to look at a few slipped tiles") is None
    assert serious_kind("My mum slipped on the wet floor by the door") == "injury"


def test_a_swollen_face_after_a_treatment_is_an_allergic_reaction(triager):
    assert serious_kind("Told them I react to PPD, face puffed up that night and I'm on steroids now") == "allergy"


def test_a_question_keeps_its_own_mood(triager):
    t = triage(triager, "Do you have oat milk?")
    assert t.intent == "question" and t.label == "neutral", t


@pytest.mark.parametrize("text", ["#ThanksForNothing @bramblecafe", "Cold chips again #totallydisappointed"])
def test_negative_hashtags_are_split_into_words(triager, text):
    t = triage(triager, text)
    assert (t.label, t.intent) == ("negative", "complaint")


@pytest.mark.parametrize(
    "text",
    [
        "Oh great, another 'system error' at the till… Brilliant.",
        "Thanks @bramblecafe. Morons.",
    ],
)
def test_sarcasm_is_a_complaint_not_praise(triager, text):
    t = triage(triager, text)
    assert (t.label, t.intent) == ("negative", "complaint")
    assert not any("made our day" in s or "lovely to hear" in s for s in t.suggestions)


@pytest.mark.parametrize("text", ["You guys never disappoint!", "Couldn't be happier with my new fringe"])
def test_negated_praise_is_praise_not_a_complaint(triager, text):
    t = triage(triager, text)
    assert (t.label, t.intent, t.urgency) == ("positive", "praise", "low")


def test_slang_praise_is_praise(triager):
    t = triage(triager, "that falafel bowl is unreal 🔥")
    assert (t.label, t.intent, t.urgency) == ("positive", "praise", "low")


@pytest.mark.parametrize(
    "text",
    [
        "@bramblecafe @millane do you open on Sundays",
        "@bramblecafe can I bring my dog",
        "hi, any chance you could save me two cinnamon buns",
        "Need an electrician this week, are you free Thursday",
    ],
)
def test_questions_after_handles_or_without_a_question_mark(triager, text):
    assert triage(triager, text).intent == "question"


@pytest.mark.parametrize("text", ["Can't believe how good the carrot cake was", "Can't wait for Saturday brunch!"])
def test_cant_believe_is_not_a_question(triager, text):
    t = triage(triager, text)
    assert t.intent in ("praise", "other") and t.urgency == "low"


@pytest.mark.parametrize(
    "text, kind",
    [
        ("Got food poisoning from your chicken wrap, up all night vomiting", "health"),
        ("My daughter had an allergic reaction to the 'nut free' cookie", "allergy"),
        ("Slipped on the wet floor by the counter and hurt my wrist", "injury"),
        ("There were exposed wires hanging by the sink, really dangerous", "safety"),
        ("My solicitor will be in touch about the damage to my car", "legal"),
        ("You charged me twice for one haircut and won't give my money back", "money"),
        ("Tested positive for salmonella two days after eating at yours", "health"),
        ("Came out in a reaction to the wax you used, my whole lip is swollen", "allergy"),
        ("The hair dye left chemical burns on my scalp", "injury"),
        ("The brakes failed on the way home from your garage", "safety"),
        ("Turned away at the door because of my guide dog", "legal"),
        ("Took our £200 deposit and never turned up", "money"),
        ("I said I was coeliac twice and the pasta still came with regular flour", "allergy"),
    ],
)
def test_harm_is_high_urgency_with_careful_replies_of_its_kind(triager, text, kind):
    t = triage(triager, text)
    assert serious_kind(text) == kind
    assert (t.intent, t.urgency) == ("complaint", "high")
    assert t.suggestions and all(s in _careful(triager, text, kind) for s in t.suggestions)
    for s in t.suggestions:
        # Apologise, take it private (a DM, or a call or email where there are no DMs: Google), say who follows up.
        assert "sorry" in s.lower() and ("DM" in s or "call or email" in s) and "manager" in s
        assert "😊" not in s and "lovely" not in s.lower() and "about the food" not in s


def test_food_poisoning_from_a_big_account_is_not_answered_like_a_cold_coffee(triager):
    poisoned = triage(triager, "Food poisoning after eating at @bramblecafe. Avoid.", followers=24_800)
    coffee = triage(triager, "My coffee was cold this morning", followers=24_800)
    assert poisoned.urgency == "high" and poisoned.intent == coffee.intent == "complaint"
    assert not set(poisoned.suggestions) & set(coffee.suggestions)
    assert all("unwell" in s or "ill" in s for s in poisoned.suggestions)
    assert any("the food" in s for s in triage(triager, "The food was cold").suggestions)  # the light one stays light


@pytest.mark.parametrize(
    "text",
    [
        "Can you deliver flowers to the hospital on Sunday?",
        "Is the brownie nut free?",
        "Do you take a deposit for party bookings?",
    ],
)
def test_a_plain_question_about_health_or_money_words_is_not_a_serious_complaint(triager, text):
    t = triage(triager, text)
    assert t.intent == "question" and serious_kind(text) is None


def test_a_templates_file_without_careful_replies_borrows_the_built_in_ones(tmp_path, triager):
    text = DEFAULT_TEMPLATES.read_text(encoding="utf-8")
    path = tmp_path / "replies.toml"
    path.write_text(text[: text.index("[serious]")], encoding="utf-8")
    own = Triager(ReplyTemplates.load(path))
    t = own.triage(
        Mention(
            "x", "1", "maria_eats", "Maria López", "Got food poisoning from the wrap", "u", datetime.now(UTC), lang="en"
        )
    )
    assert t.urgency == "high" and all("unwell" in s or "ill" in s for s in t.suggestions)


def _careful(triager, text, kind):
    return set(
        triager.templates.suggest(
            intent="complaint",
            handle="maria_eats",
            name="Maria López",
            text=text,
            business="Bramble Café",
            network="x",
            serious=kind,
        )
    )


@pytest.mark.parametrize(
    "text",
    [
        "Sad news today, Jean who ran the counter for 30 years passed away. She'll be missed",
        "We held mum's wake at @bramblecafe and they were so kind to us",
        "Gutted that Kez is leaving the salon, end of an era",
    ],
)
def test_sad_news_gets_a_kind_word_not_thanks_for_the_mention(triager, text):
    t = triage(triager, text)
    assert t.suggestions and not any(
        "made our day" in s or "Thanks for the mention" in s or "thinking of us" in s or "see you again" in s
        for s in t.suggestions
    ), t.suggestions
    assert any("thinking of you" in s or "warmest thoughts" in s for s in t.suggestions)


def test_a_templates_file_without_sad_replies_borrows_the_built_in_ones(tmp_path):
    text = DEFAULT_TEMPLATES.read_text(encoding="utf-8")
    path = tmp_path / "replies.toml"
    start = text.index("# Sad news:")
    path.write_text(text[:start] + text[text.index("]\n", start) + 2 :], encoding="utf-8")
    assert "sad = [" not in path.read_text(encoding="utf-8")
    own = Triager(ReplyTemplates.load(path))
    assert any(
        "warmest thoughts" in s or "thinking of you" in s
        for s in triage(own, "Sad news, the old owner passed away last night").suggestions
    )
