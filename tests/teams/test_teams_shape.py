"""Teams-shaped, not Slack-shaped (issue 19, items 7 and 8): commands named as Teams types
them, a pointer in the thread for an answer given privately, one message per reply in a
personal chat, the message extension that raises an issue from a message, and the personal
view on ``opss home``. Every activity goes over HTTP to ``/api/messages`` with a signed token;
what Teams would show is read from the fake Bot Connector's record."""

from __future__ import annotations

import json
import logging
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select

from bot.__main__ import announce
from storage.models import AuditEvent, Issue, OutboxMessage, OutboxStatus
from tests.conftest import ALL_INDICATORS
from tests.fakes.fake_teams import FakeConnector
from tests.fakes.teams_world import (
    CHANNEL_NAME,
    GENERAL,
    IMT,
    REF,
    TeamsWorld,
    _flat,
    declare,
    run,
    world_settings,
)
from tests.fakes.teams_world import teams as teams

RAISE = "raise Toaster lever sticks --products T1 --hazard Burns --source public "
RAISE += '--area "Gas and Electrical"'
THREAD = f"{GENERAL};messageid=1764000000001"  # where world.say writes in a channel


def _words(message: dict[str, Any]) -> str:
    """Everything a person reads in a message: its text and its cards' text, not the data
    its buttons send back."""
    found: list[str] = [message.get("text") or ""]

    def walk(value: Any) -> None:
        if isinstance(value, dict):
            for key, item in value.items():
                if key == "data":
                    continue
                if key in ("text", "title", "label", "placeholder") and isinstance(item, str):
                    found.append(item)
                else:
                    walk(item)
        elif isinstance(value, list):
            for item in value:
                walk(item)

    walk(message.get("attachments") or [])
    return "\n".join(found)


def _settled(teams: TeamsWorld, chat: str) -> None:
    """Every queued message for this chat delivered (so a second one would have come)."""

    def done(_: FakeConnector) -> bool:
        teams.bot.outbox.kick()
        with teams.bot.db.read() as s:
            return not [
                m
                for m in s.scalars(
                    select(OutboxMessage).where(OutboxMessage.status == OutboxStatus.PENDING)
                )
                if chat in m.conversation
            ]

    teams.connector.wait_for(done)


def _one_message(teams: TeamsWorld, user: str, text: str, expect: str) -> dict[str, Any]:
    chat = teams.personal(user)
    seen = len(teams.connector.posts(chat))
    run(teams, user, text, expect)
    _settled(teams, chat)
    new = teams.connector.posts(chat)[seen:]
    assert len(new) == 1, [_words(m)[:120] for m in new]
    return new[0]


# Item 7 -------------------------------------------------------------------------------------


def test_help_in_teams_says_opss_and_leaves_out_the_workspaces_commands(teams: TeamsWorld) -> None:
    run(teams, "olly", "help", "OPSS incident bot commands")
    card = _words(teams.connector.posts(teams.personal("olly"))[-1])
    assert "opss raise <title>" in card and "type opss <command>" in card
    assert "/opss" not in card
    assert "opss demo" not in card and "opss clock" not in card
    assert "Local workspace only" not in card
    # Typed anyway, the answer says where they run.
    run(teams, "olly", "demo", "opss demo runs only in the local workspace")
    run(teams, "olly", "nonsense", "is not an opss command")
    said = _words(teams.connector.posts(teams.personal("olly"))[-1])
    assert "clock" not in said.split("Commands:", 1)[1] and "/opss" not in said


def test_in_a_channel_commands_are_named_with_the_mention(teams: TeamsWorld) -> None:
    """A channel hears the bot only when it is mentioned: what the bot posts there says
    ``@OPSS erco``, while the declarer's own chat says ``opss erco``."""
    declare(teams)
    channel = teams.graph.named(CHANNEL_NAME)
    assert channel is not None
    teams.said(channel["id"], "@OPSS erco INC-2026-001")
    in_channel = "\n".join(_words(m) for m in teams.connector.posts(channel["id"]))
    assert "/opss" not in in_channel
    mine = "\n".join(_words(m) for m in teams.connector.posts(teams.personal("hana")))
    assert "record it with opss erco INC-2026-001" in mine and "/opss" not in mine
    # The data a button sends back is the engine's, untouched.
    buttons = json.dumps([m.get("attachments") for m in teams.connector.posts(channel["id"])])
    assert '"command": "/opss' in buttons


def test_a_command_in_a_channel_answered_privately_leaves_a_pointer_in_its_thread(
    teams: TeamsWorld,
) -> None:
    status, _ = teams.say("olly", "help", where=GENERAL)
    assert status == 201
    teams.said(teams.personal("olly"), "OPSS incident bot commands")
    assert teams.connector.texts(THREAD) == ["Olly Reed: the answer is in your chat with OPSS."]
    # A refusal is private too, and pointed to.
    teams.say("olly", "role grant olly imt", where=GENERAL)
    teams.said(teams.personal("olly"), "Only")
    teams.connector.wait_for(lambda c: len(c.texts(THREAD)) == 2)
    # An answer the channel is shown itself (the issue's card) needs no pointer.
    teams.say("olly", RAISE, where=GENERAL)
    teams.said(GENERAL, f"{REF} · Toaster lever sticks")
    _settled(teams, teams.personal("olly"))
    assert len(teams.connector.texts(THREAD)) == 2


def test_in_a_personal_chat_declare_escalate_and_close_each_send_one_message(
    teams: TeamsWorld,
) -> None:
    run(teams, "olly", RAISE, f"Raised {REF}")
    ratings = " ".join(f"{k}=low" for k in ALL_INDICATORS)
    run(teams, "fatima", f"assess {REF} {ratings}", "overall")
    escalated = _one_message(teams, "fatima", f"escalate {REF}", "to FTL assessment")
    assert "escalated from Raised to FTL assessment" in _words(escalated)
    close = f'close {REF} nfa --reason "Not a safety matter"'
    closed = _one_message(teams, "fatima", close, "Closed: no further action")
    assert REF in _words(closed)
    # A card's button answered in its invoke alone (a passing note) keeps the chat's line.
    run(teams, "fatima", f"reopen {REF} --reason Mistaken", "re-opened")
    run(teams, "fatima", f"assess {REF} {ratings}", "overall")
    chat = teams.personal("fatima")
    _settled(teams, chat)
    seen = len(teams.connector.posts(chat))
    status, body = teams.execute("fatima", {"command": f"/opss escalate {REF}"})
    assert status == 200 and body["type"] == "application/vnd.microsoft.activity.message"
    assert "escalated from FTL assessment to CAM" in body["value"]
    teams.said(chat, f"{REF} escalated from FTL assessment to CAM")
    _settled(teams, chat)
    assert len(teams.connector.posts(chat)[seen:]) == 1


def test_declaring_in_a_personal_chat_is_one_message_with_the_channels_link(
    teams: TeamsWorld,
) -> None:
    declare(teams)  # hana declares in her own chat
    chat = teams.personal("hana")
    _settled(teams, chat)
    (declared,) = [m for m in teams.connector.posts(chat) if "declared as incident" in _words(m)]
    assert "Open in Teams" in _flat(declared)  # the reply, with the link to the channel


def test_the_start_up_line_names_teams_when_it_is_on(tmp_path: Path) -> None:
    settings = world_settings(tmp_path, "http://127.0.0.1:9", "http://127.0.0.1:9", "issuer")
    line = announce(settings)
    assert "Teams at /api/messages" in line and "no surface configured" not in line


# Item 8: the message extension -------------------------------------------------------------

MESSAGE = {
    "id": "1764000000999",
    "createdDateTime": "2026-11-23T09:29:00.000Z",
    "body": {
        "contentType": "html",
        "content": "<p>Customer says the kettle &amp; base spark</p>"
        "<p>Model KT-9, bought in May</p>",
    },
    "from": {"user": {"id": "29:ian", "displayName": "Ian Brooks"}},
    "linkToMessage": "https://teams.microsoft.com/l/message/19:general@thread.tacv2/1764000000999",
}


def _extension(teams: TeamsWorld, name: str, value: dict[str, Any]) -> tuple[int, Any]:
    """An invoke of the message extension, on MESSAGE in the General channel."""
    activity = teams.activity("olly", "invoke", GENERAL)
    activity["name"] = name
    activity["value"] = {
        "commandId": "raiseIssue",
        "commandContext": "message",
        "messagePayload": MESSAGE,
        **value,
    }
    return teams.send(activity)


def test_raise_an_issue_from_a_message_with_the_message_extension(teams: TeamsWorld) -> None:
    status, body = _extension(teams, "composeExtension/fetchTask", {"context": {}})
    assert status == 200, body
    task = body["task"]
    assert task["type"] == "continue"
    assert task["value"]["title"] == "Raise an issue from this message"
    card = task["value"]["card"]["content"]
    teams.connector.cards.append(card)  # held to Adaptive Card 1.5 with the rest
    fields = {e["id"]: e for e in card["body"] if e.get("type", "").startswith("Input.")}
    assert fields["title"]["value"] == "Customer says the kettle & base spark"
    assert fields["description"]["value"] == (
        "Customer says the kettle & base spark\nModel KT-9, bought in May"
    )
    assert fields["link"]["value"] == MESSAGE["linkToMessage"]
    (submit,) = card["actions"]
    assert submit["type"] == "Action.Submit"  # a dialog takes no Action.Execute
    data = dict(submit["data"])
    # Submitted with a field missing: the dialog stays, saying which.
    inputs = {k: fields[k].get("value", "") for k in ("title", "description", "link")}
    status, body = _extension(
        teams,
        "composeExtension/submitAction",
        {"data": {**data, **inputs, "products": "KT-9", "hazard": "Electric shock"}},
    )
    assert status == 200 and body["task"]["type"] == "continue"
    again = body["task"]["value"]["card"]["content"]
    teams.connector.cards.append(again)
    assert "Source" in _flat(again) and "choose an option" in _flat(again)
    with teams.bot.db.read() as s:
        assert s.scalars(select(Issue)).all() == []
    complete = {
        **data,
        **inputs,
        "products": "KT-9",
        "hazard": "Electric shock",
        "source": "public",
        "functional_area": "Gas and Electrical",
    }
    status, body = _extension(teams, "composeExtension/submitAction", {"data": complete})
    assert status == 200
    assert body["composeExtension"]["type"] == "message"
    assert f"Raised {REF}" in body["composeExtension"]["text"]
    assert "/opss" not in body["composeExtension"]["text"]
    with teams.bot.db.read() as s:
        (issue,) = s.scalars(select(Issue)).all()
        assert issue.title == "Customer says the kettle & base spark"
        assert issue.description.endswith(f"Original report: {MESSAGE['linkToMessage']}")
        assert issue.raised_by.name == "olly"
    # The issue's card is posted where the message was, and IMT is told, once each.
    teams.said(GENERAL, f"{REF} · Customer says the kettle & base spark")
    teams.said(IMT, REF)
    _settled(teams, GENERAL)
    assert sum(REF in _flat(m) for m in teams.connector.posts(GENERAL)) == 1
    # The same submission again (a retried invoke, Submit pressed twice) raises nothing more.
    _extension(teams, "composeExtension/submitAction", {"data": complete})
    with teams.bot.db.read() as s:
        assert len(s.scalars(select(Issue)).all()) == 1


def test_the_message_extension_refuses_a_command_it_does_not_declare(
    teams: TeamsWorld, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO)
    activity = teams.activity("olly", "invoke", GENERAL)
    activity["name"] = "composeExtension/fetchTask"
    activity["value"] = {"commandId": "deleteEverything", "messagePayload": MESSAGE}
    status, body = teams.send(activity)
    assert status == 400 and "commandId" in body["error"]
    status, body = _extension(teams, "composeExtension/submitAction", {"data": {"form": "role"}})
    assert status == 400 and "raise form" in body["error"]
    with teams.bot.db.read() as s:
        assert s.scalars(select(Issue)).all() == []
        assert not [a for a in s.scalars(select(AuditEvent)) if a.action.startswith("issue")]


# Item 8: the personal view ------------------------------------------------------------------


def test_opss_home_answers_the_overview_app_home_shows_as_one_card(teams: TeamsWorld) -> None:
    run(teams, "olly", RAISE, f"Raised {REF}")
    message = _one_message(teams, "fatima", "home", "Your OPSS overview")
    (attachment,) = message["attachments"]
    card = attachment["content"]
    teams.connector.cards.append(card)  # held to Adaptive Card 1.5 with the rest
    words = _words(message)
    assert "Fatima Khan" in words
    for heading in ("Your open actions", "Waiting on you", "Open incidents"):
        assert heading in words
    # The new issue waits on the area's FTL, with a button that opens it.
    assert f"{REF}" in words.split("Waiting on you", 1)[1].split("Open incidents", 1)[0]
    buttons = [a for a in card["actions"] if a["type"] == "Action.Execute"]
    assert {"command": f"/opss status {REF}"} in [b["data"] for b in buttons]
    assert "No incident is open." in words and "/opss" not in words
    # The same button pressed: the issue's card, for Fatima.
    status, body = teams.execute("fatima", {"command": f"/opss status {REF}"})
    assert status == 200 and f"{REF} · Toaster lever sticks" in _flat(body)
