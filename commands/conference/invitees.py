"""Case conferences that remind their invitees (plan 2.14-2.18): a due source of the
scheduler's tick (``commands/schedule.py``).

``CaseConference.next_run_at`` is the cursor: ``conferences.REMINDER_LEAD`` before it meets,
set when it is called (none for one called to meet at once), cleared once reminded, held or
cancelled. The reminder is posted in IMT's channel, where the conference's card is, and told
to each invitee directly (``conferences.invited``: who asked for it, the SCS consulted, the
people its attendees name) where they have an account on the issue's surface. A batch costs
a constant number of statements: its firings claimed with one statement, issues, people and
where they can be reached read with one query each.
"""

from __future__ import annotations

import math

from sqlalchemy import select

from commands.conference.conferences import conference_card, invited, load_people
from commands.core.people import reachable
from commands.schedule import Batch, DueSource, Fire
from rules.conferences import ConferenceStatus
from rules.firing import FireStatus
from rules.timeparse import show
from storage.models import CaseConference, Issue

STEP = "reminder"


def remind(batch: Batch, rows: list[CaseConference]) -> None:
    planned: list[tuple[CaseConference, Fire]] = []
    for conference in rows:
        due = conference.next_run_at
        assert due is not None  # a due row
        status = batch.status(due)
        if conference.scheduled_for <= batch.now:
            status = FireStatus.MISSED  # it has met: a reminder now would mislead
        planned.append((conference, Fire(None, f"conference:{conference.id}", STEP, due, status)))
        conference.next_run_at = None
    claimed = batch.claim([fire for _, fire in planned])
    mine = [(c, f) for c, f in planned if f.key in claimed]
    if not mine:
        return
    issues = {
        i.id: i
        for i in batch.session.scalars(
            select(Issue).where(Issue.id.in_({c.issue_id for c, _ in mine}))
        )
    }
    people, named = load_people(batch.session, [c for c, _ in mine])
    reach = reachable(batch.session, [*people, *(p.id for p in named.values())])
    for conference, fire in mine:
        issue = issues[conference.issue_id]
        batch.result.handled.append(f"{conference.reference} {STEP} {fire.status}")
        if fire.status == FireStatus.MISSED:
            batch.result.missed += 1
            continue
        minutes = math.ceil((conference.scheduled_for - batch.now).total_seconds() / 60)
        text = (
            f"Reminder: case conference {conference.reference} on {issue.reference} at "
            f"{show(conference.scheduled_for)} (in {minutes} min)"
            + (" (late)" if fire.status == FireStatus.LATE else "")
        )
        requester = people.get(conference.requested_by_id)
        card = conference_card(conference, issue, requester.display_name if requester else "")
        ctx = batch.on(issue.surface)
        ctx.post(ctx.options.imt_conversation, text, card)
        for person in invited(conference, people, named):
            if (person.id, issue.surface) in reach:
                ctx.tell(person.id, text, card)
        batch.result.posted += 1
        batch.result.late += fire.status == FireStatus.LATE


def describe(conference: CaseConference, holidays: frozenset) -> str:
    return f"the reminder of case conference {conference.reference}"


SOURCE = DueSource(
    "case conference reminders",
    CaseConference,
    remind,
    describe,
    lambda m: m.status == ConferenceStatus.CALLED,
)
