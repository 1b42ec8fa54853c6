"""Action chasing under load: many actions fall overdue at the same instant.

Declares one incident with the real commands, adds ``--actions`` open actions (rows written
directly, all due at the same time), moves the clock past the due time and runs the chasing
due source (``commands/action/chasing.py``): each action is flagged overdue and
escalated, with its posts and audit events queued. Reports the wall time of the pass and the
SQL statements it issued, for a small batch and a large one side by side, over several rounds
(medians), so the per-action cost of a large batch can be read against a small one.

    .venv/bin/python -m bench.actions [--actions 1000] [--small 10] [--rounds 5]
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import time
from datetime import timedelta
from pathlib import Path

from sqlalchemy import event, insert, select


def one_round(count: int) -> tuple[float, int]:
    from commands.core.clock import ManualClock
    from commands.core.due import tick
    from storage.models import Action, Incident, Person
    from tests.conftest import START, Driver, make_db, seeded_engine
    from tests.fakes.steps import declare

    with tempfile.TemporaryDirectory() as folder:
        db = make_db(f"sqlite:///{Path(folder) / 'bench.sqlite3'}")
        clock = ManualClock(START)
        bot = Driver(seeded_engine(db, clock))
        declare(bot)
        due = START + timedelta(hours=1)
        with db.unit_of_work() as s:
            incident = s.scalars(select(Incident)).one()
            owner = s.scalars(select(Person).where(Person.name == "olly")).one()
            s.execute(
                insert(Action),
                [
                    {
                        "reference": f"ACT-2026-{9000 + i}",
                        "issue_id": incident.issue_id,
                        "incident_id": incident.id,
                        "what": f"Task {i}",
                        "owner_id": owner.id,
                        "due_at": due,
                        "standard": "",
                        "assigned_by_id": owner.id,
                        "assigned_at": START,
                        "status": "open",
                        "group": "tcg",
                        "progress_note": "",
                        "chased_until": due - timedelta(minutes=1),
                        "next_run_at": due,
                        "escalated_to": "",
                        "done_note": "",
                    }
                    for i in range(count)
                ],
            )
        clock.advance(timedelta(hours=1))
        statements = 0

        def counted(*_: object) -> None:
            nonlocal statements
            statements += 1

        event.listen(db.engine, "before_cursor_execute", counted)
        started = time.perf_counter()
        result = tick(db, clock, bot.engine.options)
        elapsed = time.perf_counter() - started
        event.remove(db.engine, "before_cursor_execute", counted)
        assert sum("overdue" in h for h in result.handled) == count
        db.engine.dispose()
        return elapsed, statements


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--actions", type=int, default=1000)
    parser.add_argument("--small", type=int, default=10)
    parser.add_argument("--rounds", type=int, default=5)
    args = parser.parse_args()
    runs: dict[int, list[tuple[float, int]]] = {args.small: [], args.actions: []}
    for _ in range(args.rounds):  # alternating, so both sizes see the same machine load
        for count in runs:
            runs[count].append(one_round(count))
    for count, results in runs.items():
        seconds = statistics.median(r[0] for r in results)
        statements = statistics.median(r[1] for r in results)
        print(
            f"{count:>6} actions overdue at once: median {seconds * 1000:8.1f} ms "
            f"({seconds / count * 1000:.2f} ms per action), {statements:.0f} SQL statements"
        )


if __name__ == "__main__":
    main()
