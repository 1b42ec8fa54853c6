"""Summary cards for an issue and an incident, showing where they stand on the ladder."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from cards.model import Action, Card
from commands.conference.forms import OUTCOME_LABELS
from commands.core.context import Ctx
from commands.issue.forms import SOURCE_LABELS
from commands.notification.records import risk_fact
from rules import impact
from rules.conferences import ConferenceStatus
from rules.lifecycle import LADDER, PARKED, STAGE_LABELS, Stage
from rules.timeparse import show
from storage import repositories as repo
from storage.models import Escalation, Issue, Person


def ladder_position(
    stage: Stage, before_parking: Stage | None, visited: set[Stage] | None = None
) -> tuple[tuple[str, ...], int]:
    """The rungs as the issue climbed them: a rung below the current one that it skipped
    (TTG straight to a case conference leaves out CAM-EP) is not shown as passed."""
    anchor = stage
    if stage in PARKED:
        anchor = before_parking if before_parking in LADDER else Stage.RAISED
    here = LADDER.index(anchor)
    shown = [s for i, s in enumerate(LADDER) if i >= here or visited is None or s in visited]
    return tuple(STAGE_LABELS[s] for s in shown), shown.index(anchor)


def visited_stages(session: Session, issue: Issue) -> set[Stage]:
    """Every stage the issue has been at, from its recorded moves."""
    rows = session.execute(
        select(Escalation.from_stage, Escalation.to_stage).where(Escalation.issue_id == issue.id)
    ).all()
    return {Stage.RAISED} | {Stage(s) for row in rows for s in row}


def issue_anchor(issue: Issue) -> str:
    return f"issue:{issue.reference}"


def publish_issue_change(ctx: Ctx, issue: Issue, text: str, *, tell_imt: bool = False) -> Card:
    """Say what changed where the command was typed, and edit the issue's card in place. In
    the caller's own chat with the bot the reply says it: one message, not two alike."""
    card = issue_card(ctx.session, issue)
    if not ctx.own_chat:
        ctx.post(ctx.here(), text)
    if tell_imt:
        ctx.post(ctx.options.imt_conversation, text)
    ctx.update(
        issue.origin_channel,
        issue_anchor(issue),
        f"{issue.reference}: {issue.title}",
        card,
        surface=issue.surface,
    )
    return card


def issue_card(
    session: Session, issue: Issue, ftl: Person | None = None, *, new: bool = False
) -> Card:
    """``ftl``: the area's FTL when the caller has already looked it up. ``new``: the issue was
    raised in this unit of work, so it has no assessments, conferences or incident to read."""
    stage = issue.stage
    before = issue.stage_before_parking
    facts: list[tuple[str, str]] = [
        ("Stage", STAGE_LABELS[stage]),
        ("Product(s)", issue.products),
        ("Hazard", issue.hazard),
        ("Source", SOURCE_LABELS.get(issue.source, issue.source)),
        ("Functional area", issue.functional_area),
    ]
    if ftl is None:
        ftl = repo.ftl_for_area(session, issue.functional_area)
    facts.append(("FTL", ftl.display_name if ftl else "none assigned"))
    facts.append(("Raised", f"{issue.raised_by.display_name}, {show(issue.raised_at)}"))
    badges: list[str] = []
    assessment = None if new else repo.latest_assessment(session, issue.id)
    if assessment is not None:
        overall = impact.Level(assessment.overall)
        current = assessment.stage_seq == issue.stage_seq
        at = STAGE_LABELS[assessment.stage]
        facts.append(
            (
                "Impact",
                f"{overall.label} (v{assessment.version}, at {at}"
                + ("" if current else "; reassess before escalating")
                + ")",
            )
        )
        if overall >= impact.Level.MEDIUM:
            badges.append("Response expected")
        if overall >= impact.Level.HIGH:
            badges.append("DBT ERCO to be engaged")
    else:
        facts.append(("Impact", "not yet assessed"))
    nnc_row = None if new else repo.latest_nnc(session, issue.id)
    if nnc_row is not None:
        met = [c["label"] for c in nnc_row.criteria["criteria"] if c["met"]]
        facts.append(("NNC", ", ".join(met) if met else "none met"))
    if issue.cam_ep_lead_id is not None:
        lead = session.get(Person, issue.cam_ep_lead_id)
        facts.append(("CAM-EP led by", f"{lead.display_name} (SCS, 2.13)" if lead else "-"))
    conference = None if new else repo.latest_conference(session, issue.id)
    if conference is not None:
        status = (
            "; ".join(OUTCOME_LABELS[o] for o in conference.outcomes or [])
            if conference.status == ConferenceStatus.HELD
            else f"cancelled ({conference.cancel_reason})"
            if conference.status == ConferenceStatus.CANCELLED
            else f"called for {show(conference.scheduled_for)}"
        )
        facts.append(("Case conference", f"{conference.reference}: {status}"))
    product_risk = None if new else risk_fact(session, issue.reference)
    if product_risk is not None:
        facts.append(product_risk)
    incident = None if new else repo.incident_for_issue(session, issue.id)
    if incident is not None:
        # Its conversation by the name the platform gave it, once made (no Slack "#": the
        # same card is shown in Teams, whose channels have none).
        bound = repo.binding(session, incident.surface, incident.channel_key)
        where = f" · {bound.name}" if bound is not None and bound.name else ""
        facts.append(("Incident", f"{incident.reference}{where}"))
    ref = issue.reference
    actions: list[Action] = []
    if stage not in PARKED and stage is not Stage.DECLARED:
        actions = [
            Action("Assess impact", f"/opss assess {ref}"),
            Action("NNC", f"/opss nnc {ref}"),
        ]
        if stage in {Stage.RAISED, Stage.FTL_ASSESSMENT, Stage.CAM, Stage.TTG, Stage.MONITORING}:
            actions.append(Action("Escalate", f"/opss escalate {ref}"))
        if stage in {Stage.CAM, Stage.TTG, Stage.CAM_EP, Stage.CASE_CONFERENCE}:
            actions.append(Action("Case conference", f"/opss conference {ref}"))
        if stage is Stage.CASE_CONFERENCE:
            actions.append(Action("Declare", f"/opss declare {ref}"))
    return Card(
        title=f"{ref} · {issue.title}",
        subtitle="Potential incident (issue)",
        badges=tuple(badges),
        facts=tuple(facts),
        ladder=ladder_position(
            stage, before, {Stage.RAISED} if new else visited_stages(session, issue)
        ),
        actions=tuple(actions),
    )
