"""A notification over Slack's wire format: signed slash commands and view submissions sent to
the running bot, the fake Web API recording every call. Assess, record a Reg 33(4)
notification, its reminder then the overdue escalation, a refused mark-sent naming the blank
boxes, the Annex II modal in steps, mark sent, export the DOCX through its link and read back
the Annex V worked example box for box. Box 27 never reaches a channel."""

from __future__ import annotations

import json
import urllib.error
import urllib.request
from dataclasses import replace
from datetime import UTC, datetime
from typing import Any

import pytest
from slack_sdk.models.views import View

from tests.fakes.annex_v import ANNEX_V, PRINTED, SECRET, STEPS, docx_value, read_docx
from tests.fakes.slack_world import SlackWorld, run, submission
from tests.fakes.slack_world import slack as slack  # the Slack world fixture

NOT = "NOT-2026-0001"
ISS = "ISS-2026-0001"


def _messages(slack: SlackWorld, channel: str, needle: str) -> list[dict[str, Any]]:
    return [m for m in slack.fake.messages.get(channel, []) if needle in m.get("text", "")]


def _move_clock(slack: SlackWorld, to: datetime) -> None:
    slack.clock.advance(to - slack.clock.now())
    slack.bot.scheduler.kick()


@pytest.fixture
def world(slack: SlackWorld) -> SlackWorld:
    return slack


def test_a_notification_over_slack(world: SlackWorld) -> None:
    slack = world
    # Export links must be absolute in Slack: the bot's address, as OPSS_PUBLIC_URL would say.
    slack.bot.engine.options = replace(slack.bot.engine.options, public_url=slack.url)
    run(
        slack,
        "olly",
        'raise "Hammer drill handle" --products "Rotary Hammer Drill 1050W" '
        '--hazard "Handle rotates" --source business --area "Gas and Electrical"',
        f"Raised {ISS}",
    )

    status, _ = slack.slash("fatima", f"risk {ISS} annex")
    assert status == 200
    view = slack.opened_view(1)
    assert json.loads(view["private_metadata"])["form"] == "risk_annex"
    since = slack.mark()
    status, body = slack.interact(
        submission(
            "fatima",
            view,
            {
                "hazardous": "100",
                "exposure": "possible",
                "severity": "serious",
                "exposed": "adult_inadequate_obvious",
                "necessary": "yes",
                "beyond_uk": "yes",
            },
        )
    )
    assert status == 200 and body == ""
    slack.replied(f"Risk assessment v1 for {ISS} (GPSR 2005 Annex I): Serious risk", since)

    run(slack, "fatima", f"notify {ISS} reg33_4 --trigger 2026-11-23", f"{NOT} recorded")
    slack.fake.wait_for(lambda f: _messages(slack, slack.general, f"{NOT} recorded"))

    _move_clock(slack, datetime(2026, 12, 1, 9, 0, tzinfo=UTC))
    slack.fake.wait_for(lambda f: _messages(slack, slack.general, f"Reminder: {NOT}"))
    _move_clock(slack, datetime(2026, 12, 4, 0, 0, tzinfo=UTC))
    slack.fake.wait_for(
        lambda f: (
            _messages(slack, slack.imt, f"OVERDUE: {NOT}")
            and _messages(slack, slack.general, f"OVERDUE: {NOT}")
        )
    )
    assert len(_messages(slack, slack.general, f"Reminder: {NOT}")) == 1
    overdue = _messages(slack, slack.general, f"OVERDUE: {NOT}")
    assert len(overdue) == 1 and "Escalated to the FTL (Fatima Khan) and IMT" in overdue[0]["text"]

    # App Home lists it among the notifications, overdue first.
    slack.event({"type": "app_home_opened", "user": "U0FATIMA", "tab": "home", "channel": "D1"})
    slack.fake.wait_for(lambda f: f.ok_calls("views.publish"))
    home = json.dumps(slack.fake.ok_calls("views.publish")[0].args["view"], ensure_ascii=False)
    assert "Notifications" in home and f"{NOT} · OVERDUE by 1 day" in home

    since = slack.mark()
    slack.slash("fatima", f"notify {NOT} sent")
    refused = slack.replied("cannot be marked sent", since)
    assert "no blank boxes" in refused["text"] and "3. Category of product" in refused["text"]

    slack.slash("fatima", f"notify {NOT} form")
    view = slack.opened_view(2)
    values = ANNEX_V | {"f27": SECRET}
    since = slack.mark()
    for number, keys in enumerate(STEPS, start=1):
        assert len(view["blocks"]) < 100
        View(**{k: v for k, v in view.items() if k != "id"}).validate_json()
        assert f"Step {number} of 5" in json.dumps(view["blocks"])
        typed = {k: values[k] for k in keys if k in values}
        status, body = slack.interact(submission("fatima", view, typed, view_id=f"VS{number}"))
        assert status == 200
        if number < len(STEPS):
            answer = json.loads(body)
            assert answer["response_action"] == "update"
            view = answer["view"]
        else:
            assert body == ""
    slack.replied(f"Annex II for {NOT} saved. No blank boxes", since)

    run(
        slack, "fatima", f"notify {NOT} sent", f"{NOT} marked sent by Fatima Khan on Fri 4 Dec 2026"
    )
    since = slack.mark()
    slack.slash("fatima", f"notify {NOT} export docx")
    reply = slack.replied("as DOCX", since)
    buttons = [
        e for b in reply["blocks"] if b["type"] == "actions" for e in b["elements"] if e.get("url")
    ]
    assert [b["text"]["text"] for b in buttons] == ["Download DOCX"]
    with urllib.request.urlopen(buttons[0]["url"], timeout=10) as response:
        assert "attachment" in response.headers["Content-Disposition"]
        boxes = read_docx(response.read())
    for key, value in PRINTED.items():
        assert docx_value(boxes, key) == value, key
    assert docx_value(boxes, "f2") == "Fri 4 Dec 2026"

    for spent in (buttons[0]["url"], f"{slack.url}/exports/forged-token"):
        try:  # a used or made-up link gets a refusal, never the form (nor a 500)
            urllib.request.urlopen(spent, timeout=10)
        except urllib.error.HTTPError as err:
            assert err.code in {403, 404}
        else:
            raise AssertionError("a spent or forged export link was served")

    # Box 27 went to the national contact point's form only: no shared Slack call carries it.
    shared = [c for c in slack.fake.calls if c.method in {"chat.postMessage", "chat.update"}]
    assert shared and all(SECRET not in json.dumps(c.args) for c in shared)
