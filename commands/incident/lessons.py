"""Lessons identified (plan 5.1): captured at any time, by anyone in the incident, with who
and when, and gathered into the review under the aspects of 5.2.

/opss lesson INC-2026-001 <what we learned> [--aspect communications]
"""

from __future__ import annotations

from sqlalchemy import func, select

from cards.model import Card
from commands.args import Args
from commands.context import Ctx, Reply, UserError
from commands.incident import stand_down as common
from rules.stand_down import ASPECT_LABELS, REVIEW_ASPECTS
from rules.timeparse import show
from storage.models import Incident, Lesson

MAX_LESSON = 4000


def lessons_of(ctx: Ctx, incident: Incident) -> list[Lesson]:
    return list(
        ctx.session.scalars(
            select(Lesson).where(Lesson.incident_id == incident.id).order_by(Lesson.number)
        )
    )


def lesson_line(lesson: Lesson) -> str:
    aspect = f" [{ASPECT_LABELS[lesson.aspect]}]" if lesson.aspect in ASPECT_LABELS else ""
    return (
        f"Lesson {lesson.number}{aspect} · {lesson.recorded_by.display_name}, "
        f"{show(lesson.recorded_at)}: {lesson.text}"
    )


def _aspect(raw: str) -> str:
    wanted = raw.strip().lower().replace(" ", "_").replace("-", "_")
    if not wanted:
        return ""
    for key, label in REVIEW_ASPECTS:
        if wanted in {key, label.lower().replace(" ", "_")}:
            return key
    raise UserError(
        f"Aspect: '{raw}' is not one of the review's aspects (5.2): "
        + ", ".join(k for k, _ in REVIEW_ASPECTS)
        + ".",
        "aspect",
    )


def lesson(ctx: Ctx, args: Args) -> Reply:
    # Anyone in the incident (5.1): whoever may read it, by the project's read rule.
    incident = common.load(ctx, args.first(), "lesson", "lessons")
    text = args.rest(1).strip()
    if not text:
        raise UserError(
            f"Lesson: say what was learned, e.g. /opss lesson {incident.reference} The LA "
            "contact list was out of date --aspect notification.",
            "text",
        )
    if len(text) > MAX_LESSON:
        raise UserError(f"Lesson: at most {MAX_LESSON} characters, please.", "text")
    aspect = _aspect(args.options.get("aspect", ""))
    number = (
        ctx.session.scalar(select(func.max(Lesson.number)).where(Lesson.incident_id == incident.id))
        or 0
    ) + 1
    row = Lesson(
        incident_id=incident.id,
        number=number,
        text=text,
        aspect=aspect,
        recorded_by_id=ctx.person.id,
        recorded_at=ctx.now,
    )
    ctx.session.add(row)
    ctx.session.flush()
    row.recorded_by = ctx.person
    ctx.audit(
        "lesson.recorded",
        "incident",
        incident.reference,
        None,
        {"number": number, "aspect": aspect, "text": text},
    )
    reply = f"{lesson_line(row)} (recorded for {incident.reference}'s review)"
    ctx.post(incident.channel_key, reply)
    return Reply(text=reply)


def lessons_card(ctx: Ctx, incident: Incident) -> Card:
    rows = lessons_of(ctx, incident)
    return Card(
        title=f"Lessons identified · {incident.reference}",
        subtitle=f"{len(rows)} lesson{'s' if len(rows) != 1 else ''} (plan 5.1)",
        sections=(("Lessons", "\n".join(lesson_line(r) for r in rows) or "none yet"),),
        exercise=incident.exercise,
    )
