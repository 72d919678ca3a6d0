"""`python -m bot demo`: the real pipeline on bundled sample mentions, cards drawn in the terminal."""
from __future__ import annotations

from pathlib import Path
from typing import TextIO

from bot import wiring
from bot.chat.console import ConsoleSink
from bot.config import Settings
from bot.pipeline import Pipeline
from bot.sources.sample import SampleSource
from storage import mentions as store
from storage import open_db


def run(settings: Settings, database: Path, out: TextIO) -> int:
    db = open_db(database)
    try:
        sink = ConsoleSink(out)
        report = Pipeline(db, [SampleSource()], sink, wiring.triager(settings)).run_cycle()
        totals = store.counts(db)
        print(f"\nSummary — demo database {database}", file=out)
        if report.posted == 0 and totals["posted"]:
            print(
                f"  No new mentions: all {totals['posted']} cards were posted on an earlier run, "
                "and Listening Post never posts one twice. `make demo-reset` starts over.",
                file=out,
            )
        else:
            print(f"  {report.new} new mentions stored, {report.posted} cards posted.", file=out)
        print(f"  Held back as spam (stored, counted, not posted): {totals['held']}", file=out)
        print(f"  Sentiment: {_line(store.breakdown(db, 'label'))}", file=out)
        print(f"  Intent:    {_line(store.breakdown(db, 'intent'))}", file=out)
        print(f"  Urgency:   {_line(store.breakdown(db, 'urgency'))}", file=out)
        print("  Next: put your keys in .env and run `python -m bot doctor` (see README).", file=out)
        return 1 if report.failed else 0
    finally:
        db.close()


def _line(counts: dict[str, int]) -> str:
    return ", ".join(f"{k} {v}" for k, v in sorted(counts.items(), key=lambda kv: -kv[1])) or "none"
