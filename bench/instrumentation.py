"""What operating instrumentation costs a command: the engine as the surfaces call it, with and
without what ``bot/app.py`` adds for operators (counters and a latency histogram per surface
and verb, a log line per command, the request id stamped on queued posts, firings watched).

The same ``/opss raise`` commands run through a plain ``Engine`` and through the instrumented
one, each on its own fresh SQLite database, in alternating rounds, in one process; the log
line goes through the bot's real handler and formatter (JSON) to a null stream.

    .venv/bin/python -m bench.instrumentation [--commands 500] [--rounds 5]

Reported: the median CPU time per command of each (this process's CPU time, so other work on
a shared machine does not blur it), over the rounds, and the difference.
"""

from __future__ import annotations

import argparse
import logging
import os
import statistics
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

from bot.logs import JsonFormatter, RedactSecrets, request_id, stamp_request_ids
from bot.metrics import MeasuredEngine, Metrics
from commands.core.clock import ManualClock
from commands.core.context import Options, Request
from commands.core.engine import Engine
from storage import seed
from storage.db import make_engine
from storage.migrate import upgrade
from storage.unit_of_work import Database

START = datetime(2026, 11, 23, 9, 30, tzinfo=UTC)
AREAS = ("Gas and Electrical",)
PEOPLE = [{"name": "olly", "display_name": "Olly Reed", "roles": []}]


def engine_for(directory: Path, name: str, instrumented: bool) -> Engine:
    db = Database(make_engine(f"sqlite:///{directory / name}.sqlite3"))
    upgrade(db.engine)
    clock = ManualClock(START)
    seed.apply(db, PEOPLE, clock.now())
    options = Options(functional_areas=AREAS)
    if not instrumented:
        return Engine(db, clock, options)
    metrics = Metrics(db, clock, None)
    stamp_request_ids(db)
    metrics.watch_firings(db)
    engine = MeasuredEngine(db, clock, options)
    engine.metrics = metrics
    return engine


def run(engine: Engine, start: int, count: int) -> float:
    began = time.process_time()
    for n in range(start, start + count):
        request_id.set(f"bench-{n}")
        reply = engine.handle(
            Request(
                "slack",
                "U0OLLY",
                "C1",
                f"raise Item {n} --products P --hazard Fire --source public "
                '--area "Gas and Electrical"',
                "olly",
                f"key-{n}",
            )
        )
        assert reply.ok, reply.text
    return (time.process_time() - began) / count


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--commands", type=int, default=500)
    parser.add_argument("--rounds", type=int, default=5)
    args = parser.parse_args()
    handler = logging.StreamHandler(open(os.devnull, "w"))  # noqa: SIM115 - formatted, dropped
    handler.setFormatter(JsonFormatter())
    handler.addFilter(RedactSecrets())
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(logging.INFO)
    logging.getLogger("alembic").setLevel(logging.WARNING)

    # In memory-backed files where there are: disk flushes would drown what is measured.
    shm = "/dev/shm" if os.path.isdir("/dev/shm") else None
    with tempfile.TemporaryDirectory(dir=shm) as tmp:
        plain = engine_for(Path(tmp), "plain", instrumented=False)
        measured = engine_for(Path(tmp), "measured", instrumented=True)
        run(plain, 0, 50)  # warm-up, not counted
        run(measured, 0, 50)
        times: dict[str, list[float]] = {"plain": [], "instrumented": []}
        for r in range(args.rounds):
            start = 1000 + r * args.commands
            order = [("plain", plain), ("instrumented", measured)]
            for name, engine in order if r % 2 == 0 else reversed(order):
                times[name].append(run(engine, start, args.commands))
                print(f"round {r + 1} {name:12}: {times[name][-1] * 1e3:7.3f} ms CPU per command")
    plain_ms = statistics.median(times["plain"]) * 1e3
    measured_ms = statistics.median(times["instrumented"]) * 1e3
    print(f"\nmedians over {args.rounds} rounds of {args.commands} raises")
    print(f"plain engine         {plain_ms:7.3f} ms CPU per command")
    print(f"instrumented engine  {measured_ms:7.3f} ms CPU per command")
    print(
        f"difference           {measured_ms - plain_ms:+7.3f} ms "
        f"({(measured_ms / plain_ms - 1) * 100:+.1f}%)"
    )


if __name__ == "__main__":
    main()
