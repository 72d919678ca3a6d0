"""The business's facts file: read with plain-language mistakes, and the answers it gives to questions."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from bot import facts
from bot.hours import parse
from tests.helpers import wait_for

HOURS = parse("mon-fri 08:00-17:00; sat 09:00-16:00; fri 22:00-02:00", "Europe/London")
# Friday 27 November 2026, 10:00 in London (GMT in winter)
FRIDAY = datetime(2026, 11, 27, 10, 0, tzinfo=UTC)
FILE = """
name = "Bramble Café"
address = "12 Mill Lane, York"
directions = "Opposite the library."
phone = "01904 555 0199"
booking = "https://bramble.example/book"
closed = ["2026-12-25"]

[[answer]]
asks = ["dogs", "dog friendly", "pets"]
say = "Dogs are very welcome, and there's a water bowl by the door."
"""


@pytest.fixture
def known(tmp_path) -> facts.Facts:
    path = tmp_path / "business.toml"
    path.write_text(FILE, encoding="utf-8")
    return facts.load(path, HOURS)


@pytest.mark.parametrize(
    "question, label, text",
    [
        ("@bramblecafe what time do you close on Sundays?", "Sunday hours", "We're closed on Sundays."),
        ("are you open tomorrow??", "Saturday hours", "We're open 09:00–16:00 tomorrow."),
        ("How late are you open today", "Friday hours", "We're open 08:00–17:00 and 22:00–02:00 today."),
        (
            "what are your opening hours",
            "opening hours",
            "We're open Monday–Thursday 08:00–17:00, Friday 08:00–17:00 and 22:00–02:00, Saturday 09:00–16:00 (closed Sunday).",
        ),
        (
            "Is the café dog friendly?",
            "your answer about dogs",
            "Dogs are very welcome, and there's a water bowl by the door.",
        ),
        ("can I book a table for 6?", "booking link", "You can book here: https://bramble.example/book"),
        ("where are you exactly", "address", "We're at 12 Mill Lane, York. Opposite the library."),
        ("what's your phone number", "phone number", "You can call us on 01904 555 0199."),
    ],
)
def test_a_question_the_facts_cover_gets_its_answer(known, question, label, text):
    assert known.answer(question, FRIDAY) == facts.Fact(label, text)


def test_today_is_the_business_s_today_and_a_holiday_is_closed(known):
    late_thursday_utc = datetime(2026, 12, 24, 23, 30, tzinfo=UTC)  # already the 25th in Auckland, not in London
    assert known.answer("are you open tomorrow?", late_thursday_utc).text == "We're closed tomorrow (25 December)."
    auckland = facts.Facts(hours=parse("mon-sun 09:00-17:00", "Pacific/Auckland"))
    assert auckland.answer("are you open today?", late_thursday_utc).label == "Friday hours"


def test_a_day_asked_by_name_is_answered_by_name(known):
    # FRIDAY: Saturday is tomorrow, but "on Saturdays?" asks about every Saturday.
    assert known.answer("What time do you close on Saturdays?", FRIDAY).text == "We're open 09:00–16:00 on Saturdays."
    assert known.answer("open saturday?", FRIDAY).text == "We're open 09:00–16:00 on Saturday."
    christmas_eve = datetime(2026, 12, 24, 10, 0, tzinfo=UTC)  # a Thursday; the 25th is a holiday
    assert known.answer("are you open on Fridays?", christmas_eve).text == "We're closed on Friday (25 December)."


def test_nothing_is_answered_that_the_facts_do_not_cover(known):
    assert known.answer("the cake was lovely", FRIDAY) is None
    assert known.answer("do you sell gift cards?", FRIDAY) is None
    assert facts.Facts(hours=parse("", "UTC")).answer("are you open today?", FRIDAY) is None  # hours never given


@pytest.mark.parametrize(
    "content, said",
    [
        ("phone = 01904 555", "line 1: text values need quotes"),
        ('phone = "1"\nphone = "2"', "one of the facts is written twice"),
        ('opening = "9-5"', "'opening' is not a fact Listening Post knows"),
        ('booking = "bramble.example/book"', "booking must be a web address"),
        ('closed = ["25 December"]', "is not a date like 2026-12-25"),
        ('hours = "weekdays 9-5"', "hours: 'weekdays 9-5' should start with days"),
        ('[[answer]]\nasks = ["dogs"]', "answer 1 needs asks"),
    ],
)
def test_a_mistake_in_the_file_is_one_plain_line(tmp_path, content, said):
    path = tmp_path / "business.toml"
    path.write_text(content, encoding="utf-8")
    with pytest.raises(facts.FactsError) as raised:
        facts.load(path, HOURS)
    assert said in str(raised.value) and str(path) in str(raised.value)


def test_the_starter_file_reads_back_as_empty_facts_with_the_settings_hours(tmp_path):
    path = tmp_path / "business.toml"
    path.write_text(facts.starter("Bramble Café", HOURS), encoding="utf-8")
    loaded = facts.load(path, HOURS)
    assert loaded.name == "Bramble Café" and loaded.hours == HOURS and not loaded.answers
    assert "Opening hours: Monday–Thursday 08:00–17:00" in facts.describe(loaded)


def test_listen_facts_says_what_suggestions_know_and_where_to_change_it(workspace_for, fake_slack, tmp_path):
    path = tmp_path / "business.toml"
    path.write_text(FILE, encoding="utf-8")
    ws = workspace_for(BUSINESS_FACTS=str(path), BUSINESS_HOURS="mon-fri 08:00-17:00", BUSINESS_TZ="Europe/London")
    ws.command("U0MARIA", "facts")
    assert wait_for(lambda: fake_slack.responses)
    text = fake_slack.responses[-1]["text"]
    assert f"(from {path}; edit it and restart to change it)" in text
    assert "• Opening hours: Monday–Friday 08:00–17:00 (closed Saturday–Sunday)" in text
    assert "• Asked about dogs, dog friendly, pets: “Dogs are very welcome" in text


def test_a_mistake_in_the_facts_file_stops_the_start_with_one_line(env, tmp_path, bot):

    path = tmp_path / "business.toml"
    path.write_text("phone = 01904\n", encoding="utf-8")
    result = bot("doctor", env={**env, "BUSINESS_FACTS": str(path)})
    assert result.returncode == 2 and f"{path}: line 1: text values need quotes" in result.stderr


def test_a_question_the_facts_answer_gets_that_answer_first_and_the_card_says_so(
    workspace_for, fake_x, fake_slack, tmp_path
):
    path = tmp_path / "business.toml"
    path.write_text(FILE, encoding="utf-8")
    fake_x.tweet("@bramblecafe what time do you close on Sundays?", author_id="1001")
    fake_x.tweet("@bramblecafe is it ok to bring my dog?", author_id="1002")
    fake_x.tweet("@bramblecafe can I book a table for 6?", author_id="1002")  # on X, no link: the phone instead
    ws = workspace_for(BUSINESS_FACTS=str(path), BUSINESS_HOURS="mon-sat 08:00-17:00", BUSINESS_TZ="Europe/London")
    assert ws.poll().posted == 3
    sunday, dog, booking = fake_slack.posted

    def first_suggestion(card):
        section = next(b for b in card["blocks"] if b["type"] == "section" and "Suggested replies" in b["text"]["text"])
        return section["text"]["text"].splitlines()[1]

    def notes(card):
        return [b["elements"][0]["text"] for b in card["blocks"] if b["type"] == "context"]

    assert first_suggestion(sunday) == "1. Hi Maria! We're closed on Sundays."
    assert "📘 The first suggestion is from your facts: Sunday hours." in notes(sunday)
    assert first_suggestion(dog) == "1. Hi Tom! Dogs are very welcome, and there's a water bowl by the door."
    assert first_suggestion(booking) == "1. Hi Tom! You can book by calling us on 01904 555 0199."
    assert "bramble.example" not in str(booking["blocks"])


def test_facts_init_writes_a_starter_and_facts_shows_what_is_known(env, tmp_path, bot):

    path = tmp_path / "business.toml"
    settings = {
        **env,
        "BUSINESS_FACTS": str(path),
        "BUSINESS_HOURS": "mon-fri 09:00-17:00",
        "BUSINESS_NAME": "Bramble Café",
    }
    first = bot("facts", env=settings)
    assert first.returncode == 0 and "`python -m bot facts --init` writes a starter" in first.stdout
    made = bot("facts", "--init", env=settings)
    assert made.returncode == 0 and f"Wrote {path}" in made.stdout and 'name = "Bramble Café"' in path.read_text()
    again = bot("facts", "--init", env=settings)
    assert "is already there" in again.stdout
    shown = bot("facts", env=settings)
    assert "Opening hours: Monday–Friday 09:00–17:00 (closed Saturday–Sunday)" in shown.stdout


def test_a_holiday_is_answered_only_when_the_facts_say_it_is_closed(known):
    assert known.answer("are you open christmas day?", FRIDAY) == facts.Fact(
        "closed 25 December", "We're closed on Christmas Day (25 December)."
    )
    # The usual hours may be wrong on a holiday the facts say nothing about: no answer, so nothing wrong is said.
    assert known.answer("open boxing day?", FRIDAY) is None
    assert known.answer("what are your hours over the bank holiday", FRIDAY) is None
    assert known.answer("are you open on the 26th?", FRIDAY) is None


def test_one_service_s_times_are_not_answered_with_the_opening_hours(known):
    assert known.answer("what time does the kitchen close on saturday?", FRIDAY) is None
    assert known.answer("until when do you serve breakfast", FRIDAY) is None
    assert known.answer("what time do you close on saturday?", FRIDAY).text == "We're open 09:00–16:00 on Saturday."
