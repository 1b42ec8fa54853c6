"""The battle rhythm (plan 3.21-3.22): when an incident's meetings fall, in London wall time.

A pattern is either weekly (days and a local time) or every N hours. Wall times survive the
clock changes: a 09:00 meeting is at 09:00 local on both sides, a time in the skipped spring
hour moves to the first valid minute after it, and a time in the repeated autumn hour is taken
once (its first occurrence). Bank holidays are skipped, shifted to the next working day, or
ignored, per event. No I/O: holidays come in as a set of dates.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from enum import StrEnum
from zoneinfo import ZoneInfo

LONDON = ZoneInfo("Europe/London")
DAY_NAMES = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")


class HolidayPolicy(StrEnum):
    SKIP = "skip"  # no meeting that day
    SHIFT = "shift"  # the next working day that has no meeting of this event
    IGNORE = "ignore"  # meet anyway


@dataclass(frozen=True)
class Pattern:
    days: tuple[int, ...] = ()  # 0 = Monday; weekly when given
    at: time | None = None  # local wall time for weekly patterns
    every_hours: int | None = None  # otherwise: every N hours from ``anchor``
    anchor: datetime | None = None
    holidays: HolidayPolicy = HolidayPolicy.SKIP

    def __post_init__(self) -> None:
        weekly = bool(self.days) and self.at is not None
        hourly = self.every_hours is not None and self.anchor is not None
        if weekly == hourly:
            raise ValueError("a pattern is weekly (days and a time) or every N hours")
        if self.every_hours is not None and not 1 <= self.every_hours <= 168:
            raise ValueError("every N hours: N must be between 1 and 168")


def local_instant(day: date, at: time) -> datetime:
    """The instant of a London wall time, DST-safe (see the module's rules)."""
    naive = datetime.combine(day, at)
    first = naive.replace(tzinfo=LONDON, fold=0)
    back = first.astimezone(UTC).astimezone(LONDON).replace(tzinfo=None)
    if back != naive:  # inside the spring-forward gap: the first valid minute after it
        return _after_gap(naive)
    return first.astimezone(UTC)


def _after_gap(naive: datetime) -> datetime:
    probe = naive
    while True:
        probe += timedelta(minutes=1)
        aware = probe.replace(tzinfo=LONDON)
        if aware.astimezone(UTC).astimezone(LONDON).replace(tzinfo=None) == probe:
            return aware.astimezone(UTC)


def occurrences(
    pattern: Pattern, after: datetime, holidays: frozenset[date] = frozenset()
) -> Iterator[datetime]:
    """Start instants (UTC) strictly after ``after``, in order, for ever."""
    if pattern.every_hours is not None:
        assert pattern.anchor is not None
        step = timedelta(hours=pattern.every_hours)
        anchor = pattern.anchor.astimezone(UTC)
        n = max(0, int((after - anchor) // step))
        while True:
            at = anchor + n * step
            n += 1
            if at > after and not _excluded(at, pattern, holidays):
                yield at
        return
    assert pattern.at is not None
    # Start a week back so a holiday shifted past ``after`` is not missed.
    day = after.astimezone(LONDON).date() - timedelta(days=8)
    shifted: set[date] = set()
    while True:
        day += timedelta(days=1)
        meets = day in shifted
        shifted.discard(day)
        if day.weekday() in pattern.days:
            if day not in holidays or pattern.holidays is HolidayPolicy.IGNORE:
                meets = True
            elif pattern.holidays is HolidayPolicy.SHIFT:
                shifted.add(next_working_day(day, holidays))
        if meets:
            at = local_instant(day, pattern.at)
            if at > after:
                yield at


def _excluded(at: datetime, pattern: Pattern, holidays: frozenset[date]) -> bool:
    local_day = at.astimezone(LONDON).date()
    return pattern.holidays is not HolidayPolicy.IGNORE and local_day in holidays


def next_working_day(day: date, holidays: frozenset[date]) -> date:
    candidate = day + timedelta(days=1)
    while candidate.weekday() >= 5 or candidate in holidays:
        candidate += timedelta(days=1)
    return candidate


def parse_days(text: str) -> tuple[int, ...]:
    """``mon,wed,fri``, ``weekdays`` or ``daily``."""
    words = [w.strip().lower()[:3] for w in text.replace(" ", ",").split(",") if w.strip()]
    if words in (["wee"], ["wor"]):
        return (0, 1, 2, 3, 4)
    if words in (["dai"], ["eve"]):
        return tuple(range(7))
    try:
        return tuple(sorted({DAY_NAMES.index(w) for w in words}))
    except ValueError as exc:
        raise ValueError(f"days: use mon,tue,... or weekdays or daily, not '{text}'") from exc
