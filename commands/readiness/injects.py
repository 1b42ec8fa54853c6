"""The scheduler's source for exercise injects (``DueSource`` in ``commands/schedule.py``): each
inject is posted into its exercise's EXERCISE incident at its set time, once, on the surface
the incident lives on.

It keeps the sources' contract: a batch costs a constant number of statements (the exercises
and their incidents loaded with ``IN``, every firing claimed with the batch's one ``INSERT …
ON CONFLICT DO NOTHING RETURNING``, posts and audit events inserted by the tick with one
executemany each). The firing's unique key makes a second post impossible, after a restart
or with several bot processes.

An inject found late (the bot was down at its time) is still posted, marked late: it is a
step of the scenario's play (``rules/exercises.py``). One whose incident has closed is
withdrawn instead.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select

from cards.model import Action as Button
from cards.model import Card
from commands.schedule import Batch, DueSource, Fire
from rules.exercises import ExerciseStatus, InjectStatus
from rules.firing import FireStatus
from rules.stand_down import Status
from rules.timeparse import show
from storage.models import Exercise, ExerciseInject, Incident

STEP = "inject"


def handle(batch: Batch, rows: list[ExerciseInject]) -> None:
    """The due injects of one batch: claim their firings, post them."""
    exercises = {
        e.id: e
        for e in batch.session.scalars(
            select(Exercise).where(Exercise.id.in_({r.exercise_id for r in rows}))
        )
    }
    wanted: list[tuple[ExerciseInject, Exercise, Fire]] = []
    for inject in rows:
        inject.next_run_at = None  # posted once: never due again
        exercise = exercises[inject.exercise_id]
        if exercise.status is not ExerciseStatus.SCHEDULED or exercise.incident_id is None:
            continue  # disarmed since it was claimed (not expected: the cursor follows state)
        fire = Fire(
            exercise.incident_id,
            f"inject:{inject.id}",
            STEP,
            inject.due_at,
            _status(batch, inject.due_at),
        )
        wanted.append((inject, exercise, fire))
    claimed = batch.claim([fire for _, _, fire in wanted])
    if not claimed:
        return
    incidents = batch.incidents({e.incident_id for _, e, _ in wanted if e.incident_id})
    for inject, exercise, fire in wanted:
        if fire.key not in claimed:
            continue  # another process posted it
        incident = incidents[exercise.incident_id or 0]
        batch.result.handled.append(f"{exercise.reference} inject {inject.number} {fire.status}")
        ctx = batch.ctx(incident)
        if incident.status is Status.CLOSED:
            inject.status = InjectStatus.WITHDRAWN
            ctx.audit(
                "exercise.inject_withdrawn",
                "exercise",
                exercise.reference,
                None,
                {"number": inject.number, "why": f"{incident.reference} is closed"},
            )
            continue
        late = f" (late: due {show(inject.due_at)})" if fire.status is FireStatus.LATE else ""
        sender = f" · from {inject.sender}" if inject.sender else ""
        text = f"Inject {inject.number} of {exercise.reference}{sender}: {inject.text}{late}"
        batch.post(incident, text, inject_card(inject, exercise, incident, late))
        inject.status = InjectStatus.POSTED
        inject.posted_at = batch.now
        batch.result.posted += 1
        batch.result.late += fire.status is FireStatus.LATE
        ctx.audit(
            "exercise.inject_posted",
            "exercise",
            exercise.reference,
            None,
            {
                "number": inject.number,
                "incident": incident.reference,
                "due_at": inject.due_at.isoformat(),
                "status": fire.status,
            },
        )


def _status(batch: Batch, due: datetime) -> FireStatus:
    # Never "missed": a late inject is still part of the play, and says it is late.
    return FireStatus.LATE if batch.now - due > batch.options.late_after else FireStatus.ON_TIME


def inject_card(inject: ExerciseInject, exercise: Exercise, incident: Incident, late: str) -> Card:
    facts = [("Exercise", f"{exercise.reference} · {exercise.title}")]
    if inject.sender:
        facts.append(("From", inject.sender))
    facts.append(("Set for", show(inject.due_at) + late))
    return Card(
        title=f"Inject {inject.number} · {exercise.reference}",
        subtitle="A message of the exercise's scenario (plan 6.8)",
        facts=tuple(facts),
        sections=(("Message", inject.text),),
        actions=(Button("Record a lesson", f"/opss lesson {incident.reference}"),),
        exercise=True,
    )


def describe(inject: ExerciseInject, holidays: frozenset) -> str:
    return f"inject {inject.number} of {inject.exercise.reference}"


SOURCE = DueSource(
    "exercise injects",
    ExerciseInject,
    handle,
    describe,
    lambda m: m.status == InjectStatus.PENDING,
)
