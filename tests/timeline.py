"""Hand-built timelines: mentions and team actions at chosen moments, straight into the database."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from bot.models import Actor, ChatRef, Mention, Triage
from storage import mentions as store
from storage import responses

UTC = UTC
MARIA, TOM, BOT = Actor("U0MARIA", "Maria"), Actor("U0TOM", "Tom"), Actor("B0ZAPIER", "Zapier", is_bot=True)


def at(day: int, hour: int, minute: int = 0) -> datetime:
    return datetime(2026, 11, day, hour, minute, tzinfo=UTC)


class Timeline:
    def __init__(self, db):
        self.db = db
        self.count = 0

    def mention(self, created: datetime, label: str = "neutral", spam: bool = False, posted_after: int = 1) -> str:
        self.count += 1
        mention = Mention("x", str(self.count), f"customer{self.count}", "", f"mention {self.count}", "", created)
        store.save_mentions(self.db, [(mention, Triage(0.0, label, "other", "normal", (), spam=spam))])
        if not spam:
            store.mark_posted(self.db, mention.id, ChatRef("slack", "C0MENTIONS", f"1700000000.{self.count:06d}"))
            self.db["mentions"].update(mention.id, {"posted_at": store.iso(created + timedelta(minutes=posted_after))})
        return mention.id

    def act(self, mention_id: str, action: str, actor: Actor, when: datetime, status: str) -> None:
        with responses.exclusive(self.db):
            stored = responses.stored_mention(self.db, mention_id)
            assert stored is not None
            responses.record(self.db, stored, action, actor, "button", when, status)
