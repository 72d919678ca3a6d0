"""What a mention card says, independent of the chat platform that draws it."""
from __future__ import annotations

from datetime import datetime, timezone

from bot.models import Mention, Triage

NETWORKS = {"x": "X", "mastodon": "Mastodon", "bluesky": "Bluesky", "reddit": "Reddit", "rss": "RSS"}
LABEL_ICONS = {"negative": "😠", "neutral": "😐", "positive": "😊"}
URGENCY_ICONS = {"high": "🔴", "normal": "🟡", "low": "⚪"}


def network_name(source: str) -> str:
    return NETWORKS.get(source, source.capitalize())


def verdict(triage: Triage) -> str:
    """One line a person can take in at a glance: sentiment, intent, urgency."""
    if triage.scored:
        mood = f"{LABEL_ICONS[triage.label]} {triage.label.capitalize()} ({triage.sentiment:+.2f})"
    else:
        mood = "🌐 Not in English: sentiment not scored"
    return f"{mood} · {triage.intent.capitalize()} · {URGENCY_ICONS[triage.urgency]} {triage.urgency.capitalize()} urgency"


def age(created_at: datetime, now: datetime | None = None) -> str:
    minutes = int(((now or datetime.now(timezone.utc)) - created_at).total_seconds() // 60)
    if minutes < 1:
        return "just now"
    if minutes < 60:
        return f"{minutes} min ago"
    if minutes < 48 * 60:
        return f"{minutes // 60} h ago"
    return f"{minutes // 1440} days ago"


def author(mention: Mention) -> str:
    handle = f"@{mention.author_handle}" if mention.author_handle else "someone"
    if mention.author_name and mention.author_name != mention.author_handle:
        return f"{mention.author_name} ({handle})"
    return handle


def reach(mention: Mention) -> str:
    if mention.author_followers is None:
        return ""
    return f"{mention.author_followers:,} followers"
