"""The `/listen` slash command: parses the sub-command and says what to answer."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from handlers.chart import Chart
from handlers.stats import PERIODS, PeriodError, Reports, period

HELP = (
    "*Listening Post* — what you can ask:\n"
    "• `/listen stats [today|7d|30d|90d]` — mentions, reply rate, response and pick-up times, sentiment (default 7d); "
    "add `public` to post it in the channel\n"
    "• `/listen queue` — what is still waiting for an answer, oldest first\n"
    "• `/listen leaders [today|7d|30d|90d]` — who answered, how many and how fast\n"
    "• `/listen chart [today|7d|30d|90d]` — a picture of mentions per day by sentiment, with the median response time\n"
    "• `/listen sources` — each network: on or off, last good poll, mentions in the last 7 days, last problem\n"
    "• `/listen status` — cards waiting to be posted and when each source last answered\n"
    "• `/listen held` — mentions held back as spam; `/listen post <id>` posts one as a card after all\n"
    "• `/listen facts` — what suggested replies know about the business (hours, address, your answers)\n"
    "• `/listen help` — this message"
)
USAGE = (
    "I don't know `/listen {word}`. Try `/listen stats`, `/listen queue`, `/listen leaders`, `/listen chart`, "
    "`/listen sources`, `/listen held`, `/listen facts` or `/listen help`."
)


@dataclass(frozen=True)
class Answer:
    """What to say: `text` at once, or `report()` (text) or `chart()` (a picture) computed after Slack has been acknowledged."""

    text: str = ""
    report: Callable[[], str] | None = None
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
            return Answer("\n".join(status_lines()) or "Nothing to report yet: no poll has run.")
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
        return Answer(str(exc))
    if command in ("stats", "leaders", "queue", "chart", "sources", "held", "facts"):
        plain = command in ("queue", "sources", "held", "facts")
        return Answer(
            f"Try `/listen {command}"
            + ("`" if plain else f" [{PERIODS.replace(' or ', ', ')}]`")
            + " — see `/listen help`."
        )
    return Answer(USAGE.format(word=command.replace("`", "'")[:40]))
