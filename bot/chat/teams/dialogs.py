"""The Reply… dialog for Teams (a task module showing an Adaptive Card): the reply box, the suggestions, what happens on send, and the answers that show or close it.

Teams sends the dialog's inputs back with the button's data (`task/submit`): `text` is the reply,
`start` the suggestion it began from. Every outside text is a TextRun or an input's value, which
Teams shows as it is.
"""

from __future__ import annotations

from typing import Any

from microsoft_teams.cards import (
    Action,
    CardElement,
    Choice,
    ChoiceSetInput,
    OpenUrlAction,
    SubmitAction,
    TextInput,
    TextRun,
)

from bot import wording
from bot.chat.teams.cards import adaptive_card, as_json, cut, is_web, quote, text_line
from bot.text import one_line
from handlers.actions import ReplyForm

# What a dialog's buttons ask for (`data.action` in task/submit).
SEND, PICK, OUTSIDE = "send_reply", "pick_suggestion", "replied_outside"
INPUT_LIMIT = 5000  # characters the reply box holds; each network's own limit is checked on send
QUOTED = 800  # the customer's words shown above the box
CHOICE_LIMIT = 120  # characters of a suggestion in the menu
TITLE_LIMIT = 60


def reply_dialog(form: ReplyForm, text: str | None = None, error: str = "", start: int | None = None) -> dict[str, Any]:
    """The dialog's card: the post, the box (pre-filled with `text`, the draft or the first suggestion), the menu, the buttons."""
    mention = form.mention
    network = wording.network_name(mention.source)
    body: list[CardElement] = []
    if error:
        body.append(text_line(TextRun(text=f"⚠️ {cut(one_line(error), 2000)}", color="Attention", weight="Bolder")))
    who = cut(one_line(wording.author(mention)), 150) or "Someone"
    body += [
        text_line(TextRun(text=who, weight="Bolder"), TextRun(text=f" on {network}")),
        quote(cut(wording.said(mention), QUOTED)),
    ]
    data = {"mention_id": mention.id}
    if wording.where_to_answer(mention) or not form.can_send:
        how = (
            "A feed cannot be answered from here: answer on the page itself if it takes comments, then press "
            "I replied myself so it counts."
            if wording.where_to_answer(mention)
            else f"Listening Post cannot post on {network} with the current settings. Reply on {network} yourself, "
            "then press I replied myself so it counts."
        )
        body.append(text_line(TextRun(text=how, is_subtle=True)))
        body.append(
            TextInput(
                id="text",
                label="What you replied (optional, for the log)",
                is_multiline=True,
                max_length=INPUT_LIMIT,
                value=text or None,
            )
        )
        actions: list[Action] = [SubmitAction(title="I replied myself", data={**data, "action": OUTSIDE})]
        if is_web(mention.url):
            actions.append(OpenUrlAction(title="View post", url=mention.url))
        return as_json(adaptive_card(body, actions))
    initial = text if text is not None else form.draft
    if text is None and start is None and initial in form.triage.suggestions:
        start = form.triage.suggestions.index(initial)
    suggestions = form.triage.suggestions
    if suggestions:
        choices = [Choice(title=cut(one_line(s), CHOICE_LIMIT) or " ", value=str(i)) for i, s in enumerate(suggestions)]
        body.append(
            ChoiceSetInput(
                id="start",
                label="Start from a suggestion",
                choices=choices,
                value=str(start) if start is not None else None,
            )
        )
    body.append(
        TextInput(
            id="text",
            label=f"Your reply (up to {form.limit:,} characters on {network})",
            is_multiline=True,
            max_length=INPUT_LIMIT,
            value=cut(initial, INPUT_LIMIT) if initial else None,
        )
    )
    if form.needs_approval:
        how, send = (
            "An approver checks this reply before it is posted. Nothing goes out until they approve it.",
            "Ask for approval",
        )
    else:
        whom = f"@{one_line(mention.author_handle)}" if mention.author_handle else "the author"
        how, send = f"Posted publicly on {network} as a reply to {cut(whom, 200)}.", "Send reply"
    body.append(text_line(TextRun(text=how, is_subtle=True)))
    keep = {**data, **({"started_from": start} if start is not None else {})}
    buttons: list[Action] = [SubmitAction(title=send, style="positive", data={**keep, "action": SEND})]
    if suggestions:
        buttons.append(SubmitAction(title="Use the suggestion", data={**keep, "action": PICK}))
    return as_json(adaptive_card(body, buttons))


def title(form: ReplyForm) -> str:
    return cut(f"Reply on {wording.network_name(form.mention.source)}", TITLE_LIMIT)


def suggestion_index(raw: object, count: int) -> int | None:
    """A suggestion's number as the dialog sends it (a string, or the number we put in a button's data)."""
    if isinstance(raw, bool) or not isinstance(raw, (int, str)):
        return None
    try:
        picked = int(raw)
    except ValueError:  # not a number, or a number of thousands of digits
        return None
    return picked if 0 <= picked < count else None


def answer(title: str, content: dict[str, Any]) -> Any:
    """The dialog shown (again) with this card: Teams' `continue` answer to task/fetch or task/submit."""
    from microsoft_teams.api.models import (
        AdaptiveCardAttachment,
        CardTaskModuleTaskInfo,
        TaskModuleContinueResponse,
        TaskModuleResponse,
        card_attachment,
    )
    from microsoft_teams.cards import AdaptiveCard

    card = card_attachment(AdaptiveCardAttachment(content=AdaptiveCard.model_validate(content)))
    return TaskModuleResponse(
        task=TaskModuleContinueResponse(
            value=CardTaskModuleTaskInfo(title=title, card=card, width="medium", height="large")
        )
    )


def message(text: str) -> Any:
    """The dialog closed with a message to the person (Teams' `message` answer)."""
    from microsoft_teams.api.models import TaskModuleMessageResponse, TaskModuleResponse

    return TaskModuleResponse(task=TaskModuleMessageResponse(value=text))
