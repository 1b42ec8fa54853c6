"""Lessons identified (plan 5.1): captured at any time, by anyone in the incident, with who
and when, and gathered into the review under the aspects of 5.2.

/opss lesson INC-2026-001 <what we learned> [--aspect communications]
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from sqlalchemy import func, select

from cards.model import Card, Choice, Field, Form
from commands.core.args import Args
from commands.core.context import Ctx, Reply, UserError
from commands.core.flows import Context, FormFlow
from commands.incident import standing
from rules.stand_down import ASPECT_LABELS, REVIEW_ASPECTS
from rules.timeparse import show
from storage.models import Incident, Lesson

MAX_LESSON = 3000


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


def aspect_key(raw: str) -> str:
    """An aspect of the response (5.2) as typed ("communications", "Command and control
    structure") as its key; "" for none."""
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


def _incident(ctx: Ctx, reference: str | None) -> Incident:
    # Anyone in the incident (5.1): whoever may read it, by the project's read rule.
    return standing.load(ctx, reference, "lesson", "lessons")


def _prepare(ctx: Ctx, args: Args) -> tuple[Context, dict[str, Any]]:
    incident = _incident(ctx, args.first())
    values: dict[str, Any] = {}
    if len(args.words) > 1:
        values["text"] = args.rest(1)
    for name, value in args.options.items():
        if name != "aspect":
            raise UserError(f"lesson does not take --{name}; it takes --aspect.")
        values["aspect"] = aspect_key(value)
    return {"reference": incident.reference}, values


def _build(ctx: Ctx, context: Mapping[str, str]) -> Form:
    incident = _incident(ctx, context.get("reference"))
    return Form(
        id="lesson",
        title=f"Lesson · {incident.reference}",
        intro="A lesson identified, kept for the post-incident review (plan 5.1).",
        submit_label="Record lesson",
        fields=(
            Field("text", "What was learned", "multiline", required=True, max_length=MAX_LESSON),
            Field(
                "aspect",
                "Aspect of the response (5.2), if you can say",
                "choice",
                choices=tuple(Choice(k, label) for k, label in REVIEW_ASPECTS),
            ),
        ),
        context={"reference": incident.reference},
        exercise=incident.exercise,
    )


@dataclass(frozen=True)
class LessonValues:
    text: str
    aspect: str | None


def _apply(ctx: Ctx, context: Mapping[str, str], v: LessonValues) -> Reply:
    incident = _incident(ctx, context.get("reference"))
    text = v.text.strip()
    aspect = aspect_key(v.aspect or "")
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


LESSON = FormFlow(
    "lesson", _prepare, _build, _apply, prompt="What was learned?", values=LessonValues
)


def lessons_card(ctx: Ctx, incident: Incident) -> Card:
    rows = lessons_of(ctx, incident)
    return Card(
        title=f"Lessons identified · {incident.reference}",
        subtitle=f"{len(rows)} lesson{'s' if len(rows) != 1 else ''} (plan 5.1)",
        sections=(("Lessons", "\n".join(lesson_line(r) for r in rows) or "none yet"),),
        exercise=incident.exercise,
    )
