"""Cost against history: what people do every day, at 1x and 10x a year of data.

1x is 500 issues, 50 incidents, 5,000 decisions and 2,000 actions (``bench/fill.py`` writes
them in bulk); 10x is ten times each. For each command the benchmark prints the median and
p99 time and the SQL statements it sent, at each size, and the ratio 10x / 1x of the
medians. Commands: ``/opss list``; ``status`` of an issue and of an incident; App Home (the
Head of IMT's, who has the most waiting on her); the pinned decision log card of an incident
(its last 15 of 100 or 1,000 decisions); a sitrep collation (a tick that finds one
incident's cut-off due and collates it, its prompt and chase recorded as missed); and the
management-information dashboard (what ``/api/mi`` reads and sends) and ``/opss mi``.

Every world also holds the ladder's moves, notifications and sitreps (``ladder_and_clocks``).
A third world, "10x history", is the 10x one with nine in ten of its records made history a
year or more old (``as_history``): ten years of records, one year's work still live. The lists
and cards read a page or a window whatever is live; the dashboard counts what is live, so it is
flat as history grows (10x history) and grows with the live work itself (10x).

    .venv/bin/python -m bench.scale [--postgres postgresql://user@host/db] [--runs 100]

Without ``--postgres`` it runs on SQLite files in a temporary directory; with it, on two
temporary databases created on that server (and dropped afterwards).

Targets: equal statement counts, time ratio at most 1.5, every command at 10x under 100 ms
p99 on SQLite.
"""

from __future__ import annotations

import argparse
import json
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

from bench.fill import Size, as_history, fill, ladder_and_clocks
from commands.core.clock import ManualClock
from commands.core.context import Options, Request
from commands.core.due import tick
from commands.core.engine import Engine
from commands.decision.log import decision_log_card
from commands.mi.figures import Filters, dashboard
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


WORLDS = (("1x", 1, False), ("10x", 10, False), ("10x history", 10, True))


@contextmanager
def databases(postgres: str | None) -> Iterator[list[str]]:
    if postgres is None:
        with tempfile.TemporaryDirectory() as tmp:
            yield [f"sqlite:///{tmp}/world{k}.sqlite3" for k in range(len(WORLDS))]
        return
    admin = create_engine(make_engine(postgres).url, isolation_level="AUTOCOMMIT")
    names = [f"opss_scale_{uuid.uuid4().hex[:8]}" for _ in WORLDS]
    with admin.connect() as conn:
        for name in names:
            conn.execute(text(f'CREATE DATABASE "{name}"'))
    try:
        yield [admin.url.set(database=n).render_as_string(hide_password=False) for n in names]
    finally:
        with admin.connect() as conn:
            for name in names:
                conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


def prepare(url: str, size: Size, history: bool = False) -> tuple[Database, Engine, ManualClock]:
    engine = make_engine(url)
    upgrade(engine)
    db = Database(engine)
    clock = ManualClock(NOW)
    seed.apply(db, seed.load(ROOT / "bot" / "workspace" / "people.toml"), NOW)
    fill(db, size, NOW, AREAS)
    ladder_and_clocks(db, NOW)
    if history:
        as_history(db, NOW)
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

    # The figures are read at NOW, as the records were made: the collation's clock moves a day
    # a run, and would age every action and move every period.
    still = Engine(db, ManualClock(NOW), engine.options)

    def mi_page() -> Any:
        found, reply = still.read("local", "hana", "hana", lambda c: dashboard(c, Filters()))
        assert found is not None, reply.text
        return json.dumps(found.as_json())

    def mi_card() -> Any:
        reply = still.handle(Request("local", "hana", "general", "mi", "hana"))
        assert reply.ok, reply.text
        return reply

    return {
        "list": cmd("olly", "list"),
        "status of an issue": cmd("olly", f"status {ISSUE}"),
        "status of an incident": cmd("fatima", f"status {INCIDENT}"),  # FTL of its area
        "App Home": lambda: engine.home("local", "hana", "hana"),
        "decision log card": log_card,
        "sitrep collation": collation,
        "/mi (dashboard)": mi_page,
        "/opss mi": mi_card,
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
        for (label, factor, history), url in zip(WORLDS, urls, strict=True):
            began = time.perf_counter()
            size = ONE.times(factor)
            worlds.append(prepare(url, size, history))
            print(
                f"{label}: {size.issues} issues, {size.incidents} incidents, "
                f"{size.decisions} decisions, {size.actions} actions"
                + (" (nine in ten history)" if history else "")
                + f"; set up in {time.perf_counter() - began:.1f} s"
            )
        samplers = [{k: Sampler(w[0], run) for k, run in commands(*w).items()} for w in worlds]
        # The worlds take turns, a tenth of the runs at a time, so all see the same load from
        # whatever else the machine is doing.
        for _ in range(10):
            for name in samplers[0]:
                for sizes in samplers:
                    sizes[name].sample(max(args.runs // 10, 1))
        results = {name: [s[name].figures() for s in samplers] for name in samplers[0]}
        for db, _, _ in worlds:
            db.engine.dispose()
    kind = "PostgreSQL" if args.postgres else "SQLite"
    print(f"\n{kind}, {args.runs} runs each; times in ms; ratios of the p50s to 1x")
    print(
        f"{'command':24} {'1x p50':>7} {'p99':>6} {'stmts':>5}   {'10x p50':>7} {'p99':>6} "
        f"{'stmts':>5} {'ratio':>5}   {'hist p50':>8} {'p99':>6} {'stmts':>5} {'ratio':>5}"
    )
    worst_ratio, worst_history, worst_p99, equal = 0.0, 0.0, 0.0, True
    for name, ((p50a, p99a, na), (p50b, p99b, nb), (p50c, p99c, nc)) in results.items():
        ratio, history = p50b / p50a, p50c / p50a
        worst_ratio, worst_history = max(worst_ratio, ratio), max(worst_history, history)
        worst_p99 = max(worst_p99, p99b, p99c)
        equal = equal and na == nb == nc
        print(
            f"{name:24} {p50a:7.2f} {p99a:6.2f} {na:5d}   {p50b:7.2f} {p99b:6.2f} {nb:5d} "
            f"{ratio:5.2f}   {p50c:8.2f} {p99c:6.2f} {nc:5d} {history:5.2f}"
        )
    print(
        f"\nstatement counts equal: {'yes' if equal else 'NO'}; worst time ratio {worst_ratio:.2f} "
        f"at 10x and {worst_history:.2f} at 10x history (target <= 1.5); worst p99 at 10x "
        f"{worst_p99:.1f} ms"
        + (
            f" (target < 100 ms: {'met' if worst_p99 < 100 else 'NOT met'})"
            if not args.postgres
            else ""
        )
    )


if __name__ == "__main__":
    main()
