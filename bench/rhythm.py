"""The scheduler under load: 1,000 active incidents, each with six weekly meetings and a
daily sitrep; 500 reminders fall due at the same instant.

The parent prepares the database; a worker process (``--worker``) starts the bot's scheduler
and the parent reports what the worker measured: start-up (building the app, migrations
included, and the first catch-up tick), how late each of the 500 reminders was queued (its
firing's claim time against its due time; queued posts are committed in batches of 100),
and the worker's peak memory (max RSS).

    .venv/bin/python -m bench.rhythm [--database-url URL] [--due 500] [--incidents 1000]

Targets (issue 4): p99 queueing lateness under 2 s, start-up under 5 s, peak memory under
300 MB.
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

from sqlalchemy import insert, select

ROOT = Path(__file__).resolve().parents[1]
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
    from commands.battle_rhythm import next_reminder
    from rules.timeparse import LONDON
    from storage.db import make_engine
    from storage.migrate import upgrade
    from storage.models import (
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
            insert(Issue),
            [
                {
                    "reference": f"ISS-2026-{n:05d}",
                    "title": f"Bench issue {n}",
                    "description": "",
                    "products": "p",
                    "hazard": "h",
                    "source": "public",
                    "functional_area": "Product Safety",
                    "raised_by_id": person,
                    "raised_at": now,
                    "surface": "local",
                    "origin_channel": "channel:1",
                    "stage": "declared",
                    "stage_seq": 6,
                    "stage_entered_at": now,
                }
                for n in range(incidents)
            ],
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
                    agenda="Agenda",
                    holidays="ignore",
                    active=True,
                    created_at=now,
                    last_run_at=due_at - timedelta(seconds=1) if due_now else now,
                )
                event.next_run_at = due_at if due_now else next_reminder(holidays, event, now)
                events.append(event)
        s.add_all(events)
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


def worker(url: str, due_at: datetime, due_count: int) -> None:
    """Start the bot's scheduler like the app does; report start-up, lateness and memory."""
    began = time.perf_counter()
    from bot.app import build
    from bot.config import Settings
    from commands.clock import SystemClock
    from storage.models import Firing

    settings = Settings(
        database_url=url, local_workspace=False, tick_seconds=10, outbox_pace_seconds=0
    )
    bot = build(settings, SystemClock())

    async def run() -> float:
        bot.scheduler.start()
        await bot.scheduler.run_once()  # what start-up does: the first catch-up tick
        startup = time.perf_counter() - began
        deadline = time.monotonic() + 120
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
        late = [
            (f.handled_at - f.due_at).total_seconds()
            for f in s.scalars(select(Firing).where(Firing.step == "reminder"))
        ]
    peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(json.dumps({"startup": startup, "late": late, "peak_mb": peak_mb}))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--database-url")
    parser.add_argument("--incidents", type=int, default=1000)
    parser.add_argument("--due", type=int, default=500)
    parser.add_argument("--worker", action="store_true")
    parser.add_argument("--due-at")
    args = parser.parse_args()
    if args.worker:
        worker(args.database_url, datetime.fromisoformat(args.due_at), args.due)
        return
    with tempfile.TemporaryDirectory() as tmp:
        url = args.database_url or f"sqlite:///{Path(tmp) / 'rhythm.sqlite3'}"
        due_at = (datetime.now(UTC) + timedelta(seconds=75)).replace(second=0, microsecond=0)
        began = time.perf_counter()
        prepare(url, args.incidents, args.due, due_at)
        print(
            f"prepared {args.incidents} incidents, {args.incidents * 6} meetings, "
            f"{args.incidents} sitrep schedules in {time.perf_counter() - began:.1f} s; "
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
