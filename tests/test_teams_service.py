"""Listening Post in a Teams channel, end to end: the real SDK behind the bot's own web server, signed activities
as Teams sends them, cards posted to a fake Bot Connector, replies to the fake X, the channel read through a fake Graph."""

from __future__ import annotations

import json
from importlib.util import find_spec

import pytest

pytestmark = [
    pytest.mark.skipif(
        find_spec("microsoft_teams") is None, reason="Teams' SDK is the `teams` extra (requirements-teams.txt)"
    ),
    pytest.mark.xdist_group("teams"),
]

from tests.fakes import x_api  # noqa: E402
from tests.fakes.server import Reply  # noqa: E402
from tests.fakes.teams_graph import CHANNEL  # noqa: E402
from tests.helpers import wait_for  # noqa: E402
from tests.teams_workspace import PEOPLE, dialog_card, words  # noqa: E402

COMPLAINT = "@bramblecafe my latte was cold and nobody answered the phone"
MARIA, SAM, OWNER = (PEOPLE[who][2] for who in ("maria", "sam", "owner"))


def buttons(content: dict) -> list[str]:
    return [
        a.get("data", {}).get("action") or a.get("data", {}).get("dialog_id") or a["title"] for a in content["actions"]
    ]


def carded(ws, fake_x, text: str = COMPLAINT) -> tuple[str, str]:
    """A tweet polled into the channel: (mention id, card's message id)."""
    tweet = fake_x.tweet(text, author_id="1001")
    before = len(ws.cards())
    report = ws.poll()
    assert not report.failed, report.reason
    assert len(ws.cards()) == before + 1
    return f"x:{tweet['id']}", ws.cards()[-1]["id"]


def test_cards_wait_for_a_channel_then_arrive_in_the_one_the_bot_was_added_to(teams_for, fake_x):
    ws = teams_for()
    fake_x.tweet(COMPLAINT, author_id="1001")

    report = ws.poll()
    assert report.failed and "add the app to a team" in report.reason
    assert ws.cards() == []

    assert ws.install() == 200
    [welcome] = ws.cards()
    assert "Listening Post is here" in words(welcome["attachments"][0]["content"])

    assert not ws.poll().failed
    [_, card] = ws.cards()
    content = card["attachments"][0]["content"]
    assert content["type"] == "AdaptiveCard" and content["version"] == "1.5"
    assert "my latte was cold" in words(content) and "Maria López" in words(content)
    assert buttons(content)[:3] == ["claim", "reply", "dismiss"]


def test_claim_redraws_the_card_for_everyone_notes_it_and_logs_who(teams_for, fake_x):
    ws = teams_for()
    ws.install()
    mention_id, card_id = carded(ws, fake_x)

    status, answer = ws.press("maria", "claim", mention_id, card_id)

    assert status == 200 and answer["type"] == "application/vnd.microsoft.card.adaptive"
    assert "Claimed by Maria" in words(answer["value"])  # Maria's card, at once
    redrawn = ws.card_of(card_id)  # everyone's card, updated in place
    assert "Claimed by Maria" in words(redrawn) and "Take over" in words(redrawn)
    assert any("Maria" in words(note["attachments"][0]["content"]) for note in ws.thread(card_id))
    [event] = ws.events(mention_id)
    assert (event["action"], event["actor_id"], event["actor_name"]) == ("claimed", MARIA, "Maria")

    # Sam's click on the same button claims nothing: he is told who has it, and can take it over.
    status, answer = ws.press("sam", "claim", mention_id, card_id)
    assert answer["type"] == "application/vnd.microsoft.activity.message" and "Maria" in answer["value"]
    assert len(ws.events(mention_id)) == 1
    ws.press("sam", "takeover", mention_id, card_id)
    assert "Claimed by Sam" in words(ws.card_of(card_id))


def test_a_forged_or_unsigned_press_gets_401_and_changes_nothing(teams_for, fake_x):
    ws = teams_for()
    ws.install()
    mention_id, card_id = carded(ws, fake_x)

    assert ws.press("maria", "claim", mention_id, card_id, signed=False)[0] == 401
    forged = ws.connector.sign(aud="someone-elses-bot")
    assert ws.press("maria", "claim", mention_id, card_id, authorization=f"Bearer {forged}")[0] == 401

    assert ws.events(mention_id) == []
    assert "Claimed" not in words(ws.card_of(card_id))


def test_reply_opens_a_dialog_posts_to_x_and_the_card_shows_who_replied(teams_for, fake_x):
    ws = teams_for(**x_api.POSTING_KEYS)
    ws.install()
    mention_id, card_id = carded(ws, fake_x)

    status, opened = ws.open_dialog("maria", "reply", mention_id)
    assert status == 200
    dialog = dialog_card(opened)
    box = next(e for e in dialog["body"] if e.get("id") == "text")
    assert box["value"] and "up to 280 characters on X" in box["label"]  # pre-filled with the first suggestion

    _, too_long = ws.submit_dialog("maria", opened, "Send reply", text="咖" * 141)  # X counts these twice: 282
    assert "Shorten it by 2" in words(dialog_card(too_long))
    assert next(e for e in dialog_card(too_long)["body"] if e.get("id") == "text")["value"] == "咖" * 141  # kept
    assert fake_x.created == []

    _, sent = ws.submit_dialog(
        "maria", opened, "Send reply", text="So sorry Maria! Please DM us and we'll make it right."
    )
    assert sent["task"] == {"type": "message", "value": "Your reply is on X."}
    assert fake_x.created == [
        {
            "text": "So sorry Maria! Please DM us and we'll make it right.",
            "reply": {"in_reply_to_tweet_id": mention_id[2:]},
        }
    ]
    assert wait_for(lambda: "Replied by Maria" in words(ws.card_of(card_id)))
    assert buttons(ws.card_of(card_id))[0] == "reopen"

    _, again = ws.submit_dialog("maria", opened, "Send reply", text="So sorry Maria!")  # a double click
    assert "already" in words(dialog_card(again)) and len(fake_x.created) == 1


def test_a_suggestion_picked_in_the_dialog_fills_the_box(teams_for, fake_x):
    ws = teams_for(**x_api.POSTING_KEYS)
    ws.install()
    mention_id, _ = carded(ws, fake_x)
    _, opened = ws.open_dialog("maria", "reply", mention_id)
    menu = next(e for e in dialog_card(opened)["body"] if e.get("id") == "start")
    last = menu["choices"][-1]

    _, picked = ws.submit_dialog("maria", opened, "Use the suggestion", start=last["value"], text="")

    box = next(e for e in dialog_card(picked)["body"] if e.get("id") == "text")
    assert box["value"].startswith(last["title"].rstrip("…")[:40])


def test_an_unconfirmed_card_is_found_in_the_channel_and_never_posted_twice(teams_for, fake_x):
    ws = teams_for()
    ws.install()
    fake_x.tweet(COMPLAINT, author_id="1001")
    ws.connector.lose_answers = 1  # Teams posts the card but answers 500

    first = ws.poll()
    assert first.failed and "checked for it" in first.reason
    assert len(ws.cards()) == 2  # the welcome and the card

    assert not ws.poll().failed  # found through Graph: recorded, not sent again
    assert len(ws.cards()) == 2
    card_id = ws.cards()[-1]["id"]
    mention_id = json.loads(json.dumps(ws.card_of(card_id)))["actions"][0]["data"]["mention_id"]
    assert ws.press("maria", "claim", mention_id, card_id)[0] == 200
    assert "Claimed by Maria" in words(ws.card_of(card_id))


def test_commands_are_answered_in_the_channel_thread_and_in_a_personal_chat(teams_for, fake_x):
    ws = teams_for()
    ws.install()
    carded(ws, fake_x)
    thread = f"{CHANNEL};messageid=1699999999999"

    assert ws.say("maria", "queue", thread)[0] == 200
    [answer] = [a for a in ws.connector.activities if a["conversation_id"] == thread]
    assert "my latte was cold" in words(answer["attachments"][0]["content"])

    ws.say("maria", "whoami", "a:personal-chat-maria", mention_bot=False)
    [mine] = [a for a in ws.connector.activities if a["conversation_id"] == "a:personal-chat-maria"]
    assert MARIA in words(mine["attachments"][0]["content"])

    ws.say("maria", "stast", "a:personal-chat-maria", mention_bot=False)
    typo = words(ws.connector.activities[-1]["attachments"][0]["content"], sep="")
    assert "I don't know @Listening Post stast" in typo and "@Listening Post stats" in typo

    before = len(ws.connector.activities)
    ws.say("sam", "lunch anyone?", thread, mention_bot=False)  # not to the bot
    assert len(ws.connector.activities) == before


def test_the_chart_arrives_as_a_picture_within_teams_message_size(teams_for, fake_x):
    ws = teams_for()
    ws.install()
    carded(ws, fake_x)

    assert ws.say("maria", "chart 30d", "a:personal-chat-maria", mention_bot=False)[0] == 200

    content = ws.connector.activities[-1]["attachments"][0]["content"]
    [image] = [e for e in content["body"] if e["type"] == "Image"]
    assert image["url"].startswith("data:image/png;base64,")


def test_with_approvers_a_staff_reply_waits_and_only_an_approver_sends_it(teams_for, fake_x):
    ws = teams_for(**x_api.POSTING_KEYS, REPLY_APPROVERS=OWNER)
    ws.install()
    mention_id, card_id = carded(ws, fake_x)
    _, opened = ws.open_dialog("maria", "reply", mention_id)

    _, asked = ws.submit_dialog("maria", opened, "Ask for approval", text="Sorry Maria, we'll fix it!")
    assert asked["task"]["type"] == "message" and fake_x.created == []
    assert buttons(ws.card_of(card_id))[:3] == ["approve", "edit", "reject"]

    _, refused = ws.press("maria", "approve", mention_id, card_id)
    assert refused["type"] == "application/vnd.microsoft.activity.message" and fake_x.created == []
    _, edit = ws.open_dialog("maria", "edit", mention_id)
    assert "Only the people in REPLY_APPROVERS" in edit["task"]["value"]

    ws.press("owner", "approve", mention_id, card_id)
    assert [c["text"] for c in fake_x.created] == ["Sorry Maria, we'll fix it!"]
    assert wait_for(lambda: "Replied by Maria" in words(ws.card_of(card_id)))


def test_a_reminder_calls_on_the_person_who_claimed_it_by_name(teams_for, fake_x):
    ws = teams_for()
    ws.install()
    mention_id, card_id = carded(ws, fake_x)
    ws.press("maria", "claim", mention_id, card_id)
    from bot.models import ChatRef

    assert ws.teams_sink.note(ChatRef("teams", CHANNEL, card_id), "Still waiting after 1 h.", (MARIA,))

    nudge = ws.thread(card_id)[-1]["attachments"][0]["content"]
    assert nudge["msteams"]["entities"] == [
        {"type": "mention", "text": "<at>Maria</at>", "mentioned": {"id": MARIA, "name": "Maria"}}
    ]
    assert nudge["body"][0]["text"] == "<at>Maria</at>" and "Still waiting" in words(nudge)


def test_removed_from_the_team_cards_wait_until_it_is_added_again(teams_for, fake_x):
    ws = teams_for()
    ws.install()
    assert ws.install("removed") == 200
    fake_x.tweet(COMPLAINT, author_id="1001")

    assert "add the app to a team" in ws.poll().reason

    ws.install()
    assert not ws.poll().failed
    assert "my latte was cold" in words(ws.cards()[-1]["attachments"][0]["content"])


def test_slack_and_teams_at_once_show_the_same_card_and_an_action_on_either_redraws_both(teams_for, fake_x, fake_slack):
    ws = teams_for(slack=True)
    ws.install()
    mention_id, card_id = carded(ws, fake_x)
    [slack_card] = fake_slack.posted
    assert "my latte was cold" in json.dumps(slack_card["blocks"])

    assert ws.slack_side.click("U0MARIA", "mention_claim", mention_id, slack_card["ts"]) == 200
    assert wait_for(lambda: "Claimed by Maria" in words(ws.card_of(card_id)))  # on Teams too

    ws.press("sam", "reopen", mention_id, card_id)
    assert wait_for(lambda: "mention_claim" in json.dumps(fake_slack.card_update(slack_card["ts"]) or {}))
    assert [e["action"] for e in ws.events(mention_id)] == ["claimed", "reopened"]  # one row per action


def test_one_platform_s_trouble_holds_back_only_its_own_cards(teams_for, fake_x, fake_slack):
    ws = teams_for(slack=True)  # Teams not added to a team yet
    fake_x.tweet(COMPLAINT, author_id="1001")

    report = ws.poll()

    assert len(fake_slack.posted) == 1 and ws.cards() == []
    assert report.post_error.startswith("Microsoft Teams: Teams has no channel")
    ws.install()
    assert not ws.poll().failed
    assert "my latte was cold" in words(ws.cards()[-1]["attachments"][0]["content"])
    assert len(fake_slack.posted) == 1  # not posted twice on Slack


def test_a_reply_x_refuses_is_explained_in_the_dialog_with_the_text_kept(teams_for, fake_x):
    ws = teams_for(**x_api.POSTING_KEYS)
    ws.install()
    mention_id, card_id = carded(ws, fake_x)
    _, opened = ws.open_dialog("maria", "reply", mention_id)
    fake_x.fail_next("/2/tweets", Reply(403, x_api.DUPLICATE))

    _, refused = ws.submit_dialog("maria", opened, "Send reply", text="Thanks Maria!")

    dialog = dialog_card(refused)
    assert "already posted exactly this text" in words(dialog)
    assert next(e for e in dialog["body"] if e.get("id") == "text")["value"] == "Thanks Maria!"
    assert ws.events(mention_id) == [] and "Replied" not in words(ws.card_of(card_id))


def test_a_reminder_from_the_scheduler_calls_on_the_claimer_in_the_card_s_thread(teams_for, fake_x):
    from bot import wiring

    ws = teams_for(REPLY_TARGET_MINUTES="1")
    ws.install()
    mention_id, card_id = carded(ws, fake_x)  # the tweet is 5 minutes old: past the 1-minute target
    ws.press("maria", "claim", mention_id, card_id)

    assert wiring.reminder_job(ws.settings, ws.sink)() == 1

    [nudge] = [a for a in ws.thread(card_id) if "entities" in json.dumps(a)]
    content = nudge["attachments"][0]["content"]
    assert content["msteams"]["entities"][0]["mentioned"] == {"id": MARIA, "name": "Maria"}
    assert "waiting" in words(content).lower() or "waited" in words(content).lower()
    assert wiring.reminder_job(ws.settings, ws.sink)() == 0  # never twice


def test_doctor_signs_in_for_real_and_says_whether_a_channel_is_known(teams_for, fake_x, bot):
    ws = teams_for()
    env = {k: v for k, v in ws.settings_env.items()}

    before = bot("doctor", env=env)
    assert "✓ Teams: the bot signs in at Microsoft" in before.stdout
    assert "✗ Teams: no team channel yet" in before.stdout and before.returncode == 1

    ws.install()
    after = bot("doctor", env=env)
    assert "✓ Teams: cards go to the team Bramble Café" in after.stdout
    wrong = bot("doctor", env={**env, "TEAMS_CLIENT_SECRET": "not~the~secret~at~all"})
    assert "✗ Teams: Microsoft refused the bot's sign-in: TEAMS_CLIENT_SECRET is not this app's secret" in wrong.stdout
    assert "not~the~secret~at~all" not in wrong.stdout + wrong.stderr


def test_cards_here_moves_new_cards_to_the_channel_it_is_typed_in(teams_for, fake_x):
    ws = teams_for()
    ws.install()
    other = "19:b1a2c3d4e5f60000000000000000000@thread.tacv2"
    other_thread = f"{other};messageid=1699999999990"

    assert ws.say("owner", "cards here", other_thread)[0] == 200
    assert "new cards come to this channel" in words(ws.connector.activities[-1]["attachments"][0]["content"])

    fake_x.tweet(COMPLAINT, author_id="1001")
    assert not ws.poll().failed
    [card] = [a for a in ws.connector.activities if a["conversation_id"] == other]
    assert "my latte was cold" in words(card["attachments"][0]["content"])

    ws.say("owner", "cards here", "a:personal-chat-olive", mention_bot=False)
    assert "Type this in the team channel" in words(ws.connector.activities[-1]["attachments"][0]["content"])


def test_public_in_a_personal_chat_posts_the_report_in_the_team_s_channel(teams_for, fake_x):
    ws = teams_for()
    ws.install()
    carded(ws, fake_x)

    ws.say("maria", "stats 30d public", "a:personal-chat-maria", mention_bot=False)

    assert "Posted in the team's channel." in words(ws.connector.activities[-1]["attachments"][0]["content"])
    report_in_channel = ws.cards()[-1]["attachments"][0]["content"]
    assert "Mentions, last 30 days" in words(report_in_channel)


def test_a_press_teams_sends_again_gets_the_first_answer_and_acts_once(teams_for, fake_x):
    ws = teams_for()
    ws.install()
    mention_id, card_id = carded(ws, fake_x)
    reopen = ws.activity(
        "invoke",
        "sam",
        f"{CHANNEL};messageid={card_id}",
        name="adaptiveCard/action",
        value={
            "action": {
                "type": "Action.Execute",
                "verb": "reopen",
                "data": {"action": "reopen", "mention_id": mention_id},
            }
        },
    )
    ws.press("maria", "claim", mention_id, card_id)
    first = ws.send(reopen)
    ws.press("owner", "claim", mention_id, card_id)

    again = ws.send(reopen)  # Teams did not hear back in time and sends the same activity again

    assert again == first
    assert [e["action"] for e in ws.events(mention_id)] == ["claimed", "reopened", "claimed"]
    assert "Claimed by Olive" in words(ws.card_of(card_id))  # Olive's claim stands


def test_a_card_teams_refuses_goes_out_minimal_and_one_refused_even_so_is_set_aside(teams_for, fake_x):
    ws = teams_for()
    ws.install()
    refused = Reply(400, {"error": {"code": "BadArgument", "message": "Invalid Adaptive Card"}})
    ws.connector.fail_next(f"{CHANNEL}/activities", refused)  # the full card

    fake_x.tweet(COMPLAINT, author_id="1001")
    assert not ws.poll().failed
    minimal = ws.cards()[-1]["attachments"][0]["content"]
    assert "my latte was cold" in words(minimal) and "Suggested replies" not in words(minimal)

    ws.connector.fail_next(f"{CHANNEL}/activities", refused, refused)  # full and minimal
    fake_x.tweet("@bramblecafe is the terrace open today?", author_id="1001")
    fake_x.tweet("@bramblecafe thanks for the lovely cake", author_id="1001")
    report = ws.poll()

    assert report.refused == 1 and report.posted == 1
    assert "lovely cake" in words(ws.cards()[-1]["attachments"][0]["content"])
