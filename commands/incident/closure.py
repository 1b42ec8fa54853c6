"""Closure (plan 3.20, 3.26, 3.28): once IMT and the TCG chair, in consultation with the SCG,
have decided the return to normal operations (a de-escalation to normal, 3.26), IMT closes the
incident, with no open actions (or each handed over with a reason) and the post-incident
review scheduled. Closing stops the rhythm and the sitreps,
archives the channel, and the summary card says closed and when.

/opss close INC-2026-001 [--reason .. --review "YYYY-MM-DD HH:MM" --handover "ACT-..: .."]
/opss close ISS-2026-0001 nfa|la|monitoring --reason ..     (issues: see commands/issue/ladder.py)
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date
from typing import Any, ClassVar

from sqlalchemy import select

from cards.model import Card, Field, Form
from commands.core.args import Args
from commands.core.context import Ctx, PermissionRefused, Reply, UserError
from commands.core.flows import Context, FormFlow
from commands.decision.log import record_decision
from commands.incident import standing
from commands.incident.card import refresh_card_and_log
from commands.issue.card import publish_issue_change
from commands.rhythm import invitations, meetings
from commands.rhythm.battle_rhythm import active_events
from commands.sitrep.sitreps import schedule_of
from rules import stand_down
from rules.action_chasing import ActionStatus
from rules.references import parse_reference
from rules.stand_down import DeEscalationStatus, IncidentMove, ReviewStatus
from rules.timeparse import LONDON, WhenError, parse_when, show
from storage.models import Decision, DeEscalation, Incident, Review, RhythmEvent

HANDOVER_LINE = re.compile(r"^(?P<ref>[A-Za-z]+-\d{4}-\d+)\s*[:|-]\s*(?P<reason>.+)$")


def close_route(args: Args) -> FormFlow | None:
    """``close INC-…`` closes an incident (this form); ``close ISS-…`` parks an issue."""
    parsed = parse_reference(args.first() or "")
    return CLOSE if parsed is not None and parsed[0] == "incident" else None


def _incident(ctx: Ctx, reference: str | None) -> Incident:
    incident = standing.load(ctx, reference, "close", "closures")
    allowed = stand_down.may_close(ctx.actor, standing.team_of(incident))
    if not allowed:
        raise PermissionRefused(f"close {incident.reference}", allowed.who_may, incident.reference)
    require_return_to_normal(incident)
    standing.require_move(incident, IncidentMove.CLOSE)
    return incident


def require_return_to_normal(incident: Incident) -> None:
    refused = stand_down.close_refused(incident.status, incident.level, incident.reference)
    if refused:
        raise UserError(refused)


def _prepare(ctx: Ctx, args: Args) -> tuple[Context, dict[str, Any]]:
    incident = _incident(ctx, args.first())
    values: dict[str, Any] = {}
    for name, value in args.options.items():
        if name == "reason":
            values["rationale"] = value
        elif name == "review":
            try:
                when = parse_when(value, ctx.now)
            except WhenError as exc:
                raise UserError(f"Review: {exc}", "review_date") from exc
            values["review_date"], values["review_time"] = (
                when.strftime("%Y-%m-%d"),
                when.strftime("%H:%M"),
            )
        elif name == "handover":
            values["handover"] = value.replace(";", "\n")
        else:
            raise UserError(
                f"close does not take --{name} for an incident; it takes --reason, --review "
                "and --handover."
            )
    return {"reference": incident.reference}, values


def _build(ctx: Ctx, context: Mapping[str, str]) -> Form:
    incident = standing.load(ctx, context.get("reference"), "close", "closures")
    open_refs = [a.reference for a in standing.open_actions(ctx.session, incident)]
    review = _review(ctx, incident)
    intro = (
        "The return to normal operations has been decided (3.26); closing stops the battle "
        "rhythm and sitreps and archives the channel (3.28)."
    )
    if open_refs:
        intro += (
            f" Open actions: {', '.join(open_refs)}; mark them done, or hand each over below "
            "with a reason."
        )
    return Form(
        id="close_incident",
        title=f"Close · {incident.reference}",
        intro=intro,
        submit_label="Close incident",
        fields=(
            Field("rationale", "Why close now", "multiline", required=True, max_length=3000),
            Field(
                "handover",
                "Open actions handed over (one a line: ACT-2026-0001: to whom and why)",
                "multiline",
                max_length=3000,
            ),
            Field(
                "review_date",
                "Post-incident review: date (5.1)",
                "date",
                required=review is None,
                value=review.scheduled_for.astimezone(LONDON).strftime("%Y-%m-%d")
                if review
                else None,
            ),
            Field("review_time", "Review: time (London)", "time", required=review is None),
        ),
        context={"reference": incident.reference},
        exercise=incident.exercise,
    )


@dataclass(frozen=True)
class CloseValues:
    rationale: str
    handover: str | None
    review_date: date | None
    review_time: str | None  # "HH:MM"
    # Required only while no review is scheduled: once one is, they may be left empty.
    SOMETIMES_REQUIRED: ClassVar[frozenset[str]] = frozenset({"review_date", "review_time"})


def _return_to_normal(ctx: Ctx, incident: Incident) -> str:
    """The decision that returned the incident to normal operations (3.26), by reference."""
    found = ctx.session.scalar(
        select(Decision.reference)
        .join(DeEscalation, DeEscalation.decision_id == Decision.id)
        .where(
            DeEscalation.incident_id == incident.id,
            DeEscalation.status == DeEscalationStatus.APPROVED,
            DeEscalation.to_level == stand_down.NORMAL,
        )
        .order_by(DeEscalation.id.desc())
        .limit(1)
    )
    return found or ""


def _review(ctx: Ctx, incident: Incident) -> Review | None:
    return ctx.session.scalar(select(Review).where(Review.incident_id == incident.id))


def _handover(text: str) -> dict[str, str]:
    out: dict[str, str] = {}
    for number, raw in enumerate((text or "").splitlines(), start=1):
        line = raw.strip()
        if not line:
            continue
        m = HANDOVER_LINE.match(line)
        if m is None:
            raise UserError(
                f"Handover, line {number}: '{line}' is not ACT-2026-0001: to whom and why.",
                "handover",
            )
        out[m.group("ref").upper()] = m.group("reason").strip()
    return out


def _apply(ctx: Ctx, context: Mapping[str, str], v: CloseValues) -> Reply:
    incident = _incident(ctx, context.get("reference"))
    target = standing.require_move(incident, IncidentMove.CLOSE)
    open_rows = standing.open_actions(ctx.session, incident)
    handed = _handover(v.handover or "")
    unknown = sorted(set(handed) - {a.reference for a in open_rows})
    if unknown:
        raise UserError(
            f"Handover: {', '.join(unknown)} is not an open action of {incident.reference}.",
            "handover",
        )
    review = _review(ctx, incident)
    review_at = None
    if review is None and v.review_date:
        if not v.review_time:
            raise UserError("Review: time (London): give the review's time.", "review_time")
        try:
            review_at = parse_when(f"{v.review_date.isoformat()} {v.review_time}", ctx.now)
        except WhenError as exc:
            raise UserError(f"Review: {exc}", "review_date") from exc
        if review_at <= ctx.now:
            raise UserError(
                "Review: date: the review is scheduled for a time to come.", "review_date"
            )
    check = stand_down.closure_check(
        [a.reference for a in open_rows], handed, review is not None or review_at is not None
    )
    if not check.ok:
        raise UserError(check.message, check.field)
    for action in open_rows:
        action.status = ActionStatus.HANDED_OVER
        action.done_at = ctx.now
        action.done_by_id = ctx.person.id
        action.done_note = f"Handed over at closure: {handed[action.reference]}"
        ctx.audit(
            "action.handed_over",
            "action",
            action.reference,
            {"status": "open"},
            {"status": "handed_over", "reason": handed[action.reference]},
        )
    if review is None:
        assert review_at is not None
        review = Review(
            incident_id=incident.id,
            status=ReviewStatus.SCHEDULED,
            scheduled_for=review_at,
            scheduled_by_id=ctx.person.id,
            findings={},
        )
        ctx.session.add(review)
        ctx.audit(
            "review.scheduled",
            "incident",
            incident.reference,
            None,
            {"scheduled_for": review_at.isoformat()},
        )
    # Closing stops the rhythm and the sitreps (3.28).
    stopped = []
    events = active_events(ctx, incident)
    for event in events:
        event.active = False
        event.replaced_at = ctx.now
        event.next_run_at = None
        stopped.append(event.name)
    sitrep_row = schedule_of(ctx, incident)
    if sitrep_row is not None:
        sitrep_row.active = False
        sitrep_row.replaced_at = ctx.now
        sitrep_row.next_run_at = None
    pending = standing.pending_de_escalation(ctx.session, incident)
    if pending is not None:
        pending.status = DeEscalationStatus.WITHDRAWN
    normal = _return_to_normal(ctx, incident)
    decision = record_decision(
        ctx,
        kind="closure",
        what=f"Close incident {incident.reference}",
        rationale=v.rationale,
        decided_by=f"{ctx.person.display_name} for IMT",
        group="imt",
        incident=incident,
        evidence=(f"Return to normal operations decided in {normal}; " if normal else "")
        + f"Review scheduled for {show(review.scheduled_for)}"
        + (f"; handed over: {'; '.join(f'{k}: {r}' for k, r in handed.items())}" if handed else ""),
    )
    before = {"status": incident.status}
    incident.status = target
    incident.closed_at = ctx.now
    ctx.audit(
        "incident.closed",
        "incident",
        incident.reference,
        before,
        {
            "status": incident.status,
            "decision": decision.reference,
            "rhythm_stopped": stopped,
            "sitreps_stopped": sitrep_row is not None,
            "handed_over": handed,
        },
    )
    text = (
        f"{incident.reference} closed by {ctx.person.display_name} ({decision.reference}). "
        f"The battle rhythm and sitreps have stopped; the post-incident review is scheduled for "
        f"{show(review.scheduled_for)}. This channel is archived; the records stay available "
        f"with /opss export {incident.reference}."
    )
    # The closing posts and card edits go to the channel before it is archived.
    ctx.closing.add(incident.channel_key)
    ctx.post(incident.channel_key, text)
    refresh_card_and_log(ctx, incident)
    ctx.archive(incident.channel_key)
    publish_issue_change(ctx, incident.issue, text, tell_imt=True)
    _tell_meetings_cancelled(ctx, incident, events)
    return Reply(text=text)


def _tell_meetings_cancelled(ctx: Ctx, incident: Incident, events: list[RhythmEvent]) -> None:
    """The people the meetings were for hold their invitations: each is told, with the
    cancellations to take them out of their calendars (the channel is archived)."""
    if not events:
        return
    loaded = meetings.load(ctx.session, [incident.id])
    people: list[int] = []
    for event in events:
        people += [p for p in meetings.direct_to(loaded, incident, event) if p not in people]
    names = ", ".join(dict.fromkeys(e.name for e in events))
    text = (
        f"{incident.reference} is closed, so its meetings are cancelled: {names}. If they are in "
        "your calendar, take the cancellations to remove them."
    )
    card = Card(
        title=f"Meetings cancelled · {incident.reference}",
        subtitle=text,
        actions=(invitations.calendar_action(incident.reference, cancelled=True),),
        exercise=incident.exercise,
    )
    for person_id in people:
        ctx.tell(person_id, text, card, surface=incident.surface)


CLOSE = FormFlow(
    "close_incident",
    _prepare,
    _build,
    _apply,
    prompt="Close the incident.",
    permit=lambda ctx, context: _incident(ctx, context.get("reference")),
    values=CloseValues,
)
