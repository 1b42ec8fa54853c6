"""De-escalation (plan 3.26-3.27): IMT's Incident De-escalation Plan, approved by IMT and the
TCG chair in consultation with the SCG. Until both approve, the incident stays at its level.

/opss deescalate INC-2026-001            the plan (a form)
/opss deescalate INC-2026-001 approve    one of the two approvals
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import select

from cards.model import Action as Button
from cards.model import Card, Choice, Field, Form
from commands.action import actions
from commands.core.args import Args
from commands.core.context import Ctx, EventSpec, PermissionRefused, Reply, UserError
from commands.core.flows import Context, FormFlow
from commands.decision.log import record_decision
from commands.incident import standing
from commands.incident.card import refresh_card_and_log
from commands.rhythm.battle_rhythm import active_events, add_event, apply_preset, rhythm_card
from rules import stand_down
from rules.stand_down import (
    APPROVER_LABELS,
    DE_ESCALATION_STATUS_LABELS,
    LEVEL_LABELS,
    Approver,
    DeEscalationStatus,
    IncidentMove,
)
from rules.timeparse import LONDON, WhenError, parse_when, show
from storage.models import Action, DeEscalation, Incident

REDUCED = "reduced"
RHYTHM_CHOICES = (
    Choice(REDUCED, "Reduced battle rhythm (recommended on de-escalating)"),
    Choice("keep", "Keep the current rhythm"),
    Choice("monitoring_only", "Monitoring group meeting only"),
)
# A monitoring group's lighter rhythm: one meeting a week (3.27).
MONITORING_MEETING = EventSpec(
    "Monitoring group",
    "monitoring",
    "wed",
    "10:00",
    30,
    30,
    "Residual activities; criteria for return to normal; any sign of re-escalation",
)
RESIDUAL_LINE = re.compile(r"^(?P<what>.+?)\s*\|\s*@?(?P<owner>[\w.-]+)\s*\|\s*(?P<due>.+)$")
RESIDUAL_HINT = "one a line: what | owner | due date, e.g. Monitor complaints | fatima | 2026-12-18"


def _incident(ctx: Ctx, reference: str | None) -> Incident:
    return standing.load(ctx, reference, "deescalate", "de-escalation plans")


def _check_propose(ctx: Ctx, incident: Incident) -> None:
    allowed = stand_down.may_propose_de_escalation(ctx.actor)
    if not allowed:
        raise PermissionRefused(
            f"propose the de-escalation of {incident.reference}",
            allowed.who_may,
            incident.reference,
        )
    standing.require_move(incident, IncidentMove.DE_ESCALATE)
    pending = standing.pending_de_escalation(ctx.session, incident)
    if pending is not None:
        raise UserError(
            f"{incident.reference} already has a de-escalation plan awaiting approval "
            f"({standing.approvals_text(ctx.session, pending)}). Approve it with /opss deescalate "
            f"{incident.reference} approve."
        )
    if not stand_down.lower_levels(incident.level):
        raise UserError(f"{incident.reference} is already at normal operations.")


def _prepare(ctx: Ctx, args: Args) -> tuple[Context, dict[str, Any]]:
    incident = _incident(ctx, args.first())
    _check_propose(ctx, incident)
    names = {
        "to": "to_level",
        "level": "to_level",
        "rationale": "rationale",
        "scg": "scg_consultation",
        "residual": "residual",
        "criteria": "criteria",
        "handover": "handover",
        "monitoring": "monitoring_group",
        "rhythm": "rhythm",
    }
    values: dict[str, Any] = {}
    for name, value in args.options.items():
        if name not in names:
            raise UserError(
                f"deescalate does not take --{name}; it takes --to, --rationale, --scg, "
                "--residual, --criteria, --handover, --monitoring and --rhythm."
            )
        values[names[name]] = value
    return {"reference": incident.reference}, values


@dataclass(frozen=True)
class DeescalateValues:
    to_level: str
    rationale: str
    scg_consultation: str
    residual: str | None
    criteria: str
    handover: str | None
    monitoring_group: bool
    rhythm: str


def plan_form(incident: Incident) -> Form:
    levels = tuple(Choice(v, LEVEL_LABELS[v]) for v in stand_down.lower_levels(incident.level))
    return Form(
        id="deescalate",
        title=f"De-escalation · {incident.reference}",
        intro=(
            f"The Incident De-escalation Plan (3.27). Now at "
            f"{LEVEL_LABELS.get(incident.level, incident.level)} level. It takes effect when IMT "
            "and the TCG chair have both approved, in consultation with the SCG (3.26)."
        ),
        submit_label="Propose de-escalation",
        fields=(
            Field(
                "to_level",
                "De-escalate to",
                "choice",
                required=True,
                choices=levels,
                value=levels[0].value if levels else None,
            ),
            Field("rationale", "Why de-escalate now", "multiline", required=True, max_length=3000),
            Field(
                "scg_consultation",
                "SCG consultation: who was consulted, when, and their view (3.26)",
                "multiline",
                required=True,
                max_length=3000,
            ),
            Field(
                "residual",
                "Residual activities (they become actions)",
                "multiline",
                max_length=3000,
                placeholder=RESIDUAL_HINT,
                help=RESIDUAL_HINT,
            ),
            Field(
                "criteria",
                "Criteria for return to normal",
                "multiline",
                required=True,
                max_length=3000,
            ),
            Field("handover", "Handover (to whom, what)", "multiline", max_length=3000),
            Field(
                "monitoring_group",
                "Create a monitoring group with a weekly meeting (3.27)",
                "toggle",
                value=False,
            ),
            Field(
                "rhythm",
                "Battle rhythm after de-escalation",
                "choice",
                required=True,
                choices=RHYTHM_CHOICES,
                value=REDUCED,
            ),
        ),
        context={"reference": incident.reference},
        exercise=incident.exercise,
    )


def _build(ctx: Ctx, context: Mapping[str, str]) -> Form:
    return plan_form(_incident(ctx, context.get("reference")))


def parse_residual(ctx: Ctx, text: str) -> list[dict[str, str]]:
    """Each line: what | owner | due. Checked now, so a bad line is named before approval."""
    rows: list[dict[str, str]] = []
    for number, raw in enumerate((text or "").splitlines(), start=1):
        line = raw.strip()
        if not line:
            continue
        m = RESIDUAL_LINE.match(line)
        if m is None:
            raise UserError(
                f"Residual activities, line {number}: '{line}' is not what | owner | due "
                f"({RESIDUAL_HINT}).",
                "residual",
            )
        owner = m.group("owner")
        standing.person_named(ctx, owner, f"Residual activities, line {number}", "residual")
        due_text = m.group("due").strip()
        try:
            due = parse_when(
                due_text if " " in due_text else f"{due_text} {actions.DEFAULT_DUE_TIME}", ctx.now
            )
        except WhenError as exc:
            raise UserError(f"Residual activities, line {number}: {exc}", "residual") from exc
        if due <= ctx.now:
            raise UserError(
                f"Residual activities, line {number}: the due date {due_text} has passed.",
                "residual",
            )
        rows.append({"what": m.group("what").strip(), "owner": owner, "due": due.isoformat()})
    return rows


def _apply(ctx: Ctx, context: Mapping[str, str], v: DeescalateValues) -> Reply:
    incident = _incident(ctx, context.get("reference"))
    _check_propose(ctx, incident)
    if v.to_level not in stand_down.lower_levels(incident.level):
        raise UserError(
            f"De-escalate to: choose a level below {LEVEL_LABELS.get(incident.level)}.",
            "to_level",
        )
    plan = DeEscalation(
        incident_id=incident.id,
        status=DeEscalationStatus.PROPOSED,
        from_level=incident.level,
        to_level=v.to_level,
        rationale=v.rationale,
        scg_consultation=v.scg_consultation,
        residual=parse_residual(ctx, v.residual or ""),
        criteria=v.criteria,
        handover=v.handover or "",
        monitoring_group=v.monitoring_group,
        rhythm=v.rhythm or REDUCED,
        approvals=[],
        proposed_by_id=ctx.person.id,
        proposed_at=ctx.now,
    )
    ctx.session.add(plan)
    ctx.session.flush()
    ctx.audit(
        "de_escalation.proposed",
        "incident",
        incident.reference,
        {"level": incident.level},
        {"to_level": plan.to_level, "residual": len(plan.residual), "plan": plan.id},
    )
    card = plan_card(ctx, incident, plan)
    text = (
        f"De-escalation of {incident.reference} to {LEVEL_LABELS[plan.to_level]} proposed by "
        f"{ctx.person.display_name}. It needs approval from IMT and the TCG chair (3.26)."
    )
    ctx.post(incident.channel_key, text, card, anchor=plan_anchor(plan))
    refresh_card_and_log(ctx, incident)
    return Reply(text=text, card=card, ephemeral=False)


DEESCALATE = FormFlow(
    "deescalate",
    _prepare,
    _build,
    _apply,
    prompt="The Incident De-escalation Plan.",
    permit=lambda ctx, context: _check_propose(ctx, _incident(ctx, context.get("reference"))),
    values=DeescalateValues,
)


def plan_anchor(plan: DeEscalation) -> str:
    return f"deescalation:{plan.id}"


def plan_card(ctx: Ctx, incident: Incident, plan: DeEscalation) -> Card:
    # One fact per residual activity: each reads as its own row on every surface.
    residual = [
        (
            f"Residual {n}",
            f"{r['what']} · {standing.display(ctx.session, r['owner'])} · due "
            f"{show(datetime.fromisoformat(r['due']))}",
        )
        for n, r in enumerate(plan.residual, start=1)
    ]
    facts = [
        ("From", LEVEL_LABELS.get(plan.from_level, plan.from_level)),
        ("To", LEVEL_LABELS.get(plan.to_level, plan.to_level)),
        ("Status", DE_ESCALATION_STATUS_LABELS[plan.status]),
        ("Approvals", standing.approvals_text(ctx.session, plan)),
        ("Monitoring", "a monitoring group, meeting weekly" if plan.monitoring_group else "none"),
        ("Battle rhythm", next(c.title for c in RHYTHM_CHOICES if c.value == plan.rhythm)),
    ]
    team = standing.team_of(incident)
    facts.append(
        (
            "Who approves",
            f"for IMT, {standing.display(ctx.session, team.imt_lead)} (IMT lead) or the Head of "
            f"IMT; as TCG chair, {standing.display(ctx.session, team.tcg_chair)}",
        )
    )
    facts += residual or [("Residual activities", "none")]
    return Card(
        title=f"Incident De-escalation Plan · {incident.reference}",
        subtitle=incident.title,
        facts=tuple(facts),
        sections=(
            ("Why now", plan.rationale),
            ("SCG consultation", plan.scg_consultation),
            ("Criteria for return to normal", plan.criteria),
            ("Handover", plan.handover or "none"),
        ),
        actions=(
            Button("Approve", f"/opss deescalate {incident.reference} approve"),
            Button("Withdraw", f"/opss deescalate {incident.reference} withdraw"),
        )
        if plan.status == DeEscalationStatus.PROPOSED
        else (),
        exercise=incident.exercise,
    )


def approve(ctx: Ctx, args: Args) -> Reply:
    incident = _incident(ctx, args.first())
    plan = standing.pending_de_escalation(ctx.session, incident)
    if plan is None:
        raise UserError(
            f"{incident.reference} has no de-escalation plan awaiting approval; propose one "
            f"with /opss deescalate {incident.reference}."
        )
    team = standing.team_of(incident)
    given = [(Approver(a["role"]), a["person"]) for a in plan.approvals]
    allowed, role = stand_down.approval_role(ctx.actor, team, given)
    if not allowed or role is None:
        raise PermissionRefused(
            f"approve the de-escalation of {incident.reference}",
            allowed.who_may,
            incident.reference,
            why=allowed.why,
        )
    plan.approvals = [
        *plan.approvals,
        {
            "role": role.value,
            "person": ctx.person.name,
            "name": ctx.person.display_name,
            "basis": allowed.basis,
            "at": ctx.now.isoformat(),
        },
    ]
    ctx.audit(
        "de_escalation.approved",
        "incident",
        incident.reference,
        None,
        {"plan": plan.id, "role": role.value, "basis": allowed.basis},
    )
    label = APPROVER_LABELS[role]
    if len({a["role"] for a in plan.approvals}) < len(Approver):
        awaited = [APPROVER_LABELS[r] for r in Approver if r != role]
        who = standing.display(ctx.session, team.tcg_chair) if role is Approver.IMT else "IMT"
        text = (
            f"{ctx.person.display_name} approved the de-escalation of {incident.reference} as "
            f"{label}. Awaiting the {awaited[0]} ({who}); until then {incident.reference} stays "
            f"at {LEVEL_LABELS.get(incident.level, incident.level)} level."
        )
        ctx.post(incident.channel_key, text)
        ctx.update(incident.channel_key, plan_anchor(plan), text, plan_card(ctx, incident, plan))
        refresh_card_and_log(ctx, incident)
        return Reply(text=text)
    return _take_effect(ctx, incident, plan)


def _take_effect(ctx: Ctx, incident: Incident, plan: DeEscalation) -> Reply:
    target = standing.require_move(incident, IncidentMove.DE_ESCALATE)
    before = {"status": incident.status, "level": incident.level}
    incident.status = target
    incident.level = plan.to_level
    names = {a["role"]: a["name"] for a in plan.approvals}
    decision = record_decision(
        ctx,
        kind="de_escalation",
        what=f"De-escalate {incident.reference} from {LEVEL_LABELS.get(plan.from_level)} to "
        f"{LEVEL_LABELS[plan.to_level]}",
        rationale=stand_down.with_consultation(plan.rationale, plan.scg_consultation),
        decided_by=f"IMT ({names[Approver.IMT]}) and the TCG chair ({names[Approver.TCG_CHAIR]}),"
        " in consultation with the SCG",
        group="imt",
        incident=incident,
        evidence=f"Criteria for return to normal: {plan.criteria}",
    )
    plan.status = DeEscalationStatus.APPROVED
    plan.decided_at = ctx.now
    plan.decision_id = decision.id
    created = []
    for row in plan.residual:
        due = datetime.fromisoformat(row["due"])
        actions.ACTION.apply(
            ctx,
            {"reference": incident.reference},
            actions.ActionValues(
                what=f"Residual activity (de-escalation): {row['what']}",
                owner=row["owner"],
                date=due.astimezone(LONDON).date(),
                time=due.astimezone(LONDON).strftime("%H:%M"),
                standard=f"Incident De-escalation Plan, {decision.reference}",
                group=None,
            ),
        )
        created.append(_latest_action(ctx, incident))
    if plan.rhythm == REDUCED:
        apply_preset(ctx, incident, REDUCED)
    elif plan.rhythm == "monitoring_only":
        stand_rhythm_down(ctx, incident)
    if plan.monitoring_group or plan.rhythm == "monitoring_only":
        add_event(ctx, incident, MONITORING_MEETING)
    ctx.audit(
        "incident.de_escalated",
        "incident",
        incident.reference,
        before,
        {
            "status": incident.status,
            "level": incident.level,
            "decision": decision.reference,
            "actions": created,
            "monitoring_group": plan.monitoring_group,
            "rhythm": plan.rhythm,
        },
    )
    text = (
        f"{incident.reference} de-escalated to {LEVEL_LABELS[plan.to_level]} ({decision.reference})"
        f", approved by {names[Approver.IMT]} for IMT and {names[Approver.TCG_CHAIR]} as TCG "
        "chair."
        + (f" Residual activities are actions {', '.join(created)}." if created else "")
        + (" A monitoring group meets weekly." if plan.monitoring_group else "")
    )
    ctx.post(incident.channel_key, text)
    ctx.update(incident.channel_key, plan_anchor(plan), text, plan_card(ctx, incident, plan))
    if plan.rhythm != "keep" or plan.monitoring_group:
        ctx.post(
            incident.channel_key,
            f"Battle rhythm of {incident.reference}",
            rhythm_card(ctx, incident),
        )
    refresh_card_and_log(ctx, incident)
    return Reply(text=text)


def stand_rhythm_down(ctx: Ctx, incident: Incident) -> None:
    """Stand the whole rhythm down; the monitoring group's meeting is added after."""
    for old in active_events(ctx, incident):
        old.active = False
        old.replaced_at = ctx.now
        old.next_run_at = None


def _latest_action(ctx: Ctx, incident: Incident) -> str:
    found = ctx.session.scalar(
        select(Action.reference)
        .where(Action.incident_id == incident.id)
        .order_by(Action.id.desc())
        .limit(1)
    )
    return found or ""


def withdraw(ctx: Ctx, args: Args) -> Reply:
    """``/opss deescalate INC withdraw``: IMT withdraws a plan not yet approved by both."""
    incident = _incident(ctx, args.first())
    allowed = stand_down.may_propose_de_escalation(ctx.actor)
    if not allowed:
        raise PermissionRefused(
            f"withdraw the de-escalation plan of {incident.reference}",
            allowed.who_may,
            incident.reference,
        )
    plan = standing.pending_de_escalation(ctx.session, incident)
    if plan is None:
        raise UserError(f"{incident.reference} has no de-escalation plan awaiting approval.")
    plan.status = DeEscalationStatus.WITHDRAWN
    plan.decided_at = ctx.now
    ctx.audit(
        "de_escalation.withdrawn",
        "incident",
        incident.reference,
        {"plan": plan.id, "status": "proposed"},
        {"plan": plan.id, "status": "withdrawn"},
    )
    text = (
        f"The de-escalation plan for {incident.reference} was withdrawn by "
        f"{ctx.person.display_name}; the incident stays at "
        f"{LEVEL_LABELS.get(incident.level, incident.level)} level."
    )
    ctx.post(incident.channel_key, text)
    ctx.update(incident.channel_key, plan_anchor(plan), text, plan_card(ctx, incident, plan))
    refresh_card_and_log(ctx, incident)
    return Reply(text=text)
