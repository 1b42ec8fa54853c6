"""The scheduler's source for notification clocks (``DueSource`` in ``commands/schedule.py``):
a reminder to the owner before the due date, then the escalation to the FTL and IMT once it
is overdue. Each is posted where the notification is followed and told to its owner directly
(their personal chat) where they have an account on its surface.

It keeps the sources' contract: a batch of due notifications costs a constant number of
statements whatever its size (the people and subjects loaded with ``IN``, every firing claimed
with the batch's one ``INSERT … ON CONFLICT DO NOTHING RETURNING``, posts and audit events
inserted by the tick with one executemany each). The firing's unique key (source, step, due
time) makes each post happen once even with several bot processes.

Statutory reminders are never dropped as "missed" after downtime: one found late is posted,
marked "(late)". If the bot was down past the deadline too, only the escalation is posted.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import and_, or_, select

from cards.model import Action as Button
from cards.model import Card
from commands.core.context import Ctx
from commands.core.people import reachable
from commands.notification.records import kind_label, section6_chase_at
from commands.schedule import Batch, DueSource, Fire
from rules import roles
from rules.deadlines import days_left
from rules.firing import FireStatus
from rules.notifications import NotificationStatus
from rules.stand_down import Status as IncidentStatus
from rules.timeparse import show_date
from storage import repositories as repo
from storage.models import Incident, Issue, Notification, Person

REMINDER, OVERDUE, SECTION6 = "reminder", "overdue", "section6"


def handle(batch: Batch, rows: list[Notification]) -> None:
    """The due notifications of one batch: claim their firings, queue their posts."""
    now = batch.now
    wanted: list[tuple[Notification, Fire]] = []
    for n in rows:
        source = f"notification:{n.id}"
        if n.status == NotificationStatus.SENT:
            # Annex IV's section 6 is late against the timetable sent with sections 1-5.
            assert n.section6_due is not None
            due_at = section6_chase_at(n.section6_due)
            wanted.append((n, Fire(n.incident_id, source, SECTION6, due_at, FireStatus.ON_TIME)))
            n.next_run_at = None
            continue
        if now >= n.overdue_at:
            if n.next_run_at is not None and n.next_run_at < n.overdue_at:
                # The reminder's moment passed while the bot was down: the escalation says it.
                wanted.append(
                    (n, Fire(n.incident_id, source, REMINDER, n.remind_at, FireStatus.MISSED))
                )
            fire = Fire(n.incident_id, source, OVERDUE, n.overdue_at, _status(batch, n.overdue_at))
        else:
            fire = Fire(n.incident_id, source, REMINDER, n.remind_at, _status(batch, n.remind_at))
        wanted.append((n, fire))
        n.next_run_at = n.overdue_at if now < n.overdue_at else None
    claimed = batch.claim([fire for _, fire in wanted])
    if not claimed:
        return

    # What the posts need, one query each for the whole batch.
    owners = {
        p.id: p.display_name
        for p in batch.session.scalars(
            select(Person).where(Person.id.in_({n.owner_id for n in rows}))
        )
    }
    issues = {
        i.id: i
        for i in batch.session.scalars(
            select(Issue).where(Issue.id.in_({n.issue_id for n in rows if n.issue_id}))
        )
    }
    incidents = batch.incidents({n.incident_id for n in rows if n.incident_id})
    ftls = batch.ftl_names()
    # Where each owner can be written to directly: every step reaches them in person too.
    reach = reachable(batch.session, {n.owner_id for n in rows})
    contexts: dict[str, Ctx] = {}

    for n, fire in wanted:
        if fire.key not in claimed:
            continue  # another process handled it
        issue = issues.get(n.issue_id or 0)
        incident = incidents.get(n.incident_id or 0)
        subject = incident.reference if incident else (issue.reference if issue else "")
        batch.result.handled.append(f"{n.reference} {fire.step} {fire.status}")
        if fire.status == FireStatus.MISSED:
            batch.result.missed += 1
            continue
        ctx = _ctx(batch, contexts, n.surface)
        if incident is not None:
            # A closed incident's channel is archived: nothing more is posted there.
            closed = incident.status == IncidentStatus.CLOSED
            ctx.know_incident(incident.channel_key, incident.exercise, closed)
        owner = owners.get(n.owner_id, "")
        when = f"{show_date(n.due_date)}"
        late = " (late)" if fire.status == FireStatus.LATE else ""
        if fire.step == SECTION6:
            assert n.section6_due is not None
            text = (
                f"Section 6 of {n.reference} ({kind_label(n.kind)} on {subject}) is not sent: "
                f"its timetable said by {show_date(n.section6_due)} (Annex IV; "
                f"guidance section 4). Chase the producer or distributor. Owner: {owner}."
            )
            targets = list(dict.fromkeys([batch.options.imt_conversation, n.conversation]))
        elif fire.step == REMINDER:
            left = days_left(n.due_date, now)
            text = (
                f"Reminder: {n.reference} ({kind_label(n.kind)} on {subject}) is due {when}, "
                + ("today" if left == 0 else f"in {left} day{'s' if left != 1 else ''}")
                + f". Owner: {owner}.{late}"
            )
            targets = [n.conversation]
        else:
            area = (issue.functional_area if issue else "").casefold()
            text = (
                f"OVERDUE: {n.reference} ({kind_label(n.kind)} on {subject}) was due {when} "
                f"({n.clock_days} calendar days, {n.clock_source}). Owner: {owner}. "
                f"Escalated to the FTL ({ftls.get(area, 'no FTL assigned')}) and IMT.{late}"
            )
            targets = list(dict.fromkeys([batch.options.imt_conversation, n.conversation]))
        card = _card(n, fire.step, when, subject, owner, incident)
        exercise = bool(incident and incident.exercise)
        label = "EXERCISE · " if exercise else ""
        for conversation in targets:
            ctx.post(conversation, label + text, card, surface=n.surface)
        if (n.owner_id, n.surface) in reach:
            ctx.tell(n.owner_id, label + text, card, surface=n.surface)
        batch.result.posted += 1
        batch.result.late += fire.status == FireStatus.LATE
        ctx.audit(
            f"notification.{fire.step}",
            "notification",
            n.reference,
            None,
            {"status": fire.status, "due": n.due_date.isoformat()},
        )


def _status(batch: Batch, due: datetime) -> FireStatus:
    # A statutory clock's reminder is posted however late (never "missed").
    late = batch.now - due > batch.options.late_after
    return FireStatus.LATE if late else FireStatus.ON_TIME


def _ctx(batch: Batch, contexts: dict[str, Ctx], surface: str) -> Ctx:
    """The bot acting on a surface; a notification may have no incident to lend its own."""
    ctx = contexts.get(surface)
    if ctx is None:
        system = repo.system_person(batch.session, batch.now)
        ctx = Ctx(
            session=batch.session,
            person=system,
            actor=roles.Actor(system.name),
            surface=surface,
            channel="",
            now=batch.now,
            options=batch.options,
        )
        contexts[surface] = ctx
    return ctx


def _card(
    n: Notification, step: str, when: str, subject: str, owner: str, incident: Incident | None
) -> Card:
    if step == SECTION6:
        assert n.section6_due is not None
        return Card(
            title=f"{n.reference} · section 6 not sent",
            subtitle=f"{kind_label(n.kind)} on {subject}",
            facts=(
                ("Timetable", f"{show_date(n.section6_due)}"),
                ("Owner", owner),
            ),
            actions=(
                Button("Section 6", f"/opss notify {n.reference} form 3"),
                Button("Section 6 sent", f"/opss notify {n.reference} section6"),
            ),
            exercise=bool(incident and incident.exercise),
        )
    return Card(
        title=f"{n.reference} · {'OVERDUE' if step == OVERDUE else 'due ' + when}",
        subtitle=f"{kind_label(n.kind)} on {subject}",
        facts=(("Due", f"{when} ({n.clock_days} calendar days)"), ("Owner", owner)),
        actions=(
            Button(f"Annex {n.annex} form", f"/opss notify {n.reference} form"),
            Button("Mark sent", f"/opss notify {n.reference} sent"),
        ),
        exercise=bool(incident and incident.exercise),
    )


def describe(n: Notification, holidays: frozenset) -> str:
    if n.status == NotificationStatus.SENT:
        return f"the chase of {n.reference}'s section 6"
    assert n.next_run_at is not None  # a due row (first_due)
    step = "escalation" if n.next_run_at >= n.overdue_at else "reminder"
    return f"the {step} of {n.reference}"


SOURCE = DueSource(
    "notification reminders, escalations and section 6 chases",
    Notification,
    handle,
    describe,
    lambda m: or_(
        m.status == NotificationStatus.OPEN,
        and_(m.section6_due.is_not(None), m.section6_sent_at.is_(None)),
    ),
)
