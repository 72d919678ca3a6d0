"""Suggestions learn from the team: the reply sent to a similar mention comes first, re-addressed, its specifics marked."""

from __future__ import annotations

import json
from datetime import UTC, datetime

from bot import learned
from bot.models import Mention
from storage import open_db, team_replies
from storage.db import exclusive
from tests.fakes import x_api
from tests.helpers import wait_for

SENT = "Hi Maria, so sorry about the cold latte on order #48213, we've refunded £4.20 to your card. Come back soon!"


def suggestions_of(card: dict) -> list[str]:
    section = next(b for b in card["blocks"] if b["type"] == "section" and "Suggested replies" in b["text"]["text"])
    return [line.split(". ", 1)[1] for line in section["text"]["text"].splitlines()[1:]]


def test_after_one_reply_a_similar_complaint_is_offered_the_teams_words(workspace_for, card, fake_x, fake_slack):
    ws = workspace_for(**x_api.POSTING_KEYS)
    mention_id, ts, _ = card(ws, "@bramblecafe my latte was cold and the milk tasted off", "1001")
    ws.click("U0MARIA", "mention_reply", mention_id, ts)
    assert wait_for(lambda: fake_slack.views_opened)
    ws.submit("U0MARIA", fake_slack.views_opened[-1]["view"], SENT)
    assert wait_for(lambda: len(fake_x.created) == 1)
    assert wait_for(lambda: ws.mention(mention_id)["status"] == "replied")  # recorded just after X took it

    fake_x.tweet("@bramblecafe cold latte again this morning, milk tasted off too", author_id="1002")
    fake_x.tweet(
        "@bramblecafe do you do oat milk in a latte?", author_id="1002"
    )  # a question: never a complaint's answer
    assert ws.poll().posted == 2
    complaint, question = fake_slack.posted[-2:]

    first = suggestions_of(complaint)[0]
    assert (
        first
        == "Hi, so sorry about the cold latte on order [number], we've refunded [amount] to your card. Come back soon!"
    )
    notes = [b["elements"][0]["text"] for b in complaint["blocks"] if b["type"] == "context"]
    assert any(
        n.startswith("💬 The first suggestion is like Maria's reply on") and "fill in the [marked] parts" in n
        for n in notes
    )
    assert all("refunded" not in s for s in suggestions_of(question))
    assert "💬" not in json.dumps(question["blocks"], ensure_ascii=False)


def past(reply: str, handle: str = "maria_eats", name: str = "Maria López") -> team_replies.PastReply:
    return team_replies.PastReply("x:1", "cold latte", handle, name, reply, "Sam", datetime(2026, 11, 3, tzinfo=UTC), 2)


def test_the_old_case_s_specifics_never_reach_the_new_customer():
    new = Mention("x", "2", "tomwrites", "Tom Becker", "cold latte", "", datetime(2026, 12, 1, tzinfo=UTC))
    text, note = learned.readdress(
        past(
            "@maria_eats Maria, call us on 01904 555019 or email sam@bramble.example, "
            "we close at 5pm on 3 Nov: https://bramble.example/refund"
        ),
        new,
    )
    assert text == "@tomwrites, call us on [number] or email [email], we close at [time] on [date]: [link]"
    assert note == "💬 The first suggestion is like Sam's reply on 3 Nov: fill in the [marked] parts before sending."
    assert learned.readdress(past("Thanks Maria, see you soon!"), new) == (
        "Thanks, see you soon!",
        "💬 The first suggestion is like Sam's reply on 3 Nov.",
    )


def test_only_mentions_alike_in_words_intent_and_mood_are_matched(db):
    row = {
        "id": "x:1",
        "source": "x",
        "intent": "complaint",
        "label": "negative",
        "text": "my latte was cold and bitter",
        "author_handle": "maria_eats",
        "author_name": "Maria",
    }
    with exclusive(db):
        team_replies.keep(db, row, "So sorry, we'll make it right.", "Sam", datetime(2026, 11, 3, tzinfo=UTC))
    assert team_replies.similar(db, "cold bitter latte today", "complaint", "negative")
    assert not team_replies.similar(db, "cold bitter latte today", "question", "neutral")  # another intent
    assert not team_replies.similar(db, "cold bitter latte today", "complaint", "positive")  # the opposite mood
    assert not team_replies.similar(
        db, "the latte was fine", "complaint", "negative"
    )  # one word in common is not alike
    assert team_replies.similar(db, 'cold" OR latte* NEAR( bitter', "complaint", "negative")  # FTS syntax is only words


def test_the_triage_command_offers_the_teams_words_when_a_database_is_given(env, settings, bot):

    db = open_db(settings.database_path)
    row = {
        "id": "x:1578",
        "source": "x",
        "intent": "complaint",
        "label": "negative",
        "text": "my latte was cold and bitter",
        "author_handle": "maria_eats",
        "author_name": "Maria",
    }
    with exclusive(db):
        team_replies.keep(
            db,
            row,
            "So sorry about that latte, come back and the next one is on us.",
            "Sam",
            datetime(2026, 11, 3, tzinfo=UTC),
        )
    db.close()
    result = bot("triage", env=env, stdin="cold bitter latte again, really disappointing\n")
    [line] = [json.loads(x) for x in result.stdout.splitlines()]
    assert line["suggestions"][0] == "So sorry about that latte, come back and the next one is on us."
    assert line["note"].startswith("💬 The first suggestion is like Sam's reply on 3 Nov")


def test_a_complaint_of_harm_keeps_its_careful_reply_first(db):
    from bot import learned as learn
    from bot.models import Triage

    row = {
        "id": "x:1578",
        "source": "x",
        "intent": "complaint",
        "label": "negative",
        "text": "the chicken wrap was cold and dry",
        "author_handle": "maria_eats",
        "author_name": "Maria",
    }
    with exclusive(db):
        team_replies.keep(
            db, row, "Sorry the wrap was cold! Next one's on us.", "Sam", datetime(2026, 11, 3, tzinfo=UTC)
        )
    careful = "I'm so sorry to hear you were unwell. Please DM us: our manager will follow up with you personally."
    mention = Mention(
        "x",
        "2",
        "tomwrites",
        "Tom Becker",
        "food poisoning from your chicken wrap",
        "",
        datetime(2026, 12, 1, tzinfo=UTC),
    )
    triage = Triage(-0.8, "negative", "complaint", "high", (careful, "Another careful reply."), harm="health")
    result = learn.with_team_reply(db, mention, triage)
    assert result.suggestions[0] == careful and result.suggestions[1] == "Sorry the wrap was cold! Next one's on us."
    assert result.note == ""
