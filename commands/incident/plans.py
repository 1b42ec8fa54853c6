"""The incident's current plans as recorded: the SCG's strategy (plan 3.5-3.7) and the
stakeholder engagement plan (4.1), read for the use cases that version them and for the
summary card that shows them.
"""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from rules.command_and_control import STRATEGIC_FUNCTIONS, not_yet_informed
from rules.engagement import not_yet_engaged
from rules.timeparse import show
from storage.models import Engagement, EngagementPlan, Incident, Strategy


def current_strategy(session: Session, incident_id: int) -> Strategy | None:
    return session.scalar(
        select(Strategy)
        .where(Strategy.incident_id == incident_id)
        .order_by(Strategy.version.desc())
        .limit(1)
    )


def strategy_line(session: Session, incident: Incident) -> str | None:
    """The current strategy in one line, for the incident card and the TCG's reminders."""
    row = current_strategy(session, incident.id)
    if row is None:
        return None
    return f"v{row.version} ({show(row.recorded_at)}): {row.fields.get('aim', '')}"


def latest_plan(session: Session, incident_id: int) -> EngagementPlan | None:
    return session.scalar(
        select(EngagementPlan)
        .where(EngagementPlan.incident_id == incident_id)
        .order_by(EngagementPlan.version.desc())
        .limit(1)
    )


def engaged_names(session: Session, incident_id: int) -> list[str]:
    return list(
        session.scalars(
            select(Engagement.partner).where(Engagement.incident_id == incident_id).distinct()
        )
    )


def outstanding(session: Session, incident: Incident) -> list[str] | None:
    """Partners in the plan not yet engaged (None: no plan yet)."""
    plan = latest_plan(session, incident.id)
    if plan is None:
        return None
    return not_yet_engaged(plan.partners, engaged_names(session, incident.id))


def engagement_facts(session: Session, incident: Incident) -> list[tuple[str, str]]:
    plan = latest_plan(session, incident.id)
    if plan is None:
        return []
    facts = []
    if plan.fields.get("lead_department"):
        facts.append(("Lead department (4.5)", plan.fields["lead_department"]))
        facts.append(("OPSS's supporting role", plan.fields.get("opss_role", "")))
    left = outstanding(session, incident) or []
    facts.append(
        ("Engagement plan", f"v{plan.version}; {len(left)} of {len(plan.partners)} not yet engaged")
    )
    return facts


def strategic_functions_fact(session: Session, incident: Incident) -> tuple[str, str]:
    """3.17: "Strategic functions will be kept informed": which have been, from the log."""
    left = not_yet_informed(engaged_names(session, incident.id))
    told = len(STRATEGIC_FUNCTIONS) - len(left)
    if not left:
        return ("Strategic functions (3.17)", "all kept informed")
    return (
        "Strategic functions (3.17)",
        f"{told} of {len(STRATEGIC_FUNCTIONS)} informed; not yet: {', '.join(left)} (/opss engage)",
    )
