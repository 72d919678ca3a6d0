"""A report is data: Slack draws it as escaped mrkdwn, the terminal as the words themselves."""

from __future__ import annotations

import io
import re
from datetime import UTC, datetime

from hypothesis import given
from hypothesis import strategies as st

from bot.chat.console import ConsoleSink
from bot.models import ChatRef, Mention, Triage
from bot.report import Bold, CardLink, Code, Link, Report, plain
from bot.text import clean
from storage import mentions as store
from tests.helpers import wait_for

SAID = "I *love* the <!channel> & `code` <https://evil.example|click>"


def test_a_customers_markup_reaches_slack_escaped_and_the_terminal_as_written(workspace_for, db, fake_slack, env, bot):
    ws = workspace_for()
    # Stored as a card in the channel (triage would hold a channel ping back as spam, and list it in /listen held).
    mention = Mention("x", "1", "maria_eats", "Maria", SAID, "https://x.com/maria_eats/status/1", datetime.now(UTC))
    store.save_mentions(db, [(mention, Triage(0.6, "positive", "praise", "low", ()))])
    store.mark_posted(db, mention.id, ChatRef("slack", "C0MENTIONS", "1700000000.000100"))
    assert ws.command("U0MARIA", "queue")[0] == 200
    assert wait_for(lambda: fake_slack.responses)
    answer = fake_slack.responses[-1]["text"]
    # No ping and no forged link: the only markup with < > is the card's own link.
    assert "I *love* the &lt;!channel&gt; &amp; `code` &lt;https://evil.example|click&gt;" in answer
    [card_link] = re.findall(r"<[^>]*>", answer)
    assert card_link == "<https://bramble.slack.com/archives/C0MENTIONS/p1700000000000100|open card>"

    printed = bot("stats", env=env)
    assert printed.returncode == 0, printed.stderr
    assert f"“{SAID}”" in printed.stdout and "\x1b" not in printed.stdout  # asterisks kept, no escape codes in a pipe


# A customer's words as they are stored: cleaned (no control characters); a tab is left out, as a
# terminal draws one as spaces to the next tab stop.
words = st.text(max_size=60).map(lambda text: clean(text).replace("\t", ""))
pieces = st.one_of(
    words,
    st.builds(Bold, words),
    st.builds(Code, words),
    st.builds(Link, st.just("https://bramble.example/book"), words),
    st.builds(CardLink, st.sampled_from(["slack", "console"]), st.just("C0MENTIONS"), st.just("1700000000.000001")),
)
reports = st.builds(
    Report,
    st.lists(pieces, max_size=3).map(tuple),
    st.lists(st.lists(pieces, max_size=6).map(tuple), max_size=12).map(tuple),
)


# How many examples: the Hypothesis profile loaded in conftest.py (quick here, thorough in CI).
@given(reports, st.lists(st.sampled_from(["channel", "U0MARIA"]), max_size=2).map(tuple))
def test_the_terminal_draws_the_plain_words(report, notify):
    out = io.StringIO()  # not a terminal: no escape codes
    assert ConsoleSink(out).say(report, notify)
    assert out.getvalue() == "".join(f"@{who} " for who in notify) + plain(report) + "\n"
