"""Everything that falls due, in one place: the tick's sources, each provided by its
concept's package, and the tick, ``next_due_at`` and ``next_due`` over all of them.

The framework (``commands/schedule.py``) imports no concept; this module is where the sources
are listed, as ``engine.py`` is where the verbs are. A new source is added here, once, and so
counts for the tick, for when the scheduler wakes and for what ``next_due`` says alike.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy.orm import Session

from commands import schedule
from commands.action import chasing
from commands.conference import invitees
from commands.core.clock import Clock
from commands.core.context import Options
from commands.mi import summary
from commands.notification import clocks
from commands.readiness import injects
from commands.rhythm import reminders
from commands.schedule import DueSource, TickResult
from commands.sitrep import cadence
from storage.unit_of_work import Database

SOURCES: tuple[DueSource, ...] = (
    reminders.SOURCE,
    cadence.SOURCE,
    chasing.SOURCE,
    clocks.SOURCE,
    injects.SOURCE,
    invitees.SOURCE,
    summary.SOURCE,
)


def tick(db: Database, clock: Clock, options: Options) -> TickResult:
    """Handle everything due now, source by source."""
    return schedule.tick(db, clock, options, SOURCES)


def next_due_at(session: Session) -> datetime | None:
    """When the earliest due row of any source falls due (None: nothing scheduled)."""
    return schedule.next_due_at(session, SOURCES)


def seconds_to_next_due(db: Database, clock: Clock) -> float | None:
    """How long until the earliest due row falls due (None: nothing scheduled)."""
    return schedule.seconds_to_next_due(db, clock, SOURCES)


def next_due(db: Database, clock: Clock, holidays: frozenset = frozenset()) -> str | None:
    """What the bot will do next and when, in words (None: nothing scheduled)."""
    return schedule.next_due(db, SOURCES, holidays)
