"""Do the suggestions help? Each reply written in the form is counted as sent as suggested, edited, or written anew."""

from __future__ import annotations

import csv
import io

from bot import wiring
from bot.models import Triage
from bot.report import plain
from handlers import stats
from handlers.actions import suggestion_use
from tests.fakes import x_api
from tests.helpers import wait_for

SUGGESTED = (
    "Hi Maria, I'm really sorry about the cold latte. Could you DM us so we can put it right?",
    "Thanks for telling us, Maria. We'll look into it today.",
)


def test_how_a_suggestion_was_used_is_told_apart():
    triage = Triage(-0.5, "negative", "complaint", "high", SUGGESTED)
    assert suggestion_use(triage, 0, "  " + SUGGESTED[0] + "\n") == (0, "as_is")
    assert suggestion_use(triage, 0, SUGGESTED[0].replace("really ", "so ")) == (0, "edited")
    assert suggestion_use(triage, 1, "Thanks for telling us, Maria. We'll look into it this morning!") == (1, "edited")
    assert suggestion_use(triage, 0, "Call us on 0161 555 0199 and ask for Sam.") == (0, "own")
    assert suggestion_use(triage, None, SUGGESTED[0]) is None  # the form did not begin from a suggestion
    assert suggestion_use(triage, 7, SUGGESTED[0]) is None  # an index the mention never had


def send_from_form(ws, fake_slack, mention_id: str, ts: str, change=lambda suggested: suggested) -> None:
    """Open the reply form from the card and send what it holds, changed by `change`."""
    before = len(fake_slack.views_opened)
    ws.click("U0MARIA", "mention_reply", mention_id, ts)
    assert wait_for(lambda: len(fake_slack.views_opened) > before)
    form = fake_slack.views_opened[-1]["view"]
    suggested = next(b for b in form["blocks"] if b["type"] == "input")["element"]["initial_value"]
    ws.submit("U0MARIA", form, change(suggested))


def test_replies_sent_from_the_form_are_counted_in_stats_and_the_csv(workspace_for, card, fake_x, fake_slack, settings):
    ws = workspace_for(**x_api.POSTING_KEYS)
    as_is = card(ws, "@bramblecafe my latte was cold and nobody cared", "1001")
    edited = card(ws, "@bramblecafe the card machine is broken again", "1002")
    own = card(ws, "@bramblecafe nobody answered the phone all morning", "1001")

    send_from_form(ws, fake_slack, *as_is[:2])
    send_from_form(ws, fake_slack, *edited[:2], change=lambda s: s.rstrip(".!") + ", sorry again!")
    send_from_form(
        ws, fake_slack, *own[:2], change=lambda s: "Call us on 0161 555 0199 and ask for Sam, we'll sort it out."
    )

    def replied(mention_id: str) -> dict | None:
        return next((e for e in ws.events(mention_id) if e["action"] == "replied"), None)

    # Each reply is recorded just after X took it: wait for the records, not only for X.
    assert wait_for(lambda: all(replied(m[0]) for m in (as_is, edited, own)))
    assert len(fake_x.created) == 3
    uses = [replied(m[0])["suggestion_use"] for m in (as_is, edited, own)]
    assert uses == ["as_is", "edited", "own"]
    text = plain(wiring.reports(settings).stats(stats.period("7d", settings.business_hours)))
    assert "• Suggested replies: 1 of 3 sent as suggested (33 %), 1 edited, 1 written anew" in text
    db = wiring.open_db(settings)
    [today] = list(csv.DictReader(io.StringIO(stats.daily_csv(db, 1, settings.business_hours))))
    db.close()
    assert (today["suggestion_as_is"], today["suggestion_edited"], today["suggestion_own"]) == ("1", "1", "1")
