"""The command line: run, poll, demo, triage, doctor, stats, facts, teams-package."""

from __future__ import annotations

import argparse
import io
import json
import logging
import os
import sys
from datetime import UTC, datetime
from pathlib import Path

from bot import config, logs
from bot.sources import registry

COMMANDS = {
    "run": "run the service: poll on a schedule and answer in chat",
    "poll": "run one poll cycle, then exit (0 on success)",
    "demo": "the whole loop on bundled sample mentions, no credentials needed",
    "triage": "read one text per line on stdin, write one JSON triage per line",
    "doctor": "check settings and connections, and say what to fix",
    "stats": "the team's numbers: mentions, reply rate, response times, who answered",
    "facts": "check the business's facts file (BUSINESS_FACTS) and show what suggested replies know",
    "teams-package": "write the Teams app package (a .zip to upload in Teams) for the bot in TEAMS_CLIENT_ID",
}
MAX_DAYS = 365
DEMO_DATABASE = Path("data/demo.db")


class UsageError(Exception):
    """A mistake on the command line itself; the message says what to type instead."""


class Parser(argparse.ArgumentParser):
    """argparse, but a mistake is one plain line (no usage dump), still exit code 2."""

    def error(self, message: str):
        if "invalid choice" in message and self.prog == "python -m bot":
            wrong = message.split("'")[1] if message.count("'") >= 2 else "?"
            raise UsageError(
                f"There is no command '{wrong}'; use one of {', '.join(COMMANDS)} (see `python -m bot --help`)."
            )
        raise UsageError(f"{message[:1].upper()}{message[1:]}. See `{self.prog} --help`.")


def _parser() -> Parser:
    parser = Parser(prog="python -m bot", description="Listening Post: social listening for your team chat.")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", parser_class=Parser)
    for name, help_text in COMMANDS.items():
        command = sub.add_parser(name, help=help_text, description=help_text)
        if name == "demo":
            command.add_argument(
                "--database", type=Path, default=DEMO_DATABASE, help="demo database (default data/demo.db)"
            )
        if name == "stats":
            command.add_argument(
                "--days", default="7", metavar="N", help=f"the last N days, 1 to {MAX_DAYS} (default 7)"
            )
            command.add_argument("--csv", action="store_true", help="one row per day, for a spreadsheet")
            command.add_argument(
                "--chart", type=Path, metavar="FILE.png", help="also draw the chart /listen chart posts, into this file"
            )
        if name == "triage":
            command.add_argument(
                "--network",
                type=_network,
                default=registry.replying()[0],
                metavar="|".join(registry.replying()),
                help=f"suggest replies as a card for this network would (default {registry.replying()[0]})",
            )
            command.add_argument(
                "--name", default="", help="the author's display name, to see how replies address them"
            )
            command.add_argument(
                "--handle", default="customer", help="the author's handle, without @ (default customer)"
            )
        if name == "facts":
            command.add_argument("--init", action="store_true", help="write a commented starter file, if there is none")
        if name == "teams-package":
            command.add_argument(
                "--out", type=Path, metavar="FILE", help="where to write it (default listening-post-teams.zip)"
            )
            command.add_argument(
                "--website",
                metavar="URL",
                help="your website (https://…), linked from the app's details in Teams (default https://www.example.com)",
            )
        if name in ("run", "poll"):
            command.add_argument("--verbose", action="store_true", help="log more detail")
    return parser


def main(argv: list[str] | None = None) -> int:
    from storage import DatabaseProblem

    parser = _parser()
    try:
        args = parser.parse_args(argv)
        if not args.command:
            parser.print_help()
            return 2
        if args.command == "stats":
            args.days = _days(args.days)
        settings = config.load()
        logs.setup_logging(settings, logging.DEBUG if getattr(args, "verbose", False) else logging.INFO)
        if args.command not in ("run", "poll"):
            logging.getLogger().setLevel(logging.WARNING)  # the output is for people, not logs
        return HANDLERS[args.command](settings, args)
    except UsageError as exc:
        print(exc, file=sys.stderr)
        return 2
    except config.ConfigError as exc:
        print(cant_start(exc), file=sys.stderr)
        return 2
    except DatabaseProblem as exc:
        print(f"Listening Post stopped: {exc}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        return 130
    except BrokenPipeError:  # output piped into `head` and closed early: not an error
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 0


def cant_start(exc: config.ConfigError) -> str:
    """All the setting problems, one per line, under one heading."""
    lines = [line.strip() for problem in exc.problems for line in str(problem).splitlines() if line.strip()]
    return "Listening Post can't start:\n" + "\n".join(f"  • {line}" for line in lines)


def _network(raw: str) -> str:
    replying = registry.replying()  # the networks a reply can be suggested for
    if raw.strip().lower() not in replying:
        raise UsageError(
            f"There is no network '{raw}' for triage; use one of {', '.join(replying)}, like --network {replying[-1]}."
        )
    return raw.strip().lower()


def _days(raw: str) -> int:
    if not raw.strip().isdigit() or not 1 <= int(raw) <= MAX_DAYS:
        raise UsageError(f"--days must be a whole number between 1 and {MAX_DAYS}, like --days 30.")
    return int(raw)


def _run(settings, args) -> int:
    from bot import service

    service.run(settings)
    return 0


def _poll(settings, args) -> int:
    from bot import wiring

    problems = config.missing_for_service(settings)
    if problems:
        raise config.ConfigError(problems)
    report = wiring.cycle_runner(settings, wiring.chat_sink(settings))()
    if report.failed:
        print(f"Poll failed: {report.reason}", file=sys.stderr)
        return 1
    print(f"Poll done: {report.fetched} fetched, {report.new} new, {report.posted} cards posted.")
    if report.reconciled:
        print(
            f"  {report.reconciled} card(s) were already in chat (an earlier post that was never confirmed); not posted again."
        )
    if report.refused:
        print(
            f"  {report.refused} card(s) the chat refused even in their simplest form were set aside; the log says which."
        )
    if report.poster_elsewhere:
        print(
            f"  Another Listening Post ({report.poster_elsewhere.rsplit(':', 1)[0]}) is posting cards from this "
            "database, so this poll only stored what it found."
        )
    return 0


def _demo(settings, args) -> int:
    from bot import demo

    problem = config.database_problem(args.database)
    if problem:
        raise UsageError(problem.replace("DATABASE_PATH", "--database").replace("data/listening.db", "data/demo.db"))
    return demo.run(settings, args.database, sys.stdout)


def _triage(settings, args) -> int:
    from bot import learned, wiring
    from bot.models import Mention

    triager = wiring.triager(settings)
    now = datetime.now(UTC)
    # With a database, the team's past replies count too, as on a card; none is made for this.
    db = wiring.open_db(settings) if settings.database_path.is_file() else None
    if isinstance(sys.stdin, io.TextIOWrapper):
        sys.stdin.reconfigure(errors="replace")  # a stray byte that is not UTF-8 becomes �, not a crash
    for number, line in enumerate(sys.stdin, 1):
        text = line.rstrip("\n")
        if not text.strip():
            continue
        # The same mention a card would get from that network, so the suggestions are the card's.
        mention = Mention(args.network, str(number), args.handle.lstrip("@"), args.name, text, "", now)
        t = triager.triage(mention)
        if db is not None:
            t = learned.with_team_reply(db, mention, t)
        result = {
            "label": t.label,
            "intent": t.intent,
            "sentiment": t.sentiment,
            "urgency": t.urgency,
            "suggestions": list(t.suggestions),
            "spam": t.spam,
            "scored": t.scored,
            **({"harm": t.harm} if t.harm else {}),
            **({"note": t.note} if t.note else {}),
        }
        print(json.dumps(result, ensure_ascii=False), flush=True)
    return 0


def _doctor(settings, args) -> int:
    from bot import doctor

    return doctor.run(settings, sys.stdout)


def _stats(settings, args) -> int:
    from bot import platforms, wiring
    from handlers import stats
    from storage import mentions as store
    from storage import open_db

    chart = _chart_file(args.chart) if args.chart else None
    db = open_db(settings.database_path)
    try:
        empty = store.counts(db).total == 0
        if args.csv:
            sys.stdout.write(stats.daily_csv(db, args.days, settings.business_hours))
    finally:
        db.close()
    if empty:
        print(_empty_hint(settings.database_path), file=sys.stderr)
    if args.csv:
        return 0
    reports = wiring.reports(settings)
    when = stats.period(f"{args.days}d", settings.business_hours)
    if chart:
        png = reports.chart(when).png
        try:
            chart.write_bytes(png)
        except OSError as exc:
            raise UsageError(
                f"Could not write the chart to {chart} ({exc.strerror}). Choose a file in a folder you can write to."
            ) from None
        print(f"Chart ({when.label}) written to {chart}.\n")
    terminal = platforms.console(sys.stdout)
    for report in (reports.stats(when), reports.leaders(when), reports.queue()):
        terminal.say(report)
        print()
    return 0


def _chart_file(path: Path) -> Path:
    """Where --chart writes: its folder is made if need be; a folder or an unwritable place is a plain message."""
    if path.is_dir():
        raise UsageError(f"--chart {path} is a folder; give a file name, like {path / 'chart.png'}.")
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise UsageError(
            f"Could not make the folder {path.parent} for the chart ({exc.strerror}). "
            "Choose a file in a folder you can write to."
        ) from None
    return path


def _empty_hint(database: Path) -> str:
    hint = f"The database {database} has no mentions yet."
    demo = next(
        (
            p
            for p in (database.with_name(DEMO_DATABASE.name), DEMO_DATABASE)
            if p.is_file() and p.resolve() != database.resolve()
        ),
        None,
    )
    if demo:
        hint += f" The demo's numbers are in {demo}: DATABASE_PATH={demo} python -m bot stats"
    return hint


def _facts(settings, args) -> int:
    from bot import facts

    path = settings.facts_path
    if args.init:
        if path.exists():
            print(f"{path} is already there; edit it, then run `python -m bot facts` to check it.")
            return 0
        try:
            path.write_text(facts.starter(settings.business_name, settings.business_hours), encoding="utf-8")
        except OSError as exc:
            raise UsageError(
                f"Could not write {path} ({exc.strerror}); set BUSINESS_FACTS to a file you can write."
            ) from None
        print(
            f"Wrote {path}. Fill in your address, phone, booking link and your own answers, then run "
            "`python -m bot facts` to check it."
        )
        return 0
    known = facts.describe(settings.facts)
    if not path.is_file():
        print(f"There is no {path} yet. `python -m bot facts --init` writes a starter to fill in.")
    print(
        f"What suggested replies know (from {path if path.is_file() else 'your settings'}):\n{known or 'Nothing yet.'}"
    )
    return 0


def _teams_package(settings, args) -> int:
    # The one Teams-only command: its builder lives with the rest of Teams, and imports no SDK.
    from bot.chat.teams import package

    try:
        written = package.write(settings, args.out, args.website)
    except package.PackageError as exc:
        raise UsageError(str(exc)) from None
    print(package.next_steps(written))
    return 0


HANDLERS = {
    "run": _run,
    "poll": _poll,
    "demo": _demo,
    "triage": _triage,
    "doctor": _doctor,
    "stats": _stats,
    "facts": _facts,
    "teams-package": _teams_package,
}

if __name__ == "__main__":
    sys.exit(main())
