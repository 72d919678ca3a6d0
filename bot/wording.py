"""Wording every platform uses: what a card says, icons, ages and durations, and how to name a network."""

from __future__ import annotations

from datetime import UTC, datetime

from bot.models import Handling, Label, Mention, Status, Triage, Urgency
from bot.sources import registry
from bot.text import one_line

LABEL_ICONS = {Label.NEGATIVE: "😠", Label.NEUTRAL: "😐", Label.POSITIVE: "😊"}
URGENCY_ICONS = {Urgency.HIGH: "🔴", Urgency.NORMAL: "🟡", Urgency.LOW: "⚪"}


network_name = registry.name


def feed_title(mention: Mention, limit: int = 200) -> str:
    """The title of the feed an entry came from, on one line and at most `limit` characters; '' when unknown."""
    title = one_line(mention.raw.get("feed_title"))
    return title if len(title) <= limit else title[: limit - 1].rstrip() + "…"


def where_to_answer(mention: Mention, feed: str | None = None) -> str:
    """For a mention that cannot be answered through Listening Post, where the team can answer it; '' otherwise.

    `feed` is the feed's title as the chat platform needs it shown (made safe); by default `feed_title`.
    """
    network = registry.network(mention.source)
    if network is None or network.reply_limit is not None:
        return ""
    feed = (feed if feed is not None else feed_title(mention)) or "a feed"
    return (
        f"📰 From {feed}. A feed cannot be answered from here: answer on the page itself if it takes comments, "
        "then press Reply… → I replied myself so it counts; or No reply needed."
    )


HARM_NAMES = {
    "health": "illness",
    "allergy": "an allergic reaction",
    "injury": "an injury",
    "safety": "a danger",
    "legal": "a legal matter",
    "money": "money taken",
}


def verdict(triage: Triage) -> str:
    """One line a person can take in at a glance: sentiment, intent, urgency."""
    if triage.scored:
        mood = f"{LABEL_ICONS[triage.label]} {triage.label.capitalize()} ({triage.sentiment:+.2f})"
    else:
        mood = "🌐 Not in English: sentiment not scored"
    intent = (
        f"Complaint of harm ({HARM_NAMES.get(triage.harm, triage.harm)})" if triage.harm else triage.intent.capitalize()
    )
    return f"{mood} · {intent} · {URGENCY_ICONS[triage.urgency]} {triage.urgency.capitalize()} urgency"


def age(created_at: datetime, now: datetime | None = None) -> str:
    minutes = int(((now or datetime.now(UTC)) - created_at).total_seconds() // 60)
    if minutes < 1:
        return "just now"
    if minutes < 60:
        return f"{minutes} min ago"
    if minutes < 48 * 60:
        return f"{minutes // 60} h ago"
    return f"{minutes // 1440} days ago"


def stars(rating: int | None) -> str:
    """A review's rating as five stars, ★★☆☆☆; '' for a post."""
    return "" if rating is None else "★" * rating + "☆" * (5 - rating)


def said(mention: Mention) -> str:
    """The words a card shows: a review's stars before them, and "(no text)" for a rating alone."""
    if mention.rating is None:
        return mention.text
    return f"{stars(mention.rating)} {mention.text}" if mention.text.strip() else f"{stars(mention.rating)} (no text)"


def author(mention: Mention) -> str:
    if not mention.author_handle:
        return mention.author_name or "Someone"  # a feed entry: the feed or the article's author
    handle = f"@{mention.author_handle}"
    if mention.author_name and mention.author_name != mention.author_handle:
        return f"{mention.author_name} ({handle})"
    return handle


def reach(mention: Mention) -> str:
    if mention.author_followers is None:
        return ""
    return f"{mention.author_followers:,} followers"


def duration(seconds: float) -> str:
    minutes = int(max(0, seconds) // 60)
    if minutes < 1:
        return "under a minute"
    if minutes < 60:
        return f"{minutes} min"
    if minutes < 48 * 60:
        hours, rest = divmod(minutes, 60)
        return f"{hours} h {rest} min" if rest else f"{hours} h"
    return f"{minutes // 1440} days"


def status_line(mention: Mention, handling: Handling | None) -> str:
    """Where the team is with a mention, in one line; '' while nobody has acted."""
    if handling is None:
        return ""
    who = handling.actor_name or "Someone"
    network = network_name(mention.source)
    took = duration(handling.response_secs) if handling.response_secs is not None else ""
    if handling.status == Status.CLAIMED and handling.at:
        arrived = handling.posted_at or mention.created_at
        return f"🙋 Claimed by {who} · {duration((handling.at - arrived).total_seconds())} after it arrived"
    if handling.status == Status.PENDING:
        return f"⏳ Reply by {who} waiting for approval"
    if handling.status == Status.REPLIED:
        if handling.via == "platform":
            return f"✅ Replied on {network}, {took}"
        if handling.via == "outside":
            return f"✅ {who} replied on {network} directly · {took}"
        approved = f", approved by {handling.approved_by}," if handling.approved_by else ""
        return f"✅ Replied by {who}{approved} in {took}"
    if handling.status == Status.DISMISSED:
        return f"🚫 No reply needed — {who}" + (f": {handling.note}" if handling.note else "")
    if handling.status == Status.NEW and handling.actor_name:
        return f"↩️ Reopened by {who}"
    return ""
