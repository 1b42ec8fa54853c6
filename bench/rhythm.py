"""The scheduler under load: 10,000 active incidents, each with six weekly meetings and a
daily sitrep; 500 reminders fall due at the same instant.

The parent prepares the database; a worker process (``--worker``) starts the bot's scheduler
and the parent reports what the worker measured: start-up (building the app, migrations
included, and the first catch-up tick), how late each of the 500 reminders was queued (the
commit of the unit of work that queued its post, against its due time; due rows are handled
100 to a unit of work), and the worker's peak memory (max RSS).

It first prints what does not depend on the machine: the SQL statements a tick sends with
nothing due, with one due reminder and with a batch of 100 (each reminder listing its
incident's open actions and recent decisions), on a copy of the same data.

    .venv/bin/python -m bench.rhythm [--database-url URL] [--due 500] [--incidents 10000]

Targets (issues 4 and 14): p99 queueing lateness under 2 s, start-up under 5 s, peak memory
under 300 MB; the statements of a batch do not grow with its size.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import insert, select

from bench.fill import issue_row
from commands.schedule import BATCH

ROOT = Path(__file__).resolve().parents[1]
EVENT_COLUMNS = (
    "incident_id",
    "name",
    "group",
    "days",
    "at_local",
    "duration_minutes",
    "reminder_minutes",
    "location",
    "agenda",
    "attendees",
    "holidays",
    "active",
    "created_at",
    "last_run_at",
    "next_run_at",
)
EVENTS = (
    ("SCG", "scg", [0, 3], "09:00"),
    ("TCG", "tcg", [0, 1, 2, 3, 4], "10:30"),
    ("Bird table", "bird_table", [0, 1, 2, 3, 4], "08:30"),
    ("Evidence group", "evidence_group", [1, 3], "14:00"),
    ("Communications group", "communications_group", [0, 2, 4], "11:30"),
    ("Working group", "other", [2], "15:00"),
)


def prepare(url: str, incidents: int, due_count: int, due_at: datetime) -> None:
    from bot.app import bank_holidays
    from commands.rhythm.battle_rhythm import next_reminder
    from rules.timeparse import LONDON
    from storage.db import make_engine
    from storage.migrate import upgrade
    from storage.models import (
        Action,
        Decision,
        Incident,
        Issue,
        Person,
        RhythmEvent,
        SitrepSchedule,
    )
    from storage.unit_of_work import Database

    engine = make_engine(url)
    upgrade(engine)
    db = Database(engine)
    now = datetime.now(UTC)
    holidays = bank_holidays("england-and-wales", now.year)
    start_local = (due_at + timedelta(minutes=30)).astimezone(LONDON)
    due_time = f"{start_local:%H:%M}"
    with db.unit_of_work() as s:
        s.execute(insert(Person), [{"name": "bench", "display_name": "Bench", "created_at": now}])
        person = s.scalar(select(Person.id))
        s.execute(
            insert(Issue), [issue_row(n, person, now, "declared", 6) for n in range(incidents)]
        )
        issue_ids = list(s.scalars(select(Issue.id).order_by(Issue.id)))
        s.execute(
            insert(Incident),
            [
                {
                    "reference": f"INC-2026-{n:04d}",
                    "issue_id": issue_ids[n],
                    "title": f"Bench {n}",
                    "exercise": True,
                    "level": "tactical",
                    "status": "active",
                    "overall_impact": 3,
                    "erco_engaged": True,
                    "command_team": {},
                    "strategy": {},
                    "declared_by_id": person,
                    "declared_at": now,
                    "surface": "local",
                    "channel_key": f"incident:INC-2026-{n:04d}",
                    "channel_name": f"exercise-inc-2026-{n:04d}",
                }
                for n in range(incidents)
            ],
        )
        incident_ids = list(s.scalars(select(Incident.id).order_by(Incident.id)))
        events = []
        for i, incident_id in enumerate(incident_ids):
            for k, (name, group, days, at) in enumerate(EVENTS):
                due_now = k == 0 and i < due_count  # one meeting each for the first 500
                event = RhythmEvent(
                    incident_id=incident_id,
                    name=name,
                    group=group,
                    days=list(range(7)) if due_now else days,
                    at_local=due_time if due_now else at,
                    duration_minutes=60,
                    reminder_minutes=30,
                    location="",
                    agenda="Agenda",
                    attendees="",
                    holidays="ignore",
                    active=True,
                    created_at=now,
                    last_run_at=due_at - timedelta(seconds=1) if due_now else now,
                )
                event.next_run_at = due_at if due_now else next_reminder(holidays, event, now)
                events.append({c: getattr(event, c) for c in EVENT_COLUMNS})
        s.execute(insert(RhythmEvent), events)  # one executemany, not 60,000 INSERTs
        s.execute(
            insert(Action),
            [
                {
                    "reference": f"ACT-2026-{n:06d}",
                    "incident_id": incident_ids[n % len(incident_ids)],
                    "what": f"Bench action {n}",
                    "owner_id": person,
                    "due_at": now + timedelta(days=2),
                    "standard": "",
                    "assigned_by_id": person,
                    "assigned_at": now,
                    "status": "open",
                }
                for n in range(incidents * 3)
            ],
        )
        s.execute(
            insert(Decision),
            [
                {
                    "reference": f"DEC-2026-{n:06d}",
                    "incident_id": incident_ids[n % len(incident_ids)],
                    "kind": "decision",
                    "what": f"Bench decision {n}",
                    "rationale": "r",
                    "options_considered": "",
                    "decided_by": "Bench",
                    "group": "tcg",
                    "meeting": "",
                    "decided_at": now,
                    "evidence": "",
                    "recorded_by_id": person,
                    "recorded_at": now,
                }
                for n in range(incidents * 5)
            ],
        )
        s.execute(
            insert(SitrepSchedule),
            [
                {
                    "incident_id": incident_id,
                    "cutoff_local": "16:00",
                    "days": list(range(7)),
                    "prompt_minutes": 120,
                    "chase_minutes": 30,
                    "teams": ["Product Safety"],
                    "active": True,
                    "created_at": now,
                    "last_run_at": now,
                    "next_run_at": now + timedelta(days=2),
                }
                for incident_id in incident_ids
            ],
        )
    engine.dispose()


def peak_memory_mb() -> float:
    """This process's peak resident memory. ``ru_maxrss`` would do, but on Linux it survives
    ``execve``: a worker started by a parent that holds the prepared data would report the
    parent's size, so read the high-water mark of this process's own memory instead."""
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    except OSError:
        pass
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def arm(url: str, due_count: int) -> datetime:
    """Make the first meeting of ``due_count`` incidents fall due at the next whole minute at
    least 25 s away (meetings are at whole minutes), leaving the worker time to start."""
    from sqlalchemy import update

    from rules.timeparse import LONDON
    from storage.db import make_engine
    from storage.models import RhythmEvent

    soon = datetime.now(UTC) + timedelta(seconds=25)
    due_at = soon.replace(second=0, microsecond=0) + timedelta(minutes=1)
    start_local = (due_at + timedelta(minutes=30)).astimezone(LONDON)
    engine = make_engine(url)
    with engine.begin() as conn:
        first = select(RhythmEvent.id).where(RhythmEvent.name == EVENTS[0][0])
        ids = list(conn.scalars(first.order_by(RhythmEvent.id).limit(due_count)))
        conn.execute(
            update(RhythmEvent)
            .where(RhythmEvent.id.in_(ids))
            .values(
                days=list(range(7)),
                at_local=f"{start_local:%H:%M}",
                last_run_at=due_at - timedelta(seconds=1),
                next_run_at=due_at,
            )
        )
    engine.dispose()
    return due_at


def worker(url: str, due_at: datetime, due_count: int) -> None:
    """Start the bot's scheduler like the app does; report start-up, lateness, memory and
    the statements of each unit of work that claimed due rows."""
    began = time.perf_counter()
    from sqlalchemy import event

    from bot.app import build
    from bot.config import Settings
    from commands.core.clock import SystemClock
    from commands.core.due import tick
    from storage.models import Firing

    settings = Settings(
        database_url=url, local_workspace=False, tick_seconds=10, outbox_pace_seconds=0
    )
    bot = build(settings, SystemClock())
    batches: list[tuple[int, datetime]] = []  # (statements, commit time) of each claiming UoW

    def on_begin(conn: Any) -> None:
        conn.info["statements"], conn.info["claimed"] = 0, False

    def on_statement(conn: Any, cursor: Any, statement: str, *_: Any) -> None:
        conn.info["statements"] = conn.info.get("statements", 0) + 1
        if statement.startswith("INSERT INTO firings"):
            conn.info["claimed"] = True

    def on_commit(conn: Any) -> None:
        if conn.info.get("claimed"):
            batches.append((conn.info["statements"], datetime.now(UTC)))
            conn.info["claimed"] = False

    event.listen(bot.db.engine, "begin", on_begin)
    event.listen(bot.db.engine, "before_cursor_execute", on_statement)
    event.listen(bot.db.engine, "commit", on_commit)

    async def run() -> float:
        bot.scheduler.start()
        await bot.scheduler.run_once()  # what start-up does: the first catch-up tick
        startup = time.perf_counter() - began
        deadline = time.monotonic() + 180
        while time.monotonic() < deadline:
            with bot.db.read() as s:
                done = len(s.scalars(select(Firing.id).where(Firing.step == "reminder")).all())
            if done >= due_count:
                break
            await asyncio.sleep(0.2)
        bot.scheduler.stop()
        return startup

    startup = asyncio.run(run())
    with bot.db.read() as s:
        claimed = [
            (f.handled_at, f.due_at)
            for f in s.scalars(select(Firing).where(Firing.step == "reminder"))
        ]
    commits = sorted(at for _, at in batches)
    # Queued when the unit of work that claimed it committed: the first commit after the claim.
    late = [
        (next((c for c in commits if c >= handled), commits[-1]) - due).total_seconds()
        for handled, due in claimed
    ]
    counted: list[int] = []
    event.listen(bot.db.engine, "before_cursor_execute", lambda *_: counted.append(1))
    tick(bot.db, bot.clock, bot.scheduler.options)
    peak_mb = peak_memory_mb()
    print(
        json.dumps(
            {
                "startup": startup,
                "late": late,
                "peak_mb": peak_mb,
                "batches": [n for n, _ in batches],
                "idle_tick": len(counted),
            }
        )
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--database-url")
    parser.add_argument("--incidents", type=int, default=10_000)
    parser.add_argument("--due", type=int, default=500)
    parser.add_argument("--worker", action="store_true")
    parser.add_argument("--due-at")
    args = parser.parse_args()
    if args.worker:
        worker(args.database_url, datetime.fromisoformat(args.due_at), args.due)
        return
    with tempfile.TemporaryDirectory() as tmp:
        url = args.database_url or f"sqlite:///{Path(tmp) / 'rhythm.sqlite3'}"
        began = time.perf_counter()
        later = datetime.now(UTC) + timedelta(days=2)
        prepare(url, args.incidents, 0, later)
        due_at = arm(url, args.due)
        print(
            f"prepared {args.incidents} incidents, {args.incidents * 6} meetings, "
            f"{args.incidents} sitrep schedules, {args.incidents * 3} open actions and "
            f"{args.incidents * 5} decisions in {time.perf_counter() - began:.1f} s; "
            f"{args.due} reminders due at {due_at:%H:%M:%S} UTC"
        )
        out = subprocess.run(
            [
                sys.executable,
                "-m",
                "bench.rhythm",
                "--worker",
                "--database-url",
                url,
                "--due",
                str(args.due),
                "--due-at",
                due_at.isoformat(),
            ],
            cwd=ROOT,
            capture_output=True,
            text=True,
            check=True,
            env={**os.environ, "OPSS_LOCAL_WORKSPACE": "false"},
        )
    stats = json.loads(out.stdout.strip().splitlines()[-1])
    late = sorted(stats["late"])
    p50 = statistics.median(late)
    p99 = late[min(len(late) - 1, int(len(late) * 0.99))]
    print(f"reminders queued: {len(late)} of {args.due}")
    print(
        f"SQL statements per unit of work that claimed due rows: {stats['batches']} "
        f"(due rows {BATCH} to a unit of work); a tick with nothing due: {stats['idle_tick']}"
    )
    print(
        f"queueing lateness: p50 {p50:.3f} s, p99 {p99:.3f} s, max {late[-1]:.3f} s "
        f"(target p99 < 2 s: {'met' if p99 < 2 else 'NOT met'})"
    )
    print(
        f"start-up: {stats['startup']:.2f} s (target < 5 s: "
        f"{'met' if stats['startup'] < 5 else 'NOT met'})"
    )
    print(
        f"peak memory: {stats['peak_mb']:.0f} MB (target < 300 MB: "
        f"{'met' if stats['peak_mb'] < 300 else 'NOT met'})"
    )


if __name__ == "__main__":
    main()
