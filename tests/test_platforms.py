"""The chat platform registry: a platform declared once, and settings, approvers, doctor and the service following it."""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass

import pytest

from bot import config, doctor, platforms
from bot.config import ConfigError
from bot.models import NOTE, OK, Check


@dataclass(frozen=True)
class PigeonChatSettings:
    room: str


def _read(r: config.Reader) -> PigeonChatSettings | None:
    room = r.get("PIGEONCHAT_ROOM")
    return PigeonChatSettings(room) if room else None


def _check(cfg: PigeonChatSettings | None, settings: config.Settings) -> Iterator[Check]:
    yield OK, f"Pigeon Chat room {cfg.room if cfg else '?'} is ready."


PIGEONCHAT = platforms.ChatPlatform(
    key="pigeonchat",
    name="Pigeon Chat",
    read=_read,
    missing=lambda cfg, serving: [] if cfg else ["PIGEONCHAT_ROOM is not set."],
    sink=lambda cfg, open_db: None,  # type: ignore[arg-type,return-value]
    open=lambda cfg, settings, sink, backend: None,  # type: ignore[arg-type,return-value]
    check=_check,
    member_id=re.compile(r"^bird-\d+$"),
    member_ids="Pigeon Chat birds like bird-7",
    member_id_help="Each bird's number is on its leg.",
)


@pytest.fixture
def pigeonchat(monkeypatch):
    both = (*platforms.platforms(), PIGEONCHAT)
    monkeypatch.setattr(platforms, "platforms", lambda: both)


def test_approvers_may_be_people_on_any_platform(pigeonchat, env):
    settings = config.load({**env, "REPLY_APPROVERS": "U0MARIA, bird-7"})
    assert settings.reply_approvers == {"U0MARIA", "bird-7"}
    with pytest.raises(ConfigError) as caught:
        config.load({**env, "REPLY_APPROVERS": "maria"})
    [problem] = caught.value.problems
    assert (
        "Slack member IDs like U0123ABCD or Teams people's object IDs (GUIDs) or Pigeon Chat birds like bird-7"
        in problem
    )
    assert "Copy member ID" in problem and "on its leg" in problem


def test_only_the_platforms_set_up_are_asked_for_and_checked(pigeonchat, env):
    only_pigeons = config.load(
        {**{k: v for k, v in env.items() if not k.startswith("SLACK_")}, "PIGEONCHAT_ROOM": "loft"}
    )
    assert list(only_pigeons.chats) == ["pigeonchat"]
    assert config.missing_for_service(only_pigeons, serving=True) == []
    assert [line for p in platforms.platforms() for line in doctor._chat(p, only_pigeons)] == [
        (NOTE, "Slack is not set up; cards go to Pigeon Chat."),
        (NOTE, "Microsoft Teams is not set up; cards go to Pigeon Chat."),
        (OK, "Pigeon Chat room loft is ready."),
    ]
    # With no platform set up, each says what it needs.
    nothing = config.load({k: v for k, v in env.items() if not k.startswith("SLACK_")})
    missing = config.missing_for_service(nothing, serving=True)
    assert "PIGEONCHAT_ROOM is not set." in missing and any(m.startswith("SLACK_BOT_TOKEN is not set") for m in missing)
