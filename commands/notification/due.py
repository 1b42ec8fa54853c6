"""The scheduler's source for notification clocks: reminders to the owner before the due date
and the escalation to the FTL and IMT once it is overdue.

Set-based: a batch of due notifications costs a constant number of statements whatever its
size (the rows, their people and subjects loaded with ``IN``; every firing claimed with one
``INSERT … ON CONFLICT DO NOTHING RETURNING``; posts and audit events added together). The
firing's unique key (source, step, due time) makes each post happen once even with several
bot processes; the post is queued in the same transaction as the firing and the cursor.

Statutory reminders are never dropped as "missed" after downtime: one found late is posted,
marked "(late)". If the bot was down past the deadline too, only the escalation is posted.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import func, select
from sqlalchemy import insert as insert_into
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import Session

from cards.model import Action as Button
from cards.model import Card, card_to_dict
from commands.clock import Clock
from commands.context import Options
from commands.notification.records import kind_label
from rules.deadlines import days_left
from rules.roles import Role
from storage import repositories as repo
from storage.models import (
    AuditEvent,
    Firing,
    Incident,
    Issue,
    Notification,
    OutboxMessage,
    Person,
    RoleGrant,
)
from storage.unit_of_work import Database

BATCH = 100
REMINDER, OVERDUE = "reminder", "overdue"


@dataclass
class Fired:
    posted: int = 0
    late: int = 0
    missed: int = 0
    handled: list[str] = field(default_factory=list)


def tick(db: Database, clock: Clock, options: Options) -> Fired:
    """Handle every notification clock due now, a batch per unit of work."""
    total = Fired()
    while True:
        with db.unit_of_work() as session:
            done = fire_batch(session, clock.now(), options, db.is_postgres)
        total.posted += done.posted
        total.late += done.late
        total.missed += done.missed
        total.handled += done.handled
        if len(done.handled) < BATCH:
            return total


def next_due(session: Session) -> datetime | None:
    return session.scalar(
        select(func.min(Notification.next_run_at)).where(Notification.status == "open")
    )


def fire_batch(session: Session, now: datetime, options: Options, postgres: bool) -> Fired:
    query = (
        select(Notification)
        .where(
            Notification.status == "open",
            Notification.next_run_at.is_not(None),
            Notification.next_run_at <= now,
        )
        .order_by(Notification.next_run_at)
        .limit(BATCH)
    )
    if postgres:
        query = query.with_for_update(skip_locked=True)
    rows = list(session.scalars(query))
    result = Fired()
    if not rows:
        return result
    # What the batch needs, in a fixed number of queries.
    people = {
        p.id: p
        for p in session.scalars(select(Person).where(Person.id.in_({n.owner_id for n in rows})))
    }
    issues = {
        i.id: i
        for i in session.scalars(select(Issue).where(Issue.id.in_({n.issue_id for n in rows})))
    }
    incidents = {
        i.id: i
        for i in session.scalars(
            select(Incident).where(Incident.id.in_({n.incident_id for n in rows if n.incident_id}))
        )
    }
    areas = {i.functional_area for i in issues.values()}
    ftls: dict[str, str] = {}
    for area, name in session.execute(
        select(RoleGrant.area, Person.display_name)
        .join(Person, Person.id == RoleGrant.person_id)
        .where(
            RoleGrant.role == Role.FTL.value,
            RoleGrant.area.in_(areas),
            RoleGrant.revoked_at.is_(None),
        )
        .order_by(RoleGrant.id.desc())
    ):
        ftls[area] = name  # the earliest grant wins, as ftl_for_area
    system = repo.system_person(session, now)

    # Which firing each row owes now: the reminder, or the escalation once overdue.
    wanted: list[tuple[Notification, str, datetime, str]] = []
    for n in rows:
        if now >= n.overdue_at:
            if n.next_run_at is not None and n.next_run_at < n.overdue_at:
                wanted.append((n, REMINDER, n.remind_at, "missed"))  # superseded by overdue
            wanted.append((n, OVERDUE, n.overdue_at, _status(options, now, n.overdue_at)))
        else:
            wanted.append((n, REMINDER, n.remind_at, _status(options, now, n.remind_at)))
        n.next_run_at = n.overdue_at if now < n.overdue_at else None

    insert = pg_insert if postgres else sqlite_insert
    claimed = {
        (source, step)
        for source, step in session.execute(
            insert(Firing)
            .values(
                [
                    {
                        "incident_id": n.incident_id,
                        "source": f"notification:{n.id}",
                        "step": step,
                        "due_at": due,
                        "handled_at": now,
                        "status": status,
                    }
                    for n, step, due, status in wanted
                ]
            )
            .on_conflict_do_nothing(index_elements=["source", "step", "due_at"])
            .returning(Firing.source, Firing.step)
        )
    }
    posts: list[dict[str, Any]] = []
    audits: list[dict[str, Any]] = []
    for n, step, _due, status in wanted:
        if (f"notification:{n.id}", step) not in claimed:
            continue  # another process handled it
        issue = issues.get(n.issue_id or 0)
        incident = incidents.get(n.incident_id or 0)
        subject = incident.reference if incident else (issue.reference if issue else "")
        owner = people[n.owner_id].display_name
        exercise = bool(incident and incident.exercise)
        result.handled.append(f"{n.reference} {step} {status}")
        if status == "missed":
            result.missed += 1
            continue
        late = " (late)" if status == "late" else ""
        result.late += status == "late"
        when = f"{n.due_date.day} {n.due_date:%b %Y}"
        if step == REMINDER:
            left = days_left(n.due_date, now)
            text = (
                f"Reminder: {n.reference} ({kind_label(n.kind)} on {subject}) is due {when}, "
                + ("today" if left == 0 else f"in {left} day{'s' if left != 1 else ''}")
                + f". Owner: {owner}.{late}"
            )
            targets = [n.conversation]
        else:
            ftl = ftls.get(issue.functional_area if issue else "", "no FTL assigned")
            text = (
                f"OVERDUE: {n.reference} ({kind_label(n.kind)} on {subject}) was due {when} "
                f"({n.clock_days} calendar days, {n.clock_source}). Owner: {owner}. "
                f"Escalated to the FTL ({ftl}) and IMT.{late}"
            )
            targets = list(dict.fromkeys([options.imt_conversation, n.conversation]))
        card = Card(
            title=f"{n.reference} · {'OVERDUE' if step == OVERDUE else 'due ' + when}",
            subtitle=f"{kind_label(n.kind)} on {subject}",
            facts=(("Due", f"{when} ({n.clock_days} calendar days)"), ("Owner", owner)),
            actions=(
                Button(f"Annex {n.annex} form", f"/opss notify {n.reference} form"),
                Button("Mark sent", f"/opss notify {n.reference} sent"),
            ),
            exercise=exercise,
        )
        for conversation in targets:
            label = "EXERCISE · " if exercise and not text.startswith("EXERCISE") else ""
            posts.append(
                {
                    "surface": n.surface,
                    "conversation": conversation,
                    "op": "post",
                    "anchor": None,
                    "payload": {"text": label + text, "pin": False, "card": card_to_dict(card)},
                    "status": "pending",
                    "attempts": 0,
                    "next_attempt_at": now,
                    "created_at": now,
                    "last_error": "",
                }
            )
        result.posted += 1
        audits.append(
            {
                "at": now,
                "actor_id": system.id,
                "actor_name": system.name,
                "action": f"notification.{step}",
                "entity_type": "notification",
                "entity_ref": n.reference,
                "before": None,
                "after": {"status": status, "due": n.due_date.isoformat()},
                "surface": n.surface,
                "channel": "",
            }
        )
    # One executemany each, whatever the batch's size.
    if posts:
        session.execute(insert_into(OutboxMessage), posts)
    if audits:
        session.execute(insert_into(AuditEvent), audits)
    return result


def _status(options: Options, now: datetime, due: datetime) -> str:
    return "late" if now - due > options.late_after else "on_time"
