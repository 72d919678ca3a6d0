"""The `/listen` slash command: parses the sub-command and says what to answer."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from bot.report import Bold, Code, Report, line, report
from handlers.chart import Chart
from handlers.stats import PERIODS, PeriodError, Reports, period

SUBCOMMANDS = ("stats", "queue", "leaders", "chart", "sources", "held", "facts", "help")
HELP = report(
    line(Bold("Listening Post"), " — what you can ask:"),
    [
        line(
            "• ",
            Code("/listen stats [today|7d|30d|90d]"),
            " — mentions, reply rate, response and pick-up times, sentiment (default 7d); add ",
            Code("public"),
            " to post it in the channel",
        ),
        line("• ", Code("/listen queue"), " — what is still waiting for an answer, oldest first"),
        line("• ", Code("/listen leaders [today|7d|30d|90d]"), " — who answered, how many and how fast"),
        line(
            "• ",
            Code("/listen chart [today|7d|30d|90d]"),
            " — a picture of mentions per day by sentiment, with the median response time",
        ),
        line(
            "• ",
            Code("/listen sources"),
            " — each network: on or off, last good poll, mentions in the last 7 days, last problem",
        ),
        line("• ", Code("/listen status"), " — cards waiting to be posted and when each source last answered"),
        line(
            "• ",
            Code("/listen held"),
            " — mentions held back as spam; ",
            Code("/listen post <id>"),
            " posts one as a card after all",
        ),
        line(
            "• ",
            Code("/listen facts"),
            " — what suggested replies know about the business (hours, address, your answers)",
        ),
        line("• ", Code("/listen help"), " — this message"),
    ],
)


def usage(word: str) -> Report:
    """The answer to a sub-command there is none of: every one there is."""
    known = [Code(f"/listen {each}") for each in SUBCOMMANDS]
    listed = [piece for each in known[:-2] for piece in (each, ", ")]
    return report(line("I don't know ", Code(f"/listen {word}"), ". Try ", *listed, known[-2], " or ", known[-1], "."))


@dataclass(frozen=True)
class Answer:
    """What to say: `text` at once, or `report()` or `chart()` (a picture) computed after the chat has been acknowledged."""

    text: Report = Report()
    report: Callable[[], Report] | None = None
    public: bool = False
    chart: Callable[[], Chart] | None = None


def listen(text: str, status_lines: Callable[[], list[str]], reports: Reports) -> Answer:
    words = text.strip().lower().split()
    command, rest = (words[0], words[1:]) if words else ("help", [])
    if command == "post":  # ids keep their case
        typed = text.split()
        mention_id = typed[1] if len(typed) == 2 else ""
        return Answer(report=lambda: reports.post_held(mention_id))
    public = "public" in rest
    rest = [w for w in rest if w != "public"]
    try:
        if command == "help":
            return Answer(HELP)
        if command == "status":
            return Answer(report("", status_lines() or ["Nothing to report yet: no poll has run."]))
        if command == "stats" and len(rest) <= 1:
            when = period(rest[0] if rest else "7d", reports.hours)
            return Answer(report=lambda: reports.stats(when), public=public)
        if command == "leaders" and len(rest) <= 1:
            when = period(rest[0] if rest else "7d", reports.hours)
            return Answer(report=lambda: reports.leaders(when), public=public)
        if command == "chart" and len(rest) <= 1:
            when = period(rest[0] if rest else "7d", reports.hours)
            return Answer(chart=lambda: reports.chart(when), public=True)
        if command == "sources" and not rest:
            return Answer(report=reports.sources, public=public)
        if command == "queue" and not rest:
            return Answer(report=reports.queue, public=public)
        if command == "held" and not rest:
            return Answer(report=reports.held)
        if command == "facts" and not rest:
            return Answer(report=reports.facts)
    except PeriodError as exc:
        return Answer(exc.answer)
    if command in ("stats", "leaders", "queue", "chart", "sources", "held", "facts"):
        plain = command in ("queue", "sources", "held", "facts")
        form = f"/listen {command}" + ("" if plain else f" [{PERIODS.replace(' or ', ', ')}]")
        return Answer(report("", [line("Try ", Code(form), " — see ", Code("/listen help"), ".")]))
    return Answer(usage(command.replace("`", "'")[:40]))
