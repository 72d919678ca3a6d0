"""Shared fixtures: fake X and Slack servers on 127.0.0.1, settings pointing at them, a database.

Listening Post's own modules are imported in the fixtures: pytest-xdist's main process loads this file
too, and never runs a test (two seconds before any worker starts).
"""

from __future__ import annotations

import functools
import os
import shutil
from pathlib import Path
from typing import TYPE_CHECKING

import pytest
from hypothesis import settings as hypothesis_settings

from tests.fakes import bluesky_api, feeds, google_api, mastodon_api, meta_api, reddit_api, slack_api, x_api
from tests.helpers import OUR_PREFIXES, run_cli

if TYPE_CHECKING:
    from bot.config import Settings
    from tests.workspace import Workspace

# Property tests: a short search on a developer's machine, the long one with HYPOTHESIS_PROFILE=thorough
# and in CI (where Hypothesis loads its own "ci" profile: the same examples every run). Never a deadline:
# a busy machine is not a bug.
hypothesis_settings.register_profile(
    "quick", hypothesis_settings.get_profile("default"), max_examples=15, deadline=None
)
hypothesis_settings.register_profile(
    "thorough", hypothesis_settings.get_profile("default"), max_examples=60, deadline=None
)
hypothesis_settings.register_profile("ci", hypothesis_settings.get_profile("ci"), max_examples=60)
hypothesis_settings.load_profile(
    os.environ.get("HYPOTHESIS_PROFILE")
    or ("ci" if hypothesis_settings.get_current_profile_name() == "ci" else "quick")
)


@pytest.fixture(autouse=True)
def _none_of_the_developers_settings(monkeypatch):
    """Tests ignore the developer's own settings: a filled-in shell must never send a test to the real networks."""
    for name in [k for k in os.environ if k.startswith(OUR_PREFIXES)]:
        monkeypatch.delenv(name)


@pytest.fixture(autouse=True)
def _no_slack_retry_waits(monkeypatch):
    """Slack calls are retried as in service, without slack_sdk's backoff between tries (0.5 to 2 s each)."""
    from slack_sdk.http_retry import FixedValueRetryIntervalCalculator

    from bot.chat.slack import client

    no_wait = FixedValueRetryIntervalCalculator(0)
    monkeypatch.setattr(client, "make_client", functools.partial(client.make_client, retry_interval=no_wait))


def _running(server):
    """A fake server for one test: started before it, stopped after."""
    server.start()
    yield server
    server.stop()


@pytest.fixture
def fake_x():
    server = x_api.FakeX().start()
    server.add_user("1001", "maria_eats", "Maria López", followers=812)
    server.add_user("1002", "tomwrites", "Tom Becker", followers=15300)
    yield server
    server.stop()


@pytest.fixture
def fake_slack():
    server = slack_api.FakeSlack().start()
    yield server
    server.stop()


@pytest.fixture(scope="session")
def migrated_database(tmp_path_factory) -> Path:
    """A database made by open_db once per test process: migrating one costs 30 ms, copying it almost nothing."""
    from storage import open_db

    path = tmp_path_factory.mktemp("migrated") / "listening.db"
    open_db(path).close()  # the last connection closing folds the WAL into the file
    return path


@pytest.fixture
def env(tmp_path, fake_x, fake_slack, migrated_database) -> dict[str, str]:
    shutil.copyfile(migrated_database, tmp_path / "listening.db")
    return {
        "SLACK_BOT_TOKEN": slack_api.BOT_TOKEN,
        "SLACK_SIGNING_SECRET": "test-signing-secret-abc",
        "SLACK_CHANNEL": slack_api.CHANNEL,
        "SLACK_API_URL": fake_slack.api_url,
        "SLACK_POST_INTERVAL_SECONDS": "0",
        "X_BEARER_TOKEN": x_api.BEARER,
        "X_USERNAME": "bramblecafe",
        "X_API_URL": fake_x.url,
        "DATABASE_PATH": str(tmp_path / "listening.db"),
    }


@pytest.fixture
def settings(env) -> Settings:
    from bot import config

    return config.load(env)


@pytest.fixture
def poll(settings):
    """Run one real poll cycle (X source → triage → SQLite → Slack), as `python -m bot poll` does."""
    from bot import wiring

    sink = wiring.chat_sink(settings)
    return wiring.cycle_runner(settings, sink)


@pytest.fixture
def poll_for(env):
    """A poll cycle for settings without X and with these settings added (another network's)."""
    from bot import config, wiring

    def make(**extra: str):
        chosen = config.load({**{k: v for k, v in env.items() if not k.startswith("X_")}, **extra})
        return wiring.cycle_runner(chosen, wiring.chat_sink(chosen))

    return make


@pytest.fixture
def fake_mastodon():
    yield from _running(mastodon_api.FakeMastodon())


@pytest.fixture
def fake_bluesky():
    yield from _running(bluesky_api.FakeBluesky())


@pytest.fixture
def fake_feeds():
    yield from _running(feeds.FakeFeeds())


@pytest.fixture
def fake_reddit():
    yield from _running(reddit_api.FakeReddit())


@pytest.fixture
def fake_meta():
    yield from _running(meta_api.FakeMeta())


@pytest.fixture
def fake_google():
    yield from _running(google_api.FakeGoogle())


@pytest.fixture
def db(settings):
    from storage import open_db

    database = open_db(settings.database_path)
    yield database
    database.close()


@pytest.fixture
def workspace_for(env, fake_slack):
    from bot import config
    from tests.workspace import Workspace

    started = []

    def start(**extra: str) -> Workspace:
        workspace = Workspace(config.load({**env, **extra}), fake_slack)
        started.append(workspace)
        return workspace

    yield start
    for workspace in started:
        workspace.stop()


@pytest.fixture
def card(fake_x, fake_slack):
    """Polls one complaint into the channel; returns (mention id, card ts, tweet)."""

    def make(
        workspace: Workspace,
        text: str = "@bramblecafe my latte was cold and nobody answered the phone",
        author: str = "1001",
    ):
        tweet = fake_x.tweet(text, author_id=author)
        before = len(fake_slack.posted)
        assert not workspace.poll().failed
        assert len(fake_slack.posted) == before + 1
        return f"x:{tweet['id']}", fake_slack.posted[-1]["ts"], tweet

    return make


@pytest.fixture
def bot(tmp_path):
    """`python -m bot …` in this process, in an empty folder, with only the settings given."""

    def run(*args, env=None, stdin="", cwd=None):
        return run_cli(*args, env=env, stdin=stdin, cwd=cwd or tmp_path)

    return run


@pytest.fixture
def connector():
    """Teams' Bot Connector and the keys Teams signs its requests with (made here)."""
    pytest.importorskip("cryptography", reason="Teams' SDK is the `teams` extra (requirements-teams.txt)")
    from tests.fakes.teams_api import FakeConnector

    yield from _running(FakeConnector())


@pytest.fixture
def teams_for(env, connector, fake_slack):
    """Listening Post with Teams only, served as `python -m bot run` serves it; Graph reads what the connector holds."""
    pytest.importorskip("microsoft_teams.apps", reason="Teams' SDK is the `teams` extra (requirements-teams.txt)")
    from bot import config
    from tests.fakes.teams_api import FakeEntra
    from tests.fakes.teams_graph import FakeGraph
    from tests.teams_workspace import TeamsWorkspace, teams_env

    entra, graph = FakeEntra().start(), FakeGraph(connector).start()
    started = []

    def start(slack: bool = False, **extra: str) -> TeamsWorkspace:
        chosen = {**teams_env(env, entra.url, connector, graph.graph_url, slack), **extra}
        workspace = TeamsWorkspace(config.load(chosen), connector, fake_slack)
        workspace.settings_env = chosen  # type: ignore[attr-defined]
        workspace.graph = graph  # type: ignore[attr-defined]
        started.append(workspace)
        return workspace

    yield start
    for workspace in started:
        workspace.stop()
    graph.stop()
    entra.stop()


@pytest.fixture
def teams(connector):
    """The Teams SDK's App on its own loop, signing in at a fake Entra and posting to the fake connector."""
    pytest.importorskip("microsoft_teams.apps", reason="Teams' SDK is the `teams` extra (requirements-teams.txt)")
    from bot.chat.teams.retry import RetryAfter
    from bot.chat.teams.runtime import TeamsRuntime
    from bot.chat.teams.token import BotToken
    from tests.fakes.teams_api import CLIENT_ID, CLIENT_SECRET, TENANT_ID, FakeEntra

    entra = FakeEntra().start()
    token = BotToken(CLIENT_ID, CLIENT_SECRET, TENANT_ID, login_url=entra.url)
    # Teams' waits are asked for, and recorded, but not slept: `teams.waits`.
    waits: list[float] = []

    async def no_sleep(seconds: float) -> None:
        waits.append(seconds)

    runtime = TeamsRuntime(
        CLIENT_ID,
        TENANT_ID,
        token,
        service_url=connector.service_url,
        keys_url=connector.keys_url,
        retry=RetryAfter(sleep=no_sleep),
    )
    runtime.waits = waits  # type: ignore[attr-defined]
    yield runtime
    runtime.stop()
    entra.stop()
