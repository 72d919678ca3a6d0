"""How often a question the business's facts cover gets the right answer as its first suggestion (target ≥ 90 %).

    .venv/bin/python bench/facts_answers.py

A café's facts file and questions written for this bench (kept apart from the tests): each
question is labelled with the fact that answers it, or with nothing when the facts do not
cover it. Every question goes through the real triage (intent, then the facts), as a card on X
would get it. Prints the misses and one JSON line.
"""

from __future__ import annotations

import json
import os
import sys
import tempfile
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bot import facts  # noqa: E402
from bot.hours import parse  # noqa: E402
from bot.models import Mention  # noqa: E402
from bot.replies import ReplyTemplates  # noqa: E402
from bot.triage import Triager  # noqa: E402

FACTS = """
name = "Juniper Café"
address = "4 Castle Street, Hexham"
directions = "Next to the abbey car park."
phone = "01434 600 700"
email = "hello@juniper.example"
booking = "https://juniper.example/book"
closed = ["2026-12-25", "2026-12-26"]

[[answer]]
asks = ["dogs", "dog friendly", "pets", "puppy"]
say = "Dogs are welcome inside, and we keep treats behind the counter."

[[answer]]
asks = ["oat milk", "soy milk", "plant milk", "dairy free", "vegan milk"]
say = "Yes, oat and soy milk at no extra cost."

[[answer]]
asks = ["gluten free", "coeliac", "celiac", "gluten"]
say = "We have gluten-free cakes and bread, made in a separate area; ask the team about cross-contact."

[[answer]]
asks = ["wifi", "wi-fi", "internet", "laptop"]
say = "Free wifi, and plenty of plugs by the window seats."

[[answer]]
asks = ["wheelchair", "step free", "accessible", "pram", "buggy"]
say = "Step-free entrance at the side door and an accessible toilet."

[[answer]]
asks = ["parking", "park nearby", "car park"]
say = "The abbey car park is next door, free after 6pm."
"""
HOURS = parse("mon-fri 08:00-17:00; sat 09:00-17:00; sun 10:00-16:00", "Europe/London")
NOW = datetime(2026, 11, 27, 11, 0, tzinfo=UTC)  # a Friday morning in Hexham

# (question, the fact label prefix expected first, or None when the facts do not cover it)
QUESTIONS = [
    ("What time do you close today?", "Friday hours"),
    ("@juniper are you open on Sunday?", "Sunday hours"),
    ("are you open tomorrow morning", "Saturday hours"),
    ("What are your opening hours?", "opening hours"),
    ("How late are you open on Saturdays?", "Saturday hours"),
    ("When do you open on Monday?", "Monday hours"),
    ("Open on Christmas Day? Thinking of popping in", "closed 25 December"),
    ("what time do you close tonight?", "Friday hours"),
    ("Hi! Are you open today? Walking over now", "Friday hours"),
    ("Do you close early on Sundays?", "Sunday hours"),
    ("Can I bring my dog inside?", "your answer about dogs"),
    ("Is the café dog friendly?", "your answer about dogs"),
    ("are puppies allowed in?", "your answer about dogs"),
    ("Do you allow pets inside?", "your answer about dogs"),
    ("Do you have oat milk?", "your answer about oat milk"),
    ("Any dairy free options for coffee?", "your answer about oat milk"),
    ("Is there soy milk for lattes?", "your answer about oat milk"),
    ("Do you do gluten free cake?", "your answer about gluten free"),
    ("I'm coeliac, is there anything I can eat?", "your answer about gluten free"),
    ("Do you have wifi?", "your answer about wifi"),
    ("Is it ok to work on a laptop there for a few hours?", "your answer about wifi"),
    ("Is the café wheelchair accessible?", "your answer about wheelchair"),
    ("Can I get a pram through the door?", "your answer about wheelchair"),
    ("Where can I park nearby?", "your answer about parking"),
    ("Is there parking close to you?", "your answer about parking"),
    # On X a link costs dear, so booking is answered with the phone number there.
    ("Can I book a table for 8 on Saturday?", "phone number, for booking"),
    ("Do you take reservations?", "phone number, for booking"),
    ("Where are you exactly?", "address"),
    ("What's your address?", "address"),
    ("How do I get to you from the station?", "address"),
    ("What's your phone number?", "phone number"),
    ("Can I call you to ask about a birthday cake?", "phone number"),
    ("What's your email address?", "email address"),
    ("Do you sell gift cards?", None),
    ("Are you hiring at the moment?", None),
    ("Do you do catering for events?", None),
    ("Is the carrot cake nut free?", None),
    ("Who does your cups? They're gorgeous", None),
    ("Can you recommend a good walk near Hexham?", None),
    ("Is it quiet on weekday afternoons?", None),
]


def cafe_facts() -> facts.Facts:
    """The café's facts, read through the real loader as a business.toml would be."""
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "business.toml"
        path.write_text(FACTS, encoding="utf-8")
        return facts.load(path, HOURS)


@contextmanager
def frozen_clock():
    """Triage's clock set to NOW, so "today" in an answer is the same Friday on every run."""
    import bot.triage as triage_module

    real_datetime = triage_module.datetime

    class Frozen(real_datetime):
        @classmethod
        def now(cls, tz=None):
            return NOW if tz else NOW.replace(tzinfo=None)

    triage_module.datetime = Frozen
    try:
        yield
    finally:
        triage_module.datetime = real_datetime


def main() -> None:
    triager = Triager(ReplyTemplates.load(ROOT / "bot" / "reply_templates.toml"), "Juniper Café", cafe_facts())
    covered = right = uncovered = wrongly = 0
    misses = []
    with frozen_clock():
        for i, (question, expected) in enumerate(QUESTIONS):
            result = triager.triage(Mention("x", str(i), "sam_k", "Sam Kerr", question, "", NOW, lang="en"))
            got = result.note.split("facts: ", 1)[1].rstrip(".") if "facts: " in result.note else None
            if expected:
                covered += 1
                right += got == expected
            else:
                uncovered += 1
                wrongly += got is not None
            if got != expected:
                misses.append(f"  {question!r}: expected {expected}, got {got} (intent {result.intent})")
    if misses:
        print("Misses:\n" + "\n".join(misses))
    print(
        json.dumps(
            {
                "covered_questions": covered,
                "answered_right": right,
                "answered_right_share": round(right / covered, 3),
                "uncovered_questions": uncovered,
                "answered_wrongly": wrongly,
                "cores": os.cpu_count(),
            }
        )
    )


if __name__ == "__main__":
    main()
