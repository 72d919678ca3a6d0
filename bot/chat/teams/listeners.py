"""What the bot does with Teams' requests: a card's buttons, the Reply… dialog, commands typed to it, and being added to a team.

Handlers run on the SDK's loop; each hands its work (the database, a network, a redraw through the
sink, which itself waits on that loop) to one of the runtime's threads, so the loop stays free.
A bug of ours in one is logged and the person told, in words, that nothing changed.
"""

from __future__ import annotations

import html
import logging
import re
import threading
from collections.abc import Callable
from typing import TYPE_CHECKING, Any, TypeVar

from bot.chat.teams import cards, dialogs
from bot.chat.teams.install import listen_for_installs
from bot.chat.teams.reports import chart_card, report_card
from bot.chat.teams.sink import card_message
from bot.models import Actor
from bot.platforms import Backend
from bot.report import Code, line, report
from handlers import commands
from handlers.actions import GONE, Outcome, check_length
from storage import places

if TYPE_CHECKING:
    from bot.chat.teams.runtime import TeamsRuntime
    from bot.chat.teams.sink import TeamsSink

log = logging.getLogger(__name__)
T = TypeVar("T")

SEND_WITHIN = 8.0  # seconds a reply may take before the dialog closes and the card says how it went
OOPS = "Something went wrong on Listening Post's side, and nothing changed. The log says what; please try again."
WHOAMI = ("whoami", "who am i", "my id")


def actor(account: Any) -> Actor:
    """The person who acted: their Microsoft Entra object ID (what REPLY_APPROVERS lists), and name."""
    return Actor(str(account.aad_object_id or account.id or ""), str(account.name or ""))


def typed_text(activity: Any) -> str:
    """What a person typed to the bot, without the @mention of it, markup or entities."""
    text = activity.strip_mentions_text().text or ""
    text = html.unescape(re.sub(r"<[^>]+>", " ", text)).replace("\xa0", " ")
    return " ".join(text.split())


class Listeners:
    """The team's side of Teams: buttons, dialogs and commands, acting through the backend and redrawing through the sink."""

    def __init__(self, sink: TeamsSink, backend: Backend):
        self.sink = sink
        self.desk = backend.desk
        self.backend = backend

    # --- buttons -------------------------------------------------------------------------------

    def press(self, activity: Any) -> Any:
        """A card's Action.Execute: the action, the card redrawn for everyone, and the clicker's answer."""
        from microsoft_teams.api.models import AdaptiveCardActionCardResponse, AdaptiveCardActionMessageResponse
        from microsoft_teams.cards import AdaptiveCard

        action = activity.value.action
        data = action.data if isinstance(action.data, dict) else {}
        verb, mention_id, who = (
            str(data.get("action") or action.verb or ""),
            str(data.get("mention_id") or ""),
            actor(activity.from_),
        )
        outcome = self._act(verb, mention_id, who)
        if outcome is None:
            return AdaptiveCardActionMessageResponse(
                value="That button is not one Listening Post knows; nothing changed."
            )
        self.desk.announce(self.sink, outcome)  # every member's card, and the note in its thread
        said = outcome.error or outcome.message
        found = self.desk.card(mention_id)
        if said or found is None:
            return AdaptiveCardActionMessageResponse(value=said or GONE)
        return AdaptiveCardActionCardResponse(value=AdaptiveCard.model_validate(cards.card(*found[:3])))

    def _act(self, verb: str, mention_id: str, who: Actor) -> Outcome | None:
        desk = self.desk
        if verb == cards.DISMISS:
            problem = desk.dismissal_problem(mention_id)
            return Outcome(mention_id, message=problem) if problem else desk.dismiss(mention_id, who)
        acts: dict[str, Callable[[], Outcome]] = {
            cards.CLAIM: lambda: desk.claim(mention_id, who),
            cards.TAKEOVER: lambda: desk.claim(mention_id, who, takeover=True),
            cards.REOPEN: lambda: desk.reopen(mention_id, who),
            cards.APPROVE: lambda: desk.approve(mention_id, who),
            cards.REJECT: lambda: desk.reject(mention_id, who),
        }
        return acts[verb]() if verb in acts else None

    # --- the Reply… dialog ---------------------------------------------------------------------

    def open_dialog(self, activity: Any) -> Any:
        data = activity.value.data if isinstance(activity.value.data, dict) else {}
        mention_id, who = str(data.get("mention_id") or ""), actor(activity.from_)
        if data.get("dialog_id") == cards.EDIT_DIALOG and not self.desk.is_approver(who):
            return _dialog_message("Only the people in REPLY_APPROVERS can edit a reply waiting for approval.")
        form = self.desk.reply_form(mention_id, who)
        if form is None or form.problem:
            self.desk.announce(self.sink, Outcome(mention_id))  # an old card catches up
            return _dialog_message(form.problem if form else GONE)
        return _dialog(dialogs.title(form), dialogs.reply_dialog(form))

    def submit_dialog(self, activity: Any) -> Any:
        data = activity.value.data if isinstance(activity.value.data, dict) else {}
        mention_id, who, what = str(data.get("mention_id") or ""), actor(activity.from_), data.get("action")
        text = str(data.get("text") or "")
        start = data.get("started_from") if isinstance(data.get("started_from"), int) else None
        form = self.desk.reply_form(mention_id, who)
        if form is None:
            return _dialog_message(GONE)
        if what == dialogs.PICK:
            picked = _index(data.get("start"), len(form.triage.suggestions))
            if picked is None:
                return _dialog(dialogs.title(form), dialogs.reply_dialog(form, text, "Pick a suggestion first.", start))
            return _dialog(
                dialogs.title(form), dialogs.reply_dialog(form, form.triage.suggestions[picked], start=picked)
            )
        if what == dialogs.OUTSIDE:
            outcome = self.desk.replied_outside(mention_id, who, text)
            self.desk.announce(self.sink, outcome)
            return _dialog_message(outcome.error or outcome.message or "Counted as answered. Thank you!")
        if what != dialogs.SEND:
            return _dialog_message("That button is not one Listening Post knows; nothing changed.")
        problem = form.problem or check_length(form.mention, text)
        if not text.strip():
            problem = problem or "Write a reply first."
        if problem:  # their words stay in the box, with what to change above it
            return _dialog(dialogs.title(form), dialogs.reply_dialog(form, text, problem, start))
        return self._send(form, who, text, start)

    def _send(self, form, who: Actor, text: str, start: int | None) -> Any:
        """Send the reply; one the network is slow with finishes in the background, and its card says how it went."""
        mention_id = form.mention.id
        result: list[Outcome] = []

        def send() -> None:
            outcome = self.desk.send_reply(mention_id, who, text, start)
            result.append(outcome)
            if not outcome.error:
                self.desk.announce(self.sink, outcome)

        sending = threading.Thread(target=send, name="teams-reply", daemon=True)
        sending.start()
        sending.join(SEND_WITHIN)
        if not result:
            return _dialog_message("Your reply is on its way; the card shows when it is posted.")
        outcome = result[0]
        if outcome.error:
            return _dialog(dialogs.title(form), dialogs.reply_dialog(form, text, outcome.error, start))
        found = self.desk.card(mention_id)
        handling = found[2] if found else None
        network = form.mention.source
        if handling and handling.status == "pending":
            return _dialog_message(outcome.message or "Sent for approval.")
        from bot import wording

        return _dialog_message(outcome.message or f"Your reply is on {wording.network_name(network)}.")

    # --- commands ------------------------------------------------------------------------------

    def command(self, activity: Any) -> dict[str, Any] | None:
        """The answer card to a message typed to the bot; None for a channel message not addressed to it."""
        if activity.conversation.conversation_type == "channel" and not activity.is_recipient_mentioned():
            return None
        text = typed_text(activity)
        if text.lower() in WHOAMI:
            who = actor(activity.from_)
            return report_card(
                report("", [line("Your ID for REPLY_APPROVERS is ", Code(who.id), f" ({who.name or 'you'}).")])
            )
        answer = commands.listen(text, self.backend.status_lines, self.backend.reports)
        if answer.chart is not None:
            drawn = answer.chart()
            return chart_card(drawn.png, drawn.title)
        return report_card(answer.report() if answer.report else answer.text, self.sink.card_link)

    def learned(self, channel: str, address: str, team: str, name: str, group_id: str) -> None:
        db = self.desk.open_db()
        try:
            places.learn_place(db, self.sink.platform, channel, address, team, name, group_id)
        finally:
            db.close()
        log.info("Teams: cards now go to a channel of the team %s.", name or team)
        self.sink.say(
            report(
                "👋 Listening Post is here.",
                [
                    "New mentions of the business arrive in this channel as cards: claim one, reply from it, or mark it as needing no reply.",
                    line("Type ", Code("/listen help"), " to see what else it can tell you."),
                ],
            )
        )

    def removed(self, team: str) -> None:
        db = self.desk.open_db()
        try:
            places.leave_team(db, self.sink.platform, team)
        finally:
            db.close()
        log.warning("Teams: the app was removed from the team %s; cards wait until it is added to a team again.", team)


def _index(raw: object, count: int) -> int | None:
    try:
        picked = int(str(raw))
    except ValueError:
        return None
    return picked if 0 <= picked < count else None


def _dialog(title: str, content: dict[str, Any]) -> Any:
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


def _dialog_message(text: str) -> Any:
    from microsoft_teams.api.models import TaskModuleMessageResponse, TaskModuleResponse

    return TaskModuleResponse(task=TaskModuleMessageResponse(value=text))


def register(runtime: TeamsRuntime, sink: TeamsSink, backend: Backend) -> Listeners:
    """Route Teams' requests to the listeners (each on a thread of its own, guarded)."""
    from microsoft_teams.api.models import AdaptiveCardActionMessageResponse

    app = runtime.app
    team = Listeners(sink, backend)

    async def guarded(work: Callable[..., T], activity: Any, failed: Callable[[], T]) -> T:
        try:
            return await runtime.in_thread(work, activity)
        except Exception:  # noqa: BLE001 — a bug of ours: logged, and the person told
            log.exception("A Teams request failed (%s).", getattr(work, "__name__", "listener"))
            return failed()

    @app.on_card_action_execute
    async def on_button(ctx):
        return await guarded(team.press, ctx.activity, lambda: AdaptiveCardActionMessageResponse(value=OOPS))

    @app.on_dialog_open
    async def on_dialog_open(ctx):
        return await guarded(team.open_dialog, ctx.activity, lambda: _dialog_message(OOPS))

    @app.on_dialog_submit
    async def on_dialog_submit(ctx):
        return await guarded(team.submit_dialog, ctx.activity, lambda: _dialog_message(OOPS))

    @app.on_message
    async def on_message(ctx):
        answer = await guarded(team.command, ctx.activity, lambda: report_card(report("", [OOPS])))
        if answer is not None:
            await ctx.send(card_message(answer))

    listen_for_installs(app, team.learned, team.removed)
    return team
