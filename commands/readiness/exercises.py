"""The exercise programme (plan 6.7-6.11): exercises scheduled with a scenario, a date and the
people taking part, played in an EXERCISE incident, with injects the scheduler posts into
that incident's conversation at their set times (``injects.py``, the due source).

/opss exercise                                   the programme: exercises to come and this year's
/opss exercise schedule [--title .. --when "YYYY-MM-DD HH:MM" --scenario .. --participants ..
                         --incident INC-..]     (a form)
/opss exercise <EXR>                             its card
/opss exercise <EXR> inject [--at "YYYY-MM-DD HH:MM"|HH:MM --from .. --text ..]   (a form)
/opss exercise <EXR> incident <INC>              the EXERCISE incident it is played in
/opss exercise <EXR> end [--note ..]             after play: its lessons are recorded as for
                                                 incidents (/opss lesson INC-..)
/opss exercise <EXR> cancel --reason ..

IMT run the programme (6.1, 6.8). An inject's words are seen before it is posted only by
IMT: the people taking part meet it in play.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from sqlalchemy import func, or_, select

from cards.model import Action as Button
from cards.model import Card, Field, Form
from commands.core.access import require_read
from commands.core.args import Args
from commands.core.context import Ctx, PermissionRefused, Reply, UserError
from commands.core.flows import Context, FormFlow
from commands.core.lookup import find_incident
from commands.core.people import reachable
from commands.incident.command_and_control import admit, display_names, names_of
from commands.issue.forms import TITLE_MAX
from rules import exercises as rules
from rules.exercises import EXERCISE_LABELS, ExerciseStatus, InjectStatus
from rules.references import parse_reference
from rules.timeparse import HINT, LONDON, WhenError, parse_when, show
from storage import repositories as repo
from storage.models import Exercise, ExerciseInject, Incident

SHOWN = 20  # exercises on the programme's card
MAX_INJECTS = 100
DATE_ONLY = re.compile(r"^\d{4}-\d{2}-\d{2}$")


def _require_runner(ctx: Ctx, what: str, ref: str = "") -> None:
    allowed = rules.may_run_exercises(ctx.actor)
    if not allowed:
        raise PermissionRefused(what, allowed.who_may, ref or "exercise")


def find_exercise(ctx: Ctx, text: str | None, verb: str = "exercise") -> Exercise:
    if not text:
        raise UserError(f"{verb} needs an exercise reference, e.g. /opss exercise EXR-2026-001.")
    parsed = parse_reference(text)
    if parsed is None or parsed[0] != "exercise":
        raise UserError(f"'{text}' is not an exercise reference; they look like EXR-2026-001.")
    found = ctx.session.scalar(select(Exercise).where(Exercise.reference == parsed[1]))
    if found is None:
        raise UserError(f"No exercise {parsed[1]} is scheduled. See /opss exercise.")
    return found


def injects_of(ctx: Ctx, exercise: Exercise) -> list[ExerciseInject]:
    return list(
        ctx.session.scalars(
            select(ExerciseInject)
            .where(ExerciseInject.exercise_id == exercise.id)
            .order_by(ExerciseInject.due_at, ExerciseInject.number)
        )
    )


def arm(exercise: Exercise, injects: list[ExerciseInject]) -> None:
    """Each inject's place in the schedule, from the exercise's state (``rules.exercises``)."""
    for inject in injects:
        inject.next_run_at = rules.inject_armed(
            exercise.status, inject.status, exercise.incident_id is not None, inject.due_at
        )


def _incident_of(ctx: Ctx, exercise: Exercise) -> Incident | None:
    return ctx.session.get(Incident, exercise.incident_id) if exercise.incident_id else None


# Cards ------------------------------------------------------------------------------------------

INJECT_LABELS = {
    InjectStatus.PENDING: "to come",
    InjectStatus.POSTED: "posted",
    InjectStatus.WITHDRAWN: "withdrawn",
}


def inject_line(inject: ExerciseInject, *, words: bool) -> str:
    when = show(inject.due_at)
    state = INJECT_LABELS[inject.status]
    if inject.status is InjectStatus.POSTED and inject.posted_at is not None:
        state = f"posted {show(inject.posted_at)}"
    head = f"{inject.number}. {when}"
    if not words:
        return f"{head} · {state}"
    sender = f" · from {inject.sender}" if inject.sender else ""
    return f"{head}{sender} · {state}: {inject.text}"


def exercise_card(ctx: Ctx, exercise: Exercise, *, words: bool | None = None) -> Card:
    """The exercise. ``words``: show the injects' words (IMT only, unless they are posted)."""
    if words is None:
        words = bool(rules.may_run_exercises(ctx.actor))
    injects = injects_of(ctx, exercise)
    incident = _incident_of(ctx, exercise)
    ref = exercise.reference
    people = display_names(ctx.session, list(exercise.participants or []))
    posted = sum(1 for i in injects if i.status is InjectStatus.POSTED)
    facts = [
        ("When", show(exercise.starts_at)),
        ("Status", EXERCISE_LABELS[exercise.status]),
        (
            "Incident",
            f"{incident.reference} · {incident.title}"
            if incident
            else f"not named yet: /opss exercise {ref} incident INC-… (injects wait for it)",
        ),
        ("Taking part", ", ".join(people) or "nobody named yet"),
        ("Injects", f"{len(injects)} ({posted} posted)"),
    ]
    sections: list[tuple[str, str]] = [("Scenario", exercise.scenario)]
    if injects:
        lines = [inject_line(i, words=words or i.status is InjectStatus.POSTED) for i in injects]
        sections.append(("Injects", "\n".join(lines)))
    if exercise.end_note:
        sections.append(
            (
                "When it ended" if exercise.status is ExerciseStatus.ENDED else "Cancelled",
                exercise.end_note,
            )
        )
    buttons: list[Button] = []
    if exercise.status is ExerciseStatus.SCHEDULED:
        buttons.append(Button("Add an inject", f"/opss exercise {ref} inject"))
        buttons.append(Button("End the exercise", f"/opss exercise {ref} end"))
    if incident is not None:
        buttons.append(Button("Record a lesson", f"/opss lesson {incident.reference}"))
    return Card(
        title=f"{ref} · {exercise.title}",
        subtitle="Exercise of the Incident Management Plan (6.8)",
        facts=tuple(facts),
        sections=tuple(sections),
        actions=tuple(buttons),
        exercise=True,
    )


def programme_card(ctx: Ctx) -> Card:
    """Exercises to come, then this year's earlier ones: a window of ``SHOWN``."""
    year_start = datetime(ctx.now.astimezone(LONDON).year, 1, 1, tzinfo=LONDON)
    rows = list(
        ctx.session.scalars(
            select(Exercise)
            .where(
                or_(Exercise.starts_at >= year_start, Exercise.status == ExerciseStatus.SCHEDULED)
            )
            .order_by(Exercise.starts_at.desc())
            .limit(SHOWN)
        )
    )
    counts = dict(
        ctx.session.execute(
            select(ExerciseInject.exercise_id, func.count())
            .where(ExerciseInject.exercise_id.in_({e.id for e in rows}))
            .group_by(ExerciseInject.exercise_id)
        )
        .tuples()
        .all()
    )
    lines = [
        f"{e.reference} · {show(e.starts_at)} · {e.title} · {EXERCISE_LABELS[e.status]} · "
        f"{counts.get(e.id, 0)} inject{'s' if counts.get(e.id, 0) != 1 else ''}"
        for e in sorted(rows, key=lambda e: e.starts_at)
    ]
    return Card(
        title="Exercise programme",
        subtitle="Exercises of the plan, to come and this year's (6.8-6.11)",
        sections=(("Exercises", "\n".join(lines) or "none scheduled"),),
        actions=(Button("Schedule an exercise", "/opss exercise schedule"),),
        exercise=True,
    )


# /opss exercise [EXR] ---------------------------------------------------------------------------


def exercise_verb(ctx: Ctx, args: Args) -> Reply:
    if not args.words:
        return Reply(text="Exercise programme", card=programme_card(ctx))
    exercise = find_exercise(ctx, args.first())
    if len(args.words) > 1:
        raise UserError(
            f"exercise takes inject, incident, end or cancel, e.g. /opss exercise "
            f"{exercise.reference} inject."
        )
    card = exercise_card(ctx, exercise)
    return Reply(text=card.title, card=card)


def _public_card(ctx: Ctx, exercise: Exercise) -> Card:
    """What may be posted where others read it: no inject's words before it is posted."""
    return exercise_card(ctx, exercise, words=False)


# Scheduling (a form) ----------------------------------------------------------------------------


def schedule_form() -> Form:
    return Form(
        id="exercise_schedule",
        title="Schedule an exercise",
        intro="An exercise of the plan (6.8): its scenario, when it is played and who takes "
        "part. It is played in an EXERCISE incident (declared with --exercise), named here or "
        "later; its injects are then posted there at their times.",
        submit_label="Schedule exercise",
        fields=(
            Field("title", "Title", required=True, max_length=TITLE_MAX),
            Field("scenario", "Scenario", "multiline", required=True, max_length=3000),
            Field("date", "Date", "date", required=True),
            Field("time", "Start time (London)", "time", required=True),
            Field("participants", "Taking part", "people", max_length=2000),
            Field(
                "incident",
                "EXERCISE incident it is played in (blank: name it later)",
                max_length=20,
                placeholder="INC-2026-001",
            ),
        ),
        exercise=True,
    )


@dataclass(frozen=True)
class ScheduleValues:
    title: str
    scenario: str
    date: date
    time: str
    participants: str | None
    incident: str | None


SCHEDULE_OPTIONS = {"title", "scenario", "participants", "incident", "when", "date", "time"}


def _when_values(raw: str, now: datetime, field: str = "date") -> dict[str, str]:
    day = raw.strip().lower()
    try:
        if DATE_ONLY.match(day):
            return {"date": parse_when(f"{day} 00:00", now).strftime("%Y-%m-%d")}
        when = parse_when(raw, now)
    except WhenError as exc:
        raise UserError(f"When: '{raw}' is not a date and time; {HINT}", field) from exc
    return {"date": when.strftime("%Y-%m-%d"), "time": when.strftime("%H:%M")}


def _schedule_prepare(ctx: Ctx, args: Args) -> tuple[Context, dict[str, Any]]:
    _require_runner(ctx, "schedule exercises")
    values: dict[str, Any] = {}
    for name, value in args.options.items():
        if name not in SCHEDULE_OPTIONS:
            raise UserError(
                f"exercise schedule does not take --{name}; it takes --title, --when, "
                "--scenario, --participants and --incident."
            )
        if name == "when":
            values |= _when_values(value, ctx.now)
        else:
            values[name] = value
    words = args.words[1:]  # after "schedule"
    if words and "title" not in values:
        values["title"] = " ".join(words)
    return {}, values


def _schedule_build(ctx: Ctx, context: Mapping[str, str]) -> Form:
    return schedule_form()


def _at(day: date | str, clock: str, now: datetime, field: str) -> datetime:
    try:
        return parse_when(f"{day} {clock}", now)
    except WhenError as exc:
        raise UserError(f"Date and time: {exc}", field) from exc


def _exercise_incident(ctx: Ctx, text: str, exercise: Exercise | None) -> Incident:
    incident = find_incident(ctx, text.strip(), "exercise", "exercises")
    if not incident.exercise:
        raise UserError(
            f"Incident: {incident.reference} is a live incident; an exercise is played in an "
            "EXERCISE incident (declared with --exercise).",
            "incident",
        )
    other = ctx.session.scalar(select(Exercise).where(Exercise.incident_id == incident.id))
    if other is not None and (exercise is None or other.id != exercise.id):
        raise UserError(
            f"Incident: {incident.reference} is already the incident of {other.reference}.",
            "incident",
        )
    return incident


def _schedule_apply(ctx: Ctx, context: Mapping[str, str], v: ScheduleValues) -> Reply:
    _require_runner(ctx, "schedule exercises")
    starts = _at(v.date, v.time, ctx.now, "date")
    problem = rules.schedule_problem(starts, ctx.now)
    if problem:
        raise UserError(
            f"Date and time: {show(starts)}: {problem} (it is {show(ctx.now)}).", "date"
        )
    participants = names_of(ctx, v.participants or "", "Taking part", "participants")
    incident = _exercise_incident(ctx, v.incident, None) if v.incident else None
    reference = repo.next_reference(ctx.session, "exercise", ctx.now.year)
    exercise = Exercise(
        reference=reference,
        title=v.title.strip(),
        scenario=v.scenario.strip(),
        starts_at=starts,
        participants=participants,
        incident_id=incident.id if incident else None,
        status=ExerciseStatus.SCHEDULED,
        scheduled_by_id=ctx.person.id,
        scheduled_at=ctx.now,
        surface=ctx.surface,
        conversation=ctx.here(),
        end_note="",
    )
    ctx.session.add(exercise)
    ctx.session.flush()
    ctx.audit(
        "exercise.scheduled",
        "exercise",
        reference,
        None,
        {
            "title": exercise.title,
            "starts_at": starts.isoformat(),
            "participants": participants,
            "incident": incident.reference if incident else None,
        },
    )
    if incident is not None:
        admit(ctx, incident, participants)
    text = f"Exercise {reference} scheduled for {show(starts)}: {exercise.title}."
    _announce(ctx, exercise, text)
    _tell_participants(
        ctx,
        exercise,
        f"You take part in exercise {reference}, {show(starts)}: {exercise.title}.",
    )
    card = exercise_card(ctx, exercise)
    return Reply(text=text + f" Add its injects with /opss exercise {reference} inject.", card=card)


def _announce(ctx: Ctx, exercise: Exercise, text: str) -> None:
    """Said in the IMT channel, with the card as others may read it."""
    card = _public_card(ctx, exercise)
    ctx.post(ctx.options.imt_conversation, f"EXERCISE · {text}", card, surface=exercise.surface)


def _tell_participants(ctx: Ctx, exercise: Exercise, text: str) -> None:
    names = list(exercise.participants or [])
    if not names:
        return
    people = [p for p in (repo.person_by_name(ctx.session, n) for n in names) if p is not None]
    reach = reachable(ctx.session, [p.id for p in people])
    for person in people:
        if (person.id, ctx.surface) in reach:
            ctx.tell(person.id, f"EXERCISE · {text}")


SCHEDULE = FormFlow(
    "exercise_schedule",
    _schedule_prepare,
    _schedule_build,
    _schedule_apply,
    prompt="Schedule the exercise.",
    permit=lambda ctx, context: _require_runner(ctx, "schedule exercises"),
    values=ScheduleValues,
)


def exercise_route(args: Args) -> FormFlow | None:
    """``/opss exercise schedule`` opens the form; a reference is the exercise's own."""
    return SCHEDULE if (args.first() or "").lower() == "schedule" else None


# Injects (a form) -------------------------------------------------------------------------------


def inject_form(exercise: Exercise) -> Form:
    local = exercise.starts_at.astimezone(LONDON)
    return Form(
        id="exercise_inject",
        title=f"Inject · {exercise.reference}",
        intro="A message of the scenario, posted by the bot into the exercise's incident at "
        "its time, once (6.8). Only IMT see its words before then.",
        submit_label="Add inject",
        fields=(
            Field("date", "Date", "date", required=True, value=local.strftime("%Y-%m-%d")),
            Field("time", "Time (London)", "time", required=True),
            Field(
                "sender",
                "From (whom it plays as coming from, e.g. a journalist)",
                max_length=200,
            ),
            Field("text", "Message", "multiline", required=True, max_length=3000),
        ),
        context={"reference": exercise.reference},
        exercise=True,
    )


@dataclass(frozen=True)
class InjectValues:
    date: date
    time: str
    sender: str | None
    text: str


def _open_exercise(ctx: Ctx, reference: str | None, what: str) -> Exercise:
    exercise = find_exercise(ctx, reference)
    _require_runner(ctx, f"{what} of {exercise.reference}", exercise.reference)
    if exercise.status is not ExerciseStatus.SCHEDULED:
        raise UserError(
            f"{exercise.reference} is {EXERCISE_LABELS[exercise.status].lower()}; it takes no "
            "more injects or changes."
        )
    return exercise


def _inject_prepare(ctx: Ctx, args: Args) -> tuple[Context, dict[str, Any]]:
    exercise = _open_exercise(ctx, args.first(), "add injects")
    values: dict[str, Any] = {}
    for name, value in args.options.items():
        if name == "at":
            if re.match(r"^\d{1,2}:\d{2}$", value.strip()):
                values["time"] = value.strip()
            else:
                values |= _when_values(value, ctx.now)
        elif name in {"from", "sender"}:
            values["sender"] = value
        elif name in {"text", "message"}:
            values["text"] = value
        else:
            raise UserError(
                f"exercise … inject does not take --{name}; it takes --at, --from and --text."
            )
    if len(args.words) > 1 and "text" not in values:
        values["text"] = args.rest(1)
    return {"reference": exercise.reference}, values


def _inject_build(ctx: Ctx, context: Mapping[str, str]) -> Form:
    return inject_form(find_exercise(ctx, context.get("reference")))


def _inject_apply(ctx: Ctx, context: Mapping[str, str], v: InjectValues) -> Reply:
    exercise = _open_exercise(ctx, context.get("reference"), "add injects")
    due = _at(v.date, v.time, ctx.now, "time")
    problem = rules.schedule_problem(due, ctx.now)
    if problem:
        raise UserError(f"Time: {show(due)}: {problem} (it is {show(ctx.now)}).", "time")
    count = ctx.session.scalar(
        select(func.max(ExerciseInject.number)).where(ExerciseInject.exercise_id == exercise.id)
    )
    number = (count or 0) + 1
    if number > MAX_INJECTS:
        raise UserError(f"{exercise.reference} has {MAX_INJECTS} injects, the most one takes.")
    inject = ExerciseInject(
        exercise_id=exercise.id,
        number=number,
        due_at=due,
        sender=(v.sender or "").strip(),
        text=v.text.strip(),
        status=InjectStatus.PENDING,
        added_by_id=ctx.person.id,
        added_at=ctx.now,
    )
    arm(exercise, [inject])
    ctx.session.add(inject)
    ctx.session.flush()
    ctx.audit(
        "exercise.inject_added",
        "exercise",
        exercise.reference,
        None,
        {"number": number, "due_at": due.isoformat(), "sender": inject.sender, "text": inject.text},
    )
    waits = (
        ""
        if exercise.incident_id
        else f" It waits for the exercise's incident: /opss exercise {exercise.reference} "
        "incident INC-…."
    )
    text = f"Inject {number} of {exercise.reference} set for {show(due)}.{waits}"
    return Reply(text=text, card=exercise_card(ctx, exercise))


INJECT = FormFlow(
    "exercise_inject",
    _inject_prepare,
    _inject_build,
    _inject_apply,
    prompt="What is injected, and when?",
    permit=lambda ctx, context: _open_exercise(ctx, context.get("reference"), "add injects"),
    values=InjectValues,
)


# Naming its incident, ending, cancelling --------------------------------------------------------


def link_incident(ctx: Ctx, args: Args) -> Reply:
    exercise = _open_exercise(ctx, args.first(), "name the incident")
    if len(args.words) < 2:
        raise UserError(
            f"Usage: /opss exercise {exercise.reference} incident INC-…, the EXERCISE incident "
            "it is played in."
        )
    incident = _exercise_incident(ctx, args.words[1], exercise)
    require_read(ctx, incident)
    before = exercise.incident_id
    exercise.incident_id = incident.id
    arm(exercise, injects_of(ctx, exercise))
    admit(ctx, incident, list(exercise.participants or []))
    ctx.audit(
        "exercise.incident",
        "exercise",
        exercise.reference,
        {"incident_id": before},
        {"incident": incident.reference},
    )
    text = (
        f"Exercise {exercise.reference} is played in {incident.reference}; its injects are "
        "posted there at their times."
    )
    ctx.post(
        incident.channel_key,
        f"Exercise {exercise.reference} ({exercise.title}) is played in this incident. "
        f"Starts {show(exercise.starts_at)}.",
        _public_card(ctx, exercise),
    )
    return Reply(text=text, card=exercise_card(ctx, exercise))


def end(ctx: Ctx, args: Args) -> Reply:
    exercise = _open_exercise(ctx, args.first(), "end the exercise")
    for name in args.options:
        if name != "note":
            raise UserError(f"exercise … end does not take --{name}; it takes --note.")
    return _stop(ctx, exercise, ExerciseStatus.ENDED, args.options.get("note", "").strip())


def cancel(ctx: Ctx, args: Args) -> Reply:
    exercise = _open_exercise(ctx, args.first(), "cancel the exercise")
    for name in args.options:
        if name != "reason":
            raise UserError(f"exercise … cancel does not take --{name}; it takes --reason.")
    reason = args.options.get("reason", "").strip()
    if not reason:
        raise UserError(
            f"Reason: say why {exercise.reference} is cancelled "
            f"(/opss exercise {exercise.reference} cancel --reason ..)."
        )
    return _stop(ctx, exercise, ExerciseStatus.CANCELLED, reason)


def _stop(ctx: Ctx, exercise: Exercise, status: ExerciseStatus, note: str) -> Reply:
    injects = injects_of(ctx, exercise)
    withdrawn = 0
    for inject in injects:
        if inject.status is InjectStatus.PENDING:
            inject.status = InjectStatus.WITHDRAWN
            withdrawn += 1
    exercise.status = status
    exercise.ended_at = ctx.now
    exercise.end_note = note
    arm(exercise, injects)
    ctx.audit(
        f"exercise.{status.value}",
        "exercise",
        exercise.reference,
        {"status": "scheduled"},
        {"status": status.value, "note": note, "injects_withdrawn": withdrawn},
    )
    incident = _incident_of(ctx, exercise)
    left = (
        f" {withdrawn} inject{'s' if withdrawn != 1 else ''} not posted "
        f"{'were' if withdrawn != 1 else 'was'} withdrawn."
        if withdrawn
        else ""
    )
    if status is ExerciseStatus.ENDED:
        text = f"Exercise {exercise.reference} ended by {ctx.person.display_name}.{left}"
        if incident is not None:
            text += (
                f" Record the lessons identified as for any incident: /opss lesson "
                f"{incident.reference} <what was learned> (5.1, 6.11)."
            )
    else:
        text = (
            f"Exercise {exercise.reference} cancelled by {ctx.person.display_name}: {note}.{left}"
        )
    card = _public_card(ctx, exercise)
    if incident is not None:
        ctx.post(incident.channel_key, text, card)
    ctx.post(ctx.options.imt_conversation, f"EXERCISE · {text}", card, surface=exercise.surface)
    return Reply(text=text, card=exercise_card(ctx, exercise))
