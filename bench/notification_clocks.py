"""Notification clocks under load, beside the scheduler's battle-rhythm reminders.

Each round prepares a fresh database with N notifications whose reminders are due at the same
instant, and another with N meeting reminders due (``bench.rhythm``'s incidents), then times
one pass of each source: the notification clocks (``commands/notification/clocks.py``, set-based)
and the rhythm reminders (the scheduler's first source, the reference); both through the
scheduler's tick. It prints, per
source, the median over the rounds of the pass's wall time and the SQL statements it ran.

    .venv/bin/python -m bench.notification_clocks [--count 500] [--rounds 5] [--database-url URL]
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import time
from collections.abc import Callable
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import event, insert, select, text

from bench.fill import issue_row
from bench.rhythm import arm
from bench.rhythm import prepare as prepare_rhythm


def _fresh(url: str | None, folder: Path, name: str) -> str:
    if url is None:
        return f"sqlite:///{folder / name}.sqlite3"
    from sqlalchemy import create_engine

    admin = create_engine(url, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    fresh = admin.url.set(database=name).render_as_string(hide_password=False)
    admin.dispose()
    return fresh


def _drop(url: str | None, name: str) -> None:
    if url is None:
        return
    from sqlalchemy import create_engine

    admin = create_engine(url, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    admin.dispose()


def prepare_notifications(url: str, count: int, due_at: datetime) -> None:
    from storage.db import make_engine
    from storage.migrate import upgrade
    from storage.models import Issue, Notification, Person

    engine = make_engine(url)
    upgrade(engine)
    from storage.unit_of_work import Database

    db = Database(engine)
    now = due_at - timedelta(days=1)
    with db.unit_of_work() as s:
        s.execute(insert(Person), [{"name": "owner", "display_name": "Owner", "created_at": now}])
        person = s.scalar(select(Person.id))
        s.execute(insert(Issue), [issue_row(n, person, now, "cam", 3) for n in range(count)])
        issues = list(s.scalars(select(Issue.id).order_by(Issue.id)))
        s.execute(
            insert(Notification),
            [
                {
                    "reference": f"NOT-2026-{n:05d}",
                    "kind": "reg33_4",
                    "annex": "II",
                    "product_type": "consumer",
                    "issue_id": issues[n],
                    "answers_text": "",
                    "trigger_date": date(2026, 11, 23),
                    "due_date": date(2026, 12, 3),
                    "clock_days": 10,
                    "clock_source": "GPSR 2005 guidance",
                    "remind_at": due_at,
                    "overdue_at": due_at + timedelta(days=3),
                    "owner_id": person,
                    "recorded_by_id": person,
                    "recorded_at": now,
                    "surface": "local",
                    "conversation": "channel:1",
                    "status": "open",
                    "values": {},
                    "next_run_at": due_at,
                }
                for n in range(count)
            ],
        )
    engine.dispose()


def timed(url: str, at: datetime, run: Callable[..., Any]) -> tuple[float, int, int]:
    from commands.core.clock import ManualClock
    from commands.core.context import Options
    from storage.db import make_engine
    from storage.unit_of_work import Database

    engine = make_engine(url)
    db = Database(engine)
    statements: list[str] = []
    event.listen(engine, "before_cursor_execute", lambda *a: statements.append(a[2]))
    began = time.perf_counter()
    result = run(db, ManualClock(at), Options(functional_areas=("Product Safety",)))
    seconds = time.perf_counter() - began
    engine.dispose()
    return seconds, len(statements), result.posted


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--count", type=int, default=500)
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--database-url", help="PostgreSQL admin URL (default: SQLite files)")
    args = parser.parse_args()

    from commands.core.due import tick

    due_at = datetime.now(UTC).replace(microsecond=0) + timedelta(minutes=5)
    at = due_at + timedelta(seconds=1)
    results: dict[str, list[tuple[float, int, int]]] = {"notifications": [], "rhythm": []}
    with tempfile.TemporaryDirectory() as folder:
        for n in range(args.rounds):
            url = _fresh(args.database_url, Path(folder), f"bench_not_{n}")
            prepare_notifications(url, args.count, due_at)
            results["notifications"].append(timed(url, at, tick))
            _drop(args.database_url, f"bench_not_{n}")
            url = _fresh(args.database_url, Path(folder), f"bench_rhy_{n}")
            prepare_rhythm(url, args.count, 0, due_at + timedelta(days=2))
            armed = arm(url, args.count)  # the bench's own way to make N reminders due
            results["rhythm"].append(timed(url, armed + timedelta(seconds=1), tick))
            _drop(args.database_url, f"bench_rhy_{n}")
    print(f"{args.count} reminders due at once, median of {args.rounds} rounds:")
    for name, rows in results.items():
        seconds = statistics.median(r[0] for r in rows)
        statements = statistics.median(r[1] for r in rows)
        posted = statistics.median(r[2] for r in rows)
        print(
            f"  {name:13s} {seconds * 1000:8.1f} ms per pass  {statements:6.0f} statements  "
            f"{posted:5.0f} reminders posted"
        )


if __name__ == "__main__":
    main()
