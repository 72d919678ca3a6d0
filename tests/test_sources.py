"""Several networks at once: one card for a cross-post, /listen sources, and doctor naming each network's state."""

from __future__ import annotations

from bot import config, wiring
from tests.fakes import mastodon_api
from tests.fakes.bluesky_api import APP_PASSWORD, HANDLE
from tests.helpers import wait_for


def test_a_cross_post_is_one_card_with_a_line_in_its_thread(fake_mastodon, fake_bluesky, fake_slack, poll_for):
    text = "The oat flat white at Bramble was cold again this morning"
    fake_mastodon.mention(f"@bramblecafe {text}", minutes_ago=6)
    bsky = fake_bluesky.notify(f"{text}! @bramblecafe.bsky.social", handle="maria.bsky.social", minutes_ago=5)
    poll = poll_for(
        MASTODON_BASE_URL=fake_mastodon.url,
        MASTODON_ACCESS_TOKEN=mastodon_api.TOKEN,
        BLUESKY_HANDLE=HANDLE,
        BLUESKY_APP_PASSWORD=APP_PASSWORD,
        BLUESKY_SERVICE_URL=fake_bluesky.url,
    )

    report = poll()

    assert report.posted == 1 and len(fake_slack.posted) == 1
    [note] = fake_slack.thread_notes
    assert note["thread_ts"] == fake_slack.posted[0]["ts"]
    assert (
        "also arrived on Bluesky from @maria.bsky.social" in note["text"]
        and bsky["uri"].rsplit("/", 1)[1] in note["text"]
    )
    fake_bluesky.notify("Different words entirely, but about the same cold coffee", handle="maria.bsky.social")
    assert (
        poll().posted == 1 and len(fake_slack.thread_notes) == 1
    )  # a new post is a new card; the note is not repeated


def test_listen_sources_shows_each_network_on_or_off_with_its_last_problem(
    workspace_for, fake_x, fake_feeds, fake_slack
):
    fake_x.tweet("@bramblecafe lovely scones", author_id="1001")
    fake_feeds.alert("Bramble Café in the weekend guide")
    ws = workspace_for(RSS_FEEDS=f"{fake_feeds.url}/alerts.atom, {fake_feeds.url}/broken.xml")
    ws.poll()

    assert ws.command("U0MARIA", "sources")[0] == 200
    assert wait_for(lambda: fake_slack.responses)
    text = fake_slack.responses[-1]["text"]
    assert "🟢 *X* — last good poll just now · 1 mention in the last 7 days" in text
    assert "🔴 *RSS* — last good poll never · 1 mention in the last 7 days" in text
    assert f"{fake_feeds.url}/broken.xml is not a readable RSS or Atom feed" in text
    assert "⚪ *Mastodon* — off (set MASTODON_BASE_URL and MASTODON_ACCESS_TOKEN)" in text
    assert "⚪ *Bluesky* — off" in text and "⚪ *Reddit* — off" in text


def test_doctor_reports_each_network_in_plain_words(env, fake_x, fake_slack, fake_mastodon, fake_feeds, bot):
    fake_mastodon.mention("@bramblecafe hello there")
    result = bot(
        "doctor",
        env={
            **env,
            "MASTODON_BASE_URL": fake_mastodon.url,
            "MASTODON_ACCESS_TOKEN": mastodon_api.TOKEN,
            "RSS_FEEDS": f"{fake_feeds.url}/gone.rss",
        },
    )

    assert result.returncode == 1, result.stdout
    assert (
        "✓ Mastodon works: 1 recent mention to show on the first poll; replies sent from Slack are posted on Mastodon"
        in result.stdout
    )
    assert (
        f"✗ RSS: The feed {fake_feeds.url}/gone.rss answered HTTP 404. Check the address in RSS_FEEDS." in result.stdout
    )
    assert "• Bluesky is not set up (set BLUESKY_HANDLE and BLUESKY_APP_PASSWORD)" in result.stdout
    assert mastodon_api.TOKEN not in result.stdout


def test_half_set_networks_and_bad_feed_addresses_are_explained_before_anything_starts(env, bot):
    half = bot("doctor", env={**env, "MASTODON_BASE_URL": "https://mastodon.social"})
    assert half.returncode == 2 and "To listen on Mastodon, MASTODON_ACCESS_TOKEN must be set too" in half.stderr
    feeds = bot("doctor", env={**env, "RSS_FEEDS": "news.example/feed"})
    assert feeds.returncode == 2 and "RSS_FEEDS must be web addresses starting with https://" in feeds.stderr


def test_any_one_network_is_enough_to_run(env, fake_feeds):
    only_rss = config.load(
        {**{k: v for k, v in env.items() if not k.startswith("X_")}, "RSS_FEEDS": f"{fake_feeds.url}/alerts.atom"}
    )
    assert config.missing_for_service(only_rss) == []
    assert [s.name for s in wiring.sources(only_rss)] == ["rss"]
    nothing = config.load({k: v for k, v in env.items() if not k.startswith("X_")})
    assert "No source is set up" in config.missing_for_service(nothing)[0]
