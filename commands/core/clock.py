"""Time is an input: the engine asks a clock, never the system directly."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Protocol

from storage.models import ClockState
from storage.unit_of_work import Database


class Clock(Protocol):
    def now(self) -> datetime: ...


class SystemClock:
    def now(self) -> datetime:
        return datetime.now(UTC)


class ManualClock:
    """A clock that moves only when told: tests, and the local workspace's fast-forward."""

    def __init__(self, start: datetime) -> None:
        if start.tzinfo is None:
            raise ValueError("ManualClock needs an aware datetime")
        self._now = start.astimezone(UTC)
        self._lock = threading.Lock()

    def now(self) -> datetime:
        with self._lock:
            return self._now

    def advance(self, delta: timedelta) -> datetime:
        with self._lock:
            self._now += delta
            return self._now


class OffsetClock:
    """System time plus an offset that can be moved forward (local workspace fast-forward)."""

    def __init__(self) -> None:
        self.offset = timedelta(0)

    def now(self) -> datetime:
        return datetime.now(UTC) + self.offset

    def advance(self, delta: timedelta) -> datetime:
        self.offset += delta
        return self.now()


class FileClock:
    """The time written in a file (ISO 8601): lets a test move a bot process's clock."""

    def __init__(self, path: str) -> None:
        self.path = path

    def now(self) -> datetime:
        with open(self.path, encoding="utf-8") as handle:
            return datetime.fromisoformat(handle.read().strip()).astimezone(UTC)


class SharedClock:
    """Real time (or a base clock) plus the demo offset stored in the database.

    Every process reads the same offset, a restart keeps it, and it only grows: a clock
    moved forward for a demo never sends stored events back in time. The offset is read
    again at most every ``ttl`` seconds, and at once after ``refresh``.
    """

    def __init__(
        self,
        db: Database,
        base: Clock | None = None,
        ttl: float = 1.0,
        monotonic: Callable[[], float] = time.monotonic,
    ) -> None:
        self.db = db
        self.base = base or SystemClock()
        self.ttl = ttl
        self.monotonic = monotonic
        self._offset = timedelta(0)
        self._read_at: float | None = None
        self._last = datetime.min.replace(tzinfo=UTC)
        self._lock = threading.Lock()
        self.listeners: list[Callable[[], None]] = []

    def now(self) -> datetime:
        with self._lock:
            if self._read_at is None or self.monotonic() - self._read_at >= self.ttl:
                self._offset = timedelta(seconds=stored_offset(self.db))
                self._read_at = self.monotonic()
            # Never backwards within a process either (a system clock stepped back).
            self._last = max(self._last, self.base.now() + self._offset)
            return self._last

    @property
    def offset(self) -> timedelta:
        self.now()
        return self._offset

    def refresh(self) -> None:
        """Re-read the offset now (after this process moved it), and tell the listeners."""
        with self._lock:
            before = self._offset
            self._read_at = None
        self.now()
        if self._offset != before:
            for listener in self.listeners:
                listener()


def stored_offset(db: Database) -> int:
    with db.read() as session:
        state = session.get(ClockState, 1)
        return state.offset_seconds if state is not None else 0
