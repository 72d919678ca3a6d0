"""The command line: run, poll, demo, triage, doctor, stats."""
from __future__ import annotations

import argparse
import json
import logging
import os
import sys
from datetime import datetime, timezone
from pathlib import Path

from bot import config, logs

COMMANDS = {
    "run": "run the service: poll on a schedule and answer Slack",
    "poll": "run one poll cycle, then exit (0 on success)",
    "demo": "the whole loop on bundled sample mentions, no credentials needed",
    "triage": "read one text per line on stdin, write one JSON triage per line",
    "doctor": "check settings and connections, and say what to fix",
    "stats": "the team's numbers: mentions, reply rate, response times, who answered",
}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bot", description="Listening Post: social listening for your team chat.")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    for name, help_text in COMMANDS.items():
        command = sub.add_parser(name, help=help_text, description=help_text)
        if name == "demo":
            command.add_argument("--database", type=Path, default=Path("data/demo.db"), help="demo database (default data/demo.db)")
        if name == "stats":
            command.add_argument("--days", type=int, default=7, choices=range(1, 366), metavar="N", help="the last N days (default 7)")
            command.add_argument("--csv", action="store_true", help="one row per day, for a spreadsheet")
            command.add_argument("--chart", type=Path, metavar="FILE.png", help="also draw the chart /listen chart posts, into this file")
        if name in ("run", "poll"):
            command.add_argument("--verbose", action="store_true", help="log more detail")
    args = parser.parse_args(argv)
    if not args.command:
        parser.print_help()
        return 2
    try:
        settings = config.load()
        logs.setup_logging(settings, logging.DEBUG if getattr(args, "verbose", False) else logging.INFO)
        if args.command not in ("run", "poll"):
            logging.getLogger().setLevel(logging.WARNING)  # the output is for people, not logs
        return HANDLERS[args.command](settings, args)
    except config.ConfigError as exc:
        print(f"Configuration problem: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        return 130
    except BrokenPipeError:  # output piped into `head` and closed early: not an error
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 0


def _run(settings, args) -> int:
    from bot import service

    service.run(settings)
    return 0


def _poll(settings, args) -> int:
    from bot import wiring

    problems = config.missing_for_service(settings)
    if problems:
        raise config.ConfigError(" ".join(problems))
    report = wiring.cycle_runner(settings, wiring.slack_sink(settings))()
    if report.failed:
        print(f"Poll failed: {report.reason}", file=sys.stderr)
        return 1
    print(f"Poll done: {report.fetched} fetched, {report.new} new, {report.posted} cards posted.")
    return 0


def _demo(settings, args) -> int:
    from bot import demo

    return demo.run(settings, args.database, sys.stdout)


def _triage(settings, args) -> int:
    from bot import wiring
    from bot.models import Mention

    triager = wiring.triager(settings)
    now = datetime.now(timezone.utc)
    for number, line in enumerate(sys.stdin, 1):
        text = line.rstrip("\n")
        if not text.strip():
            continue
        mention = Mention("cli", str(number), "customer", "", text, "", now)
        t = triager.triage(mention)
        result = {
            "label": t.label, "intent": t.intent, "sentiment": t.sentiment, "urgency": t.urgency,
            "suggestions": list(t.suggestions), "spam": t.spam, "scored": t.scored,
        }
        print(json.dumps(result, ensure_ascii=False), flush=True)
    return 0


def _doctor(settings, args) -> int:
    from bot import doctor

    return doctor.run(settings, sys.stdout)


def _stats(settings, args) -> int:
    from bot import wiring
    from handlers import stats
    from storage import open_db

    if args.csv:
        db = open_db(settings.database_path)
        try:
            sys.stdout.write(stats.daily_csv(db, args.days, settings.business_hours))
        finally:
            db.close()
        return 0
    reports = wiring.reports(settings)
    when = stats.period(f"{args.days}d", settings.business_hours)
    if args.chart:
        args.chart.write_bytes(reports.chart(when).png)
        print(f"Chart ({when.label}) written to {args.chart}.\n")
    for report in (reports.stats(when), reports.leaders(when), reports.queue()):
        print(report.replace("*", "") + "\n")
    return 0


HANDLERS = {"run": _run, "poll": _poll, "demo": _demo, "triage": _triage, "doctor": _doctor, "stats": _stats}

if __name__ == "__main__":
    sys.exit(main())
