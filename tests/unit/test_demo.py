"""``/opss demo``: an EXERCISE incident built through the engine by the demo people."""

from __future__ import annotations

from sqlalchemy import select

from bot.app import DEMO_PEOPLE
from bot.config import DEFAULT_AREAS
from bot.workspace.demo import run_demo
from commands.core.clock import ManualClock
from commands.core.context import Options
from commands.core.engine import Engine
from storage import seed
from storage.models import Incident, IncidentGroup, OutboxMessage, SitrepSchedule, Strategy
from storage.unit_of_work import Database


def test_the_demo_declares_an_exercise_incident(db: Database, clock: ManualClock) -> None:
    seed.apply(db, seed.load(DEMO_PEOPLE), clock.now())
    engine = Engine(db, clock, Options(functional_areas=DEFAULT_AREAS))
    reply = run_demo(engine, "1")
    assert reply.ok, reply.text
    assert reply.text.startswith("Demo ready: EXERCISE incident INC-2026-001 from ISS-2026-0001")
    with db.read() as s:
        incident = s.scalar(select(Incident))
        assert incident is not None and incident.exercise
        schedule = s.scalar(select(SitrepSchedule).where(SitrepSchedule.active))
        assert schedule is not None and len(schedule.teams) == 3
        created = s.scalar(select(OutboxMessage).where(OutboxMessage.op == "create_channel"))
        assert created is not None
        assert set(created.payload["members"]) >= {"hana", "ian", "olly", "david", "fatima"}
        strategy = s.scalar(select(Strategy))
        assert strategy is not None and strategy.fields["equality"].startswith("Older owners")
        tcg = s.scalar(select(IncidentGroup).where(IncidentGroup.kind == "tcg"))
        assert tcg is not None and tcg.members == ["ian", "olly"]


def test_the_demo_says_where_it_stopped(db: Database, clock: ManualClock) -> None:
    engine = Engine(db, clock, Options(functional_areas=DEFAULT_AREAS))  # nobody has roles
    reply = run_demo(engine, "1")
    assert not reply.ok and reply.text.startswith("The demo stopped at '/opss assess")
