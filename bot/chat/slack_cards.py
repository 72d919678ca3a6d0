"""Block Kit for a mention card; every piece of outside text is escaped as Slack requires."""
from __future__ import annotations

from bot.chat import cards
from bot.models import Handling, Mention, Triage

SECTION_LIMIT = 3000  # Slack's limit for a section's text
ACTIONS_BLOCK = "mention_actions"
CLAIM, REPLY, DISMISS = "mention_claim", "mention_reply", "mention_dismiss"
REOPEN, APPROVE, EDIT, REJECT = "mention_reopen", "mention_approve", "mention_edit", "mention_reject"
TAKEOVER = "mention_takeover"  # the button in the "take it over?" question


def escape(text: str) -> str:
    """Slack's three control characters; with them escaped, a mention can't ping @channel or forge a link."""
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def link(url: str, label: str) -> str:
    if not url.startswith(("https://", "http://")):
        return escape(label)
    # `|` and `>` would end Slack's <url|label> syntax early.
    safe_url = escape(url).replace("|", "%7C")
    return f"<{safe_url}|{escape(label).replace('|', '¦')}>"


def quote(text: str) -> str:
    body = escape(text)
    if len(body) > SECTION_LIMIT - 10:
        body = body[: SECTION_LIMIT - 11].rsplit(" ", 1)[0] + " …"
    return "\n".join("> " + line for line in body.splitlines() or [""])


def fallback_text(mention: Mention, triage: Triage) -> str:
    """The notification text (and what screen readers say)."""
    icon = cards.LABEL_ICONS[triage.label] if triage.scored else "🌐"
    preview = mention.text if len(mention.text) <= 150 else mention.text[:149] + "…"
    return escape(f"{icon} {cards.author(mention)} on {cards.network_name(mention.source)}: {preview}")


def card_blocks(mention: Mention, triage: Triage, handling: Handling | None = None) -> list[dict]:
    ts = int(mention.created_at.timestamp())
    when = f"<!date^{ts}^{{date_short_pretty}} at {{time}}|{mention.created_at:%Y-%m-%d %H:%M} UTC>"
    who = escape(mention.author_name or mention.author_handle or "Someone")
    handle = link(mention.url, f"@{mention.author_handle}") if mention.author_handle else link(mention.url, "view post")
    about = f"*{who}* {handle} on {cards.network_name(mention.source)} · {when}"
    if cards.reach(mention):
        about += f" · {cards.reach(mention)}"
    blocks: list[dict] = [
        {"type": "section", "text": {"type": "mrkdwn", "text": about}},
        {"type": "section", "text": {"type": "mrkdwn", "text": quote(mention.text)}},
        {"type": "context", "elements": [{"type": "mrkdwn", "text": escape(cards.verdict(triage))}]},
    ]
    if cards.where_to_answer(mention):
        blocks.append({"type": "context", "elements": [{"type": "mrkdwn", "text": escape(cards.where_to_answer(mention))}]})
    status = handling.status if handling else "new"
    if triage.suggestions and status in ("new", "claimed"):
        lines = "\n".join(f"{i}. {escape(s)}" for i, s in enumerate(triage.suggestions, 1))
        blocks.append({"type": "section", "text": {"type": "mrkdwn", "text": f"*Suggested replies*\n{lines}"[:SECTION_LIMIT]}})
    line = cards.status_line(mention, handling)
    if line:
        blocks.append({"type": "section", "text": {"type": "mrkdwn", "text": f"*{escape(line)}*"}})
    if handling and handling.status in ("replied", "pending") and handling.note:
        reply = quote(handling.note)
        if handling.reply_url:
            reply += "\n" + link(handling.reply_url, "View the reply")
        blocks.append({"type": "section", "text": {"type": "mrkdwn", "text": reply}})
    buttons = _buttons(mention.id, status)
    if buttons:
        blocks.append({"type": "actions", "block_id": ACTIONS_BLOCK, "elements": buttons})
    return blocks


def _buttons(mention_id: str, status: str) -> list[dict]:
    if status == "new":
        return [_button("Claim", CLAIM, mention_id, "primary"), _button("Reply…", REPLY, mention_id),
                _button("No reply needed", DISMISS, mention_id)]
    if status == "claimed":
        return [_button("Reply…", REPLY, mention_id, "primary"), _button("No reply needed", DISMISS, mention_id),
                _button("Take over", CLAIM, mention_id), _button("Reopen", REOPEN, mention_id)]
    if status == "pending":
        return [_button("Approve and send", APPROVE, mention_id, "primary"), _button("Edit…", EDIT, mention_id),
                _button("Reject", REJECT, mention_id, "danger")]
    if status in ("replied", "dismissed"):
        return [_button("Reopen", REOPEN, mention_id)]
    return []


def _button(label: str, action_id: str, value: str, style: str | None = None) -> dict:
    button = {"type": "button", "text": {"type": "plain_text", "text": label}, "action_id": action_id, "value": value}
    if style:
        button["style"] = style
    return button
