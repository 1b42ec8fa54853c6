"""The annual review pack of the Incident Management Plan (plan 6.2, 5.1, 6.11): the lessons
identified, the reviews' findings and the recommendations of a year's incidents and exercises,
by theme (the aspects of the response, 5.2), each with its owner and status, as DOCX and PDF.

/opss review-plan [YYYY]      links to the pack (this year's unless a year is given)

The pack gathers every incident's lessons, so it is for those who may read every incident
(IMT, SCS). The command replies with a link for each format, for the person who asked, used
once within minutes (``commands/records/downloads.py``); the pack is built when a link is
redeemed (``pack_file``), if that person may still have it. "The year's incidents" are those
declared in it; its exercises those played in it. Entries from exercises are marked EXERCISE.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from cards.model import Card
from commands.action.card import STATUS_LABELS as ACTION_LABELS
from commands.core.args import Args
from commands.core.context import Ctx, PermissionRefused, Reply, UserError
from commands.records import documents, downloads
from commands.records.documents import DOCX, PDF, Report
from rules import exercises as exercise_rules
from rules.action_chasing import ActionStatus
from rules.exercises import EXERCISE_LABELS, InjectStatus
from rules.stand_down import REVIEW_ASPECTS, STATUS_LABELS, ReviewStatus, Status
from rules.timeparse import LONDON, show
from storage import repositories as repo
from storage.models import (
    Action,
    Exercise,
    ExerciseInject,
    Incident,
    Lesson,
    Person,
    Recommendation,
    Review,
)
from storage.unit_of_work import Database

KIND = "plan_review"
FORMATS = {"docx": DOCX, "pdf": PDF}
UNTHEMED = "Not themed (no aspect of 5.2 given)"
REVIEW_STATES = {
    ReviewStatus.SCHEDULED: "review scheduled",
    ReviewStatus.OPEN: "review open",
    ReviewStatus.SIGNED_OFF: "review signed off",
}


def _year(ctx: Ctx, args: Args) -> int:
    this = ctx.now.astimezone(LONDON).year
    if not args.words:
        return this
    raw = args.words[0]
    if not (raw.isdigit() and len(raw) == 4 and 2000 <= int(raw) <= this):
        raise UserError(f"Year: '{raw}' is not a year up to {this}, e.g. /opss review-plan {this}.")
    return int(raw)


def review_plan(ctx: Ctx, args: Args) -> Reply:
    allowed = exercise_rules.may_review_plan(ctx.actor)
    if not allowed:
        raise PermissionRefused("have the annual plan review pack", allowed.who_may, "plan")
    if len(args.words) > 1 or args.options:
        raise UserError("Usage: /opss review-plan [YYYY].")
    year = _year(ctx, args)
    links = tuple(
        (f"Download {fmt.upper()}", downloads.link(ctx, KIND, str(year), fmt)) for fmt in FORMATS
    )
    ctx.audit("plan_review.offered", "plan", str(year), None, {"formats": list(FORMATS)})
    text = (
        f"The plan's annual review pack for {year} (6.2): lessons and recommendations of the "
        "year's incidents and exercises by theme. Download it below."
    )
    card = Card(
        title=f"Annual review of the plan · {year}",
        subtitle="These links are for you alone: each works once, within 5 minutes.",
        links=links,
    )
    return Reply(text=text, card=card)


# The pack ---------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Entry:
    theme: str  # an aspect of 5.2, or ""
    line: str


def _mark(incident: Incident) -> str:
    return f"{incident.reference} (EXERCISE)" if incident.exercise else incident.reference


def pack_report(session: Session, year: int, reader: Person, now: datetime) -> Report:
    """The year's pack, at a constant number of queries (one each for incidents, lessons,
    reviews, recommendations, exercises and their injects)."""
    start = datetime(year, 1, 1, tzinfo=LONDON)
    end = datetime(year + 1, 1, 1, tzinfo=LONDON)
    incidents = list(
        session.scalars(
            select(Incident)
            .where(Incident.declared_at >= start, Incident.declared_at < end)
            .order_by(Incident.declared_at, Incident.id)
        )
    )
    by_id = {i.id: i for i in incidents}
    ids = set(by_id)
    lessons = session.execute(
        select(Lesson, Person.display_name)
        .join(Person, Person.id == Lesson.recorded_by_id)
        .where(Lesson.incident_id.in_(ids))
        .order_by(Lesson.incident_id, Lesson.number)
    ).tuples()
    reviews = {
        r.incident_id: r for r in session.scalars(select(Review).where(Review.incident_id.in_(ids)))
    }
    recommendations = session.execute(
        select(Recommendation, Review.incident_id, Action, Person.display_name)
        .join(Review, Review.id == Recommendation.review_id)
        .join(Action, Action.id == Recommendation.action_id)
        .join(Person, Person.id == Action.owner_id)
        .where(Review.incident_id.in_(ids))
        .order_by(Review.incident_id, Recommendation.number)
    ).tuples()
    exercises = list(
        session.scalars(
            select(Exercise)
            .where(Exercise.starts_at >= start, Exercise.starts_at < end)
            .order_by(Exercise.starts_at, Exercise.id)
        )
    )
    posted = dict(
        session.execute(
            select(ExerciseInject.exercise_id, func.count())
            .where(
                ExerciseInject.exercise_id.in_({e.id for e in exercises}),
                ExerciseInject.status == InjectStatus.POSTED,
            )
            .group_by(ExerciseInject.exercise_id)
        )
        .tuples()
        .all()
    )

    def review_state(incident_id: int) -> str:
        review = reviews.get(incident_id)
        return REVIEW_STATES[review.status] if review else "no review yet"

    entries: list[Entry] = []
    lesson_count = 0
    for lesson, recorder in lessons:
        incident = by_id[lesson.incident_id]
        lesson_count += 1
        entries.append(
            Entry(
                lesson.aspect,
                f"Lesson {lesson.number} of {_mark(incident)}: {lesson.text} · captured by "
                f"{recorder}, {show(lesson.recorded_at)} · {review_state(incident.id)}",
            )
        )
    for incident_id, review in reviews.items():
        for key, _ in REVIEW_ASPECTS:
            finding = (review.findings or {}).get(key)
            if finding:
                entries.append(
                    Entry(
                        key,
                        f"Review finding of {_mark(by_id[incident_id])}: {finding} · "
                        f"{REVIEW_STATES[review.status]}",
                    )
                )
    open_recs = done_recs = 0
    for rec, incident_id, action, owner in recommendations:
        done = action.status is ActionStatus.DONE
        done_recs += done
        open_recs += not done
        status = ACTION_LABELS.get(action.status, action.status.replace("_", " ").capitalize())
        if not done and action.due_at < now:
            status += " · OVERDUE"
        entries.append(
            Entry(
                rec.aspect,
                f"Recommendation {rec.number} of {_mark(by_id[incident_id])}: {rec.text} · "
                f"owner {owner} ({rec.team}) · action {action.reference}, due "
                f"{show(action.due_at)} · {status}",
            )
        )

    themed: dict[str, list[str]] = defaultdict(list)
    for entry in entries:
        themed[entry.theme if entry.theme in dict(REVIEW_ASPECTS) else ""].append(entry.line)
    sections: list[tuple[str, str]] = [
        (
            "About this pack",
            "The plan is reviewed every year to keep it fit for purpose, and lessons learned "
            "from invocations and feedback are reviewed for incorporation into it (6.2, 5.1, "
            "6.11). This pack gathers the lessons identified, the reviews' findings and the "
            f"recommendations of the incidents declared and the exercises played in {year}, "
            "by the aspects of the response the plan's review examines (5.2), each with its "
            "owner and status. Entries from exercises are marked EXERCISE.",
        ),
        ("Incidents and exercises", _register(incidents, exercises, by_id, posted, review_state)),
    ]
    for key, label in REVIEW_ASPECTS:
        if themed.get(key):
            sections.append((f"Theme: {label}", "\n".join(themed[key])))
    if themed.get(""):
        sections.append((f"Theme: {UNTHEMED}", "\n".join(themed[""])))
    if not entries:
        sections.append(("Lessons and recommendations", f"none recorded for {year}"))
    live = sum(1 for i in incidents if not i.exercise)
    facts = (
        ("Year", str(year)),
        ("Incidents", f"{live} live, {len(incidents) - live} EXERCISE"),
        ("Exercises", str(len(exercises))),
        ("Lessons identified", str(lesson_count)),
        ("Recommendations", f"{open_recs + done_recs} ({open_recs} open, {done_recs} done)"),
    )
    return Report(
        title=f"Annual review of the Incident Management Plan · {year}",
        subtitle="Lessons and recommendations of the year's incidents and exercises, by theme "
        "(plan 6.2)",
        facts=facts,
        sections=tuple(sections),
        incident=f"Incident Management Plan · annual review {year}",
        made_at=show(now),
        author=reader.display_name,
        subject=f"Annual plan review pack {year}",
    )


def _register(
    incidents: list[Incident],
    exercises: list[Exercise],
    by_id: dict[int, Incident],
    posted: dict[int, int],
    review_state: Any,
) -> str:
    lines = []
    for i in incidents:
        closed = f", closed {show(i.closed_at)}" if i.closed_at else ""
        lines.append(
            f"{_mark(i)} · {i.title} · declared {show(i.declared_at)}{closed} · "
            f"{STATUS_LABELS[Status(i.status)]} · {review_state(i.id)}"
        )
    for e in exercises:
        played = by_id.get(e.incident_id or 0)
        where = f" · played in {played.reference}" if played else ""
        lines.append(
            f"{e.reference} (EXERCISE) · {e.title} · {show(e.starts_at)} · "
            f"{EXERCISE_LABELS[e.status]}{where} · {posted.get(e.id, 0)} injects posted"
        )
    return "\n".join(lines) or "none"


def pack_file(
    db: Database, subject: str, fmt: str, person_name: str, now: datetime
) -> tuple[str, str, bytes] | str:
    """The pack a redeemed link grants (filename, media type, bytes), or why its person may
    no longer have it."""
    if fmt not in FORMATS or not subject.isdigit():
        return "This download is not available."
    with db.read() as session:
        person = repo.person_by_name(session, person_name)
        if person is None or not exercise_rules.may_review_plan(repo.actor_for(session, person)):
            return "Only IMT or a senior civil servant may have the annual plan review pack."
        report = pack_report(session, int(subject), person, now)
    content = documents.docx_bytes(report) if fmt == "docx" else documents.pdf_bytes(report)
    return f"plan-review-{subject}.{fmt}", FORMATS[fmt], content
