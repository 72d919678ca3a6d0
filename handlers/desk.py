"""The team's actions bundled with their settings, each run on its own database connection.

SQLite connections belong to the thread that opened them, and Bolt runs each click on a
thread of its own, so every call here opens (and closes) its own connection.
"""
from __future__ import annotations

from contextlib import contextmanager
from typing import Callable, Iterator

import sqlite_utils

from bot.models import Actor, ChatSink
from handlers import actions
from handlers.actions import Outcome, Replier, ReplyForm
from storage import responses
from storage.mentions import utc_now


class Desk:
    def __init__(self, open_db: Callable[[], sqlite_utils.Database], repliers: dict[str, Replier],
                 approvers: frozenset[str] = frozenset()):
        self.open_db = open_db
        self.repliers = repliers
        self.approvers = approvers

    @contextmanager
    def _db(self) -> Iterator[sqlite_utils.Database]:
        db = self.open_db()
        try:
            yield db
        finally:
            db.close()

    def is_approver(self, actor: Actor) -> bool:
        return actor.id in self.approvers

    def claim(self, mention_id: str, actor: Actor, takeover: bool = False) -> Outcome:
        with self._db() as db:
            return actions.claim(db, mention_id, actor, takeover)

    def dismiss(self, mention_id: str, actor: Actor, reason: str = "") -> Outcome:
        with self._db() as db:
            return actions.dismiss(db, mention_id, actor, reason)

    def dismissal_problem(self, mention_id: str) -> str:
        with self._db() as db:
            return actions.dismissal_problem(responses.mention_row(db, mention_id), utc_now())

    def reopen(self, mention_id: str, actor: Actor) -> Outcome:
        with self._db() as db:
            return actions.reopen(db, mention_id, actor)

    def reply_form(self, mention_id: str, actor: Actor) -> ReplyForm | None:
        with self._db() as db:
            return actions.reply_form(db, mention_id, actor, self.repliers, self.approvers)

    def send_reply(self, mention_id: str, actor: Actor, text: str) -> Outcome:
        with self._db() as db:
            return actions.send_reply(db, mention_id, actor, text, self.repliers, self.approvers)

    def replied_outside(self, mention_id: str, actor: Actor, text: str = "") -> Outcome:
        with self._db() as db:
            return actions.record_outside_reply(db, mention_id, actor, text)

    def approve(self, mention_id: str, approver: Actor) -> Outcome:
        with self._db() as db:
            return actions.approve(db, mention_id, approver, self.repliers, self.approvers)

    def reject(self, mention_id: str, approver: Actor) -> Outcome:
        with self._db() as db:
            return actions.reject(db, mention_id, approver, self.approvers)

    def card(self, mention_id: str):
        with self._db() as db:
            return responses.card(db, mention_id)

    def announce(self, sink: ChatSink, outcome: Outcome) -> None:
        with self._db() as db:
            actions.announce(db, sink, outcome)
