"""Where a mention's cards are: one row per chat platform, migrated from the mention's own columns."""

from __future__ import annotations

import io
from datetime import UTC, datetime

import sqlite_utils

from bot.chat.console import ConsoleSink
from bot.models import Actor, ChatRef, Mention, Triage
from handlers import actions
from storage import mentions as store
from storage import open_db, posting, responses
from storage.migrations import migrations

TRIAGE = Triage(sentiment=0.1, label="neutral", intent="question", urgency="normal", suggestions=("Hi!",))  # type: ignore[arg-type]


def _mention(n: int) -> Mention:
    return Mention(
        "x", str(n), "maria", "Maria", f"Open on Sunday? {n}", f"https://x.com/maria/status/{n}", datetime.now(UTC)
    )


def test_cards_posted_before_the_cards_table_are_kept(tmp_path):
    path = tmp_path / "old.db"
    old = sqlite_utils.Database(path)
    migrations.apply(old, stop_before="m011_cards")
    old["mentions"].insert_all(
        [
            {
                "id": "x:1",
                "source": "x",
                "external_id": "1",
                "text": "posted",
                "created_at": "2026-11-01T10:00:00+00:00",
                "fetched_at": "2026-11-01T10:00:30+00:00",
                "status": "new",
                "posted_at": "2026-11-01T10:01:00+00:00",
                "chat_platform": "slack",
                "chat_channel": "C0MENTIONS",
                "chat_message_id": "1700000000.000100",
            },
            {
                "id": "x:2",
                "source": "x",
                "external_id": "2",
                "text": "waiting",
                "created_at": "2026-11-01T10:05:00+00:00",
                "fetched_at": "2026-11-01T10:05:30+00:00",
                "status": "new",
                "post_attempted_at": "2026-11-01T10:06:00+00:00",  # sent, never confirmed
            },
        ]
    )
    old.close()

    db = open_db(path)
    assert store.card_refs(db, "x:1") == (ChatRef("slack", "C0MENTIONS", "1700000000.000100"),)
    assert store.card_refs(db, "x:2") == ()
    # The one platform there was takes over the card still waiting, and its unconfirmed attempt.
    posting.join(db, "slack")
    assert [m.id for m, _, _ in store.unposted(db, "slack")] == ["x:2"]
    assert posting.post_attempted_at(db, "x:2", "slack") is not None

    # The version before, still running during the upgrade, writes a card's place the old way: it is kept.
    db.execute(
        "update mentions set posted_at = ?, chat_platform = 'slack', chat_channel = 'C0MENTIONS', "
        "chat_message_id = '1700000000.000200' where id = 'x:2'",
        ["2026-11-01T10:06:00+00:00"],
    )
    assert store.card_refs(db, "x:2") == (ChatRef("slack", "C0MENTIONS", "1700000000.000200"),)


def test_a_mention_may_have_a_card_on_each_platform(tmp_path):
    db = open_db(tmp_path / "cards.db")
    store.save_mentions(db, [(_mention(1), TRIAGE)])
    store.mark_posted(db, "x:1", ChatRef("slack", "C0MENTIONS", "1.0001"))
    first_posted = responses.card(db, "x:1").handling.posted_at  # type: ignore[union-attr]
    store.mark_posted(db, "x:1", ChatRef("console", "terminal", "7"))

    found = responses.card(db, "x:1")
    assert found is not None and len(found.refs) == 2
    assert found.ref_on("console") == ChatRef("console", "terminal", "7")
    assert found.handling.posted_at == first_posted  # pick-up time counts from the first card

    # An action redraws the card on the chat it is announced to, with its note in that card's thread.
    out = io.StringIO()
    outcome = actions.claim(db, "x:1", Actor("U0MARIA", "Maria"))
    actions.announce(db, ConsoleSink(out), outcome)
    assert "card 7 ▸" in out.getvalue() and "Claimed by Maria" in out.getvalue()
