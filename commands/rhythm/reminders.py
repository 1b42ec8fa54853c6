"""Meeting reminders (plan 3.21-3.22), a due source of the tick (``commands/schedule.py``):
before each meeting of the battle rhythm, its agenda, the incident's open actions (every group's,
as the card says), the decisions since its last meeting, and the group's members written to
directly.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import Row, true

from cards import text as t
from cards.model import Card
from commands.incident import erco
from commands.incident.forms import GROUP_LABELS
from commands.rhythm import invitations, meetings
from commands.rhythm.battle_rhythm import next_reminder
from commands.schedule import Batch, DueSource, Fire, OpenActions
from rules.firing import FireStatus
from rules.stand_down import Status
from rules.timeparse import show
from storage.models import Incident, RhythmEvent


@dataclass(frozen=True)
class _Reminder:
    event: RhythmEvent
    fire: Fire
    previous: datetime  # decisions since then are listed


def meeting_reminders(batch: Batch, events: list[RhythmEvent]) -> None:
    incidents = batch.incidents(e.incident_id for e in events)
    planned: list[_Reminder] = []
    for event in events:
        incident = incidents[event.incident_id]
        lead = timedelta(minutes=event.reminder_minutes)
        while True:
            due = next_reminder(batch.options.holidays, event, event.last_run_at)
            if due > batch.now or incident.status == Status.CLOSED:
                event.next_run_at = due if incident.status != Status.CLOSED else None
                break
            previous = (
                event.last_run_at + lead
                if event.last_run_at > event.created_at
                else event.created_at
            )
            fire = Fire(incident.id, f"event:{event.id}", "reminder", due, batch.status(due))
            planned.append(_Reminder(event, fire, previous))
            event.last_run_at = due
    claimed = batch.claim([p.fire for p in planned])
    mine = [p for p in planned if p.fire.key in claimed]
    posting = [p for p in mine if p.fire.status != FireStatus.MISSED]
    since: dict[int, datetime] = {}
    for p in posting:
        since[p.event.incident_id] = min(p.previous, since.get(p.event.incident_id, p.previous))
    actions = batch.open_actions(since)
    decisions = batch.decisions_since(since)
    # Members, attendees named, the strategy, direct accounts.
    groups = meetings.load(batch.session, since, [p.event.attendees or "" for p in posting])
    for p in mine:
        incident = incidents[p.event.incident_id]
        status = p.fire.status
        if status == FireStatus.MISSED:
            batch.result.missed += 1
        else:
            lead = timedelta(minutes=p.event.reminder_minutes)
            recent = [d for d in decisions[incident.id] if d.recorded_at >= p.previous]
            _post_reminder(
                batch,
                incident,
                p.event,
                p.fire.due_at + lead,
                actions[incident.id],
                recent,
                groups,
                late=status == FireStatus.LATE,
            )
            if erco.erco_needed_for(incident):  # asked again each rhythm cycle
                start = f"Before the {p.event.name} at {show(p.fire.due_at + lead)}"
                batch.post(incident, *erco.erco_prompt(incident, start))
                batch.result.handled.append(f"{incident.reference} erco prompt")
            batch.result.posted += 1
            batch.result.late += status == FireStatus.LATE
        batch.result.handled.append(f"{incident.reference} {p.event.name} {status}")


def _post_reminder(
    batch: Batch,
    incident: Incident,
    event: RhythmEvent,
    start: datetime,
    actions: OpenActions,
    decisions: list[Row[Any]],
    groups: meetings.Loaded,
    *,
    late: bool,
) -> None:
    # Whole minutes still to go, rounded up: posted at 08:15:20 for 08:30 it says 15, not 14.
    minutes = math.ceil((start - batch.now).total_seconds() / 60)
    when = f"in {minutes} min" if minutes > 0 else "now"
    text = f"Reminder: {event.name} at {show(start)} ({when})" + (" (late)" if late else "")
    facts = [("When", f"{show(start)}, {event.duration_minutes} min")]
    if event.location:
        facts.append(("Where", event.location))
    if event.attendees:
        facts.append(("Attending", event.attendees))
    sections: list[tuple[str, str | t.Text]] = [("Agenda", event.agenda or "—")]
    sections.append(("Open actions", open_actions_text(actions, incident, batch.now)))
    sections.append(
        (
            f"Decisions since the last {event.name}",
            t.bullets([f"{d.reference} · {d.decided_by}: {d.what}" for d in decisions]),
        )
    )
    card = Card(
        title=f"{event.name} · {incident.reference}",
        subtitle=text,
        facts=tuple(facts),
        sections=tuple(sections),
        actions=(invitations.calendar_action(incident.reference, event.name),),
        exercise=incident.exercise,
    )
    card = meetings.reminder_card(groups, incident, event, card)  # members, strategy
    # Where the surface makes online meetings (Teams), the reminder carries the join link.
    online = invitations.meeting_online(batch.options, incident, event, start)
    batch.post(incident, text, card, meeting=online)
    for person_id in meetings.direct_to(groups, incident, event):  # the group's members
        batch.ctx(incident).tell(
            person_id, ("EXERCISE · " if incident.exercise else "") + text, card, meeting=online
        )


def open_actions_text(actions: OpenActions, incident: Incident, now: datetime) -> t.Text:
    """All the incident's open actions, whichever group they are set for, and says so: a
    meeting reviews the incident's actions (3.10), not only those it set."""
    if not actions.total:
        return t.bullets([], empty=f"None open on {incident.reference}.")
    overdue = f", {actions.overdue} overdue" if actions.overdue else ""
    shown = len(actions.shown)
    which = "soonest due first" if shown == actions.total else f"the {shown} soonest due"
    head = f"{actions.total} open on {incident.reference}{overdue}; every group's, {which}:"
    lines = [
        f"{a.reference} · {a.owner} · due {show(a.due_at)}"
        + (" · OVERDUE" if a.due_at < now else "")
        + (f" · {group_name(a.group)}" if a.group else "")
        + f": {a.what}"
        for a in actions.shown
    ]
    return t.Text((t.Line((t.Run(head),)), *t.bullets(lines).lines))


def group_name(group: str) -> str:
    """A group as short as the plan names it: "TCG", not "Tactical Coordination Group (TCG)"."""
    title = GROUP_LABELS.get(group, group)
    return title[title.rfind("(") + 1 : -1] if title.endswith(")") else title


def describe(event: RhythmEvent, holidays: frozenset) -> str:
    return f"the {event.name} reminder"


SOURCE = DueSource(
    "meeting reminders", RhythmEvent, meeting_reminders, describe, lambda m: m.active == true()
)
