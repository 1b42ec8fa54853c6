"""The incident's summary card, pinned in its channel: where it stands, who holds what, the
strategy, the engagement plan, product risk and the decisions logged.

The card reads each part of the incident (``command_and_control.py``, ``standing.py``,
``plans.py``), and the use cases that change one edit the card in place with
``refresh_incident_card``: so the card imports no use case, and any use case may import it.
"""

from __future__ import annotations

from sqlalchemy.orm import Session

from cards.model import Action, Card
from commands.core.context import Ctx
from commands.decision.log import decision_log_anchor, decision_log_card
from commands.incident import standing
from commands.incident.command_and_control import holders_facts
from commands.incident.plans import engagement_facts, strategic_functions_fact, strategy_line
from commands.issue.card import ladder_position, visited_stages
from commands.notification.records import risk_fact
from rules import impact
from rules.lifecycle import Stage
from rules.stand_down import LEVEL_LABELS, STATUS_LABELS, Status
from rules.timeparse import show
from storage import repositories as repo
from storage.models import Incident


def incident_card(session: Session, incident: Incident) -> Card:
    facts: list[tuple[str, str]] = [
        ("Issue", incident.issue.reference),
        ("Command level", LEVEL_LABELS.get(incident.level, incident.level)),
        ("Status", STATUS_LABELS[incident.status]),
        ("Declared", show(incident.declared_at)),
    ]
    facts += standing.summary_facts(session, incident)
    facts += at_a_glance(session, incident)
    if incident.overall_impact:
        level = impact.Level(incident.overall_impact).label
        if incident.status == Status.DE_ESCALATED:  # says so, lest it read as the level now
            level += (
                ", as last rated (de-escalation lowers the command level; "
                f"/opss level {incident.reference} changes this)"
            )
        facts.append(("Response level", level))
    # Who holds what: the groups mobilised with their chairs, then the incident's roles.
    facts += holders_facts(session, incident)
    warning = ""
    if incident.erco_engaged:
        ert = "; ERT set up" if incident.erco_ert else ""
        by = f" by {incident.erco_engaged_by}" if incident.erco_engaged_by else ""
        when = f", {show(incident.erco_engaged_at)}" if incident.erco_engaged_at else ""
        facts.append(("DBT ERCO", f"engaged{by}{when}{ert} (3.17)"))
        if incident.erco_policy_owner:
            facts.append(
                (
                    "Policy owner outside DBT",
                    f"{incident.erco_policy_owner}: its equivalent body is likely to coordinate "
                    "the central government response (3.17)",
                )
            )
    elif incident.overall_impact and incident.overall_impact >= impact.Level.HIGH:
        warning = (
            "Impact is High or Critical: engage DBT ERCO (plan 3.17) and record it with "
            f"/opss erco {incident.reference}."
        )
    elif incident.erco_could_develop:
        warning = (
            "The incident could develop to be High or Critical: engage DBT ERCO (plan 3.17) and "
            f"record it with /opss erco {incident.reference}."
        )
    current = strategy_line(session, incident)
    facts.append(("SCG strategy", current or "not yet recorded"))
    facts += engagement_facts(session, incident)
    if incident.closed_at is None:
        facts.append(strategic_functions_fact(session, incident))
    product_risk = risk_fact(session, incident.reference)
    if product_risk is not None:
        facts.append(product_risk)
    decisions = repo.count_decisions(session, incident.issue_id)
    if decisions:
        facts.append(("Decisions logged", str(decisions)))
    ref = incident.reference
    closed = incident.closed_at is not None
    return Card(
        # An exercise's card says EXERCISE once, in the banner ``exercise`` draws.
        title=f"{ref} · {incident.title}",
        subtitle=f"Closed incident · closed {show(incident.closed_at)}"
        if incident.closed_at is not None
        else "Declared incident",
        facts=tuple(facts),
        ladder=ladder_position(Stage.DECLARED, None, visited_stages(session, incident.issue)),
        actions=(
            # Three buttons fit a narrow screen: the banner's way out and the next step first.
            *_three(
                *(() if closed else (Action("Record a decision", f"/opss decide {ref}"),)),
                *((Action("Record ERCO", f"/opss erco {ref}"),) if warning and not closed else ()),
                *standing.summary_buttons(session, incident),
                Action("Status", f"/opss status {ref}"),
            ),
        ),
        exercise=incident.exercise,
        warning="" if closed else warning,
    )


def at_a_glance(session: Session, incident: Incident) -> list[tuple[str, str]]:
    """Its actions and latest sitrep, as an incident summary shows them: the use cases that
    change either (an action assigned or done, the chase flagging one overdue, a sitrep
    published) refresh the card."""
    open_, overdue = repo.action_counts(session, incident.id)
    actions = (
        f"{open_} open" + (f", {overdue} overdue" if overdue else "") if open_ else "none open"
    )
    facts = [("Actions", actions)]
    latest = repo.latest_published_sitrep(session, incident.id)
    if latest is not None and latest.published_at is not None:
        facts.append(
            ("Latest sitrep", f"SITREP {latest.number}, published {show(latest.published_at)}")
        )
    return facts


def _three(*actions: Action) -> tuple[Action, ...]:
    return actions[:3]


def refresh_incident_card(ctx: Ctx, incident: Incident) -> None:
    """Edit the pinned summary card in place."""
    ctx.update(
        incident.channel_key,
        f"incident:{incident.reference}",
        f"Incident {incident.reference}",
        incident_card(ctx.session, incident),
    )


def refresh_card_and_log(ctx: Ctx, incident: Incident) -> None:
    """Edit the pinned summary card and decision log in place."""
    refresh_incident_card(ctx, incident)
    ctx.update(
        incident.channel_key,
        decision_log_anchor(incident),
        f"Decision log · {incident.reference}",
        decision_log_card(ctx.session, incident),
    )
