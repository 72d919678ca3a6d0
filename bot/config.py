"""Settings from the environment and an optional `.env` file, checked with plain-language errors."""
from __future__ import annotations

import os
import re
from dataclasses import dataclass, field
from datetime import time
from pathlib import Path
from typing import Mapping

from dotenv import dotenv_values

from bot.hours import BusinessHours, HoursError
from bot.hours import parse as parse_hours

DEFAULT_SLACK_API_URL = "https://slack.com/api/"
DEFAULT_X_API_URL = "https://api.twitter.com"
DEFAULT_BLUESKY_SERVICE_URL = "https://bsky.social"
DEFAULT_REDDIT_URL = "https://www.reddit.com"
DEFAULT_TEMPLATES = Path(__file__).with_name("reply_templates.toml")


class ConfigError(Exception):
    """A setting is missing or malformed; the message says which and how to fix it."""


@dataclass(frozen=True)
class Settings:
    # Secrets are kept out of repr so they never reach a log line or a traceback.
    slack_bot_token: str = field(default="", repr=False)
    slack_signing_secret: str = field(default="", repr=False)
    slack_app_token: str = field(default="", repr=False)
    slack_channel: str = ""
    slack_api_url: str = DEFAULT_SLACK_API_URL
    slack_post_interval: float = 1.0
    x_bearer_token: str = field(default="", repr=False)
    x_username: str = ""
    x_search_query: str = ""
    x_api_url: str = DEFAULT_X_API_URL
    x_api_key: str = field(default="", repr=False)
    x_api_secret: str = field(default="", repr=False)
    x_access_token: str = field(default="", repr=False)
    x_access_token_secret: str = field(default="", repr=False)
    mastodon_base_url: str = ""
    mastodon_access_token: str = field(default="", repr=False)
    mastodon_hashtags: tuple[str, ...] = ()
    bluesky_handle: str = ""
    bluesky_app_password: str = field(default="", repr=False)
    bluesky_search: str = ""
    bluesky_service_url: str = DEFAULT_BLUESKY_SERVICE_URL
    reddit_client_id: str = ""
    reddit_client_secret: str = field(default="", repr=False)
    reddit_username: str = ""
    reddit_password: str = field(default="", repr=False)
    reddit_query: str = ""
    reddit_subreddits: tuple[str, ...] = ()
    reddit_url: str = DEFAULT_REDDIT_URL  # also where its OAuth API is, in tests
    rss_feeds: tuple[str, ...] = ()
    reply_approvers: frozenset[str] = frozenset()
    business_hours: BusinessHours = field(default_factory=lambda: parse_hours("", "UTC"))
    business_name: str = ""
    reply_target_minutes: int = 60  # 0: no reminders
    digest_time: time | None = time(9, 0)  # None: no digest
    reply_templates: Path = DEFAULT_TEMPLATES
    database_path: Path = Path("data/listening.db")
    poll_interval: int = 300
    port: int = 3000

    @property
    def secrets(self) -> list[str]:
        return [
            s
            for s in (
                self.slack_bot_token, self.slack_signing_secret, self.slack_app_token,
                self.x_bearer_token, self.x_api_key, self.x_api_secret,
                self.x_access_token, self.x_access_token_secret, self.mastodon_access_token,
                self.bluesky_app_password, self.reddit_client_secret, self.reddit_password,
            )
            if s
        ]

    @property
    def x_enabled(self) -> bool:
        return bool(self.x_bearer_token and self.x_username)

    @property
    def mastodon_enabled(self) -> bool:
        return bool(self.mastodon_base_url and self.mastodon_access_token)

    @property
    def bluesky_enabled(self) -> bool:
        return bool(self.bluesky_handle and self.bluesky_app_password)

    @property
    def reddit_enabled(self) -> bool:
        return bool(self.reddit_client_id and self.reddit_client_secret and self.reddit_query)

    @property
    def reddit_can_reply(self) -> bool:
        return self.reddit_enabled and bool(self.reddit_username and self.reddit_password)

    @property
    def any_source(self) -> bool:
        return any((self.x_enabled, self.mastodon_enabled, self.bluesky_enabled, self.reddit_enabled, self.rss_feeds))

    @property
    def x_can_reply(self) -> bool:
        return self.x_enabled and all(self.x_posting_keys.values())

    @property
    def x_posting_keys(self) -> dict[str, str]:
        return {
            "consumer_key": self.x_api_key, "consumer_secret": self.x_api_secret,
            "access_token": self.x_access_token, "access_token_secret": self.x_access_token_secret,
        }

    @property
    def display_name(self) -> str:
        return self.business_name or (f"@{self.x_username}" if self.x_username else "our team")


def _number(env: Mapping[str, str], name: str, default, kind, minimum):
    raw = env.get(name, "").strip()
    if not raw:
        return default
    try:
        value = kind(raw)
    except ValueError:
        raise ConfigError(f"{name} must be a number, like {default} (it is set to '{raw}').") from None
    if value < minimum:
        raise ConfigError(f"{name} must be at least {minimum} (it is set to {raw}).")
    return value


_POSTING_KEYS = ("X_API_KEY", "X_API_SECRET", "X_ACCESS_TOKEN", "X_ACCESS_TOKEN_SECRET")
_SLACK_MEMBER_ID = re.compile(r"^[UW][A-Z0-9]{2,}$")


def _posting_keys(env: Mapping[str, str]) -> None:
    present = [name for name in _POSTING_KEYS if env.get(name, "").strip()]
    if present and len(present) < len(_POSTING_KEYS):
        missing = ", ".join(name for name in _POSTING_KEYS if name not in present)
        raise ConfigError(f"To post replies on X, all four keys are needed; {missing} not set. "
                          "They are on the X developer portal under Keys and tokens (access token with Read and Write).")


# Settings that only work together (what they are for → names, where to find them): some set means all are needed.
_GROUPS = {
    "To listen on Mastodon": (("MASTODON_BASE_URL", "MASTODON_ACCESS_TOKEN"), "Preferences → Development → New application, then copy "
                 "'Your access token'; the base URL is your server's address, like https://mastodon.social"),
    "To listen on Bluesky": (("BLUESKY_HANDLE", "BLUESKY_APP_PASSWORD"), "the handle is like bramblecafe.bsky.social; make an app "
                "password under Settings → Privacy and security → App passwords"),
    "To listen on Reddit": (("REDDIT_CLIENT_ID", "REDDIT_CLIENT_SECRET", "REDDIT_QUERY"), "create a 'script' app at reddit.com/prefs/apps; "
               "REDDIT_QUERY is what to look for, like \"Bramble Café\""),
    "For replies on Reddit": (("REDDIT_USERNAME", "REDDIT_PASSWORD"), "the Reddit account that owns the script app"),
}


def _groups(env: Mapping[str, str]) -> None:
    for purpose, (names, where) in _GROUPS.items():
        present = [name for name in names if env.get(name, "").strip()]
        if present and len(present) < len(names):
            missing = ", ".join(name for name in names if name not in present)
            raise ConfigError(f"{purpose}, {missing} must be set too ({where}).")


def _list(raw: str) -> tuple[str, ...]:
    return tuple(part.strip() for part in raw.split(",") if part.strip())


def _urls(name: str, raw: str) -> tuple[str, ...]:
    urls = _list(raw)
    wrong = [u for u in urls if not re.match(r"^https?://[^\s/]+", u)]
    if wrong:
        raise ConfigError(f"{name} must be web addresses starting with https://, separated by commas ('{wrong[0][:60]}' is not one).")
    return urls


def _approvers(raw: str) -> frozenset[str]:
    ids = [part for part in re.split(r"[\s,]+", raw.strip()) if part]
    wrong = [part for part in ids if not _SLACK_MEMBER_ID.match(part)]
    if wrong:
        raise ConfigError(f"REPLY_APPROVERS must be Slack member IDs like U0123ABCD, separated by commas ('{wrong[0][:30]}' is not one). "
                          "In Slack: click the person → View full profile → ⋯ → Copy member ID.")
    return frozenset(ids)


_CLOCK = re.compile(r"^([01]?\d|2[0-3]):([0-5]\d)$")


def _digest_time(raw: str) -> time | None:
    if raw.lower() in ("off", "none", "no"):
        return None
    match = _CLOCK.match(raw)
    if not match:
        raise ConfigError(f"DIGEST_TIME must be a 24-hour time like 09:00, or off (it is set to '{raw[:20]}').")
    return time(int(match.group(1)), int(match.group(2)))


def load(env: Mapping[str, str] | None = None, env_file: str | Path = ".env") -> Settings:
    """Read settings; real environment variables win over the `.env` file."""
    if env is None:
        merged = {k: v for k, v in dotenv_values(env_file).items() if v is not None}
        merged.update(os.environ)
        env = merged
    get = lambda name, default="": env.get(name, default).strip() or default  # noqa: E731
    _posting_keys(env)
    _groups(env)
    try:
        hours = parse_hours(get("BUSINESS_HOURS"), get("BUSINESS_TZ", "UTC"))
    except HoursError as exc:
        raise ConfigError(str(exc)) from None
    templates = Path(get("REPLY_TEMPLATES", str(DEFAULT_TEMPLATES)))
    if not templates.is_file():
        raise ConfigError(f"REPLY_TEMPLATES points to {templates}, which does not exist.")
    return Settings(
        slack_bot_token=get("SLACK_BOT_TOKEN"),
        slack_signing_secret=get("SLACK_SIGNING_SECRET"),
        slack_app_token=get("SLACK_APP_TOKEN"),
        slack_channel=get("SLACK_CHANNEL"),
        slack_api_url=get("SLACK_API_URL", DEFAULT_SLACK_API_URL).rstrip("/") + "/",
        slack_post_interval=_number(env, "SLACK_POST_INTERVAL_SECONDS", 1.0, float, 0),
        x_bearer_token=get("X_BEARER_TOKEN"),
        x_username=get("X_USERNAME").lstrip("@"),
        x_search_query=get("X_SEARCH_QUERY"),
        x_api_url=get("X_API_URL", DEFAULT_X_API_URL).rstrip("/"),
        x_api_key=get("X_API_KEY"),
        x_api_secret=get("X_API_SECRET"),
        x_access_token=get("X_ACCESS_TOKEN"),
        x_access_token_secret=get("X_ACCESS_TOKEN_SECRET"),
        mastodon_base_url=(_urls("MASTODON_BASE_URL", get("MASTODON_BASE_URL")) or ("",))[0].rstrip("/"),
        mastodon_access_token=get("MASTODON_ACCESS_TOKEN"),
        mastodon_hashtags=tuple(tag.lstrip("#") for tag in _list(get("MASTODON_HASHTAGS"))),
        bluesky_handle=get("BLUESKY_HANDLE").lstrip("@"),
        bluesky_app_password=get("BLUESKY_APP_PASSWORD"),
        bluesky_search=get("BLUESKY_SEARCH"),
        bluesky_service_url=_urls("BLUESKY_SERVICE_URL", get("BLUESKY_SERVICE_URL", DEFAULT_BLUESKY_SERVICE_URL))[0].rstrip("/"),
        reddit_client_id=get("REDDIT_CLIENT_ID"),
        reddit_client_secret=get("REDDIT_CLIENT_SECRET"),
        reddit_username=get("REDDIT_USERNAME"),
        reddit_password=get("REDDIT_PASSWORD"),
        reddit_query=get("REDDIT_QUERY"),
        reddit_subreddits=tuple(sub.removeprefix("r/") for sub in _list(get("REDDIT_SUBREDDITS"))),
        reddit_url=_urls("REDDIT_URL", get("REDDIT_URL", DEFAULT_REDDIT_URL))[0].rstrip("/"),
        rss_feeds=_urls("RSS_FEEDS", get("RSS_FEEDS")),
        reply_approvers=_approvers(get("REPLY_APPROVERS")),
        business_hours=hours,
        business_name=get("BUSINESS_NAME"),
        reply_target_minutes=_number(env, "REPLY_TARGET_MINUTES", 60, int, 0),
        digest_time=_digest_time(get("DIGEST_TIME", "09:00")),
        reply_templates=templates,
        database_path=Path(get("DATABASE_PATH", "data/listening.db")),
        poll_interval=_number(env, "POLL_INTERVAL_SECONDS", 300, int, 10),
        port=_number(env, "PORT", 3000, int, 1),
    )


# How to turn on each network, for doctor and `/listen sources`.
SETUP = {
    "x": "set X_BEARER_TOKEN and X_USERNAME",
    "mastodon": "set MASTODON_BASE_URL and MASTODON_ACCESS_TOKEN",
    "bluesky": "set BLUESKY_HANDLE and BLUESKY_APP_PASSWORD",
    "reddit": "set REDDIT_CLIENT_ID, REDDIT_CLIENT_SECRET and REDDIT_QUERY",
    "rss": "set RSS_FEEDS",
}


def networks(settings: Settings) -> dict[str, str | None]:
    """Each network, mapped to None when it is set up, or to how to set it up."""
    enabled = {"x": settings.x_enabled, "mastodon": settings.mastodon_enabled, "bluesky": settings.bluesky_enabled,
               "reddit": settings.reddit_enabled, "rss": bool(settings.rss_feeds)}
    return {name: None if on else SETUP[name] for name, on in enabled.items()}


def missing_for_service(settings: Settings) -> list[str]:
    """What `run` and `poll` need that is not set, each as an instruction."""
    problems = []
    if not settings.slack_bot_token:
        problems.append("SLACK_BOT_TOKEN is not set (Slack app → OAuth & Permissions → Bot User OAuth Token, starts with xoxb-).")
    if not settings.slack_channel:
        problems.append("SLACK_CHANNEL is not set (the channel ID, like C0123456789: open the channel → its name → About, at the bottom).")
    if not settings.any_source:
        problems.append("No source is set up. Set at least one: X_BEARER_TOKEN and X_USERNAME (X), MASTODON_BASE_URL and "
                        "MASTODON_ACCESS_TOKEN, BLUESKY_HANDLE and BLUESKY_APP_PASSWORD, REDDIT_CLIENT_ID, "
                        "REDDIT_CLIENT_SECRET and REDDIT_QUERY, or RSS_FEEDS. The README's 'Sources' section says where to find each.")
    return problems
