"""Re-escalation (plan 3.27): "the processes described in section 2 of this plan will be
followed". A de-escalated incident (or its monitoring group) is flagged for re-escalation;
its issue returns to CAM for a new impact assessment and a case conference; when a conference
decides to declare, the same incident comes back to its level. Nothing is copied: the issue,
its earlier conferences and decisions stay, and the new ones are added beside them.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from sqlalchemy import select

from cards.model import Field, Form
from commands.core.args import Args
from commands.core.context import Ctx, PermissionRefused, Reply, UserError
from commands.core.flows import Context, FormFlow
from commands.decision.log import record_decision
from commands.incident import standing
from commands.incident.card import refresh_card_and_log
from commands.issue.card import publish_issue_change
from commands.issue.ladder import move_issue
from commands.rhythm.battle_rhythm import STANDARD, apply_preset
from rules import stand_down
from rules.lifecycle import Stage
from rules.stand_down import LEVEL_LABELS, DeEscalationStatus, IncidentMove, Status
from storage.models import CaseConference, DeEscalation, Incident


def _incident(ctx: Ctx, reference: str | None) -> tuple[Incident, str, Status]:
    """The incident, the footing on which the caller may re-escalate it, and its next status."""
    incident = standing.load(ctx, reference, "reescalate", "re-escalations")
    allowed = stand_down.may_re_escalate(ctx.actor, standing.team_of(incident))
    if not allowed:
        raise PermissionRefused(
            f"re-escalate {incident.reference}", allowed.who_may, incident.reference
        )
    return incident, allowed.basis, standing.require_move(incident, IncidentMove.RE_ESCALATE)


def _prepare(ctx: Ctx, args: Args) -> tuple[Context, dict[str, Any]]:
    incident, _, _ = _incident(ctx, args.first())
    unknown = set(args.options) - {"reason"}
    if unknown:
        raise UserError(f"reescalate does not take --{unknown.pop()}; it takes --reason.")
    reason = (args.options.get("reason") or args.rest(1)).strip()
    return {"reference": incident.reference}, ({"reason": reason} if reason else {})


def _build(ctx: Ctx, context: Mapping[str, str]) -> Form:
    incident, _, _ = _incident(ctx, context.get("reference"))
    return Form(
        id="reescalate",
        title=f"Re-escalate · {incident.reference}",
        intro=(
            f"{incident.issue.reference} goes back to CAM for a new impact assessment and a "
            "case conference (plan 3.27, section 2); a decision to declare brings "
            f"{incident.reference} back to its level."
        ),
        submit_label="Re-escalate",
        fields=(Field("reason", "Why re-escalate", "multiline", required=True, max_length=3000),),
        context={"reference": incident.reference},
        exercise=incident.exercise,
    )


@dataclass(frozen=True)
class ReescalateValues:
    reason: str


def _apply(ctx: Ctx, context: Mapping[str, str], v: ReescalateValues) -> Reply:
    incident, basis, target = _incident(ctx, context.get("reference"))
    reason = v.reason.strip()
    issue = incident.issue
    before = {"status": incident.status}
    incident.status = target
    # Section 2 again: CAM may call a case conference (2.9) after a fresh assessment (2.4).
    move_issue(ctx, issue, Stage.CAM, basis=basis, justification=reason)
    decision = record_decision(
        ctx,
        kind="re_escalation",
        what=f"Re-escalate {incident.reference}: back through section 2 (assessment and a case "
        "conference)",
        rationale=reason,
        decided_by=f"{ctx.person.display_name}, as {basis}",
        group="imt",
        incident=incident,
    )
    ctx.audit(
        "incident.re_escalating",
        "incident",
        incident.reference,
        before,
        {"status": incident.status, "issue_stage": issue.stage, "decision": decision.reference},
    )
    text = (
        f"{incident.reference} flagged for re-escalation by {ctx.person.display_name}: "
        f"{reason}. {issue.reference} is back at CAM: assess it (/opss assess "
        f"{issue.reference}) and call a case conference (/opss conference {issue.reference}); "
        "its earlier conferences and decisions stay linked."
    )
    ctx.post(incident.channel_key, text)
    refresh_card_and_log(ctx, incident)
    publish_issue_change(ctx, issue, text, tell_imt=True)
    return Reply(text=text)


REESCALATE = FormFlow(
    "reescalate",
    _prepare,
    _build,
    _apply,
    prompt="Why re-escalate?",
    permit=lambda ctx, context: _incident(ctx, context.get("reference")),
    values=ReescalateValues,
)


def re_declare(ctx: Ctx, incident: Incident, conference: CaseConference) -> str:
    """A case conference decided to declare again: the incident returns to its level."""
    if incident.status != Status.RE_ESCALATING:
        raise UserError(
            f"{incident.issue.reference} is already incident {incident.reference} "
            f"({stand_down.STATUS_LABELS[standing.status_of(incident)].lower()}); to bring it back "
            f"up, first flag it with /opss reescalate {incident.reference}."
        )
    target = standing.require_move(incident, IncidentMove.RE_DECLARE)
    last = ctx.session.scalar(
        select(DeEscalation)
        .where(
            DeEscalation.incident_id == incident.id,
            DeEscalation.status == DeEscalationStatus.APPROVED,
        )
        .order_by(DeEscalation.id.desc())
        .limit(1)
    )
    before = {"status": incident.status, "level": incident.level}
    incident.status = target
    incident.level = last.from_level if last else "tactical"
    move_issue(ctx, incident.issue, Stage.DECLARED, basis=f"case conference {conference.reference}")
    decision = record_decision(
        ctx,
        kind="re_escalated",
        what=f"Re-escalate {incident.reference} to {LEVEL_LABELS[incident.level]} level",
        rationale=f"Case conference {conference.reference} decided to declare again (3.27, "
        "section 2).",
        decided_by=ctx.person.display_name,
        group="case_conference",
        incident=incident,
        conference_id=conference.id,
    )
    apply_preset(ctx, incident, STANDARD)
    ctx.audit(
        "incident.re_escalated",
        "incident",
        incident.reference,
        before,
        {"status": incident.status, "level": incident.level, "conference": conference.reference},
    )
    text = (
        f"{incident.reference} re-escalated to {LEVEL_LABELS[incident.level]} level by case "
        f"conference {conference.reference} ({decision.reference}); the standard battle rhythm "
        "is back."
    )
    ctx.post(incident.channel_key, text)
    refresh_card_and_log(ctx, incident)
    return text
