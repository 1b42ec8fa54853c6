"""Calendar invitations to the meetings of the plan (3.21-3.22, 2.14-2.20), as rules.

An invitation names a meeting series for good (its UID) and says how many times it has
changed (its SEQUENCE): a calendar replaces what it holds only with a higher number. Nothing
about an invitation is stored; both are derived from the versions a meeting's rows already
keep (a battle-rhythm row is never edited, only replaced by a new row at the same instant).

Calendars expand a weekly rule (RFC 5545 ``RRULE``) by London wall time, as the bot's own
schedule does (``rules/rhythm.py``); where the two differ (a bank holiday skipped or moved,
a time in the spring-forward gap) ``exceptions`` lists the dates to leave out and to add.
No I/O.
"""

from __future__ import annotations

from collections.abc import Hashable, Iterator, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta

from rules.rhythm import LONDON, Pattern, occurrences


@dataclass(frozen=True)
class Version:
    """One row of a meeting: from when it held, until when (None: still), and what it says."""

    began: datetime
    ended: datetime | None
    says: Hashable


@dataclass(frozen=True)
class State:
    """What an invitation to a series says now."""

    sequence: int
    cancelled: bool
    current: int  # index of the version it shows (the live one, or the last one cancelled)
    changed_at: datetime


def state(versions: Sequence[Version], *, closed: bool = False) -> State:
    """The series' invitation after every change its versions record: its first publication
    is SEQUENCE 0; each later change of what it says, each cancellation (no version live) and
    each return after a cancellation adds one. ``closed``: the incident is closed, so the
    series is cancelled whatever its rows say."""
    if not versions:
        raise ValueError("a series has at least one version")
    sequence, cancelled, published = 0, False, False
    says: Hashable = None
    current, changed = 0, versions[0].began
    live: set[int] = set()
    for at, step in _steps(versions):
        for kind, index in step:
            (live.add if kind == _START else live.discard)(index)
        if live:
            latest = max(live)
            if not published:
                published, says, current, changed = True, versions[latest].says, latest, at
            elif cancelled or versions[latest].says != says:
                sequence += 1
                cancelled, says, current, changed = False, versions[latest].says, latest, at
            else:
                current = latest
        elif published and not cancelled:
            sequence, cancelled, changed = sequence + 1, True, at
    if closed and not cancelled:
        sequence, cancelled = sequence + 1, True
    return State(sequence, cancelled, current, changed)


_START, _END = 1, 2


def _steps(versions: Sequence[Version]) -> list[tuple[datetime, list[tuple[int, int]]]]:
    """The changes in the order they were made, each one a calendar sees as one: what ended
    and what began in one command (a rhythm replaced). Versions come in the order their rows
    were made; within one instant a row ends after it began and before later rows begin (a
    frozen demo clock makes every command one instant)."""
    events = sorted(
        [(v.began, i, _START) for i, v in enumerate(versions)]
        + [(v.ended, i, _END) for i, v in enumerate(versions) if v.ended is not None]
    )
    steps: list[tuple[datetime, list[tuple[int, int]]]] = []
    for at, index, kind in events:
        last = steps[-1] if steps else None
        began_already = last is not None and any(k == _START for k, _ in last[1])
        if last is None or last[0] != at or (kind == _END and began_already):
            steps.append((at, []))
        steps[-1][1].append((kind, index))
    return steps


def conference_state(cancelled: bool, incident_closed_before_held: bool) -> tuple[int, bool]:
    """A case conference is invited once (SEQUENCE 0) and cancelled at most once: when it is
    cancelled, or when its incident closes before it is held."""
    gone = cancelled or incident_closed_before_held
    return (1 if gone else 0), gone


def naive(pattern: Pattern, after: datetime) -> Iterator[datetime]:
    """The starts a calendar computes from the weekly rule (or every N hours) alone, strictly
    after ``after``: each day's wall time read with the offset in force before any gap, as
    RFC 5545 3.3.5 says, and no holidays."""
    if pattern.every_hours is not None:
        assert pattern.anchor is not None
        step = timedelta(hours=pattern.every_hours)
        anchor = pattern.anchor.astimezone(UTC)
        n = max(0, int((after - anchor) // step))
        while True:
            at = anchor + n * step
            n += 1
            if at > after:
                yield at
        return
    assert pattern.at is not None
    day = after.astimezone(LONDON).date() - timedelta(days=1)
    while True:
        if day.weekday() in pattern.days:
            # fold=0 in a gap is the offset before it; in the repeated hour, the first.
            at = datetime.combine(day, pattern.at).replace(tzinfo=LONDON).astimezone(UTC)
            if at > after:
                yield at
        day += timedelta(days=1)


def first_start(pattern: Pattern, after: datetime) -> datetime:
    """DTSTART: the rule's first start after ``after`` (the series' version began)."""
    return next(naive(pattern, after))


def exceptions(
    pattern: Pattern, start: datetime, until: datetime, holidays: frozenset[date]
) -> tuple[list[datetime], list[datetime]]:
    """(EXDATE, RDATE) from ``start`` to ``until``: the rule's starts the bot does not hold
    (a bank holiday skipped or moved, a gap time moved), and the starts it holds that the
    rule does not give (a moved meeting, the first minute after a gap)."""
    before = start - timedelta(seconds=1)
    rule: set[datetime] = set()
    for at in naive(pattern, before):
        if at > until:
            break
        rule.add(at)
    held: set[datetime] = set()
    for at in occurrences(pattern, before, holidays):
        if at > until:
            break
        held.add(at)
    return sorted(rule - held), sorted(held - rule)
