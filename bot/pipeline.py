"""One poll cycle: fetch from each source, triage and store new mentions, then post unposted cards.

The order is what makes it safe: a mention is stored before its card is posted, a cursor
is saved only after the pages before it are stored, and a card is marked posted only
after the chat platform accepted it. A crash anywhere re-posts at most one card and
never loses a mention; a card whose posting was not confirmed is looked for in chat
before it is sent again, and only one process posts from a database at a time.
"""

from __future__ import annotations

import logging
import queue
import sqlite3
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime, timedelta

import sqlite_utils

from bot import learned
from bot.fetching import Fetch
from bot.models import (
    CardRefused,
    ChatSink,
    Intent,
    Label,
    Mention,
    NetworkReply,
    PostError,
    PostUnconfirmed,
    Source,
    SourceError,
    Triage,
    Urgency,
)
from bot.platforms import EveryChat, chats, draws
from bot.platforms import name as platform_name
from bot.sources.registry import name as network_name
from bot.triage import Triager
from storage import mentions as store
from storage import posting, team_replies
from storage.db import DatabaseProblem
from storage.records import SourceStatus

log = logging.getLogger(__name__)

PAGES_AHEAD = 4  # pages fetched but not yet stored, across sources: bounds memory in a burst
CYCLE_DEADLINE = 180.0  # seconds a whole cycle may take before slow sources are left for the next one
RECONCILE_WINDOW = timedelta(days=7)  # how far back, at most, chat is checked for cards already there
HISTORY_AGE = timedelta(hours=1)  # first-poll mentions older than this are history: carded, never nudged
_NOT_SCORED = Triage(
    sentiment=0.0, label=Label.NEUTRAL, intent=Intent.OTHER, urgency=Urgency.NORMAL, suggestions=(), scored=False
)


@dataclass
class CycleReport:
    fetched: int = 0
    new: int = 0
    posted: int = 0
    source_errors: dict[str, str] = field(default_factory=dict)
    post_error: str | None = None
    sources_polled: int = 0
    replies_found: int = 0
    refused: int = 0  # cards the chat platform will never accept, set aside
    reconciled: int = 0  # cards found already in chat after an unconfirmed attempt
    poster_elsewhere: str = ""  # another process holds the posting lease: it posts, this one only stored
    chats_checked: set[str] = field(default_factory=set)  # platforms whose cards already in chat were looked up

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
        sink: ChatSink | EveryChat | None,
        triager: Triager,
        stop: threading.Event | None = None,
        deadline: float = CYCLE_DEADLINE,
        history_age: timedelta | None = HISTORY_AGE,
        reconcile: bool | frozenset[str] = False,
        on_reply: Callable[[sqlite_utils.Database, NetworkReply], str | None] | None = None,
    ):
        self.db = db
        self.sources = sources
        self.sink = sink
        self.triager = triager
        self.stop = stop or threading.Event()
        self.deadline = deadline
        self.history_age = history_age  # None: every mention may be nudged, even on a first poll (the demo)
        self.chats = chats(sink)  # each platform's own sink: cards are posted to each in turn
        # The platforms whose chat was not checked yet in this process: cards already there are recognised first.
        self.reconcile = {s.platform for s in self.chats} if reconcile is True else set(reconcile or ())
        # A reply the business made on the network itself: recorded (and its card redrawn) by the caller's
        # handler, which returns the mention it answered, or None when it answers none of ours or is known.
        self.on_reply = on_reply

    def run_cycle(self) -> CycleReport:
        report = CycleReport()
        for sink in self.chats:  # before anything is stored: each new mention is queued for every platform
            posting.join(self.db, sink.platform)
        self._poll_all(report, time.monotonic() + self.deadline)
        if self.sink is not None and not self.stop.is_set():
            self._post_unposted(report, time.monotonic() + self.deadline)
            self._note_cross_posts(self.sink)
        log.info("Poll cycle: %d fetched, %d new, %d cards posted.", report.fetched, report.new, report.posted)
        return report

    def _poll_all(self, report: CycleReport, ends_at: float) -> None:
        """Fetch every source at once, each on its own thread, storing pages here as they come."""
        pages: queue.Queue = queue.Queue(maxsize=PAGES_AHEAD)
        fetching: dict[Fetch, SourceStatus] = {}
        for source in self.sources:
            report.sources_polled += 1
            status = store.source_status(self.db, source.name)
            retry_at = status.retry_at
            if retry_at and retry_at > datetime.now(UTC):
                # Backing off after a rate limit or usage cap; the reason was logged when it began.
                report.source_errors[source.name] = status.last_error or f"waiting until {store.iso(retry_at)}"
                continue
            if Fetch.still_running(source):
                self._failed(
                    source,
                    status,
                    report,
                    f"{network_name(source.name)} is still answering the last poll; skipped this time.",
                )
                continue
            fetch = Fetch(source, store.get_cursors(self.db, source.name), pages)
            fetching[fetch] = status
            fetch.start()
        while fetching:
            if self.stop.is_set():
                self._abandon(fetching, report, None)
                return
            try:
                fetch, item = pages.get(timeout=min(0.2, max(0.0, ends_at - time.monotonic())))
            except queue.Empty:
                if time.monotonic() >= ends_at:
                    self._abandon(fetching, report, ends_at)
                    return
                continue
            if fetch not in fetching:
                continue
            source, status = fetch.source, fetching[fetch]
            if item is None:  # read to the end
                del fetching[fetch]
                if status.last_error:
                    log.info("%s is working again.", source.name)
                store.record_source_result(self.db, source.name)
            elif isinstance(item, BaseException):
                del fetching[fetch]
                self._fetch_failed(source, status, report, item)
            else:
                try:
                    self._store(source, item, report)
                except (DatabaseProblem, sqlite3.Error):
                    self._abandon(fetching, report, None)
                    raise
                except Exception as exc:  # a page this code could not handle stays with its network
                    fetch.abandoned.set()
                    del fetching[fetch]
                    self._fetch_failed(source, status, report, exc)

    def _abandon(self, fetching: dict, report: CycleReport, ends_at: float | None) -> None:
        """Leave the fetches still running: nothing more they read is stored, and no cursor moves."""
        for fetch, status in fetching.items():
            fetch.abandoned.set()
            if ends_at is not None:
                self._failed(
                    fetch.source,
                    status,
                    report,
                    f"{network_name(fetch.source.name)} did not finish within "
                    f"{self.deadline:.0f} s; what it sent so far is stored and the rest is read next poll.",
                )
        fetching.clear()

    def _fetch_failed(self, source: Source, status: SourceStatus, report: CycleReport, exc: BaseException) -> None:
        if isinstance(exc, SourceError):
            self._failed(source, status, report, str(exc), exc.retry_at)
            return
        message = (
            f"{network_name(source.name)} sent something Listening Post could not handle "
            f"({type(exc).__name__}); the other networks carry on, and it is tried again next poll."
        )
        if message != status.last_error:  # with its traceback, once, for whoever fixes it
            log.warning("%s: %s", source.name, message, exc_info=(type(exc), exc, exc.__traceback__))
        self._failed(source, replace(status, last_error=message), report, message)

    def _failed(
        self,
        source: Source,
        status: SourceStatus,
        report: CycleReport,
        message: str,
        retry_at: datetime | None = None,
    ) -> None:
        report.source_errors[source.name] = message
        if message != status.last_error:  # say it once, not every cycle
            log.warning("%s: %s", source.name, message)
        store.record_source_result(self.db, source.name, error=message, retry_at=retry_at)

    def _store(self, source: Source, page, report: CycleReport) -> None:
        mentions = page.mentions
        report.fetched += len(mentions)
        # Triage only what we have not stored before: a re-read burst costs nothing twice.
        known = store.known_ids(self.db, [m.id for m in mentions])
        fresh = {m.id: m for m in mentions if m.id not in known}.values()
        learn = team_replies.any_kept(self.db)  # asked once per page: a new install has nothing to learn from yet
        triaged = [(m, self._learn(m, self._triage(m)) if learn else self._triage(m)) for m in fresh]
        age = self.history_age
        history = datetime.now(UTC) - age if age is not None and page.key not in self._cursors(source) else None
        report.new += store.save_mentions(self.db, triaged, history_before=history)
        self._record_replies(page.replies, report)
        if page.cursor is not None:
            store.set_cursor(self.db, source.name, page.key, page.cursor)

    def _cursors(self, source: Source) -> dict[str, str]:
        return store.get_cursors(self.db, source.name)

    def _triage(self, mention: Mention) -> Triage:
        """A mention whose text trips up triage still gets its card, unscored: it is never lost."""
        try:
            return self.triager.triage(mention)
        except Exception:  # noqa: BLE001
            log.warning("Could not triage %s; its card goes out without suggestions.", mention.id, exc_info=True)
            return _NOT_SCORED

    def _learn(self, mention: Mention, triage: Triage) -> Triage:
        return learned.with_team_reply(self.db, mention, triage)

    def _record_replies(self, replies: list[NetworkReply], report: CycleReport) -> None:
        """Replies the business made on the network itself count as responses too."""
        if self.on_reply is None:
            return
        for reply in replies:
            mention_id = self.on_reply(self.db, reply)
            if mention_id is None:
                continue
            report.replies_found += 1
            log.info("Found a reply made directly on %s to %s.", reply.source, mention_id)

    def _note_cross_posts(self, sink: ChatSink | EveryChat) -> None:
        """A cross-post joins its original's card as a line in its thread (on each platform it is on here), once."""
        for mention, refs in store.unnoted_duplicates(self.db):
            here = [ref for ref in refs if draws(sink, ref.platform)]
            if not here:
                continue  # the original's card is on another chat
            who = f"@{mention.author_handle}" if mention.author_handle else mention.author_name
            line = f"🔁 The same words also arrived on {network_name(mention.source)} from {who}: {mention.url}"
            if any([sink.note(ref, line) for ref in here]):
                store.mark_duplicate_noted(self.db, mention.id)

    def _post_unposted(self, report: CycleReport, ends_at: float) -> None:
        other = posting.take_posting_lease(self.db)
        if other:
            report.poster_elsewhere = other
            log.info(
                "Another Listening Post (%s) is posting cards from this database; this one leaves it to it.",
                other.rsplit(":", 1)[0],
            )
            return
        try:
            for sink in self.chats:  # one platform's trouble holds back only its own cards
                if not self._post_to(sink, report, ends_at):
                    return
        finally:
            posting.release_posting_lease(self.db)

    def _post_to(self, sink: ChatSink, report: CycleReport, ends_at: float) -> bool:
        """Post the cards waiting for `sink`'s platform; False when posting must stop for this cycle."""
        if sink.platform in self.reconcile:
            self._recognise_cards_in_chat(sink, report)
        for mention, triage, handling in store.unposted(self.db, sink.platform):
            if self.stop.is_set() or time.monotonic() >= ends_at:
                log.info("Stopping for now: the remaining cards go out next time.")
                return False
            if posting.take_posting_lease(self.db):  # renewed per card; lost only if it expired meanwhile
                return False
            if not self._post_one(sink, mention, triage, handling, report):
                return True  # the next platform may be fine
        return True

    def _recognise_cards_in_chat(self, sink: ChatSink, report: CycleReport) -> None:
        """Cards already in chat for mentions this database thinks unposted: a database restored from
        a backup, made anew, or a crash between chat's acceptance and our record. One bounded look-up;
        `report.chats_checked` says whether it was made (it is tried again next cycle until it is)."""
        oldest = posting.oldest_unposted(self.db, sink.platform)
        if oldest is None:
            return  # nothing waits, so nothing can be in chat unrecorded yet
        since = max(oldest, datetime.now(UTC) - RECONCILE_WINDOW) - timedelta(minutes=1)
        try:
            found = sink.posted_cards(since)
        except PostError as exc:
            log.warning("Could not check which cards are already in chat, so none is recognised yet: %s", exc)
            return
        report.chats_checked.add(sink.platform)
        for mention_id in posting.unposted_among(self.db, sink.platform, found):
            store.mark_posted(self.db, mention_id, found[mention_id])
            report.reconciled += 1
        if report.reconciled:
            log.info("%d card(s) were already in chat and are not posted again.", report.reconciled)

    def _said(self, report: CycleReport, sink: ChatSink, problem: PostError) -> str:
        """The cycle's posting problem so far and this one (named by platform when there are several)."""
        said = f"{platform_name(sink.platform)}: {problem}" if len(self.chats) > 1 else str(problem)
        return f"{report.post_error}; {said}" if report.post_error else said

    def _post_one(self, sink: ChatSink, mention: Mention, triage: Triage, handling, report: CycleReport) -> bool:
        """Post one card; False when posting should stop for this cycle (it is tried again, in order, next time)."""
        attempted = posting.post_attempted_at(self.db, mention.id, sink.platform)
        try:
            if attempted:
                # An earlier attempt was never confirmed: it may be in the channel already.
                ref = sink.find_posted(mention.id, attempted)
                if ref is not None:
                    store.mark_posted(self.db, mention.id, ref)
                    report.reconciled += 1
                    log.info(
                        "The card of %s was already in chat (its post was not confirmed); not posting it again.",
                        mention.id,
                    )
                    return True
            posting.mark_post_attempt(self.db, mention.id, sink.platform)
            ref = sink.post(mention, triage, handling)
        except CardRefused as exc:
            posting.mark_refused(self.db, mention.id, sink.platform, str(exc))
            report.refused += 1
            log.warning(
                "Set aside the card of %s, which the chat refused even in its simplest form (%s); the next cards "
                "go out as usual. Its mention is kept and counted: see /listen queue.",
                mention.id,
                exc,
            )
            return True
        except PostUnconfirmed as exc:
            report.post_error = self._said(report, sink, exc)
            log.warning("A card may or may not have been posted; it is looked for before being sent again. %s", exc)
            return False
        except PostError as exc:
            if not attempted:
                posting.clear_post_attempt(self.db, mention.id, sink.platform)
            report.post_error = self._said(report, sink, exc)
            log.warning("Could not post a card; it goes out on the next poll. %s", exc)
            return False
        store.mark_posted(self.db, mention.id, ref)
        report.posted += 1
        return True
