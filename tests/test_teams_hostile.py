"""Teams as a hostile or unlucky world sends it: odd input from real Teams users (signed), forged or broken requests
(unsigned), another organization, a slow or failing Bot Connector and Graph, and both platforms at once, against the
real server with the real SDK. Each was an attack first; where it found something, the fix is named in its comment."""

from __future__ import annotations

import contextlib
import json
import logging
import socket
import threading
import time
from importlib.util import find_spec

import pytest

pytestmark = [
    pytest.mark.skipif(
        find_spec("microsoft_teams") is None, reason="Teams' SDK is the `teams` extra (requirements-teams.txt)"
    ),
    pytest.mark.xdist_group("teams"),
]

from bot.chat.teams.history import GRAPH_SCOPE, ChannelHistory  # noqa: E402
from bot.chat.teams.token import BotToken  # noqa: E402
from bot.models import ChatRef, PostUnconfirmed  # noqa: E402
from storage import open_db, places  # noqa: E402
from tests.fakes import x_api  # noqa: E402
from tests.fakes.server import Reply  # noqa: E402
from tests.fakes.teams_api import CLIENT_ID, CLIENT_SECRET, TENANT_ID, FakeEntra  # noqa: E402
from tests.fakes.teams_graph import CHANNEL, TEAM_ID  # noqa: E402
from tests.helpers import wait_for  # noqa: E402
from tests.teams_workspace import BOT, PEOPLE, dialog_card, words  # noqa: E402
from tests.test_teams_service import COMPLAINT, carded  # noqa: E402

MARIA = PEOPLE["maria"][2]
OTHER_TENANT = "99999999-8888-7777-6666-555555555555"
UNKNOWN = "That button is not one Listening Post knows; nothing changed."


@contextlib.contextmanager
def unreachable():
    """An address nothing answers at (connection refused): a port held but never listened on, so no other
    test's server can be given it meanwhile."""
    held = socket.socket()
    held.bind(("127.0.0.1", 0))
    try:
        yield f"http://127.0.0.1:{held.getsockname()[1]}/"
    finally:
        held.close()


def invoke(ws, name: str, value: object, who: str = "maria", conversation: str = CHANNEL) -> tuple[int, object]:
    return ws.send(ws.activity("invoke", who, conversation, name=name, value=value))


def execute(data: object, verb: str = "claim") -> dict:
    return {"action": {"type": "Action.Execute", "verb": verb, "data": data}, "trigger": "manual"}


def said(answer: object) -> str:
    """What the person is told: an invoke's message, or a dialog's message."""
    assert isinstance(answer, dict), answer
    if "task" in answer:
        assert answer["task"]["type"] == "message", answer
        return answer["task"]["value"]
    assert answer["type"] == "application/vnd.microsoft.activity.message", answer
    return answer["value"]


def current_place(ws):
    db = open_db(ws.settings.database_path)
    try:
        return places.current_place(db, "teams")
    finally:
        db.close()


def raw_request(port: int, data: bytes, trickled: bytes = b"", pause: float = 0.0, timeout: float = 5.0) -> str:
    """`data` sent as it is, then `trickled` one byte every `pause` seconds; the answer as it came."""
    with socket.create_connection(("127.0.0.1", port), timeout=timeout) as sock:
        try:
            sock.sendall(data)
            for i in range(len(trickled)):
                time.sleep(pause)
                sock.sendall(trickled[i : i + 1])
        except OSError:  # the server answered and closed before the trickle ended
            pass
        answer = b""
        try:
            while chunk := sock.recv(65536):
                answer += chunk
        except OSError:
            pass
    return answer.decode(errors="replace")


def http(body: bytes, token: str = "", path: str = "/api/messages", length: str | None = None) -> bytes:
    head = [f"POST {path} HTTP/1.1", "Host: 127.0.0.1", "Connection: close", "Content-Type: application/json"]
    if token:
        head.append(f"Authorization: Bearer {token}")
    if length != "":
        head.append(f"Content-Length: {length if length is not None else len(body)}")
    return ("\r\n".join(head) + "\r\n\r\n").encode() + body


# --- odd input from a real Teams user (signed) ------------------------------------------------------------------


def test_a_malformed_press_or_dialog_is_answered_in_words_and_changes_nothing(teams_for, fake_x, caplog):
    # Before: a `value` the SDK could not read (no action, data not an object, a string…) was a 500 and an
    # SDK traceback logged as an error; an unknown dialog opened the Reply… dialog; a mention id that is
    # not a string was looked up as str() of it. Now each is told, in words, that nothing changed.
    ws = teams_for(**x_api.POSTING_KEYS)
    ws.install()
    mention_id, card_id = carded(ws, fake_x)
    presses = {
        "no action": {"trigger": "manual"},
        "action a string": {"action": "claim"},
        "value null": None,
        "value a string": "claim",
        "not an Adaptive Card action": {"action": {"type": "Action.Http", "verb": "claim", "data": {}}},
        "data a string": execute("claim"),
        "data a list": execute([mention_id]),
        "no mention id": execute({"action": "claim"}),
        "mention id a number": execute({"action": "claim", "mention_id": 5}),
        "mention id a list": execute({"action": "claim", "mention_id": [mention_id]}),
        "mention id huge": execute({"action": "claim", "mention_id": "x" * 300_000}),
        "verb unknown": execute({"action": "delete_everything", "mention_id": mention_id}, verb="delete_everything"),
    }
    for why, value in presses.items():
        status, answer = invoke(ws, "adaptiveCard/action", value)
        assert status == 200 and said(answer) == UNKNOWN, why
    status, answer = invoke(ws, "adaptiveCard/action", execute({"action": "claim", "mention_id": "x:404"}))
    assert "not in Listening Post's database" in said(answer)

    dialogs = {
        "task/fetch": [None, {}, {"data": "x"}, {"data": {"dialog_id": "reply"}}, {"data": {"mention_id": mention_id}}],
        "task/submit": [None, {"data": [1]}, {"data": {"mention_id": mention_id, "text": "hi"}}],
    }
    dialogs["task/fetch"] += [{"data": {"dialog_id": "drop_table", "mention_id": mention_id}}]
    dialogs["task/submit"] += [{"data": {"mention_id": mention_id, "text": "hi", "action": ["send_reply"]}}]
    for name, values in dialogs.items():
        for value in values:
            status, answer = invoke(ws, name, value)
            assert status == 200 and said(answer) == UNKNOWN, (name, value)

    assert ws.events(mention_id) == [] and fake_x.created == [] and ws.thread(card_id) == []
    assert "Claim" in words(ws.card_of(card_id))
    assert not [r for r in caplog.records if r.levelno >= logging.ERROR]  # no traceback for a person's odd input


def test_a_dialog_never_posts_what_nobody_typed_and_keeps_to_the_box_s_size(teams_for, fake_x):
    # Before: the reply was str() of whatever came: {"text": 12345} posted "12345" on X, {"text": {...}} its repr.
    # A "replied myself" note of 800 KB was stored whole; `started_from` took a bool, -5 or 10**30.
    ws = teams_for(**x_api.POSTING_KEYS)
    ws.install()
    mention_id, card_id = carded(ws, fake_x)
    send = {"mention_id": mention_id, "action": "send_reply"}

    for typed in (12345, {"a": 1}, ["so", "sorry"], True):
        _, answer = invoke(ws, "task/submit", {"data": {**send, "text": typed}})
        card = dialog_card(answer)
        assert "could not read what was typed" in words(card)
        assert next(e for e in card["body"] if e.get("id") == "text").get("value") in (None, "")  # no repr in the box
    _, answer = invoke(ws, "task/submit", {"data": {**send, "text": "z" * 5001}})
    assert "longer than the box holds" in words(dialog_card(answer))
    outside = {"mention_id": mention_id, "action": "replied_outside"}
    _, answer = invoke(ws, "task/submit", {"data": {**outside, "text": "word " * 200_000}})
    assert "longer than the box holds" in words(dialog_card(answer))
    assert fake_x.created == [] and ws.events(mention_id) == []

    for start in ("-1", "99999999999999999999", "9" * 5000, "1e999", "abc", 1.5, [1], None):
        _, answer = invoke(
            ws, "task/submit", {"data": {"mention_id": mention_id, "action": "pick_suggestion", "start": start}}
        )
        assert "Pick a suggestion first." in words(dialog_card(answer)), start
    for started_from in (True, -5, 10**30, "1", {"x": 1}):
        _, answer = invoke(ws, "task/submit", {"data": {**send, "text": "", "started_from": started_from}})
        menu = next(e for e in dialog_card(answer)["body"] if e.get("id") == "start")
        assert menu.get("value") in (None, "1"), started_from  # only a suggestion there is can be marked
    assert fake_x.created == []

    _, answer = invoke(ws, "task/submit", {"data": {**send, "text": "Sorry about that!", "started_from": True}})
    assert said(answer) == "Your reply is on X."
    [event] = ws.events(mention_id)
    assert (event["reply_text"], event["suggestion"]) == ("Sorry about that!", None)


def test_a_dialog_sent_while_the_database_is_unavailable_says_so_without_a_traceback(
    teams_for, fake_x, monkeypatch, caplog
):
    # Before: submit read the stand-in form's mention (None) and the person got "Something went wrong",
    # with a traceback logged as a bug, instead of the database's plain problem.
    from storage import DatabaseProblem

    ws = teams_for(**x_api.POSTING_KEYS)
    ws.install()
    mention_id, _ = carded(ws, fake_x)
    desk = ws.way_in.listeners.desk

    def unavailable():
        raise DatabaseProblem("The database file is gone: it was moved or deleted while Listening Post ran.")

    monkeypatch.setattr(desk, "open_db", unavailable)
    for action in ("send_reply", "pick_suggestion", "replied_outside"):
        _, answer = invoke(ws, "task/submit", {"data": {"mention_id": mention_id, "action": action, "text": "Sorry!"}})
        assert said(answer).startswith("Nothing changed: The database file is gone"), action
    assert fake_x.created == []
    assert not [r for r in caplog.records if r.levelno >= logging.ERROR]


def test_messages_with_no_words_only_a_mention_huge_or_marked_up_are_answered_as_plain_text(teams_for, fake_x):
    ws = teams_for()
    ws.install()
    carded(ws, fake_x)
    bot_mention = [{"type": "mention", "text": "<at>Listening Post</at>", "mentioned": BOT}]

    def answer_to(conversation: str = "a:personal-chat-maria", **fields) -> dict:
        before = len(ws.connector.activities)
        status, _ = ws.send(ws.activity("message", "maria", conversation, **fields))
        assert status == 200
        [answer] = ws.connector.activities[before:]
        return answer["attachments"][0]["content"]

    assert "what you can ask" in words(answer_to())  # no text at all
    assert "what you can ask" in words(answer_to(CHANNEL, text="<at>Listening Post</at>", entities=bot_mention))
    assert "Try" in words(answer_to(text="stats " * 100_000))
    started = time.monotonic()
    assert "I don't know" in words(answer_to(text="x" + "<" * 40_000))  # markup stripped in linear time
    assert time.monotonic() - started < 1  # was 2 s, and 1 MB of them hours
    injected = answer_to(text="<at>Sam</at> [click](https://evil.example) **now** <script>x</script>")
    for element in _elements(injected):
        if "evil.example" in str(element.get("text", "")):
            assert element["type"] == "TextRun" and "selectAction" not in element  # shown, never a link
    assert "msteams" not in injected or "entities" not in injected["msteams"]  # nobody called on


# --- the HTTP gate: broken or hostile requests (unsigned) ---------------------------------------------------


def test_the_gate_answers_broken_requests_before_the_sdk_and_never_with_a_traceback(teams_for, capsys, caplog):
    # Before: JSON nested 100,000 deep was a RecursionError (500, and a traceback on stderr for each request,
    # before any token was checked); NaN was read as JSON; a signed body the SDK could not read was a 500.
    ws = teams_for()
    port, token = ws.way_in.port, ws.connector.sign()

    def status(data: bytes) -> str:
        return raw_request(port, data).split("\r\n", 1)[0]

    assert " 404 " in status(http(b"{}", token, path="/api/other"))
    assert " 405 " in status(b"GET /api/messages HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
    assert " 411 " in status(http(b"{}", token, length=""))
    assert " 411 " in status(http(b"{}", token, length="twelve"))
    assert " 413 " in status(http(b"{}", token, length="-5"))
    assert " 413 " in status(http(b"{}", token, length=str(10**12)))
    for body in (b"hello", b'{"a": "\xff"}', b"[" * 100_000 + b"]" * 100_000, b'{"type": NaN}', b'{"x": Infinity}'):
        assert " 400 " in status(http(body, token)), body[:20]
    for body in (b"[1, 2]", b'"text"', b""):
        assert " 400 " in status(http(body, token))
    assert " 400 " in status(http(b"{}", token))  # signed, but not an activity: was the SDK's 500
    assert " 401 " in status(http(json.dumps(ws.activity("message", "maria", text="hi")).encode()))

    assert "Traceback" not in capsys.readouterr().err
    assert not [r for r in caplog.records if r.levelno >= logging.ERROR]


def test_a_trickling_body_is_cut_off_while_others_are_served(teams_for, monkeypatch):
    from bot import webserver

    monkeypatch.setattr(webserver, "READ_DEADLINE", 0.3)
    ws = teams_for()
    ws.install()
    body = json.dumps(ws.activity("message", "maria", "a:personal-chat-maria", text="whoami")).encode()
    request = http(body, ws.connector.sign())
    head, rest = request.split(b"\r\n\r\n", 1)
    answers: list[str] = []
    trickle = threading.Thread(
        target=lambda: answers.append(raw_request(ws.way_in.port, head + b"\r\n\r\n", rest[:8], pause=0.06))
    )
    trickle.start()
    started = time.monotonic()
    assert ws.say("sam", "whoami", "a:personal-chat-sam", mention_bot=False)[0] == 200  # not held up
    assert time.monotonic() - started < 0.3
    trickle.join(5)
    assert answers and " 408 " in answers[0].split("\r\n", 1)[0]


def test_sign_in_invokes_are_refused_without_calling_microsoft(teams_for, monkeypatch, caplog):
    # Before: signin/verifyState and signin/tokenExchange ran the SDK's own OAuth handlers, which called Bot
    # Framework's token service on the internet (in tests too), then answered 500 with errors logged.
    ws = teams_for()
    ws.install()
    looked_up: list[str] = []
    real = socket.getaddrinfo

    def local_only(host, *args, **kwargs):
        if host not in ("127.0.0.1", "localhost"):
            looked_up.append(str(host))
            raise socket.gaierror("tests reach no outside address")
        return real(host, *args, **kwargs)

    monkeypatch.setattr(socket, "getaddrinfo", local_only)
    for name, value in (
        ("signin/verifyState", {"state": "123456"}),
        ("signin/tokenExchange", {"id": "x", "connectionName": "graph", "token": "eyJ0eXAi.e30.x"}),
        ("signin/failure", {"code": "x", "message": "y"}),
    ):
        status, answer = invoke(ws, name, value)
        assert status == 400 and "asks nobody to sign in" in answer["error"], name
    assert looked_up == []
    assert not [r for r in caplog.records if r.levelno >= logging.ERROR]


# --- another organization --------------------------------------------------------------------------------


def elsewhere(activity: dict, tenant: str = OTHER_TENANT) -> dict:
    activity["conversation"]["tenantId"] = tenant
    activity["channelData"]["tenant"] = {"id": tenant}
    return activity


def test_another_organization_cannot_take_the_cards_read_the_queue_or_press_a_button(teams_for, fake_x, caplog):
    # Before: Teams signs what any organization's people do with a bot, and the bot's ID is in its package:
    # someone elsewhere who uploaded a package with it and added it to their team got every card from then
    # on (the latest team learned wins), could read `queue` in a personal chat, or claim and dismiss mentions
    # by id (an X mention's id is the tweet's public id).
    ws = teams_for(**x_api.POSTING_KEYS)
    ws.install()
    mention_id, card_id = carded(ws, fake_x)
    ours = current_place(ws)

    theirs = "19:their-general@thread.tacv2"
    update = elsewhere(ws.activity("conversationUpdate", "owner", theirs))
    update["membersAdded"] = [{"id": BOT["id"]}]
    update["channelData"].update(team={"id": theirs, "aadGroupId": "their-group", "name": "Elsewhere Ltd"})
    before = len(ws.connector.activities)
    assert ws.send(update)[0] == 200
    removal = elsewhere(ws.activity("conversationUpdate", "owner", theirs))
    removal["membersRemoved"] = [{"id": BOT["id"]}]
    removal["channelData"].update(team={"id": CHANNEL, "aadGroupId": TEAM_ID})  # naming our team
    assert ws.send(removal)[0] == 200
    assert current_place(ws) == ours

    ws.send(elsewhere(ws.activity("message", "maria", "a:their-chat", text="queue")))
    ws.send(elsewhere(ws.activity("message", "maria", "a:their-chat", text="post x:1")))
    assert len(ws.connector.activities) == before  # nothing posted, no welcome, no queue
    _, answer = ws.send(
        elsewhere(
            ws.activity(
                "invoke",
                "maria",
                name="adaptiveCard/action",
                value=execute({"action": "dismiss", "mention_id": mention_id}),
            )
        )
    )
    assert "only for the Microsoft 365 organization it was set up in" in said(answer)
    _, answer = ws.send(
        elsewhere(
            ws.activity(
                "invoke", "maria", name="task/fetch", value={"data": {"dialog_id": "reply", "mention_id": mention_id}}
            )
        )
    )
    assert "only for the Microsoft 365 organization" in said(answer)
    no_tenant = ws.activity(
        "invoke", "maria", name="adaptiveCard/action", value=execute({"action": "claim", "mention_id": mention_id})
    )
    del no_tenant["conversation"]["tenantId"], no_tenant["channelData"]["tenant"]  # Web Chat, or anything not Teams
    assert "only for the Microsoft 365 organization" in said(ws.send(no_tenant)[1])
    assert ws.events(mention_id) == []
    assert any("another Microsoft 365 organization" in r.getMessage() for r in caplog.records)

    fake_x.tweet("@bramblecafe second visit, still cold", author_id="1001")
    assert not ws.poll().failed
    assert ws.cards()[-1]["conversation_id"] == CHANNEL  # cards still come to our team


# --- install and removal ----------------------------------------------------------------------------------


def test_told_of_the_install_twice_the_welcome_is_posted_once_and_odd_updates_change_nothing(teams_for, fake_x):
    # Before: each conversationUpdate posted a welcome, so an update sent again posted it again.
    ws = teams_for()

    def update(change: str = "membersAdded", **fields) -> dict:
        activity = ws.activity("conversationUpdate", "owner")
        activity[change] = [{"id": BOT["id"]}]
        activity["channelData"].update(team={"id": CHANNEL, "aadGroupId": TEAM_ID, "name": "Bramble Café"})
        activity.update(fields)
        return activity

    personal = update(conversation={"id": "a:personal", "conversationType": "personal", "tenantId": TENANT_ID})
    del personal["channelData"]["team"]
    assert ws.send(personal)[0] == 200
    assert ws.send(update(membersAdded=[{"id": "28:another-bot"}]))[0] == 200
    assert current_place(ws) is None and ws.cards() == []

    no_group = update()
    del no_group["channelData"]["team"]["aadGroupId"]
    assert ws.send(no_group)[0] == 200
    assert current_place(ws).group_id == ""
    assert ws.send(update())[0] == 200  # told again, now with the team's group: learned, not welcomed again
    assert ws.send(update())[0] == 200
    assert current_place(ws).group_id == TEAM_ID
    assert [words(a["attachments"][0]["content"]).count("Listening Post is here") for a in ws.cards()] == [1]

    assert ws.send(update("membersRemoved"))[0] == 200
    assert ws.send(update("membersRemoved"))[0] == 200  # removed twice: nothing more
    fake_x.tweet(COMPLAINT, author_id="1001")
    assert "add the app to a team" in ws.poll().reason
    assert len(ws.cards()) == 1  # the card waits
    ws.install()  # added back: welcomed again, and the card arrives once
    assert not ws.poll().failed and not ws.poll().failed
    assert [a for a in ws.cards() if "my latte was cold" in words(a["attachments"][0]["content"])].__len__() == 1


# --- the same press twice, slow work, many at once --------------------------------------------------------


def test_the_same_press_delivered_twice_at_once_is_one_event_and_one_note(teams_for, fake_x):
    ws = teams_for()
    ws.install()
    mention_id, card_id = carded(ws, fake_x)
    for verb in ("claim", "dismiss", "reopen"):
        press = ws.activity(
            "invoke",
            "maria",
            f"{CHANNEL};messageid={card_id}",
            name="adaptiveCard/action",
            replyToId=card_id,
            value=execute({"action": verb, "mention_id": mention_id}, verb=verb),
        )
        answers: list = []
        both = [threading.Thread(target=lambda p=press, a=answers: a.append(ws.send(p))) for _ in range(2)]
        for thread in both:
            thread.start()
        for thread in both:
            thread.join(10)
        assert [status for status, _ in answers] == [200, 200]
        # The same activity twice (Teams sending it again): the second waits for the first and gets its answer.
        assert answers[0] == answers[1] and answers[0][1]["type"].endswith(".adaptive"), verb
    assert [e["action"] for e in ws.events(mention_id)] == ["claimed", "dismissed", "reopened"]
    assert len(ws.thread(card_id)) == 3


def test_a_press_is_answered_while_the_redraw_waits_out_a_429(teams_for, fake_x, monkeypatch):
    # Before: the press waited for the redraw and the note, so a Retry-After held it past Teams' 15 s: the
    # person saw "busy, try again" for an action that was recorded. Now the redraw is waited for briefly.
    from bot.chat.teams import listeners

    monkeypatch.setattr(listeners, "REDRAW_WITHIN", 0.1)
    ws = teams_for()
    ws.install()
    mention_id, card_id = carded(ws, fake_x)
    ws.teams_sink.runtime.answer_within = 0.4  # Teams' patience, shortened
    ws.connector.fail_next(
        f"activities/{card_id}", Reply(429, {"error": {"code": "TooManyRequests"}}, {"Retry-After": "0.5"})
    )

    status, answer = ws.press("maria", "claim", mention_id, card_id)

    assert status == 200 and "Claimed by Maria" in words(answer["value"])
    assert wait_for(lambda: "Claimed by Maria" in words(ws.card_of(card_id)), 3)  # everyone's, once Teams allows
    assert wait_for(lambda: len(ws.thread(card_id)) == 1, 3)
    assert len(ws.events(mention_id)) == 1


def test_a_press_past_teams_patience_gets_503_and_is_done_once(teams_for, fake_x, monkeypatch):
    ws = teams_for()
    ws.install()
    mention_id, card_id = carded(ws, fake_x)
    desk = ws.way_in.listeners.desk
    claim = desk.claim

    def slow_claim(*args, **kwargs):
        time.sleep(0.4)  # the database held by something else
        return claim(*args, **kwargs)

    monkeypatch.setattr(desk, "claim", slow_claim)
    ws.teams_sink.runtime.answer_within = 0.2

    assert ws.press("maria", "claim", mention_id, card_id) == (503, {"error": "Listening Post is busy; try again."})
    assert wait_for(lambda: len(ws.thread(card_id)) == 1, 3)  # it finished on its own: whole, not half
    ws.teams_sink.runtime.answer_within = 5
    status, answer = ws.press("maria", "claim", mention_id, card_id)  # Teams (or Maria) tries again
    assert status == 200 and said(answer) == "This one is already yours."
    assert len(ws.events(mention_id)) == 1 and len(ws.thread(card_id)) == 1
    assert "Claimed by Maria" in words(ws.card_of(card_id))


def test_a_stuck_listener_holds_up_no_one_else_and_many_presses_at_once_are_all_answered(
    teams_for, fake_x, monkeypatch
):
    ws = teams_for()
    ws.install()
    for i in range(20):  # a first poll reads 20
        fake_x.tweet(f"@bramblecafe visit {i}: the latte was cold", author_id="1001")
    assert not ws.poll().failed
    posted = [a for a in ws.cards() if a["attachments"][0]["content"].get("actions")]
    ids = [(a["attachments"][0]["content"]["actions"][0]["data"]["mention_id"], a["id"]) for a in posted]
    assert len(ids) == 20
    desk = ws.way_in.listeners.desk
    claim, gate = desk.claim, threading.Event()
    stuck_id, stuck_card = ids[0]

    def claim_or_hang(mention_id, *args, **kwargs):
        if mention_id == stuck_id:
            gate.wait(5)
        return claim(mention_id, *args, **kwargs)

    monkeypatch.setattr(desk, "claim", claim_or_hang)
    stuck = threading.Thread(target=lambda: ws.press("maria", "claim", stuck_id, stuck_card))
    stuck.start()
    try:
        started = time.monotonic()
        answers: list = []
        people = ("maria", "sam", "owner")
        crowd = [
            threading.Thread(target=lambda i=i, m=m, c=c: answers.append(ws.press(people[i % 3], "claim", m, c)))
            for i, (m, c) in enumerate(ids[1:])
        ]
        for thread in crowd:
            thread.start()
        assert ws.say("sam", "whoami", "a:personal-chat-sam", mention_bot=False)[0] == 200
        for thread in crowd:
            thread.join(10)
        assert len(answers) == 19 and all(status == 200 for status, _ in answers)
        assert time.monotonic() - started < 5
    finally:
        gate.set()
        stuck.join(10)
    assert all(len(ws.events(m)) == 1 for m, _ in ids)


# --- the Bot Connector and Graph failing ------------------------------------------------------------------


def test_connector_failures_during_a_press_leave_the_action_recorded_and_the_log_plain(teams_for, fake_x, caplog):
    # Before: a card someone deleted (404 ActivityNotFoundInConversation) was logged as "add the app to the team
    # again"; an unconfirmed redraw as "the card may have been posted… before it is sent again"; a redraw that
    # could not reach Teams as "tried again next poll". None of that is so for a redraw.
    ws = teams_for()
    ws.install()
    mention_id, card_id = carded(ws, fake_x)
    gone = Reply(404, {"error": {"code": "ActivityNotFoundInConversation", "message": "Unknown activity"}})

    ws.connector.fail_next(f"activities/{card_id}", gone)
    assert "Claimed by Maria" in words(ws.press("maria", "claim", mention_id, card_id)[1]["value"])
    ws.connector.fail_next(f"messageid={card_id}", Reply(500, {"error": {"code": "ServiceError"}}))
    ws.connector.fail_next(f"activities/{card_id}", Reply(413, {"error": {"code": "MessageSizeTooBig"}}))
    assert ws.press("maria", "reopen", mention_id, card_id)[0] == 200

    with unreachable() as dead_url:
        moved = ws.activity("conversationUpdate", "owner", serviceUrl=dead_url, membersAdded=[{"id": BOT["id"]}])
        moved["channelData"].update(team={"id": CHANNEL, "aadGroupId": TEAM_ID, "name": "Bramble Café"})
        assert ws.send(moved, authorization=f"Bearer {ws.connector.sign(serviceurl=dead_url)}")[0] == 200
        assert "Claimed by Sam" in words(ws.press("sam", "claim", mention_id, card_id)[1]["value"])

    assert [e["action"] for e in ws.events(mention_id)] == ["claimed", "reopened", "claimed"]
    logged = [r.getMessage() for r in caplog.records if r.name.startswith("bot.")]
    assert any("someone deleted it from the channel" in m for m in logged)
    assert any("Could not redraw the card" in m and "Could not reach Teams (ConnectError)" in m for m in logged)
    assert not any("add the Listening Post app to the team again" in m for m in logged)
    assert not any("next poll" in m or "before it is sent again" in m for m in logged)


@pytest.mark.parametrize(
    "graph_says, log_says",
    [
        ("no grant", "ChannelMessage.Read.Group"),
        (Reply(429, {"error": {"code": "TooManyRequests", "message": "slow"}}, {"Retry-After": "7"}), "wait 7 s"),
        (Reply(404, {"error": {"code": "NotFound", "message": "No team found"}}), "Add it to the team again"),
        (Reply(503, "<html>down</html>", {"Content-Type": "text/html"}), "HTTP 503"),
    ],
)
def test_a_card_teams_did_not_confirm_waits_while_graph_cannot_be_read_and_is_never_posted_twice(
    teams_for, fake_x, fake_slack, graph_says, log_says
):
    ws = teams_for(slack=True)
    ws.install()
    fake_x.tweet(COMPLAINT, author_id="1001")
    ws.connector.lose_answers = 1
    first = ws.poll()
    assert first.failed and len(fake_slack.posted) == 1  # Slack's card went out meanwhile
    teams_cards = len(ws.cards())

    if graph_says == "no grant":
        ws.graph.grant = False
    else:
        ws.graph.fail_next("/messages", graph_says)
    second = ws.poll()
    assert second.failed and log_says in second.reason
    fake_x.tweet("@bramblecafe and the croissant was stale", author_id="1001")
    assert ws.poll().failed == (graph_says == "no grant")  # behind the unconfirmed one, nothing jumps the queue
    ws.graph.grant = True
    assert not ws.poll().failed

    contents = [a["attachments"][0]["content"] for a in ws.cards()]
    assert sum("my latte was cold" in words(c) for c in contents) == 1
    assert sum("croissant" in words(c) for c in contents) == 1
    assert len(ws.cards()) == teams_cards + 1
    assert len(fake_slack.posted) == 2  # one each on Slack, never again


def test_a_card_posted_while_teams_cannot_be_reached_goes_out_once_later(teams_for, fake_x):
    ws = teams_for()
    with unreachable() as dead_url:
        update = ws.activity("conversationUpdate", "owner", serviceUrl=dead_url, membersAdded=[{"id": BOT["id"]}])
        update["channelData"].update(team={"id": CHANNEL, "aadGroupId": TEAM_ID, "name": "Bramble Café"})
        assert ws.send(update, authorization=f"Bearer {ws.connector.sign(serviceurl=dead_url)}")[0] == 200
        fake_x.tweet(COMPLAINT, author_id="1001")

        report = ws.poll()
    assert report.failed and "Could not reach Teams (ConnectError)" in report.reason
    ws.install()  # Teams tells the bot its address again
    assert not ws.poll().failed
    assert sum("my latte was cold" in words(a["attachments"][0]["content"]) for a in ws.cards()) == 1


def test_stopping_while_a_card_is_on_its_way_counts_it_as_unconfirmed(teams_for, fake_x, monkeypatch):
    # Before: the stop cancelled the call and concurrent.futures.CancelledError came out of the sink as a bug of
    # ours, or, when the loop stopped before the call had unwound, the sink waited its whole 20 s. A card that
    # may have gone out is unconfirmed, at once, so it is looked for before it is sent again.
    from tests.test_teams_cards import TRIAGE, mention

    ws = teams_for()
    ws.install()
    answer = ws.connector.answer

    def slow(request):
        time.sleep(0.3)
        return answer(request)

    monkeypatch.setattr(ws.connector, "answer", slow)
    threading.Timer(0.1, ws.teams_sink.runtime.stop).start()
    started = time.monotonic()
    with pytest.raises(PostUnconfirmed):
        ws.teams_sink.post(mention(), TRIAGE)
    assert time.monotonic() - started < 2


# --- what people read: never markup from outside ---------------------------------------------------------


def _elements(node: object):
    if isinstance(node, dict):
        yield node
        for value in node.values():
            yield from _elements(value)
    elif isinstance(node, list):
        for item in node:
            yield from _elements(item)


def test_a_customer_s_post_or_a_person_s_name_never_becomes_a_link_bold_or_a_mention(teams_for, fake_x):
    ws = teams_for(**x_api.POSTING_KEYS)
    ws.install()
    hostile = "my latte was cold **again** [photo](https://evil.example) <at>Maria</at> _why_ #tag"
    fake_x.add_user("666", "evil_handle", "[Support](https://evil.example) **Team** <at>Olive</at>")
    tweet = fake_x.tweet(f"@bramblecafe {hostile}", author_id="666")
    assert not ws.poll().failed
    mention_id, card_id = f"x:{tweet['id']}", ws.cards()[-1]["id"]
    assert "[Support](https://evil.example)" in words(ws.card_of(card_id), sep="")
    renamed = ws.activity(
        "invoke", "maria", name="adaptiveCard/action", value=execute({"action": "claim", "mention_id": mention_id})
    )
    renamed["from"]["name"] = "Maria\n# [boss](https://evil.example) <at>Olive</at> **x**"
    ws.send(renamed)
    _, opened = ws.open_dialog("maria", "reply", mention_id)
    ws.say("maria", "queue", "a:personal-chat-maria", mention_bot=False)
    ws.teams_sink.note(ChatRef("teams", CHANNEL, card_id), f"Still waiting: {hostile}", (MARIA,))

    drawn = [ws.card_of(card_id), dialog_card(opened)] + [
        a["attachments"][0]["content"] for a in ws.connector.activities if a.get("attachments")
    ]
    for content in drawn:
        tagged = content.get("msteams", {}).get("entities")
        for element in _elements(content["body"][1:] if tagged else content):  # the tag line: below
            text = str(element.get("text", ""))
            if "evil.example" in text or "**" in text:
                assert element["type"] == "TextRun" and "selectAction" not in element, element
        for action in content.get("actions", []):
            assert "evil.example" not in str(action.get("url", ""))
    nudge = ws.thread(card_id)[-1]["attachments"][0]["content"]
    [tag] = nudge["msteams"]["entities"]
    assert tag["mentioned"]["id"] == MARIA  # only the person meant is called on, by a plain one-line name
    assert tag["text"] == "<at>Maria boss https evil.example at Olive at x</at>"  # no line, link or markup
    assert nudge["body"][0]["text"] == tag["text"]
    assert all(e["type"] == "TextRun" for e in _elements(nudge["body"][1:]) if "<at>" in str(e.get("text", "")))


# --- secrets ----------------------------------------------------------------------------------------------


def test_no_secret_or_token_is_ever_logged_answered_or_kept_in_an_exception(teams_for, fake_x, caplog):
    caplog.set_level(logging.DEBUG)
    ws = teams_for()
    ws.install()
    mention_id, card_id = carded(ws, fake_x)
    expired = ws.connector.sign(exp=1_600_000_000, iat=1_599_999_000)
    wrong_audience = ws.connector.sign(aud="someone-elses-bot")
    answers = [
        ws.press("maria", "claim", mention_id, card_id, authorization=f"Bearer {expired}"),
        ws.press("maria", "claim", mention_id, card_id, authorization=f"Bearer {wrong_audience}"),
    ]
    ws.connector.fail_next(f"activities/{card_id}", Reply(401, {"message": "Authorization has been denied"}))
    answers.append(ws.press("maria", "claim", mention_id, card_id))
    ws.connector.lose_answers = 1
    fake_x.tweet("@bramblecafe where is my order", author_id="1001")
    ws.poll()
    ws.graph.fail_next("/messages", Reply(401, {"error": {"code": "InvalidAuthenticationToken", "message": "expired"}}))
    ws.poll()
    raised: list[BaseException] = []
    entra = FakeEntra().start()
    try:  # Microsoft's sign-in down, and refusing a secret that is not the app's, behind Graph and on its own
        entra.fail_next("/token", Reply(503, {"error": "temporarily_unavailable"}))
        signing_in = BotToken(CLIENT_ID, CLIENT_SECRET, TENANT_ID, login_url=entra.url)
        history = ChannelHistory(lambda: signing_in(GRAPH_SCOPE), TEAM_ID, CHANNEL, CLIENT_ID, ws.graph.graph_url)
        for attempt in (
            lambda: history.cards(ws.teams_sink.place().learned_at),
            lambda: BotToken(CLIENT_ID, "not~it", TENANT_ID, login_url=entra.url)(),
        ):
            try:
                attempt()
            except Exception as exc:  # noqa: BLE001
                raised.append(exc)
    finally:
        entra.stop()
    assert len(raised) == 2

    secrets = {CLIENT_SECRET, expired, wrong_audience}
    for request in ws.connector.requests + ws.graph.requests:
        authorization = next((v for k, v in request.headers.items() if k.lower() == "authorization"), "")
        if authorization.startswith("Bearer "):
            secrets.add(authorization[7:])
    assert len(secrets) >= 5  # the secret, two inbound tokens, Entra's tokens for Bot Framework and for Graph

    seen = [caplog.text, json.dumps([answer for _, answer in answers])]
    for record in caplog.records:
        seen.append(record.getMessage())
        if record.exc_info and record.exc_info[1]:
            raised.append(record.exc_info[1])
    for exc in raised:
        while exc is not None:
            seen += [str(exc), repr(exc.args)]
            request = getattr(exc, "request", None)
            if request is not None:
                seen.append(repr(dict(request.headers)))
            exc = exc.__cause__ or exc.__context__
    everything = "\n".join(seen)
    for secret in secrets:
        assert secret not in everything


# --- both platforms at once -------------------------------------------------------------------------------


def test_slack_failing_never_holds_back_teams_and_neither_posts_twice(teams_for, fake_x, fake_slack):
    ws = teams_for(slack=True)
    ws.install()
    fake_x.tweet(COMPLAINT, author_id="1001")
    fake_slack.accept_then(Reply(500, "<html>Internal Server Error</html>", {"Content-Type": "text/html"}))

    first = ws.poll()
    assert first.failed and "Slack" in first.reason
    assert sum("my latte was cold" in words(a["attachments"][0]["content"]) for a in ws.cards()) == 1
    for _ in range(2):
        ws.poll()
    assert len(fake_slack.posted) == 1  # found in Slack's history, not sent again
    assert sum("my latte was cold" in words(a["attachments"][0]["content"]) for a in ws.cards()) == 1


def test_an_action_on_either_platform_is_recorded_once_while_the_other_cannot_be_redrawn(teams_for, fake_x, fake_slack):
    ws = teams_for(slack=True)
    ws.install()
    mention_id, card_id = carded(ws, fake_x)
    [slack_card] = fake_slack.posted
    with unreachable() as dead_url:  # Teams out of reach: connection refused
        moved = ws.activity("conversationUpdate", "owner", serviceUrl=dead_url, membersAdded=[{"id": BOT["id"]}])
        moved["channelData"].update(team={"id": CHANNEL, "aadGroupId": TEAM_ID, "name": "Bramble Café"})
        assert ws.send(moved, authorization=f"Bearer {ws.connector.sign(serviceurl=dead_url)}")[0] == 200

        assert ws.slack_side.click("U0MARIA", "mention_claim", mention_id, slack_card["ts"]) == 200
        assert wait_for(lambda: "mention_reopen" in json.dumps(fake_slack.card_update(slack_card["ts"]) or {}), 5)

    ws.install()  # Teams back; Slack now failing every redraw
    fake_slack.fail_next("chat.update", *[Reply(500, "<html>down</html>", {"Content-Type": "text/html"})] * 8)
    status, answer = ws.press("sam", "takeover", mention_id, card_id)
    assert status == 200 and "Claimed by Sam" in words(answer["value"])
    assert "Claimed by Sam" in words(ws.card_of(card_id))
    assert [e["action"] for e in ws.events(mention_id)] == ["claimed", "claimed"]
    assert len(fake_slack.posted) == 1 and sum(1 for a in ws.cards() if a["id"] == card_id) == 1


def test_a_request_while_listening_post_stops_gets_503_not_a_traceback(teams_for, fake_x, capsys):
    # Before: Stopped (or the cancelled call) came out of the web app: a bare 500 and a traceback on stderr.
    ws = teams_for()
    ws.install()
    mention_id, card_id = carded(ws, fake_x)
    ws.teams_sink.runtime.stop()

    status, answer = ws.press("maria", "claim", mention_id, card_id)

    assert status == 503 and "stopping" in answer["error"]
    assert "Traceback" not in capsys.readouterr().err and ws.events(mention_id) == []


def test_an_approval_delivered_twice_at_once_posts_the_reply_once(teams_for, fake_x):
    ws = teams_for(**x_api.POSTING_KEYS, REPLY_APPROVERS=PEOPLE["owner"][2])
    ws.install()
    mention_id, card_id = carded(ws, fake_x)
    _, opened = ws.open_dialog("maria", "reply", mention_id)
    ws.submit_dialog("maria", opened, "Ask for approval", text="Sorry Maria, we'll fix it!")
    press = ws.activity(
        "invoke", "owner", name="adaptiveCard/action", value=execute({"action": "approve", "mention_id": mention_id})
    )
    answers: list = []
    both = [threading.Thread(target=lambda: answers.append(ws.send(press))) for _ in range(2)]
    for thread in both:
        thread.start()
    for thread in both:
        thread.join(10)

    assert [status for status, _ in answers] == [200, 200]
    assert [c["text"] for c in fake_x.created] == ["Sorry Maria, we'll fix it!"]
    assert [e["action"] for e in ws.events(mention_id)] == ["submitted", "approved", "replied"]
    assert wait_for(lambda: "Replied by Maria" in words(ws.card_of(card_id)), 3)
