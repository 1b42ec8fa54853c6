"""Cost against history: what people do every day, at 1x and 10x a year of data.

1x is 500 issues, 50 incidents, 5,000 decisions and 2,000 actions (``bench/fill.py`` writes
them in bulk); 10x is ten times each. For each command the benchmark prints the median and
p99 time and the SQL statements it sent, at each size, and the ratio 10x / 1x of the
medians. Commands: ``/opss list``; ``status`` of an issue and of an incident; App Home (the
Head of IMT's, who has the most waiting on her); the pinned decision log card of an incident
(its last 15 of 100 or 1,000 decisions); and a sitrep collation (a tick that finds one
incident's cut-off due and collates it, its prompt and chase recorded as missed).

    .venv/bin/python -m bench.scale [--postgres postgresql://user@host/db] [--runs 100]

Without ``--postgres`` it runs on SQLite files in a temporary directory; with it, on two
temporary databases created on that server (and dropped afterwards).

Targets (issue 14): equal statement counts, time ratio at most 1.5, every command at 10x
under 100 ms p99 on SQLite.
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import create_engine, event, select, text, update

from bench.fill import Size, fill
from commands.core.clock import ManualClock
from commands.core.context import Options, Request
from commands.core.due import tick
from commands.core.engine import Engine
from commands.decision.log import decision_log_card
from storage import seed
from storage.db import make_engine
from storage.migrate import upgrade
from storage.models import Incident, RhythmEvent, SitrepSchedule
from storage.unit_of_work import Database

ROOT = Path(__file__).resolve().parents[1]
ONE = Size(issues=500, incidents=50, decisions=5_000, actions=2_000)
AREAS = ("Gas and Electrical", "Toys and Childcare", "Product Safety")
NOW = datetime(2026, 11, 23, 9, 30, tzinfo=UTC)  # a Monday
ISSUE = "ISS-2026-0003"  # at CAM, with an assessment
INCIDENT = "INC-2026-001"


@contextmanager
def databases(postgres: str | None) -> Iterator[tuple[str, str]]:
    if postgres is None:
        with tempfile.TemporaryDirectory() as tmp:
            yield f"sqlite:///{tmp}/one.sqlite3", f"sqlite:///{tmp}/ten.sqlite3"
        return
    admin = create_engine(make_engine(postgres).url, isolation_level="AUTOCOMMIT")
    names = [f"opss_scale_{uuid.uuid4().hex[:8]}" for _ in range(2)]
    with admin.connect() as conn:
        for name in names:
            conn.execute(text(f'CREATE DATABASE "{name}"'))
    try:
        urls = [admin.url.set(database=n).render_as_string(hide_password=False) for n in names]
        yield urls[0], urls[1]
    finally:
        with admin.connect() as conn:
            for name in names:
                conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


def prepare(url: str, size: Size) -> tuple[Database, Engine, ManualClock]:
    engine = make_engine(url)
    upgrade(engine)
    db = Database(engine)
    clock = ManualClock(NOW)
    seed.apply(db, seed.load(ROOT / "bot" / "workspace" / "people.toml"), NOW)
    fill(db, size, NOW, AREAS)
    with db.unit_of_work() as s:
        # Only the first incident's sitrep falls due while the clock moves a day per run.
        far = NOW + timedelta(days=3650)
        first = s.scalar(select(Incident.id).where(Incident.reference == INCIDENT))
        s.execute(update(RhythmEvent).values(next_run_at=far))
        s.execute(update(SitrepSchedule).values(next_run_at=far))
        s.execute(
            update(SitrepSchedule)
            .where(SitrepSchedule.incident_id == first)
            .values(next_run_at=NOW, last_run_at=NOW)
        )
    return db, Engine(db, clock, Options(functional_areas=AREAS)), clock


def commands(db: Database, engine: Engine, clock: ManualClock) -> dict[str, Callable[[], Any]]:
    def cmd(user: str, line: str) -> Callable[[], Any]:
        def run() -> Any:
            reply = engine.handle(Request("local", user, "general", line, user))
            assert reply.ok, reply.text
            return reply

        return run

    def log_card() -> Any:
        with db.read() as s:
            incident = s.scalar(select(Incident).where(Incident.reference == INCIDENT))
            assert incident is not None
            return decision_log_card(s, incident)

    def collation() -> Any:
        clock.advance(timedelta(days=1))
        result = tick(db, clock, engine.options)
        assert result.collated == 1, result
        return result

    return {
        "list": cmd("olly", "list"),
        "status of an issue": cmd("olly", f"status {ISSUE}"),
        "status of an incident": cmd("fatima", f"status {INCIDENT}"),  # FTL of its area
        "App Home": lambda: engine.home("local", "hana", "hana"),
        "decision log card": log_card,
        "sitrep collation": collation,
    }


class Sampler:
    """Times and statement counts of one command on one database, gathered over rounds."""

    def __init__(self, db: Database, run: Callable[[], Any]) -> None:
        self.db, self.run = db, run
        self.times: list[float] = []
        self.counts: set[int] = set()
        self._current = 0
        for _ in range(3):
            run()  # warm caches

    def _count(self, *_: Any) -> None:
        self._current += 1

    def sample(self, runs: int) -> None:
        event.listen(self.db.engine, "before_cursor_execute", self._count)
        try:
            for _ in range(runs):
                self._current = 0
                began = time.perf_counter()
                self.run()
                self.times.append((time.perf_counter() - began) * 1000)
                self.counts.add(self._current)
        finally:
            event.remove(self.db.engine, "before_cursor_execute", self._count)

    def figures(self) -> tuple[float, float, int]:
        """Median and p99 in milliseconds, and statements per run (the same every run)."""
        assert len(self.counts) == 1, f"statements varied between runs: {sorted(self.counts)}"
        times = sorted(self.times)
        p99 = times[min(len(times) - 1, int(len(times) * 0.99))]
        return statistics.median(times), p99, next(iter(self.counts))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--postgres", help="a PostgreSQL server URL (default: SQLite)")
    parser.add_argument("--runs", type=int, default=100)
    args = parser.parse_args()
    worlds = []
    with databases(args.postgres) as urls:
        for factor, url in zip((1, 10), urls, strict=True):
            began = time.perf_counter()
            size = ONE.times(factor)
            worlds.append(prepare(url, size))
            print(
                f"{factor}x: {size.issues} issues, {size.incidents} incidents, "
                f"{size.decisions} decisions, {size.actions} actions; set up in "
                f"{time.perf_counter() - began:.1f} s"
            )
        samplers = [{k: Sampler(w[0], run) for k, run in commands(*w).items()} for w in worlds]
        # The two sizes take turns, a tenth of the runs at a time, so both see the same load
        # from whatever else the machine is doing.
        for _ in range(10):
            for name in samplers[0]:
                for sizes in samplers:
                    sizes[name].sample(max(args.runs // 10, 1))
        results = {name: [s[name].figures() for s in samplers] for name in samplers[0]}
        for db, _, _ in worlds:
            db.engine.dispose()
    kind = "PostgreSQL" if args.postgres else "SQLite"
    print(f"\n{kind}, {args.runs} runs each; times in ms")
    print(
        f"{'command':24} {'1x p50':>7} {'p99':>6} {'stmts':>5}   {'10x p50':>7} {'p99':>6} "
        f"{'stmts':>5}   {'ratio':>5}"
    )
    worst_ratio, worst_p99, equal = 0.0, 0.0, True
    for name, ((p50a, p99a, na), (p50b, p99b, nb)) in results.items():
        ratio = p50b / p50a
        worst_ratio, worst_p99 = max(worst_ratio, ratio), max(worst_p99, p99b)
        equal = equal and na == nb
        print(
            f"{name:24} {p50a:7.2f} {p99a:6.2f} {na:5d}   {p50b:7.2f} {p99b:6.2f} {nb:5d}   "
            f"{ratio:5.2f}"
        )
    print(
        f"\nstatement counts equal: {'yes' if equal else 'NO'}; worst time ratio {worst_ratio:.2f} "
        f"(target <= 1.5: {'met' if worst_ratio <= 1.5 else 'NOT met'}); worst p99 at 10x "
        f"{worst_p99:.1f} ms"
        + (
            f" (target < 100 ms: {'met' if worst_p99 < 100 else 'NOT met'})"
            if not args.postgres
            else ""
        )
    )


if __name__ == "__main__":
    main()
