"""Settings from the environment and an optional `.env` file, checked with plain-language errors."""

from __future__ import annotations

import os
import re
import tempfile
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import time
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from dotenv import dotenv_values

from bot import platforms
from bot.facts import Facts, FactsError
from bot.facts import load as load_facts
from bot.hours import BusinessHours, HoursError
from bot.hours import parse as parse_hours
from bot.sources import registry
from storage.db import belongs_to_another_program

DEFAULT_TEMPLATES = Path(__file__).with_name("reply_templates.toml")
DEFAULT_FACTS = Path("business.toml")  # the business's facts, beside .env


class ConfigError(Exception):
    """Settings are missing or malformed: one sentence per problem, each saying which setting and how to fix it."""

    def __init__(self, problems: str | list[str]):
        self.problems = [problems] if isinstance(problems, str) else list(problems)
        super().__init__("\n".join(self.problems))


@dataclass(frozen=True)
class Settings:
    # Secrets are kept out of repr so they never reach a log line or a traceback.
    # Each chat platform with settings, by key, with its own settings (only its package looks inside).
    chats: Mapping[str, Any] = field(default_factory=dict)
    # Each network that is set up, by key, with its own settings (only its module looks inside).
    networks: Mapping[str, Any] = field(default_factory=dict)
    secret_values: tuple[str, ...] = field(default=(), repr=False)  # every secret setting's value, to mask in logs
    reply_approvers: frozenset[str] = frozenset()
    business_hours: BusinessHours = field(default_factory=lambda: parse_hours("", "UTC"))
    business_name: str = ""
    reply_target_minutes: int = 60  # 0: no reminders
    digest_time: time | None = time(9, 0)  # None: no digest
    reply_templates: Path = DEFAULT_TEMPLATES
    facts_path: Path = DEFAULT_FACTS
    facts: Facts = field(default_factory=Facts)
    database_path: Path = Path("data/listening.db")
    poll_interval: int = 300
    port: int = 3000

    @property
    def secrets(self) -> list[str]:
        return [s for s in self.secret_values if s]

    @property
    def any_source(self) -> bool:
        return bool(self.networks)

    @property
    def display_name(self) -> str:
        """How replies sign off: the business's name, else its own account on a network, else "our team"."""
        if self.business_name:
            return self.business_name
        signed = (n.account(self.networks[n.key]) for n in registry.networks() if n.key in self.networks)
        return next((name for name in signed if name), "our team")


# --- Reading and checking: every mistake is collected, then all are reported at once. ---------------------------


def secret_names() -> tuple[str, ...]:
    """Every setting that is a secret: never echoed in a message, masked in the logs."""
    return platforms.secrets() + registry.secrets()


_CONTROL = re.compile(r"[\x00-\x1f\x7f]")
_INT = re.compile(r"^[+-]?[0-9]+$")
_FLOAT = re.compile(r"^[+-]?([0-9]+(\.[0-9]*)?|\.[0-9]+)$")
SQLITE_HEADER = b"SQLite format 3\x00"


def shown(raw: str, limit: int = 40) -> str:
    """A setting's value as it may appear in a message: short, one line (never used for secrets)."""
    raw = _CONTROL.sub("?", raw)
    return raw if len(raw) <= limit else raw[: limit - 1] + "…"


class Reader:
    """Reads settings from `env`, noting every problem instead of stopping at the first.

    Each network module reads its own settings through one of these (its `read`)."""

    def __init__(self, env: Mapping[str, str]):
        self.env = env
        self.problems: list[str] = []
        self.secrets: list[str] = []  # the secret values read, to be masked in the logs
        self._secret_names = secret_names()

    def problem(self, sentence: str) -> None:
        self.problems.append(sentence)

    def get(self, name: str, default: str = "") -> str:
        raw = self.env.get(name)
        value = (raw if isinstance(raw, str) else "").strip()
        if not value:
            return default
        if name in self._secret_names:
            self._secret(name, value)
            self.secrets.append(value)
        elif _CONTROL.search(value):
            self.problem(f"{name} contains a line break or another invisible character; write it on one line.")
            return default  # so no later message repeats the broken value
        return value

    def _secret(self, name: str, value: str) -> None:
        # Never echo any part of a secret: say what is wrong with it, and where to copy it from.
        if re.search(r"\s", value):
            self.problem(f"{name} contains a space or line break; copy it again without spaces.")
        elif "..." in value or "…" in value:
            self.problem(
                f"{name} still holds the placeholder from .env.example (it contains '...'); paste the real value, or delete the line."
            )
        elif value[0] in "'\"" or value[-1] in "'\"":
            self.problem(f"{name} is wrapped in quotes; remove them.")
        elif not value.isascii() or _CONTROL.search(value):
            self.problem(
                f"{name} contains a character no key has (like a curly quote or an accented letter); copy it again from where it was made."
            )

    def number(self, name: str, default, kind, lo, hi, meaning: str = ""):
        raw = self.get(name)
        if not raw:
            return default
        if not (_INT if kind is int else _FLOAT).match(raw):
            whole = kind is int and _FLOAT.match(raw)
            self.problem(
                f"{name} must be a {'whole ' if whole else ''}number between {lo} and {hi}{meaning}, like {default:g} "
                f"(it is set to '{shown(raw, 20)}')."
            )
            return default
        value = (
            kind(raw) if len(raw) <= 15 else float("inf")
        )  # int() refuses 4,300+ digits; all of these are far too big
        if not lo <= value <= hi:
            self.problem(f"{name} must be between {lo} and {hi}{meaning} (it is set to {shown(raw, 20)}).")
            return default
        return value

    def url(self, name: str, default: str = "", example: str = "") -> str:
        raw = self.get(name)
        if not raw:
            return default
        if not _is_url(raw):
            self.problem(
                f"{name} must be a web address starting with https://, like {example or default} (it is set to '{shown(raw, 60)}')."
            )
            return default
        return raw

    def urls(self, name: str) -> tuple[str, ...]:
        found = _list(self.get(name))
        wrong = [u for u in found if not _is_url(u)]
        if wrong:
            self.problem(
                f"{name} must be web addresses starting with https://, separated by commas ('{shown(wrong[0], 60)}' is not one)."
            )
            return ()
        return found

    def names(self, name: str, pattern: str, prefixes: tuple[str, ...], what: str) -> tuple[str, ...]:
        """A comma-separated list of names (hashtags, forums), each with an optional prefix taken off."""
        found = []
        for part in _list(self.get(name)):
            for prefix in prefixes:
                part = part.removeprefix(prefix)
            if not re.fullmatch(pattern, part):
                self.problem(f"{name} must be {what}, separated by commas ('{shown(part, 30)}' is not one).")
                return ()
            found.append(part)
        return tuple(found)

    def password(self, name: str) -> str:
        """A password, which may have spaces and any letter, but not a line break; never echoed."""
        raw = self.env.get(name)
        value = (raw if isinstance(raw, str) else "").strip()
        if _CONTROL.search(value):
            self.problem(f"{name} contains a line break; write it on one line.")
        if value:
            self.secrets.append(value)
        return value

    def text(self, name: str, limit: int) -> str:
        raw = self.get(name)
        if len(raw) > limit:
            self.problem(f"{name} is {len(raw)} characters long; at most {limit} are allowed.")
        return raw

    def missing(self, names: tuple[str, ...]) -> list[str]:
        """Settings of a group that only works whole which are not set, when some of it is; else none."""
        present = [name for name in names if self.env.get(name, "").strip()]
        return [name for name in names if name not in present] if present else []

    def together(self, purpose: str, names: tuple[str, ...], where: str) -> None:
        """Settings that only work together: some set means all are needed."""
        if missing := self.missing(names):
            self.problem(f"{purpose}, {', '.join(missing)} must be set too ({where}).")

    def one(self, name: str, pattern: str, message: str, strip: tuple[str, ...] = ()) -> str:
        raw = self.get(name)
        for prefix in strip:
            raw = raw.removeprefix(prefix)
        if raw and not re.fullmatch(pattern, raw):
            self.problem(f"{message} (it is set to '{shown(raw)}').")
        return raw


def _is_url(raw: str) -> bool:
    try:
        parts = urlsplit(raw)
        parts.port  # noqa: B018  (raises ValueError for a port like 99999 or 'abc')
    except ValueError:
        return False
    return parts.scheme in ("http", "https") and bool(parts.hostname) and not re.search(r"\s", raw)


def _list(raw: str) -> tuple[str, ...]:
    return tuple(part.strip() for part in raw.split(",") if part.strip())


def _writable_folder(folder: Path) -> bool:
    """Whether files can be made in `folder`: tried for real, since permission bits say nothing to root or read-only disks."""
    if not os.access(folder, os.W_OK | os.X_OK):
        return False
    try:
        with tempfile.TemporaryFile(dir=folder):
            return True
    except OSError:
        return False


def database_problem(path: Path) -> str | None:
    """Why SQLite could not keep its database at `path`, checked cheaply without opening it; None when it can."""
    fix = "Set DATABASE_PATH to a file in a folder you can write to, like data/listening.db."
    try:
        if path.is_dir():
            return f"DATABASE_PATH {path} is a folder; set it to a file inside it, like {path / 'listening.db'}."
        if path.exists():
            if not path.is_file():
                return f"DATABASE_PATH {path} is not an ordinary file. {fix}"
            try:
                with path.open("rb") as f:
                    head = f.read(16)
            except OSError:
                return f"DATABASE_PATH {path} cannot be read (no permission). {fix}"
            if head and head != SQLITE_HEADER:
                return (
                    f"DATABASE_PATH {path} is some other kind of file, not a Listening Post database; "
                    "set DATABASE_PATH to a new file name, like data/listening.db."
                )
            if head and belongs_to_another_program(path):
                return (
                    f"DATABASE_PATH {path} is another program's database, not Listening Post's; "
                    "set DATABASE_PATH to a new file name, like data/listening.db."
                )
            if not os.access(path, os.W_OK):
                return f"DATABASE_PATH {path} is read-only. {fix}"
            if not _writable_folder(path.parent):
                return f"The folder of DATABASE_PATH, {path.parent}, is read-only (the database keeps a journal file next to it). {fix}"
            return None
        folder = path.parent
        while not folder.exists() and folder != folder.parent:
            folder = folder.parent
        if not folder.is_dir():
            return f"DATABASE_PATH {path} cannot be made: {folder} is a file, not a folder. {fix}"
        if not _writable_folder(folder):
            missing = "" if folder == path.parent else f" (and {path.parent} cannot be created in it)"
            return f"DATABASE_PATH {path} cannot be made: the folder {folder} is read-only{missing}. {fix}"
    except OSError as exc:
        return f"DATABASE_PATH {shown(str(path), 60)} cannot be used ({exc.strerror or type(exc).__name__}). {fix}"
    return None


def _approvers(r: Reader) -> frozenset[str]:
    """People whose approval others' replies need, by their ID on a chat platform."""
    ids = [part for part in re.split(r"[\s,]+", r.get("REPLY_APPROVERS")) if part]
    wrong = [part for part in ids if not any(p.member_id.match(part) for p in platforms.platforms())]
    if wrong:
        kinds = " or ".join(p.member_ids for p in platforms.platforms())
        where = " ".join(p.member_id_help for p in platforms.platforms())
        r.problem(f"REPLY_APPROVERS must be {kinds}, separated by commas ('{shown(wrong[0], 30)}' is not one). {where}")
        return frozenset()
    return frozenset(ids)


_CLOCK = re.compile(r"^([01]?\d|2[0-3]):([0-5]\d)$")


def _digest_time(r: Reader) -> time | None:
    raw = r.get("DIGEST_TIME", "09:00")
    if raw.lower() in ("off", "none", "no"):
        return None
    match = _CLOCK.match(raw)
    if not match:
        r.problem(f"DIGEST_TIME must be a 24-hour time like 09:00, or off (it is set to '{shown(raw, 20)}').")
        return time(9, 0)
    return time(int(match.group(1)), int(match.group(2)))


def _read_env_file(env_file: str | Path) -> dict[str, str]:
    try:
        return {k: v for k, v in dotenv_values(env_file).items() if v is not None}
    except (OSError, UnicodeDecodeError) as exc:
        reason = (
            "it is not plain UTF-8 text"
            if isinstance(exc, UnicodeDecodeError)
            else (exc.strerror or type(exc).__name__)
        )
        raise ConfigError(f"The settings file {env_file} cannot be read ({reason}); save it as plain text.") from None


def load(env: Mapping[str, str] | None = None, env_file: str | Path = ".env") -> Settings:
    """Read and check every setting; real environment variables win over the `.env` file.

    Raises one ConfigError listing every problem found (one sentence per line, none echoing a secret).
    """
    if env is None:
        env = {**_read_env_file(env_file), **os.environ}
    r = Reader(env)
    get = r.get
    network_settings = {n.key: n.read(r) for n in registry.networks()}
    try:
        hours = parse_hours(get("BUSINESS_HOURS"), get("BUSINESS_TZ", "UTC"))
    except HoursError as exc:
        r.problem(str(exc))
        hours = parse_hours("", "UTC")
    templates = Path(get("REPLY_TEMPLATES", str(DEFAULT_TEMPLATES))).expanduser()
    if not templates.is_file():
        r.problem(
            f"REPLY_TEMPLATES points to {shown(str(templates), 60)}, which "
            f"{'is a folder' if templates.is_dir() else 'does not exist'}; set it to your copy of bot/reply_templates.toml."
        )
        templates = DEFAULT_TEMPLATES
    facts_path = Path(get("BUSINESS_FACTS", str(DEFAULT_FACTS))).expanduser()
    business_facts = Facts(hours=hours)
    try:  # a missing file is no facts yet: `python -m bot facts --init` writes one
        business_facts = load_facts(facts_path, hours)
    except FactsError as exc:
        r.problem(str(exc))
    database = Path(get("DATABASE_PATH", "data/listening.db")).expanduser()
    if not r.env.get("DATABASE_PATH") or not _CONTROL.search(r.env["DATABASE_PATH"].strip()):
        if problem := database_problem(database):
            r.problem(problem)
    chat_settings = {p.key: p.read(r) for p in platforms.platforms()}
    settings = Settings(
        chats={key: cfg for key, cfg in chat_settings.items() if cfg is not None},
        networks={key: cfg for key, cfg in network_settings.items() if cfg is not None},
        secret_values=tuple(dict.fromkeys(r.secrets)),
        reply_approvers=_approvers(r),
        business_hours=hours,
        business_name=r.text("BUSINESS_NAME", 80),
        reply_target_minutes=r.number("REPLY_TARGET_MINUTES", 60, int, 0, 10080, " (a week)"),
        digest_time=_digest_time(r),
        reply_templates=templates,
        facts_path=facts_path,
        facts=business_facts,
        database_path=database,
        poll_interval=r.number("POLL_INTERVAL_SECONDS", 300, int, 10, 86400, " (a day)"),
        port=r.number("PORT", 3000, int, 1, 65535),
    )
    if r.problems:
        raise ConfigError(list(dict.fromkeys(r.problems)))
    return settings


def networks(settings: Settings) -> dict[str, str | None]:
    """Each network, mapped to None when it is set up, or to how to set it up."""
    return {n.key: None if n.key in settings.networks else n.setup for n in registry.networks()}


def missing_for_service(settings: Settings, serving: bool = False) -> list[str]:
    """What `run` (serving: it also answers buttons and commands) and `poll` need that is not set, each as an instruction."""
    problems = []
    for p in platforms.platforms():
        if p.key in settings.chats or not settings.chats:  # with none set up, each says what it needs
            problems += p.missing(settings.chats.get(p.key), serving)
    if not settings.any_source:
        problems.append(
            f"No source is set up. Set at least one: {registry.set_up_hint()}. "
            f"{registry.readme_sections()} say where to find each."
        )
    return problems
