"""The tick's framework: due reminders, sitrep prompts, chases and cut-offs become queued
posts in the outbox (the scheduler never talks to a platform).

Schedules are rows; the tick claims the due ones (``FOR UPDATE SKIP LOCKED`` on PostgreSQL,
the write lock on SQLite), so with several bot processes each firing is handled by one of
them; the firing's unique key makes a repeat impossible even so. A firing found after its
time is posted marked "(late)" within the grace period and recorded as missed beyond it, so a
restart never floods a channel with stale reminders. Sitrep cut-offs are always collated.

**Due sources, and the contract a new one keeps.** Each kind of due row is a ``DueSource``
that its concept's package provides (``rhythm/reminders.py``, ``sitrep/cadence.py``,
``action/chasing.py``, ``notification/clocks.py``) and ``commands/core/due.py`` lists in
``SOURCES``; this module imports none of them. A source is a model with a ``next_run_at``
column (None: never), an optional extra condition (``active``), one function
``handle(batch, rows)``, and ``describe(row, holidays)``: the row's next step in words, for
``next_due``. The tick claims up to
``BATCH`` due rows of a source in one query and calls ``handle`` in one unit of work. The
handler must cost a constant number of SQL statements whatever the number of rows or the
size of the history, so a batch of 100 costs what a batch of 1 does:

1. work out each row's due firings in Python (the pure rules in ``rules/``) and move the
   row's cursor (``last_run_at``, ``next_run_at``; the ORM writes them in one executemany);
2. claim them all at once with ``batch.claim(firings)`` (one ``INSERT … ON CONFLICT DO
   NOTHING RETURNING``): only the claimed ones may post, so another process cannot repeat
   them;
3. load what the posts need with the set-based loaders of ``Batch`` (``incidents``,
   ``open_actions``, ``decisions_since``, ``sitrep_updates``, ``ftl_names``,
   ``sitrep_numbers``), or a new one written the same way: one query for the whole batch,
   ``IN`` lists and windowed ``row_number()`` for "the first N of each", never a query per
   row;
4. queue posts with ``batch.post`` and audit with ``batch.ctx(incident).audit``; the tick
   inserts them (and any other rows the handler added) with one executemany per table.

``tests/test_flat_cost.py`` counts the statements of a tick at two sizes; a new source that
queries per row fails it.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import ColumnElement, Row, case, func, select
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import Session

from cards.model import Card
from commands.core.clock import Clock
from commands.core.context import Ctx, Options
from rules import roles
from rules.action_chasing import ActionStatus
from rules.firing import FireStatus, fire_status
from rules.stand_down import Status
from rules.timeparse import show
from storage import repositories as repo
from storage.models import (
    Action,
    Decision,
    Firing,
    Incident,
    Person,
    RoleGrant,
    Sitrep,
    SitrepUpdate,
)
from storage.unit_of_work import Database

BATCH = 100
SHOWN = 10  # open actions and decisions on a meeting reminder


@dataclass(frozen=True)
class OpenActions:
    """An incident's open actions as a reminder lists them: the first ``SHOWN``, soonest due
    first, and how many are open and overdue in all."""

    shown: tuple[Row[Any], ...] = ()
    total: int = 0
    overdue: int = 0


CLAIM_CHUNK = 1000  # firings per INSERT: 6,000 parameters (PostgreSQL takes 65,535)


@dataclass
class TickResult:
    posted: int = 0
    late: int = 0
    missed: int = 0
    collated: int = 0
    handled: list[str] = field(default_factory=list)

    def __iadd__(self, other: TickResult) -> TickResult:
        self.posted += other.posted
        self.late += other.late
        self.missed += other.missed
        self.collated += other.collated
        self.handled += other.handled
        return self


@dataclass(frozen=True)
class Fire:
    """One firing to claim: a step of a schedule row due at a time."""

    incident_id: int | None  # None: a notification's clock on an issue with no incident
    source: str  # "event:12", "sitrep:3", "notification:7"
    step: str
    due_at: datetime
    status: FireStatus

    @property
    def key(self) -> tuple[str, str, datetime]:
        return self.source, self.step, self.due_at


class Batch:
    """One batch of due rows of one source: its unit of work, the time it began, and loaders
    that each read what the whole batch needs in one query."""

    def __init__(self, session: Session, clock: Clock, options: Options) -> None:
        self.session = session
        self.clock = clock
        self.now = clock.now()
        self.options = options
        self.result = TickResult()
        self._incidents: dict[int, Incident] = {}
        self._contexts: dict[str, Ctx] = {}
        self._system: Person | None = None

    def status(self, due: datetime) -> FireStatus:
        return fire_status(self.now - due, self.options.late_after, self.options.grace)

    # Claiming -----------------------------------------------------------------------------

    def claim(self, firings: Sequence[Fire]) -> set[tuple[str, str, datetime]]:
        """Record the firings once; returns the keys this process claimed (not another).

        One statement for a batch; a catch-up after days down (an hourly meeting's every
        missed hour) is split so no statement exceeds the databases' parameter limits."""
        if not firings:
            return set()
        handled_at = self.clock.now()  # stamped when claimed, not when the batch began
        dialect = self.session.get_bind().dialect.name
        insert = pg_insert if dialect == "postgresql" else sqlite_insert
        claimed: set[tuple[str, str, datetime]] = set()
        for start in range(0, len(firings), CLAIM_CHUNK):
            rows = self.session.execute(
                insert(Firing)
                .values(
                    [
                        {
                            "incident_id": f.incident_id,
                            "source": f.source,
                            "step": f.step,
                            "due_at": f.due_at,
                            "handled_at": handled_at,
                            "status": f.status,
                        }
                        for f in firings[start : start + CLAIM_CHUNK]
                    ]
                )
                .on_conflict_do_nothing(index_elements=["source", "step", "due_at"])
                .returning(Firing.source, Firing.step, Firing.due_at)
            )
            claimed |= {(source, step, due) for source, step, due in rows}
        return claimed

    # Loaders: one query each for the whole batch --------------------------------------------

    def incidents(self, ids: Iterable[int]) -> dict[int, Incident]:
        wanted = set(ids) - set(self._incidents)
        if wanted:
            for incident in self.session.scalars(select(Incident).where(Incident.id.in_(wanted))):
                self._incidents[incident.id] = incident
        return self._incidents

    def open_actions(self, incident_ids: Iterable[int]) -> dict[int, OpenActions]:
        """Each incident's open actions (not done, not handed over), whatever their group:
        the first ``SHOWN``, soonest due first, as plain rows of what a reminder shows
        (``reference``, ``owner``, ``due_at``, ``what``, ``group``), with how many are open
        and overdue in all. One query: the counts are windows over the same rows."""
        ids = set(incident_ids)
        out: dict[int, OpenActions] = {i: OpenActions() for i in ids}
        if not ids:
            return out
        mine = Action.incident_id
        rank = (
            func.row_number().over(partition_by=mine, order_by=(Action.due_at, Action.id))
        ).label("rank")
        total = func.count().over(partition_by=mine).label("total")
        late = func.sum(case((Action.due_at < self.now, 1), else_=0)).over(partition_by=mine)
        ranked = (
            select(Action.id, rank, total, late.label("overdue"))
            .where(
                Action.incident_id.in_(ids),
                Action.status.not_in((ActionStatus.DONE, ActionStatus.HANDED_OVER)),
            )
            .subquery()
        )
        rows = self.session.execute(
            select(
                Action.incident_id,
                Action.group,
                Action.reference,
                Person.display_name.label("owner"),
                Action.due_at,
                Action.what,
                ranked.c.total,
                ranked.c.overdue,
            )
            .join(ranked, ranked.c.id == Action.id)
            .join(Person, Person.id == Action.owner_id)
            .where(ranked.c.rank <= SHOWN)
            .order_by(Action.due_at, Action.id)
        )
        for row in rows:
            found = out[row.incident_id]
            out[row.incident_id] = OpenActions(
                (*found.shown, row), int(row.total or 0), int(row.overdue or 0)
            )
        return out

    def decisions_since(self, since: dict[int, datetime]) -> dict[int, list[Row[Any]]]:
        """Each incident's latest ``SHOWN`` decisions recorded at or after the earliest of the
        times, oldest first (rows of ``reference``, ``decided_by``, ``what``, ``recorded_at``).
        A caller wanting a later time filters these: decisions are numbered as they are
        recorded, so the latest N after a later time are among the latest N after an earlier
        one."""
        out: dict[int, list[Row[Any]]] = {i: [] for i in since}
        if not since:
            return out
        rank = (
            func.row_number()
            .over(partition_by=Decision.incident_id, order_by=Decision.id.desc())
            .label("rank")
        )
        ranked = (
            select(Decision.id, rank)
            .where(Decision.incident_id.in_(since), Decision.recorded_at >= min(since.values()))
            .subquery()
        )
        rows = self.session.execute(
            select(
                Decision.incident_id,
                Decision.reference,
                Decision.decided_by,
                Decision.what,
                Decision.recorded_at,
            )
            .join(ranked, ranked.c.id == Decision.id)
            .where(ranked.c.rank <= SHOWN)
            .order_by(Decision.id)
        )
        for row in rows:
            out[row.incident_id].append(row)
        return out

    def sitrep_updates(
        self, wanted: Iterable[tuple[int, datetime]]
    ) -> dict[tuple[int, datetime], list[tuple[SitrepUpdate, str]]]:
        """The teams' updates for each (incident, cut-off), with who submitted each."""
        pairs = set(wanted)
        out: dict[tuple[int, datetime], list[tuple[SitrepUpdate, str]]] = {p: [] for p in pairs}
        if not pairs:
            return out
        rows = self.session.execute(
            select(SitrepUpdate, Person.display_name)
            .join(Person, Person.id == SitrepUpdate.submitted_by_id)
            .where(
                SitrepUpdate.incident_id.in_({i for i, _ in pairs}),
                SitrepUpdate.cutoff_at.in_({c for _, c in pairs}),
            )
            .order_by(SitrepUpdate.id)
        ).tuples()
        for update, name in rows:
            key = (update.incident_id, update.cutoff_at)
            if key in out:
                out[key].append((update, name))
        return out

    def ftl_names(self) -> dict[str, str]:
        """Each area's FTL (the earliest grant), keyed by the area's casefolded name."""
        rows = self.session.execute(
            select(RoleGrant.area, Person.display_name)
            .join(Person, Person.id == RoleGrant.person_id)
            .where(RoleGrant.role == roles.Role.FTL.value, RoleGrant.revoked_at.is_(None))
            .order_by(RoleGrant.id.desc())
        ).tuples()
        return {(area or "").casefold(): name for area, name in rows}

    def ftl_people(self) -> dict[str, Person]:
        """Each area's FTL as a person (the earliest grant), keyed by the casefolded area."""
        rows = self.session.execute(
            select(RoleGrant.area, Person)
            .join(Person, Person.id == RoleGrant.person_id)
            .where(RoleGrant.role == roles.Role.FTL.value, RoleGrant.revoked_at.is_(None))
            .order_by(RoleGrant.id.desc())
        ).tuples()
        return {(area or "").casefold(): person for area, person in rows}

    def sitrep_numbers(self, incident_ids: Iterable[int]) -> dict[int, int]:
        """Each incident's last sitrep number (0 for none)."""
        ids = set(incident_ids)
        if not ids:
            return {}
        rows = self.session.execute(
            select(Sitrep.incident_id, func.max(Sitrep.number))
            .where(Sitrep.incident_id.in_(ids))
            .group_by(Sitrep.incident_id)
        ).tuples()
        return {i: 0 for i in ids} | {i: n or 0 for i, n in rows}

    # Writing ------------------------------------------------------------------------------

    def on(self, surface: str) -> Ctx:
        """The bot acting on a surface (one context per surface in the batch)."""
        if self._system is None:
            self._system = repo.system_person(self.session, self.now)
        ctx = self._contexts.get(surface)
        if ctx is None:
            ctx = Ctx(
                session=self.session,
                person=self._system,
                actor=roles.Actor(self._system.name),
                surface=surface,
                channel="",
                now=self.now,
                options=self.options,
            )
            self._contexts[surface] = ctx
        return ctx

    def ctx(self, incident: Incident) -> Ctx:
        """The bot acting on ``incident``'s surface, knowing whether it is closed."""
        ctx = self.on(incident.surface)
        ctx.know_incident(incident.channel_key, incident.exercise, incident.status == Status.CLOSED)
        return ctx

    def post(self, incident: Incident, text: str, card: Card | None = None, **kw: Any) -> None:
        self.ctx(incident).post(incident.channel_key, text, card, **kw)


@dataclass(frozen=True)
class DueSource:
    """A kind of due row: see the module's docstring for the contract ``handle`` keeps."""

    name: str
    model: Any  # a mapped class with ``next_run_at``
    handle: Callable[[Batch, list[Any]], None]
    describe: Callable[[Any, frozenset], str]  # the row's next step in words ("the TCG reminder")
    where: Callable[[Any], ColumnElement[bool]] | None = None

    def due(self, now: datetime, limit: int, lock: bool) -> Any:
        query = select(self.model).where(
            self.model.next_run_at.is_not(None), self.model.next_run_at <= now
        )
        if self.where is not None:
            query = query.where(self.where(self.model))
        query = query.order_by(self.model.next_run_at).limit(limit)
        return query.with_for_update(skip_locked=True) if lock else query

    def next_due(self) -> Any:
        query = select(func.min(self.model.next_run_at))
        return query.where(self.where(self.model)) if self.where is not None else query

    def first_due(self) -> Any:
        """The row that falls due next (the one ``next_due`` times)."""
        query = select(self.model).where(self.model.next_run_at.is_not(None))
        if self.where is not None:
            query = query.where(self.where(self.model))
        return query.order_by(self.model.next_run_at, self.model.id).limit(1)


def tick(db: Database, clock: Clock, options: Options, sources: Sequence[DueSource]) -> TickResult:
    """Handle everything due now, source by source, ``BATCH`` rows per unit of work."""
    total = TickResult()
    for source in sources:
        while True:
            with db.unit_of_work() as session:
                batch = Batch(session, clock, options)
                query = source.due(batch.now, BATCH, db.is_postgres)
                rows = list(session.scalars(query))
                if rows:
                    source.handle(batch, rows)
                    repo.insert_new_in_bulk(session)  # posts, audit events, reports
                total += batch.result
            if len(rows) < BATCH:
                break
    return total


def next_due_at(session: Session, sources: Sequence[DueSource]) -> datetime | None:
    """When the earliest due row of any source falls due (None: nothing scheduled)."""
    times = [session.scalar(source.next_due()) for source in sources]
    due = [t for t in times if t is not None]
    return min(due) if due else None


def seconds_to_next_due(db: Database, clock: Clock, sources: Sequence[DueSource]) -> float | None:
    """How long until the earliest schedule row falls due (None: nothing scheduled)."""
    with db.read() as session:
        due = next_due_at(session, sources)
    return (due - clock.now()).total_seconds() if due is not None else None


def next_due(
    db: Database, sources: Sequence[DueSource], holidays: frozenset = frozenset()
) -> str | None:
    """What the bot will do next and when, in words (None: nothing scheduled). The same rows
    as ``next_due_at``: each source's first due row, described by its source."""
    found: list[tuple[datetime, str]] = []
    with db.read() as session:
        for source in sources:
            row = session.scalars(source.first_due()).first()
            if row is not None:
                found.append((row.next_run_at, source.describe(row, holidays)))
    if not found:
        return None
    at, what = min(found)
    return f"{what} at {show(at)}"
