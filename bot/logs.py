"""Log setup for the service: one plain format, secrets redacted, chatty libraries kept quiet."""
from __future__ import annotations

import logging

from bot.config import Settings


class RedactSecrets(logging.Filter):
    """Replaces any configured secret in a log line with '***' (a last line of defence)."""

    def __init__(self, secrets: list[str]):
        super().__init__()
        self._secrets = [s for s in secrets if len(s) >= 6]

    def filter(self, record: logging.LogRecord) -> bool:
        if self._secrets:
            message = record.getMessage()
            for secret in self._secrets:
                message = message.replace(secret, "***")
            record.msg, record.args = message, None
        return True


def setup_logging(settings: Settings, level: int = logging.INFO) -> None:
    handler = logging.StreamHandler()
    handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
    handler.addFilter(RedactSecrets(settings.secrets))
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level)
    # These libraries log full request headers (bearer tokens included) or form data (Reddit's
    # password) at DEBUG; httpx (under atproto) logs every request at INFO.
    for noisy in ("tweepy", "urllib3", "slack_sdk", "slack_bolt", "apscheduler", "httpx", "httpcore", "prawcore", "praw"):
        logging.getLogger(noisy).setLevel(max(level, logging.WARNING))
