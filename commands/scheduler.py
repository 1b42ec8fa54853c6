"""The scheduler's work, as a use case: due reminders, sitrep prompts, chases and cut-offs
become queued posts in the outbox (the scheduler never talks to a platform).

Schedules are rows; the tick claims the due ones (``FOR UPDATE SKIP LOCKED`` on PostgreSQL,
the write lock on SQLite), so with several bot processes each firing is handled by one of
them; the firing's unique key makes a repeat impossible even so. A firing found after its
time is posted marked "(late)" within the grace period and recorded as missed beyond it, so a
restart never floods a channel with stale reminders. Sitrep cut-offs are always collated.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from cards.model import Action as Button
from cards.model import Card
from commands.battle_rhythm import next_reminder
from commands.clock import Clock
from commands.context import Ctx, Options
from commands.sitreps import cadence_of, next_number, sitrep_card
from rules import roles, sitrep
from rules.timeparse import show
from storage import repositories as repo
from storage.models import (
    Action,
    Decision,
    Incident,
    Person,
    RhythmEvent,
    Sitrep,
    SitrepSchedule,
    SitrepUpdate,
)
from storage.unit_of_work import Database

BATCH = 100


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


def tick(db: Database, clock: Clock, options: Options) -> TickResult:
    """Handle everything due now; returns what it did."""
    total = TickResult()
    for model in (RhythmEvent, SitrepSchedule):
        while True:
            with db.unit_of_work() as session:
                now = clock.now()
                query = (
                    select(model)
                    .where(model.active, model.next_run_at.is_not(None), model.next_run_at <= now)
                    .order_by(model.next_run_at)
                    .limit(BATCH)
                )
                if db.is_postgres:
                    query = query.with_for_update(skip_locked=True)
                rows = list(session.scalars(query))
                for row in rows:
                    # Each row is stamped when it is handled, not when its batch began.
                    ctx = _system_ctx(session, row.incident_id, clock.now(), options)
                    if isinstance(row, RhythmEvent):
                        total += _event(ctx, row)
                    else:
                        total += _sitrep(ctx, row)
            if len(rows) < BATCH:
                break
    return total


def next_due_at(session: Session) -> datetime | None:
    """When the earliest schedule row falls due (None: nothing scheduled)."""
    times = [
        session.scalar(select(func.min(m.next_run_at)).where(m.active))
        for m in (RhythmEvent, SitrepSchedule)
    ]
    due = [t for t in times if t is not None]
    return min(due) if due else None


def seconds_to_next_due(db: Database, clock: Clock) -> float | None:
    """How long until the earliest schedule row falls due (None: nothing scheduled)."""
    with db.read() as session:
        due = next_due_at(session)
    return (due - clock.now()).total_seconds() if due is not None else None


def _system_ctx(session: Session, incident_id: int, now: datetime, options: Options) -> Ctx:
    incident = session.get(Incident, incident_id)
    assert incident is not None
    person = repo.system_person(session, now)
    return Ctx(
        session=session,
        person=person,
        actor=roles.Actor(person.name),
        surface=incident.surface,
        channel="",
        now=now,
        options=options,
    )


def _status(options: Options, now: datetime, due: datetime) -> str:
    late = now - due
    if late > options.grace:
        return "missed"
    return "late" if late > options.late_after else "on_time"


def _incident(ctx: Ctx, incident_id: int) -> Incident:
    incident = ctx.session.get(Incident, incident_id)
    assert incident is not None
    return incident


# Meetings -------------------------------------------------------------------------------------


def _event(ctx: Ctx, event: RhythmEvent) -> TickResult:
    result = TickResult()
    incident = _incident(ctx, event.incident_id)
    lead = timedelta(minutes=event.reminder_minutes)
    while True:
        due = next_reminder(ctx.options.holidays, event, event.last_run_at)
        if due > ctx.now or incident.status == "closed":
            event.next_run_at = due if incident.status != "closed" else None
            return result
        status = _status(ctx.options, ctx.now, due)
        claimed = repo.claim_firing(
            ctx.session,
            incident_id=incident.id,
            source=f"event:{event.id}",
            step="reminder",
            due_at=due,
            status=status,
            now=ctx.now,
        )
        if claimed:
            if status == "missed":
                result.missed += 1
            else:
                previous = (
                    event.last_run_at + lead
                    if event.last_run_at > event.created_at
                    else event.created_at
                )
                _post_reminder(ctx, incident, event, due + lead, previous, late=status == "late")
                result.posted += 1
                result.late += status == "late"
            result.handled.append(f"{incident.reference} {event.name} {status}")
        event.last_run_at = due


def _post_reminder(
    ctx: Ctx,
    incident: Incident,
    event: RhythmEvent,
    start: datetime,
    previous: datetime,
    *,
    late: bool,
) -> None:
    minutes = int((start - ctx.now).total_seconds() // 60)
    when = f"in {minutes} min" if minutes > 0 else "now"
    text = f"Reminder: {event.name} at {show(start)} ({when})" + (" (late)" if late else "")
    facts = [("When", f"{show(start)}, {event.duration_minutes} min")]
    if event.location:
        facts.append(("Where", event.location))
    if event.attendees:
        facts.append(("Attending", event.attendees))
    actions = ctx.session.scalars(
        select(Action)
        .where(Action.incident_id == incident.id, Action.status == "open")
        .order_by(Action.due_at)
        .limit(10)
    ).all()
    decisions = ctx.session.scalars(
        select(Decision)
        .where(Decision.incident_id == incident.id, Decision.recorded_at >= previous)
        .order_by(Decision.id)
        .limit(10)
    ).all()
    sections = [("Agenda", event.agenda or "—")]
    sections.append(
        (
            "Open actions",
            "\n".join(
                f"{a.reference} · {a.owner.display_name} · due {show(a.due_at)}: {a.what}"
                for a in actions
            )
            or "none",
        )
    )
    sections.append(
        (
            f"Decisions since the last {event.name}",
            "\n".join(f"{d.reference} · {d.decided_by}: {d.what}" for d in decisions) or "none",
        )
    )
    card = Card(
        title=f"{event.name} · {incident.reference}",
        subtitle=text,
        facts=tuple(facts),
        sections=tuple(sections),
        exercise=incident.exercise,
    )
    ctx.post(incident.channel_key, text, card)


# Sitreps --------------------------------------------------------------------------------------


def _sitrep(ctx: Ctx, row: SitrepSchedule) -> TickResult:
    result = TickResult()
    incident = _incident(ctx, row.incident_id)
    for firing in sitrep.firings(cadence_of(row), row.last_run_at, ctx.options.holidays):
        if firing.at > ctx.now or incident.status == "closed":
            row.next_run_at = firing.at if incident.status != "closed" else None
            return result
        status = _status(ctx.options, ctx.now, firing.at)
        claimed = repo.claim_firing(
            ctx.session,
            incident_id=incident.id,
            source=f"sitrep:{row.id}",
            step=firing.step.value,
            due_at=firing.at,
            status=status,
            now=ctx.now,
        )
        if claimed:
            late = status == "late"
            if firing.step is sitrep.Step.CUTOFF:  # collated whatever the delay
                _collate(ctx, incident, row, firing.cutoff, late=status != "on_time")
                result.collated += 1
            elif status == "missed":
                result.missed += 1
            elif firing.step is sitrep.Step.PROMPT:
                _prompt(ctx, incident, row, firing.cutoff, late)
                result.posted += 1
            else:
                result.posted += _chase(ctx, incident, row, firing.cutoff, late)
            result.handled.append(f"{incident.reference} {firing.step.value} {status}")
        row.last_run_at = firing.at
    return result


def _ftl_names(ctx: Ctx, teams: list[str]) -> dict[str, str]:
    out = {}
    for team in teams:
        ftl = repo.ftl_for_area(ctx.session, team)
        out[team] = ftl.display_name if ftl else "no FTL assigned"
    return out


def _prompt(
    ctx: Ctx, incident: Incident, row: SitrepSchedule, cutoff: datetime, late: bool
) -> None:
    ftls = _ftl_names(ctx, row.teams)
    text = (
        f"Sitrep updates due by {show(cutoff)} from: "
        + ", ".join(f"{t} ({ftls[t]})" for t in row.teams)
        + (" (late)" if late else "")
    )
    card = Card(
        title=f"Sitrep updates due · {incident.reference}",
        subtitle=text,
        sections=(
            (
                "Each team",
                "Situation; actions since the last report; next "
                "steps; issues and risks; resources needed.",
            ),
        ),
        actions=(Button("Submit update", f"/opss sitrep {incident.reference} update"),),
        exercise=incident.exercise,
    )
    ctx.post(incident.channel_key, text, card)


def _updates(ctx: Ctx, incident: Incident, cutoff: datetime) -> list[SitrepUpdate]:
    return list(
        ctx.session.scalars(
            select(SitrepUpdate)
            .where(SitrepUpdate.incident_id == incident.id, SitrepUpdate.cutoff_at == cutoff)
            .order_by(SitrepUpdate.id)
        )
    )


def _chase(ctx: Ctx, incident: Incident, row: SitrepSchedule, cutoff: datetime, late: bool) -> int:
    received = {u.team for u in _updates(ctx, incident, cutoff)}
    missing = [t for t in row.teams if t not in received]
    if not missing:
        return 0
    ftls = _ftl_names(ctx, missing)
    text = (
        f"Still waiting for sitrep updates (cut-off {show(cutoff)}): "
        + ", ".join(f"{t} ({ftls[t]})" for t in missing)
        + (" (late)" if late else "")
    )
    ctx.post(incident.channel_key, text)
    return 1


def _collate(
    ctx: Ctx, incident: Incident, row: SitrepSchedule, cutoff: datetime, late: bool
) -> None:
    updates = [
        sitrep.Update(u.team, (_display_name(ctx, u.submitted_by_id)), u.fields)
        for u in _updates(ctx, incident, cutoff)
    ]
    number = next_number(ctx, incident)
    draft = sitrep.collate(
        number, incident.reference, cutoff, list(row.teams), updates, incident.exercise
    )
    report = Sitrep(
        incident_id=incident.id,
        number=number,
        as_at=cutoff,
        title=draft.title,
        sections=[list(s) for s in draft.sections],
        missing=list(draft.missing),
        status="draft",
        created_at=ctx.now,
    )
    ctx.session.add(report)
    ctx.session.flush()
    ctx.audit(
        "sitrep.collated",
        "incident",
        incident.reference,
        None,
        {"number": number, "missing": list(draft.missing)},
    )
    text = f"{draft.title} collated for IMT to approve" + (" (late)" if late else "")
    ctx.post(
        incident.channel_key,
        text,
        sitrep_card(report, incident),
        anchor=f"sitrep:{incident.reference}:{number}",
    )


def _display_name(ctx: Ctx, person_id: int) -> str:
    person = ctx.session.get(Person, person_id)
    return person.display_name if person else "unknown"
