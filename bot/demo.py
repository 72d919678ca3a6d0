"""`python -m bot demo`: the real pipeline on bundled sample mentions, cards drawn in the terminal."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path
from statistics import median
from typing import TextIO

from bot import facts, platforms, wiring
from bot.config import Settings
from bot.models import Actor, ChatSink, Mention, SentReply, Status
from bot.pipeline import Pipeline
from bot.sources import registry
from bot.sources.sample import SampleSource
from bot.wording import duration
from handlers import actions, reminders
from handlers.digest import digest_text
from storage import mentions as store
from storage import open_db, responses
from storage.mentions import utc_now

SAMPLE_FACTS = Path(__file__).with_name("sample_business.toml")

SAM, ALEX = Actor("U0DEMOSAM", "Sam"), Actor("U0DEMOALEX", "Alex")


def pretend_to_post(mention: Mention, text: str) -> SentReply:
    """The demo's stand-in for a network: nothing leaves the machine."""
    return SentReply(f"demo-reply-{mention.external_id}", "")


def act_as_the_team(db, sink: ChatSink, out: TextIO) -> None:
    """A few clicks through the same handlers a chat platform uses, so the summary has response times."""
    repliers: dict[str, actions.Replier] = dict.fromkeys(registry.replying(), pretend_to_post)

    def suggestion(mention_id: str) -> str:
        found = responses.card(db, mention_id)
        return found.triage.suggestions[0] if found and found.triage.suggestions else "Thank you!"

    steps = [
        lambda: actions.claim(db, "x:sample-01", SAM),
        lambda: actions.send_reply(db, "x:sample-01", SAM, suggestion("x:sample-01"), repliers, frozenset()),
        lambda: actions.send_reply(db, "x:sample-02", ALEX, suggestion("x:sample-02"), repliers, frozenset()),
        lambda: actions.dismiss(db, "x:sample-12", ALEX, "just a mention, nothing to answer"),
        lambda: actions.claim(db, "x:sample-14", SAM),
    ]
    print("\nThe team at work (simulated clicks, nothing is posted anywhere):", file=out)
    for step in steps:
        outcome = step()
        if outcome.changed:
            actions.announce(db, sink, outcome)


def show_reminders_and_digest(db, sink: ChatSink, settings: Settings, out: TextIO) -> None:
    """What the scheduler's jobs would send now: the first few nudges, and the digest."""
    print(
        f"\nReminders (mentions waiting over {settings.reply_target_minutes or 60} min; claimed ones are nudged in their "
        "card's thread, the rest in one message to the channel):",
        file=out,
    )
    reminders.send_reminders(db, sink, settings.business_hours, settings.reply_target_minutes or 60)
    now = utc_now().astimezone(settings.business_hours.tz)
    print("\nThe daily digest, as it would be posted now:", file=out)
    sink.say(digest_text(db, settings.business_hours, now, now))


def run(settings: Settings, database: Path, out: TextIO) -> int:
    db = open_db(database)
    try:
        sink = platforms.console(out)
        # The samples are shown as if they had just arrived, so their reminders show too.
        if settings.facts.empty:  # no business.toml of your own yet: the demo café's facts show what they do
            settings = replace(settings, facts=facts.load(SAMPLE_FACTS, settings.business_hours))
        report = Pipeline(db, [SampleSource()], sink, wiring.triager(settings), history_age=None).run_cycle()
        if report.posted:
            act_as_the_team(db, sink, out)
            show_reminders_and_digest(db, sink, settings, out)
        totals = store.counts(db)
        print(f"\nSummary — demo database {database}", file=out)
        if report.posted == 0 and totals.posted:
            print(
                f"  No new mentions: all {totals.posted} cards were posted on an earlier run, "
                "and Listening Post never posts one twice. `make demo-reset` starts over.",
                file=out,
            )
        else:
            print(f"  {report.new} new mentions stored, {report.posted} cards posted.", file=out)
        print(f"  Held back as spam (stored, counted, not posted): {totals.held}", file=out)
        print(f"  Sentiment: {_line(store.breakdown(db, 'label'))}", file=out)
        print(f"  Intent:    {_line(store.breakdown(db, 'intent'))}", file=out)
        print(f"  Urgency:   {_line(store.breakdown(db, 'urgency'))}", file=out)
        team = {("waiting" if k == Status.NEW else k): v for k, v in store.breakdown(db, "status").items()}
        print(f"  Team:      {_line(team)}", file=out)
        times = responses.response_times(db)
        if times:
            print(
                f"  Response time (to the first reply): median {duration(median(times))} over {len(times)} replied",
                file=out,
            )
        print(f"  The team's numbers for the demo: DATABASE_PATH={database} python -m bot stats", file=out)
        print("  Next: put your keys in .env and run `python -m bot doctor` (see README).", file=out)
        return 1 if report.failed else 0
    finally:
        db.close()


def _line(counts: dict[str, int]) -> str:
    return ", ".join(f"{k} {v}" for k, v in sorted(counts.items(), key=lambda kv: -kv[1])) or "none"
