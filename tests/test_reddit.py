"""Reddit through praw against a fake Reddit speaking its OAuth and Listing JSON."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from bot import config
from bot.models import ReplyError
from bot.sources import reddit
from storage import mentions as store
from tests.fakes.reddit_api import CLIENT_ID, CLIENT_SECRET, MAX_LIMIT, PASSWORD, USERNAME, _listing, rate_limited
from tests.fakes.server import Reply
from tests.helpers import card_texts

PAGE = 10  # children a page in burst tests: fewer than the client asks for, as Reddit sends when it drops some


@pytest.fixture
def reddit_env(fake_reddit):
    return dict(
        REDDIT_CLIENT_ID=CLIENT_ID,
        REDDIT_CLIENT_SECRET=CLIENT_SECRET,
        REDDIT_USERNAME=USERNAME,
        REDDIT_PASSWORD=PASSWORD,
        REDDIT_QUERY='"Bramble Café"',
        REDDIT_SUBREDDITS="r/london, cafes",
        REDDIT_URL=fake_reddit.url,
    )


@pytest.fixture
def poll(poll_for, reddit_env):
    return poll_for(**reddit_env)


def test_first_poll_posts_matching_posts_and_comments(fake_reddit, fake_slack, poll):
    post = fake_reddit.post("Bramble Café brunch worth the queue?", "Thinking of going Saturday", minutes_ago=30)
    fake_reddit.post("Best bakery in Hackney", minutes_ago=20)  # does not name the business
    fake_reddit.comment("Bramble Café does a great flat white", minutes_ago=10)
    fake_reddit.comment("I prefer tea", minutes_ago=5)

    report = poll()

    assert (report.posted, report.failed) == (2, False)
    assert card_texts(fake_slack) == [
        "> Bramble Café brunch worth the queue?\n> Thinking of going Saturday",
        "> Bramble Café does a great flat white",
    ]
    assert f"https://www.reddit.com{post['data']['permalink']}" in fake_slack.posted[0]["blocks"][0]["text"]["text"]
    [search] = fake_reddit.calls("/search")
    assert (
        search.path.startswith("/r/london+cafes/")
        and search.param("sort") == "new"
        and search.param("q") == '"Bramble Café"'
    )
    assert len(fake_reddit.calls("/api/v1/access_token")) == 1


def test_a_restart_resumes_after_the_newest_seen_and_never_reposts(fake_reddit, fake_slack, poll_for, reddit_env, db):
    fake_reddit.post("Bramble Café opening hours?", minutes_ago=10)
    poll_for(**reddit_env)()
    fake_reddit.post("Bramble Café has a new cake", minutes_ago=1)

    report = poll_for(**reddit_env)()  # a new process: cursors come from the database

    assert (report.new, report.posted) == (1, 1) and card_texts(fake_slack)[-1] == "> Bramble Café has a new cake"
    assert (
        float(store.get_cursors(db, "reddit")['posts:london+cafes:"Bramble Café"'])
        == fake_reddit.posts[-1]["data"]["created_utc"]
    )


def test_a_burst_is_read_across_pages(fake_reddit, fake_slack, poll):
    fake_reddit.post("Bramble Café first", minutes_ago=300)
    poll()
    fake_reddit.page_limit = PAGE
    size = 2 * PAGE + PAGE // 2
    for i in range(size):
        fake_reddit.post(f"Bramble Café thread {i}", minutes_ago=200 - i)

    report = poll()

    assert report.posted == size and card_texts(fake_slack)[1:] == [f"> Bramble Café thread {i}" for i in range(size)]
    pages = fake_reddit.calls("/search")[1:]
    assert [c.param("after") for c in pages] == [
        None,
        fake_reddit.posts[-PAGE]["data"]["name"],
        fake_reddit.posts[-2 * PAGE]["data"]["name"],
    ]
    assert all(int(c.param("limit")) >= MAX_LIMIT for c in pages)  # asks for full pages; Reddit sent short ones


def test_a_rate_limit_pauses_reddit_until_the_reset(fake_reddit, fake_slack, poll, db):
    fake_reddit.fail_next("/search", rate_limited(420))

    report = poll()

    reset = datetime.now(UTC) + timedelta(seconds=420)
    assert "Reddit rate limit reached" in report.source_errors["reddit"]
    retry_at = store.source_status(db, "reddit").retry_at
    assert abs((retry_at - reset).total_seconds()) < 5


def test_a_deleted_post_is_skipped_and_the_rest_are_posted(fake_reddit, fake_slack, poll):
    gone = fake_reddit.post("Bramble Café [deleted]", minutes_ago=10)
    gone["data"]["author"] = "[deleted]"  # how Reddit shows a deleted account
    fake_reddit.post("Bramble Café is lovely", minutes_ago=5)

    report = poll()

    assert (report.posted, report.failed) == (1, False) and card_texts(fake_slack) == ["> Bramble Café is lovely"]


def test_wrong_app_credentials_say_where_to_find_them(poll_for, reddit_env, fake_slack):
    report = poll_for(**{**reddit_env, "REDDIT_CLIENT_SECRET": "not-the-secret"})()

    assert report.failed and "REDDIT_CLIENT_ID" in report.reason and "not-the-secret" not in report.reason


def test_a_reply_is_a_comment_under_the_post(fake_reddit, fake_slack, poll, db, reddit_env, env):
    post = fake_reddit.post("Bramble Café open on bank holiday?")
    poll()
    [row] = list(db["mentions"].rows)
    cfg = config.load({**env, **reddit_env}).networks["reddit"]
    source = reddit.RedditSource(reddit.make_client(cfg), cfg.query, can_reply=True)

    sent = source.reply(store.row_to_mention(row), "Yes, 9 to 3!")

    [form] = fake_reddit.replies
    assert form["thing_id"] == post["data"]["name"] and form["text"] == "Yes, 9 to 3!"
    assert sent.external_id.startswith("t1_") and sent.url.startswith("https://www.reddit.com/r/london/comments/")
    assert row["suggestions"] and "@maria_eats" not in row["suggestions"]  # Reddit says u/name, not @name


def test_a_refused_reply_says_nothing_was_posted(fake_reddit, fake_slack, poll, db, reddit_env, env):
    fake_reddit.post("Bramble Café review")
    poll()
    [row] = list(db["mentions"].rows)
    cfg = config.load({**env, **reddit_env}).networks["reddit"]
    source = reddit.RedditSource(reddit.make_client(cfg), cfg.query, can_reply=True)
    fake_reddit.fail_next(
        "/api/comment", Reply(200, {"json": {"errors": [["THREAD_LOCKED", "that thread is locked", "parent"]]}})
    )

    with pytest.raises(ReplyError) as refused:
        source.reply(store.row_to_mention(row), "Thanks!")

    assert "nothing was posted" in str(refused.value) and "locked" in str(refused.value)


POSTS_KEY = 'posts:london+cafes:"Bramble Café"'


def test_a_post_that_reddit_indexes_late_is_still_carded(fake_reddit, fake_slack, poll, db):
    fake_reddit.post("Bramble Café new menu", minutes_ago=2)
    poll()
    late = fake_reddit.post(
        "Bramble Café was packed", minutes_ago=6
    )  # made before the one already read, shown only now
    fake_reddit.posts.insert(0, fake_reddit.posts.pop())

    report = poll()

    assert (report.new, report.posted) == (1, 1) and card_texts(fake_slack)[-1] == "> Bramble Café was packed"
    assert (
        float(store.get_cursors(db, "reddit")[POSTS_KEY])
        == fake_reddit.posts[-1]["data"]["created_utc"]
        > late["data"]["created_utc"]
    )


def test_a_first_poll_that_finds_nothing_saves_no_time(fake_reddit, fake_slack, poll, db):
    assert poll().posted == 0
    assert POSTS_KEY not in store.get_cursors(db, "reddit")
    fake_reddit.post("Bramble Café first review", minutes_ago=20)  # older than that first poll, seen only now

    assert poll().posted == 1


def test_a_lone_surrogate_in_a_post_is_dropped_and_the_rest_are_carded(fake_reddit, fake_slack, poll):
    fake_reddit.post("Bramble Café before", minutes_ago=3)
    fake_reddit.post("Bramble Café open\ud800?", "caf\ud800e", minutes_ago=2, author="maria\ud800")
    fake_reddit.post("Bramble Café after", minutes_ago=1)

    report = poll()

    assert (report.posted, report.failed) == (3, False)
    assert card_texts(fake_slack) == ["> Bramble Café before", "> Bramble Café open?\n> cafe", "> Bramble Café after"]


@pytest.mark.parametrize(
    "body",
    [
        [1, 2],
        "x",
        "7",
        {"kind": "Listing", "data": "x"},
        {"kind": "Listing", "data": {"children": "x"}},
        {"kind": "Listing", "data": {"children": [{"kind": "t3", "data": "x"}]}},
    ],
)
def test_a_reddit_answer_of_the_wrong_shape_is_a_reddit_problem_only(fake_reddit, fake_slack, poll, db, body):
    fake_reddit.post("Bramble Café hello", minutes_ago=5)
    poll()
    saved = store.get_cursors(db, "reddit")[POSTS_KEY]
    fake_reddit.post("Bramble Café still there?", minutes_ago=1)
    fake_reddit.fail_next("/search", Reply(200, body))

    report = poll()

    assert set(report.source_errors) <= {"reddit"}
    assert store.get_cursors(db, "reddit")[POSTS_KEY] == saved
    assert poll().posted == 1


def test_items_of_the_wrong_shape_are_skipped_and_the_rest_are_carded(fake_reddit, fake_slack, poll):
    good = fake_reddit.post("Bramble Café fine", minutes_ago=1)
    odd = fake_reddit.post("Bramble Café odd", minutes_ago=2)
    odd["data"]["created_utc"] = "yesterday"

    report = poll()

    assert (report.posted, report.failed) == (1, False) and card_texts(fake_slack) == [f"> {good['data']['title']}"]


def test_an_empty_page_in_the_middle_of_a_burst_is_read_again_next_poll(fake_reddit, fake_slack, poll_for, reddit_env):
    poll = poll_for(**reddit_env)
    fake_reddit.post("Bramble Café first", minutes_ago=300)
    poll()
    fake_reddit.page_limit = PAGE  # short pages, as Reddit sends when it drops removed items
    size = 2 * PAGE + PAGE // 2
    for i in range(size):
        fake_reddit.post(f"Bramble Café thread {i}", minutes_ago=200 - i)
    fake_reddit.fail_next("/search", Reply(200, _listing([], None)), after=1)  # page two: an empty listing

    first, second = poll(), poll()

    assert (first.posted, second.posted) == (PAGE, size - PAGE)
    carded = set(card_texts(fake_slack))
    assert all(f"> Bramble Café thread {i}" in carded for i in range(size))


def test_a_burst_of_full_pages_cut_short_by_an_empty_page_is_read_again_next_poll(
    fake_reddit, fake_slack, poll_for, reddit_env
):
    poll = poll_for(**reddit_env)
    fake_reddit.post("Bramble Café first", minutes_ago=300)
    poll()
    size = MAX_LIMIT + PAGE  # a full page of 100, then an empty one where the rest should be
    for i in range(size):
        fake_reddit.post(f"Bramble Café thread {i}", minutes_ago=200 - i)
    fake_reddit.fail_next("/search", Reply(200, _listing([], None)), after=1)

    first, second = poll(), poll()

    assert (first.posted, second.posted) == (MAX_LIMIT, size - MAX_LIMIT)
