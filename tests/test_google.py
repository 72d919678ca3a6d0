"""Google reviews through the real source and the real google-auth, against a fake Google speaking its wire format:
the token endpoint, reviews pages newest change first, updateReply, and Google's error bodies."""

from __future__ import annotations

import json
import logging
from datetime import UTC, datetime, timedelta

import pytest

from bot import config, doctor
from bot.config import DEFAULT_TEMPLATES
from bot.models import OK, PROBLEM, Mention, ReplyError, SourceError
from bot.replies import ReplyTemplates
from bot.sources import google, registry
from storage import mentions as store
from tests.fakes import google_api
from tests.fakes.google_api import CLIENT_ID, CLIENT_SECRET, LOCATION, REFRESH_TOKEN, failure
from tests.fakes.server import Reply
from tests.helpers import card_texts, wait_for

SECRETS = (CLIENT_ID, CLIENT_SECRET, REFRESH_TOKEN)


def google_env(fake: google_api.FakeGoogle, **changed: str) -> dict[str, str]:
    return {
        "GOOGLE_CLIENT_ID": CLIENT_ID,
        "GOOGLE_CLIENT_SECRET": CLIENT_SECRET,
        "GOOGLE_REFRESH_TOKEN": REFRESH_TOKEN,
        "GOOGLE_LOCATION": LOCATION,
        "GOOGLE_API_URL": fake.url,
        "GOOGLE_TOKEN_URL": fake.token_url,
        **changed,
    }


@pytest.fixture
def poll(poll_for, fake_google):
    return poll_for(**google_env(fake_google))


def source(fake: google_api.FakeGoogle, **changed: str) -> google.GoogleSource:
    cfg = google.read_settings(config.Reader(google_env(fake, **changed)))
    assert cfg is not None
    return google.build(cfg)


def lists(fake: google_api.FakeGoogle):
    return fake.calls("/reviews")


def card_ids(db) -> list[str]:
    return [row["id"] for row in db.query("select id from mentions where source = 'google' order by created_at")]


# --- Reading. --------------------------------------------------------------------------------------------------


def test_first_poll_shows_the_newest_reviews_with_their_stars_and_no_more(fake_google, fake_slack, poll, db):
    for i in range(25):
        fake_google.review(f"Visit number {i}: the scones were fresh and warm.", stars=5, minutes_ago=100 - i)
    fake_google.review(None, stars=2, name="Tom Becker", minutes_ago=1)  # stars alone

    report = poll()

    assert (report.new, report.posted, report.failed) == (20, 20, False)
    [call] = lists(fake_google)
    assert (call.param("pageSize"), call.param("orderBy")) == ("20", "updateTime desc")
    assert call.headers["Authorization"].startswith("Bearer ya29.fake-access-")
    assert card_texts(fake_slack)[-1] == "> ★★☆☆☆ (no text)"
    header = fake_slack.posted[-1]["blocks"][0]["text"]["text"]
    assert "Tom Becker" in header and "Google reviews" in header
    assert "https://maps.google.com/maps?cid=1234567890123456789" in json.dumps(fake_slack.posted[-1])
    assert store.row_to_mention(db["mentions"].get(card_ids(db)[-1])).rating == 2

    # Nothing new: one page read, nothing shown, and the six older reviews are never shown.
    assert poll().posted == 0 and len(fake_slack.posted) == 20 and len(lists(fake_google)) == 2
    assert lists(fake_google)[1].param("pageSize") == "50"


def test_a_burst_is_read_in_pages_of_50_and_the_position_is_saved_only_after_the_last(
    fake_google, fake_slack, poll, db
):
    fake_google.review("First review, nice place.", minutes_ago=60)
    poll()
    burst = [fake_google.review(f"Review {i} of a busy day at the café.", minutes_ago=50 - i * 0.1) for i in range(120)]
    fake_google.fail_next("/reviews", failure("unavailable"), after=1)  # the second page fails

    report = poll()

    assert "Google is having trouble (HTTP 503)" in report.source_errors["google"]
    saved = json.loads(store.get_cursors(db, "google")[f"reviews:{LOCATION}"])
    assert len(saved["seen"]) == 1  # the first page's cards are in, but the position has not moved
    assert report.posted == 50

    report = poll()  # read again from the top: the 50 already shown are dropped as known

    assert report.failed is False and report.posted == 70 and len(fake_slack.posted) == 121
    assert {c.param("pageSize") for c in lists(fake_google)[1:]} == {"50"}
    assert len(json.loads(store.get_cursors(db, "google")[f"reviews:{LOCATION}"])["seen"]) == 121
    assert set(card_ids(db)) >= {f"google:{r['reviewId']}" for r in burst}


def test_google_refuses_a_page_of_more_than_50_as_it_does(fake_google):
    client = source(fake_google).client
    with pytest.raises(google.GoogleError) as refused:
        client.call("GET", f"{fake_google.url}/v4/{LOCATION}/reviews", params={"pageSize": 51})
    assert (refused.value.status, refused.value.code) == (400, "INVALID_ARGUMENT")


def test_an_edited_review_is_a_new_card_and_a_reread_is_not(fake_google, fake_slack, poll, db):
    review = fake_google.review("Great coffee, friendly staff, lovely garden out back.", stars=5, minutes_ago=30)
    poll()
    fake_google.edit(review, comment="Great coffee, friendly staff, lovely garden out back.", stars=1)

    report = poll()

    assert report.posted == 1
    edited_id = f"google:{review['reviewId']}:{google.compact(datetime.fromisoformat(review['updateTime']))}"
    assert card_ids(db)[-1] == edited_id
    assert card_texts(fake_slack)[-1].startswith("> ★☆☆☆☆ Great coffee")  # the same words, other stars: its own card
    assert store.row_to_mention(db["mentions"].get(edited_id)).rating == 1

    # Google moves updateTime when the owner replies too: the same words and stars are no new card.
    fake_google.reply_bumps_review = True
    fake_google.owner_reply(review, "So sorry to see this, Maria. Please ask for the manager next time.")
    assert poll().posted == 0 and len(fake_slack.posted) == 2


def test_a_review_first_seen_after_its_edit_is_one_card_named_by_its_edit(fake_google, poll, db):
    fake_google.review("Old review from before we listened.", minutes_ago=600)
    poll()
    review = fake_google.review("Written, then edited before the poll.", minutes_ago=30)
    fake_google.edit(review, comment="Written and then edited: the cake was dry.", stars=2)

    assert poll().posted == 1
    assert card_ids(db)[-1].startswith(f"google:{review['reviewId']}:")


def test_a_reply_made_in_googles_own_app_is_found_and_counted_for_its_card(fake_google, fake_slack, poll, db):
    review = fake_google.review("The soup was cold and the waiter ignored us.", stars=2, minutes_ago=90)
    poll()
    fake_google.owner_reply(review, "Sorry about the soup, Maria. Please ask for me next time. Ana, owner")

    report = poll()

    assert report.replies_found == 1
    row = db["mentions"].get(f"google:{review['reviewId']}")
    assert (row["status"], row["reply_via"]) == ("replied", "platform")
    assert row["response_secs"] >= 85 * 60  # counted from the reply on Google, not from when it was seen
    assert wait_for(lambda: fake_slack.thread_notes)
    assert "The owner replied on Google reviews directly" in fake_slack.thread_notes[-1]["text"]
    assert poll().replies_found == 0  # read again next poll, known by then


def test_a_rejected_reply_on_google_does_not_count(fake_google, poll, db):
    review = fake_google.review("Rude staff.", stars=1, minutes_ago=90)
    poll()
    fake_google.owner_reply(review, "How dare you")["reviewReplyState"] = "REJECTED"

    assert poll().replies_found == 0
    assert db["mentions"].get(f"google:{review['reviewId']}")["status"] == "new"


def test_a_malformed_review_is_skipped_and_the_rest_are_carded(fake_google, fake_slack, poll, caplog):
    broken = fake_google.review("This one has no reviewer's time.", minutes_ago=20)
    del broken["createTime"]
    odd = fake_google.review("Odd id", minutes_ago=15)
    odd["reviewId"] = "../../etc"
    fake_google.review("This one is fine.", minutes_ago=10)

    with caplog.at_level(logging.WARNING, logger="bot.sources.google"):
        report = poll()

    assert (report.posted, report.failed) == (1, False) and card_texts(fake_slack) == ["> ★★★★☆ This one is fine."]
    assert caplog.text.count("Skipped a review from Google") == 2


def test_an_anonymous_reviewer_is_a_google_user_and_a_link_google_gives_is_used(fake_google):
    fake_google.reply_urls = True
    review = fake_google.review("Nice.", stars=4, anonymous=True)

    [page] = list(source(fake_google).fetch({}))

    [mention] = page.mentions
    assert (mention.author_name, mention.author_handle, mention.rating) == ("A Google user", "", 4)
    assert mention.url == f"https://business.google.com/reviews/reply/{review['reviewId']}"
    assert fake_google.calls("/v1/locations") == []  # no Maps link needed


def test_without_the_business_information_api_the_card_links_to_the_owners_reviews(fake_google):
    fake_google.review("Nice.", stars=4)
    fake_google.fail_next("/v1/locations", failure("service_disabled"))

    [page] = list(source(fake_google).fetch({}))

    assert page.mentions[0].url == google.PROFILE_LINK


# --- Signing in and Google's refusals, in plain words. ----------------------------------------------------------


def test_an_expired_or_revoked_refresh_token_says_to_make_a_new_one(fake_google, poll, db):
    fake_google.refresh_token = "another-token"  # the owner's token expired (7 days in Testing) or was revoked

    report = poll()

    said = report.source_errors["google"]
    assert "GOOGLE_REFRESH_TOKEN" in said and "expired or was revoked" in said and "7 days" in said
    assert not any(secret in said for secret in SECRETS)
    assert lists(fake_google) == []


def test_a_wrong_client_secret_says_where_to_copy_it(fake_google, poll_for):
    report = poll_for(**google_env(fake_google, GOOGLE_CLIENT_SECRET="GOCSPX-wrong"))()
    said = report.source_errors["google"]
    assert "GOOGLE_CLIENT_ID and GOOGLE_CLIENT_SECRET" in said and "GOCSPX-wrong" not in said


def test_a_token_without_the_business_scope_says_so(fake_google, poll):
    fake_google.granted_scope = "https://www.googleapis.com/auth/userinfo.email"
    assert "without the scope https://www.googleapis.com/auth/business.manage" in poll().source_errors["google"]


def test_an_access_token_google_stops_accepting_is_renewed_once(fake_google, poll):
    fake_google.review("Lovely.", minutes_ago=3)
    src = source(fake_google)
    list(src.fetch({}))
    fake_google.revoke_access_tokens()

    list(src.fetch({}))

    assert len(fake_google.calls("/token")) == 2 and len(lists(fake_google)) == 3


@pytest.mark.parametrize(
    "body, said",
    [
        ("service_disabled", "The Google My Business API is not turned on in your Google Cloud project"),
        ("permission_denied", "cannot manage accounts/112233445566778899001/locations/9876543210123456789 (403)"),
        ("not_found", "Check GOOGLE_LOCATION"),
        ("unverified", "is not verified"),
        ("unavailable", "Google is having trouble (HTTP 503); will try again next poll."),
    ],
)
def test_googles_refusals_say_what_to_do(fake_google, poll, body, said):
    fake_google.fail_next("/reviews", failure(body))
    assert said in poll().source_errors["google"]


def test_a_rate_limit_pauses_google_until_it_may_be_asked_again(fake_google, fake_slack, poll, db):
    fake_google.fail_next("/reviews", failure("rate_limited", {"Retry-After": "90"}))
    fake_google.review("Hello")

    report = poll()

    assert "rate limit" in report.source_errors["google"]
    retry_at = store.source_status(db, "google").retry_at
    assert abs((retry_at - datetime.now(UTC) - timedelta(seconds=90)).total_seconds()) < 10
    calls = len(lists(fake_google))
    poll()  # still waiting
    assert len(lists(fake_google)) == calls and fake_slack.posted == []


def test_a_project_google_has_not_approved_says_to_ask_for_access_and_waits_an_hour(fake_google, poll, db):
    fake_google.fail_next("/reviews", failure("quota_zero"))

    said = poll().source_errors["google"]

    assert "has not approved this Google Cloud project" in said and "quota is 0" in said
    retry_at = store.source_status(db, "google").retry_at
    assert abs((retry_at - datetime.now(UTC) - timedelta(hours=1)).total_seconds()) < 10


def test_an_answer_of_the_wrong_shape_is_a_google_problem_only(fake_google, poll):
    fake_google.fail_next("/reviews", Reply(200, {"reviews": {"not": "a list"}}))
    assert "could not read" in poll().source_errors["google"]


def test_secrets_never_reach_a_message_or_the_log(fake_google, poll_for, caplog):
    env = google_env(fake_google)
    fake_google.refresh_token = "revoked"
    with caplog.at_level(logging.DEBUG):
        said = [poll_for(**env)().source_errors["google"]]
        fake_google.refresh_token = REFRESH_TOKEN
        for body in ("service_disabled", "quota_zero", "permission_denied", "unauthenticated"):
            fake_google.fail_next("/reviews", failure(body), failure(body))
            said.append(str(pytest.raises(SourceError, list, source(fake_google).fetch({})).value))
    for text in [*said, caplog.text]:
        assert not any(secret in text for secret in SECRETS), text
        assert "ya29.fake-access" not in text


# --- Replying. --------------------------------------------------------------------------------------------------


def review_mention(fake: google_api.FakeGoogle, **kwargs) -> tuple[google.GoogleSource, Mention, dict[str, str]]:
    """A review read on a first poll: the source, its mention and the cursor saved."""
    fake.review(**kwargs)
    src = source(fake)
    [page] = list(src.fetch({}))
    return src, page.mentions[-1], {page.key: page.cursor or ""}


def test_a_reply_is_posted_with_updatereply_and_found_as_known_next_poll(fake_google):
    src, mention, _ = review_mention(fake_google, comment="Where do you park?", stars=4)

    sent = src.reply(mention, "Hi Maria, there's free parking behind the shop.")

    [call] = fake_google.calls("/reply")
    assert call.method == "PUT" and call.path == f"/v4/{LOCATION}/reviews/{mention.external_id}/reply"
    assert call.json() == {"comment": "Hi Maria, there's free parking behind the shop."}
    assert sent.external_id.startswith(f"{mention.external_id}:reply:") and sent.url == mention.url
    [page] = list(src.fetch({}))
    assert [r.external_id for r in page.replies] == [sent.external_id]  # the same reply: known, never counted twice
    assert page.replies[0].in_reply_to == mention.external_id


def test_a_reply_to_an_edited_review_answers_its_new_card(fake_google):
    src, original, cursor = review_mention(fake_google, comment="Good", stars=4, minutes_ago=30)
    fake_google.owner_reply(fake_google.reviews[-1], "Thank you!", minutes_ago=20)
    fake_google.edit(fake_google.reviews[-1], comment="Actually bad", stars=1)
    [page] = list(src.fetch(cursor))
    [edit] = page.mentions
    # The reply written before the edit answered the original review, not its new card.
    assert [(r.in_reply_to, r.text) for r in page.replies] == [(original.external_id, "Thank you!")]

    src.reply(edit, "Sorry to read this.")

    assert fake_google.calls("/reply")[0].path.endswith(f"/reviews/{edit.external_id.split(':')[0]}/reply")
    [found] = list(src.fetch(cursor))[0].replies
    assert found.in_reply_to == edit.external_id


@pytest.mark.parametrize(
    "answer, said, unsure",
    [
        (failure("not_found"), "That review is gone from Google", False),
        (failure("permission_denied"), "owner or manager of the Business Profile", False),
        (failure("invalid_argument"), "Google said: Request contains an invalid argument.", False),
        (failure("rate_limited"), "limiting how often", False),
        (failure("quota_zero"), "not approved this project", False),
        (failure("unavailable"), "may or may not be on Google", True),
    ],
)
def test_a_refused_reply_says_why_and_whether_it_may_be_there(fake_google, answer, said, unsure):
    src, mention, _ = review_mention(fake_google)
    fake_google.fail_next("/reply", answer)

    with pytest.raises(ReplyError) as refused:
        src.reply(mention, "Thank you!")

    assert said in str(refused.value) and refused.value.unsure is unsure
    assert fake_google.replies == []


def test_a_reply_longer_than_googles_4096_bytes_is_refused_before_sending(fake_google):
    assert registry.reply_limit("google") == 4096
    assert registry.reply_length("google", "é" * 2048) == 4096  # Google counts bytes
    src, mention, _ = review_mention(fake_google)
    with pytest.raises(ReplyError, match="did not accept"):
        src.reply(mention, "é" * 2049)  # the fake refuses it as Google does


def test_a_reply_after_the_refresh_token_was_revoked_posts_nothing_and_says_so(fake_google):
    src, mention, _ = review_mention(fake_google)
    src.client._credentials.token = None  # the access token expired; the refresh token was revoked meanwhile
    fake_google.refresh_token = "revoked"

    with pytest.raises(ReplyError) as refused:
        src.reply(mention, "Thanks!")

    assert "Nothing was posted" in str(refused.value) and "GOOGLE_REFRESH_TOKEN" in str(refused.value)
    assert refused.value.unsure is False and fake_google.calls("/reply") == []


def test_suggested_replies_for_a_review_name_the_reviewer_and_never_ask_for_a_dm():
    templates = ReplyTemplates.load(DEFAULT_TEMPLATES)
    for intent in ("complaint", "question", "praise", "other"):
        for name in ("Maria López", "A Google user"):
            replies = templates.suggest(
                intent=intent, handle="", name=name, text="The soup was cold", business="Bramble", network="google"
            )
            assert replies, (intent, name)
            for reply in replies:
                assert "DM" not in reply and "message us" not in reply.lower() and "@" not in reply
                assert "{" not in reply and not reply.startswith(",")
    praise = templates.suggest(
        intent="praise", handle="", name="Maria López", text="x", business="B", network="google", count=5
    )
    assert "Maria, we really appreciate you saying so. Hope to see you again soon!" in praise  # "@{handle}" → "Maria,"
    nameless = templates.suggest(
        intent="praise", handle="", name="A Google user", text="x", business="B", network="google", count=5
    )
    assert "We really appreciate you saying so. Hope to see you again soon!" in nameless
    for kind in ("health", "allergy", "injury", "safety", "legal", "money"):
        careful = templates.suggest(
            intent="complaint", handle="", name="Maria", text="x", business="B", network="google", serious=kind
        )
        assert careful and all("DM" not in reply for reply in careful), kind
    # Elsewhere a DM is still suggested.
    assert any(
        "DM" in r
        for r in templates.suggest(
            intent="complaint", handle="maria", name="Maria", text="x", business="B", network="x", count=5
        )
    )


# --- Settings and doctor. ----------------------------------------------------------------------------------------


def test_the_location_is_checked_with_a_clear_message():
    reader = config.Reader(
        {
            "GOOGLE_CLIENT_ID": CLIENT_ID,
            "GOOGLE_CLIENT_SECRET": CLIENT_SECRET,
            "GOOGLE_REFRESH_TOKEN": REFRESH_TOKEN,
            "GOOGLE_LOCATION": "Bramble Café, Leith",
        }
    )
    assert google.read_settings(reader) is None
    assert any("GOOGLE_LOCATION must be your location as Google's API names it" in p for p in reader.problems)
    half = config.Reader({"GOOGLE_CLIENT_ID": CLIENT_ID})
    assert google.read_settings(half) is None
    assert any(
        "GOOGLE_CLIENT_SECRET, GOOGLE_REFRESH_TOKEN, GOOGLE_LOCATION must be set too" in p for p in half.problems
    )
    assert CLIENT_ID not in " ".join(half.problems)
    trailing = config.Reader({**dict(reader.env), "GOOGLE_LOCATION": f"/{LOCATION}/"})
    assert google.read_settings(trailing).location == LOCATION  # type: ignore[union-attr]


def test_doctor_reads_for_real_and_says_what_is_wrong(fake_google, env):
    fake_google.review("Lovely", minutes_ago=5)
    settings = config.load({**env, **google_env(fake_google)})
    network = registry.network("google")
    assert network is not None
    [line] = list(doctor._network(network, settings))
    assert line[0] == OK and line[1].startswith("Google reviews works: 1 recent mention to show on the first poll;")

    fake_google.refresh_token = "revoked"
    [line] = list(doctor._network(network, settings))
    assert line[0] == PROBLEM and "GOOGLE_REFRESH_TOKEN" in line[1]


# --- The whole way: a review into Slack, a reply from Slack's form to Google. -------------------------------------


def test_a_review_reaches_slack_and_a_reply_from_the_form_reaches_google(workspace_for, fake_google, fake_slack):
    fake_google.review("Waited 40 minutes for a cold coffee.", stars=2, name="Maria López", minutes_ago=10)
    ws = workspace_for(**google_env(fake_google))
    assert not ws.poll().failed
    card = next(m for m in fake_slack.posted if "Google reviews" in json.dumps(m, ensure_ascii=False))
    assert "★★☆☆☆ Waited 40 minutes" in json.dumps(card, ensure_ascii=False)
    mention_id = f"google:{fake_google.reviews[-1]['reviewId']}"

    assert ws.click("U0MARIA", "mention_reply", mention_id, card["ts"]) == 200
    assert wait_for(lambda: fake_slack.views_opened)
    form = fake_slack.views_opened[0]["view"]
    suggested = next(b for b in form["blocks"] if b["type"] == "input")["element"]["initial_value"]
    assert "DM" not in suggested and "@" not in suggested

    ws.submit("U0MARIA", form, "Maria, I'm so sorry about the wait. Please ask for me next time. Ana")

    assert wait_for(lambda: fake_google.replies)
    assert fake_google.replies == [{"comment": "Maria, I'm so sorry about the wait. Please ask for me next time. Ana"}]
    assert wait_for(lambda: ws.mention(mention_id)["status"] == "replied")
    assert ws.poll().replies_found == 0  # the reply read back next poll is the one sent: counted once
    assert [e["action"] for e in ws.events(mention_id)] == ["replied"]


def test_two_reviewers_writing_the_same_words_get_two_cards(fake_google, poll):
    # Nobody has a handle on Google, so nobody is known to be the same person: no cross-post is guessed.
    fake_google.review("Best coffee in town, friendly staff!", name="Maria López", minutes_ago=20)
    fake_google.review("Best coffee in town, friendly staff!", name="Tom Becker", minutes_ago=10)
    assert poll().posted == 2
