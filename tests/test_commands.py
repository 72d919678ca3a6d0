"""The command line as a user runs it: demo, triage, poll and doctor (main() run in this process; real interpreters are started where a test needs one: signals, two processes, the command line's exit code)."""

from __future__ import annotations

import json

from tests.fakes import slack_api, x_api


def test_demo_runs_without_credentials_and_never_posts_twice(tmp_path, bot):
    database = tmp_path / "demo.db"
    first = bot("demo", "--database", str(database), cwd=tmp_path)
    assert first.returncode == 0, first.stderr
    assert first.stdout.count("[ Claim ]  [ Reply… ]  [ No reply needed ]") == 37
    for network in ("on X", "on Mastodon", "on Bluesky", "on Reddit", "on RSS", "on Google reviews", "on Facebook"):
        assert network in first.stdout
    assert "on Instagram" in first.stdout and "★☆☆☆☆ Waited" in first.stdout and "★★★★★ (no text)" in first.stdout
    assert "🔁 The same words also arrived on Bluesky from @priyashah.bsky.social" in first.stdout
    assert "Held back as spam (stored, counted, not posted): 2" in first.stdout
    assert "Suggested replies" in first.stdout and "Not in English" in first.stdout
    # The simulated team goes through the real handlers: claims, replies (timed), a dismissal.
    assert "✅ Replied by Sam in 1 h 35 min" in first.stdout and "🚫 No reply needed — Alex" in first.stdout
    assert "Team:      waiting 33, replied 2, claimed 1, dismissed 1" in first.stdout
    assert "Response time (to the first reply): median 1 h 32 min over 2 replied" in first.stdout

    second = bot("demo", "--database", str(database), cwd=tmp_path)
    assert second.returncode == 0
    assert "[ Claim ]" not in second.stdout and "The team at work" not in second.stdout
    assert "never posts one twice" in second.stdout
    assert "Team:      waiting 33, replied 2, claimed 1, dismissed 1" in second.stdout


def test_triage_reads_lines_and_writes_json_lines(bot):
    result = bot("triage", stdin="Ugh, the delivery took forever\nDo you have oat milk?\n\nLove this place ❤️\n")
    assert result.returncode == 0, result.stderr
    rows = [json.loads(line) for line in result.stdout.splitlines()]
    assert [(r["label"], r["intent"]) for r in rows] == [
        ("negative", "complaint"),
        ("neutral", "question"),
        ("positive", "praise"),
    ]
    assert all({"label", "intent", "sentiment", "urgency", "suggestions"} <= set(r) for r in rows)


def test_poll_succeeds_against_the_services_and_says_what_it_did(env, fake_x, fake_slack, bot):
    fake_x.tweet("@bramblecafe do you deliver?", author_id="1001")
    result = bot("poll", env=env)
    assert result.returncode == 0, result.stderr
    assert "1 cards posted" in result.stdout and len(fake_slack.posted) == 1


def test_poll_fails_with_one_line_reason_and_never_echoes_secrets(env, fake_x, fake_slack, bot):
    result = bot("poll", env={**env, "X_BEARER_TOKEN": "wrong-token-secret-xyz"})
    assert result.returncode == 1
    assert "X rejected the bearer token (401)" in result.stderr
    assert "wrong-token-secret-xyz" not in result.stderr + result.stdout
    missing = bot("poll", env={"DATABASE_PATH": env["DATABASE_PATH"]})
    assert missing.returncode == 2 and "SLACK_BOT_TOKEN is not set" in missing.stderr
    typo = bot("poll", env={**env, "POLL_INTERVAL_SECONDS": "5 min"})
    assert typo.returncode == 2 and "POLL_INTERVAL_SECONDS must be a number" in typo.stderr


def test_poll_fails_when_slack_refuses_the_card(env, fake_x, fake_slack, bot):
    fake_slack.channels[slack_api.CHANNEL]["is_member"] = False
    fake_x.tweet("@bramblecafe hello", author_id="1001")
    result = bot("poll", env=env)
    assert result.returncode == 1
    assert "/invite @Listening Post" in result.stderr


def test_doctor_says_all_set_when_everything_works(env, fake_x, fake_slack, bot):
    result = bot("doctor", env=env)
    assert result.returncode == 0, result.stdout
    assert "Slack token works" in result.stdout and "X works: listening for mentions of @bramblecafe" in result.stdout
    assert "Replies are not posted from Slack" in result.stdout
    assert "Reminders: a mention unanswered after 1 h gets one nudge in its thread." in result.stdout
    assert "Daily digest at 09:00 (UTC), with last week's numbers on Mondays." in result.stdout
    assert result.stdout.strip().endswith("All set.")

    posting = bot("doctor", env={**env, **x_api.POSTING_KEYS, "REPLY_APPROVERS": "U0OWNER, U0MARIA"})
    assert posting.returncode == 0, posting.stdout
    assert "Replies sent from Slack will be posted on X as @bramblecafe." in posting.stdout
    assert "Replies by anyone but Maria, Sam (owner) wait for their approval." in posting.stdout


def test_reply_settings_mistakes_are_explained_before_anything_starts(env, fake_x, fake_slack, bot):
    half = bot("doctor", env={**env, "X_API_KEY": "only-this-one"})
    assert half.returncode == 2
    assert (
        "X_API_SECRET, X_ACCESS_TOKEN, X_ACCESS_TOKEN_SECRET not set" in half.stderr
        and "only-this-one" not in half.stderr
    )
    names = bot("doctor", env={**env, "REPLY_APPROVERS": "maria"})
    assert names.returncode == 2 and "REPLY_APPROVERS must be Slack member IDs" in names.stderr
    unknown = bot("doctor", env={**env, "REPLY_APPROVERS": "U0NOBODY"})
    assert unknown.returncode == 1 and "REPLY_APPROVERS lists U0NOBODY" in unknown.stdout
    wrong_keys = bot("doctor", env={**env, **x_api.POSTING_KEYS, "X_API_KEY": "someone-elses-key"})
    assert wrong_keys.returncode == 1 and "X rejected the keys for posting replies (401)" in wrong_keys.stdout


def test_doctor_names_each_problem_in_plain_words(env, fake_x, fake_slack, bot):
    fake_slack.channels[slack_api.CHANNEL]["is_member"] = False
    result = bot("doctor", env={**env, "X_USERNAME": "nosuchshop"})
    assert result.returncode == 1
    assert "The bot is not in #mentions" in result.stdout
    assert "X account @nosuchshop was not found" in result.stdout

    fake_slack.scopes = "chat:write,commands,channels:read,groups:read,users:read"  # an app made from an older manifest
    old_app = bot("doctor", env=env)
    assert old_app.returncode == 1
    assert "The Slack app lacks the permissions files:write, channels:history, groups:history." in old_app.stdout

    bad_token = bot("doctor", env={**env, "SLACK_BOT_TOKEN": "xoxb-revoked-1234567", "SLACK_CHANNEL": "C0NOPE"})
    assert "Slack rejected SLACK_BOT_TOKEN (invalid_auth)" in bad_token.stdout
    assert "xoxb-revoked-1234567" not in bad_token.stdout

    no_channel = bot("doctor", env={**env, "SLACK_CHANNEL": "C0NOPE"})
    assert "Slack has no channel C0NOPE" in no_channel.stdout
