"""An Instagram professional account through bot/sources/instagram.py (the Instagram API with Facebook Login)
against the fake Graph API."""

from __future__ import annotations

import logging
from datetime import UTC, datetime, timedelta

import pytest

from bot import config, doctor
from bot.models import OK, PROBLEM, ReplyError
from bot.sources import instagram, meta
from storage import mentions as store
from tests.fakes.meta_api import IG_ID, IG_USERNAME, PAGE_ID, TOKEN, error, rate_limited, usage_headers
from tests.helpers import card_texts, wait_for

META = {"META_PAGE_ID": PAGE_ID, "META_PAGE_TOKEN": TOKEN, "INSTAGRAM_ACCOUNT_ID": IG_ID}


@pytest.fixture
def poll(poll_for, fake_meta, monkeypatch):
    # Instagram alone: Facebook is read with the same settings, so its fake Page has no posts and no tags.
    return poll_for(**META, META_GRAPH_URL=fake_meta.url)


def source(fake_meta) -> instagram.InstagramSource:
    return instagram.build(instagram.InstagramSettings(IG_ID, meta.MetaSettings(PAGE_ID, TOKEN, fake_meta.url)))


def test_first_poll_shows_the_newest_comments_and_replies_capped(fake_meta, fake_slack, poll, db):
    medium = fake_meta.medium(minutes_ago=3000)
    for i in range(12):
        top = fake_meta.ig_comment(medium, f"comment {i}", minutes_ago=2000 - 10 * i)
        fake_meta.ig_comment(medium, f"reply {i}", username="tomwrites", minutes_ago=1999 - 10 * i, parent=top)

    report = poll()

    assert (report.new, report.posted, report.failed) == (20, 20, False)
    texts = card_texts(fake_slack)
    assert "> reply 11" in texts and "> comment 2" in texts and "> reply 1" not in texts
    header = fake_slack.posted[-1]["blocks"][0]["text"]["text"]
    assert "@tomwrites" in header and "Instagram" in header and medium["permalink"] in header
    assert set(store.get_cursors(db, "instagram")) == {f"comments:{medium['id']}", "tags"}
    assert poll().new == 0


def test_new_comments_replies_and_tags_later_and_no_repeats(fake_meta, fake_slack, poll, db):
    medium = fake_meta.medium()
    old = fake_meta.ig_comment(medium, "Love this place", minutes_ago=300)
    poll()
    fake_meta.ig_comment(medium, "Is there vegan cake today?", minutes_ago=2)
    fake_meta.ig_comment(medium, "Same question!", username="sam", minutes_ago=1, parent=old)
    fake_meta.tagged_in("Brunch with the best view @bramblecafe", minutes_ago=3)

    report = poll()

    assert report.posted == 3
    assert sorted(card_texts(fake_slack)[1:]) == [
        "> Brunch with the best view @bramblecafe",
        "> Is there vegan cake today?",
        "> Same question!",
    ]
    assert poll().posted == 0


def test_a_burst_is_read_page_by_page(fake_meta, fake_slack, poll, monkeypatch):
    monkeypatch.setattr(instagram, "COMMENT_PAGE", 3)
    medium = fake_meta.medium()
    fake_meta.ig_comment(medium, "first", minutes_ago=100)
    poll()
    for i in range(8):
        fake_meta.ig_comment(medium, f"message {i}", minutes_ago=20 - i)

    assert poll().posted == 8
    assert len(fake_meta.calls(f"/{medium['id']}/comments")) == 2  # 3 with the posts, then 3 and 2
    assert all("access_token" not in r.query for r in fake_meta.requests)


def test_the_accounts_own_reply_on_instagram_counts_as_the_answer(fake_meta, fake_slack, poll, db):
    medium = fake_meta.medium()
    question = fake_meta.ig_comment(medium, "Do you deliver?", minutes_ago=30)
    poll()
    fake_meta.ig_comment(medium, "@maria_eats yes, within 3 km!", username=IG_USERNAME, minutes_ago=1, parent=question)

    report = poll()

    assert report.replies_found == 1 and report.new == 0
    assert db["mentions"].get(f"instagram:{question['id']}")["status"] == "replied"


def test_a_reply_goes_to_the_top_level_comments_thread_addressed_to_the_author(fake_meta, fake_slack, poll, db):
    medium = fake_meta.medium()
    top = fake_meta.ig_comment(medium, "Open late tonight?", minutes_ago=10)
    answer = fake_meta.ig_comment(medium, "I'd like to know too", username="sam", minutes_ago=5, parent=top)
    poll()
    mention = store.row_to_mention(db["mentions"].get(f"instagram:{answer['id']}"))

    sent = source(fake_meta).reply(mention, "Until 9pm tonight!")

    assert fake_meta.posted == [{"path": f"{top['id']}/replies", "form": {"message": "@sam Until 9pm tonight!"}}]
    assert sent.url == medium["permalink"]


def test_a_post_the_account_is_tagged_in_cannot_be_answered_from_here(fake_meta, fake_slack, poll, db):
    tagged = fake_meta.tagged_in("Look where we are @bramblecafe")
    poll()
    mention = store.row_to_mention(db["mentions"].get(f"instagram:{tagged['id']}"))

    with pytest.raises(ReplyError) as refused:
        source(fake_meta).reply(mention, "Thanks!")

    assert "I replied myself" in str(refused.value) and fake_meta.posted == []


def test_a_refused_reply_names_the_permission(fake_meta, fake_slack, poll, db):
    medium = fake_meta.medium()
    comment = fake_meta.ig_comment(medium, "Hello?")
    poll()
    fake_meta.scopes.discard("instagram_manage_comments")
    mention = store.row_to_mention(db["mentions"].get(f"instagram:{comment['id']}"))

    with pytest.raises(ReplyError) as refused:
        source(fake_meta).reply(mention, "Hi!")

    assert "instagram_manage_comments" in str(refused.value) and fake_meta.posted == []


def test_an_expired_token_stops_instagram_with_words_and_no_token(fake_meta, fake_slack, poll, caplog):
    fake_meta.expired = True
    caplog.set_level(logging.DEBUG)

    report = poll()

    said = report.source_errors["instagram"]
    assert "META_PAGE_TOKEN" in said and TOKEN not in said and TOKEN not in caplog.text


def test_instagrams_rate_limit_uses_the_business_use_case_wait(fake_meta, fake_slack, poll, db):
    fake_meta.fail_next(f"/{IG_ID}", rate_limited(80002, minutes=25, kind="instagram", owner=IG_ID))

    report = poll()

    assert "rate limit" in report.source_errors["instagram"] and "facebook" not in report.source_errors
    retry_at = store.source_status(db, "instagram").retry_at
    assert abs((retry_at - (datetime.now(UTC) + timedelta(minutes=25))).total_seconds()) < 30


def test_usage_near_the_limit_pauses_instagram(fake_meta, fake_slack, poll, db):
    medium = fake_meta.medium()
    fake_meta.ig_comment(medium, "Great!")
    fake_meta.usage = usage_headers(99, kind="instagram", owner=IG_ID)

    report = poll()

    assert "99%" in report.source_errors["instagram"] and not fake_meta.calls("/tags")
    retry_at = store.source_status(db, "instagram").retry_at
    assert abs((retry_at - (datetime.now(UTC) + meta.RATE_WINDOW)).total_seconds()) < 30


def test_a_malformed_comment_is_skipped(fake_meta, fake_slack, poll):
    medium = fake_meta.medium()
    broken = fake_meta.ig_comment(medium, "broken", minutes_ago=3)
    del broken["username"]
    broken["from"] = {}
    fake_meta.ig_comment(medium, "fine", minutes_ago=1)

    report = poll()

    assert (report.posted, report.failed) == (1, False) and card_texts(fake_slack) == ["> fine"]


# --- Settings and doctor --------------------------------------------------------------------------------------


def test_instagram_needs_the_pages_token(env):
    with pytest.raises(config.ConfigError) as wrong:
        config.load({**env, "INSTAGRAM_ACCOUNT_ID": IG_ID})
    assert "META_PAGE_ID and META_PAGE_TOKEN must be set too" in str(wrong.value)
    with pytest.raises(config.ConfigError) as wrong:
        config.load({**env, **META, "INSTAGRAM_ACCOUNT_ID": "@bramblecafe"})
    assert "INSTAGRAM_ACCOUNT_ID must be the Instagram professional account's ID" in str(wrong.value)
    settings = config.load({**env, **META})
    assert settings.networks["instagram"].account_id == IG_ID and "facebook" in settings.networks


def doctor_lines(env, fake_meta, **extra) -> list[tuple[str, str]]:
    settings = config.load({**env, **META, "META_GRAPH_URL": fake_meta.url, **extra})
    return [line for line in doctor.checks(settings) if line[1].startswith("Instagram")]


def test_doctor_checks_the_account_and_its_permissions(env, fake_meta):
    fake_meta.ig_comment(fake_meta.medium(), "Yum")
    lines = doctor_lines(env, fake_meta)
    assert (
        OK,
        "Instagram works: listening to @bramblecafe: 1 recent comment or tagging post to show on the first poll.",
    ) in lines
    assert (OK, "Instagram: the token may post replies (instagram_manage_comments).") in lines

    [(mark, text)] = doctor_lines(env, fake_meta, INSTAGRAM_ACCOUNT_ID="17841499999999999")
    assert mark == PROBLEM and "not an Instagram professional account" in text

    fake_meta.scopes.discard("instagram_manage_comments")
    [(mark, text)] = doctor_lines(env, fake_meta)
    assert mark == PROBLEM and "instagram_manage_comments" in text


def test_an_unknown_error_is_said_with_metas_words_without_the_token(fake_meta, fake_slack, poll):
    fake_meta.fail_next(f"/{IG_ID}", error(2207, f"Something odd with access_token={TOKEN} in it"))

    said = poll().source_errors["instagram"]

    assert "code 2207" in said and TOKEN not in said and wait_for(lambda: True)
