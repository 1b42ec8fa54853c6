"""What people do every day costs the same after a year of history as on the first day.

Each read command, a decision (which edits the pinned decision log and the incident card) and
the scheduler's tick run at two sizes of history, 20 and 400 issues, decisions and actions;
an SQLAlchemy listener counts the SQL statements each one sends, and the counts must be equal.
The tick's due rows grow with the history too (4 meetings and 2 sitrep cut-offs due, then 80
and 40), so a batch of due rows must also cost a constant number of statements.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import event, func, select, update

from bench.fill import Size, fill
from commands.core.clock import ManualClock
from commands.core.context import Options
from commands.core.due import seconds_to_next_due, tick
from commands.core.engine import Engine
from storage import seed
from storage.models import Firing, OutboxMessage, RhythmEvent, Sitrep, SitrepSchedule
from storage.unit_of_work import Database
from tests.conftest import AREAS, PEOPLE, Driver, _fresh_pg_url, make_db

SMALL = Size(issues=20, incidents=2, decisions=20, actions=20)
LARGE = Size(issues=400, incidents=40, decisions=400, actions=400)
MONDAY = datetime(2026, 11, 23, 9, 30, tzinfo=UTC)


class Counter:
    def __init__(self) -> None:
        self.statements: list[str] = []

    def __call__(self, conn: Any, cursor: Any, statement: str, *args: Any) -> None:
        self.statements.append(statement)


@contextmanager
def counting(db: Database) -> Iterator[Counter]:
    counter = Counter()
    event.listen(db.engine, "before_cursor_execute", counter)
    try:
        yield counter
    finally:
        event.remove(db.engine, "before_cursor_execute", counter)


def world(url: str, size: Size) -> tuple[Database, Engine, ManualClock]:
    db = make_db(url)
    clock = ManualClock(MONDAY)
    seed.apply(db, PEOPLE, clock.now())
    fill(db, size, clock.now(), AREAS)
    return db, Engine(db, clock, Options(functional_areas=AREAS)), clock


READS: dict[str, Callable[[Driver], Any]] = {
    "home (Head of IMT)": lambda bot: bot.engine.home("local", "hana", "hana"),
    "home (FTL)": lambda bot: bot.engine.home("local", "fatima", "fatima"),
    "home (no roles)": lambda bot: bot.engine.home("local", "olly", "olly"),
    "list": lambda bot: bot.cmd("olly", "list"),
    "list --mine": lambda bot: bot.cmd("fatima", "list --mine"),
    "list --incidents": lambda bot: bot.cmd("fatima", "list --incidents"),
    "list --closed": lambda bot: bot.cmd("olly", "list --closed"),
    "list --stage cam --area": lambda bot: bot.cmd(
        "olly", 'list --stage cam --area "Gas and Electrical"'
    ),
    "list --actions": lambda bot: bot.cmd("ian", "list --actions"),
    "list --actions of an incident": lambda bot: bot.cmd("hana", "list --actions INC-2026-001"),
    "list --page 2": lambda bot: bot.cmd("olly", "list --page 2"),
    "status of an issue": lambda bot: bot.cmd("olly", "status ISS-2026-0006"),
    "status of an incident": lambda bot: bot.cmd("fatima", "status INC-2026-001"),
    "decide (decision log card)": lambda bot: bot.cmd(
        "hana", "decide INC-2026-001 --what Recall --rationale Evidence --group tcg"
    ),
    "sitrep list": lambda bot: bot.cmd("fatima", "sitrep INC-2026-001 list"),
}


def _counts(url: str, size: Size) -> dict[str, int]:
    db, engine, clock = world(url, size)
    bot = Driver(engine)
    out: dict[str, int] = {}
    try:
        for name, run in READS.items():
            run(bot)  # once to warm SQLAlchemy's caches, then counted
            with counting(db) as counter:
                reply = run(bot)
            assert getattr(reply, "ok", True), f"{name}: {reply.text}"
            out[name] = len(counter.statements)
        options = engine.options
        with counting(db) as counter:
            tick(db, clock, options)
        out["tick, nothing due"] = len(counter.statements)
        with counting(db) as counter:
            seconds_to_next_due(db, clock)
        out["next due time"] = len(counter.statements)
        # Every meeting and sitrep schedule falls due: reminders on time and missed, and the
        # cut-offs of the day before (collated, late).
        clock.advance(timedelta(minutes=31))  # 10:01, a minute after the TCG reminder
        with db.unit_of_work() as s:
            for model in (RhythmEvent, SitrepSchedule):
                s.execute(update(model).values(next_run_at=clock.now() - timedelta(minutes=1)))
        with counting(db) as counter:
            result = tick(db, clock, options)
        out["tick, a batch due"] = len(counter.statements)
        assert result.posted == size.incidents  # each incident's TCG reminder
        assert result.collated == size.incidents
        with db.read() as s:
            assert s.scalar(select(Firing.id).limit(1)) is not None
            reports = s.scalars(select(Sitrep)).all()
            assert len(reports) == size.incidents and all(r.missing for r in reports)
            posted = s.scalars(
                select(OutboxMessage.payload).where(OutboxMessage.op == "post")
            ).all()
            assert sum("Reminder: TCG" in p["text"] for p in posted) == size.incidents
    finally:
        db.engine.dispose()
    return out


@pytest.fixture(params=["sqlite", "postgres"])
def two_urls(
    request: pytest.FixtureRequest, tmp_path: Path, pg_problem: str | None
) -> Iterator[tuple[str, str]]:
    """Two fresh databases of one kind, for the two sizes."""
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'small.sqlite3'}", f"sqlite:///{tmp_path / 'large.sqlite3'}"
        return
    small = _fresh_pg_url(pg_problem)
    large = _fresh_pg_url(pg_problem)
    yield next(small), next(large)
    for generator in (small, large):
        generator.close()  # drops the database


def test_every_read_and_the_tick_cost_the_same_at_20_and_400(two_urls: tuple[str, str]) -> None:
    small = _counts(two_urls[0], SMALL)
    large = _counts(two_urls[1], LARGE)
    grew = {k: (small[k], large[k]) for k in small if small[k] != large[k]}
    assert not grew, f"statements grew with the history (20 -> 400): {grew}"


def test_a_catch_up_after_ten_days_down_claims_every_missed_hour(database_url: str) -> None:
    """80 hourly meetings, ten days without a tick: 19,200 firings to record in one batch,
    more parameters than one statement may carry (PostgreSQL takes 65,535); each is recorded
    once."""
    db, engine, clock = world(database_url, LARGE)
    try:
        down = clock.now() - timedelta(days=10)
        with db.unit_of_work() as s:
            s.execute(update(SitrepSchedule).values(active=False, next_run_at=None))
            s.execute(
                update(RhythmEvent).values(
                    every_hours=1,
                    anchor_at=down,
                    days=None,
                    at_local=None,
                    holidays="ignore",
                    reminder_minutes=0,
                    last_run_at=down,
                    next_run_at=down,
                )
            )
        result = tick(db, clock, engine.options)
        with db.read() as s:
            recorded = s.scalar(select(func.count(Firing.id)))
        assert recorded == 80 * 240 == result.missed + result.posted
        assert result.posted == 80  # the hour due now, on time; the rest missed
        assert tick(db, clock, engine.options).handled == []  # nothing is claimed twice
    finally:
        db.engine.dispose()
