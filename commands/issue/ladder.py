"""Moving an issue on the escalation ladder: escalate, close, hand to an LA, monitor, re-open.

TTG activates CAM-EP through its chair, naming the senior civil servant who leads it (2.12-2.13).
Where TTG, CAM-EP or a case conference holds an issue, that body decides whether it goes no
further, and the outcome is fed back to the originator (2.13, 2.19).
"""

from __future__ import annotations

from commands.core.args import Args
from commands.core.context import Ctx, PermissionRefused, Reply, UserError
from commands.core.lookup import declared_instead, find_issue
from commands.decision.log import record_decision
from commands.issue.card import publish_issue_change
from commands.issue.issues import snapshot
from rules import escalation, lifecycle, roles
from rules.lifecycle import STAGE_LABELS, Move, Stage
from rules.mi import days_between
from storage import repositories as repo
from storage.models import Escalation, Issue, Person

CLOSE_KINDS = {
    "nfa": Move.CLOSE_NFA,
    "no-further-action": Move.CLOSE_NFA,
    "la": Move.HAND_TO_LA,
    "la-led": Move.HAND_TO_LA,
    "monitoring": Move.RETURN_TO_MONITORING,
    "monitor": Move.RETURN_TO_MONITORING,
}


def move_issue(
    ctx: Ctx, issue: Issue, target: Stage, *, basis: str, justification: str = ""
) -> None:
    """Write the move, its history row and its audit event (one unit of work)."""
    before = snapshot(issue)
    source, stay_began = issue.stage, issue.stage_entered_at
    if target in lifecycle.PARKED and source not in lifecycle.PARKED:
        issue.stage_before_parking = source
    issue.stage = target
    issue.stage_seq += 1
    issue.stage_entered_at = ctx.now
    ctx.session.add(
        Escalation(
            issue_id=issue.id,
            from_stage=source,
            to_stage=target,
            moved_by_id=ctx.person.id,
            moved_at=ctx.now,
            stay_began_at=stay_began,
            stay_days=days_between(stay_began, ctx.now),
            basis=basis,
            justification=justification,
        )
    )
    after = snapshot(issue) | ({"justification": justification} if justification else {})
    ctx.audit("issue.moved", "issue", issue.reference, before, after)
    ctx.session.flush()


def require_preconditions(ctx: Ctx, issue: Issue, target: Stage, justification: str) -> None:
    """2.4 and 2.11 for a move up: a fresh impact assessment, and NNC out of CAM."""
    assessment = repo.latest_assessment(ctx.session, issue.id)
    nnc_row = repo.latest_nnc(ctx.session, issue.id)
    check = escalation.check(
        escalation.Evidence(
            stage=issue.stage,
            stage_seq=issue.stage_seq,
            latest_assessment_seq=assessment.stage_seq if assessment else None,
            nnc_any_met=nnc_row.any_met if nnc_row else None,
            justification=justification,
        ),
        target,
    )
    if not check.ok:
        raise UserError(check.message, "justification" if check.needs_justification else None)


def escalate(ctx: Ctx, args: Args) -> Reply:
    issue = find_issue(ctx.session, args.first(), "escalate")
    stage = issue.stage
    wanted = args.words[1].lower() if len(args.words) > 1 else None
    if wanted in {"conference", "case-conference", "case_conference", "cc"}:
        raise UserError(f"Call a case conference with /opss conference {issue.reference}.")
    if wanted is not None and wanted not in lifecycle.ESCALATION_TARGETS:
        raise UserError(
            f"'{wanted}' is not a rung to escalate to; use ftl, cam, ttg or cam-ep "
            "(a case conference is called with /opss conference)."
        )
    if wanted is None:
        ups = [t for t in lifecycle.allowed_moves(stage) if t.move is Move.ESCALATE]
        if not ups:
            raise UserError(lifecycle.refusal(stage, None, Move.ESCALATE))
        target = ups[0].target
    else:
        target = lifecycle.ESCALATION_TARGETS[wanted]
    try:
        lifecycle.transition(stage, Move.ESCALATE, target)
    except lifecycle.TransitionRefused as exc:
        raise UserError(str(exc)) from exc
    allowed = roles.may_move(ctx.actor, target.value, issue.functional_area)
    if not allowed:
        raise PermissionRefused(
            f"escalate {issue.reference} to {STAGE_LABELS[target]}",
            allowed.who_may,
            issue.reference,
        )
    unknown = sorted(set(args.options) - {"justification", "lead"})
    if unknown:
        raise UserError(
            f"escalate does not take --{unknown[0]}; it takes --justification and, to CAM-EP, "
            "--lead."
        )
    lead = _cam_ep_lead(ctx, args) if target is Stage.CAM_EP else None
    justification = args.options.get("justification", "")
    require_preconditions(ctx, issue, target, justification)
    move_issue(ctx, issue, target, basis=allowed.basis, justification=justification)
    text = f"{issue.reference} escalated from {STAGE_LABELS[stage]} to {STAGE_LABELS[target]}."
    if lead is not None:
        issue.cam_ep_lead_id = lead.id
        ctx.audit("issue.cam_ep_lead", "issue", issue.reference, None, {"lead": lead.name})
        text += f" CAM-EP is led by {lead.display_name} (SCS, 2.13)."
    if justification:
        text += f" Justification (no NNC criterion met): {justification}"
    card = publish_issue_change(ctx, issue, text, tell_imt=True)
    return Reply(text=text, card=card, ephemeral=False)


def _cam_ep_lead(ctx: Ctx, args: Args) -> Person:
    """2.13: "Led by the relevant senior civil servant (SCS), CAM-EP is activated by TTG"."""
    name = (args.options.get("lead") or "").strip().lstrip("@")
    if not name:
        raise UserError(
            "Lead: CAM-EP is led by the relevant senior civil servant (plan 2.13); name them "
            "with --lead <user>.",
            "lead",
        )
    person = repo.person_by_name(ctx.session, name)
    if person is None:
        raise UserError(f"Lead: no user '{name}' is known.", "lead")
    if not roles.may_lead_cam_ep(repo.actor_for(ctx.session, person)):
        raise UserError(
            f"Lead: {person.display_name} is not a senior civil servant; CAM-EP is led by "
            f"{roles.CAM_EP_LEAD_WHO}.",
            "lead",
        )
    return person


def cam_ep_lead(ctx: Ctx, issue: Issue) -> Person | None:
    return ctx.session.get(Person, issue.cam_ep_lead_id) if issue.cam_ep_lead_id else None


def close(ctx: Ctx, args: Args) -> Reply:
    issue = find_issue(ctx.session, args.first(), "close")
    kind = args.words[1].lower() if len(args.words) > 1 else ""
    if kind not in CLOSE_KINDS:
        raise UserError(
            "close needs how: nfa (no further action), la (hand to the local authority) or "
            f'monitoring, e.g. /opss close {issue.reference} nfa --reason "why".'
        )
    unknown = sorted(set(args.options) - {"reason", "feedback"})
    if unknown:
        raise UserError(
            f"close does not take --{unknown[0]} for an issue; it takes --reason and --feedback."
        )
    stage = issue.stage
    if stage is Stage.CASE_CONFERENCE:
        conference = repo.latest_conference(ctx.session, issue.id)
        cc = conference.reference if conference else "CC-…"
        raise UserError(
            f"{issue.reference} is held at a case conference, so whether OPSS takes no further "
            f"action is that conference's outcome (plan 2.19): IMT, its secretariat, or a deputy "
            f"director records it with /opss outcome {cc}, with the feedback to the originator. "
            "Nothing was changed."
        )
    reason = args.options.get("reason", "").strip()
    if not reason:
        raise UserError('Reason: say why, with --reason "...".', "reason")
    try:
        t = lifecycle.transition(stage, CLOSE_KINDS[kind])
    except lifecycle.TransitionRefused as exc:
        raise UserError(str(exc)) from exc
    lead = cam_ep_lead(ctx, issue)
    allowed = roles.may_park(
        ctx.actor, stage, t.target.value, issue.functional_area, lead.name if lead else None
    )
    if not allowed:
        raise PermissionRefused(
            f"move {issue.reference} to {STAGE_LABELS[t.target]}",
            allowed.who_may,
            issue.reference,
        )
    feedback = args.options.get("feedback", "").strip()
    held_by = roles.HELD_BY.get(stage)
    if held_by and t.target is not Stage.MONITORING and not feedback:
        raise UserError(
            f"Feedback to the originator: {issue.reference} is held at {held_by}, which decides "
            f"and must {roles.FEEDBACK_SOURCE}; record how and when the outcome was fed back, "
            'with --feedback "...".',
            "feedback",
        )
    move_issue(ctx, issue, t.target, basis=allowed.basis, justification=reason)
    what = f"{STAGE_LABELS[t.target]} ({issue.reference})"
    if feedback:
        what += f". Feedback to originator: {feedback}"
    group = {"TTG": "ttg", "CAM-EP": "cam_ep"}.get(held_by or "")
    record_decision(
        ctx,
        kind=t.target.value,
        what=what,
        rationale=reason,
        decided_by=f"{ctx.person.display_name} for {held_by}"
        if held_by
        else ctx.person.display_name,
        group=group or ("imt" if ctx.actor.has(roles.Role.IMT) else "other"),
        issue=issue,
    )
    text = f"{issue.reference}: {STAGE_LABELS[t.target]}"
    if held_by:
        text += f", decided for {held_by} by {ctx.person.display_name}"
    text += f". Reason: {reason}"
    if feedback:
        text += f" Feedback to the originator: {feedback}"
    card = publish_issue_change(ctx, issue, text, tell_imt=True)
    return Reply(text=text, card=card, ephemeral=False)


def reopen(ctx: Ctx, args: Args) -> Reply:
    issue = find_issue(ctx.session, args.first(), "reopen")
    stage = issue.stage
    if stage is Stage.DECLARED:
        raise UserError(declared_instead(ctx.session, issue, "re-opened"))
    before = issue.stage_before_parking
    try:
        target = lifecycle.reopen_target(stage, before)
    except lifecycle.TransitionRefused as exc:
        raise UserError(str(exc)) from exc
    allowed = roles.may_move(ctx.actor, "reopen", issue.functional_area)
    if not allowed:
        raise PermissionRefused(f"re-open {issue.reference}", allowed.who_may, issue.reference)
    reason = args.options.get("reason", "").strip()
    if not reason:
        raise UserError('Reason: say why it is re-opened, with --reason "...".', "reason")
    move_issue(ctx, issue, target, basis=allowed.basis, justification=reason)
    issue.stage_before_parking = None
    text = f"{issue.reference} re-opened at {STAGE_LABELS[target]}. Reason: {reason}"
    card = publish_issue_change(ctx, issue, text, tell_imt=True)
    return Reply(text=text, card=card, ephemeral=False)
