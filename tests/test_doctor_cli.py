"""`python -m bot doctor`: the Socket Mode token checked for real, "All set." only with a network, only its own plain lines."""

from __future__ import annotations

import re
from pathlib import Path

from tests.fakes import slack_api

README = Path(__file__).resolve().parents[1] / "README.md"
MARKS = ("✓ ", "✗ ", "• ")


def plain_lines_only(result) -> None:
    """Every line is one of doctor's checks or its last line: no log lines, warnings or tracebacks from libraries."""
    lines = result.stdout.strip().splitlines()
    assert all(line.startswith(MARKS) for line in lines[:-1]), result.stdout
    assert lines[-1] == "All set." or lines[-1].endswith("to fix before `python -m bot run`.")
    assert result.stderr == "", result.stderr
    assert not re.search(r"\b(ERROR|WARNING|Traceback)\b|slack_sdk|urllib3", result.stdout)


def test_doctor_opens_a_socket_mode_connection_with_the_app_token(env, fake_x, fake_slack, bot):
    result = bot("doctor", env={**env, "SLACK_APP_TOKEN": slack_api.APP_TOKEN})
    assert result.returncode == 0, result.stdout
    assert "✓ Socket Mode token works" in result.stdout
    assert result.stdout.strip().endswith("All set.")
    plain_lines_only(result)
    assert any(r.path.endswith("/apps.connections.open") for r in fake_slack.requests)


def test_doctor_says_what_to_do_about_a_wrong_app_token_without_library_noise(env, fake_x, fake_slack, bot):
    wrong = "xapp-1-A0APP-9999-revoked"
    result = bot("doctor", env={**env, "SLACK_APP_TOKEN": wrong, "SLACK_BOT_TOKEN": "xoxb-revoked-1234567"})
    assert result.returncode == 1
    # Both tokens are checked, each on its own: a rejected bot token does not hide the app token's problem.
    assert "✗ Slack rejected SLACK_BOT_TOKEN (invalid_auth)" in result.stdout
    assert (
        "✗ Slack rejected SLACK_APP_TOKEN (invalid_auth). In the Slack app: Basic Information → App-Level Tokens"
        in result.stdout
    )
    assert "Socket Mode token works" not in result.stdout
    assert wrong not in result.stdout and "xoxb-revoked-1234567" not in result.stdout
    plain_lines_only(result)


def test_all_set_needs_at_least_one_network_and_points_at_the_readme(env, bot):
    # Slack unreachable too: slack_sdk logs each failed attempt at ERROR, and none of that may show.
    no_network = {
        **{k: v for k, v in env.items() if not k.startswith("X_")},
        "SLACK_API_URL": "http://127.0.0.1:9/api/",
    }
    result = bot("doctor", env=no_network)
    assert result.returncode == 1
    assert "✗ Could not reach Slack at http://127.0.0.1:9/api/" in result.stdout
    assert "All set." not in result.stdout
    [line] = [line for line in result.stdout.splitlines() if "No network is set up" in line]
    assert line.startswith("✗ ") and "X_BEARER_TOKEN and X_USERNAME" in line
    # The sections it names are the README's real headings.
    for heading in re.findall(r"“(\d\w?\. [^”]+)”", line):
        assert re.search(rf"^### {re.escape(heading)}", README.read_text(), re.M), heading
    assert "2c. Mastodon, Bluesky, Reddit and RSS" in line
    plain_lines_only(result)
