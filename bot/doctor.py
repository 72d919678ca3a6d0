"""`python -m bot doctor`: checks settings and connections and says what is wrong in plain words."""

from __future__ import annotations

import logging
import warnings
from collections.abc import Iterator
from contextlib import contextmanager
from functools import partial

from bot import platforms, wiring
from bot.config import ConfigError, Settings
from bot.models import NOTE, OK, PROBLEM
from bot.platforms import ChatPlatform
from bot.sources import registry
from bot.sources.registry import Network


def checks(settings: Settings) -> Iterator[tuple[str, str]]:
    """Yield (mark, sentence) pairs; any PROBLEM means the service will not work as set up."""
    parts = [(check.__name__.strip("_").replace("_", " "), check) for check in (_storage, _templates, _schedule)]
    parts += [(p.key, partial(_chat, p)) for p in platforms.platforms()]
    parts += [(n.key, partial(_network, n)) for n in registry.networks()]
    for name, check in [*parts, ("any network", _any_network)]:
        try:
            yield from check(settings)
        except Exception as exc:  # one check failing in an unforeseen way must not hide the others
            yield (
                PROBLEM,
                f"A check stopped unexpectedly ({type(exc).__name__}) in the {name} part; run `python -m bot doctor` "
                "again, and if it repeats, report it with this line.",
            )


def _any_network(settings: Settings):
    if not settings.any_source:
        yield (
            PROBLEM,
            f"No network is set up, so there is nothing to listen to. Set up at least one: {registry.set_up_hint()}; "
            f"{registry.readme_sections()} say where to find each.",
        )


def _storage(settings: Settings):
    from storage import open_db

    try:
        open_db(settings.database_path).close()
        yield OK, f"Database {settings.database_path} is ready (keep it on a persistent disk)."
    except Exception as exc:  # any failure here is the user's path or disk
        yield (
            PROBLEM,
            f"Cannot open the database at {settings.database_path} ({exc}). Set DATABASE_PATH to a writable file.",
        )


def _templates(settings: Settings):
    try:
        wiring.triager(settings)
        yield OK, f"Reply templates read from {settings.reply_templates}."
    except ConfigError as exc:
        yield PROBLEM, str(exc)


def _schedule(settings: Settings):
    from bot.wording import duration

    hours = settings.business_hours
    if settings.reply_target_minutes:
        counted = "" if hours.always_open else " of business hours"
        yield (
            OK,
            f"Reminders: a mention unanswered after {duration(settings.reply_target_minutes * 60)}{counted} gets one nudge in its thread.",
        )
    else:
        yield OK, "Reminders are off (REPLY_TARGET_MINUTES=0)."
    if settings.digest_time:
        yield OK, f"Daily digest at {settings.digest_time:%H:%M} ({hours.tz.key}), with last week's numbers on Mondays."
    else:
        yield OK, "The daily digest is off (DIGEST_TIME=off)."


def _chat(platform: ChatPlatform, settings: Settings):
    """A chat platform's own checks; with none set up, each says what it needs."""
    set_up = [p.name for p in platforms.platforms() if p.key in settings.chats]
    if set_up and platform.key not in settings.chats:
        yield NOTE, f"{platform.name} is not set up; cards go to {', '.join(set_up)}."
        return
    yield from platform.check(settings.chats.get(platform.key), settings)


def _network(network: Network, settings: Settings):
    """A network: off (and how to turn it on), its own check, or a real first read of what it would show."""
    from bot.models import SourceError

    label, cfg = network.name, settings.networks.get(network.key)
    if cfg is None:
        yield NOTE, f"{label} is not set up ({network.setup}); nothing is read from {label}."
        return
    if network.check is not None:
        yield from network.check(cfg)
        return
    try:
        found = sum(len(page.mentions) for page in network.build(cfg).fetch({}))
    except SourceError as exc:
        yield PROBLEM, f"{label}: {exc}"
        return
    yield (
        OK,
        f"{label} works: {found} recent mention{'s' if found != 1 else ''} to show on the first poll; "
        f"{network.replies(cfg)}.",
    )


@contextmanager
def quiet_libraries():
    """Doctor's output is its own plain lines: the libraries' log lines and warnings are kept out of it."""
    previous = logging.root.manager.disable
    logging.disable(logging.CRITICAL)
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            yield
    finally:
        logging.disable(previous)


def run(settings: Settings, out) -> int:
    problems = 0
    with quiet_libraries():
        for mark, sentence in checks(settings):
            problems += mark == PROBLEM
            print(f"{mark} {sentence}", file=out, flush=True)
    print(("All set." if not problems else f"{problems} thing(s) to fix before `python -m bot run`."), file=out)
    return 1 if problems else 0
