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

from bot.chat.cards import age, network_name
from bot.models import Actor, ChatSink, Mention, NetworkReply, ReplyError, SentReply, Triage
from bot.sources import registry
from bot.text import clean
from storage import responses as store
from storage.mentions import parse_iso, row_to_mention, row_to_triage, utc_now

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


def _sending(row: dict, now: datetime) -> bool:
    return bool(row["sending_at"]) and now - parse_iso(row["sending_at"]) < SENDING_TIMEOUT


def _where_it_stands(row: dict, now: datetime) -> str:
    """Why an action does not apply, in words."""
    who = row["actor_name"] or "Someone"
    when = age(parse_iso(row["status_at"]), now) if row["status_at"] else ""
    if _sending(row, now):
        return f"{row['sending_by'] or 'Someone'} is sending a reply right now."
    return {
        "claimed": f"{who} claimed this {when}.",
        "pending": f"A reply by {who} is waiting for approval.",
        "replied": f"{who} already replied {when}. Press Reopen on the card to answer again.",
        "dismissed": f"{who} marked this as no reply needed {when}. Press Reopen on the card to work on it.",
        "held": "This mention was held back as spam.",
        "new": "Nobody has taken this yet.",
    }.get(row["status"], "")


def claim(db: sqlite_utils.Database, mention_id: str, actor: Actor, takeover: bool = False) -> Outcome:
    now = utc_now()
    with store.exclusive(db):
        row = store.mention_row(db, mention_id)
        if row is None:
            return Outcome(mention_id, message=GONE)
        holder = row["actor_name"] if row["status"] == "claimed" else ""
        if holder and row["actor_id"] == actor.id:
            return Outcome(mention_id, message="This one is already yours.")
        if holder and not takeover:
            return Outcome(mention_id, takeover_from=holder, message=f"{_where_it_stands(row, now)} Take it over?")
        if row["status"] not in OPEN or _sending(row, now):
            return Outcome(mention_id, message=_where_it_stands(row, now))
        store.record(db, row, "claimed", actor, "takeover" if holder else "button", now, "claimed")
    note = f"🙋 {actor.name} took this over from {holder}." if holder else f"🙋 {actor.name} claimed this."
    return Outcome(mention_id, changed=True, note=note)


OPEN = ("new", "claimed")


def _problem(row: dict | None, now: datetime, allowed: tuple[str, ...]) -> str:
    """Why an action that needs one of the `allowed` statuses cannot apply now, or ''."""
    if row is None:
        return GONE
    if row["status"] not in allowed or _sending(row, now):
        return _where_it_stands(row, now)
    return ""


def dismissal_problem(row: dict | None, now: datetime) -> str:
    """Why this mention cannot be set aside now, or ''."""
    return _problem(row, now, OPEN)


def dismiss(db: sqlite_utils.Database, mention_id: str, actor: Actor, reason: str = "") -> Outcome:
    now = utc_now()
    reason = " ".join(clean(reason).split())[:300]
    with store.exclusive(db):
        row = store.mention_row(db, mention_id)
        problem = dismissal_problem(row, now)
        if problem:
            return Outcome(mention_id, message=problem)
        assert row is not None  # a missing mention is one of the problems above
        store.record(db, row, "dismissed", actor, "button", now, "dismissed", note=reason)
    return Outcome(
        mention_id, changed=True, note=f"🚫 {actor.name}: no reply needed" + (f" — {reason}" if reason else ".")
    )


def reopen(db: sqlite_utils.Database, mention_id: str, actor: Actor) -> Outcome:
    now = utc_now()
    with store.exclusive(db):
        row = store.mention_row(db, mention_id)
        problem = _problem(row, now, ("claimed", "dismissed", "replied"))
        if problem:
            return Outcome(mention_id, message=problem)
        assert row is not None  # a missing mention is one of the problems above
        store.record(db, row, "reopened", actor, "button", now, "new")
    return Outcome(mention_id, changed=True, note=f"↩️ {actor.name} reopened this.")


def reply_form(
    db: sqlite_utils.Database, mention_id: str, actor: Actor, repliers: dict[str, Replier], approvers: frozenset[str]
) -> ReplyForm | None:
    row = store.mention_row(db, mention_id)
    if row is None:
        return None
    mention, triage = row_to_mention(row), row_to_triage(row)
    is_approver = actor.id in approvers
    problem = _cannot_reply(row, is_approver, utc_now())
    draft = row["status_note"] if row["status"] == "pending" else (triage.suggestions[0] if triage.suggestions else "")
    return ReplyForm(
        mention,
        triage,
        draft or "",
        registry.reply_limit(mention.source) or 280,
        can_send=mention.source in repliers,
        needs_approval=bool(approvers) and not is_approver,
        problem=problem,
    )


def _cannot_reply(row: dict, is_approver: bool, now: datetime) -> str:
    # An approver may reply to a mention whose draft waits for approval: that is "Edit…".
    return _problem(row, now, OPEN + ("pending",) if is_approver else OPEN)


def check_length(mention: Mention, text: str) -> str:
    """A plain-language problem with the reply's length, or ''."""
    if not text.strip():
        return "Write a reply first."
    limit = registry.reply_limit(mention.source) or 280
    length = registry.reply_length(mention.source, text)
    if length > limit:
        return f"{network_name(mention.source)} allows {limit} characters; this reply counts {length}. Shorten it by {length - limit}."
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
        row = store.mention_row(db, mention_id)
        if row is None:
            return Outcome(mention_id, error=GONE)
        mention = row_to_mention(row)
        problem = _cannot_reply(row, actor.id in approvers, now) or check_length(mention, text)
        if problem:
            return Outcome(mention_id, error=problem)
        replier = repliers.get(mention.source)
        if replier is None:
            return Outcome(
                mention_id,
                error=f"Listening Post cannot post on {network_name(mention.source)} with the current settings. "
                "Reply there yourself, then use “I replied myself”.",
            )
        used = suggestion_use(row_to_triage(row), started_from, text)
        if approvers and actor.id not in approvers:
            store.record(db, row, "submitted", actor, "modal", now, "pending", reply_text=text, suggestion=used)
            return Outcome(
                mention_id,
                changed=True,
                note=f"⏳ {actor.name} wrote a reply for approval: {quoted(text)}",
                message="Your reply is waiting for an approver. It goes out when they approve it.",
            )
        edited_from = row["actor_name"] if row["status"] == "pending" else ""
        store.reserve_sending(db, row, actor, now)
    return _post(db, mention, replier, text, writer=actor, edited_from=edited_from, suggestion=used)


def approve(
    db: sqlite_utils.Database, mention_id: str, approver: Actor, repliers: dict[str, Replier], approvers: frozenset[str]
) -> Outcome:
    if approver.id not in approvers:
        return Outcome(mention_id, message="Only the people in REPLY_APPROVERS can approve replies.")
    now = utc_now()
    with store.exclusive(db):
        row = store.mention_row(db, mention_id)
        problem = _problem(row, now, ("pending",))
        if problem:
            return Outcome(mention_id, message=problem)
        assert row is not None  # a missing mention is one of the problems above
        mention = row_to_mention(row)
        replier = repliers.get(mention.source)
        if replier is None:
            return Outcome(
                mention_id,
                error=f"Listening Post cannot post on {network_name(mention.source)} with the current settings.",
            )
        writer, text = Actor(row["actor_id"], row["actor_name"]), row["status_note"]
        store.reserve_sending(db, row, approver, now)
    return _post(db, mention, replier, text, writer=writer, approver=approver)


def reject(db: sqlite_utils.Database, mention_id: str, approver: Actor, approvers: frozenset[str]) -> Outcome:
    """Send a draft back: it is not posted, and its writer holds the mention again."""
    if approver.id not in approvers:
        return Outcome(mention_id, message="Only the people in REPLY_APPROVERS can reject replies.")
    now = utc_now()
    with store.exclusive(db):
        row = store.mention_row(db, mention_id)
        problem = _problem(row, now, ("pending",))
        if problem:
            return Outcome(mention_id, message=problem)
        assert row is not None  # a missing mention is one of the problems above
        writer, draft = row["actor_name"], row["status_note"]
        store.record(
            db,
            row,
            "rejected",
            approver,
            "button",
            now,
            "claimed",
            reply_text=draft,
            actor_id=row["actor_id"],
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
        row = store.mention_row(db, mention.id)
        if row is None:  # deleted while the reply was sent: nothing left to record it against
            return Outcome(mention.id, error="This mention is no longer stored; the reply was posted but not recorded.")
        if not store.reply_known(db, sent.external_id):  # a poll may have seen it first
            if approver:
                store.record(db, row, "approved", approver, "button", now, "pending", reply_text=text)
            store.record(
                db,
                row,
                "replied",
                writer,
                "approval" if approver else "modal",
                now,
                "replied",
                reply_text=text,
                reply_external_id=sent.external_id,
                suggestion=suggestion,
                reply_url=sent.url,
                approved_by=approver.name if approver else None,
            )
    network = network_name(mention.source)
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
        row = store.mention_row(db, mention_id)
        problem = _problem(row, now, OPEN)
        if problem:
            return Outcome(mention_id, error=problem)
        assert row is not None  # a missing mention is one of the problems above
        store.record(db, row, "replied", actor, "outside", now, "replied", reply_text=text)
        network = network_name(row["source"])
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
        row = store.find_by_external_id(db, reply.source, reply.in_reply_to)
        if row is None or row["status"] in ("replied", "held"):
            return None
        account = Actor(f"{reply.source}:account", f"@{reply.account}")
        # Counted from when it was posted on the network, not from when we noticed it.
        store.record(
            db,
            row,
            "replied",
            account,
            "platform",
            reply.created_at,
            "replied",
            reply_text=reply.text,
            reply_external_id=reply.external_id,
            reply_url=reply.url,
        )
    network = network_name(reply.source)
    return Outcome(
        row["id"],
        changed=True,
        note=f"✅ @{reply.account} replied on {network} directly: {quoted(reply.text)} {reply.url}".rstrip(),
    )


def announce(db: sqlite_utils.Database, sink: ChatSink, outcome: Outcome) -> None:
    """Redraw the card as it stands now (an old card catches up too) and note a change in its thread."""
    found = store.card(db, outcome.mention_id)
    if found is None:
        return
    mention, triage, handling, ref = found
    if ref is None or ref.platform != sink.platform:  # not posted yet: the card is drawn with its handling when it is
        return
    sink.update(ref, mention, triage, handling)
    if outcome.changed and outcome.note:
        sink.note(ref, outcome.note)
