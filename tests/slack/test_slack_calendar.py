"""Calendar invitations over Slack's wire format: the rhythm card's and the conference card's
Add to calendar buttons, pressed as Slack sends them, answer the presser alone with links
whose .ics icalendar reads back; the rhythm changed, the same UID with a higher SEQUENCE; the
incident closed, the meetings' people are told in their DMs and the links give the
cancellations."""

from __future__ import annotations

import json
import urllib.request
from typing import Any

import icalendar

from tests.conftest import Driver
from tests.fakes.slack_world import USERS, SlackWorld, slack
from tests.fakes.stand_down import de_escalate, open_actions
from tests.fakes.steps import declare, ok

__all__ = ["slack"]  # the fixture, used by name

INC = "INC-2026-001"
CHANNEL = "inc-2026-001-gas-hob-elbow-joints-leaking"


def buttons(message: dict[str, Any]) -> list[dict[str, Any]]:
    blocks = message.get("blocks") or []
    if isinstance(blocks, str):
        blocks = json.loads(blocks)
    return [e for b in blocks if b.get("type") == "actions" for e in b.get("elements", [])]


PRESSES = iter(range(1, 1000))


def press(world: SlackWorld, user: str, channel: str, value: str) -> None:
    """A new press each time (its own action_ts): a repeated one would replay the first."""
    n = next(PRESSES)
    status, _ = world.interact(
        {
            "type": "block_actions",
            "team": {"id": "T1"},
            "api_app_id": "A1",
            "user": {"id": USERS[user], "username": user},
            "trigger_id": "t-press",
            "channel": {"id": channel},
            "container": {"type": "message", "message_ts": f"{n}", "channel_id": channel},
            "actions": [
                {
                    "action_id": "opss_cmd_1",
                    "block_id": "b",
                    "type": "button",
                    "value": value,
                    "action_ts": f"1764000001.{n}",
                }
            ],
            "response_url": f"{world.fake.base_url}/respond/press",
        }
    )
    assert status == 200


def links_replied(
    world: SlackWorld, user: str, channel: str, value: str, says: str
) -> dict[str, str]:
    since = world.mark()
    press(world, user, channel, value)
    reply = world.replied(says, since)
    return {b["text"]["text"]: b["url"] for b in buttons(reply) if "url" in b}


def fetch(world: SlackWorld, link: str) -> icalendar.Calendar:
    with urllib.request.urlopen(world.url + link, timeout=15) as response:
        assert response.headers["Content-Type"].startswith("text/calendar")
        assert response.headers["Cache-Control"] == "no-store"
        return icalendar.Calendar.from_ical(response.read())


def test_calendar_invitations_from_slack_buttons(slack: SlackWorld) -> None:
    fake = slack.fake
    bot = Driver(slack.bot.engine, channel=slack.general, surface="slack", ids=USERS)
    declare(bot, "--level tactical --scg-chair david --tcg-chair fatima")
    slack.bot.outbox.kick()
    fake.wait_for(lambda f: f.channel_named(CHANNEL))
    room = fake.channel_named(CHANNEL)["id"]  # type: ignore[index]

    def rhythm_card(f: Any) -> dict[str, Any] | None:
        return next(
            (m for m in f.messages.get(room, []) if "Battle rhythm of INC" in m["text"]), None
        )

    fake.wait_for(rhythm_card)
    card = rhythm_card(fake)
    assert card is not None
    (add,) = [b for b in buttons(card) if b["text"]["text"] == "Add to calendar"]
    assert add["value"] == f"/opss calendar {INC}"

    links = links_replied(slack, "ian", room, add["value"], "Calendar invitations for")
    assert set(links) == {
        "SCG: Mon, Thu 09:00",
        "TCG: weekdays 10:30",
        "Bird table: weekdays 08:30",
    }
    tcg_cal = fetch(slack, links["TCG: weekdays 10:30"])
    (tcg,) = tcg_cal.walk("VEVENT")
    assert tcg_cal["METHOD"] == "REQUEST" and tcg["SEQUENCE"] == 0
    assert tcg["DTSTART"].params["TZID"] == "Europe/London"
    assert tcg.decoded("DTSTART").strftime("%a %d %b %H:%M") == "Mon 23 Nov 10:30"
    assert str(tcg["SUMMARY"]).startswith(f"TCG · {INC} Gas hob elbow joints leaking")
    # The link is Ian's: shown to him alone (his ephemeral reply), never in the channel.
    assert not any("/exports/" in json.dumps(m) for m in fake.messages.get(room, []))

    ok(bot.cmd("ian", f'rhythm {INC} replace escalated --scg "Hana Patel, 23 Nov"'))
    again = links_replied(slack, "ian", room, add["value"], "Calendar invitations for")
    (changed,) = fetch(slack, again["TCG: daily 11:00"]).walk("VEVENT")
    assert str(changed["UID"]) == str(tcg["UID"]) and changed["SEQUENCE"] == 1

    de_escalate(bot, to="normal")  # closing follows the return to normal operations (3.26)
    for done in open_actions(slack.bot.db):
        ok(bot.cmd("fatima", f"done {done}"))
    ok(bot.cmd("hana", f'close {INC} --reason "Back to normal" --review "2026-12-15 10:00"'))
    slack.bot.outbox.kick()
    # Fatima chairs the TCG: told in her DM, with the cancellations' button.
    fake.wait_for(
        lambda f: any(
            "meetings are cancelled" in m["text"] for m in f.messages.get(f.dm(USERS["fatima"]), [])
        )
    )
    told = next(
        m for m in fake.messages[fake.dm(USERS["fatima"])] if "meetings are cancelled" in m["text"]
    )
    (remove,) = [b for b in buttons(told) if b["text"]["text"] == "Remove from my calendar"]
    gone = links_replied(
        slack, "fatima", fake.dm(USERS["fatima"]), remove["value"], "cancellations"
    )
    cancelled = fetch(slack, gone["Cancel: TCG"])
    (event,) = cancelled.walk("VEVENT")
    assert cancelled["METHOD"] == "CANCEL" and event["STATUS"] == "CANCELLED"
    assert (
        str(event["UID"]) == str(tcg["UID"]) and event["SEQUENCE"] == 3
    )  # the reduced rhythm of the return to normal, then closed


def test_a_case_conference_card_carries_its_invitation(slack: SlackWorld) -> None:
    fake = slack.fake
    bot = Driver(slack.bot.engine, channel=slack.general, surface="slack", ids=USERS)
    declare(bot, "--level tactical")
    slack.bot.outbox.kick()

    def invitation(f: Any) -> tuple[str, dict[str, Any]] | None:
        # The invitee's own copy: the channel's copies lose their buttons once the
        # conference is held, which the declaration does at once.
        return next(
            (
                (channel, m)
                for channel, posted in f.messages.items()
                if channel.startswith("D")
                for m in posted
                if "Case conference CC-2026-0001" in m["text"] and buttons(m)
            ),
            None,
        )

    fake.wait_for(invitation)
    found = invitation(fake)
    assert found is not None
    dm, card = found
    assert dm == fake.dm(USERS["sara"]), "the invitee is told in their own DM"
    (add,) = [b for b in buttons(card) if b["text"]["text"] == "Add to calendar"]
    links = links_replied(slack, "sara", dm, add["value"], "Calendar invitation for")
    cal = fetch(slack, links["Case conference CC-2026-0001"])
    (event,) = cal.walk("VEVENT")
    assert cal["METHOD"] == "REQUEST" and event["SEQUENCE"] == 0
    assert event["DTSTART"].params["TZID"] == "Europe/London"
    assert str(event["SUMMARY"]).startswith("Case conference CC-2026-0001 · ISS-2026-0001")
