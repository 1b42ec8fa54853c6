"""Every reminder meant for a person reaches them directly (``Tell``, queued by person, which
each surface delivers to their personal chat or DM), through the engine and the tick on the
injected clock: a case conference's invitees when it is called and before it meets, a missing
sitrep team's FTL at the chase, and the people a meeting's attendees name."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select

from commands.core.clock import ManualClock
from commands.core.due import tick
from commands.core.engine import Engine
from rules.timeparse import LONDON
from storage.models import OutboxMessage, Person, RhythmEvent
from storage.unit_of_work import Database
from tests.conftest import Driver
from tests.fakes.steps import INC, assess, declare, ok, to_stage


def told(db: Database, needle: str) -> list[str]:
    """Who was told ``needle`` directly, by user name, in the order queued."""
    with db.read() as s:
        names = dict(s.execute(select(Person.id, Person.name)).tuples().all())
        rows = s.scalars(
            select(OutboxMessage).where(OutboxMessage.op == "tell").order_by(OutboxMessage.id)
        ).all()
    return [names[r.payload["person"]] for r in rows if needle in r.payload["text"]]


def test_a_case_conferences_invitees_are_told_when_it_is_called_and_reminded_before(
    bot: Driver, db: Database, clock: ManualClock, engine: Engine
) -> None:
    ref = to_stage(bot, "cam_ep")
    assess(bot, ref, level="critical")
    tomorrow = (clock.now() + timedelta(days=1)).astimezone(LONDON)
    called = ok(
        bot.submit(
            "hana",
            {
                "form": "conference",
                "reference": ref,
                "date": f"{tomorrow:%Y-%m-%d}",
                "time": "10:00",
                "consulted_scs": "sara",
                "attendees": "@ian; Fatima Khan, an LA officer",
                "agenda_background": "Leaks reported by a business",
            },
        )
    )
    cc = called.text.split()[2]
    # Called: each invitee but the one who called it, once.
    assert sorted(told(db, f"Case conference {cc}")) == ["fatima", "ian", "sara"]
    meets = tomorrow.replace(hour=10, minute=0, second=0, microsecond=0)
    clock.advance(meets - timedelta(minutes=31) - clock.now())
    tick(db, clock, engine.options)
    assert told(db, f"Reminder: case conference {cc}") == []
    clock.advance(timedelta(minutes=1))  # 30 minutes before it meets
    result = tick(db, clock, engine.options)
    assert f"{cc} reminder on_time" in result.handled
    reminded = told(db, f"Reminder: case conference {cc}")
    assert sorted(reminded) == ["fatima", "hana", "ian", "sara"]
    tick(db, clock, engine.options)
    assert sorted(told(db, f"Reminder: case conference {cc}")) == sorted(reminded)  # once
    with db.read() as s:
        imt = s.scalars(
            select(OutboxMessage.payload).where(
                OutboxMessage.conversation == "imt", OutboxMessage.op == "post"
            )
        ).all()
    assert any(f"Reminder: case conference {cc}" in p["text"] for p in imt)


def test_a_cancelled_conference_reminds_no_one(
    bot: Driver, db: Database, clock: ManualClock, engine: Engine
) -> None:
    ref = to_stage(bot, "cam_ep")
    assess(bot, ref, level="critical")
    tomorrow = (clock.now() + timedelta(days=1)).astimezone(LONDON)
    called = ok(
        bot.submit(
            "hana",
            {
                "form": "conference",
                "reference": ref,
                "date": f"{tomorrow:%Y-%m-%d}",
                "time": "10:00",
                "consulted_scs": "sara",
                "agenda_background": "Leaks",
            },
        )
    )
    cc = called.text.split()[2]
    ok(bot.cmd("hana", f"cancel {cc} --reason 'Resolved by the business'"))
    clock.advance(timedelta(days=1))
    tick(db, clock, engine.options)
    assert told(db, f"Reminder: case conference {cc}") == []


def test_the_sitrep_chase_and_a_meetings_attendees_reach_people_directly(
    bot: Driver, db: Database, clock: ManualClock, engine: Engine
) -> None:
    declare(bot)
    ok(bot.cmd("ian", f'sitrep {INC} set --teams "Gas and Electrical, Toys and Childcare"'))
    # Tom leads a team added to the sitreps: he is in the incident now, and told so.
    assert "tom" in told(db, f"You are now in incident {INC}")
    with db.unit_of_work() as s:  # the next meeting, whose attendees name olly (and a word)
        event = s.scalars(
            select(RhythmEvent).where(RhythmEvent.active).order_by(RhythmEvent.next_run_at)
        ).first()
        assert event is not None and event.next_run_at is not None
        event.attendees = "Olly Reed, the lab"
        name, due = event.name, event.next_run_at.replace(tzinfo=clock.now().tzinfo)
    clock.advance(due + timedelta(minutes=1) - clock.now())
    tick(db, clock, engine.options)
    assert "olly" in told(db, f"Reminder: {name}")
    assert told(db, "the lab") == []

    ok(
        bot.submit(
            "fatima",
            {
                "form": "sitrep_update",
                "reference": INC,
                "team": "Gas and Electrical",
                "situation": "Recall 60% complete",
            },
        )
    )
    chase = clock.now().astimezone(LONDON).replace(hour=15, minute=31)
    clock.advance(chase - clock.now())  # past the chase (30 min before 16:00), not the cut-off
    tick(db, clock, engine.options)
    # Only the team still missing is chased in person: its FTL, Tom.
    assert told(db, "is still awaited") == ["tom"]
