"""Block Kit for a mention card; every piece of outside text is escaped as Slack requires and cut to Slack's limits.

The card is built with slack_sdk's block models and turned into dicts with `to_dict()`, which
checks Slack's limits where the card is made (a text over them raises `SlackObjectFormationError`).

`fit` owns "escape, then cut to fit": the limit is measured on the escaped text, a cut never
splits an `&amp;` entity, and what is cut ends in "…". Names, handles and titles go through
`name` (one line, no mrkdwn markers), quoted text through `quote` (the "> " prefixes counted).
"""

from __future__ import annotations

import re

from slack_sdk.models.blocks import (
    ActionsBlock,
    Block,
    ButtonElement,
    ContextBlock,
    MarkdownTextObject,
    PlainTextObject,
    SectionBlock,
)

from bot import wording
from bot.models import Handling, Mention, Triage
from bot.text import one_line

# Slack's documented limits (Block Kit reference, chat.postMessage).
SECTION_LIMIT = 3000  # a section's text, and any text object (a context element's too)
TEXT_LIMIT = 3000
MESSAGE_TEXT_LIMIT = 40000  # chat.postMessage `text`; we keep ours far shorter
FALLBACK_LIMIT = 300
NOTE_LIMIT = 3000  # a line in a card's thread
SAY_LIMIT = 39000  # the digest
BLOCKS_LIMIT = 50  # blocks in one message
BUTTON_TEXT_LIMIT = 75
BUTTON_VALUE_LIMIT = 2000
ID_LIMIT = 255  # action_id, block_id
URL_LIMIT = 1500  # longer links are shown as their label only, so a card's header always fits
NAME_LIMIT = 150
MINIMAL_TEXT = 500  # the text shown by the minimal card sent when Slack refused the full one

ACTIONS_BLOCK = "mention_actions"
CLAIM, REPLY, DISMISS = "mention_claim", "mention_reply", "mention_dismiss"
REOPEN, APPROVE, EDIT, REJECT = "mention_reopen", "mention_approve", "mention_edit", "mention_reject"
TAKEOVER = "mention_takeover"  # the button in the "take it over?" question

ELLIPSIS = "…"
_MARKERS = str.maketrans("", "", "*_~`")  # mrkdwn's bold, italic, strike and code markers
_HANDLE_MARKERS = str.maketrans("", "", "*~`")  # `_` is part of many handles (and cannot end a line)
_SPACE = re.compile(r"\s")
_ENTITIES = ("&amp;", "&lt;", "&gt;")
_URL_UNSAFE = str.maketrans({"|": "%7C", " ": "%20", "*": "%2A", "`": "%60"})


def escape(text: str) -> str:
    """Slack's three control characters; with them escaped, a mention can't ping @channel or forge a link."""
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def cut(text: str, limit: int, force: bool = False) -> str:
    """`text` (already escaped, or plain) in at most `limit` characters, ending in "…" when cut (or when `force`d).

    The cut is at a word boundary unless that would lose more than a fifth of the room (one long
    word, a URL), and never inside an `&amp;`/`&lt;`/`&gt;` entity.
    """
    if len(text) <= limit and not force:
        return text
    if limit <= 1:
        return ELLIPSIS[: max(limit, 0)]
    room = limit - 1
    if len(text) < room:  # forced, with room to spare: nothing is lost
        return f"{text} {ELLIPSIS}" if text else ELLIPSIS
    head = text[:room]
    if len(text) > room:
        amp = head.rfind("&", max(0, room - 4))
        if amp != -1 and text.startswith(_ENTITIES, amp) and ";" not in head[amp:]:
            head = head[:amp]  # the entity would be split: leave it out whole
        spaces = [m.start() for m in _SPACE.finditer(head, int(room * 0.8))]
        if spaces:
            head = head[: spaces[-1]]
    return head.rstrip() + ELLIPSIS


def fit(text: str, limit: int = TEXT_LIMIT) -> str:
    """Outside text as mrkdwn: escaped, then cut so the escaped form is at most `limit` characters."""
    return cut(escape(text), limit)


def name(text: str, limit: int = NAME_LIMIT) -> str:
    """A person's name or a title for mrkdwn: one line, mrkdwn markers removed, escaped, cut."""
    return fit(one_line(text).translate(_MARKERS), limit)


def handle(text: str, limit: int = 100) -> str:
    """A handle, as plain (unescaped) words for a link label: one line, no bold, strike or code markers."""
    return cut(one_line(text).translate(_HANDLE_MARKERS), limit)


def plain(text: str, limit: int) -> str:
    """Text for a plain_text object (button, title, option): one line, cut; Slack shows it as it is."""
    return cut(one_line(text), limit) or " "


def link(url: str, label: str, url_limit: int = URL_LIMIT) -> str:
    """A mrkdwn link; a URL that is not http(s), or too long (escaped) to fit a card, is shown as its label only."""
    url = one_line(url)
    # `|` and `>` would end Slack's <url|label> syntax early; `*` and a backtick are percent-encoded
    # (the same address) so no part of a card's markup ever comes from a URL.
    safe_url = escape(url).translate(_URL_UNSAFE)
    if not url.startswith(("https://", "http://")) or len(safe_url) > url_limit:
        return fit(label, 200)
    return f"<{safe_url}|{fit(one_line(label), 200).replace('|', '¦')}>"


def quote(text: str, limit: int = SECTION_LIMIT) -> str:
    """`text` escaped and quoted line by line, in at most `limit` characters counting every "> " and line break."""
    lines = escape(text).splitlines() or [""]
    out: list[str] = []
    used = 0
    for i, line in enumerate(lines):
        sep = 1 if out else 0
        need = used + sep + 2 + len(line)
        # Every line but the last leaves room for a closing "\n> …", so a cut is always marked.
        if need <= (limit if i == len(lines) - 1 else limit - 4):
            out.append("> " + line)
            used = need
            continue
        out.append("> " + cut(line, limit - used - sep - 2, force=True))
        break
    return "\n".join(out)


def fallback_text(mention: Mention, triage: Triage) -> str:
    """The notification text (and what screen readers say): short, one line."""
    icon = wording.LABEL_ICONS[triage.label] if triage.scored else "🌐"
    who = cut(one_line(wording.author(mention)), 100)
    return fit(
        f"{icon} {who} on {wording.network_name(mention.source)}: {one_line(wording.said(mention))}", FALLBACK_LIMIT
    )


def _header(mention: Mention) -> str:
    ts = int(mention.created_at.timestamp())
    when = f"<!date^{ts}^{{date_short_pretty}} at {{time}}|{mention.created_at:%Y-%m-%d %H:%M} UTC>"
    who = name(mention.author_name or mention.author_handle or "Someone") or "Someone"
    label = f"@{handle(mention.author_handle)}" if mention.author_handle else "view post"
    about = f"*{who}* {link(mention.url, label)} on {wording.network_name(mention.source)} · {when}"
    if wording.reach(mention):
        about += f" · {wording.reach(mention)}"
    return about


def _section(text: str) -> SectionBlock:
    return SectionBlock(text=MarkdownTextObject(text=text))


def _context(text: str) -> ContextBlock:
    return ContextBlock(elements=[MarkdownTextObject(text=text)])


def _dicts(blocks: list[Block]) -> list[dict]:
    return [block.to_dict() for block in blocks]


def _bold_line(line: str) -> str:
    """A line of ours shown in bold, on one line; the names and notes inside it lose `*`, `~` and `` ` `` so none can end the bold."""
    return f"*{fit(one_line(line).translate(_HANDLE_MARKERS), SECTION_LIMIT - 2) or ' '}*"


def card_blocks(mention: Mention, triage: Triage, handling: Handling | None = None) -> list[dict]:
    """The card; block 1 is always the quoted text of the mention."""
    blocks: list[Block] = [
        _section(_header(mention)),
        _section(quote(wording.said(mention))),
        _context(fit(wording.verdict(triage))),
    ]
    where = wording.where_to_answer(mention, name(wording.feed_title(mention), 200))
    if where:
        # The feed title is already made safe by `name`; the rest of the line is ours.
        blocks.append(_context(cut(where, TEXT_LIMIT)))
    status = handling.status if handling else "new"
    if triage.suggestions and status in ("new", "claimed"):
        heading = "*Suggested replies*\n"
        each = max(40, (SECTION_LIMIT - len(heading)) // len(triage.suggestions) - 1)
        lines = "\n".join(f"{i}. {fit(one_line(s), each - 4)}" for i, s in enumerate(triage.suggestions, 1))
        blocks.append(_section(heading + cut(lines, SECTION_LIMIT - len(heading))))
        if triage.note:  # where the first one came from, so a wrong fact is fixed at its source
            blocks.append(_context(fit(one_line(triage.note), TEXT_LIMIT)))
    line = wording.status_line(mention, handling)
    if line:
        blocks.append(_section(_bold_line(line)))
    if handling and handling.status in ("replied", "pending") and handling.note:
        view = "\n" + link(handling.reply_url, "View the reply") if handling.reply_url else ""
        blocks.append(_section(quote(handling.note, SECTION_LIMIT - len(view)) + view))
    blocks += _actions(mention.id, status)
    return _dicts(blocks[:BLOCKS_LIMIT])


def minimal_blocks(mention: Mention, handling: Handling | None = None) -> list[dict]:
    """The card sent when Slack refused the full one: who, the first words, the link and the buttons."""
    who = name(wording.author(mention), 100) or "Someone"
    about = f"*{who}* on {wording.network_name(mention.source)} · {link(mention.url, 'view post', MINIMAL_TEXT)}"
    return _dicts(
        [
            _section(about),
            _section("> " + fit(one_line(wording.said(mention)), MINIMAL_TEXT) or "> "),
            *_actions(mention.id, handling.status if handling else "new"),
        ]
    )


def _actions(mention_id: str, status: str) -> list[Block]:
    if len(mention_id) > BUTTON_VALUE_LIMIT:  # a button cannot carry it: the card is shown without them
        return [_context("This mention's id is too long for Slack's buttons; answer it on the network.")]
    buttons = _buttons(mention_id, status)
    return [ActionsBlock(block_id=ACTIONS_BLOCK, elements=buttons)] if buttons else []


def _buttons(mention_id: str, status: str) -> list[ButtonElement]:
    if status == "new":
        return [
            _button("Claim", CLAIM, mention_id, "primary"),
            _button("Reply…", REPLY, mention_id),
            _button("No reply needed", DISMISS, mention_id),
        ]
    if status == "claimed":
        return [
            _button("Reply…", REPLY, mention_id, "primary"),
            _button("No reply needed", DISMISS, mention_id),
            _button("Take over", CLAIM, mention_id),
            _button("Reopen", REOPEN, mention_id),
        ]
    if status == "pending":
        return [
            _button("Approve and send", APPROVE, mention_id, "primary"),
            _button("Edit…", EDIT, mention_id),
            _button("Reject", REJECT, mention_id, "danger"),
        ]
    if status in ("replied", "dismissed"):
        return [_button("Reopen", REOPEN, mention_id)]
    return []


def button(label: str, action_id: str, value: str, style: str | None = None) -> dict:
    """A button within Slack's limits (label 75 characters, value 2,000)."""
    return _button(label, action_id, value, style).to_dict()


def _button(label: str, action_id: str, value: str, style: str | None = None) -> ButtonElement:
    return ButtonElement(
        text=PlainTextObject(text=plain(label, BUTTON_TEXT_LIMIT)),
        action_id=action_id[:ID_LIMIT],
        value=value[:BUTTON_VALUE_LIMIT],
        style=style or None,
    )
