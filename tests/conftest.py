"""Shared fixtures: fake X and Slack servers on 127.0.0.1, settings pointing at them, a database."""

from __future__ import annotations

import os

import pytest

from bot import config, wiring
from storage import open_db
from tests.fakes import bluesky_api, feeds, mastodon_api, reddit_api, slack_api, x_api
from tests.helpers import OUR_PREFIXES, run_cli
from tests.workspace import Workspace


@pytest.fixture(autouse=True)
def _none_of_the_developers_settings(monkeypatch):
    """Tests ignore the developer's own settings: a filled-in shell must never send a test to the real networks."""
    for name in [k for k in os.environ if k.startswith(OUR_PREFIXES)]:
        monkeypatch.delenv(name)


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


@pytest.fixture
def env(tmp_path, fake_x, fake_slack) -> dict[str, str]:
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
def settings(env) -> config.Settings:
    return config.load(env)


@pytest.fixture
def poll(settings):
    """Run one real poll cycle (X source → triage → SQLite → Slack), as `python -m bot poll` does."""
    sink = wiring.chat_sink(settings)
    return wiring.cycle_runner(settings, sink)


@pytest.fixture
def poll_for(env):
    """A poll cycle for settings without X and with these settings added (another network's)."""

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
def db(settings):
    database = open_db(settings.database_path)
    yield database
    database.close()


@pytest.fixture
def workspace_for(env, fake_slack):
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
