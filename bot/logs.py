"""Log setup for the service: one plain format, secrets redacted, chatty libraries kept quiet."""

from __future__ import annotations

import json
import logging
import re
import sys
import threading
from urllib.parse import quote, quote_plus

from bot.config import Settings
from bot.sources import registry

MASK = "***"
# Libraries that log every request at INFO (Teams' SDK and its httpx among them); their warnings stay.
NOISY = (
    "urllib3",
    "requests",
    "slack_sdk",
    "slack_bolt",
    "apscheduler",
    "dotenv",
    "microsoft_teams",
    "httpx",
    "httpcore",
)
# (and each network's own)


def secret_forms(secret: str) -> set[str]:
    """Every way `secret` may be written in a log line or traceback: as is, repr-, JSON- and URL-escaped, and
    (for a secret with whitespace inside) each piece around the whitespace, which a traceback may print on its own line."""
    forms = {secret}
    forms.add(
        secret.encode("unicode_escape").decode("ascii")
    )  # \n as backslash-n, as in a traceback's repr of a header
    forms.add(repr(secret)[1:-1])
    forms.add(json.dumps(secret)[1:-1])
    forms.add(json.dumps(secret, ensure_ascii=False)[1:-1])
    forms.update({quote(secret), quote(secret, safe=""), quote_plus(secret), quote_plus(secret, safe="")})
    pieces = [piece for piece in re.split(r"\s+", secret) if len(piece) >= 4]
    if len(pieces) > 1:
        for piece in pieces:
            forms.update({piece, quote(piece, safe=""), repr(piece)[1:-1]})
    return {form for form in forms if form}


class Redactor:
    """Replaces every form of every configured secret with '***'."""

    def __init__(self, secrets: list[str]):
        forms = {form for s in secrets if len(s) >= 6 for form in secret_forms(s)}
        # Longest first, so a whole secret is masked before any piece of it.
        self._pattern = (
            re.compile("|".join(re.escape(f) for f in sorted(forms, key=len, reverse=True))) if forms else None
        )

    @property
    def active(self) -> bool:
        return self._pattern is not None

    def __call__(self, text: str) -> str:
        return self._pattern.sub(MASK, text) if self._pattern and text else text


class RedactSecrets(logging.Filter):
    """Masks secrets in a record's message, its traceback and its stack (a last line of defence)."""

    def __init__(self, secrets: list[str]):
        super().__init__()
        self.redact = Redactor(secrets)

    def filter(self, record: logging.LogRecord) -> bool:
        if not self.redact.active:
            return True
        try:
            message = record.getMessage()
        except Exception:  # arguments that do not fit the format: keep the words, drop the arguments
            message = f"{record.msg} (log arguments could not be shown)"
        record.msg, record.args = self.redact(str(message)), None
        if record.exc_info and not record.exc_text:
            # Format the traceback here, masked; formatters reuse exc_text instead of formatting exc_info again.
            record.exc_text = logging.Formatter().formatException(record.exc_info)
        if record.exc_text:
            record.exc_text = self.redact(record.exc_text)
        if record.stack_info:
            record.stack_info = self.redact(record.stack_info)
        return True


class RedactingFormatter(logging.Formatter):
    """A formatter whose whole output (message, traceback, stack) goes through the redactor once more."""

    def __init__(self, fmt: str, secrets: list[str]):
        super().__init__(fmt)
        self.redact = Redactor(secrets)

    def format(self, record: logging.LogRecord) -> str:
        return self.redact(super().format(record))

    def formatException(self, ei) -> str:  # noqa: N802 (logging's name)
        return self.redact(super().formatException(ei))


class QuietLibraries(logging.Filter):
    """Below `threshold`, nothing from these libraries' loggers reaches the log, even when a library
    resets its own logger's level (Teams' SDK sets httpx's to NOTSET for every HTTP client it makes)."""

    def __init__(self, names: tuple[str, ...], threshold: int):
        super().__init__()
        self.names, self.threshold = names, threshold

    def filter(self, record: logging.LogRecord) -> bool:
        return record.levelno >= self.threshold or not any(
            record.name == name or record.name.startswith(name + ".") for name in self.names
        )


def setup_logging(settings: Settings, level: int = logging.INFO) -> None:
    handler = logging.StreamHandler()
    handler.setFormatter(RedactingFormatter("%(asctime)s %(levelname)s %(name)s: %(message)s", settings.secrets))
    handler.addFilter(RedactSecrets(settings.secrets))
    handler.addFilter(QuietLibraries(NOISY + registry.loggers(), max(level, logging.WARNING)))
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level)
    # These libraries (and each network's, which its module names) log full request headers, bearer
    # tokens included, or login forms at DEBUG.
    for noisy in NOISY + registry.loggers():
        logging.getLogger(noisy).setLevel(max(level, logging.WARNING))
    # A crash outside any log call (in the main thread or another) is logged, so it is masked too.
    sys.excepthook = _log_crash
    threading.excepthook = _log_thread_crash


def _log_crash(kind, exc, tb) -> None:
    if issubclass(kind, KeyboardInterrupt):
        return
    logging.getLogger("bot").critical("Listening Post stopped on an unexpected error.", exc_info=(kind, exc, tb))


def _log_thread_crash(args) -> None:
    if issubclass(args.exc_type, SystemExit):
        return
    name = getattr(args.thread, "name", "a thread")
    logging.getLogger("bot").error(
        "A background task (%s) failed.", name, exc_info=(args.exc_type, args.exc_value, args.exc_traceback)
    )
