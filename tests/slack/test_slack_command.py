"""Command and control inside a declared incident over Slack's wire format: signed slash
commands, modal submissions and button presses sent to the running bot, whose Web API calls
go to the fake Slack. Groups and roles, a strategy with its equality-duty answer, an action
reminded (in the channel and by direct message), escalated when overdue and completed from
its card, a reassessment to High with the ERCO prompt repeating until ERCO is recorded, a
partner engagement in the next sitrep, and the Head of IMT's direct escalation.
"""

from __future__ import annotations

import json
import os
from datetime import timedelta
from pathlib import Path
from typing import Any

from commands.core.due import tick
from tests.conftest import Driver
from tests.fakes.slack_world import USERS, SlackWorld, button_press, run, slack, submission
from tests.fakes.steps import declare

__all__ = ["slack"]  # the fixture, shared with the ladder's Slack tests

INC = "INC-2026-001"
ERCO_ASK = "not recorded as engaged"


def press(world: SlackWorld, user: str, channel: str, command: str) -> None:
    """A card's button, as Slack sends it (block_actions)."""
    respond = f"{world.fake.base_url}/respond/press"
    status, _ = world.interact(button_press(USERS[user], user, channel, command, respond))
    assert status == 200


def texts(world: SlackWorld, channel: str, needle: str) -> list[str]:
    """What was posted in a channel, or (for a user id) in the app's direct chat with them."""
    if channel.startswith("U"):
        channel = world.fake.dm(channel)
    return [m["text"] for m in world.fake.messages.get(channel, []) if needle in m["text"]]


def blocks_text(message: dict[str, Any]) -> str:
    return json.dumps(message.get("blocks") or [])


def advance(world: SlackWorld, delta: timedelta) -> None:
    """Move the clock, run the scheduler's tick, and deliver what it queued."""
    world.clock.advance(delta)
    tick(world.bot.db, world.clock, world.bot.engine.options)
    world.bot.outbox.kick()


def test_command_and_control_over_slack(slack: SlackWorld) -> None:
    fake = slack.fake
    # The ladder is tested elsewhere: declared through the engine as Slack users, rated
    # Critical and without ERCO, in the general channel.
    bot = Driver(slack.bot.engine, channel=slack.general, surface="slack", ids=USERS)
    declare(bot, "--level tactical")
    slack.bot.outbox.kick()
    fake.wait_for(lambda f: f.channel_named("inc-2026-001-gas-hob-elbow-joints-leaking"))
    channel = fake.channel_named("inc-2026-001-gas-hob-elbow-joints-leaking")
    assert channel is not None
    room = channel["id"]
    fake.wait_for(lambda f: texts(slack, room, ERCO_ASK))  # asked at declaration

    run(slack, "hana", f'sitrep {INC} set --teams "Gas and Electrical"', "teams")
    # Groups and roles.
    run(
        slack,
        "hana",
        f'group {INC} open tcg --chair fatima --members "ian, olly"',
        "TCG of INC-2026-001: Chair: Fatima Khan · Members: Ian Brooks, Olly Reed",
    )
    run(slack, "hana", f"role {INC} scg_chair david", "David Osei chairs the SCG")
    fake.wait_for(lambda f: {"U0IAN", "U0OLLY"} <= channel["members"])  # invited
    fake.wait_for(
        lambda f: any(
            "SCG chair" in blocks_text(m) and "David Osei" in blocks_text(m)
            for m in f.messages[room]
            if m["pinned"]
        )
    )

    # The strategy, in a modal, with its equality-duty answer.
    since = slack.mark()
    slack.slash("david", f"strategy {INC}")
    view = slack.opened_view(1)
    assert "Public sector equality duty" in json.dumps(view)
    status, body = slack.interact(
        submission(
            "david",
            view,
            {
                "what_happened": "Elbow joints leak gas",
                "aim": "Stop further leaks",
                "priorities": "Recall",
                "equality": "Older owners: write to them",
            },
        )
    )
    assert status == 200 and body == ""
    slack.replied("SCG strategy v1 recorded", since)
    fake.wait_for(lambda f: texts(slack, room, "SCG strategy v1 recorded"))

    # Reassessed down (IMT and the TCG chair, the SCG consulted: 3.26), then up to High (the
    # IMT lead's flag, 3.25): ERCO is asked at once.
    run(
        slack,
        "hana",
        f"level {INC} medium --rationale 'Contained' --scg 'David agreed'",
        "stays Critical",
    )
    run(slack, "fatima", f"level {INC} approve", "now Medium")
    run(slack, "hana", f"level {INC} high --rationale 'Reports from Wales'", "now High")
    fake.wait_for(lambda f: len(texts(slack, room, ERCO_ASK)) == 2)
    level_post = next(m for m in fake.messages[room] if "is now High" in m["text"])
    assert f"/opss rhythm {INC} replace escalated" in blocks_text(level_post)

    # An action due at 12:30: reminded 2 h before, in the channel and directly.
    run(
        slack,
        "hana",
        f'action {INC} Collect samples --owner olly --due "2026-11-23 12:30" --group tcg',
        "ACT-2026-0001",
    )
    advance(slack, timedelta(minutes=30, seconds=30))  # 10:00: the TCG's reminder, a cycle
    fake.wait_for(lambda f: len(texts(slack, room, ERCO_ASK)) == 3)
    reminder = next(m for m in fake.messages[room] if m["text"].startswith("Reminder: TCG"))
    assert "Collect samples" in blocks_text(reminder) and "Stop further leaks" in blocks_text(
        reminder
    )
    fake.wait_for(lambda f: texts(slack, "U0IAN", "Reminder: TCG"))  # members, directly
    advance(slack, timedelta(minutes=30))  # 10:30: the action's reminder
    fake.wait_for(lambda f: texts(slack, room, "Reminder: ACT-2026-0001"))
    fake.wait_for(lambda f: texts(slack, "U0OLLY", "Reminder: ACT-2026-0001"))

    # ERCO from the prompt's button: a modal; the banner goes and the asking stops.
    press(slack, "ian", room, f"/opss erco {INC}")
    view = slack.opened_view(2)
    since = slack.mark()
    slack.interact(submission("ian", view, {"ert": ["true"]}, view_id="V2"))
    slack.replied("DBT ERCO engagement recorded", since)

    def card_clear(f: Any) -> bool:
        pinned = [
            m for m in f.messages[room] if m["pinned"] and "Declared incident" in blocks_text(m)
        ]
        return bool(pinned) and "engage DBT ERCO" not in blocks_text(pinned[0])

    fake.wait_for(card_clear)

    advance(slack, timedelta(hours=2))  # 12:30: overdue, escalated to the TCG chair
    fake.wait_for(lambda f: texts(slack, room, "Overdue: ACT-2026-0001"))
    assert "escalated to the TCG chair, Fatima Khan" in texts(slack, room, "Overdue")[0]
    fake.wait_for(lambda f: texts(slack, "U0FATIMA", "Overdue: ACT-2026-0001"))
    # Its owner hears of it directly too, in the app's messages with him, once.
    fake.wait_for(lambda f: texts(slack, "U0OLLY", "Overdue: ACT-2026-0001"))
    assert len(texts(slack, "U0OLLY", "Overdue: ACT-2026-0001")) == 1
    since = slack.mark()
    press(slack, "olly", room, "/opss done ACT-2026-0001")
    slack.replied("Action ACT-2026-0001 done by Olly Reed", since)
    fake.wait_for(
        lambda f: any(
            "Action ACT-2026-0001" in blocks_text(m)
            and "Done" in blocks_text(m)
            and "opss_cmd" not in blocks_text(m)
            for m in f.messages[room]
            if m["text"].startswith("Action ACT-2026-0001")
        )
    )

    # Engagement: the plan and one partner told; the next sitrep shows both.
    run(slack, "hana", f'engage {INC} plan --partners "HSE,Defra"', "Engagement plan v1")
    run(
        slack,
        "fatima",
        f'engage {INC} --partner HSE --what "Recall notice" --via email',
        "HSE told by Fatima Khan",
    )
    advance(slack, timedelta(hours=4))  # 16:30: the cut-off has passed
    fake.wait_for(lambda f: texts(slack, room, "SITREP 1 · INC-2026-001"))
    sitrep = next(m for m in fake.messages[room] if m["text"].startswith("SITREP 1"))
    assert "Recall notice" in blocks_text(sitrep)
    assert "not yet engaged" in blocks_text(sitrep) and "Defra" in blocks_text(sitrep)
    advance(slack, timedelta(hours=16))  # Tuesday 08:30: more meetings, no more asking
    assert len(texts(slack, room, ERCO_ASK)) == 3

    # IMT's reserved right: straight to an incident, the originator and the DD told directly.
    run(
        slack,
        "olly",
        'raise "Kettle base sparks" --products K1 --hazard Fire --source public '
        '--area "Gas and Electrical"',
        "Raised ISS-2026-0002",
    )
    run(
        slack,
        "ian",
        "escalate ISS-2026-0002 incident --consulted david --rationale r",
        "Head of IMT",
    )
    run(
        slack,
        "hana",
        "escalate ISS-2026-0002 incident --consulted david --rationale 'Two fires overnight'",
        "straight to incident INC-2026-002",
    )
    fake.wait_for(lambda f: texts(slack, "U0OLLY", "straight to incident INC-2026-002"))
    fake.wait_for(lambda f: texts(slack, "U0DAVID", "straight to incident INC-2026-002"))
    dump = os.environ.get("OPSS_SLACK_DUMP")
    if dump:  # to read the Block Kit as people would see it
        Path(dump).write_text(json.dumps(fake.messages[room], indent=1, default=str))
