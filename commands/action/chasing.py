"""Actions that chase themselves (plan 3.7, 3.10): a due source of the scheduler's tick.

Each open action of an incident is reminded before it is due (24 h and 2 h by default,
``OPSS_ACTION_REMINDERS``), in the incident's channel and directly to its owner where they
have an account on the incident's surface (its messenger finds their direct conversation);
at the due time it is flagged overdue and escalated once, to the TCG chair (or the IMT
channel where no TCG is open), and its owner is told directly too. ``Action.next_run_at``
is the scheduler's cursor, so the source keeps the contract of ``commands/schedule.py``: a
batch of due actions costs a constant number of statements (its firings claimed with one
statement, owners, chairs and where they can be reached read with one query each, posts and
audit events inserted by the tick in bulk).

Each reminder and the overdue flag is a firing under a unique key (``action:<id>``, step,
due time): handled once whatever the number of processes or restarts. A reminder found more
than the grace period late is recorded as missed, as meeting reminders are; the overdue flag
and its escalation always happen.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import select

from cards.model import Card
from commands.action.card import action_buttons, status_label
from commands.core.context import Options
from commands.core.people import reachable
from commands.incident.card import refresh_incident_card
from commands.schedule import Batch, DueSource, Fire
from rules import action_chasing as rule
from rules.action_chasing import ActionStatus
from rules.firing import FireStatus
from rules.timeparse import show
from storage import repositories as repo
from storage.models import Action, Incident, IncidentGroup, Person


def schedule_chase(action: Action, now: datetime, options: Options) -> None:
    """Start chasing a new action from ``now``."""
    action.chased_until = now
    # Only an incident's actions are chased: they have a channel to be chased in.
    action.next_run_at = (
        rule.next_after(action.due_at, options.action_reminders, now)
        if action.incident_id is not None
        else None
    )


def chase_actions(batch: Batch, actions: list[Action]) -> None:
    """The due source's handler: every reminder and overdue flag due for these actions."""
    now, options = batch.now, batch.options
    incidents = batch.incidents(a.incident_id for a in actions if a.incident_id is not None)
    chairs: dict[int, Person] = {}
    for incident_id, person in batch.session.execute(
        select(IncidentGroup.incident_id, Person)
        .join(Person, Person.id == IncidentGroup.chair_id)
        .where(
            IncidentGroup.incident_id.in_(incidents),
            IncidentGroup.kind == "tcg",
            IncidentGroup.closed_at.is_(None),
        )
        .order_by(IncidentGroup.id)
    ).tuples():
        chairs.setdefault(incident_id, person)
    owners = {
        p.id: p
        for p in batch.session.scalars(
            select(Person).where(Person.id.in_({a.owner_id for a in actions}))
        )
    }
    accounts = reachable(batch.session, [*owners, *(p.id for p in chairs.values())])
    planned: list[tuple[Action, rule.Step, Fire]] = []
    for action in actions:
        after = action.chased_until or action.assigned_at
        for step in rule.due_between(action.due_at, options.action_reminders, after, now):
            status = batch.status(step.at)
            if step.name == rule.OVERDUE and status == FireStatus.MISSED:
                status = FireStatus.LATE  # an overdue action is always flagged and escalated
            if action.incident_id is not None:
                fire = Fire(action.incident_id, f"action:{action.id}", step.name, step.at, status)
                planned.append((action, step, fire))
        action.chased_until = now
        action.next_run_at = rule.next_after(action.due_at, options.action_reminders, now)
    claimed = batch.claim([fire for _, _, fire in planned])
    flagged: dict[int, Incident] = {}
    for action, step, fire in planned:
        if fire.key not in claimed:
            continue
        assert fire.incident_id is not None  # planned only for an action of an incident
        incident = incidents[fire.incident_id]
        owner = owners[action.owner_id]
        if step.name == rule.OVERDUE:
            _overdue(batch, incident, action, owner, chairs.get(incident.id), accounts, fire)
            flagged[incident.id] = incident
            batch.result.posted += 1
        elif fire.status == FireStatus.MISSED:
            batch.result.missed += 1
        else:
            _remind(batch, incident, action, owner, accounts, late=fire.status == FireStatus.LATE)
            batch.result.posted += 1
            batch.result.late += fire.status == FireStatus.LATE
        batch.result.handled.append(f"{action.reference} {step.name} {fire.status}")
    if flagged:
        # The posts so far go in with one executemany per table before the cards' queries
        # flush the session (which would insert them one by one); then each incident's card,
        # once per incident, not per action, counts the overdue.
        repo.insert_new_in_bulk(batch.session)
    for incident in flagged.values():
        refresh_incident_card(batch.ctx(incident), incident)


def _when(delta: timedelta) -> str:
    minutes = max(int(delta.total_seconds() // 60), 0)
    if minutes >= 120 and minutes % 60 == 0:
        return f"{minutes // 60} h"
    if minutes >= 60:
        return f"{minutes // 60} h {minutes % 60} min"
    return f"{minutes} min"


def _label(incident: Incident, text: str) -> str:
    return ("EXERCISE · " if incident.exercise else "") + text  # as in the incident's channel


def _tell(
    batch: Batch,
    incident: Incident,
    person: Person,
    reach: set[tuple[int, str]],
    text: str,
    card: Card,
) -> None:
    """Written to directly where they have an account on the incident's surface."""
    if (person.id, incident.surface) in reach:
        batch.ctx(incident).tell(person.id, _label(incident, text), card)


def _remind(
    batch: Batch,
    incident: Incident,
    action: Action,
    owner: Person,
    accounts: set[tuple[int, str]],
    *,
    late: bool,
) -> None:
    left = _when(action.due_at - batch.now)
    text = (
        f"Reminder: {action.reference} for {owner.display_name} is due in {left} "
        f"({show(action.due_at)}): {action.what}" + (" (late)" if late else "")
    )
    card = chase_card(action, owner, incident, f"Reminder: due in {left}")
    batch.post(incident, text, card)
    _tell(batch, incident, owner, accounts, text, card)


def _overdue(
    batch: Batch,
    incident: Incident,
    action: Action,
    owner: Person,
    chair: Person | None,
    accounts: set[tuple[int, str]],
    fire: object,
) -> None:
    action.overdue_at = batch.now
    to = f"the TCG chair, {chair.display_name}" if chair else "IMT (no TCG is open)"
    action.escalated_to = chair.name if chair else "IMT"
    late = getattr(fire, "status", "") == FireStatus.LATE
    text = (
        f"Overdue: {action.reference} for {owner.display_name} was due {show(action.due_at)}; "
        f"escalated to {to}: {action.what}" + (" (late)" if late else "")
    )
    card = chase_card(action, owner, incident, f"Overdue: escalated to {to}")
    batch.post(incident, text, card)
    _tell(batch, incident, owner, accounts, text, card)  # the owner hears of it first-hand
    if chair is not None:
        _tell(batch, incident, chair, accounts, text, card)
    else:
        batch.ctx(incident).post(
            batch.options.imt_conversation, _label(incident, f"{incident.reference}: {text}"), card
        )
    batch.ctx(incident).audit(
        "action.overdue",
        "action",
        action.reference,
        None,
        {"due": action.due_at.isoformat(), "escalated_to": action.escalated_to},
    )


def chase_card(action: Action, owner: Person, incident: Incident, subtitle: str) -> Card:
    facts = [
        ("Incident", incident.reference),
        ("Owner", owner.display_name),
        ("Due", show(action.due_at)),
        ("Status", status_label(action)),
    ]
    if action.progress_note:
        facts.append(("Note", action.progress_note))
    return Card(
        title=f"Action {action.reference}",
        subtitle=subtitle,
        sections=(("What", action.what),),
        facts=tuple(facts),
        actions=action_buttons(action),
        exercise=incident.exercise,
    )


# ERCO (3.17): asked with each meeting reminder until it is recorded ------------------------


def describe(action: Action, holidays: frozenset) -> str:
    assert action.next_run_at is not None  # a due row (first_due)
    step = "overdue flag" if action.next_run_at >= action.due_at else "reminder"
    return f"the {step} of {action.reference}"


SOURCE = DueSource(
    "action reminders", Action, chase_actions, describe, lambda m: m.status != ActionStatus.DONE
)
