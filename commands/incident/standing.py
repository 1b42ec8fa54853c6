"""What the stand-down verbs share: the incident's status, its named people, its summary facts.

The people who may approve a de-escalation are read from the incident's command team as the
declare form names it (``command_team``); per-incident roles recorded by command and control
replace that source where they exist.
"""

from __future__ import annotations

from dataclasses import replace

from sqlalchemy import select
from sqlalchemy.orm import Session, object_session

from cards.model import Action as Button
from commands.core.context import Ctx, UserError
from commands.core.lookup import find_incident
from rules import stand_down
from rules.action_chasing import ActionStatus
from rules.stand_down import (
    APPROVER_LABELS,
    Approver,
    CommandTeam,
    DeEscalationStatus,
    IncidentMove,
    Status,
)
from rules.timeparse import show
from storage import repositories as repo
from storage.models import Action, CaseConference, DeEscalation, Incident, Person


def load(ctx: Ctx, reference: str | None, verb: str, what: str) -> Incident:
    """The incident, for those who may read it (the read rule, ``commands/core/access.py``)."""
    return find_incident(ctx, reference, verb, what)


def team_of(incident: Incident) -> CommandTeam:
    """The incident's named people, with their names as people read them (one query)."""
    team = CommandTeam.of(incident.command_team)
    session = object_session(incident)
    named = [n for n in (team.imt_lead, team.tcg_chair, team.scg_chair) if n]
    if session is None or not named:
        return team
    rows = session.execute(
        select(Person.name, Person.display_name).where(Person.name.in_(named))
    ).tuples()
    return replace(team, names=tuple((n, shown) for n, shown in rows))


def status_of(incident: Incident) -> Status:
    return incident.status


def require_move(incident: Incident, move: IncidentMove) -> Status:
    try:
        return stand_down.transition(status_of(incident), move)
    except stand_down.MoveRefused as exc:
        raise UserError(f"{incident.reference}: {exc}") from exc


def pending_de_escalation(session: Session, incident: Incident) -> DeEscalation | None:
    return session.scalar(
        select(DeEscalation)
        .where(
            DeEscalation.incident_id == incident.id,
            DeEscalation.status == DeEscalationStatus.PROPOSED,
        )
        .order_by(DeEscalation.id.desc())
        .limit(1)
    )


def open_actions(session: Session, incident: Incident) -> list[Action]:
    return list(
        session.scalars(
            select(Action)
            .where(Action.incident_id == incident.id, Action.status == ActionStatus.OPEN)
            .order_by(Action.id)
        )
    )


def display(session: Session, name: str) -> str:
    person = repo.person_by_name(session, name) if name else None
    return person.display_name if person else (name or "not named")


def approvals_text(session: Session, plan: DeEscalation) -> str:
    given = {a["role"]: a for a in plan.approvals or []}
    parts = []
    for role in (Approver.IMT, Approver.TCG_CHAIR):
        label = APPROVER_LABELS[role]
        if role in given:
            parts.append(f"{label}: approved by {given[role]['name']}")
        else:
            parts.append(f"{label}: awaited")
    return "; ".join(parts)


def summary_facts(session: Session, incident: Incident) -> list[tuple[str, str]]:
    """Facts the summary card shows about standing the incident down."""
    facts: list[tuple[str, str]] = []
    if incident.closed_at is not None:
        facts.append(("Closed", show(incident.closed_at)))
    conferences = session.scalars(
        select(CaseConference)
        .where(CaseConference.issue_id == incident.issue_id)
        .order_by(CaseConference.id)
    ).all()
    if len(conferences) > 1:  # re-escalated: each conference of its history, in order
        facts.append(
            (
                "Case conferences",
                "; ".join(f"{c.reference} {c.status} {show(c.scheduled_for)}" for c in conferences),
            )
        )
    plan = pending_de_escalation(session, incident)
    if plan is not None:
        to = stand_down.LEVEL_LABELS.get(plan.to_level, plan.to_level)
        facts.append(("De-escalation to " + to, approvals_text(session, plan)))
    return facts


def summary_buttons(session: Session, incident: Incident) -> list[Button]:
    """One button for the next stand-down step, so the card's row fits a narrow screen; the
    decision log card carries *Export records*, the review card its own steps."""
    ref = incident.reference
    status = status_of(incident)
    if status is Status.ACTIVE:
        if pending_de_escalation(session, incident) is not None:
            return [Button("Approve de-escalation", f"/opss deescalate {ref} approve")]
        return [Button("De-escalate", f"/opss deescalate {ref}")]
    if status is Status.DE_ESCALATED:
        if pending_de_escalation(session, incident) is not None:
            return [Button("Approve de-escalation", f"/opss deescalate {ref} approve")]
        if incident.level != stand_down.NORMAL:  # closing follows the return to normal (3.26)
            return [Button("De-escalate", f"/opss deescalate {ref}")]
        return [Button("Close", f"/opss close {ref}")]
    if status is Status.CLOSED:
        return [Button("Review", f"/opss review {ref}")]
    return []


def person_named(ctx: Ctx, name: str, label: str, field: str) -> Person:
    person = repo.person_by_name(ctx.session, name)
    if person is None:
        raise UserError(f"{label}: no user '{name.strip().lstrip('@')}' is known.", field)
    return person
