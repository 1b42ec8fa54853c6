"""The post-incident review (plan 3.28, 5.1-5.2): opened by IMT after closure, with the
aspects of 5.2 as headings, the lessons gathered and stakeholders' input; recommendations
allocated to teams (each followed up as an action); signed off, and its report kept.
Exercises (6.8-6.11) are reviewed the same way and stay marked EXERCISE.

/opss review INC-2026-001                 the review's card
/opss review INC-2026-001 open            the review form (IMT, after closure)
/opss review INC-2026-001 recommend       allocate a recommendation (a form)
/opss review INC-2026-001 signoff         sign it off (Head of IMT or a deputy director)
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date
from typing import Any

from sqlalchemy import func, select

from cards.model import Action as Button
from cards.model import Card, Choice, Field, Form
from commands.action import actions
from commands.core.args import Args
from commands.core.context import Ctx, PermissionRefused, Reply, UserError
from commands.core.flows import Context, FormFlow
from commands.incident import standing
from commands.incident.lessons import aspect_key, lesson_line, lessons_of
from commands.records import export
from rules import stand_down
from rules.stand_down import REVIEW_ASPECTS, ReviewStatus
from rules.timeparse import WhenError, parse_when, show
from storage.models import Action, Incident, Person, Recommendation, Review

ASPECT_LIMIT = 1_500
STATUS_LABELS = {
    ReviewStatus.SCHEDULED: "Scheduled",
    ReviewStatus.OPEN: "Open",
    ReviewStatus.SIGNED_OFF: "Signed off",
}


def _incident(ctx: Ctx, reference: str | None) -> Incident:
    return standing.load(ctx, reference, "review", "reviews")


def review_of(ctx: Ctx, incident: Incident) -> Review | None:
    return ctx.session.scalar(select(Review).where(Review.incident_id == incident.id))


def recommendations_of(ctx: Ctx, review: Review) -> list[tuple[Recommendation, Action]]:
    return list(
        ctx.session.execute(
            select(Recommendation, Action)
            .join(Action, Action.id == Recommendation.action_id)
            .where(Recommendation.review_id == review.id)
            .order_by(Recommendation.number)
        ).tuples()
    )


def _require_review(ctx: Ctx, incident: Incident) -> Review:
    review = review_of(ctx, incident)
    if review is None:
        raise UserError(
            f"{incident.reference} has no review scheduled; it is scheduled when the incident "
            f"closes (/opss close {incident.reference})."
        )
    return review


def _check_open(ctx: Ctx, incident: Incident) -> Review:
    allowed = stand_down.may_open_review(ctx.actor)
    if not allowed:
        raise PermissionRefused(
            f"open the review of {incident.reference}", allowed.who_may, incident.reference
        )
    review = _require_review(ctx, incident)
    problem = stand_down.review_may_open(standing.status_of(incident), review.status)
    if problem:
        raise UserError(f"{incident.reference}: {problem}.")
    return review


# /opss review INC ---------------------------------------------------------------------------


def review_verb(ctx: Ctx, args: Args) -> Reply:
    incident = _incident(ctx, args.first())
    sub = args.words[1].lower() if len(args.words) > 1 else "show"
    if sub in {"signoff", "sign-off", "sign_off"}:
        return sign_off(ctx, incident)
    if sub != "show":
        raise UserError(
            f"review takes show, open, recommend or signoff, e.g. /opss review "
            f"{incident.reference} open."
        )
    review = _require_review(ctx, incident)
    return Reply(text=f"Review of {incident.reference}", card=review_card(ctx, incident, review))


def review_card(ctx: Ctx, incident: Incident, review: Review) -> Card:
    status = review.status
    facts = [
        ("Status", STATUS_LABELS[status]),
        ("Scheduled for", show(review.scheduled_for)),
    ]
    for label, who_id, at in (
        ("Opened", review.opened_by_id, review.opened_at),
        ("Signed off", review.signed_off_by_id, review.signed_off_at),
    ):
        if at is not None:
            who = ctx.session.get(Person, who_id) if who_id else None
            facts.append((label, f"{who.display_name}, {show(at)}" if who else show(at)))
    sections: list[tuple[str, str]] = []
    if review.summary:
        sections.append(("Summary", review.summary))
    for key, label in REVIEW_ASPECTS:
        if review.findings.get(key):
            sections.append((label, review.findings[key]))
    if review.stakeholder_input:
        sections.append(("Stakeholders' input", review.stakeholder_input))
    lessons = lessons_of(ctx, incident)
    sections.append(("Lessons gathered", "\n".join(lesson_line(x) for x in lessons) or "none"))
    recs = recommendations_of(ctx, review)
    if recs:
        sections.append(
            (
                "Recommendations",
                "\n".join(
                    f"{r.number}. {r.text} · {r.team} · {a.reference}, "
                    f"{a.owner.display_name}, due {show(a.due_at)} ({a.status})"
                    for r, a in recs
                ),
            )
        )
    ref = incident.reference
    buttons: list[Button] = []
    if status is not ReviewStatus.SIGNED_OFF:
        buttons.append(
            Button(
                "Open review" if status is ReviewStatus.SCHEDULED else "Edit review",
                f"/opss review {ref} open",
            )
        )
    if status is ReviewStatus.OPEN:
        buttons.append(Button("Allocate a recommendation", f"/opss review {ref} recommend"))
        buttons.append(Button("Sign off", f"/opss review {ref} signoff"))
    buttons.append(Button("Export records", f"/opss export {ref}"))
    return Card(
        title=f"Post-incident review · {ref}",
        subtitle=incident.title,
        facts=tuple(facts),
        sections=tuple(sections),
        actions=tuple(buttons),
        exercise=incident.exercise,
    )


# The review form ----------------------------------------------------------------------------


def _prepare_open(ctx: Ctx, args: Args) -> tuple[Context, dict[str, Any]]:
    incident = _incident(ctx, args.first())
    _check_open(ctx, incident)
    return {"reference": incident.reference}, {}


def _build_open(ctx: Ctx, context: Mapping[str, str]) -> Form:
    incident = _incident(ctx, context.get("reference"))
    review = _require_review(ctx, incident)
    lessons = lessons_of(ctx, incident)
    by_aspect: dict[str, list[str]] = {}
    for row in lessons:
        by_aspect.setdefault(row.aspect, []).append(lesson_line(row))
    fields: list[Field] = [
        Field("summary", "Summary of the review", "multiline", required=True, max_length=3000)
    ]
    for key, label in REVIEW_ASPECTS:
        # The lessons tagged with an aspect are offered under its heading as a start.
        start = review.findings.get(key) or _within(by_aspect.get(key, []), ASPECT_LIMIT) or None
        # Twelve aspects at 1,500 characters keep the whole form inside a Teams card (28 KB).
        fields.append(Field(key, label, "multiline", max_length=ASPECT_LIMIT, value=start))
    fields.append(
        Field(
            "stakeholder_input",
            "Stakeholders' input (5.2)",
            "multiline",
            value=review.stakeholder_input or None,
        )
    )
    untagged = [lesson_line(x) for x in lessons if not x.aspect]
    intro = "Examine the response under the aspects of 5.2."
    if lessons:
        intro += f" {len(lessons)} lesson(s) gathered"
        intro += (": " + " / ".join(untagged)) if untagged else "; tagged ones are placed below."
    return Form(
        id="review",
        title=f"Review · {incident.reference}",
        intro=intro,
        submit_label="Save review",
        fields=tuple(fields),
        context={"reference": incident.reference},
        exercise=incident.exercise,
    ).prefilled({"summary": review.summary})


@dataclass(frozen=True)
class ReviewValues:
    summary: str
    # The aspects of 5.2, one field per item of REVIEW_ASPECTS.
    identification: str | None
    notification: str | None
    assessment: str | None
    mobilisation: str | None
    response_strategy: str | None
    policy: str | None
    legislation: str | None
    effectiveness: str | None
    command_and_control: str | None
    communications: str | None
    engagement: str | None
    stakeholder_relations: str | None
    stakeholder_input: str | None


def _apply_open(ctx: Ctx, context: Mapping[str, str], v: ReviewValues) -> Reply:
    incident = _incident(ctx, context.get("reference"))
    review = _check_open(ctx, incident)
    before = {
        "status": review.status,
        "findings": dict(review.findings),
        "summary": review.summary,
        "stakeholder_input": review.stakeholder_input,
    }
    review.findings = {k: getattr(v, k) or "" for k, _ in REVIEW_ASPECTS if getattr(v, k)}
    review.summary = v.summary
    review.stakeholder_input = v.stakeholder_input or ""
    if review.status == ReviewStatus.SCHEDULED:
        review.status = ReviewStatus.OPEN
        review.opened_at = ctx.now
        review.opened_by_id = ctx.person.id
    ctx.audit(
        "review.saved",
        "incident",
        incident.reference,
        before,
        {
            "status": review.status,
            "findings": review.findings,
            "summary": review.summary,
            "stakeholder_input": review.stakeholder_input,
        },
    )
    card = review_card(ctx, incident, review)
    text = f"Review of {incident.reference} saved by {ctx.person.display_name}."
    ctx.post(incident.channel_key, text, card)
    return Reply(text=text, card=card, ephemeral=False)


def _within(lines: list[str], limit: int) -> str:
    """The lessons offered as a finding's start, as many as its field takes: a start longer
    than the field could not be saved unchanged. A lesson cut short ends with "…"."""
    reserve = 60  # room for the note of those left out
    kept: list[str] = []
    used = 0
    for line in lines:
        if used + len(line) > limit - reserve:
            if not kept:  # one long lesson: as much of it as fits
                kept.append(line[: limit - reserve - 1] + "…")
            left = len(lines) - len(kept)
            if left:
                kept.append(f"({left} more lesson{'s' if left != 1 else ''} not copied here)")
            break
        kept.append(line)
        used += len(line) + 1
    return "\n".join(kept)


REVIEW = FormFlow(
    "review",
    _prepare_open,
    _build_open,
    _apply_open,
    prompt="The review (5.2).",
    permit=lambda ctx, context: _check_open(ctx, _incident(ctx, context.get("reference"))),
    values=ReviewValues,
)


# Recommendations ------------------------------------------------------------------------------


def _check_recommend(ctx: Ctx, incident: Incident) -> Review:
    allowed = stand_down.may_allocate_recommendation(ctx.actor)
    if not allowed:
        raise PermissionRefused(
            f"allocate recommendations of {incident.reference}'s review",
            allowed.who_may,
            incident.reference,
        )
    review = _require_review(ctx, incident)
    if review.status != ReviewStatus.OPEN:
        state = STATUS_LABELS[review.status].lower()
        raise UserError(
            f"The review of {incident.reference} is {state}: recommendations are allocated "
            f"while it is open (/opss review {incident.reference} open)."
        )
    return review


def _prepare_recommend(ctx: Ctx, args: Args) -> tuple[Context, dict[str, Any]]:
    incident = _incident(ctx, args.first())
    _check_recommend(ctx, incident)
    values: dict[str, Any] = {}
    for name, value in args.options.items():
        if name in {"text", "what"}:
            values["text"] = value
        elif name == "team":
            values["team"] = value
        elif name == "owner":
            values["owner"] = value.lstrip("@")
        elif name == "aspect":
            values["aspect"] = aspect_key(value)
        elif name == "due":
            try:
                due = parse_when(
                    value if " " in value else f"{value} {actions.DEFAULT_DUE_TIME}", ctx.now
                )
            except WhenError as exc:
                raise UserError(f"Due: {exc}", "date") from exc
            values["date"], values["time"] = due.strftime("%Y-%m-%d"), due.strftime("%H:%M")
        else:
            raise UserError(
                f"review recommend does not take --{name}; it takes --text, --team, --owner, "
                "--due and --aspect."
            )
    return {"reference": incident.reference}, values


def _build_recommend(ctx: Ctx, context: Mapping[str, str]) -> Form:
    incident = _incident(ctx, context.get("reference"))
    return Form(
        id="recommend",
        title=f"Recommendation · {incident.reference}",
        intro="Allocated to a team with an owner and a due date; followed up as an action (5.1).",
        submit_label="Allocate",
        fields=(
            Field("text", "Recommendation", "multiline", required=True, max_length=2000),
            Field("team", "Team", required=True, max_length=120),
            Field(
                "owner", "Owner", "person", required=True, max_length=200, placeholder="user name"
            ),
            Field("date", "Due date", "date", required=True),
            Field("time", "Due time (London; blank: 17:00)", "time"),
            Field(
                "aspect",
                "Aspect of the response it answers (5.2): its theme in the plan's annual review",
                "choice",
                choices=tuple(Choice(k, label) for k, label in REVIEW_ASPECTS),
            ),
        ),
        context={"reference": incident.reference},
        exercise=incident.exercise,
    )


@dataclass(frozen=True)
class RecommendValues:
    text: str
    team: str
    owner: str
    date: date
    time: str | None  # "HH:MM"
    aspect: str | None  # a key of REVIEW_ASPECTS: its theme in the annual review pack


def _apply_recommend(ctx: Ctx, context: Mapping[str, str], v: RecommendValues) -> Reply:
    incident = _incident(ctx, context.get("reference"))
    review = _check_recommend(ctx, incident)
    number = (
        ctx.session.scalar(
            select(func.max(Recommendation.number)).where(Recommendation.review_id == review.id)
        )
        or 0
    ) + 1
    # The recommendation is followed up as an action, assigned the usual way.
    actions.assign(
        ctx,
        None,
        incident,
        actions.ActionValues(
            what=f"Review recommendation {number} ({v.team}): {v.text}",
            owner=v.owner,
            date=v.date,
            time=v.time or actions.DEFAULT_DUE_TIME,
            standard=f"Post-incident review of {incident.reference}, allocated to {v.team}",
            group=None,
        ),
    )
    action = ctx.session.scalar(
        select(Action).where(Action.incident_id == incident.id).order_by(Action.id.desc()).limit(1)
    )
    assert action is not None
    row = Recommendation(
        review_id=review.id,
        number=number,
        text=v.text,
        team=v.team,
        aspect=v.aspect or "",
        action_id=action.id,
        created_by_id=ctx.person.id,
        created_at=ctx.now,
    )
    ctx.session.add(row)
    ctx.audit(
        "review.recommendation",
        "incident",
        incident.reference,
        None,
        {"number": number, "team": v.team, "action": action.reference, "text": v.text},
    )
    text = (
        f"Recommendation {number} of {incident.reference}'s review allocated to {v.team}: "
        f"action {action.reference} for {action.owner.display_name}, due {show(action.due_at)}."
    )
    return Reply(text=text, card=review_card(ctx, incident, review))


RECOMMEND = FormFlow(
    "recommend",
    _prepare_recommend,
    _build_recommend,
    _apply_recommend,
    prompt="Allocate a recommendation.",
    permit=lambda ctx, context: _check_recommend(ctx, _incident(ctx, context.get("reference"))),
    values=RecommendValues,
)


# Sign-off -------------------------------------------------------------------------------------


def sign_off(ctx: Ctx, incident: Incident) -> Reply:
    allowed = stand_down.may_sign_off_review(ctx.actor)
    if not allowed:
        raise PermissionRefused(
            f"sign off the review of {incident.reference}", allowed.who_may, incident.reference
        )
    review = _require_review(ctx, incident)
    if review.status != ReviewStatus.OPEN:
        raise UserError(
            f"The review of {incident.reference} is "
            f"{STATUS_LABELS[review.status].lower()}; only an open review is "
            "signed off."
        )
    review.status = ReviewStatus.SIGNED_OFF
    review.signed_off_at = ctx.now
    review.signed_off_by_id = ctx.person.id
    ctx.audit(
        "review.signed_off",
        "incident",
        incident.reference,
        {"status": "open"},
        {"status": review.status, "basis": allowed.basis},
    )
    # The report is kept: stored with the incident's records and posted.
    kept = export.keep(ctx, incident, export.review_documents(ctx, incident))
    text = (
        f"Review of {incident.reference} signed off by {ctx.person.display_name}. Its report "
        f"is kept: {', '.join(kept.names)}"
    )
    card = review_card(ctx, incident, review)
    ctx.post(incident.channel_key, text + ".", card)
    if kept.posted:
        return Reply(text=f"{text}, {kept.where()}.", card=card, ephemeral=False)
    # The report's links are for the person signing off alone; the card is in the channel.
    return Reply(text=f"{text}, {kept.where()}.", card=kept.card(incident))
