"""One press of a Teams card button does one thing: the same ``Action.Execute`` (or
``Action.Submit``) pressed twice on the same card, or the same activity delivered twice (a
client or connector retry), commits once; the same button on another card is another press.
"""

from __future__ import annotations

import uuid
from typing import Any

import pytest
from sqlalchemy import select

from storage.models import Issue, ProcessedRequest
from tests.fakes.slack_world import FULL, RATINGS
from tests.fakes.teams_world import TeamsWorld, action_data
from tests.fakes.teams_world import teams as teams


@pytest.fixture
def world(teams: TeamsWorld) -> TeamsWorld:
    return teams


def open_form(world: TeamsWorld, user: str, text: str) -> tuple[str, dict[str, Any]]:
    """The form's message id in the person's chat, and its button's data."""
    chat = world.personal(user)
    seen = len(world.connector.posts(chat))
    status, _ = world.say(user, text)
    assert status == 201
    # The form; not the card of an issue raised just before, which the outbox may post
    # in the same chat while this command runs.
    (form,) = [
        m
        for m in world.connector.posts(chat)[seen:]
        if m.get("attachments") and "form" in _execute_data(m["attachments"][0]["content"])
    ]
    return form["id"], action_data(form["attachments"][0]["content"])


def _execute_data(card: dict[str, Any]) -> dict[str, Any]:
    executes = [a for a in card.get("actions", []) if a.get("type") == "Action.Execute"]
    return dict(executes[0].get("data") or {}) if len(executes) == 1 else {}


def press(
    world: TeamsWorld,
    user: str,
    data: dict[str, Any],
    card: str,
    activity_id: str | None = None,
) -> tuple[int, Any]:
    """Action.Execute on the card in message ``card`` (Teams sends it as ``replyToId``)."""
    activity = world.activity(user, "invoke")
    activity["id"] = activity_id or uuid.uuid4().hex
    activity["replyToId"] = card
    activity["name"] = "adaptiveCard/action"
    activity["value"] = {"action": {"type": "Action.Execute", "verb": "opss", "data": data}}
    return world.send(activity)


def titles(world: TeamsWorld) -> list[str]:
    with world.bot.db.read() as s:
        return [i.title for i in s.scalars(select(Issue).order_by(Issue.id))]


def test_the_same_button_pressed_twice_raises_one_issue(world: TeamsWorld) -> None:
    card, data = open_form(world, "olly", "opss raise Toaster lever sticks")
    filled = {**data, "title": "Toaster lever sticks", **FULL}
    first = press(world, "olly", filled, card)
    second = press(world, "olly", filled, card)  # a double click: a new activity id
    again = press(world, "olly", filled, card, activity_id="retried-1")
    retried = press(world, "olly", filled, card, activity_id="retried-1")  # a redelivery
    for status, body in (first, second, again, retried):
        assert status == 200 and body["statusCode"] == 200
    assert "Raised ISS-2026-0001" in str(first[1]["value"])
    assert "already done" in str(second[1]["value"])
    assert titles(world) == ["Toaster lever sticks"]


def test_the_same_button_on_another_card_is_another_press(world: TeamsWorld) -> None:
    """Two forms, filled the same, submitted on purpose: two issues (as two *More* buttons
    on two pages are two pages)."""
    filled = {"title": "Kettle switch fails", **FULL}
    for _ in range(2):
        card, data = open_form(world, "olly", "opss raise Kettle switch fails")
        status, body = press(world, "olly", {**data, **filled}, card)
        assert status == 200 and "Raised" in str(body["value"])
    assert titles(world) == ["Kettle switch fails", "Kettle switch fails"]


def test_a_form_corrected_on_the_same_card_is_not_taken_for_a_repeat(world: TeamsWorld) -> None:
    card, data = open_form(world, "olly", "opss raise Cot sides collapse")
    wrong = {**data, "title": "Cot sides collapse", **FULL, "hazard": ""}
    status, body = press(world, "olly", wrong, card)
    assert status == 200 and "Hazard" in str(body["value"])
    status, body = press(world, "olly", wrong, card)  # the same mistake again: the same answer
    assert status == 200 and "Hazard" in str(body["value"])
    status, body = press(world, "olly", {**wrong, "hazard": "Entrapment"}, card)
    assert status == 200 and "Raised ISS-2026-0001" in str(body["value"])
    assert titles(world) == ["Cot sides collapse"]
    with world.bot.db.read() as s:
        assert len(s.scalars(select(ProcessedRequest)).all()) == 1


def test_action_submit_pressed_twice_raises_one_issue(world: TeamsWorld) -> None:
    card, data = open_form(world, "olly", "opss raise Hair dryer overheats")
    filled = {**data, "title": "Hair dryer overheats", **FULL}
    for _ in range(2):
        status, _ = world.submit("olly", filled, card)
        assert status == 201
    assert titles(world) == ["Hair dryer overheats"]


def test_a_button_on_a_shared_card_pressed_twice_acts_once(world: TeamsWorld) -> None:
    """A button on an issue's card: Fatima presses *Escalate* twice, and it escalates once."""
    card, data = open_form(world, "olly", "opss raise Hob leaks")
    press(world, "olly", {**data, "title": "Hob leaks", **FULL}, card)
    assert world.say("fatima", f"opss assess ISS-2026-0001 {RATINGS}")[0] == 201
    command = {"command": "escalate ISS-2026-0001"}
    first = press(world, "fatima", command, "1764000000099")
    second = press(world, "fatima", command, "1764000000099")
    assert "already done" not in str(first[1]) and "already done" in str(second[1])
    with world.bot.db.read() as s:
        issue = s.scalar(select(Issue))
        assert issue is not None and (issue.stage, issue.stage_seq) == ("ftl_assessment", 1)
        keys = s.scalars(select(ProcessedRequest)).all()
    assert len(keys) == 3  # the raise, the assessment and one escalation


def test_a_press_whose_answer_fails_after_it_committed_is_not_a_5xx(
    world: TeamsWorld, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Issue 17: once a press has committed, Teams is never answered 5xx. A fault in drawing
    the answer card (injected here, after the engine has committed) is answered 200 with a
    message; pressing again shows what was done, and does it not twice."""
    from bot.teams import cards as teams_cards

    card, data = open_form(world, "olly", "opss raise Toaster lever sticks")
    filled = {**data, "title": "Toaster lever sticks", **FULL}
    drawn = teams_cards.invoke_answer

    def broken(*args: Any, **kwargs: Any) -> dict[str, Any]:
        raise RuntimeError("the answer card could not be drawn")

    monkeypatch.setattr(teams_cards, "invoke_answer", broken)
    status, body = press(world, "olly", filled, card)
    assert status == 200 and body["statusCode"] == 200
    assert "could not show its answer. Press the button again" in str(body["value"])
    assert titles(world) == ["Toaster lever sticks"]  # it had committed

    monkeypatch.setattr(teams_cards, "invoke_answer", drawn)
    status, body = press(world, "olly", filled, card)
    assert status == 200 and "ISS-2026-0001" in str(body["value"])
    assert titles(world) == ["Toaster lever sticks"]  # not raised twice
