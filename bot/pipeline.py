"""One poll cycle: fetch from each source, triage and store new mentions, then post unposted cards.

The order is what makes it safe: a mention is stored before its card is posted, a cursor
is saved only after the pages before it are stored, and a card is marked posted only
after the chat platform accepted it. A crash anywhere re-posts at most one card and
never loses a mention.
"""
from __future__ import annotations

import logging
import threading
from dataclasses import dataclass, field
from datetime import datetime, timezone

import sqlite_utils

from bot.chat.cards import network_name
from bot.models import ChatSink, NetworkReply, PostError, Source, SourceError
from bot.triage import Triager
from handlers import actions
from storage import mentions as store

log = logging.getLogger(__name__)


@dataclass
class CycleReport:
    fetched: int = 0
    new: int = 0
    posted: int = 0
    source_errors: dict[str, str] = field(default_factory=dict)
    post_error: str | None = None
    sources_polled: int = 0
    replies_found: int = 0

    @property
    def failed(self) -> bool:
        """Nothing could be fetched (every source failed) or a card could not be posted."""
        all_sources_failed = bool(self.source_errors) and len(self.source_errors) >= self.sources_polled
        return all_sources_failed or self.post_error is not None

    @property
    def reason(self) -> str:
        if self.post_error:
            return self.post_error
        return "; ".join(f"{name}: {error}" for name, error in self.source_errors.items())


class Pipeline:
    def __init__(
        self,
        db: sqlite_utils.Database,
        sources: list[Source],
        sink: ChatSink | None,
        triager: Triager,
        stop: threading.Event | None = None,
    ):
        self.db = db
        self.sources = sources
        self.sink = sink
        self.triager = triager
        self.stop = stop or threading.Event()

    def run_cycle(self) -> CycleReport:
        report = CycleReport()
        for source in self.sources:
            report.sources_polled += 1
            self._poll(source, report)
        if self.sink is not None:
            self._post_unposted(report)
            self._note_cross_posts()
        log.info("Poll cycle: %d fetched, %d new, %d cards posted.", report.fetched, report.new, report.posted)
        return report

    def _poll(self, source: Source, report: CycleReport) -> None:
        status = store.source_status(self.db, source.name)
        retry_at = status.get("retry_at")
        if retry_at and store.parse_iso(retry_at) > datetime.now(timezone.utc):
            # Backing off after a rate limit or usage cap; the reason was logged when it began.
            report.source_errors[source.name] = status.get("last_error") or f"waiting until {retry_at}"
            return
        try:
            for page in source.fetch(store.get_cursors(self.db, source.name)):
                self._store(source, page.mentions, report)
                self._record_replies(page.replies, report)
                if page.cursor is not None:
                    store.set_cursor(self.db, source.name, page.key, page.cursor)
        except SourceError as exc:
            message = str(exc)
            report.source_errors[source.name] = message
            if message != status.get("last_error"):  # say it once, not every cycle
                log.warning("%s: %s", source.name, message)
            store.record_source_result(self.db, source.name, error=message, retry_at=exc.retry_at)
            return
        if status.get("last_error"):
            log.info("%s is working again.", source.name)
        store.record_source_result(self.db, source.name)

    def _store(self, source: Source, mentions: list, report: CycleReport) -> None:
        report.fetched += len(mentions)
        # Triage only what we have not stored before: a re-read burst costs nothing twice.
        known = store.known_ids(self.db, [m.id for m in mentions])
        fresh = {m.id: m for m in mentions if m.id not in known}.values()
        triaged = [(m, self.triager.triage(m)) for m in fresh]
        report.new += store.save_mentions(self.db, triaged)

    def _record_replies(self, replies: list[NetworkReply], report: CycleReport) -> None:
        """Replies the business made on the network itself count as responses too."""
        for reply in replies:
            outcome = actions.record_network_reply(self.db, reply)
            if outcome is None:
                continue
            report.replies_found += 1
            log.info("Found a reply made directly on %s to %s.", reply.source, outcome.mention_id)
            if self.sink is not None:
                actions.announce(self.db, self.sink, outcome)

    def _note_cross_posts(self) -> None:
        """A cross-post joins its original's card as a line in the thread, once."""
        for mention, ref in store.unnoted_duplicates(self.db):
            who = f"@{mention.author_handle}" if mention.author_handle else mention.author_name
            line = f"🔁 The same words also arrived on {network_name(mention.source)} from {who}: {mention.url}"
            if self.sink.note(ref, line):
                store.mark_duplicate_noted(self.db, mention.id)

    def _post_unposted(self, report: CycleReport) -> None:
        for mention, triage, handling in store.unposted(self.db):
            if self.stop.is_set():
                log.info("Stopping: the remaining cards go out on the next start.")
                return
            try:
                ref = self.sink.post(mention, triage, handling)
            except PostError as exc:
                # Leave it unposted: it goes out on the next cycle, in order.
                report.post_error = str(exc)
                log.warning("Could not post a card; it goes out on the next poll. %s", exc)
                return
            store.mark_posted(self.db, mention.id, ref)
            report.posted += 1
