"""Block Kit modals: the reply form (with its sending, sent and error states) and the dismissal reason."""

from __future__ import annotations

import json

from slack_sdk.models.blocks import (
    ActionsBlock,
    Block,
    ContextBlock,
    InputBlock,
    MarkdownTextObject,
    Option,
    PlainTextInputElement,
    PlainTextObject,
    SectionBlock,
    StaticSelectElement,
)
from slack_sdk.models.views import View

from bot import wording
from bot.chat.slack.blocks import SECTION_LIMIT, cut, fit, handle, link, name, plain, quote
from handlers.actions import GONE, ReplyForm

REPLY_VIEW, DISMISS_VIEW = "reply_modal", "dismiss_modal"
PICK = "reply_pick"  # the "start from a suggestion" menu inside the reply form
TEXT_BLOCK, TEXT_ACTION = "reply_text", "text"
REASON_BLOCK, REASON_ACTION = "reason", "reason"
# Slack's limits for modals (Block Kit reference: views, input, plain_text_input, option).
OPTION_LIMIT = 75  # an option's text
OPTIONS_LIMIT = 100  # options in one menu
TITLE_LIMIT = 24  # a modal's title, submit and close buttons
INPUT_LIMIT = 3000  # a plain_text_input's max_length and initial_value
METADATA_LIMIT = 3000  # private_metadata
SUMMARY_LIMIT = 800  # the mention as quoted at the top of the reply form


def _plain(text: str, limit: int = 150) -> PlainTextObject:
    return PlainTextObject(text=plain(text, limit), emoji=True)


def _section(text: str) -> SectionBlock:
    return SectionBlock(text=MarkdownTextObject(text=text))


def _modal(
    callback_id: str, title: str, blocks: list[Block], metadata: dict, submit: str | None = None, close: str = "Cancel"
) -> dict:
    """The modal as the dict views.open/update take; `to_dict()` checks it against Slack's limits."""
    return View(
        type="modal",
        callback_id=callback_id,
        title=_plain(title, TITLE_LIMIT),
        close=_plain(close, TITLE_LIMIT),
        submit=_plain(submit, TITLE_LIMIT) if submit else None,
        blocks=blocks,
        private_metadata=json.dumps(metadata, ensure_ascii=False),
    ).to_dict()


def metadata(view: dict) -> dict:
    try:
        data = json.loads(view.get("private_metadata") or "{}")
    except ValueError:
        return {}
    return data if isinstance(data, dict) else {}


def typed_text(view: dict, block_prefix: str, action_id: str) -> str:
    """The text a person typed; the input's block id changes whenever the form is redrawn."""
    for block_id, actions in (view.get("state") or {}).get("values", {}).items():
        if block_id.startswith(block_prefix) and action_id in actions:
            return actions[action_id].get("value") or ""
    return ""


def has_text_box(view: dict) -> bool:
    return any(b.get("block_id", "").startswith(TEXT_BLOCK) for b in view.get("blocks") or [])


def gone_view() -> dict:
    return _modal(REPLY_VIEW, "Reply", [_section(fit(GONE))], {}, close="Close")


def text_block_id(view: dict) -> str:
    return f"{TEXT_BLOCK}_{metadata(view).get('attempt', 0)}"


def _mention_summary(form: ReplyForm) -> SectionBlock:
    mention = form.mention
    about = f"*{name(wording.author(mention), 200)}* on {wording.network_name(mention.source)}"
    return _section(f"{about}\n{quote(mention.text, SUMMARY_LIMIT)}")


def _error(error: str) -> SectionBlock:
    return _section(f":warning: {fit(error, 2000) or 'Something went wrong.'}")


def reply_view(
    form: ReplyForm, text: str | None = None, error: str = "", attempt: int = 0, start: int | None = None
) -> dict:
    """The reply form; `attempt` gives the text box a fresh block id so Slack shows `text`, not what was typed.

    `start` is the suggestion the text began as (kept in the form's metadata, so the reply sent
    can be counted as sent as suggested, edited or written anew); opened fresh, it is found.
    """
    network = wording.network_name(form.mention.source)
    blocks: list[Block] = []
    if error:
        blocks.append(_error(error))
    blocks.append(_mention_summary(form))
    if wording.where_to_answer(form.mention):
        # Nothing to type here: a feed entry is answered on its own page, if at all.
        page = link(form.mention.url, "the page itself")
        blocks.append(
            _section(
                f"A feed cannot be answered from here: answer on {page} if it takes comments, "
                "then press *I replied myself* so it counts."
            )
        )
        return _modal(
            REPLY_VIEW, "Answered on the page?", blocks, {"id": form.mention.id, "attempt": attempt}, "I replied myself"
        )
    if form.triage.suggestions and form.can_send:
        options = [
            Option(text=_plain(s, OPTION_LIMIT), value=str(i))
            for i, s in enumerate(form.triage.suggestions[:OPTIONS_LIMIT])
        ]
        menu = StaticSelectElement(action_id=PICK, placeholder=_plain("Start from a suggestion"), options=options)
        blocks.append(ActionsBlock(block_id="pick", elements=[menu]))
    limit = min(form.limit, INPUT_LIMIT)
    initial = text if text is not None else form.draft
    if text is None and start is None and initial in form.triage.suggestions:
        start = form.triage.suggestions.index(initial)
    meta = {"id": form.mention.id, "attempt": attempt, **({"start": start} if start is not None else {})}
    if form.can_send:
        label, optional = f"Your reply (up to {limit:,} characters on {network})", False
    else:
        label, optional = "What you replied (optional, for the log)", True
    element = PlainTextInputElement(
        action_id=TEXT_ACTION,
        multiline=True,
        # Slack enforces this as the person types; X's double-weight characters are checked on submit.
        max_length=limit if form.can_send else None,
        initial_value=(initial if len(initial) <= limit else cut(initial, limit)) if initial else None,
    )
    blocks.append(
        InputBlock(block_id=f"{TEXT_BLOCK}_{attempt}", optional=optional, label=_plain(label, 2000), element=element)
    )
    if not form.can_send:
        how = (
            f"Listening Post cannot post on {network} with the current settings. Copy the text, reply on {network} "
            "yourself, then press *I replied myself* so it counts."
        )
        submit = "I replied myself"
    elif form.needs_approval:
        how, submit = (
            "An approver checks this reply before it is posted. Nothing goes out until they approve it.",
            "Ask for approval",
        )
    else:
        who = f"@{handle(form.mention.author_handle)}" if form.mention.author_handle else "the author"
        how, submit = f"Posted publicly on {network} as a reply to {fit(who, 200)}.", "Send reply"
    if form.can_send and form.limit > limit:
        how += (
            f" Slack's form holds {limit:,} characters: a longer reply must be posted on {network} itself; then press "
            "*No reply needed* on the card and say where you answered."
        )
    blocks.append(ContextBlock(elements=[MarkdownTextObject(text=how)]))
    return _modal(REPLY_VIEW, f"Reply on {network}", blocks, meta, submit)


def sending_view(form: ReplyForm) -> dict:
    network = wording.network_name(form.mention.source)
    return _modal(
        REPLY_VIEW,
        f"Reply on {network}",
        [_section(f":hourglass_flowing_sand: Sending your reply to {network}…")],
        {"id": form.mention.id},
        close="Close",
    )


def done_view(form: ReplyForm, message: str, url: str = "") -> dict:
    tail = "\n" + link(url, "View it") if url else ""
    head = ":white_check_mark: "
    text = (
        head + fit(message, min(2000, SECTION_LIMIT - len(head) - len(tail))) + tail
    )  # the link first: it cannot be cut
    return _modal(
        REPLY_VIEW,
        f"Reply on {wording.network_name(form.mention.source)}",
        [_section(text)],
        {"id": form.mention.id},
        close="Done",
    )


def dismiss_view(mention_id: str) -> dict:
    reason = InputBlock(
        block_id=REASON_BLOCK,
        optional=True,
        label=_plain("Why? (optional)"),
        element=PlainTextInputElement(
            action_id=REASON_ACTION,
            max_length=300,
            placeholder=_plain("e.g. not about us, a bot, already sorted by phone"),
        ),
    )
    return _modal(DISMISS_VIEW, "No reply needed", [reason], {"id": mention_id}, submit="Mark it")
