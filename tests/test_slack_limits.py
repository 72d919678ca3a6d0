"""Whatever a network or a person sends, every payload Listening Post builds for Slack is within Slack's limits.

Hostile mentions (huge texts, thousands of short lines, control characters, lone surrogates, Slack
markup, RTL marks, emoji, `&<>` storms, huge names and URLs) go through every builder; each payload is
checked with the same validator the fake Slack answers with, and with slack_sdk's block models.
"""

from __future__ import annotations

import json
import re

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from slack_sdk.models.blocks import Block
from slack_sdk.models.views import View

from bot.chat.slack import blocks as slack_blocks
from bot.chat.slack import reports, views
from bot.chat.slack.blocks import SAY_LIMIT, SECTION_LIMIT
from bot.chat.slack.listeners import answers
from bot.chat.slack.text import mrkdwn
from bot.models import Handling, Mention, Triage
from bot.report import Bold, CardLink, Code, Link, Report, line, report
from handlers.actions import ReplyForm
from tests.fakes.slack_api import message_problems, view_problems
from tests.strategies import NOW, handlings, hostile, mentions, triages, urls

# How many examples: the Hypothesis profile loaded in conftest.py.
EXAMPLES = settings(suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])


def assert_message_valid(message: dict) -> None:
    assert message_problems(message) is None, message_problems(message)
    for block in Block.parse_all(message.get("blocks") or []):
        block.validate_json()


def assert_view_valid(view: dict) -> None:
    assert view_problems(view) == [], view_problems(view)
    View(**view).validate_json()


def no_broken_entity(text: str) -> bool:
    return "&" not in re.sub(r"&(amp|lt|gt);", "", text)


@EXAMPLES
@given(mentions(), triages, st.none() | handlings)
def test_every_card_is_within_slacks_limits(mention, triage, handling):
    message = {
        "text": slack_blocks.fallback_text(mention, triage),
        "blocks": slack_blocks.card_blocks(mention, triage, handling),
    }

    assert_message_valid(message)
    assert len(message["text"]) <= slack_blocks.FALLBACK_LIMIT and "\n" not in message["text"]
    header, quoted = message["blocks"][0]["text"]["text"], message["blocks"][1]["text"]["text"]
    assert "\n" not in header and header.startswith("*") and header.count("*") == 2
    assert "<!" not in quoted.replace("<!date^", "") and "<@" not in quoted and no_broken_entity(quoted)
    assert all(line.startswith("> ") for line in quoted.split("\n"))
    assert "<!channel>" not in json.dumps(message) and "<@U0OWNER>" not in json.dumps(message)


@EXAMPLES
@given(mentions(), st.none() | handlings)
def test_the_minimal_card_is_within_slacks_limits(mention, handling):
    blocks = slack_blocks.minimal_blocks(mention, handling)
    assert_message_valid({"text": "x", "blocks": blocks})
    assert sum(len(b["text"]["text"]) for b in blocks if b["type"] == "section") < 1200


@EXAMPLES
@given(
    mentions(max_id=1900),
    triages,
    st.integers(1, 20000),
    st.booleans(),
    st.booleans(),
    st.none() | hostile(),
    hostile(),
    st.integers(0, 10**6),
)
def test_the_reply_form_is_within_slacks_limits(
    mention, triage, limit, can_send, needs_approval, typed, error, attempt
):
    form = ReplyForm(
        mention, triage, triage.suggestions[0] if triage.suggestions else "", limit, can_send, needs_approval, ""
    )
    view = views.reply_view(form, typed, error, attempt)

    assert_view_valid(view)
    boxes = [b["element"] for b in view["blocks"] if b["type"] == "input"]
    if mention.source == "rss":
        assert not boxes and view["submit"]["text"] == "I replied myself"
        assert "A feed cannot be answered from here" in json.dumps(view, ensure_ascii=False)
    assert all(box.get("max_length", 0) <= 3000 and len(box.get("initial_value", "")) <= 3000 for box in boxes)
    assert views.metadata(view)["id"] == mention.id


@EXAMPLES
@given(mentions(max_id=1900), triages, hostile(), urls())
def test_the_other_forms_are_within_slacks_limits(mention, triage, message, url):
    form = ReplyForm(mention, triage, "", 280, True, False, "")
    for view in (
        views.sending_view(form),
        views.done_view(form, message, url),
        views.done_view(form, message),
        views.dismiss_view(mention.id),
        views.gone_view(),
    ):
        assert_view_valid(view)


def permalink(channel: str, ts: str) -> str:
    return f"https://bramble.slack.com/archives/{channel}/p{ts.replace('.', '')}"


def as_report(text: str) -> Report:
    return report("", text.split("\n"))


@EXAMPLES
@given(hostile(), hostile(), hostile(20000))
def test_reports_and_the_home_tab_are_within_slacks_limits(stats, queue, said):
    lines = report(
        "",
        [line(f"• {queue[:50]}", CardLink("slack", "C0MENTIONS", f"1700000000.0000{i:02d}")) for i in range(15)],
    )
    for each in (as_report(said or "nothing"), lines, as_report(said) + lines):
        answer = mrkdwn(each, permalink, reports.REPLY_LIMIT)
        assert len(answer) <= 40000 and "<!channel>" not in answer
        assert_message_valid({"text": answer})
    waiting = lines + as_report(queue)
    view = reports.home_view(as_report(stats), waiting, NOW, permalink)
    assert_view_valid(view)
    links = view["blocks"][3]["text"]["text"].count("|open card>")
    assert links == 15 if len(mrkdwn(waiting, permalink, 10**6)) <= 3000 else links <= 15


pieces = st.one_of(
    hostile(3000),
    st.builds(Bold, hostile(300)),
    st.builds(Code, hostile(300)),
    st.builds(Link, urls(), hostile(300)),
    st.builds(CardLink, st.sampled_from(["slack", "console"]), st.text(max_size=20), st.text(max_size=20)),
)
report_lines = st.lists(st.lists(pieces, max_size=6).map(tuple), max_size=60).map(tuple)
random_reports = st.builds(Report, st.lists(pieces, max_size=3).map(tuple), report_lines)
OUR_LINK = re.compile(r"<https?://[^<>|]*\|[^<>|]*>")  # a Link or CardLink as `blocks.link` draws it


@EXAMPLES
@given(random_reports, st.sampled_from([SECTION_LIMIT, SAY_LIMIT, reports.REPLY_LIMIT]) | st.integers(1, 5000))
def test_any_report_drawn_for_slack_fits_and_escapes_every_plain_word(drawn, limit):
    text = mrkdwn(drawn, permalink, limit)
    assert len(text) <= limit and no_broken_entity(text)
    # Every < and > is one of our links: none comes from someone's words (no ping, no forged link).
    assert "<" not in OUR_LINK.sub("", text) and ">" not in OUR_LINK.sub("", text)
    if limit == SAY_LIMIT and text:  # as the digest and reminders are posted: the fake Slack takes it
        assert_message_valid({"text": text})
    if limit == SECTION_LIMIT:  # as the App Home tab draws it
        assert_view_valid(reports.home_view(drawn, drawn, NOW, permalink))
    if len(text) < len(mrkdwn(drawn, permalink, 10**7)):
        assert text.endswith(slack_blocks.ELLIPSIS)  # a cut is always marked


@EXAMPLES
@given(hostile(20000), st.text(min_size=1, max_size=2000))
def test_private_notes_are_within_slacks_limits(text, mention_id):
    assert_message_valid({"text": answers.private_note(text), "blocks": answers.takeover_question(text, mention_id)})


@EXAMPLES
@given(hostile(), st.integers(1, 4000))
def test_fit_and_quote_measure_after_escaping_and_never_split_an_entity(text, limit):
    fitted = slack_blocks.fit(text, limit)
    assert len(fitted) <= limit and no_broken_entity(fitted)
    quoted = slack_blocks.quote(text, max(limit, 8))
    assert len(quoted) <= max(limit, 8) and no_broken_entity(quoted)
    if len(slack_blocks.escape(text)) <= limit:
        assert fitted == slack_blocks.escape(text)
    else:
        assert fitted.endswith("…")


def test_a_long_word_after_an_early_space_is_cut_mid_word_not_dropped():
    fitted = slack_blocks.fit("@bramblecafe " + "x" * 4000, 3000)
    assert len(fitted) == 3000 and fitted.startswith("@bramblecafe xxx") and fitted.endswith("x…")
    text = "a few words " * 400
    fitted = slack_blocks.fit(text, 100)  # a word boundary when it costs little
    assert len(fitted) <= 100 and text.startswith(fitted[:-1]) and text[len(fitted) - 1] == " "


def test_fish_and_chips_is_quoted_within_3000_counting_the_prefixes():
    quoted = slack_blocks.quote("Fish & chips & tea\n" * 105)
    assert len(quoted) <= 3000 and quoted.endswith("…") and no_broken_entity(quoted)


def test_a_replied_reddit_card_with_a_long_reply_is_within_limits():
    mention = Mention("reddit", "t3_1", "sam", "Sam", "Bramble Café?", "https://www.reddit.com/r/x/1", NOW)
    handling = Handling(
        "replied", "Maria", NOW, "Thanks & see you soon! " * 400, "modal", "https://www.reddit.com/r/x/1/c", "", 60
    )
    blocks = slack_blocks.card_blocks(mention, Triage(0.5, "positive", "praise", "low", ()), handling)
    assert_message_valid({"text": "x", "blocks": blocks})
    reply = next(b["text"]["text"] for b in blocks if "View the reply" in b.get("text", {}).get("text", ""))
    assert len(reply) <= 3000 and reply.endswith("|View the reply>")
