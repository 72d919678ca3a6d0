"""The business's facts, written once (a TOML file), and the answers they give to customers' questions.

A question about opening hours, where the shop is, how to book, or anything the owner wrote
an `[[answer]]` for, gets a first suggestion that answers it; the card says which fact it used,
so a wrong fact is fixed at the source.
"""

from __future__ import annotations

import re
import tomllib
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from pathlib import Path

from bot.hours import BusinessHours, HoursError
from bot.hours import parse as parse_hours

DEFAULT_PATH = Path("business.toml")
DAY_NAMES = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")
_FIELDS = {"name", "address", "directions", "phone", "email", "booking", "hours", "closed", "answer"}


class FactsError(ValueError):
    """The facts file has a mistake; the message names the line or the setting and says how to fix it."""


@dataclass(frozen=True)
class Answer:
    asks: tuple[str, ...]  # words or phrases that ask for it ("dogs", "dog friendly")
    say: str


@dataclass(frozen=True)
class Fact:
    """One answer to a customer's question: what to say, and which fact it came from (for the card)."""

    label: str  # "Sunday hours", "address", "your answer about dogs"
    text: str


@dataclass(frozen=True)
class Facts:
    name: str = ""
    address: str = ""
    directions: str = ""
    phone: str = ""
    email: str = ""
    booking: str = ""
    hours: BusinessHours | None = None
    closed: frozenset[date] = frozenset()
    answers: tuple[Answer, ...] = field(default_factory=tuple)

    @property
    def empty(self) -> bool:
        return not (
            self.address
            or self.phone
            or self.email
            or self.booking
            or self.answers
            or (self.hours and not self.hours.always_open)
        )

    def answer(self, text: str, now: datetime, links: bool = True) -> Fact | None:
        """The fact that answers the question in `text` (`now` in the business's zone resolves "today"), or None.

        `links`: whether the answer may hold a web address (not on X, where a link costs dear).
        """
        lowered = text.lower()
        for answer in self.answers:  # the owner's own answers come first: they know best
            if any(_says(lowered, ask) for ask in answer.asks):
                return Fact(f"your answer about {answer.asks[0]}", answer.say)
        if self.hours and not self.hours.always_open and _HOURS.search(lowered) and not _SERVICE.search(lowered):
            # One service's times ("when does the kitchen close?") are not the opening hours: no guess.
            hours = self._hours(self.hours, lowered, now)
            if hours:
                return hours
        if _BOOKING.search(lowered):
            if self.booking and links:
                return Fact("booking link", f"You can book here: {self.booking}")
            if self.phone:
                return Fact("phone number, for booking", f"You can book by calling us on {self.phone}.")
        if self.email and _EMAIL.search(lowered):
            return Fact("email address", f"You can email us at {self.email}.")
        if self.phone and _PHONE.search(lowered):
            return Fact("phone number", f"You can call us on {self.phone}.")
        if self.address and _WHERE.search(lowered):
            where = self.address + (f". {self.directions}" if self.directions else "")
            return Fact("address", f"We're at {where.rstrip('.')}.")
        return None

    def _hours(self, hours: BusinessHours, lowered: str, now: datetime) -> Fact | None:
        local = now.astimezone(hours.tz)
        holiday = _HOLIDAY.search(lowered)
        if holiday:
            # A holiday or a date: the facts know it only when it is one of the closed days. Otherwise
            # the usual hours may well be wrong that day, so nothing is answered.
            day = _holiday_date(holiday.group(0), local.date())
            if day in self.closed:
                return Fact(f"closed {day:%d %B}", f"We're closed on {holiday.group(0).title()} ({day:%d %B}).")
            return None
        asked = _asked_day(lowered, local.date())
        if asked is None:
            return Fact("opening hours", f"We're open {week_hours(hours)}.")
        day, when = asked
        label = f"{DAY_NAMES[day.weekday()]} hours"
        if day in self.closed:  # that one day, not every such day: "on Sunday (25 December)"
            once = when.removesuffix("s") if when.startswith("on ") else when
            return Fact(f"closed {day:%d %B}", f"We're closed {once} ({day:%d %B}).")
        shifts = hours.shifts[day.weekday()]
        if not shifts:
            return Fact(label, f"We're closed {when}.")
        return Fact(label, f"We're open {_shifts(shifts)} {when}.")


# What asks for each fact. Written for questions in general, not for any one shop.
_HOURS = re.compile(r"\b(open(ing)?|close[sd]?|closing|hours|what time|till what time|until when|how late|how early)\b")
_BOOKING = re.compile(r"\b(book(ing)?|reserv(e|ations?)|table for|make an appointment)\b")
_WHERE = re.compile(
    r"\b(where are you|where is (the|your)|address|find you|located|location|directions|how do i get)\b"
)
_PHONE = re.compile(r"\b(phone|call you|number to call|ring you|telephone)\b")
_EMAIL = re.compile(r"\b(e-?mail)\b")
# Asks about the times of one service, not about being open.
_SERVICE = re.compile(
    r"\b(kitchen|breakfast|brunch|lunch|dinner|food|serving|serve|last orders?|happy hour|"
    r"deliver(y|ies)|takeaway|click and collect)\b"
)
# A holiday or a date asked about ("open boxing day?", "are you open on the 26th?").
_HOLIDAY = re.compile(
    r"\b(christmas( day| eve)?|xmas( day| eve)?|boxing day|new year'?s( day| eve)?|easter( \w+)?|good friday|"
    r"bank holiday( monday)?|public holidays?|anzac day|thanksgiving|labou?r day|memorial day|"
    r"independence day|canada day|australia day|waitangi day|st\.? patrick'?s day|hogmanay|"
    r"\d{1,2}(st|nd|rd|th)|\d{1,2} (jan|feb|mar|apr|may|jun|jul|aug|sep|oct|nov|dec)[a-z]*)\b"
)
# Holidays on the same date every year, to check against the closed days.
_FIXED_DATES = {
    "christmas eve": (12, 24),
    "christmas": (12, 25),
    "christmas day": (12, 25),
    "boxing day": (12, 26),
    "new year's eve": (12, 31),
    "new years eve": (12, 31),
    "new year's day": (1, 1),
    "new years day": (1, 1),
    "hogmanay": (12, 31),
}
_WEEKDAYS = {name.lower(): i for i, name in enumerate(DAY_NAMES)}
_DAY_WORD = re.compile(r"\b(today|tonight|tomorrow|" + "|".join(sorted(_WEEKDAYS, key=len, reverse=True)) + r")s?\b")


def _says(lowered: str, phrase: str) -> bool:
    """`phrase` in the text as whole words, singular or plural ("dogs" asks for "my dog" too)."""
    words = [_singular_pattern(w) for w in phrase.lower().split()]
    return re.search(r"(?<!\w)" + r"\s+".join(words) + r"(?!\w)", lowered) is not None


def _singular_pattern(word: str) -> str:
    """A word, as a pattern for it in the singular or the plural (dog/dogs, puppy/puppies, box/boxes)."""
    if word.endswith("ies") and len(word) > 4:
        word = word[:-3] + "y"
    elif word.endswith("s") and not word.endswith("ss") and len(word) > 3:
        word = word[:-1]
    if word.endswith("y") and len(word) > 2:
        return re.escape(word[:-1]) + "(?:y|ies)"
    return re.escape(word) + "(?:s|es)?"


def _holiday_date(said: str, today: date) -> date | None:
    """The next date of a holiday that falls on the same date each year, or None."""
    month_day = _FIXED_DATES.get(said.replace("xmas", "christmas"))
    if month_day is None:
        return None
    this_year = date(today.year, *month_day)
    return this_year if this_year >= today else date(today.year + 1, *month_day)


def _asked_day(lowered: str, today: date) -> tuple[date, str] | None:
    """The day asked about, and how to say it back: "today", "tomorrow", or the day's name as it was
    asked ("on Saturdays" to "do you close early on Saturdays?", even when Saturday is tomorrow)."""
    found = _DAY_WORD.search(lowered)
    if not found:
        return None
    word = found.group(1)
    if word in ("today", "tonight"):
        return today, "today"
    if word == "tomorrow":
        return today + timedelta(days=1), "tomorrow"
    day = today + timedelta(days=(_WEEKDAYS[word] - today.weekday()) % 7)
    return day, f"on {DAY_NAMES[day.weekday()]}{'s' if found.group(0).endswith('s') and not word.endswith('s') else ''}"


def _clock(t: time) -> str:
    return f"{t:%H:%M}"


def _shifts(shifts) -> str:
    return " and ".join(f"{_clock(a)}–{_clock(b)}" for a, b in shifts)


def week_hours(hours: BusinessHours) -> str:
    """The week's hours in a few words: "Monday–Friday 08:00–17:00, Saturday 09:00–16:00 (closed Sunday)"."""
    parts, closed, i = [], [], 0
    while i < 7:
        j = i
        while j + 1 < 7 and hours.shifts[j + 1] == hours.shifts[i]:
            j += 1
        days = DAY_NAMES[i] if i == j else f"{DAY_NAMES[i]}–{DAY_NAMES[j]}"
        if hours.shifts[i]:
            parts.append(f"{days} {_shifts(hours.shifts[i])}")
        else:
            closed.append(days)
        i = j + 1
    return ", ".join(parts) + (f" (closed {' and '.join(closed)})" if closed else "")


def load(path: str | Path, business_hours: BusinessHours) -> Facts:
    """Read the facts file; a missing file is no facts. Hours come from BUSINESS_HOURS unless the file has its own."""
    path = Path(path)
    if not path.is_file():
        return Facts(hours=business_hours)
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except UnicodeDecodeError:
        raise FactsError(f"{path} is not a text file in UTF-8; save it again as plain text.") from None
    except tomllib.TOMLDecodeError as exc:
        raise FactsError(f"{path}: {_toml_problem(str(exc))}") from None
    unknown = sorted(set(data) - _FIELDS)
    if unknown:
        raise FactsError(
            f"{path}: '{unknown[0]}' is not a fact Listening Post knows; use {', '.join(sorted(_FIELDS - {'answer'}))} "
            "or [[answer]] blocks."
        )
    text = {
        key: _text(path, key, data.get(key, ""))
        for key in ("name", "address", "directions", "phone", "email", "booking")
    }
    if text["booking"] and not text["booking"].startswith(("https://", "http://")):
        raise FactsError(
            f"{path}: booking must be a web address starting with https:// (it is '{text['booking'][:60]}')."
        )
    hours = business_hours
    if data.get("hours"):
        try:
            hours = parse_hours(_text(path, "hours", data["hours"]), business_hours.tz.key)
        except HoursError as exc:
            raise FactsError(f"{path}: {str(exc).replace('BUSINESS_HOURS', 'hours')}") from None
    return Facts(
        **text,
        hours=hours,
        closed=_closed(path, data.get("closed", [])),
        answers=_answers(path, data.get("answer", [])),
    )


_POSITION = re.compile(r" \(at .*\)$")


def _toml_problem(message: str) -> str:
    """tomllib's message, with what to do: "Invalid value (at line 3, column 9)" → where, and the usual fix."""
    where = re.search(r"\(at (line \d+), column \d+\)", message)
    at = f"{where.group(1)}: " if where else ""
    if "overwrite" in message:
        return f"{at}one of the facts is written twice; keep one of them."
    if "Invalid value" in message or "Expected" in message:
        return f'{at}text values need quotes, like phone = "01904 555 0199", and lists brackets, like closed = ["2026-12-25"].'
    return at + _POSITION.sub("", message) + "."


def _text(path: Path, key: str, value) -> str:
    if not isinstance(value, str):
        raise FactsError(f'{path}: {key} must be text in quotes, like {key} = "…".')
    return " ".join(value.split())


def _closed(path: Path, value) -> frozenset[date]:
    if not isinstance(value, list):
        raise FactsError(f'{path}: closed must be a list of dates, like closed = ["2026-12-25", "2026-12-26"].')
    days = set()
    for item in value:
        try:
            days.add(item if isinstance(item, date) else date.fromisoformat(str(item)))
        except ValueError:
            raise FactsError(f"{path}: closed has '{str(item)[:20]}', which is not a date like 2026-12-25.") from None
    return frozenset(days)


def _answers(path: Path, value) -> tuple[Answer, ...]:
    if not isinstance(value, list):
        raise FactsError(f'{path}: write each answer as an [[answer]] block with asks = [...] and say = "...".')
    found = []
    for n, block in enumerate(value, 1):
        asks, say = (block.get("asks"), block.get("say")) if isinstance(block, dict) else (None, None)
        if isinstance(asks, str):
            asks = [asks]
        if (
            not asks
            or not all(isinstance(a, str) and a.strip() for a in asks)
            or not isinstance(say, str)
            or not say.strip()
        ):
            raise FactsError(
                f'{path}: answer {n} needs asks = ["words that ask for it", …] and say = "what to answer".'
            )
        found.append(Answer(tuple(" ".join(a.split()) for a in asks), " ".join(say.split())))
    return tuple(found)


STARTER = """# What your business wants customers told. Suggested replies use these facts when a question
# asks for them, and the card says which fact it used. Edit, save, and restart Listening Post;
# `python -m bot facts` checks the file and shows what it knows.

name = "{name}"
address = ""          # like "12 Mill Lane, York YO1 7AB"
directions = ""       # like "Two minutes from the station, opposite the library."
phone = ""
email = ""
booking = ""          # a web address where people book or order, like "https://example.com/book"

# Opening hours come from BUSINESS_HOURS ({hours}).
# To give customers other hours, write them here in the same form: hours = "mon-fri 08:00-17:00; sat 09:00-16:00"
closed = []           # days you are closed although the hours say open, like ["2026-12-25", "2026-12-26"]

# Your own answers: the words that ask for it, and what to say.
# [[answer]]
# asks = ["dogs", "dog friendly", "pets"]
# say = "Dogs are very welcome, and there's a water bowl by the door."
"""


def starter(business_name: str, hours: BusinessHours) -> str:
    return STARTER.format(
        name=business_name.replace('"', "'"), hours=week_hours(hours) if not hours.always_open else "not set"
    )


def describe(facts: Facts) -> str:
    """What the bot knows, in a few lines (for `/listen facts` and `python -m bot facts`)."""
    lines = []
    if facts.hours and not facts.hours.always_open:
        lines.append(f"• Opening hours: {week_hours(facts.hours)}")
    if facts.closed:
        lines.append("• Closed on: " + ", ".join(f"{d:%d %B %Y}" for d in sorted(facts.closed)))
    for label, value in (
        ("Address", facts.address),
        ("Directions", facts.directions),
        ("Phone", facts.phone),
        ("Email", facts.email),
        ("Booking", facts.booking),
    ):
        if value:
            lines.append(f"• {label}: {value}")
    for answer in facts.answers:
        lines.append(f"• Asked about {', '.join(answer.asks)}: “{answer.say}”")
    return "\n".join(lines)
