"""`python -m bot teams-package`: the zip a person uploads in Teams, checked against what Teams documents.

No package installed here ships Teams' manifest JSON schema (nor a JSON Schema validator), and the
tests never touch the network, so the schema's own rules that matter are written out below: its
required fields, its patterns for ids, colours, versions and addresses, and the documented limits.
"""

from __future__ import annotations

import io
import json
import os
import re
import subprocess
import sys
import zipfile
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path

import pytest
from PIL import Image

from bot.chat.teams import package
from handlers.commands import SUBCOMMANDS

ROOT = Path(__file__).resolve().parents[1]
CLIENT_ID = "8f6d0b9e-1c2d-4e5f-9a8b-7c6d5e4f3a2b"
OTHER_CLIENT_ID = "0a1b2c3d-4e5f-4a6b-8c7d-9e0f1a2b3c4d"
FILES = {"manifest.json", "color.png", "outline.png"}

# Teams' limits. App manifest reference:
# https://learn.microsoft.com/microsoftteams/platform/resources/schema/manifest-schema
NAME_SHORT, NAME_FULL = 30, 100
DESCRIPTION_SHORT, DESCRIPTION_FULL = 80, 4000
DEVELOPER_NAME = 32
URL_LENGTH = 2048
# The bot's command menu: https://learn.microsoft.com/microsoftteams/platform/bots/how-to/create-a-bot-commands-menu
MENU_COMMANDS, COMMAND_TITLE, COMMAND_DESCRIPTION = 10, 32, 128
# Icons: https://learn.microsoft.com/microsoftteams/platform/concepts/build-and-test/apps-package
COLOR_ICON, OUTLINE_ICON = (192, 192), (32, 32)
# The schema's patterns (https://developer.microsoft.com/json-schemas/teams/v1.23/MicrosoftTeams.schema.json).
GUID = re.compile(r"^[0-9a-fA-F]{8}-([0-9a-fA-F]{4}-){3}[0-9a-fA-F]{12}$")
SEMVER = re.compile(r"^([0-9]|[1-9]+[0-9]*)\.([0-9]|[1-9]+[0-9]*)\.([0-9]|[1-9]+[0-9]*)$")
HEX_COLOUR = re.compile(r"^#[0-9a-fA-F]{6}$")
REQUIRED = {"manifestVersion", "version", "id", "developer", "name", "description", "icons", "accentColor"}


@pytest.fixture(autouse=True)
def _no_teams_settings_from_the_shell(monkeypatch):
    for name in [k for k in os.environ if k.startswith("TEAMS_")]:
        monkeypatch.delenv(name)


def built(bot, tmp_path: Path, *args: str, client_id: str = CLIENT_ID, **env: str) -> tuple[dict, zipfile.ZipFile]:
    result = bot("teams-package", *args, env={"TEAMS_CLIENT_ID": client_id, **env})
    assert result.returncode == 0, result.stderr
    out = tmp_path / (args[args.index("--out") + 1] if "--out" in args else "listening-post-teams.zip")
    assert out.is_file() and f"Wrote {out.relative_to(tmp_path)}" in result.stdout
    archive = zipfile.ZipFile(io.BytesIO(out.read_bytes()))
    raw = archive.read("manifest.json")
    assert not raw.startswith(b"\xef\xbb\xbf")  # UTF-8 without a BOM
    return json.loads(raw.decode("utf-8")), archive


def nothing_written(tmp_path: Path) -> bool:
    return not [p for p in tmp_path.rglob("*") if p.suffix in (".zip", ".partial")]


def test_the_package_is_the_manifest_and_two_icons_for_this_bot(bot, tmp_path):
    result = bot("teams-package", env={"TEAMS_CLIENT_ID": CLIENT_ID, "BUSINESS_NAME": "Bramble Café"})
    assert result.returncode == 0, result.stderr
    archive = zipfile.ZipFile(tmp_path / "listening-post-teams.zip")
    assert set(archive.namelist()) == FILES and len(archive.namelist()) == 3  # at the top level, nothing else
    manifest = json.loads(archive.read("manifest.json"))
    assert REQUIRED <= set(manifest)
    assert manifest["$schema"].endswith(f"/v{manifest['manifestVersion']}/MicrosoftTeams.schema.json")
    [bot_entry] = manifest["bots"]
    assert bot_entry["botId"] == CLIENT_ID and set(bot_entry["scopes"]) == {"team", "personal"}
    assert manifest["webApplicationInfo"]["id"] == CLIENT_ID and manifest["webApplicationInfo"]["resource"]
    assert {"name": "ChannelMessage.Read.Group", "type": "Application"} in manifest["authorization"]["permissions"][
        "resourceSpecific"
    ]
    assert GUID.match(manifest["id"]) and manifest["id"] != CLIENT_ID
    assert SEMVER.match(manifest["version"]) and HEX_COLOUR.match(manifest["accentColor"])
    assert set(manifest["icons"].values()) == {"color.png", "outline.png"}
    assert manifest["name"]["short"] == "Listening Post"  # what people type after @
    assert manifest["developer"]["name"] == "Bramble Café"
    # What to do next, in order, in plain words.
    out = result.stdout
    assert out.index("python -m bot run") < out.index("Upload a custom app") < out.index("Add to a team")
    assert "Apps → Manage your apps → Upload an app → Upload a custom app" in out
    assert "Teams admin center → Teams apps → Setup" in out and "python -m bot doctor" in out
    assert result.stderr == ""


def test_one_bot_is_always_the_same_app_and_another_bot_another(bot, tmp_path):
    first, _ = built(bot, tmp_path, "--out", "a.zip")
    again, _ = built(bot, tmp_path, "--out", "b.zip")
    upper, _ = built(bot, tmp_path, "--out", "c.zip", client_id=CLIENT_ID.upper())
    other, _ = built(bot, tmp_path, "--out", "d.zip", client_id=OTHER_CLIENT_ID)
    assert first["id"] == again["id"] == upper["id"]
    assert other["id"] != first["id"] and other["bots"][0]["botId"] == OTHER_CLIENT_ID


def test_a_later_build_has_a_higher_version_so_teams_updates_the_app(bot, tmp_path, monkeypatch):
    times = iter(
        [
            datetime(2026, 12, 31, 23, 59, 59, tzinfo=UTC),
            datetime(2027, 1, 1, 0, 0, 0, tzinfo=UTC),
            datetime(2027, 1, 1, 0, 0, 1, tzinfo=UTC),
        ]
    )
    monkeypatch.setattr(package, "now", lambda: next(times))
    versions = [built(bot, tmp_path, "--out", f"{n}.zip")[0]["version"] for n in range(3)]
    numbers = [tuple(int(part) for part in v.split(".")) for v in versions]
    assert numbers == sorted(set(numbers)), versions
    # Any two builds a second or more apart, in any order of days, months and hours: always higher.
    start = datetime(2026, 1, 1, tzinfo=UTC)
    steps = [timedelta(seconds=1), timedelta(minutes=59), timedelta(hours=13), timedelta(days=17)]
    previous = (0, 0, 0)
    at = start
    for i in range(2000):
        at += steps[i % len(steps)]
        version = package.app_version(at)
        assert SEMVER.match(version)
        parts = tuple(int(p) for p in version.split("."))
        assert parts > previous and max(parts) < 2**31
        previous = parts
    # The same instant in another time zone is the same version: it is counted in UTC.
    assert package.app_version(at) == package.app_version(at.astimezone(timezone(timedelta(hours=-5))))


def test_every_text_is_within_teams_limits_even_for_a_long_business_name(bot, tmp_path):
    longest = "The Bramble & Thistle Café, Bakery and Wholefood Deli of Upper Mill Lane, York"[:80]
    manifest, _ = built(bot, tmp_path, "--website", "https://bramble.example/" + "x" * 1900, BUSINESS_NAME=longest)
    assert len(manifest["name"]["short"]) <= NAME_SHORT and len(manifest["name"]["full"]) <= NAME_FULL
    assert len(manifest["description"]["short"]) <= DESCRIPTION_SHORT
    assert len(manifest["description"]["full"]) <= DESCRIPTION_FULL
    assert len(manifest["developer"]["name"]) <= DEVELOPER_NAME and manifest["developer"]["name"].startswith("The")
    for key in ("websiteUrl", "privacyUrl", "termsOfUseUrl"):
        url = manifest["developer"][key]
        assert url.startswith("https://") and len(url) <= URL_LENGTH
    [menu] = manifest["bots"][0]["commandLists"]
    assert set(menu["scopes"]) == {"team", "personal"}
    assert 0 < len(menu["commands"]) <= MENU_COMMANDS
    titles = [c["title"] for c in menu["commands"]]
    for command in menu["commands"]:
        assert 0 < len(command["title"]) <= COMMAND_TITLE and 0 < len(command["description"]) <= COMMAND_DESCRIPTION
    # Picking one from the menu types it: each is a word the bot answers.
    assert set(titles) <= set(SUBCOMMANDS) | {"status", "whoami"} and "whoami" in titles and "help" in titles


def test_the_icons_are_pngs_of_the_sizes_teams_wants(bot, tmp_path):
    _, archive = built(bot, tmp_path)
    color = Image.open(io.BytesIO(archive.read("color.png")))
    outline = Image.open(io.BytesIO(archive.read("outline.png")))
    assert color.format == outline.format == "PNG"
    assert color.size == COLOR_ICON and outline.size == OUTLINE_ICON
    # Full colour: opaque, and more than one colour.
    rgba = color.convert("RGBA")
    assert {a for *_, a in _pixels(rgba)} == {255} and len({p[:3] for p in _pixels(rgba)}) > 2
    # Outline: white on transparent, and only white.
    assert outline.mode == "RGBA"
    pixels = _pixels(outline)
    assert {p[:3] for p in pixels if p[3]} == {(255, 255, 255)}
    alphas = [p[3] for p in pixels]
    assert 0 in alphas and 255 in alphas  # a transparent background around a white drawing
    # The same files the checkout holds.
    for name in ("color.png", "outline.png"):
        assert archive.read(name) == (ROOT / "bot" / "chat" / "teams" / name).read_bytes()


def _pixels(image: Image.Image) -> list[tuple[int, ...]]:
    return [image.getpixel((x, y)) for y in range(image.height) for x in range(image.width)]


def test_the_website_option_fills_the_three_links_and_must_be_https(bot, tmp_path):
    manifest, _ = built(bot, tmp_path, "--website", "https://bramble.example")
    developer = manifest["developer"]
    assert developer["websiteUrl"] == developer["privacyUrl"] == developer["termsOfUseUrl"] == "https://bramble.example"
    assert developer["name"] == "Listening Post"  # no BUSINESS_NAME
    (tmp_path / "listening-post-teams.zip").unlink()
    # Without it, a placeholder, and the hint to give one.
    result = bot("teams-package", env={"TEAMS_CLIENT_ID": CLIENT_ID})
    assert result.returncode == 0 and "--website https://" in result.stdout
    (tmp_path / "listening-post-teams.zip").unlink()
    for wrong in ("http://bramble.example", "bramble.example", "https://"):
        result = bot("teams-package", "--website", wrong, env={"TEAMS_CLIENT_ID": CLIENT_ID})
        assert result.returncode == 2
        assert "--website must be your website's address starting with https://" in result.stderr
        assert "Traceback" not in result.stderr and nothing_written(tmp_path)


def test_where_the_package_is_written(bot, tmp_path):
    built(bot, tmp_path, "--out", "teams/app/listening-post.zip")  # folders made as needed
    (tmp_path / "folder").mkdir()
    result = bot("teams-package", "--out", "folder", env={"TEAMS_CLIENT_ID": CLIENT_ID})
    assert result.returncode == 0 and (tmp_path / "folder" / "listening-post-teams.zip").is_file()
    assert (tmp_path / "folder" / "listening-post-teams.zip").stat().st_mode & 0o044  # readable like any new file
    result = bot("teams-package", "--out", "package.txt", env={"TEAMS_CLIENT_ID": CLIENT_ID})
    assert result.returncode == 2 and "does not end in .zip" in result.stderr and "--out package.zip" in result.stderr
    (tmp_path / "a-file").write_text("not a folder")
    result = bot("teams-package", "--out", "a-file/package.zip", env={"TEAMS_CLIENT_ID": CLIENT_ID})
    assert result.returncode == 2 and result.stderr.startswith("Could not write a-file/package.zip (")
    assert "Traceback" not in result.stderr
    assert not (tmp_path / "package.txt").exists() and not list(tmp_path.rglob("*.partial"))


@pytest.mark.parametrize("env", [{}, {"TEAMS_CLIENT_SECRET": "s3cret~value", "TEAMS_TENANT_ID": OTHER_CLIENT_ID}])
def test_without_teams_client_id_it_says_where_to_find_it_and_writes_nothing(bot, tmp_path, env):
    result = bot("teams-package", env=env)
    assert result.returncode == 2
    assert result.stderr.startswith("TEAMS_CLIENT_ID is not set")
    assert "Developer Portal → Tools → Bot management" in result.stderr and "Application (client) ID" in result.stderr
    assert "s3cret" not in result.stderr + result.stdout and "Traceback" not in result.stderr
    assert result.stdout == "" and nothing_written(tmp_path)


def test_a_teams_client_id_that_is_not_a_guid_is_a_plain_message_and_writes_nothing(bot, tmp_path):
    result = bot("teams-package", env={"TEAMS_CLIENT_ID": "listening-post-bot"})
    assert result.returncode == 2
    assert "TEAMS_CLIENT_ID must be the Application (client) ID, a GUID" in result.stderr
    assert "App registrations" in result.stderr and "Traceback" not in result.stderr
    assert nothing_written(tmp_path)


def test_the_package_is_built_without_teams_sdk_installed(tmp_path):
    # A person builds the package before installing the `teams` extra: with the SDK unimportable, it still works.
    code = (
        "import sys; sys.modules['microsoft_teams'] = None; "
        "from bot.__main__ import main; code = main(['teams-package']); "
        "assert not [m for m in sys.modules if m.startswith('microsoft_teams') and sys.modules[m]]; sys.exit(code)"
    )
    env = {k: v for k, v in os.environ.items() if not k.startswith(("TEAMS_", "SLACK_", "BUSINESS_"))}
    env.update({"TEAMS_CLIENT_ID": CLIENT_ID, "PYTHONPATH": str(ROOT)})
    result = subprocess.run(
        [sys.executable, "-c", code], cwd=tmp_path, env=env, capture_output=True, text=True, timeout=60
    )
    assert result.returncode == 0, result.stderr
    assert zipfile.ZipFile(tmp_path / "listening-post-teams.zip").namelist()
