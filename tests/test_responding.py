"""Responding from Slack: the card's buttons and the reply form, through the real Bolt app over signed HTTP,
with the fake Slack and X servers recording what reaches them."""

from __future__ import annotations

import json
import threading
import time
import urllib.error
import urllib.request
from urllib.parse import urlencode

import pytest

from tests.fakes import slack_api, x_api
from tests.fakes.server import Reply
from tests.helpers import wait_for


def card_text(update: dict | None) -> str:
    return json.dumps(update["blocks"], ensure_ascii=False) if update else ""


def buttons(update: dict) -> list[str]:
    return [e["action_id"] for b in update["blocks"] if b["type"] == "actions" for e in b["elements"]]


POSTING = x_api.POSTING_KEYS


def test_claim_updates_the_card_in_place_notes_it_in_the_thread_and_logs_who(workspace_for, card, fake_slack):
    ws = workspace_for()
    mention_id, ts, _ = card(ws)

    assert ws.click("U0MARIA", "mention_claim", mention_id, ts) == 200
    assert wait_for(lambda: fake_slack.card_update(ts))
    update = fake_slack.card_update(ts)
    assert "Claimed by Maria · " in card_text(update) and "after it arrived" in card_text(update)
    assert "mention_reply" in buttons(update) and "mention_reopen" in buttons(update)
    assert wait_for(lambda: fake_slack.thread_notes)
    assert fake_slack.thread_notes[0]["thread_ts"] == ts and "Maria claimed this" in fake_slack.thread_notes[0]["text"]
    [event] = ws.events(mention_id)
    # The name comes from users.info (the display name), not the payload's username.
    assert (event["actor_id"], event["actor_name"], event["action"], event["via"]) == (
        "U0MARIA",
        "Maria",
        "claimed",
        "button",
    )
    assert ws.mention(mention_id)["first_action_at"] == event["at"]


def test_forged_stale_and_unsigned_clicks_get_401_and_change_nothing(workspace_for, card, fake_slack):
    ws = workspace_for()
    mention_id, ts, _ = card(ws)
    assert ws.click("U0MARIA", "mention_claim", mention_id, ts, secret="not-the-signing-secret") == 401
    assert ws.click("U0MARIA", "mention_claim", mention_id, ts, timestamp=int(time.time()) - 6 * 60) == 401
    body = urlencode({"payload": json.dumps(ws.click_payload("U0MARIA", "mention_claim", mention_id, ts))})
    request = urllib.request.Request(
        ws.url, data=body.encode(), method="POST", headers={"Content-Type": "application/x-www-form-urlencoded"}
    )
    with pytest.raises(urllib.error.HTTPError) as unsigned:
        urllib.request.urlopen(request, timeout=10)
    assert unsigned.value.code == 401
    time.sleep(0.5)
    assert ws.events(mention_id) == [] and fake_slack.updated == [] and fake_slack.ephemeral == []
    assert ws.mention(mention_id)["status"] == "new"


def test_double_clicks_and_simultaneous_claims_make_one_claim_and_ask_before_a_takeover(
    workspace_for, card, fake_slack
):
    ws = workspace_for()
    mention_id, ts, _ = card(ws)
    clickers = ["U0MARIA", "U0MARIA", "U0TOM", "U0TOM"]
    threads = [threading.Thread(target=ws.click, args=(who, "mention_claim", mention_id, ts)) for who in clickers]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert wait_for(lambda: len(fake_slack.ephemeral) == 3)
    [claimed] = ws.events(mention_id)
    winner, loser = claimed["actor_id"], ({"U0MARIA", "U0TOM"} - {claimed["actor_id"]}).pop()
    mine = [e for e in fake_slack.ephemeral if e["user"] == winner]
    theirs = [e for e in fake_slack.ephemeral if e["user"] == loser]
    assert len(mine) == 1 and "already yours" in mine[0]["text"]
    assert len(theirs) == 2 and all("Take it over?" in e["text"] for e in theirs)
    takeover = json.loads(theirs[0]["blocks"]) if isinstance(theirs[0]["blocks"], str) else theirs[0]["blocks"]
    assert takeover[1]["elements"][0]["action_id"] == "mention_takeover"

    assert ws.click(loser, "mention_takeover", mention_id, ts) == 200
    assert wait_for(lambda: len(ws.events(mention_id)) == 2)
    second = ws.events(mention_id)[1]
    assert (second["actor_id"], second["via"]) == (loser, "takeover")
    assert wait_for(
        lambda: (
            f"Claimed by {slack_api.PEOPLE[loser]['display_name'] or slack_api.PEOPLE[loser]['real_name']}"
            in card_text(fake_slack.card_update(ts))
        )
    )
    assert wait_for(lambda: fake_slack.responses), fake_slack.responses
    assert fake_slack.responses[0]["delete_original"] is True


def test_a_reply_goes_to_x_as_a_reply_and_the_card_shows_who_how_fast_and_the_link(
    workspace_for, card, fake_x, fake_slack
):
    ws = workspace_for(**POSTING)
    mention_id, ts, tweet = card(ws)
    assert ws.click("U0MARIA", "mention_reply", mention_id, ts) == 200
    assert wait_for(lambda: fake_slack.views_opened)
    form = fake_slack.views_opened[0]["view"]
    text_input = next(b for b in form["blocks"] if b["type"] == "input")["element"]
    assert text_input["max_length"] == 280 and text_input["initial_value"]  # pre-filled with a suggestion
    assert form["submit"]["text"] == "Send reply"

    too_long = ws.submit("U0MARIA", form, "咖" * 141)  # X counts these twice: 282
    assert too_long["response_action"] == "errors" and "Shorten it by 2" in next(iter(too_long["errors"].values()))
    assert fake_x.created == []

    answer = ws.submit("U0MARIA", form, "So sorry Maria! Please DM us and we'll make it right.")
    assert answer["response_action"] == "update" and "Sending" in json.dumps(answer["view"])
    assert wait_for(lambda: fake_x.created)
    assert fake_x.created == [
        {
            "text": "So sorry Maria! Please DM us and we'll make it right.",
            "reply": {"in_reply_to_tweet_id": tweet["id"]},
        }
    ]
    reply_id = fake_x.own_posts[-1]["id"]
    assert wait_for(lambda: "Replied by Maria in" in card_text(fake_slack.card_update(ts)))
    update = fake_slack.card_update(ts)
    assert f"https://x.com/bramblecafe/status/{reply_id}" in card_text(update)
    assert buttons(update) == ["mention_reopen"]
    assert wait_for(
        lambda: fake_slack.views_updated and "Your reply is on X" in json.dumps(fake_slack.views_updated[-1]["view"])
    )
    [event] = ws.events(mention_id)
    assert (event["action"], event["via"], event["actor_name"], event["reply_external_id"]) == (
        "replied",
        "modal",
        "Maria",
        reply_id,
    )
    assert ws.mention(mention_id)["response_secs"] >= 5 * 60  # the tweet was 5 minutes old

    # The same form submitted again (a double click on Send) posts nothing more.
    again = ws.submit("U0MARIA", form, "So sorry Maria! Please DM us and we'll make it right.")
    assert again["response_action"] == "errors" and "already replied" in next(iter(again["errors"].values()))
    time.sleep(0.3)
    assert len(fake_x.created) == 1 and len(ws.events(mention_id)) == 1


@pytest.mark.parametrize(
    "failure, said",
    [
        (Reply(403, x_api.DUPLICATE), "already posted exactly this text"),
        (
            Reply(
                429,
                {"title": "Too Many Requests", "detail": "Too Many Requests", "type": "about:blank", "status": 429},
                {"x-rate-limit-reset": str(int(time.time()) + 600)},
            ),
            "limiting how often",
        ),
        (
            Reply(401, {"title": "Unauthorized", "type": "about:blank", "status": 401, "detail": "Unauthorized"}),
            "X_ACCESS_TOKEN",
        ),
        (Reply(503, {"title": "Service Unavailable"}), "X is having trouble (HTTP 503)"),
    ],
)
def test_a_refused_reply_shows_why_in_the_form_keeps_the_text_and_records_nothing(
    workspace_for, card, fake_x, fake_slack, failure, said
):
    ws = workspace_for(**POSTING)
    mention_id, ts, _ = card(ws)
    ws.click("U0TOM", "mention_reply", mention_id, ts)
    assert wait_for(lambda: fake_slack.views_opened)
    typed = "Sorry about that, Maria! We'll call you today."
    fake_x.fail_next("/2/tweets", failure)
    ws.submit("U0TOM", fake_slack.views_opened[0]["view"], typed)
    assert wait_for(lambda: fake_slack.views_updated)
    form = fake_slack.views_updated[-1]["view"]
    assert said in json.dumps(form, ensure_ascii=False)
    assert next(b for b in form["blocks"] if b["type"] == "input")["element"]["initial_value"] == typed
    assert ws.events(mention_id) == [] and ws.mention(mention_id)["status"] == "new"
    assert fake_x.created == [] and fake_slack.updated == []

    # The kept text can be sent again straight away.
    ws.submit("U0TOM", form)
    assert wait_for(lambda: fake_x.created)
    assert fake_x.created[0]["text"] == typed
    assert wait_for(lambda: [e["action"] for e in ws.events(mention_id)] == ["replied"])


def test_without_posting_keys_the_form_records_a_reply_made_on_x_by_that_person(
    workspace_for, card, fake_x, fake_slack
):
    ws = workspace_for()
    mention_id, ts, _ = card(ws)
    ws.click("U0TOM", "mention_reply", mention_id, ts)
    assert wait_for(lambda: fake_slack.views_opened)
    form = fake_slack.views_opened[0]["view"]
    assert form["submit"]["text"] == "I replied myself" and "cannot post on X" in json.dumps(form)
    ws.submit("U0TOM", form, "Called her back, all sorted")
    assert wait_for(lambda: ws.events(mention_id))
    [event] = ws.events(mention_id)
    assert (event["action"], event["via"], event["actor_name"]) == ("replied", "outside", "Tom Reyes")
    assert fake_x.created == []
    assert wait_for(lambda: "Tom Reyes replied on X directly" in card_text(fake_slack.card_update(ts)))


def test_a_reply_made_directly_on_x_is_found_on_the_next_poll_once(workspace_for, card, fake_x, fake_slack):
    ws = workspace_for()
    mention_id, ts, tweet = card(ws)
    fake_x.own_post("Thanks for telling us, we're on it!", in_reply_to=tweet["id"])
    fake_x.own_post("Fresh sourdough today 🍞")  # not a reply: ignored
    report = ws.poll()
    assert report.replies_found == 1
    [event] = ws.events(mention_id)
    assert (event["action"], event["via"], event["actor_name"]) == ("replied", "platform", "@bramblecafe")
    assert ws.mention(mention_id)["response_secs"] >= 5 * 60
    assert "Replied on X, 5 min" in card_text(fake_slack.card_update(ts))
    assert "@bramblecafe replied on X directly" in fake_slack.thread_notes[-1]["text"]
    assert ws.poll().replies_found == 0 and len(ws.events(mention_id)) == 1
    # The second poll read only posts newer than the last one it saw.
    own = fake_x.calls("/2/users/783214/tweets")
    assert own[-1].param("since_id") == fake_x.own_posts[-1]["id"]


def test_with_approvers_a_staff_reply_waits_and_goes_out_only_when_approved(workspace_for, card, fake_x, fake_slack):
    ws = workspace_for(**POSTING, REPLY_APPROVERS="U0OWNER")
    mention_id, ts, tweet = card(ws)
    ws.click("U0TOM", "mention_reply", mention_id, ts)
    assert wait_for(lambda: fake_slack.views_opened)
    form = fake_slack.views_opened[0]["view"]
    assert form["submit"]["text"] == "Ask for approval"
    ws.submit("U0TOM", form, "We're sorry! Free coffee next time?")
    assert wait_for(lambda: "waiting for approval" in card_text(fake_slack.card_update(ts)))
    assert buttons(fake_slack.card_update(ts)) == ["mention_approve", "mention_edit", "mention_reject"]
    assert fake_x.created == []

    ws.click("U0TOM", "mention_approve", mention_id, ts)  # staff cannot approve their own
    assert wait_for(lambda: any("Only the people in REPLY_APPROVERS" in e["text"] for e in fake_slack.ephemeral))
    assert fake_x.created == []

    ws.click("U0OWNER", "mention_approve", mention_id, ts)
    assert wait_for(lambda: fake_x.created)
    assert fake_x.created == [
        {"text": "We're sorry! Free coffee next time?", "reply": {"in_reply_to_tweet_id": tweet["id"]}}
    ]
    assert wait_for(
        lambda: "Replied by Tom Reyes, approved by Sam (owner), in" in card_text(fake_slack.card_update(ts))
    )
    events = ws.events(mention_id)
    assert [(e["action"], e["actor_name"]) for e in events] == [
        ("submitted", "Tom Reyes"),
        ("approved", "Sam (owner)"),
        ("replied", "Tom Reyes"),
    ]
    # The response time counts to the approved post, not to the draft.
    assert ws.mention(mention_id)["first_replied_at"] == events[2]["at"] > events[0]["at"]

    ws.click("U0OWNER", "mention_approve", mention_id, ts)  # an old card clicked again
    assert wait_for(lambda: any("already replied" in e["text"] for e in fake_slack.ephemeral))
    assert len(fake_x.created) == 1


def test_an_approver_can_reject_a_draft_and_nothing_is_posted(workspace_for, card, fake_x, fake_slack):
    ws = workspace_for(**POSTING, REPLY_APPROVERS="U0OWNER")
    mention_id, ts, _ = card(ws)
    ws.click("U0TOM", "mention_reply", mention_id, ts)
    assert wait_for(lambda: fake_slack.views_opened)
    ws.submit("U0TOM", fake_slack.views_opened[0]["view"], "lol our bad")
    assert wait_for(lambda: ws.mention(mention_id)["status"] == "pending")
    ws.click("U0OWNER", "mention_reject", mention_id, ts)
    assert wait_for(lambda: ws.mention(mention_id)["status"] == "claimed")
    assert ws.mention(mention_id)["actor_name"] == "Tom Reyes"  # back with its writer
    assert [e["action"] for e in ws.events(mention_id)] == ["submitted", "rejected"]
    assert wait_for(lambda: any("did not approve Tom Reyes's reply" in n["text"] for n in fake_slack.thread_notes))
    assert fake_x.created == []


def test_dismiss_with_a_reason_then_reopen_and_a_click_on_an_old_card(workspace_for, card, fake_slack):
    ws = workspace_for()
    mention_id, ts, _ = card(ws)
    ws.click("U0MARIA", "mention_dismiss", mention_id, ts)
    assert wait_for(lambda: fake_slack.views_opened)
    ws.submit("U0MARIA", fake_slack.views_opened[0]["view"], "a regular, joking")
    assert wait_for(lambda: "No reply needed — Maria: a regular, joking" in card_text(fake_slack.card_update(ts)))
    [dismissed] = ws.events(mention_id)
    assert (dismissed["action"], dismissed["note"]) == ("dismissed", "a regular, joking")

    updates = len(fake_slack.updated)
    ws.click("U0TOM", "mention_claim", mention_id, ts)  # the card on Tom's screen was not redrawn yet
    assert wait_for(lambda: any("marked this as no reply needed" in e["text"] for e in fake_slack.ephemeral))
    assert wait_for(lambda: len(fake_slack.updated) == updates + 1)  # and now it is
    assert len(ws.events(mention_id)) == 1

    ws.click("U0TOM", "mention_reopen", mention_id, ts)
    assert wait_for(lambda: ws.mention(mention_id)["status"] == "new")
    assert wait_for(lambda: "Reopened by Tom Reyes" in card_text(fake_slack.card_update(ts)))
    assert buttons(fake_slack.card_update(ts)) == ["mention_claim", "mention_reply", "mention_dismiss"]
    assert [e["action"] for e in ws.events(mention_id)] == ["dismissed", "reopened"]


def test_an_approver_can_edit_a_draft_and_send_it(workspace_for, card, fake_x, fake_slack):
    ws = workspace_for(**POSTING, REPLY_APPROVERS="U0OWNER")
    mention_id, ts, tweet = card(ws)
    ws.click("U0TOM", "mention_reply", mention_id, ts)
    assert wait_for(lambda: fake_slack.views_opened)
    ws.submit("U0TOM", fake_slack.views_opened[0]["view"], "sorry!!! our bad lol")
    assert wait_for(lambda: ws.mention(mention_id)["status"] == "pending")

    ws.click("U0TOM", "mention_edit", mention_id, ts)  # only approvers may edit
    assert wait_for(
        lambda: any("Only the people in REPLY_APPROVERS can edit" in e["text"] for e in fake_slack.ephemeral)
    )
    ws.click("U0OWNER", "mention_edit", mention_id, ts)
    assert wait_for(lambda: len(fake_slack.views_opened) == 2)
    form = fake_slack.views_opened[1]["view"]
    assert next(b for b in form["blocks"] if b["type"] == "input")["element"]["initial_value"] == "sorry!!! our bad lol"
    assert form["submit"]["text"] == "Send reply"
    ws.submit("U0OWNER", form, "We're sorry, Maria. Could you DM us your order number?")
    assert wait_for(lambda: fake_x.created)
    assert fake_x.created[0]["text"] == "We're sorry, Maria. Could you DM us your order number?"
    assert wait_for(
        lambda: any("Sam (owner) edited Tom Reyes's draft and replied" in n["text"] for n in fake_slack.thread_notes)
    )
    assert [e["action"] for e in ws.events(mention_id)] == ["submitted", "replied"]


def test_a_reply_x_never_confirmed_is_not_sent_again_and_is_found_on_the_next_poll(
    workspace_for, card, fake_x, fake_slack
):
    ws = workspace_for(**POSTING)
    mention_id, ts, tweet = card(ws)
    ws.click("U0MARIA", "mention_reply", mention_id, ts)
    assert wait_for(lambda: fake_slack.views_opened)
    form = fake_slack.views_opened[0]["view"]
    fake_x.fail_next("/2/tweets", Reply(201, "<html>upstream connect error</html>"))  # an answer that cannot be read
    ws.submit("U0MARIA", form, "Sorry Maria, we're on it")
    assert wait_for(lambda: fake_slack.views_updated)
    assert "may or may not be on X" in json.dumps(fake_slack.views_updated[-1]["view"])
    assert ws.events(mention_id) == []

    # Sending again now could post it twice, so it is refused until X has been checked.
    again = ws.submit("U0MARIA", form, "Sorry Maria, we're on it")
    assert again["response_action"] == "errors" and "sending a reply right now" in next(iter(again["errors"].values()))
    ws.click("U0TOM", "mention_dismiss", mention_id, ts)
    assert wait_for(lambda: any("sending a reply right now" in e["text"] for e in fake_slack.ephemeral))

    fake_x.own_post("Sorry Maria, we're on it", in_reply_to=tweet["id"])  # it did go out
    assert ws.poll().replies_found == 1
    assert [(e["action"], e["via"]) for e in ws.events(mention_id)] == [("replied", "platform")]
    assert ws.mention(mention_id)["sending_at"] is None


def test_a_form_slack_could_not_open_in_time_says_to_click_again(workspace_for, card, fake_slack):
    ws = workspace_for()
    mention_id, ts, _ = card(ws)
    fake_slack.fail_next("views.open", Reply(200, {"ok": False, "error": "expired_trigger_id"}))
    ws.click("U0MARIA", "mention_reply", mention_id, ts)
    assert wait_for(lambda: fake_slack.ephemeral)
    assert "click the button again" in fake_slack.ephemeral[0]["text"] and fake_slack.ephemeral[0]["user"] == "U0MARIA"
    assert ws.events(mention_id) == []


def test_a_reply_sent_from_a_form_closed_meanwhile_still_updates_the_card(
    workspace_for, card, fake_x, fake_slack, caplog
):
    ws = workspace_for(**POSTING)
    mention_id, ts, _ = card(ws)
    ws.click("U0MARIA", "mention_reply", mention_id, ts)
    assert wait_for(lambda: fake_slack.views_opened)
    form = fake_slack.views_opened[0]["view"]
    # The person closes the form while it says "Sending…": Slack then answers not_found to views.update.
    fake_slack.fail_next("views.update", Reply(200, {"ok": False, "error": "not_found"}))

    ws.submit("U0MARIA", form, "So sorry Maria! Please DM us and we'll make it right.")

    assert wait_for(lambda: fake_slack.card_update(ts) and "Replied by Maria" in card_text(fake_slack.card_update(ts)))
    assert len(fake_x.created) == 1
    # Ours only: a thread another test left may still be talking to that test's stopped fake.
    assert not [r for r in caplog.records if r.levelname == "ERROR" and r.name.startswith("bot")]


def test_a_bug_in_a_listener_is_logged_with_its_traceback_and_the_person_is_told(
    workspace_for, card, fake_slack, monkeypatch, caplog
):
    from handlers.desk import Desk

    ws = workspace_for()
    mention_id, ts, _ = card(ws)

    def buggy_claim(self, *args, **kwargs):  # a bug of ours, as an edit could make it
        raise RuntimeError("boom")

    monkeypatch.setattr(Desk, "claim", buggy_claim)
    assert ws.click("U0MARIA", "mention_claim", mention_id, ts) == 200  # acknowledged before the work runs

    assert wait_for(lambda: fake_slack.ephemeral)
    [note] = fake_slack.ephemeral
    assert note["user"] == "U0MARIA" and "problem of its own" in note["text"] and "boom" not in note["text"]
    assert wait_for(lambda: any(r.exc_info and r.exc_info[0] is RuntimeError for r in caplog.records))
    assert ws.events(mention_id) == []
