"""A mention's card for Microsoft Teams: an Adaptive Card (1.5) built with the Teams SDK's typed models.

Every piece of outside text (the customer's words and name, handles, feed titles, suggested replies
that may quote them, the team's notes) is a TextRun, which Teams shows as it is: markdown is not read
in a TextRun, so a mention can make no link, no bold and no @mention. Links are buttons
(Action.OpenUrl) and only for http(s) addresses. A card over Teams' message size is sent minimal
(who, the first words, the buttons), never lost.
"""

from __future__ import annotations

import json
from typing import Any, Literal
from urllib.parse import urlsplit

from microsoft_teams.cards import (
    Action,
    AdaptiveCard,
    CardElement,
    Container,
    ExecuteAction,
    OpenDialogData,
    OpenUrlAction,
    RichTextBlock,
    SubmitAction,
    TeamsCardProperties,
    TextBlock,
    TextRun,
)

from bot import wording
from bot.models import Handling, Mention, Triage
from bot.text import clean, one_line

# Teams refuses a message over about 28 KB (its documented bot message limit); the activity around
# the card takes some of it.
CARD_LIMIT = 27_000  # bytes of the card's JSON
URL_LIMIT = 2048  # longer links get no button: the card always fits
NAME_LIMIT = 150
TEXT_LIMIT = 4000  # the customer's words on a full card; a longer post is cut (its link has the rest)
MINIMAL_TEXT = 500  # the words on the minimal card
ID_LIMIT = 1000  # bytes: a mention id longer than this (no network's is) gets no buttons, so a card always fits
ELLIPSIS = "…"
CARD_TYPE = "application/vnd.microsoft.card.adaptive"
Style = Literal["default", "positive", "destructive"]

# What a button asks for: Teams sends it back in the invoke (`data.action`), with the mention's id.
CLAIM, TAKEOVER, DISMISS, REOPEN, APPROVE, REJECT = "claim", "takeover", "dismiss", "reopen", "approve", "reject"
REPLY_DIALOG, EDIT_DIALOG = "reply", "edit"  # the dialogs (task modules) Reply… and Edit… open


def cut(text: str, limit: int) -> str:
    """`text` in at most `limit` characters, ending in "…" when cut (at a space when one is near)."""
    if len(text) <= limit:
        return text
    head = text[: max(limit - 1, 0)]
    space = head.rfind(" ", int(limit * 0.8))
    return (head[:space] if space > 0 else head).rstrip() + ELLIPSIS


def card(mention: Mention, triage: Triage, handling: Handling | None = None) -> dict[str, Any]:
    """The full card as Teams reads it; the minimal one when the full one would be over Teams' size."""
    full = as_json(_full(mention, triage, handling))
    return full if size(full) <= CARD_LIMIT else minimal(mention, handling)


def size(content: dict[str, Any]) -> int:
    """Bytes of the card's JSON as sent, counted in UTF-8 and in UTF-16, whichever is more.

    Microsoft states the message limit in more than one unit over the years (28 KB; 40 KB and
    100 KB in UTF-16): under CARD_LIMIT in both encodings, a card fits whichever applies.
    """
    text = json.dumps(content, ensure_ascii=False, separators=(",", ":"))
    return max(len(text.encode("utf-8")), len(text.encode("utf-16-le", "surrogatepass")))


def minimal(mention: Mention, handling: Handling | None = None) -> dict[str, Any]:
    """Who, on which network, the first words, who has it, and the buttons; shorter still if need be."""
    for words, links in ((MINIMAL_TEXT, True), (100, False)):
        who = cut(one_line(wording.author(mention)), words // 5) or "Someone"
        body = [
            text_line(TextRun(text=who, weight="Bolder"), TextRun(text=f" on {wording.network_name(mention.source)}")),
            quote(cut(one_line(wording.said(mention)), words)),
        ]
        line = cut(one_line(wording.status_line(mention, handling)), words)
        if line:
            body.append(text_line(TextRun(text=line, weight="Bolder")))
        status = handling.status if handling else "new"
        actions = _actions(mention, status, links) + (_reply_link(handling) if links else [])
        drawn = as_json(adaptive_card(body, actions))
        if size(drawn) <= CARD_LIMIT:
            break
    return drawn


def _full(mention: Mention, triage: Triage, handling: Handling | None) -> AdaptiveCard:
    status = handling.status if handling else "new"
    body: list[CardElement] = [
        _header(mention),
        quote(cut(wording.said(mention), TEXT_LIMIT)),
        text_line(TextRun(text=wording.verdict(triage), is_subtle=True)),
    ]
    where = wording.where_to_answer(mention, cut(one_line(wording.feed_title(mention)), 200))
    if where:
        body.append(text_line(TextRun(text=where, is_subtle=True)))
    if triage.suggestions and status in ("new", "claimed"):
        body.append(TextBlock(text="Suggested replies", weight="Bolder", wrap=True))
        body += [text_line(TextRun(text=f"{i}. {one_line(s)}")) for i, s in enumerate(triage.suggestions, 1)]
        if triage.note:  # where the first one came from, so a wrong fact is fixed at its source
            body.append(text_line(TextRun(text=one_line(triage.note), is_subtle=True)))
    line = wording.status_line(mention, handling)
    if line:
        body.append(text_line(TextRun(text=one_line(line), weight="Bolder")))
    if handling and handling.status in ("replied", "pending") and handling.note:
        body.append(quote(cut(handling.note, TEXT_LIMIT)))
    return adaptive_card(body, _actions(mention, status) + _reply_link(handling))


def _reply_link(handling: Handling | None) -> list[Action]:
    if handling and handling.status in ("replied", "pending") and is_web(clean(handling.reply_url)):
        return [OpenUrlAction(title="View the reply", url=clean(handling.reply_url))]
    return []


def _header(mention: Mention) -> RichTextBlock:
    who = cut(one_line(mention.author_name or mention.author_handle or "Someone"), NAME_LIMIT) or "Someone"
    about = f" on {wording.network_name(mention.source)} · {mention.created_at:%Y-%m-%d %H:%M} UTC"
    if wording.reach(mention):
        about += f" · {wording.reach(mention)}"
    runs = [TextRun(text=who, weight="Bolder")]
    if mention.author_handle:
        runs.append(TextRun(text=f" @{cut(one_line(mention.author_handle), 100)}", is_subtle=True))
    return text_line(*runs, TextRun(text=about))


def _actions(mention: Mention, status: str, links: bool = True) -> list[Action]:
    mid = mention.id
    post: list[Action] = [OpenUrlAction(title="View post", url=mention.url)] if links and is_web(mention.url) else []
    if len(mid.encode("utf-8")) > ID_LIMIT:  # carried by every button: such a card is answered on the network
        return post
    by_status: dict[str, list[Action]] = {
        "new": [_execute("Claim", CLAIM, mid, "positive"), _dialog("Reply…", REPLY_DIALOG, mid), _dismiss(mid)],
        "claimed": [
            _dialog("Reply…", REPLY_DIALOG, mid, "positive"),
            _dismiss(mid),
            _execute("Take over", TAKEOVER, mid),
            _execute("Reopen", REOPEN, mid),
        ],
        "pending": [
            _execute("Approve and send", APPROVE, mid, "positive"),
            _dialog("Edit…", EDIT_DIALOG, mid),
            _execute("Reject", REJECT, mid, "destructive"),
        ],
        "replied": [_execute("Reopen", REOPEN, mid)],
        "dismissed": [_execute("Reopen", REOPEN, mid)],
    }
    return by_status.get(status, []) + post


def _dismiss(mention_id: str) -> ExecuteAction:
    return _execute("No reply needed", DISMISS, mention_id)


def _execute(title: str, action: str, mention_id: str, style: Style = "default") -> ExecuteAction:
    """A button Teams answers with an `adaptiveCard/action` invoke; the card it returns replaces this one."""
    return ExecuteAction(title=title, verb=action, data={"action": action, "mention_id": mention_id}, style=style)


def _dialog(title: str, dialog: str, mention_id: str, style: Style = "default") -> SubmitAction:
    """A button that opens a dialog (Teams sends `task/fetch`): Action.Execute cannot open one."""
    return SubmitAction(title=title, style=style).with_data(OpenDialogData(dialog, {"mention_id": mention_id}))


def is_web(url: str | None) -> bool:
    """An address a button may open: http(s), with a host, no spaces or line breaks, not too long."""
    text = str(url or "")
    if len(text) > URL_LIMIT or any(c.isspace() for c in text):
        return False
    try:
        parts = urlsplit(text)
        return parts.scheme in ("https", "http") and bool(parts.hostname)
    except ValueError:  # an address urllib cannot read (a broken [IPv6] host)
        return False


def text_line(*runs: TextRun) -> RichTextBlock:
    """A line of TextRuns: shown as written, never read as markdown (and without a lone surrogate,
    which no JSON encoder sends)."""
    inlines: list[CardElement] = [run.with_text(clean(run.text)) for run in runs if clean(run.text)]
    if not inlines:  # a block with no run is not a valid card
        inlines = [TextRun(text=" ")]
    return RichTextBlock(inlines=inlines)


def quote(text: str) -> Container:
    return Container(style="emphasis", items=[text_line(TextRun(text=text or " "))])


def adaptive_card(body: list[CardElement], actions: list[Action]) -> AdaptiveCard:
    return AdaptiveCard(version="1.5", body=body, actions=actions, msteams=TeamsCardProperties(width="full"))


def as_json(model: AdaptiveCard) -> dict[str, Any]:
    return model.model_dump(exclude_none=True, by_alias=True)
