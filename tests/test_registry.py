"""The network registry: each network declared once, and everything else following it."""

from __future__ import annotations

import re
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from pathlib import Path

import pytest

from bot import config, doctor, wiring, wording
from bot.models import OK, Mention, Page
from bot.replies import ReplyTemplates
from bot.sources import registry
from bot.sources.registry import Network

ROOT = Path(__file__).resolve().parents[1]


class Recording(dict):
    """An environment that notes every setting asked for."""

    def __init__(self):
        super().__init__()
        self.asked: set[str] = set()

    def get(self, key, default=None):
        self.asked.add(key)
        return super().get(key, default)


def settings_read(network: Network) -> set[str]:
    env = Recording()
    network.read(config.Reader(env))
    return env.asked


@pytest.mark.parametrize("network", registry.networks(), ids=lambda n: n.key)
def test_each_network_is_declared_by_its_own_module_and_documented(network):
    assert network is __import__(f"bot.sources.{network.key}", fromlist=["NETWORK"]).NETWORK
    names = settings_read(network)
    assert names and set(network.secrets) <= names
    readme, example = (ROOT / "README.md").read_text(), (ROOT / ".env.example").read_text()
    for name in names | set(re.findall(r"[A-Z][A-Z_]+", network.setup)):
        assert name in readme, f"{name} is not in the README"
        assert name in example or name.endswith("_URL"), f"{name} is not in .env.example"
    assert re.search(rf"^### {re.escape(network.readme)}", readme, re.M)
    # With none of its settings, a network is simply off, and says nothing.
    reader = config.Reader({})
    assert network.read(reader) is None and reader.problems == []


def test_declaring_the_networks_and_platforms_loads_none_of_their_libraries():
    # atproto alone adds about 40 MB: a library is imported only when its network or platform is set up.
    code = (
        "import sys; from bot import config, doctor, wiring, logs, platforms, service; from bot.sources import registry; "
        "registry.networks(); platforms.platforms(); config.load({}); "
        "print(sorted(m for m in ('tweepy', 'mastodon', 'atproto', 'praw', 'feedparser', 'slack_sdk', 'slack_bolt', "
        "'google.auth', 'google.oauth2') "
        "if m in sys.modules))"
    )
    result = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, timeout=60)
    assert result.stdout.strip() == "[]", result.stderr


def test_names_limits_and_lengths_come_from_the_registry():
    assert registry.name("mastodon") == "Mastodon" and registry.name("gone") == "Gone"
    assert registry.reply_limit("rss") is None and not registry.answerable("rss")
    assert registry.reply_length("x", "café ☕") == 7  # X weighs an emoji double
    assert registry.reply_length("bluesky", "👍🏽") == 1  # Bluesky counts what a reader sees as one
    assert registry.reply_length("mastodon", "see https://example.com/a/very/long/path/indeed") == 4 + 23


# --- A seventh network, declared in one place: everything else picks it up. --------------------------------------


@dataclass(frozen=True)
class PigeonSettings:
    loft: str


class PigeonSource:
    name = "pigeon"

    def __init__(self, cfg: PigeonSettings):
        self.cfg = cfg

    def fetch(self, cursors: dict[str, str]) -> Iterator[Page]:
        yield Page("loft", [], cursor="1")


def _read(r: config.Reader) -> PigeonSettings | None:
    loft = r.get("PIGEON_LOFT")
    r.get("PIGEON_KEY")
    return PigeonSettings(loft) if loft else None


PIGEON = Network(
    key="pigeon",
    name="Pigeon Post",
    read=_read,
    needs="PIGEON_LOFT",
    readme="2c. Mastodon, Bluesky, Reddit and RSS",
    build=PigeonSource,
    secrets=("PIGEON_KEY",),
    replies=lambda cfg: "replies go by return of bird",
    reply_limit=40,
    address="to {handle}",
    links=False,
)


@pytest.fixture
def pigeon(monkeypatch):
    networks = (*registry.networks(), PIGEON)
    monkeypatch.setattr(registry, "networks", lambda: networks)


def test_a_new_network_is_one_declaration(pigeon, env):
    off = config.load(env)
    assert config.networks(off)["pigeon"] == "set PIGEON_LOFT"
    assert "Pigeon Post (PIGEON_LOFT)" in registry.set_up_hint()

    settings = config.load({**env, "PIGEON_LOFT": "rooftop", "PIGEON_KEY": "coo-coo-secret"})
    assert settings.networks["pigeon"] == PigeonSettings("rooftop")
    assert "coo-coo-secret" in settings.secrets  # masked in the logs like every other key
    assert [s.name for s in wiring.sources(settings)][-1] == "pigeon"
    lines = list(doctor._network(PIGEON, settings))
    assert (
        OK,
        "Pigeon Post works: 0 recent mentions to show on the first poll; replies go by return of bird.",
    ) in lines

    mention = Mention("pigeon", "1", "maria", "Maria", "Lovely cake", "https://pigeon.example/1", datetime.now(UTC))
    assert wording.network_name(mention.source) == "Pigeon Post"
    replies = ReplyTemplates.load(config.DEFAULT_TEMPLATES).suggest(
        intent="praise", handle="maria", name="Maria", text=mention.text, business="Bramble", network="pigeon"
    )
    assert replies and all(len(reply) <= 40 and "@maria" not in reply for reply in replies)


def test_one_network_failing_in_doctor_hides_no_other(monkeypatch, env):
    def broken(cfg):
        raise KeyError("id")  # a bug in one network's own check

    networks = (replace(PIGEON, check=broken), *registry.networks())
    monkeypatch.setattr(registry, "networks", lambda: networks)
    settings = config.load({**env, "PIGEON_LOFT": "rooftop"})

    lines = [sentence for _, sentence in doctor.checks(settings)]

    assert any("stopped unexpectedly (KeyError) in the pigeon part" in line for line in lines)
    assert any(line.startswith("X works: listening for mentions of @bramblecafe") for line in lines)
    assert any(line.startswith("Mastodon is not set up") for line in lines)
