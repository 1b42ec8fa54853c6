"""Actions that chase themselves (plan 3.7, 3.10), and the ERCO prompt at each rhythm cycle.

A due source of the scheduler's tick (``chase``). It is set-based: a batch of due actions
costs a constant number of statements (claim the rows, read owners, chairs and accounts, record
the firings with one ``INSERT … ON CONFLICT DO NOTHING RETURNING``, write the posts), so a
thousand actions due at once are no slower per action than one.

Each reminder, and the overdue flag, is a firing under a unique key (``action:<id>``, step,
due time): recorded once whatever the number of processes or restarts. A reminder found more
than the grace period late is recorded as missed, as meeting reminders are; the overdue flag
and its escalation (to the TCG chair, or IMT where there is no TCG) always happen, once.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

from sqlalchemy import String, cast, exists, func, insert, literal, select
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import Session, aliased

from cards.model import Action as Button
from cards.model import Card, card_to_dict
from commands.clock import Clock
from commands.context import Options
from commands.incident.action_progress import action_buttons, status_label
from rules import action_chasing as rule
from rules.impact import Level
from rules.timeparse import show
from storage import repositories as repo
from storage.models import (
    Action,
    AuditEvent,
    Decision,
    Firing,
    Identity,
    Incident,
    IncidentGroup,
    OutboxMessage,
    Person,
    RhythmEvent,
    TeamsConversation,
)
from storage.unit_of_work import Database

if TYPE_CHECKING:
    from commands.scheduler import TickResult

BATCH = 200
# Platforms on which the bot can write to a person directly, given their account id.
DIRECT = {"slack", "teams"}


def schedule_chase(action: Action, now: datetime, options: Options) -> None:
    """Start chasing a new (or re-dated) action from ``now``."""
    action.chased_until = now
    # Only an incident's actions are chased: they have a channel to be chased in.
    action.next_chase_at = (
        rule.next_after(action.due_at, options.action_reminders, now)
        if action.incident_id is not None
        else None
    )


def next_due(session: Session) -> datetime | None:
    return session.scalar(select(func.min(Action.next_chase_at)).where(Action.status != "done"))


def lateness(options: Options, now: datetime, due: datetime) -> str:
    """The meeting reminders' rule (commands/scheduler.py): on time, late, or missed."""
    late = now - due
    if late > options.grace:
        return "missed"
    return "late" if late > options.late_after else "on_time"


@dataclass
class _Batch:
    now: datetime
    options: Options
    system: Person
    # Plain rows, written with one executemany each (ORM objects would insert one by one).
    posts: list[dict[str, Any]] = field(default_factory=list)
    audits: list[dict[str, Any]] = field(default_factory=list)

    def post(
        self,
        incident: Incident,
        conversation: str,
        text: str,
        card: Card | None = None,
        anchor: str | None = None,
        op: str = "post",
    ) -> None:
        if incident.exercise and not text.startswith("EXERCISE"):
            text = f"EXERCISE · {text}"  # every post about an exercise says so (section 6)
        payload: dict[str, Any] = {"text": text}
        if op == "post":
            payload["pin"] = False
        if card is not None:
            payload["card"] = card_to_dict(card)
        self.posts.append(
            {
                "surface": incident.surface,
                "conversation": conversation,
                "op": op,
                "payload": payload,
                "status": "pending",
                "attempts": 0,
                "next_attempt_at": self.now,
                "created_at": self.now,
                "anchor": anchor,
                "last_error": "",
            }
        )

    def audit(self, action: str, ref: str, after: dict[str, Any]) -> None:
        self.audits.append(
            {
                "at": self.now,
                "actor_id": self.system.id,
                "actor_name": self.system.name,
                "action": action,
                "entity_type": "action",
                "entity_ref": ref,
                "before": None,
                "after": after,
                "surface": "scheduler",
                "channel": "",
            }
        )

    def write(self, session: Session) -> None:
        if self.posts:
            session.execute(insert(OutboxMessage), self.posts)
        if self.audits:
            session.execute(insert(AuditEvent), self.audits)


def chase(db: Database, clock: Clock, options: Options) -> TickResult:
    """The tick's entry: every action reminder and overdue flag due now, then ERCO prompts."""
    from commands.scheduler import TickResult  # the scheduler imports this module

    total = TickResult()
    while True:
        with db.unit_of_work() as session:
            handled = _actions(session, db.is_postgres, clock.now(), options, total)
        if handled < BATCH:
            break
    with db.unit_of_work() as session:
        _erco_prompts(session, clock.now(), options, total)
    return total


def _claim(session: Session, rows: list[dict[str, Any]]) -> set[tuple[str, str, datetime]]:
    """Record firings once; returns the keys this call recorded (one statement)."""
    if not rows:
        return set()
    dialect = session.get_bind().dialect.name
    insert = pg_insert if dialect == "postgresql" else sqlite_insert
    result = session.execute(
        insert(Firing)
        .values(rows)
        .on_conflict_do_nothing(index_elements=["source", "step", "due_at"])
        .returning(Firing.source, Firing.step, Firing.due_at)
    )
    return {(source, step, due) for source, step, due in result}


def accounts_of(session: Session, person_ids: Iterable[int]) -> dict[tuple[int, str], str]:
    """Where each person can be written to directly, per platform (two queries at most):
    on Slack their user id (the app's Messages tab); on Teams the personal chat they have
    with the bot, once they have used it there."""
    ids = set(person_ids)
    if not ids:
        return {}
    rows = session.execute(
        select(Identity.person_id, Identity.surface, Identity.external_id).where(
            Identity.person_id.in_(ids), Identity.surface.in_(DIRECT)
        )
    ).all()
    out = {(pid, surface): ext for pid, surface, ext in rows if surface == "slack"}
    teams = {ext: pid for pid, surface, ext in rows if surface == "teams"}
    if teams:
        for conversation_id, reference in session.execute(
            select(TeamsConversation.conversation_id, TeamsConversation.reference).where(
                TeamsConversation.kind == "personal"
            )
        ):
            user = str(((reference or {}).get("user") or {}).get("id", ""))
            if user in teams:
                out[(teams[user], "teams")] = conversation_id
    return out


def direct_conversation(session: Session, surface: str, person: Person) -> str | None:
    """Where to write to ``person`` directly on ``surface`` (None: the platform cannot)."""
    account = accounts_of(session, [person.id]).get((person.id, surface))
    return f"channel:{account}" if account else None


def _actions(
    session: Session, postgres: bool, now: datetime, options: Options, total: TickResult
) -> int:
    query = (
        select(Action)
        .where(
            Action.next_chase_at.is_not(None),
            Action.next_chase_at <= now,
            Action.status != "done",
        )
        .order_by(Action.next_chase_at)
        .limit(BATCH)
    )
    if postgres:
        query = query.with_for_update(skip_locked=True)
    actions = list(session.scalars(query))
    if not actions:
        return 0
    incident_ids = {a.incident_id for a in actions if a.incident_id is not None}
    incidents = {
        i.id: i for i in session.scalars(select(Incident).where(Incident.id.in_(incident_ids)))
    }
    chairs: dict[int, Person] = {}
    for incident_id, person in session.execute(
        select(IncidentGroup.incident_id, Person)
        .join(Person, Person.id == IncidentGroup.chair_id)
        .where(
            IncidentGroup.incident_id.in_(incident_ids),
            IncidentGroup.kind == "tcg",
            IncidentGroup.closed_at.is_(None),
        )
        .order_by(IncidentGroup.id)
    ).all():
        chairs.setdefault(incident_id, person)
    owners = {
        p.id: p
        for p in session.scalars(select(Person).where(Person.id.in_({a.owner_id for a in actions})))
    }
    accounts = accounts_of(session, [*owners, *(p.id for p in chairs.values())])
    batch = _Batch(now, options, repo.system_person(session, now))

    # Which steps each action has due; claim them all at once.
    plan: list[tuple[Action, rule.Step, str]] = []
    for action in actions:
        after = action.chased_until or action.assigned_at
        for step in rule.due_between(action.due_at, options.action_reminders, after, now):
            status = lateness(options, now, step.at)
            if step.name == rule.OVERDUE and status == "missed":
                status = "late"  # an overdue action is always flagged and escalated
            plan.append((action, step, status))
    claimed = _claim(
        session,
        [
            {
                "incident_id": action.incident_id,
                "source": f"action:{action.id}",
                "step": step.name,
                "due_at": step.at,
                "handled_at": now,
                "status": status,
            }
            for action, step, status in plan
            if action.incident_id is not None
        ],
    )
    for action, step, status in plan:
        incident = incidents.get(action.incident_id or 0)
        if incident is None or (f"action:{action.id}", step.name, step.at) not in claimed:
            continue
        owner = owners[action.owner_id]
        if step.name == rule.OVERDUE:
            _overdue(batch, incident, action, owner, chairs.get(incident.id), accounts, status)
            total.posted += 1
        elif status == "missed":
            total.missed += 1
        else:
            _remind(batch, incident, action, owner, step, accounts, late=status == "late")
            total.posted += 1
            total.late += status == "late"
        total.handled.append(f"{action.reference} {step.name} {status}")
    for action in actions:
        action.chased_until = now
        action.next_chase_at = rule.next_after(action.due_at, options.action_reminders, now)
    session.flush()
    batch.write(session)
    return len(actions)


def _when(delta: timedelta) -> str:
    minutes = max(int(delta.total_seconds() // 60), 0)
    if minutes >= 120 and minutes % 60 == 0:
        return f"{minutes // 60} h"
    if minutes >= 60:
        return f"{minutes // 60} h {minutes % 60} min"
    return f"{minutes} min"


def _remind(
    batch: _Batch,
    incident: Incident,
    action: Action,
    owner: Person,
    step: rule.Step,
    accounts: dict[tuple[int, str], str],
    *,
    late: bool,
) -> None:
    text = (
        f"Reminder: {action.reference} for {owner.display_name} is due in "
        f"{_when(action.due_at - batch.now)} ({show(action.due_at)}): {action.what}"
        + (" (late)" if late else "")
    )
    card = chase_card(
        action, owner, incident, f"Reminder: due in {_when(action.due_at - batch.now)}"
    )
    batch.post(incident, incident.channel_key, text, card)
    account = accounts.get((owner.id, incident.surface))
    if account:
        batch.post(incident, f"channel:{account}", text, card)


def _overdue(
    batch: _Batch,
    incident: Incident,
    action: Action,
    owner: Person,
    chair: Person | None,
    accounts: dict[tuple[int, str], str],
    status: str,
) -> None:
    action.overdue_at = batch.now
    to = f"the TCG chair, {chair.display_name}" if chair else "IMT (no TCG is open)"
    action.escalated_to = chair.name if chair else "IMT"
    text = (
        f"Overdue: {action.reference} for {owner.display_name} was due {show(action.due_at)}; "
        f"escalated to {to}: {action.what}" + (" (late)" if status == "late" else "")
    )
    card = chase_card(action, owner, incident, f"Overdue: escalated to {to}")
    batch.post(incident, incident.channel_key, text, card)
    if chair is not None:
        account = accounts.get((chair.id, incident.surface))
        if account:
            batch.post(incident, f"channel:{account}", text, card)
    else:
        batch.post(incident, batch.options.imt_conversation, f"{incident.reference}: {text}", card)
    batch.audit(
        "action.overdue",
        action.reference,
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


# ERCO (3.17): asked again at each battle-rhythm cycle until it is recorded -------------------


def _erco_prompts(session: Session, now: datetime, options: Options, total: TickResult) -> None:
    """For each meeting reminder posted for a High or Critical incident that has not recorded
    DBT ERCO's engagement, one prompt. The reminder's firing is the cycle; the prompt is a
    firing of its own (``erco:<incident>``), so it is asked once per cycle."""
    reminder = aliased(Firing)
    prompt = aliased(Firing)
    key = literal("erco:") + cast(Incident.id, String)
    since = (
        select(func.max(Decision.recorded_at))
        .where(Decision.incident_id == Incident.id, Decision.kind.in_(("level", "declaration")))
        .correlate(Incident)
        .scalar_subquery()
    )
    rows = session.execute(
        select(Incident, reminder.due_at, RhythmEvent)
        .join(reminder, reminder.incident_id == Incident.id)
        .join(RhythmEvent, reminder.source == literal("event:") + cast(RhythmEvent.id, String))
        .where(
            Incident.overall_impact >= int(Level.HIGH),
            Incident.erco_engaged.is_(False),
            Incident.status != "closed",
            reminder.source.like("event:%"),
            reminder.step == "reminder",
            reminder.status != "missed",
            reminder.handled_at >= now - options.grace,
            reminder.handled_at >= func.coalesce(since, Incident.declared_at),
            ~exists().where(
                prompt.source == key, prompt.step == "erco", prompt.due_at == reminder.due_at
            ),
        )
        .order_by(reminder.due_at)
        .limit(BATCH)
    ).all()
    if not rows:
        return
    claimed = _claim(
        session,
        [
            {
                "incident_id": incident.id,
                "source": f"erco:{incident.id}",
                "step": "erco",
                "due_at": due,
                "handled_at": now,
                "status": "on_time",
            }
            for incident, due, _ in rows
        ],
    )
    batch = _Batch(now, options, repo.system_person(session, now))
    for incident, due, event in rows:
        if (f"erco:{incident.id}", "erco", due) not in claimed:
            continue
        claimed.discard((f"erco:{incident.id}", "erco", due))
        start = due + timedelta(minutes=event.reminder_minutes)
        text, card = erco_prompt(incident, f"Before the {event.name} at {show(start)}")
        batch.post(incident, incident.channel_key, text, card)
        total.posted += 1
        total.handled.append(f"{incident.reference} erco prompt")
    batch.write(session)


def erco_prompt(incident: Incident, occasion: str = "") -> tuple[str, Card]:
    """The ask to engage DBT ERCO; ``occasion`` says which rhythm cycle asks again."""
    level = Level(incident.overall_impact).label if incident.overall_impact else "High"
    text = (
        (f"{occasion}: " if occasion else "")
        + f"{incident.reference} is {level} and DBT Emergency Response Coordination (ERCO) is "
        "not recorded as engaged. Engage ERCO (plan 3.17) and record it."
    )
    card = Card(
        title=f"Engage DBT ERCO · {incident.reference}",
        subtitle="Asked at each battle-rhythm cycle until ERCO's engagement is recorded",
        facts=(("Response level", level), ("ERCO", "not yet recorded as engaged")),
        actions=(Button("Record ERCO engagement", f"/opss erco {incident.reference}"),),
        exercise=incident.exercise,
        warning="OPSS engages DBT ERCO for an incident that is, or could become, High or "
        "Critical (3.17).",
    )
    return text, card
