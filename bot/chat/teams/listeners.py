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
import time
from collections.abc import Callable
from typing import TYPE_CHECKING, Any, TypeVar

from bot.chat.teams import cards, dialogs
from bot.chat.teams.install import listen_for_installs
from bot.chat.teams.repeats import Answered
from bot.chat.teams.reports import chart_card, report_card
from bot.chat.teams.sink import card_message
from bot.models import Actor
from bot.platforms import Backend
from bot.report import Code, Report, line, report
from handlers import commands
from handlers.actions import GONE, Outcome, check_length
from storage import places

if TYPE_CHECKING:
    from bot.chat.teams.runtime import TeamsRuntime
    from bot.chat.teams.sink import TeamsSink

log = logging.getLogger(__name__)
T = TypeVar("T")

SEND_WITHIN = 8.0  # seconds a reply may take before the dialog closes and the card says how it went
REDRAW_WITHIN = 2.0  # seconds a press waits for the card's redraw (Teams gives up on the press after 15)
NOT_POSTED = "Could not post in the team's channel (the log says why); try again in a moment."
OOPS = "Something went wrong on Listening Post's side, and nothing changed. The log says what; please try again."
UNKNOWN = "That button is not one Listening Post knows; nothing changed."
STILL_WORKING = "Listening Post is still working on this; the card shows how it went."
UNREADABLE = "Listening Post could not read what was typed in the box; nothing was sent. Please type it again."
TOO_LONG = f"That is longer than the box holds ({dialogs.INPUT_LIMIT:,} characters); nothing was sent. Shorten it."
ELSEWHERE = "Listening Post works only for the Microsoft 365 organization it was set up in; nothing changed."
VERBS = (cards.CLAIM, cards.TAKEOVER, cards.DISMISS, cards.REOPEN, cards.APPROVE, cards.REJECT)
WHOAMI = ("whoami", "who am i", "my id")
CARDS_HERE = ("cards here", "post here", "use this channel")


def actor(account: Any) -> Actor:
    """The person who acted: their Microsoft Entra object ID (what REPLY_APPROVERS lists), and name."""
    return Actor(str(account.aad_object_id or account.id or ""), str(account.name or ""))


def typed_text(activity: Any) -> str:
    """What a person typed to the bot, without the @mention of it, markup or entities."""
    text = activity.strip_mentions_text().text or ""
    # A tag holds no "<": with `[^>]+`, each "<" of a long run scanned to the end (40,000 took 2 s).
    text = html.unescape(re.sub(r"<[^<>]*>", " ", text)).replace("\xa0", " ")
    return " ".join(text.split())


def _text(data: dict[str, Any], key: str) -> str:
    """A string the button's data or a dialog's input carries; '' when absent or not a string (no card of ours sends that)."""
    value = data.get(key)
    return value if isinstance(value, str) else ""


def _mention_id(data: dict[str, Any]) -> str:
    """The mention a button is for; '' for none, or for one longer than any card of ours carries."""
    mention_id = _text(data, "mention_id")
    return mention_id if len(mention_id.encode("utf-8")) <= cards.ID_LIMIT else ""


class Listeners:
    """The team's side of Teams: buttons, dialogs and commands, acting through the backend and redrawing through the sink."""

    def __init__(self, sink: TeamsSink, backend: Backend):
        self.sink = sink
        self.desk = backend.desk
        self.backend = backend
        self._learning = threading.Lock()
        self._acting: set[threading.Thread] = set()  # actions and redraws that may outlive their answer
        self._acting_lock = threading.Lock()

    def finish(self, within: float) -> None:
        """Wait up to `within` seconds for actions and redraws still going (before Teams is stopped)."""
        ends_at = time.monotonic() + within
        with self._acting_lock:
            acting = list(self._acting)
        for thread in acting:
            thread.join(max(0.0, ends_at - time.monotonic()))

    def ours(self, activity: Any) -> bool:
        """Whether `activity` comes from the organization (tenant) Listening Post is set up in.

        Teams signs what any organization's people do with a bot, and the bot's ID is in its app
        package: without this, someone elsewhere who uploaded a package with it could add the bot
        to their own team (and the cards would go there), read the queue or press a card's buttons.
        """
        data = activity.channel_data
        named = (data.tenant.id if data and data.tenant else None, activity.conversation.tenant_id)
        tenants = {str(tenant).lower() for tenant in named if tenant}
        if tenants == {self.sink.tenant_id.lower()}:
            return True
        log.warning(
            "Teams: ignored a %s from another Microsoft 365 organization (%s): Listening Post answers only the one "
            "TEAMS_TENANT_ID names.",
            activity.type,
            ", ".join(sorted(tenants)) or "none named",
        )
        return False

    # --- buttons -------------------------------------------------------------------------------

    def press(self, activity: Any) -> Any:
        """A card's Action.Execute: the action, the card redrawn for everyone, and the clicker's answer."""
        from microsoft_teams.api.models import AdaptiveCardActionCardResponse, AdaptiveCardActionMessageResponse
        from microsoft_teams.cards import AdaptiveCard

        action = activity.value.action
        data = action.data if isinstance(action.data, dict) else {}
        verb, mention_id, who = (
            _text(data, "action") or str(action.verb or ""),
            _mention_id(data),
            actor(activity.from_),
        )
        if verb not in VERBS or not mention_id:
            return AdaptiveCardActionMessageResponse(value=UNKNOWN)
        # The action, then every member's card and the note in its thread.
        outcome = self._settle(lambda: self._act(verb, mention_id, who))
        if outcome is None:  # an approval whose network is slow: it carries on, and the card says how it went
            return AdaptiveCardActionMessageResponse(value=STILL_WORKING)
        said = outcome.error or outcome.message
        found = self.desk.card(mention_id)
        if said or found is None:
            return AdaptiveCardActionMessageResponse(value=said or GONE)
        return AdaptiveCardActionCardResponse(value=AdaptiveCard.model_validate(cards.card(*found[:3])))

    def _act(self, verb: str, mention_id: str, who: Actor) -> Outcome:
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
        return acts[verb]()

    def _settle(
        self,
        act: Callable[[], Outcome],
        within: float = SEND_WITHIN,
        redraw: Callable[[Outcome], bool] = lambda outcome: True,
    ) -> Outcome | None:
        """`act()` on a thread of its own, then (when `redraw(outcome)`) the card redrawn everywhere and noted.

        Its outcome once `act` is done, if within `within` seconds; None if not (it carries on, and the
        card shows how it went). The redraw is waited for REDRAW_WITHIN at most: one waiting out Teams'
        429s used to hold the press past Teams' 15 s, so a person whose action was recorded was told
        "busy, try again" (and then, pressing again, that it was already done).
        """
        acted, redrawn, lock = threading.Event(), threading.Event(), threading.Lock()
        result: list[Outcome | Exception] = []
        abandoned = False

        def run() -> None:
            try:
                outcome = act()
            except Exception as exc:  # noqa: BLE001 — a bug of ours: raised to the listener, or logged if it left
                with lock:
                    result.append(exc)
                    told = abandoned
                acted.set()
                redrawn.set()
                if told:
                    log.exception("A Teams action failed after its answer was given.")
                return
            result.append(outcome)
            acted.set()
            try:
                if redraw(outcome):
                    self.desk.announce(self.sink, outcome)
            except Exception:  # noqa: BLE001 — the action is recorded; only its redraw failed
                log.exception("Could not redraw the card of %s (the action is recorded).", outcome.mention_id)
            finally:
                redrawn.set()

        worker = threading.Thread(target=run, name="teams-act", daemon=True)
        with self._acting_lock:
            self._acting = {t for t in self._acting if t.is_alive()} | {worker}
        worker.start()
        if not acted.wait(within):
            with lock:
                abandoned = not result
            if abandoned:
                return None
        redrawn.wait(REDRAW_WITHIN)
        done = result[0]
        if isinstance(done, Exception):
            raise done
        return done

    # --- the Reply… dialog ---------------------------------------------------------------------

    def open_dialog(self, activity: Any) -> Any:
        data = activity.value.data if isinstance(activity.value.data, dict) else {}
        mention_id, who, dialog = _mention_id(data), actor(activity.from_), _text(data, "dialog_id")
        if dialog not in (cards.REPLY_DIALOG, cards.EDIT_DIALOG) or not mention_id:
            return dialogs.message(UNKNOWN)  # it opened the Reply… dialog whatever the button said
        if dialog == cards.EDIT_DIALOG and not self.desk.is_approver(who):
            return dialogs.message("Only the people in REPLY_APPROVERS can edit a reply waiting for approval.")
        form = self.desk.reply_form(mention_id, who)
        if form is None or form.problem:
            self._settle(lambda: Outcome(mention_id))  # an old card catches up
            return dialogs.message(form.problem if form else GONE)
        return dialogs.answer(dialogs.title(form), dialogs.reply_dialog(form))

    def submit_dialog(self, activity: Any) -> Any:
        data = activity.value.data if isinstance(activity.value.data, dict) else {}
        mention_id, who, what = _mention_id(data), actor(activity.from_), _text(data, "action")
        if what not in (dialogs.SEND, dialogs.PICK, dialogs.OUTSIDE) or not mention_id:
            return dialogs.message(UNKNOWN)
        # The box's value is a string; anything else is not what a person typed (str() of a number or an
        # object was posted on the network as the reply). Nor is more than the box holds.
        text = _text(data, "text")
        typed = (
            UNREADABLE if data.get("text") not in (None, text) else TOO_LONG if len(text) > dialogs.INPUT_LIMIT else ""
        )
        form = self.desk.reply_form(mention_id, who)
        if form is None:
            return dialogs.message(GONE)
        if form.mention is None:  # the database could not be read: only its problem to show (was a bug's "oops")
            return dialogs.message(form.problem)
        count = len(form.triage.suggestions)
        start = dialogs.suggestion_index(
            data.get("started_from"), count
        )  # was any int (a bool, -5, 10**30) or dropped as a string
        if what == dialogs.PICK:
            picked = dialogs.suggestion_index(data.get("start"), len(form.triage.suggestions))
            if picked is None:
                return dialogs.answer(
                    dialogs.title(form), dialogs.reply_dialog(form, text, "Pick a suggestion first.", start)
                )
            return dialogs.answer(
                dialogs.title(form), dialogs.reply_dialog(form, form.triage.suggestions[picked], start=picked)
            )
        if typed:  # their words (when readable) stay in the box, with what to change above it
            return dialogs.answer(dialogs.title(form), dialogs.reply_dialog(form, text, typed, start))
        if what == dialogs.OUTSIDE:
            outcome = self._settle(lambda: self.desk.replied_outside(mention_id, who, text))
            if outcome is None:
                return dialogs.message(STILL_WORKING)
            return dialogs.message(outcome.error or outcome.message or "Counted as answered. Thank you!")
        problem = form.problem or check_length(form.mention, text)
        if not text.strip():
            problem = problem or "Write a reply first."
        if problem:  # their words stay in the box, with what to change above it
            return dialogs.answer(dialogs.title(form), dialogs.reply_dialog(form, text, problem, start))
        return self._send(form, who, text, start)

    def _send(self, form, who: Actor, text: str, start: int | None) -> Any:
        """Send the reply; one the network is slow with finishes in the background, and its card says how it went."""
        mention_id = form.mention.id
        outcome = self._settle(lambda: self.desk.send_reply(mention_id, who, text, start), redraw=lambda o: not o.error)
        if outcome is None:
            return dialogs.message("Your reply is on its way; the card shows when it is posted.")
        if outcome.error:
            return dialogs.answer(dialogs.title(form), dialogs.reply_dialog(form, text, outcome.error, start))
        found = self.desk.card(mention_id)
        handling = found[2] if found else None
        network = form.mention.source
        if handling and handling.status == "pending":
            return dialogs.message(outcome.message or "Sent for approval.")
        from bot import wording

        return dialogs.message(outcome.message or f"Your reply is on {wording.network_name(network)}.")

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
        if text.lower() in CARDS_HERE:
            return report_card(self._cards_here(activity))
        answer = commands.listen(text, self.backend.status_lines, self.backend.reports)
        if answer.chart is not None:
            drawn = answer.chart()
            return chart_card(drawn.png, drawn.title)
        said = answer.report() if answer.report else answer.text
        if answer.public and activity.conversation.conversation_type == "personal":
            # "public" asks for the team's channel; in the channel itself the answer is already there.
            posted = self.sink.say(said)
            return report_card(report("", ["Posted in the team's channel." if posted else NOT_POSTED]))
        return report_card(said, self.sink.card_links())

    def _cards_here(self, activity: Any) -> Report:
        """Cards go to the channel this was typed in (the one Teams named at install is only the first)."""
        team = activity.channel_data.team if activity.channel_data else None
        if activity.conversation.conversation_type != "channel" or team is None or not team.id:
            return report("", ["Type this in the team channel where the cards should go."])
        channel = activity.conversation.id.split(";", 1)[0]  # a thread's id names its channel first
        db = self.desk.open_db()
        try:
            places.learn_place(
                db, self.sink.platform, channel, activity.service_url, team.id, team.name or "", team.aad_group_id or ""
            )
        finally:
            db.close()
        log.info(
            "Teams: %s asked for the cards in another channel of the team %s.",
            actor(activity.from_).name,
            team.name or team.id,
        )
        return report("", ["From now on, new cards come to this channel. Cards already posted stay where they are."])

    def learned(self, channel: str, address: str, team: str, name: str, group_id: str) -> None:
        with self._learning:
            db = self.desk.open_db()
            try:
                before = places.current_place(db, self.sink.platform)
                places.learn_place(db, self.sink.platform, channel, address, team, name, group_id)
            finally:
                db.close()
        if before is not None and before.channel == channel:
            # Told again (Teams sends an update again when it did not hear back): the welcome was posted twice.
            log.info("Teams: told again that the app is in the team %s.", name or team)
            return
        log.info("Teams: cards now go to a channel of the team %s.", name or team)
        self.sink.say(
            report(
                "👋 Listening Post is here.",
                [
                    "New mentions of the business arrive in this channel as cards: claim one, reply from it, or mark it as needing no reply.",
                    line(
                        "Type ",
                        Code("/listen help"),
                        " to see what else it can tell you, or ",
                        Code("/listen cards here"),
                        " in another channel of the team to have the cards there.",
                    ),
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


def register(runtime: TeamsRuntime, sink: TeamsSink, backend: Backend) -> Listeners:
    """Route Teams' requests to the listeners (each on a thread of its own, guarded)."""
    from microsoft_teams.api.models import AdaptiveCardActionMessageResponse

    app = runtime.app
    team = Listeners(sink, backend)

    answered = Answered()

    async def guarded(work: Callable[..., T], activity: Any, said: Callable[[str], T]) -> T:
        if not team.ours(activity):
            return said(ELSEWHERE)

        async def run() -> T:
            try:
                return await runtime.in_thread(work, activity)
            except Exception:  # noqa: BLE001 — a bug of ours: logged, and the person told
                log.exception("A Teams request failed (%s).", getattr(work, "__name__", "listener"))
                return said(OOPS)

        return await answered.once(activity, run)

    @app.on_card_action_execute
    async def on_button(ctx):
        return await guarded(team.press, ctx.activity, lambda text: AdaptiveCardActionMessageResponse(value=text))

    @app.on_dialog_open
    async def on_dialog_open(ctx):
        return await guarded(team.open_dialog, ctx.activity, dialogs.message)

    @app.on_dialog_submit
    async def on_dialog_submit(ctx):
        return await guarded(team.submit_dialog, ctx.activity, dialogs.message)

    @app.on_message
    async def on_message(ctx):
        if not team.ours(ctx.activity):
            return  # nothing is posted in another organization's chats
        answer = await guarded(team.command, ctx.activity, lambda text: report_card(report("", [text])))
        if answer is not None and answered.first(ctx.activity):
            await ctx.send(card_message(answer))

    listen_for_installs(app, team.learned, team.removed, team.ours)
    return team
