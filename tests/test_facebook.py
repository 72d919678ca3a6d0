"""A Facebook Page through bot/sources/facebook.py against a fake Graph API speaking Graph's JSON, field expansion,
cursor and time paging, usage headers and error bodies."""

from __future__ import annotations

import json
import logging
from datetime import UTC, datetime, timedelta

import pytest

from bot import config, doctor
from bot.models import OK, PROBLEM, ReplyError, SourceError
from bot.sources import facebook, meta, meta_comments
from storage import mentions as store
from tests.fakes import meta_api
from tests.fakes.meta_api import PAGE_ID, TOKEN, error, rate_limited, usage_headers
from tests.fakes.server import Reply
from tests.helpers import card_texts, wait_for

META = {"META_PAGE_ID": PAGE_ID, "META_PAGE_TOKEN": TOKEN}


@pytest.fixture
def meta_env(fake_meta):
    return {**META, "META_GRAPH_URL": fake_meta.url}


@pytest.fixture
def poll(poll_for, meta_env):
    return poll_for(**meta_env)


def source(fake_meta) -> facebook.FacebookSource:
    return facebook.build(meta.MetaSettings(PAGE_ID, TOKEN, fake_meta.url))


def graph_calls(fake_meta) -> list:
    return [r for r in fake_meta.requests if r.path.startswith("/v26.0/")]


def test_the_fake_speaks_the_version_listening_post_names():
    assert meta_api.GRAPH_VERSION == meta.GRAPH_VERSION


def test_first_poll_shows_the_newest_comments_across_posts_capped(fake_meta, fake_slack, poll, db):
    older = fake_meta.post("Pumpkin spice is back", minutes_ago=3000)
    newer = fake_meta.post("We're hiring baristas", minutes_ago=600)
    for i in range(15):
        fake_meta.comment(older, f"old comment {i}", minutes_ago=2000 - i)
    for i in range(15):
        fake_meta.comment(newer, f"new comment {i}", minutes_ago=500 - i)

    report = poll()

    assert (report.new, report.posted, report.failed) == (20, 20, False)
    texts = card_texts(fake_slack)
    assert texts[-1] == "> new comment 14" and "> old comment 9" not in texts and "> old comment 10" in texts
    header = fake_slack.posted[-1]["blocks"][0]["text"]["text"]
    assert "Maria López" in header and "Facebook" in header and f"{newer['permalink_url']}/?comment_id=" in header
    # One call for the posts with their comments, one for the tagging posts: nothing per post.
    assert [r.path for r in graph_calls(fake_meta)] == [f"/v26.0/{PAGE_ID}", f"/v26.0/{PAGE_ID}/tagged"]
    cursors = store.get_cursors(db, "facebook")
    assert set(cursors) == {f"comments:{older['id']}", f"comments:{newer['id']}", "tagged"}

    assert poll().new == 0  # what the first poll left out is never shown later as new


def test_a_new_comment_and_a_new_post_are_read_and_nothing_is_posted_twice(fake_meta, fake_slack, poll, db):
    post = fake_meta.post()
    fake_meta.comment(post, "Lovely photo!", minutes_ago=60)
    poll()
    fake_meta.comment(post, "Are you open on Sunday?", name="Tom Becker", minutes_ago=1)
    fresh = fake_meta.post("Sunday opening hours", minutes_ago=3)
    fake_meta.comment(fresh, "Finally!", minutes_ago=2)
    fake_meta.comment(fresh, "Do you do oat milk?", minutes_ago=1)

    report = poll()

    assert (report.new, report.posted) == (3, 3)
    assert sorted(card_texts(fake_slack)[1:]) == ["> Are you open on Sunday?", "> Do you do oat milk?", "> Finally!"]
    assert poll().posted == 0 and len(fake_slack.posted) == 4
    assert f"comments:{fresh['id']}" in store.get_cursors(db, "facebook")


def test_a_burst_of_comments_is_read_page_by_page_without_the_token_in_any_url(
    fake_meta, fake_slack, poll, db, monkeypatch
):
    monkeypatch.setattr(facebook, "COMMENT_PAGE", 4)
    post = fake_meta.post()
    fake_meta.comment(post, "first", minutes_ago=60)
    poll()
    burst = [fake_meta.comment(post, f"message {i}", minutes_ago=30 - i) for i in range(11)]

    report = poll()

    assert (report.new, report.posted) == (11, 11)
    assert sorted(card_texts(fake_slack)[1:]) == sorted(f"> message {i}" for i in range(11))
    pages = fake_meta.calls(f"/{post['id']}/comments")
    assert len(pages) == 2  # 4 came with the posts, then 4 and 3 more following paging.next
    assert all(p.param("filter") == "stream" and p.param("order") == "reverse_chronological" for p in pages)
    assert all("access_token" not in r.query and TOKEN not in r.path for r in fake_meta.requests)
    assert all(r.headers.get("Authorization") == f"Bearer {TOKEN}" for r in fake_meta.requests)
    assert store.get_cursors(db, "facebook")[f"comments:{post['id']}"] == burst[-1]["created_time"].replace(
        "+0000", "Z"
    )


def test_posts_that_tag_the_page_are_read_by_time_paging(fake_meta, fake_slack, poll, db, monkeypatch):
    fake_meta.tag("Brunch at @Bramble Café was perfect", author=True, minutes_ago=200)
    first = poll()
    assert first.posted == 1 and "Tom Becker" in fake_slack.posted[0]["blocks"][0]["text"]["text"]
    monkeypatch.setattr(meta_comments, "MAX_LIMIT", 3)
    for i in range(5):
        fake_meta.tag(f"tagged {i}", minutes_ago=20 - i)  # `from` left out, as Graph does for people's posts

    report = poll()

    assert report.posted == 5 and sorted(card_texts(fake_slack)[1:]) == sorted(f"> tagged {i}" for i in range(5))
    second = fake_meta.calls("/tagged")[-1]
    assert second.param("until") and second.param("__paging_token")  # Graph's time paging, followed
    assert "A Facebook user" in fake_slack.posted[-1]["blocks"][0]["text"]["text"]


def test_the_pages_own_reply_on_facebook_counts_as_the_answer(fake_meta, fake_slack, poll, db):
    post = fake_meta.post()
    question = fake_meta.comment(post, "Do you have gluten-free cake?", minutes_ago=30)
    poll()
    fake_meta.page_reply(post, question, "Yes, every day!", minutes_ago=2)

    report = poll()

    assert report.replies_found == 1 and report.new == 0
    row = db["mentions"].get(f"facebook:{question['id']}")
    assert row["status"] == "replied"
    assert wait_for(lambda: any("replied on Facebook directly" in n["text"] for n in fake_slack.thread_notes))


def test_a_reply_is_posted_as_the_page_under_the_comment(fake_meta, fake_slack, poll, db):
    post = fake_meta.post()
    comment = fake_meta.comment(post, "Can I book for six?")
    poll()
    mention = store.row_to_mention(db["mentions"].get(f"facebook:{comment['id']}"))

    sent = source(fake_meta).reply(mention, "Hi Maria, yes! Send us a message with the time.")

    [posted] = fake_meta.posted
    assert posted == {
        "path": f"{comment['id']}/comments",
        "form": {"message": "Hi Maria, yes! Send us a message with the time."},
    }
    assert "reply_comment_id=" in sent.url
    assert poll().replies_found == 1  # sent outside the reply form here: the next poll finds it and records it
    assert db["mentions"].get(f"facebook:{comment['id']}")["status"] == "replied" and poll().replies_found == 0


@pytest.mark.parametrize(
    "failure, said",
    [
        (
            error(10, "(#10) This endpoint requires the 'pages_manage_engagement' permission.", status=403),
            "pages_manage_engagement",
        ),
        (error(190, "Error validating access token", subcode=463), "META_PAGE_TOKEN"),
        (rate_limited(32), "limiting how often"),
        (error(100, "(#100) Message too long", status=400), "Message too long"),
    ],
)
def test_a_refused_reply_says_why_and_nothing_is_posted(fake_meta, fake_slack, poll, db, failure, said):
    post = fake_meta.post()
    comment = fake_meta.comment(post, "Hello?")
    poll()
    mention = store.row_to_mention(db["mentions"].get(f"facebook:{comment['id']}"))
    fake_meta.fail_next("/comments", failure)

    with pytest.raises(ReplyError) as refused:
        source(fake_meta).reply(mention, "Hi!")

    assert said in str(refused.value) and "nothing was posted" in str(refused.value)
    assert not refused.value.unsure and fake_meta.posted == [] and TOKEN not in str(refused.value)


def test_an_expired_token_says_how_to_get_a_new_one_and_never_shows_it(fake_meta, fake_slack, poll, caplog):
    fake_meta.post()
    fake_meta.expired = True
    caplog.set_level(logging.DEBUG)

    report = poll()

    said = report.source_errors["facebook"]
    assert "META_PAGE_TOKEN" in said and "it expired" in said and "long-lived" in said
    assert TOKEN not in said and TOKEN not in caplog.text


@pytest.mark.parametrize("code", [4, 17, 32, 613, 80001])
def test_a_rate_limit_pauses_facebook_until_meta_says(fake_meta, fake_slack, poll, db, code):
    fake_meta.fail_next(f"/{PAGE_ID}", rate_limited(code, minutes=42))

    report = poll()

    assert "rate limit" in report.source_errors["facebook"]
    retry_at = store.source_status(db, "facebook").retry_at
    assert abs((retry_at - (datetime.now(UTC) + timedelta(minutes=42))).total_seconds()) < 30
    calls = len(fake_meta.requests)
    poll()
    assert len(fake_meta.requests) == calls  # not asked again before then


def test_a_rate_limit_without_a_wait_pauses_for_half_an_hour(fake_meta, fake_slack, poll, db):
    fake_meta.fail_next(f"/{PAGE_ID}", error(4, "(#4) Application request limit reached", status=403))

    poll()

    retry_at = store.source_status(db, "facebook").retry_at
    assert abs((retry_at - (datetime.now(UTC) + meta.RATE_WINDOW)).total_seconds()) < 30


def test_usage_near_the_limit_pauses_before_being_cut_off_keeping_what_was_read(fake_meta, fake_slack, poll, db):
    post = fake_meta.post()
    fake_meta.comment(post, "Great coffee")
    fake_meta.usage = usage_headers(97, minutes=12)

    report = poll()

    assert report.posted == 1  # the comments read before the pause are kept
    assert "97%" in report.source_errors["facebook"] and not fake_meta.calls("/tagged")
    retry_at = store.source_status(db, "facebook").retry_at
    assert abs((retry_at - (datetime.now(UTC) + timedelta(minutes=12))).total_seconds()) < 30


def test_a_malformed_comment_is_skipped_and_the_rest_are_posted(fake_meta, fake_slack, poll):
    post = fake_meta.post()
    broken = fake_meta.comment(post, "broken", minutes_ago=3)
    broken["created_time"] = "yesterday-ish"
    odd = fake_meta.comment(post, "odd", minutes_ago=2)
    del odd["id"]
    fake_meta.comment(post, "this one is fine", minutes_ago=1)

    report = poll()

    assert (report.posted, report.failed) == (1, False) and card_texts(fake_slack) == ["> this one is fine"]


def test_a_comment_without_words_or_author_is_shown_or_skipped_plainly(fake_meta, fake_slack, poll):
    post = fake_meta.post()
    fake_meta.comment(post, "", minutes_ago=2)  # no words, nothing attached: skipped
    fake_meta.comment(post, "Who made this?", minutes_ago=1)
    fake_meta.hidden_authors = True  # no Page Public Content Access: Meta leaves `from` out

    report = poll()

    assert (report.posted, report.failed) == (1, False) and card_texts(fake_slack) == ["> Who made this?"]
    assert "A Facebook user" in fake_slack.posted[0]["blocks"][0]["text"]["text"]


def test_a_wrong_shape_is_a_facebook_problem_only(fake_meta, fake_slack, poll, db):
    fake_meta.post()
    fake_meta.fail_next(f"/{PAGE_ID}", Reply(200, "<html>oops</html>"))

    report = poll()

    assert "could not read" in report.source_errors["facebook"] and store.get_cursors(db, "facebook") == {}


# --- Settings and doctor --------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "given, said",
    [
        ({"META_PAGE_ID": "Bramble Café"}, "META_PAGE_ID must be your Facebook Page's ID, digits only"),
        ({"META_PAGE_TOKEN": "1234567890|abcdefsecret"}, "looks like an app token"),
        ({"META_PAGE_TOKEN": "IGQVJtokenfrominstagramlogin"}, "Instagram Login token"),
        ({"META_PAGE_TOKEN": ""}, "META_PAGE_TOKEN must be set too"),
        ({"META_GRAPH_URL": "graph.facebook.com"}, "META_GRAPH_URL must be a web address"),
    ],
)
def test_settings_say_which_token_or_id_to_copy(env, given, said):
    with pytest.raises(config.ConfigError) as wrong:
        config.load({**env, **META, **given})
    assert said in str(wrong.value)
    assert "abcdefsecret" not in str(wrong.value) and "tokenfrominstagram" not in str(wrong.value)


def test_the_token_is_masked_in_the_logs(env):
    settings = config.load({**env, **META})
    assert TOKEN in settings.secrets and settings.networks["facebook"].page_id == PAGE_ID


def doctor_lines(env, fake_meta, **extra) -> list[tuple[str, str]]:
    settings = config.load({**env, **META, "META_GRAPH_URL": fake_meta.url, **extra})
    return [line for line in doctor.checks(settings) if "Facebook" in line[1]]


def test_doctor_reads_for_real_and_checks_the_reply_permission(env, fake_meta):
    post = fake_meta.post()
    fake_meta.comment(post, "Nice!")
    lines = doctor_lines(env, fake_meta)
    assert (OK, "Facebook works: 1 recent comment or tagging post to show on the first poll.") in lines
    assert (OK, "Facebook: the token may post replies (pages_manage_engagement).") in lines

    fake_meta.scopes.discard("pages_manage_engagement")
    lines = doctor_lines(env, fake_meta)
    assert any(mark == PROBLEM and "lacks pages_manage_engagement" in text for mark, text in lines)


def test_doctor_names_the_missing_read_permission(env, fake_meta):
    fake_meta.post()
    fake_meta.scopes.discard("pages_read_user_content")
    [(mark, text)] = doctor_lines(env, fake_meta)
    assert mark == PROBLEM and "pages_read_user_content" in text and TOKEN not in text


def test_doctor_tells_a_user_token_from_the_pages(env, fake_meta):
    fake_meta.token_owner = "user"
    [(mark, text)] = doctor_lines(env, fake_meta)
    assert mark == PROBLEM and "personal (user) token" in text and "Maria López" in text and "me/accounts" in text


def test_usage_headers_read_both_kinds():
    percent, wait = meta.usage({"x-app-usage": json.dumps({"call_count": 96, "total_time": 3, "total_cputime": 1})})
    assert (percent, wait) == (96, None)
    percent, wait = meta.usage({k.lower(): v for k, v in usage_headers(40, minutes=7).items()})
    assert (percent, wait) == (40, timedelta(minutes=7))
    assert meta.usage({"x-business-use-case-usage": "not json"}) == (0, None)


# --- End to end: a comment polled into Slack as a card, answered from Slack's reply form --------------------------


def test_a_comment_becomes_a_card_and_a_reply_from_slack_reaches_facebook(workspace_for, fake_meta, fake_slack):
    ws = workspace_for(**META, META_GRAPH_URL=fake_meta.url)
    post = fake_meta.post()
    comment = fake_meta.comment(post, "My latte was cold and nobody came to the table", minutes_ago=8)
    assert not ws.poll().failed
    card = next(m for m in fake_slack.posted if "My latte was cold" in json.dumps(m["blocks"]))
    mention_id = f"facebook:{comment['id']}"

    assert ws.click("U0MARIA", "mention_reply", mention_id, card["ts"]) == 200
    assert wait_for(lambda: fake_slack.views_opened)
    form = fake_slack.views_opened[0]["view"]
    text_input = next(b for b in form["blocks"] if b["type"] == "input")["element"]
    assert text_input["max_length"] == 3000 and "@" not in text_input["initial_value"]  # no @handle on Facebook
    answer = ws.submit("U0MARIA", form, "So sorry Maria, that's not how we do things. Please message us.")
    assert answer["response_action"] == "update"

    assert wait_for(lambda: fake_meta.posted)
    assert fake_meta.posted == [
        {
            "path": f"{comment['id']}/comments",
            "form": {"message": "So sorry Maria, that's not how we do things. Please message us."},
        }
    ]
    assert wait_for(lambda: "Replied by Maria" in json.dumps(fake_slack.card_update(card["ts"]) or {}))
    [event] = ws.events(mention_id)
    assert (event["action"], event["via"]) == ("replied", "modal")
    # The next poll finds the Page's reply on Facebook: the same reply, counted once.
    assert ws.poll().replies_found == 0 and len(ws.events(mention_id)) == 1


def test_a_trickling_graph_is_cut_off_at_the_deadline(fake_meta):
    fake_meta.post()
    fake_meta.trickle(f"/{PAGE_ID}", every=0.2)
    slow = facebook.FacebookSource(
        meta.GraphClient(meta.MetaSettings(PAGE_ID, TOKEN, fake_meta.url), seconds=0.5), PAGE_ID
    )

    with pytest.raises(SourceError) as cut:
        list(slow.fetch({}))

    assert "took longer than 0.5 s" in str(cut.value)
