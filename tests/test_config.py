"""Settings: every nonsense value is one plain line, all of them at once, exit 2; secrets never shown, in logs either."""

from __future__ import annotations

import io
import json
import logging
import os
import sqlite3
import subprocess
import sys
import threading
from pathlib import Path
from urllib.parse import quote, quote_plus

import pytest

from bot import config, logs
from bot.config import ConfigError
from storage import open_db
from tests.helpers import OUR_PREFIXES, run_cli

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture
def base(tmp_path) -> dict[str, str]:
    """A minimal good setup, needing no network."""
    return {
        "SLACK_BOT_TOKEN": "xoxb-1234-5678-abcdef",
        "SLACK_CHANNEL": "C0123456789",
        "DATABASE_PATH": str(tmp_path / "data" / "listening.db"),
    }


def _not_sqlite(tmp_path: Path) -> str:
    path = tmp_path / "notes.txt"
    path.write_text("my shopping list\n")
    return str(path)


def _file_as_folder(tmp_path: Path) -> str:
    (tmp_path / "afile").write_text("x")
    return str(tmp_path / "afile" / "listening.db")


# (setting, value or a function of tmp_path, what the message must say)
NONSENSE = [
    ("SLACK_POST_INTERVAL_SECONDS", "1e400", "SLACK_POST_INTERVAL_SECONDS must be a number between 0 and 60"),
    ("SLACK_POST_INTERVAL_SECONDS", "inf", "SLACK_POST_INTERVAL_SECONDS must be a number"),
    ("SLACK_POST_INTERVAL_SECONDS", "nan", "SLACK_POST_INTERVAL_SECONDS must be a number"),
    ("SLACK_POST_INTERVAL_SECONDS", "-1", "SLACK_POST_INTERVAL_SECONDS must be between 0 and 60"),
    ("SLACK_POST_INTERVAL_SECONDS", "61", "SLACK_POST_INTERVAL_SECONDS must be between 0 and 60"),
    ("SLACK_POST_INTERVAL_SECONDS", "true", "SLACK_POST_INTERVAL_SECONDS must be a number"),
    ("SLACK_POST_INTERVAL_SECONDS", "1,5", "SLACK_POST_INTERVAL_SECONDS must be a number"),
    ("POLL_INTERVAL_SECONDS", "99999999999999999999", "POLL_INTERVAL_SECONDS must be between 10 and 86400"),
    ("POLL_INTERVAL_SECONDS", "5", "POLL_INTERVAL_SECONDS must be between 10 and 86400"),
    ("POLL_INTERVAL_SECONDS", "-300", "POLL_INTERVAL_SECONDS must be between 10"),
    ("POLL_INTERVAL_SECONDS", "5 min", "POLL_INTERVAL_SECONDS must be a number"),
    ("POLL_INTERVAL_SECONDS", "300.5", "POLL_INTERVAL_SECONDS must be a whole number"),
    ("POLL_INTERVAL_SECONDS", "1e3", "POLL_INTERVAL_SECONDS must be a number"),
    ("POLL_INTERVAL_SECONDS", "0x10", "POLL_INTERVAL_SECONDS must be a number"),
    ("POLL_INTERVAL_SECONDS", "٣٠٠", "POLL_INTERVAL_SECONDS must be a number"),
    ("PORT", "70000", "PORT must be between 1 and 65535"),
    ("PORT", "0", "PORT must be between 1 and 65535"),
    ("PORT", "-1", "PORT must be between 1 and 65535"),
    ("PORT", "http", "PORT must be a number"),
    ("PORT", "3000.0", "PORT must be a whole number"),
    ("PORT", "9" * 5000, "PORT must be between 1 and 65535"),
    ("REPLY_TARGET_MINUTES", "99999999", "REPLY_TARGET_MINUTES must be between 0 and 10080"),
    ("REPLY_TARGET_MINUTES", "-5", "REPLY_TARGET_MINUTES must be between 0 and 10080"),
    ("REPLY_TARGET_MINUTES", "1h", "REPLY_TARGET_MINUTES must be a number"),
    ("REPLY_TARGET_MINUTES", "true", "REPLY_TARGET_MINUTES must be a number"),
    ("DATABASE_PATH", lambda tmp: str(tmp), "is a folder; set it to a file inside it"),
    ("DATABASE_PATH", lambda tmp: "/sys/listening.db", "the folder /sys is read-only"),
    ("DATABASE_PATH", lambda tmp: "/proc/nope/listening.db", "cannot be made"),
    ("DATABASE_PATH", _not_sqlite, "is some other kind of file, not a Listening Post database"),
    ("DATABASE_PATH", _file_as_folder, "is a file, not a folder"),
    ("DATABASE_PATH", "data/list\x00ening.db", "DATABASE_PATH contains a line break"),
    ("SLACK_API_URL", "not a url", "SLACK_API_URL must be a web address starting with https://"),
    ("SLACK_API_URL", "slack.com/api", "SLACK_API_URL must be a web address"),
    ("SLACK_API_URL", "ftp://slack.com/api", "SLACK_API_URL must be a web address"),
    ("SLACK_API_URL", "https://", "SLACK_API_URL must be a web address"),
    ("SLACK_API_URL", "https://slack.com:99999/api", "SLACK_API_URL must be a web address"),
    ("X_API_URL", "api.twitter.com", "X_API_URL must be a web address"),
    ("BLUESKY_SERVICE_URL", "bsky", "BLUESKY_SERVICE_URL must be a web address"),
    ("REDDIT_URL", "www.reddit.com", "REDDIT_URL must be a web address"),
    ("MASTODON_BASE_URL", "mastodon.social", "MASTODON_BASE_URL must be a web address"),
    ("RSS_FEEDS", "news.example/feed", "RSS_FEEDS must be web addresses starting with https://"),
    ("RSS_FEEDS", "https://ok.example/feed, javascript:alert(1)", "('javascript:alert(1)' is not one)"),
    ("SLACK_APP_TOKEN", "bogus-token-123", "SLACK_APP_TOKEN must be the app-level token, which starts with xapp-"),
    ("SLACK_APP_TOKEN", "xoxb-1234-5678-abcdef", "SLACK_APP_TOKEN holds the bot token"),
    ("SLACK_BOT_TOKEN", "xoxp-1234-5678-abcdef", "SLACK_BOT_TOKEN holds a user token"),
    ("SLACK_BOT_TOKEN", "xapp-1-A0-1234-abcdef", "belongs in SLACK_APP_TOKEN"),
    ("SLACK_BOT_TOKEN", "hello-there-123", "SLACK_BOT_TOKEN must be the Bot User OAuth Token, which starts with xoxb-"),
    (
        "SLACK_BOT_TOKEN",
        "xoxb-1234 5678-abcdef",
        "SLACK_BOT_TOKEN contains a space or line break; copy it again without spaces.",
    ),
    (
        "SLACK_BOT_TOKEN",
        "xoxb-1234\n5678-abcdef",
        "SLACK_BOT_TOKEN contains a space or line break; copy it again without spaces.",
    ),
    ("SLACK_BOT_TOKEN", "xoxb-...", "SLACK_BOT_TOKEN still holds the placeholder"),
    ("SLACK_BOT_TOKEN", "“xoxb-1234-5678”", "SLACK_BOT_TOKEN contains a character no key has"),
    ("SLACK_BOT_TOKEN", "'xoxb-1234-5678'", "SLACK_BOT_TOKEN is wrapped in quotes"),
    ("SLACK_SIGNING_SECRET", "abcd1234\tef567890", "SLACK_SIGNING_SECRET contains a space or line break"),
    ("X_BEARER_TOKEN", "AAAAAAAA BBBBBBBB", "X_BEARER_TOKEN contains a space or line break"),
    ("MASTODON_ACCESS_TOKEN", "tok\r\nen-123456", "MASTODON_ACCESS_TOKEN contains a space or line break"),
    ("BLUESKY_APP_PASSWORD", "abcd efgh ijkl mnop", "BLUESKY_APP_PASSWORD contains a space or line break"),
    ("REDDIT_PASSWORD", "my pass\nword", "REDDIT_PASSWORD contains a line break"),
    ("X_API_KEY", "only-this-one", "To post replies on X, all four keys are needed"),
    (
        "SLACK_CHANNEL",
        "#general",
        "SLACK_CHANNEL must be the channel's ID, like C0123456789, not its name ('#general')",
    ),
    ("SLACK_CHANNEL", "general", "Channel ID is at the bottom"),
    ("SLACK_CHANNEL", "design", "SLACK_CHANNEL must be the channel's ID"),
    ("SLACK_CHANNEL", "c0123abc", "SLACK_CHANNEL must be the channel's ID"),
    ("SLACK_CHANNEL", "C 0123", "SLACK_CHANNEL must be the channel's ID"),
    ("SLACK_CHANNEL", "https://app.slack.com/client/T0/C0123", "SLACK_CHANNEL must be the channel's ID"),
    ("SLACK_CHANNEL", "true", "SLACK_CHANNEL must be the channel's ID"),
    ("X_USERNAME", "my shop", "X_USERNAME must be your X handle without the @"),
    ("X_USERNAME", "https://x.com/shop", "X_USERNAME must be your X handle"),
    ("X_USERNAME", "averyveryverylonghandle", "at most 15"),
    ("BLUESKY_HANDLE", "bramble", "BLUESKY_HANDLE must be your full handle, like bramblecafe.bsky.social"),
    ("BLUESKY_HANDLE", "bramble cafe.bsky.social", "BLUESKY_HANDLE must be your full handle"),
    ("REDDIT_SUBREDDITS", "r/london, Bramble Cafe", "REDDIT_SUBREDDITS must be subreddit names"),
    ("REDDIT_USERNAME", "my name", "REDDIT_USERNAME must be the Reddit account's name"),
    ("MASTODON_HASHTAGS", "Bramble Cafe", "MASTODON_HASHTAGS must be hashtags without spaces"),
    ("REPLY_APPROVERS", "maria", "REPLY_APPROVERS must be Slack member IDs"),
    ("REPLY_APPROVERS", "@maria, U0123ABCD", "REPLY_APPROVERS must be Slack member IDs"),
    ("DIGEST_TIME", "9am", "DIGEST_TIME must be a 24-hour time like 09:00, or off"),
    ("DIGEST_TIME", "25:00", "DIGEST_TIME must be a 24-hour time"),
    ("DIGEST_TIME", "true", "DIGEST_TIME must be a 24-hour time"),
    ("BUSINESS_TZ", "Mars/Olympus", "is not a time zone name"),
    ("BUSINESS_TZ", "../../etc/passwd", "is not a time zone name"),
    ("BUSINESS_HOURS", "always", "BUSINESS_HOURS"),
    ("BUSINESS_HOURS", "mon-fri 9-5", "should look like 09:00-17:00"),
    ("REPLY_TEMPLATES", "no/such/replies.toml", "REPLY_TEMPLATES points to no/such/replies.toml, which does not exist"),
    ("REPLY_TEMPLATES", lambda tmp: str(tmp), "which is a folder"),
    ("X_SEARCH_QUERY", "bramble " * 80, "X_SEARCH_QUERY is 639 characters long; at most 512"),
    ("BUSINESS_NAME", "Bramble\nCafé", "BUSINESS_NAME contains a line break"),
    ("BUSINESS_TZ", "Europe/\nLondon", "BUSINESS_TZ contains a line break"),
    ("X_USERNAME", "bramble\x00cafe", "X_USERNAME contains a line break"),
]


@pytest.mark.parametrize(("name", "value", "says"), NONSENSE, ids=[f"{n}={str(v)[:24]!r}" for n, v, _ in NONSENSE])
def test_a_nonsense_setting_is_one_plain_line_that_never_shows_a_secret(base, tmp_path, name, value, says):
    value = value(tmp_path) if callable(value) else value
    with pytest.raises(ConfigError) as caught:
        config.load({**base, name: value})
    message = str(caught.value)
    assert says in message
    assert all(problem.strip() and "\n" not in problem for problem in caught.value.problems)
    assert message.count("\n") == len(caught.value.problems) - 1
    assert "Traceback" not in message and "Error(" not in message
    if name in config.secret_names():
        pieces = [value.strip(), *(p for p in value.split() if len(p) >= 4)]
        assert not any(piece in message for piece in pieces)


def test_every_mistake_is_listed_at_once(base):
    with pytest.raises(ConfigError) as caught:
        config.load(
            {
                **base,
                "PORT": "70000",
                "SLACK_POST_INTERVAL_SECONDS": "inf",
                "SLACK_CHANNEL": "#general",
                "POLL_INTERVAL_SECONDS": "99999999999999999999",
                "SLACK_APP_TOKEN": "nope-123456",
                "DIGEST_TIME": "9am",
                "MASTODON_BASE_URL": "https://mastodon.social",
            }
        )
    problems = caught.value.problems
    assert len(problems) == 7
    for name in (
        "PORT",
        "SLACK_POST_INTERVAL_SECONDS",
        "SLACK_CHANNEL",
        "POLL_INTERVAL_SECONDS",
        "SLACK_APP_TOKEN",
        "DIGEST_TIME",
        "MASTODON_ACCESS_TOKEN must be set too",
    ):
        assert sum(name in p for p in problems) >= 1, name


def test_sensible_values_are_accepted_and_tidied(base, tmp_path):
    empty = tmp_path / "empty.db"
    empty.touch()
    settings = config.load(
        {
            **base,
            "SLACK_BOT_TOKEN": "xoxe.xoxb-1-rotating",
            "SLACK_APP_TOKEN": "xapp-1-A0-1",
            "SLACK_CHANNEL": "G01ABCDEF",
            "SLACK_POST_INTERVAL_SECONDS": "0.5",
            "POLL_INTERVAL_SECONDS": "86400",
            "PORT": "65535",
            "REPLY_TARGET_MINUTES": "10080",
            "X_USERNAME": "@bramble_cafe",
            "X_BEARER_TOKEN": "AAAA%2BBBBB%3D",
            "REDDIT_SUBREDDITS": "r/london, /r/cafes",
            "REDDIT_CLIENT_ID": "id-123",
            "REDDIT_CLIENT_SECRET": "s_e-c",
            "REDDIT_QUERY": '"Bramble Café"',
            "REDDIT_USERNAME": "u/bramble",
            "REDDIT_PASSWORD": "a pass with spaces ü",
            "MASTODON_HASHTAGS": "#BrambleCafé, millane",
            "MASTODON_BASE_URL": "https://mastodon.social/",
            "MASTODON_ACCESS_TOKEN": "token-123456",
            "BLUESKY_HANDLE": "@bramblecafe.bsky.social",
            "BLUESKY_APP_PASSWORD": "abcd-efgh",
            "RSS_FEEDS": "https://a.example/feed, http://127.0.0.1:8080/x.xml",
            "DATABASE_PATH": str(empty),
            "SLACK_API_URL": "http://127.0.0.1:9/api",
        }
    )
    assert settings.port == 65535 and settings.poll_interval == 86400 and settings.chats["slack"].post_interval == 0.5
    network = settings.networks
    assert network["x"].username == "bramble_cafe" and network["bluesky"].handle == "bramblecafe.bsky.social"
    assert network["reddit"].subreddits == ("london", "cafes") and network["reddit"].username == "bramble"
    assert network["mastodon"].hashtags == ("BrambleCafé", "millane")
    assert network["mastodon"].base_url == "https://mastodon.social"
    assert network["mastodon"].base_url == "https://mastodon.social"
    assert settings.chats["slack"].api_url == "http://127.0.0.1:9/api/"
    # A new database in folders that do not exist yet is fine: they are made at start.
    assert config.load({**base, "DATABASE_PATH": str(tmp_path / "a" / "b" / "new.db")}).database_path.name == "new.db"


def test_an_existing_sqlite_database_passes_the_cheap_check(base, tmp_path):
    path = tmp_path / "real.db"
    open_db(path).close()  # a Listening Post database made on an earlier start
    assert config.database_problem(path) is None
    assert config.load({**base, "DATABASE_PATH": str(path)}).database_path == path


@pytest.mark.skipif(os.geteuid() == 0, reason="permission bits do not stop root")
def test_a_read_only_database_folder_is_named(base, tmp_path):
    folder = tmp_path / "locked"
    folder.mkdir()
    folder.chmod(0o500)
    try:
        with pytest.raises(ConfigError, match="read-only"):
            config.load({**base, "DATABASE_PATH": str(folder / "listening.db")})
    finally:
        folder.chmod(0o700)


# --- The command line: a handful of real runs for the exit code and the shape of the message. -------------------


def bot(*args, env: dict[str, str], cwd: Path):
    clean = {k: v for k, v in os.environ.items() if not k.startswith(OUR_PREFIXES)}
    return subprocess.run(
        [sys.executable, "-m", "bot", *args],
        capture_output=True,
        text=True,
        timeout=60,
        cwd=cwd,
        env={**clean, **env, "PYTHONPATH": str(ROOT)},
    )


CLI_CASES = [
    (
        "doctor",
        {
            "PORT": "70000",
            "SLACK_POST_INTERVAL_SECONDS": "1e400",
            "SLACK_CHANNEL": "#general",
            "SLACK_APP_TOKEN": "bogus",
        },
        4,
    ),
    (
        "run",
        {
            "PORT": "0",
            "POLL_INTERVAL_SECONDS": "99999999999999999999",
            "SLACK_API_URL": "not a url",
            "REPLY_TARGET_MINUTES": "99999999",
        },
        4,
    ),
    (
        "poll",
        {
            "SLACK_BOT_TOKEN": "xoxb-secret\nsecond-half-9876",
            "DATABASE_PATH": "/proc/nope/x.db",
            "SLACK_POST_INTERVAL_SECONDS": "nan",
        },
        3,
    ),
]


@pytest.mark.parametrize(("command", "wrong", "count"), CLI_CASES, ids=[c[0] for c in CLI_CASES])
def test_the_command_line_lists_every_problem_and_exits_2(base, tmp_path, command, wrong, count):
    # One real interpreter shows the exit code as a shell sees it; the others run the same main() here.
    real = command == CLI_CASES[0][0]
    result = (bot if real else run_cli)(command, env={**base, **wrong}, cwd=tmp_path)
    assert result.returncode == 2, result.stderr
    lines = result.stderr.strip().splitlines()
    assert lines[0] == "Listening Post can't start:"
    assert len(lines) == 1 + count and all(line.startswith("  • ") for line in lines[1:]), result.stderr
    assert "Traceback" not in result.stderr + result.stdout and result.stdout == ""
    assert "secret" not in result.stderr and "second-half-9876" not in result.stderr


@pytest.fixture
def cli(base, tmp_path, monkeypatch, capsys):
    """`python -m bot …` in this process (no start-up cost), in an empty folder with only `base` set."""
    from bot.__main__ import main

    for name in [k for k in os.environ if k.startswith(OUR_PREFIXES)]:
        monkeypatch.delenv(name)
    for name, value in base.items():
        monkeypatch.setenv(name, value)
    monkeypatch.chdir(tmp_path)
    monkeypatch.setattr(sys, "excepthook", sys.excepthook)
    monkeypatch.setattr(threading, "excepthook", threading.excepthook)
    root = logging.getLogger()
    saved = root.handlers[:], root.level

    def run(*argv: str) -> tuple[int, str, str]:
        code = main(list(argv))
        out, err = capsys.readouterr()
        return code, out, err

    yield run
    root.handlers[:] = saved[0]
    root.setLevel(saved[1])


def test_stats_days_and_chart_mistakes_are_plain_lines(cli, tmp_path):
    assert cli("stats", "--days", "400") == (
        2,
        "",
        "--days must be a whole number between 1 and 365, like --days 30.\n",
    )
    assert cli("stats", "--days", "week")[0] == 2
    code, out, err = cli("stats", "--chart", str(tmp_path))
    assert (
        code == 2 and err.strip() == f"--chart {tmp_path} is a folder; give a file name, like {tmp_path / 'chart.png'}."
    )
    code, out, err = cli("nonsense")
    assert code == 2 and err.startswith(
        "There is no command 'nonsense'; use one of run, poll, demo, triage, doctor, stats"
    )


def test_stats_on_an_empty_database_points_at_the_demo_database(cli, tmp_path, monkeypatch):
    monkeypatch.setenv("DATABASE_PATH", "data/listening.db")
    (tmp_path / "data").mkdir()
    sqlite3.connect(tmp_path / "data" / "demo.db").close()
    code, out, err = cli("stats", "--days", "30")
    assert code == 0 and "No mentions" in out
    assert (
        "has no mentions yet. The demo's numbers are in data/demo.db: DATABASE_PATH=data/demo.db python -m bot stats"
        in err
    )


# --- Secrets in logs: the message, the traceback, escaped forms. -----------------------------------------------

SECRET = "xoxb-9f8e7d6c5b4a\nsecond-piece/+&=ü"


@pytest.fixture
def service_logging(monkeypatch):
    """The service's own log setup, put back afterwards."""
    root = logging.getLogger()
    saved = root.handlers[:], root.level
    monkeypatch.setattr(sys, "excepthook", sys.excepthook)
    monkeypatch.setattr(threading, "excepthook", threading.excepthook)
    stream = io.StringIO()
    monkeypatch.setattr(sys, "stderr", stream)
    logs.setup_logging(config.Settings(secret_values=(SECRET, "AAAA-bearer-1234")))
    yield stream
    root.handlers[:] = saved[0]
    root.setLevel(saved[1])


def _forms(secret: str) -> list[str]:
    return [
        secret,
        repr(secret)[1:-1],
        json.dumps(secret)[1:-1],
        quote(secret),
        quote(secret, safe=""),
        quote_plus(secret),
        "xoxb-9f8e7d6c5b4a",
        "second-piece/+&=ü",
    ]


def test_a_secret_in_an_exception_traceback_is_masked_in_every_form(service_logging):
    log = logging.getLogger("bot.test")
    try:
        headers = {"Authorization": f"Bearer {SECRET}"}
        raise ValueError(
            f"bad header {headers!r}; url=https://x.example/?t={quote_plus(SECRET)}; json={json.dumps(SECRET)}"
        )
    except ValueError:
        log.exception("Posting failed with token %s", SECRET)
    log.warning("and again: %s / %s", quote(SECRET, safe=""), "AAAA-bearer-1234")
    output = service_logging.getvalue()
    assert "Traceback" in output and "bad header" in output and output.count("***") >= 6
    for form in _forms(SECRET) + ["AAAA-bearer-1234"]:
        assert form not in output, form


def test_a_crash_outside_a_log_call_is_masked_too(service_logging):
    try:
        raise RuntimeError(f"token was {SECRET!r}")
    except RuntimeError:
        sys.excepthook(*sys.exc_info())
    thread = threading.Thread(target=lambda: (_ for _ in ()).throw(RuntimeError(SECRET)), name="poller")
    thread.start()
    thread.join()
    output = service_logging.getvalue()
    assert "stopped on an unexpected error" in output and "A background task (poller) failed" in output
    assert not any(form in output for form in _forms(SECRET))


def test_the_filter_alone_masks_tracebacks_for_any_formatter():
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.setFormatter(logging.Formatter("%(message)s"))  # a plain formatter: the filter does the work
    handler.addFilter(logs.RedactSecrets([SECRET]))
    log = logging.getLogger("bot.test.filter")
    log.addHandler(handler)
    log.propagate = False
    try:
        try:
            raise KeyError(SECRET)
        except KeyError:
            log.error("lookup failed", exc_info=True, stack_info=True)
        log.info("bad args %s %s", "only one")  # a mismatched format must not raise out of the log call
    finally:
        log.removeHandler(handler)
    output = stream.getvalue()
    assert "KeyError" in output and "***" in output
    assert not any(form in output for form in _forms(SECRET))


def test_another_programs_sqlite_database_is_refused_untouched(tmp_path, env):
    other = tmp_path / "shop.db"
    conn = sqlite3.connect(other)
    conn.execute("create table orders (id integer primary key, total real)")
    conn.commit()
    conn.close()
    before = other.read_bytes()
    with pytest.raises(config.ConfigError) as raised:
        config.load({**env, "DATABASE_PATH": str(other)})
    assert "another program's database" in str(raised.value)
    assert other.read_bytes() == before
    ours = tmp_path / "ours.db"
    open_db(ours).close()
    config.load({**env, "DATABASE_PATH": str(ours)})  # Listening Post's own database passes


def test_a_library_that_resets_its_logger_s_level_still_logs_only_its_warnings(service_logging):
    # Teams' SDK sets httpx's logger to NOTSET for every HTTP client it makes: every call to Teams
    # would be an INFO line in the shop's log.
    logging.getLogger("httpx").setLevel(logging.NOTSET)

    logging.getLogger("httpx").info('HTTP Request: POST https://smba.example/v3/conversations "HTTP/1.1 201"')
    logging.getLogger("httpcore.http11").debug("send_request_headers.started")
    logging.getLogger("httpx").warning("a library's warning stays")
    logging.getLogger("bot.test").info("our own lines stay")

    said = service_logging.getvalue()
    assert "HTTP Request" not in said and "send_request_headers" not in said
    assert "a library's warning stays" in said and "our own lines stay" in said
