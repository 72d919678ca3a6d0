"""What happens when a person acts on a mention — claim, reply, dismiss, reopen, approve — on any chat platform.

Each action decides and writes inside one exclusive transaction, so a double click, two
people at once or a click on an old card see the current state and change nothing twice.
Posting to a network happens outside the transaction, guarded by a "sending" mark.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from difflib import SequenceMatcher

import sqlite_utils

from bot.models import Actor, ChatOutlet, Mention, NetworkReply, ReplyError, SentReply, Status, Triage
from bot.platforms import draws
from bot.sources import registry
from bot.text import clean
from bot.wording import age
from storage import responses as store
from storage.mentions import utc_now
from storage.records import StoredMention

# A reply still marked as sending after this long is assumed lost (the network never answered).
SENDING_TIMEOUT = timedelta(minutes=15)
GONE = "This card's mention is not in Listening Post's database (the database may have been reset). Nothing changed."

Replier = Callable[[Mention, str], SentReply]


@dataclass
class Outcome:
    """The result of an action, for the chat adapter to show."""

    mention_id: str
    changed: bool = False
    note: str = ""  # a line for the card's thread, for the team
    message: str = ""  # told privately to the person who acted
    error: str = ""  # a reply that could not be sent; the person's text is kept
    takeover_from: str = ""  # a claim that needs confirming: who holds the mention now


@dataclass(frozen=True)
class ReplyForm:
    """What the reply form shows for a mention."""

    mention: Mention
    triage: Triage
    draft: str
    limit: int
    can_send: bool  # Listening Post can post on this network
    needs_approval: bool
    problem: str  # why replying is not possible now, or ""


def unavailable_form(problem: str) -> ReplyForm:
    """A form that only says why it cannot be used now (the database is busy or unavailable)."""
    # No mention to show: the views read `problem` first and show only that.
    return ReplyForm(mention=None, triage=None, draft="", limit=0, can_send=True, needs_approval=False, problem=problem)  # type: ignore[arg-type]


def quoted(text: str, limit: int = 200) -> str:
    return "“" + (text if len(text) <= limit else text[: limit - 1] + "…") + "”"


def _sending(stored: StoredMention, now: datetime) -> bool:
    return stored.sending_at is not None and now - stored.sending_at < SENDING_TIMEOUT


def _where_it_stands(stored: StoredMention, now: datetime) -> str:
    """Why an action does not apply, in words."""
    handling = stored.handling
    who = handling.actor_name or "Someone"
    when = age(handling.at, now) if handling.at else ""
    if _sending(stored, now):
        return f"{stored.sending_by or 'Someone'} is sending a reply right now."
    return {
        Status.CLAIMED: f"{who} claimed this {when}.",
        Status.PENDING: f"A reply by {who} is waiting for approval.",
        Status.REPLIED: f"{who} already replied {when}. Press Reopen on the card to answer again.",
        Status.DISMISSED: f"{who} marked this as no reply needed {when}. Press Reopen on the card to work on it.",
        Status.HELD: "This mention was held back as spam.",
        Status.NEW: "Nobody has taken this yet.",
    }.get(stored.status, "")


def claim(db: sqlite_utils.Database, mention_id: str, actor: Actor, takeover: bool = False) -> Outcome:
    now = utc_now()
    with store.exclusive(db):
        stored = store.stored_mention(db, mention_id)
        if stored is None:
            return Outcome(mention_id, message=GONE)
        holder = stored.handling.actor_name if stored.status == Status.CLAIMED else ""
        if holder and stored.actor_id == actor.id:
            return Outcome(mention_id, message="This one is already yours.")
        if holder and not takeover:
            return Outcome(mention_id, takeover_from=holder, message=f"{_where_it_stands(stored, now)} Take it over?")
        if stored.status not in OPEN or _sending(stored, now):
            return Outcome(mention_id, message=_where_it_stands(stored, now))
        store.record(db, stored, "claimed", actor, "takeover" if holder else "button", now, Status.CLAIMED)
    note = f"🙋 {actor.name} took this over from {holder}." if holder else f"🙋 {actor.name} claimed this."
    return Outcome(mention_id, changed=True, note=note)


OPEN = (Status.NEW, Status.CLAIMED)


def _problem(stored: StoredMention | None, now: datetime, allowed: tuple[Status, ...]) -> str:
    """Why an action that needs one of the `allowed` statuses cannot apply now, or ''."""
    if stored is None:
        return GONE
    if stored.status not in allowed or _sending(stored, now):
        return _where_it_stands(stored, now)
    return ""


def dismissal_problem(stored: StoredMention | None, now: datetime) -> str:
    """Why this mention cannot be set aside now, or ''."""
    return _problem(stored, now, OPEN)


def dismiss(db: sqlite_utils.Database, mention_id: str, actor: Actor, reason: str = "") -> Outcome:
    now = utc_now()
    reason = " ".join(clean(reason).split())[:300]
    with store.exclusive(db):
        stored = store.stored_mention(db, mention_id)
        problem = dismissal_problem(stored, now)
        if problem:
            return Outcome(mention_id, message=problem)
        assert stored is not None  # a missing mention is one of the problems above
        store.record(db, stored, "dismissed", actor, "button", now, Status.DISMISSED, note=reason)
    return Outcome(
        mention_id, changed=True, note=f"🚫 {actor.name}: no reply needed" + (f" — {reason}" if reason else ".")
    )


def reopen(db: sqlite_utils.Database, mention_id: str, actor: Actor) -> Outcome:
    now = utc_now()
    with store.exclusive(db):
        stored = store.stored_mention(db, mention_id)
        problem = _problem(stored, now, (Status.CLAIMED, Status.DISMISSED, Status.REPLIED))
        if problem:
            return Outcome(mention_id, message=problem)
        assert stored is not None  # a missing mention is one of the problems above
        store.record(db, stored, "reopened", actor, "button", now, Status.NEW)
    return Outcome(mention_id, changed=True, note=f"↩️ {actor.name} reopened this.")


def reply_form(
    db: sqlite_utils.Database, mention_id: str, actor: Actor, repliers: dict[str, Replier], approvers: frozenset[str]
) -> ReplyForm | None:
    stored = store.stored_mention(db, mention_id)
    if stored is None:
        return None
    mention, triage = stored.mention, stored.triage
    is_approver = actor.id in approvers
    problem = _cannot_reply(stored, is_approver, utc_now())
    draft = (
        stored.handling.note
        if stored.status == Status.PENDING
        else (triage.suggestions[0] if triage.suggestions else "")
    )
    return ReplyForm(
        mention,
        triage,
        draft or "",
        registry.reply_limit(mention.source) or 280,
        can_send=mention.source in repliers,
        needs_approval=bool(approvers) and not is_approver,
        problem=problem,
    )


def _cannot_reply(stored: StoredMention, is_approver: bool, now: datetime) -> str:
    # An approver may reply to a mention whose draft waits for approval: that is "Edit…".
    return _problem(stored, now, (*OPEN, Status.PENDING) if is_approver else OPEN)


def check_length(mention: Mention, text: str) -> str:
    """A plain-language problem with the reply's length, or ''."""
    if not text.strip():
        return "Write a reply first."
    limit = registry.reply_limit(mention.source) or 280
    length = registry.reply_length(mention.source, text)
    if length > limit:
        return f"{registry.name(mention.source)} allows {limit} characters; this reply counts {length}. Shorten it by {length - limit}."
    return ""


EDITED = 0.6  # a sent reply at least this similar to the suggestion it began as was edited, not rewritten


def suggestion_use(triage: Triage, started_from: int | None, text: str) -> tuple[int, str] | None:
    """How a reply written in the form used the suggestion it began as: "as_is", "edited" or "own".

    None when the form did not begin from a suggestion (an approver editing a draft, a feed entry).
    """
    if started_from is None or not 0 <= started_from < len(triage.suggestions):
        return None
    suggested = " ".join(triage.suggestions[started_from].split())
    sent = " ".join(text.split())
    if sent == suggested:
        return started_from, "as_is"
    if SequenceMatcher(None, suggested, sent).ratio() >= EDITED:
        return started_from, "edited"
    return started_from, "own"


def send_reply(
    db: sqlite_utils.Database,
    mention_id: str,
    actor: Actor,
    text: str,
    repliers: dict[str, Replier],
    approvers: frozenset[str],
    started_from: int | None = None,
) -> Outcome:
    """Post a reply on the network, or hold it for approval when `actor` is not an approver.

    `started_from` is the suggestion the form's text began as, to count how suggestions are used.
    """
    text = clean(text).strip()
    now = utc_now()
    with store.exclusive(db):
        stored = store.stored_mention(db, mention_id)
        if stored is None:
            return Outcome(mention_id, error=GONE)
        mention = stored.mention
        problem = _cannot_reply(stored, actor.id in approvers, now) or check_length(mention, text)
        if problem:
            return Outcome(mention_id, error=problem)
        replier = repliers.get(mention.source)
        if replier is None:
            return Outcome(
                mention_id,
                error=f"Listening Post cannot post on {registry.name(mention.source)} with the current settings. "
                "Reply there yourself, then use “I replied myself”.",
            )
        used = suggestion_use(stored.triage, started_from, text)
        if approvers and actor.id not in approvers:
            store.record(db, stored, "submitted", actor, "modal", now, Status.PENDING, reply_text=text, suggestion=used)
            return Outcome(
                mention_id,
                changed=True,
                note=f"⏳ {actor.name} wrote a reply for approval: {quoted(text)}",
                message="Your reply is waiting for an approver. It goes out when they approve it.",
            )
        edited_from = stored.handling.actor_name if stored.status == Status.PENDING else ""
        store.reserve_sending(db, mention_id, actor, now)
    return _post(db, mention, replier, text, writer=actor, edited_from=edited_from, suggestion=used)


def approve(
    db: sqlite_utils.Database, mention_id: str, approver: Actor, repliers: dict[str, Replier], approvers: frozenset[str]
) -> Outcome:
    if approver.id not in approvers:
        return Outcome(mention_id, message="Only the people in REPLY_APPROVERS can approve replies.")
    now = utc_now()
    with store.exclusive(db):
        stored = store.stored_mention(db, mention_id)
        problem = _problem(stored, now, (Status.PENDING,))
        if problem:
            return Outcome(mention_id, message=problem)
        assert stored is not None  # a missing mention is one of the problems above
        mention = stored.mention
        replier = repliers.get(mention.source)
        if replier is None:
            return Outcome(
                mention_id,
                error=f"Listening Post cannot post on {registry.name(mention.source)} with the current settings.",
            )
        writer, text = Actor(stored.actor_id, stored.handling.actor_name), stored.handling.note
        store.reserve_sending(db, mention_id, approver, now)
    return _post(db, mention, replier, text, writer=writer, approver=approver)


def reject(db: sqlite_utils.Database, mention_id: str, approver: Actor, approvers: frozenset[str]) -> Outcome:
    """Send a draft back: it is not posted, and its writer holds the mention again."""
    if approver.id not in approvers:
        return Outcome(mention_id, message="Only the people in REPLY_APPROVERS can reject replies.")
    now = utc_now()
    with store.exclusive(db):
        stored = store.stored_mention(db, mention_id)
        problem = _problem(stored, now, (Status.PENDING,))
        if problem:
            return Outcome(mention_id, message=problem)
        assert stored is not None  # a missing mention is one of the problems above
        writer, draft = stored.handling.actor_name, stored.handling.note
        store.record(
            db,
            stored,
            "rejected",
            approver,
            "button",
            now,
            Status.CLAIMED,
            reply_text=draft,
            actor_id=stored.actor_id,
            actor_name=writer,
        )
    return Outcome(
        mention_id,
        changed=True,
        note=f"✋ {approver.name} did not approve {writer}'s reply; it was not posted. {writer} holds this mention again.",
    )


def _post(
    db: sqlite_utils.Database,
    mention: Mention,
    replier: Replier,
    text: str,
    writer: Actor,
    approver: Actor | None = None,
    edited_from: str = "",
    suggestion: tuple[int, str] | None = None,
) -> Outcome:
    try:
        sent = replier(mention, text)
    except ReplyError as exc:
        if not exc.unsure:  # surely not posted: free the mention for another try
            store.release_sending(db, mention.id)
        return Outcome(mention.id, error=str(exc))
    now = utc_now()
    with store.exclusive(db):
        stored = store.stored_mention(db, mention.id)
        if stored is None:  # deleted while the reply was sent: nothing left to record it against
            return Outcome(mention.id, error="This mention is no longer stored; the reply was posted but not recorded.")
        if not store.reply_known(db, sent.external_id):  # a poll may have seen it first
            if approver:
                stored = store.record(db, stored, "approved", approver, "button", now, Status.PENDING, reply_text=text)
            store.record(
                db,
                stored,
                "replied",
                writer,
                "approval" if approver else "modal",
                now,
                Status.REPLIED,
                reply_text=text,
                reply_external_id=sent.external_id,
                suggestion=suggestion,
                reply_url=sent.url,
                approved_by=approver.name if approver else None,
            )
    network = registry.name(mention.source)
    by = f", approved by {approver.name}" if approver else ""
    link = f" {sent.url}" if sent.url else ""
    edited = f" edited {edited_from}'s draft and" if edited_from else ""
    return Outcome(
        mention.id, changed=True, note=f"✅ {writer.name}{edited} replied on {network}{by}: {quoted(text)}{link}"
    )


def record_outside_reply(db: sqlite_utils.Database, mention_id: str, actor: Actor, text: str = "") -> Outcome:
    """The person replied on the network themselves; count it as theirs."""
    now = utc_now()
    text = clean(text).strip()
    with store.exclusive(db):
        stored = store.stored_mention(db, mention_id)
        problem = _problem(stored, now, OPEN)
        if problem:
            return Outcome(mention_id, error=problem)
        assert stored is not None  # a missing mention is one of the problems above
        store.record(db, stored, "replied", actor, "outside", now, Status.REPLIED, reply_text=text)
        network = registry.name(stored.mention.source)
    return Outcome(
        mention_id,
        changed=True,
        note=f"✅ {actor.name} replied on {network} directly" + (f": {quoted(text)}" if text else "."),
    )


def record_network_reply(db: sqlite_utils.Database, reply: NetworkReply) -> Outcome | None:
    """A reply the business account made on the network itself; None when it answers no open mention."""
    with store.exclusive(db):
        if store.reply_known(db, reply.external_id):
            return None
        stored = store.find_by_external_id(db, reply.source, reply.in_reply_to)
        if stored is None or stored.status in (Status.REPLIED, Status.HELD):
            return None
        account = Actor(f"{reply.source}:account", _account(reply))
        # Counted from when it was posted on the network, not from when we noticed it.
        store.record(
            db,
            stored,
            "replied",
            account,
            "platform",
            reply.created_at,
            Status.REPLIED,
            reply_text=reply.text,
            reply_external_id=reply.external_id,
            reply_url=reply.url,
        )
    network = registry.name(reply.source)
    return Outcome(
        stored.id,
        changed=True,
        note=f"✅ {_account(reply)} replied on {network} directly: {quoted(reply.text)} {reply.url}".rstrip(),
    )


def _account(reply: NetworkReply) -> str:
    """Who replied on the network: the business's @handle there, or "The owner" where it has none (Google)."""
    return f"@{reply.account}" if reply.account else "The owner"


def network_replies(sink: ChatOutlet | None) -> Callable[[sqlite_utils.Database, NetworkReply], str | None]:
    """What the poll does with a reply found on the network: record it, and redraw its card in `sink`."""

    def found(db: sqlite_utils.Database, reply: NetworkReply) -> str | None:
        outcome = record_network_reply(db, reply)
        if outcome is None:
            return None
        if sink is not None:
            announce(db, sink, outcome)
        return outcome.mention_id

    return found


def announce(db: sqlite_utils.Database, sink: ChatOutlet, outcome: Outcome) -> None:
    """Redraw the card as it stands now on each platform `sink` shows (an old card catches up too), and note a
    change in its thread there. A platform it is not posted on yet draws it with its handling when it is."""
    found = store.card(db, outcome.mention_id)
    if found is None:
        return
    mention, triage, handling, refs = found
    for ref in refs:
        if not draws(sink, ref.platform):
            continue
        sink.update(ref, mention, triage, handling)
        if outcome.changed and outcome.note:
            sink.note(ref, outcome.note)
