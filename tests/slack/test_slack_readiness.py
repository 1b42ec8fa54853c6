"""Readiness over Slack's wire format (plan section 6): signed slash commands to the running
bot, its Web API calls going to the fake Slack. The roster kept and read, the group modal
naming who is trained, an untrained chair refused without a justification; an exercise
scheduled in an EXERCISE incident, its injects posted by the scheduler into the incident's
Slack channel once each, a lesson after it; and the annual plan review pack fetched through
its one-time links and read back (python-docx, pypdf)."""

from __future__ import annotations

import io
import json
import re
import urllib.error
import urllib.request
from dataclasses import replace
from datetime import UTC, datetime
from typing import Any

import docx
import pypdf

from tests.conftest import Driver
from tests.fakes.slack_world import USERS, SlackWorld, run
from tests.fakes.slack_world import slack as slack  # the Slack world fixture
from tests.fakes.steps import declare

INC = "INC-2026-001"
EXR = "EXR-2026-001"


def texts(world: SlackWorld, channel: str, needle: str) -> list[str]:
    """What was posted in a channel, or (for a user id) in the app's direct chat with them."""
    if channel.startswith("U"):
        channel = world.fake.dm(channel)
    return [m["text"] for m in world.fake.messages.get(channel, []) if needle in m["text"]]


def move_clock(world: SlackWorld, to: datetime) -> None:
    world.clock.advance(to - world.clock.now())
    world.bot.scheduler.kick()


def buttons(reply: dict[str, Any]) -> dict[str, str]:
    return {
        e["text"]["text"]: e["url"]
        for b in reply.get("blocks", [])
        if b["type"] == "actions"
        for e in b["elements"]
        if e.get("url")
    }


def test_the_roster_and_an_exercise_over_slack(slack: SlackWorld) -> None:
    fake = slack.fake
    slack.bot.engine.options = replace(slack.bot.engine.options, public_url=slack.url)

    # The roster: kept by IMT, read by anyone, refused to others.
    run(
        slack,
        "ian",
        "roster add sara scg_chair --trained 2026-10-01",
        "Sara Lind added to the roster as SCG chair: trained Thu 1 Oct 2026",
    )
    since = slack.mark()
    slack.slash("olly", "roster scg_chair")
    listed = slack.replied("Roster · SCG chair", since)
    shown = json.dumps(listed["blocks"], ensure_ascii=False)
    assert "David Osei · trained Mon 13 Jan 2025 · to Sun 13 Jan 2030" in shown
    assert "Sara Lind · trained Thu 1 Oct 2026 · to Fri 1 Oct 2027" in shown
    run(slack, "olly", "roster remove sara scg_chair", "Only IMT, the Head of IMT or an FTL")

    # An EXERCISE incident (the ladder is tested elsewhere), declared as Slack users.
    bot = Driver(slack.bot.engine, channel=slack.general, surface="slack", ids=USERS)
    declare(bot, "--level tactical --erco yes --exercise")
    slack.bot.outbox.kick()
    name = "exercise-inc-2026-001-gas-hob-elbow-joints-leaking"
    fake.wait_for(lambda f: f.channel_named(name))
    channel = fake.channel_named(name)
    assert channel is not None
    room = channel["id"]

    # The group modal says who is trained (Slack's own user picker cannot put them first).
    slack.slash("hana", f"group {INC} open")
    view = slack.opened_view(1)
    chair = next(
        b for b in view["blocks"] if b["type"] == "input" and b["element"]["action_id"] == "chair"
    )
    assert chair["element"]["type"] == "users_select"
    assert "SCG: David Osei, Sara Lind; TCG: Fatima Khan" in chair["hint"]["text"]
    run(
        slack,
        "hana",
        f"group {INC} open bird_table --chair olly",
        "Justification: Olly Reed is not trained as Bird table chair (the roster, 6.6)",
    )
    run(
        slack,
        "hana",
        f"group {INC} open bird_table --chair olly --justification 'Practice for Olly'",
        "Bird table of INC-2026-001: Chair: Olly Reed",
    )

    # The exercise, played in that incident, with two injects.
    run(
        slack,
        "ian",
        'exercise schedule --title "Exercise Ember" --when "2026-11-24 10:00" '
        '--scenario "E-bike batteries catch fire while charging" '
        f"--participants olly --incident {INC}",
        f"Exercise {EXR} scheduled for Tue 24 Nov 2026 10:00 GMT: Exercise Ember.",
    )
    fake.wait_for(lambda f: texts(slack, slack.imt, f"Exercise {EXR} scheduled"))
    # Olly, taking part, is told directly.
    fake.wait_for(lambda f: texts(slack, "U0OLLY", f"You take part in exercise {EXR}"))
    run(
        slack,
        "ian",
        f'exercise {EXR} inject --at "2026-11-24 10:15" --from "BBC Newsnight" '
        '--text "Three fires in Leeds tonight: will OPSS comment?"',
        f"Inject 1 of {EXR} set for Tue 24 Nov 2026 10:15 GMT.",
    )
    run(
        slack,
        "ian",
        f'exercise {EXR} inject --at 10:40 --text "The importer has stopped answering"',
        f"Inject 2 of {EXR} set for Tue 24 Nov 2026 10:40 GMT.",
    )
    since = slack.mark()
    slack.slash("olly", f"exercise {EXR}")
    theirs = slack.replied(f"{EXR} · Exercise Ember", since)
    assert "Three fires" not in json.dumps(theirs)  # not before it is posted

    move_clock(slack, datetime(2026, 11, 24, 10, 15, tzinfo=UTC))
    fake.wait_for(lambda f: texts(slack, room, f"Inject 1 of {EXR}"))
    move_clock(slack, datetime(2026, 11, 24, 10, 41, tzinfo=UTC))
    fake.wait_for(lambda f: texts(slack, room, f"Inject 2 of {EXR}"))
    slack.bot.scheduler.kick()
    slack.bot.outbox.kick()
    assert texts(slack, room, f"Inject 1 of {EXR}") == [
        f"EXERCISE · Inject 1 of {EXR} · from BBC Newsnight: Three fires in Leeds tonight: will "
        "OPSS comment?"
    ]
    assert len(texts(slack, room, f"Inject 2 of {EXR}")) == 1
    posted = next(m for m in fake.messages[room] if f"Inject 1 of {EXR}" in m["text"])
    assert "EXERCISE" in json.dumps(posted["blocks"]) and "Record a lesson" in json.dumps(
        posted["blocks"]
    )
    assert not [
        m for c, ms in fake.messages.items() if c != room for m in ms if "Inject 1" in m["text"]
    ]

    # After it: ended, and a lesson recorded as for any incident.
    run(slack, "ian", f"exercise {EXR} end", f"Exercise {EXR} ended by Ian Brooks.")
    run(
        slack,
        "olly",
        f"lesson {INC} Nobody owned the reply to the press --aspect communications",
        "Lesson 1 [Communications] · Olly Reed",
    )

    # The annual review pack, through its one-time links.
    run(slack, "olly", "review-plan", "Only IMT or a senior civil servant")
    since = slack.mark()
    slack.slash("sara", "review-plan 2026")
    reply = slack.replied("annual review pack for 2026", since)
    links = buttons(reply)
    assert set(links) == {"Download DOCX", "Download PDF"}
    with urllib.request.urlopen(links["Download DOCX"], timeout=10) as response:
        assert 'filename="plan-review-2026.docx"' in response.headers["Content-Disposition"]
        document = docx.Document(io.BytesIO(response.read()))
    with urllib.request.urlopen(links["Download PDF"], timeout=10) as response:
        pdf = pypdf.PdfReader(io.BytesIO(response.read()))
    body = "\n".join(p.text for p in document.paragraphs)
    flat = re.sub(r"\s+", " ", " ".join(page.extract_text() for page in pdf.pages))
    lesson = f"Lesson 1 of {INC} (EXERCISE): Nobody owned the reply to the press"
    assert lesson in body and lesson in flat
    assert "Theme: Communications" in body
    assert f"{EXR} (EXERCISE) · Exercise Ember" in flat and "2 injects posted" in flat
    try:  # spent: a second use is refused, never the pack
        urllib.request.urlopen(links["Download PDF"], timeout=10)
    except urllib.error.HTTPError as err:
        assert err.code == 403
    else:
        raise AssertionError("a spent link gave the pack again")
