"""A reply the team sent before, made into a suggestion for a new mention: re-addressed, its specifics marked to check."""

from __future__ import annotations

import re
from dataclasses import replace

import sqlite_utils

from bot.models import Mention, Triage
from bot.sources import registry
from storage import team_replies
from storage.team_replies import PastReply

# Specifics of the old case that must never be copied to a new customer: each becomes a marked
# gap the person fills in (or deletes) before sending.
_SPECIFICS = [
    (re.compile(r"\b[\w.+-]+@[\w-]+\.[\w.]+\b"), "[email]"),
    (re.compile(r"https?://\S+|www\.\S+", re.IGNORECASE), "[link]"),
    (
        re.compile(r"[£$€]\s?\d[\d,.]*|\b\d[\d,.]*\s?(?:pounds|quid|dollars|euros|eur|gbp|usd)\b", re.IGNORECASE),
        "[amount]",
    ),
    (re.compile(r"\b\d{1,2}(?::\d{2})?\s?(?:am|pm)\b|\b\d{1,2}:\d{2}\b", re.IGNORECASE), "[time]"),
    (
        re.compile(
            r"\b\d{1,2}(?:st|nd|rd|th)?\s(?:jan|feb|mar|apr|may|jun|jul|aug|sep|sept|oct|nov|dec)[a-z]*\b"
            r"|\b\d{1,2}/\d{1,2}(?:/\d{2,4})?\b",
            re.IGNORECASE,
        ),
        "[date]",
    ),
    (re.compile(r"(?<![\w#])\+?\d[\d \t().-]{6,}\d\b"), "[number]"),  # phone numbers, spaces and all
    (re.compile(r"#?\b[A-Z]{0,4}\d{3,}[A-Z0-9-]*\b"), "[number]"),  # order and ticket numbers
]
_GREETING_GAP = re.compile(r"\b(Hi|Hello|Hey|Thanks|Thank you|Sorry|Dear)\s*,")


def first_name(author_name: str) -> str:
    """The first word of a display name, when it looks like a given name (else '')."""
    word = (author_name or "").split(" ", 1)[0]
    return word if re.fullmatch(r"[A-Z][a-z]{1,20}", word) else ""


def readdress(past: PastReply, mention: Mention) -> tuple[str, str]:
    """The past reply as a suggestion for `mention`, and the note for the card.

    The old customer's handle and first name are taken out (the new handle goes where the old one
    was); numbers, amounts, times, dates, links and emails of the old case are marked to check.
    """
    text = past.reply_text
    if past.author_handle:
        new = f"@{mention.author_handle}" if mention.author_handle else ""
        text = re.sub(r"(?<!\w)@" + re.escape(past.author_handle) + r"\b", new, text, flags=re.IGNORECASE)
    old_name = first_name(past.author_name)
    if old_name:
        text = re.sub(r"\b" + re.escape(old_name) + r"\b", "", text)
    marked = False
    for pattern, gap in _SPECIFICS:
        text, count = pattern.subn(gap, text)
        marked = marked or bool(count)
    text = _GREETING_GAP.sub(r"\1,", re.sub(r"[ \t]{2,}", " ", text)).replace(" ,", ",").strip()
    note = f"💬 The first suggestion is like {past.replier}'s reply on {past.replied_at:%-d %b}"
    if marked:
        note += ": fill in the [marked] parts before sending"
    return text, note + "."


def with_team_reply(db: sqlite_utils.Database, mention: Mention, triage: Triage) -> Triage:
    """`triage` with the team's reply to the most similar earlier mention (same intent, never the opposite
    mood) first among the suggestions, re-addressed and its specifics marked; after a facts answer, if any."""
    if triage.spam or not triage.suggestions:  # spam, and feeds: nothing to suggest
        return triage
    past = team_replies.similar(db, mention.text, triage.intent, triage.label, exclude=mention.id, limit=1)
    if not past:
        return triage
    text, note = readdress(past[0], mention)
    limit = registry.reply_limit(mention.source)
    if not text or (limit and registry.reply_length(mention.source, text) > limit):
        return triage
    rest = tuple(s for s in triage.suggestions if s != text)
    # A facts answer stays first; so does the careful reply to a complaint of harm (health, allergy,
    # injury, safety, legal, money), which a past reply to a lighter case must never push aside.
    if triage.note or triage.harm:
        return replace(triage, suggestions=rest[:1] + (text,) + rest[1:2])
    return replace(triage, suggestions=(text,) + rest[:2], note=note)
