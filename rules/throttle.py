"""How long a sign-in waits after failures: a few tries free, then a delay that doubles.

The same rule counts failures for a name and for a client (an address); a sign-in waits for
the later of the two. Failures are forgotten after an hour with none. At the longest delay a
name or a client gets about 96 guesses a day, where nothing limited them before.
"""

from __future__ import annotations

from datetime import datetime, timedelta

FREE_FAILURES = 3
FIRST_DELAY = timedelta(seconds=1)
LONGEST_DELAY = timedelta(minutes=15)
FORGET_AFTER = timedelta(hours=1)


def delay_after(failures: int) -> timedelta:
    """The wait before the next try after ``failures`` failures in a row."""
    if failures < FREE_FAILURES:
        return timedelta(0)
    doublings = min(failures - FREE_FAILURES, 20)  # 2**20 s is far past the longest delay
    return min(FIRST_DELAY * (1 << doublings), LONGEST_DELAY)


def forgotten(last_failure_at: datetime, now: datetime) -> bool:
    return now - last_failure_at >= FORGET_AFTER


def wait_words(until: datetime, now: datetime) -> str:
    """'try again in 8 seconds (after 09:42:13 UTC)': for the person who is waiting."""
    seconds = max(1, int((until - now).total_seconds() + 0.999))
    span = (
        f"{seconds} second{'s' if seconds != 1 else ''}"
        if seconds < 120
        else f"{(seconds + 59) // 60} minutes"
    )
    return f"try again in {span} (after {until.strftime('%H:%M:%S')} UTC)"
