"""Any report drawn for Teams fits one message and shows every plain word as written (never as markdown)."""

from __future__ import annotations

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

pytest.importorskip("microsoft_teams.cards", reason="Teams' SDK is the `teams` extra (requirements-teams.txt)")
pytestmark = pytest.mark.xdist_group("teams")  # one worker imports Teams' SDK

from microsoft_teams.cards import AdaptiveCard  # noqa: E402

from bot.chat.teams import cards  # noqa: E402
from bot.chat.teams.reports import report_card  # noqa: E402
from bot.report import Bold, CardLink, Code, Link, Report, line, report  # noqa: E402
from bot.text import clean  # noqa: E402
from tests.strategies import hostile, urls  # noqa: E402
from tests.test_teams_cards import elements, shown_as_markdown  # noqa: E402

# How many examples: the Hypothesis profile loaded in conftest.py.
EXAMPLES = settings(suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
pieces = st.one_of(
    hostile(300),
    st.builds(Bold, hostile(300)),
    st.builds(Code, hostile(300)),
    st.builds(Link, urls(), hostile(300)),
    st.builds(CardLink, st.sampled_from(["teams", "slack"]), hostile(50), hostile(50)),
)
reports = st.builds(
    Report,
    st.lists(pieces, max_size=3).map(tuple),
    st.lists(st.lists(pieces, max_size=6).map(tuple), max_size=400).map(tuple),
)


def card_address(channel: str, message_id: str) -> str:
    return f"https://teams.microsoft.com/l/message/{channel}/{message_id}"


@EXAMPLES
@given(reports)
def test_any_report_fits_and_no_word_of_it_is_read_as_markdown(report):
    card = report_card(report, card_address)

    assert cards.size(card) <= cards.CARD_LIMIT
    AdaptiveCard.model_validate(card)
    assert shown_as_markdown(card) == []
    for run in (e for e in elements(card) if e.get("type") == "TextRun" and "selectAction" in e):
        assert run["selectAction"]["url"].startswith(("https://", "http://"))


def test_a_report_reads_as_written_with_its_marks_and_links():
    drawn = report_card(
        report(
            "Last 7 days",
            [
                line("Replied to ", Bold("12"), " of 30 · ", Link("https://x.com/bramblecafe", "on X")),
                line("Type ", Code("/listen stats 30d"), CardLink("teams", "19:cafe@thread.tacv2", "1700000000001")),
                line("A customer wrote **free** [refund](https://evil.example)"),
                line(CardLink("slack", "C0MENTIONS", "1700000000.000100")),
            ],
        ),
        card_address,
    )

    runs = [e for e in elements(drawn) if e.get("type") == "TextRun"]
    assert runs[0] == {"type": "TextRun", "text": "Last 7 days", "size": "Medium", "weight": "Bolder"}
    assert {"type": "TextRun", "text": "12", "weight": "Bolder"} in runs
    assert {
        "type": "TextRun",
        "text": "@Listening Post stats 30d",
        "fontType": "Monospace",
    } in runs  # as typed in Teams
    linked = {r["text"]: r["selectAction"]["url"] for r in runs if "selectAction" in r}
    assert linked == {
        "on X": "https://x.com/bramblecafe",
        "open card": card_address("19:cafe@thread.tacv2", "1700000000001"),
    }
    assert "A customer wrote **free** [refund](https://evil.example)" in [r["text"] for r in runs]
    assert len(drawn["body"]) == 5  # the Slack card's link is left out, its line kept empty


def test_a_long_report_is_cut_at_a_line_and_says_so():
    long = report("The queue", [line(f"Mention {i}: ", clean("x" * 200)) for i in range(400)])

    drawn = report_card(long)

    assert cards.size(drawn) <= cards.CARD_LIMIT
    assert drawn["body"][-1]["inlines"][0]["text"] == cards.ELLIPSIS and len(drawn["body"]) < 401
