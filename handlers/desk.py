"""The team's actions bundled with their settings, each run on its own database connection.

SQLite connections belong to the thread that opened them, and Bolt runs each click on a
thread of its own, so every call here opens (and closes) its own connection.
"""

from __future__ import annotations

import logging
import sqlite3
from collections.abc import Callable
from typing import TypeVar

import sqlite_utils

from bot.models import Actor, ChatOutlet
from handlers import actions
from handlers.actions import Outcome, Replier, ReplyForm
from storage import DatabaseProblem, responses
from storage.db import explain
from storage.mentions import utc_now
from storage.records import Card

log = logging.getLogger(__name__)
T = TypeVar("T")


class Desk:
    def __init__(
        self,
        open_db: Callable[[], sqlite_utils.Database],
        repliers: dict[str, Replier],
        approvers: frozenset[str] = frozenset(),
        everywhere: ChatOutlet | None = None,
    ):
        self.open_db = open_db
        self.repliers = repliers
        self.approvers = approvers
        self.everywhere = everywhere  # every platform set up: an action on one redraws the card on all

    def _run(self, work: Callable[[sqlite_utils.Database], T], fallback: Callable[[str], T]) -> T:
        """`work(db)` on a connection of its own; if the database cannot do it (busy for longer than
        its timeout, gone, replaced, full, damaged), the person gets `fallback(why)`: an answer, never silence."""
        try:
            db = self.open_db()
        except DatabaseProblem as exc:
            log.warning("%s", exc)
            return fallback(f"Nothing changed: {exc}")
        try:
            return work(db)
        except sqlite3.Error as exc:
            problem = explain(exc, "")
            log.warning("A click could not be saved: %s", problem)
            return fallback(f"Nothing changed: {problem}")
        finally:
            db.close()

    def _act(self, mention_id: str, work: Callable[[sqlite_utils.Database], Outcome]) -> Outcome:
        return self._run(work, lambda why: Outcome(mention_id, error=why))

    def is_approver(self, actor: Actor) -> bool:
        return actor.id in self.approvers

    def claim(self, mention_id: str, actor: Actor, takeover: bool = False) -> Outcome:
        return self._act(mention_id, lambda db: actions.claim(db, mention_id, actor, takeover))

    def dismiss(self, mention_id: str, actor: Actor, reason: str = "") -> Outcome:
        return self._act(mention_id, lambda db: actions.dismiss(db, mention_id, actor, reason))

    def dismissal_problem(self, mention_id: str) -> str:
        return self._run(lambda db: actions.dismissal_problem(responses.stored_mention(db, mention_id), utc_now()), str)

    def reopen(self, mention_id: str, actor: Actor) -> Outcome:
        return self._act(mention_id, lambda db: actions.reopen(db, mention_id, actor))

    def reply_form(self, mention_id: str, actor: Actor) -> ReplyForm | None:
        return self._run(
            lambda db: actions.reply_form(db, mention_id, actor, self.repliers, self.approvers),
            actions.unavailable_form,
        )

    def send_reply(self, mention_id: str, actor: Actor, text: str, started_from: int | None = None) -> Outcome:
        return self._act(
            mention_id,
            lambda db: actions.send_reply(db, mention_id, actor, text, self.repliers, self.approvers, started_from),
        )

    def replied_outside(self, mention_id: str, actor: Actor, text: str = "") -> Outcome:
        return self._act(mention_id, lambda db: actions.record_outside_reply(db, mention_id, actor, text))

    def approve(self, mention_id: str, approver: Actor) -> Outcome:
        return self._act(
            mention_id, lambda db: actions.approve(db, mention_id, approver, self.repliers, self.approvers)
        )

    def reject(self, mention_id: str, approver: Actor) -> Outcome:
        return self._act(mention_id, lambda db: actions.reject(db, mention_id, approver, self.approvers))

    def card(self, mention_id: str) -> Card | None:
        return self._run(lambda db: responses.card(db, mention_id), lambda why: None)

    def announce(self, sink: ChatOutlet, outcome: Outcome) -> None:
        """Redraw the card (on every platform set up, when the desk knows them) and note a change in its thread."""
        self._run(lambda db: actions.announce(db, self.everywhere or sink, outcome), lambda why: None)
