"""Clocks the tests move by hand, so nothing waits on the wall clock."""

from __future__ import annotations

from datetime import timedelta


class RealTime:
    """The worker's real-time clock (``time.monotonic`` in the bot), moved by the test."""

    def __init__(self) -> None:
        self.seconds = 1000.0

    def __call__(self) -> float:
        return self.seconds

    def advance(self, by: timedelta) -> None:
        self.seconds += by.total_seconds()
