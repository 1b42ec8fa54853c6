"""Driving the scheduler's tick with APScheduler.

The jobs are derived from the database, not kept in an APScheduler job store: schedules are
rows (``rhythm_events``, ``sitrep_schedules``) with the next time they are due, and one
interval job runs the tick, which claims the due rows. Why: a job store shared by several
processes fires each job once per process, and jobs held only in memory are lost on restart.
Here a restart simply ticks at start (catching up: late or missed, see commands/scheduler.py)
and two processes cannot both handle a row.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Callable
from datetime import UTC, datetime, timedelta

from apscheduler.schedulers.asyncio import AsyncIOScheduler

from bot.logs import new_request_id, request_id
from commands.core.clock import Clock
from commands.core.context import Options
from commands.core.due import seconds_to_next_due, tick
from commands.schedule import TickResult
from storage.unit_of_work import Database

log = logging.getLogger(__name__)
JOB = "opss-tick"


class Scheduler:
    def __init__(
        self,
        db: Database,
        clock: Clock,
        options: Options,
        interval: float,
        after_tick: Callable[[], None],
    ) -> None:
        self.db = db
        self.clock = clock
        self.options = options
        self.interval = interval
        self.after_tick = after_tick
        self._aps: AsyncIOScheduler | None = None
        self._current: asyncio.Task[object] | None = None

    def start(self) -> None:
        self._aps = AsyncIOScheduler(timezone=UTC)
        # max_instances=1 and coalesce: a slow tick is never run twice at once or queued up.
        self._aps.add_job(
            self.run_once,
            "interval",
            seconds=self.interval,
            id=JOB,
            max_instances=1,
            coalesce=True,
            next_run_time=datetime.now(UTC),
        )
        self._aps.start()

    def stop(self) -> None:
        if self._aps is not None:
            self._aps.shutdown(wait=False)
            self._aps = None

    @property
    def ticking(self) -> bool:
        """A tick is running now."""
        return self._current is not None and not self._current.done()

    async def stop_after_tick(self, seconds: float) -> None:
        """No new tick; the one running (if any) finishes, within ``seconds``."""
        if self._aps is None:
            return
        self._aps.pause()
        current = self._current
        if current is not None and not current.done() and current is not asyncio.current_task():
            _, pending = await asyncio.wait({current}, timeout=seconds)
            if pending:
                log.warning("shutdown: the scheduler tick did not finish in time")
        self.stop()

    def kick(self) -> None:
        """Tick now (the workspace's clock moved); safe from any thread."""
        if self._aps is not None:
            self._aps.modify_job(JOB, next_run_time=datetime.now(UTC))

    async def run_once(self) -> TickResult:
        self._current = asyncio.current_task()
        request_id.set(new_request_id("tick-"))  # the posts a tick queues carry its id
        try:
            result = await asyncio.to_thread(tick, self.db, self.clock, self.options)
        except asyncio.CancelledError:
            return TickResult()  # the bot is stopping; the tick's transaction rolls back
        except Exception:
            log.exception("scheduler tick failed; it runs again at the next interval")
            return TickResult()
        if result.handled:
            log.info("tick: %s", "; ".join(result.handled[:20]))
            self.after_tick()
        await self._wake_at_next_due()
        return result

    async def _wake_at_next_due(self) -> None:
        """Sleep until the next schedule row is due, or the interval, whichever is sooner."""
        try:
            seconds = await asyncio.to_thread(seconds_to_next_due, self.db, self.clock)
        except asyncio.CancelledError:
            return  # stopping
        except Exception:
            log.exception("could not read the next due time")
            return
        if seconds is None or seconds >= self.interval or self._aps is None:
            return
        wake = datetime.now(UTC) + timedelta(seconds=max(seconds, 0.0) + 0.01)
        with contextlib.suppress(Exception):  # the scheduler may be shutting down
            self._aps.modify_job(JOB, next_run_time=wake)
