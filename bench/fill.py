"""A year of history, written in bulk through the storage layer: issues at every stage with
their assessments and case conferences, incidents with command teams, battle rhythms and
sitrep schedules, decisions (some superseded), actions (open and done) and sitrep updates.

Used by ``bench/scale.py`` and by the tests that count SQL statements at two sizes. One
multi-row INSERT per table, so 10x the data sets up in seconds.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import insert, select, update
from sqlalchemy.orm import Session

from rules.lifecycle import Stage
from rules.mi import days_between
from rules.references import format_reference
from storage.models import (
    KEEP_EXERCISE,
    Action,
    CaseConference,
    Counter,
    Decision,
    Escalation,
    ImpactAssessment,
    Incident,
    Issue,
    Notification,
    Person,
    RhythmEvent,
    Sitrep,
    SitrepSchedule,
    SitrepUpdate,
)
from storage.unit_of_work import Database

# The stages issues are spread over; declared ones become incidents.
SPREAD = (
    Stage.RAISED,
    Stage.FTL_ASSESSMENT,
    Stage.CAM,
    Stage.TTG,
    Stage.CAM_EP,
    Stage.CASE_CONFERENCE,
    Stage.MONITORING,
    Stage.CLOSED_NFA,
    Stage.LA_LED,
)
TEAMS = ["Gas and Electrical", "Toys and Childcare"]


@dataclass(frozen=True)
class Size:
    issues: int
    incidents: int
    decisions: int
    actions: int

    def times(self, factor: int) -> Size:
        return Size(
            self.issues * factor,
            self.incidents * factor,
            self.decisions * factor,
            self.actions * factor,
        )


def issue_row(
    n: int, person: int, at: datetime, stage: str, stage_seq: int, area: str = "Product Safety"
) -> dict[str, Any]:
    """One issue as a bulk-insert row (benchmarks fill thousands at once)."""
    return {
        "reference": f"ISS-2026-{n:05d}",
        "title": f"Bench issue {n}",
        "description": "",
        "products": "p",
        "hazard": "h",
        "source": "public",
        "functional_area": area,
        "raised_by_id": person,
        "raised_at": at,
        "surface": "local",
        "origin_channel": "channel:1",
        "stage": stage,
        "stage_seq": stage_seq,
        "stage_entered_at": at,
    }


def fill(db: Database, size: Size, now: datetime, areas: tuple[str, ...]) -> None:
    """Add ``size`` worth of history, dated before ``now``; people must already exist.

    The first incident is the one the tests and the benchmark look at; every other row is
    spread round-robin so each list has rows of every kind."""
    year = now.year
    with db.unit_of_work() as s:
        people = dict(s.execute(select(Person.name, Person.id)).tuples().all())
        names = sorted(people)
        hana = people.get("hana", next(iter(people.values())))
        start = now - timedelta(days=365)

        def when(i: int, total: int) -> datetime:
            return start + timedelta(seconds=int(364 * 86400 * i / max(total, 1)))

        declared = set(range(0, size.issues, max(size.issues // max(size.incidents, 1), 1)))
        declared = set(sorted(declared)[: size.incidents])
        issue_rows = []
        for n in range(size.issues):
            stage = Stage.DECLARED if n in declared else SPREAD[n % len(SPREAD)]
            issue_rows.append(
                {
                    "reference": format_reference("issue", year, n + 1),
                    "title": f"Issue {n + 1}: heaters overheating at the plug, batch {n % 97}",
                    "description": "",
                    "products": "Fan heaters",
                    "hazard": "Fire",
                    "source": "public",
                    "functional_area": areas[(n // len(SPREAD)) % len(areas)],
                    "raised_by_id": people[names[n % len(names)]],
                    "raised_at": when(n, size.issues),
                    "surface": "local",
                    "origin_channel": "channel:general",
                    "stage": stage.value,
                    "stage_seq": 3,
                    "stage_entered_at": when(n, size.issues),
                }
            )
        s.execute(insert(Issue), issue_rows)
        issues = list(s.execute(select(Issue.id, Issue.stage).order_by(Issue.id)).tuples())
        s.execute(
            insert(ImpactAssessment),
            [
                {
                    "issue_id": issue_id,
                    "version": 1,
                    "stage": "cam",
                    "stage_seq": 3,
                    "ratings": {"public_safety": "high"},
                    "overall": 3,
                    "notes": "",
                    "assessed_by_id": hana,
                    "assessed_at": now - timedelta(days=1),
                }
                for issue_id, _ in issues
            ],
        )
        conferences = [
            (n, issue_id)
            for n, (issue_id, stage) in enumerate(issues)
            if stage in {Stage.CASE_CONFERENCE.value, Stage.DECLARED.value}
        ]
        if conferences:
            s.execute(
                insert(CaseConference),
                [
                    {
                        "reference": format_reference("conference", year, k + 1),
                        "issue_id": issue_id,
                        "requested_by_id": hana,
                        "basis": "IMT",
                        "scheduled_for": now - timedelta(days=2),
                        "agenda": {},
                        "attendees": "",
                        "status": "held" if k % 2 or n in declared else "called",
                        "called_at": now - timedelta(days=3),
                        "outcomes": ["declare_incident"] if k % 2 or n in declared else None,
                        "concluded_at": now - timedelta(days=2),
                    }
                    for k, (n, issue_id) in enumerate(conferences)
                ],
            )
        declared_ids = [issues[n][0] for n in sorted(declared)]
        team = {
            "imt_lead": "hana",
            "scg_chair": "david",
            "tcg_chair": "ian",
            "communications_lead": "sara",
            "senior_investigation_officer": "fatima",
        }
        if declared_ids:
            s.execute(
                insert(Incident),
                [
                    {
                        "reference": format_reference("incident", year, k + 1),
                        "issue_id": issue_id,
                        "title": f"Incident {k + 1}: heaters overheating at the plug",
                        "exercise": k % 3 == 0,
                        "level": "tactical",
                        "status": "active",
                        "overall_impact": 4,
                        "erco_engaged": bool(k % 2),
                        "command_team": {r: p for r, p in team.items() if p in people},
                        "members": ["olly"] if k % 4 == 1 else [],
                        "strategy": {},
                        "declared_by_id": hana,
                        "declared_at": when(k, len(declared_ids)),
                        "surface": "local",
                        "channel_key": f"incident:{format_reference('incident', year, k + 1)}",
                        "channel_name": f"inc-{year}-{k + 1:03d}-heaters",
                    }
                    for k, issue_id in enumerate(declared_ids)
                ],
            )
        incidents = list(s.execute(select(Incident.id, Incident.issue_id)).tuples())
        if incidents:
            _incident_history(s, size, incidents, people, names, now, when)
        counters = {
            "issue": size.issues,
            "incident": len(incidents),
            "conference": len(conferences),
            "decision": size.decisions if incidents else 0,
            "action": size.actions if incidents else 0,
        }
        for kind, value in counters.items():
            row = s.get(Counter, f"{kind}:{year}")
            if row is None:
                s.add(Counter(name=f"{kind}:{year}", value=value))
            else:
                row.value += value


def _incident_history(
    s: Any,
    size: Size,
    incidents: list[tuple[int, int]],
    people: dict[str, int],
    names: list[str],
    now: datetime,
    when: Any,
) -> None:
    year = now.year
    hana = people.get("hana", next(iter(people.values())))
    decisions = []
    for n in range(size.decisions):
        incident_id, issue_id = incidents[n % len(incidents)]
        decisions.append(
            {
                "reference": format_reference("decision", year, n + 1),
                "issue_id": issue_id,
                "incident_id": incident_id,
                "kind": "decision",
                "what": f"Decision {n + 1}: ask the importer for test reports",
                "rationale": "Evidence needed before a recall",
                "options_considered": "",
                "decided_by": "Hana Patel",
                "group": "tcg",
                "meeting": "",
                "decided_at": when(n, size.decisions),
                "evidence": "",
                "supersedes_id": None,
                "recorded_by_id": hana,
                "recorded_at": when(n, size.decisions),
            }
        )
    s.execute(insert(Decision), decisions)
    # Every tenth decision corrects the one recorded just before it for the same incident.
    ids = list(s.scalars(select(Decision.id).order_by(Decision.id)))[-size.decisions :]
    step = len(incidents)
    corrections = [
        {"id": ids[k], "supersedes_id": ids[k - step], "kind": "correction"}
        for k in range(step * 2, len(ids), 10)
    ]
    if corrections:
        s.execute(update(Decision), corrections)  # one executemany by primary key
    s.execute(
        insert(Action),
        [
            {
                "reference": format_reference("action", year, n + 1),
                "issue_id": incidents[n % len(incidents)][1],
                "incident_id": incidents[n % len(incidents)][0],
                "what": f"Action {n + 1}: collect samples from the retailer",
                "owner_id": people[names[n % len(names)]],
                "due_at": now + timedelta(days=(n % 20) - 5),
                "standard": "",
                "assigned_by_id": hana,
                "assigned_at": when(n, size.actions),
                "status": "done" if n % 5 == 4 else "open",
            }
            for n in range(size.actions)
        ],
    )
    mark_exercises(s)
    later = now + timedelta(days=30)
    s.execute(
        insert(RhythmEvent),
        [
            {
                "incident_id": incident_id,
                "name": name,
                "group": group,
                "days": [0, 1, 2, 3, 4],
                "at_local": at,
                "duration_minutes": 60,
                "location": "",
                "agenda": "Situation; actions; decisions",
                "attendees": "",
                "reminder_minutes": 30,
                "holidays": "skip",
                "active": True,
                "created_at": now - timedelta(days=7),
                "last_run_at": now - timedelta(days=1),
                "next_run_at": later,
            }
            for incident_id, _ in incidents
            for name, group, at in (("TCG", "tcg", "10:30"), ("SCG", "scg", "09:00"))
        ],
    )
    s.execute(
        insert(SitrepSchedule),
        [
            {
                "incident_id": incident_id,
                "cutoff_local": "16:00",
                "days": list(range(7)),
                "prompt_minutes": 120,
                "chase_minutes": 30,
                "teams": TEAMS,
                "active": True,
                "created_at": now - timedelta(days=7),
                "last_run_at": now - timedelta(days=1),
                "next_run_at": later,
            }
            for incident_id, _ in incidents
        ],
    )
    s.execute(
        insert(SitrepUpdate),
        [
            {
                "incident_id": incident_id,
                "cutoff_at": now - timedelta(days=1 + k),
                "team": TEAMS[k % 2],
                "fields": {"situation": "Samples at the lab"},
                "submitted_by_id": people[names[k % len(names)]],
                "submitted_at": now - timedelta(days=1 + k, hours=1),
            }
            for incident_id, _ in incidents
            for k in range(4)
        ],
    )


def mark_exercises(s: Session) -> None:
    """Each EXERCISE incident's issue and records marked, as the ORM marks those it writes (the bulk
    inserts here go round it) and declaring an EXERCISE marks the issue's earlier ones."""
    drills = select(Incident.issue_id).where(Incident.exercise.is_(True))
    s.execute(update(Issue).where(Issue.id.in_(drills)).values(exercise=True))
    for kept in KEEP_EXERCISE:
        s.execute(update(kept).where(kept.issue_id.in_(drills)).values(exercise=True))


def ladder_and_clocks(db: Database, now: datetime) -> None:
    """What the management-information figures read beyond ``fill``: every issue's moves up
    the ladder (or off it), notifications on statutory clocks (one per fifth issue; a third
    sent, the rest due from ten days ago to a month ahead) and three collated sitreps per
    incident, the last of every other one missing a team. Run after ``fill``."""
    year = now.year
    with db.unit_of_work() as s:
        people = list(s.scalars(select(Person.id).order_by(Person.id)))
        issues = list(
            s.execute(select(Issue.id, Issue.stage, Issue.raised_at).order_by(Issue.id)).tuples()
        )
        incidents = dict(s.execute(select(Incident.issue_id, Incident.id)).tuples().all())
        ladder = [st.value for st in SPREAD[:6]] + [Stage.DECLARED.value]
        moves = []
        for n, (issue_id, stage, raised_at) in enumerate(issues):
            path = ladder[: ladder.index(stage) + 1] if stage in ladder else [*ladder[:2], stage]
            at = raised_at
            for k in range(1, len(path)):
                began, at = at, min(at + timedelta(hours=6 + 7 * ((n + k) % 9)), now)
                moves.append(
                    {
                        "issue_id": issue_id,
                        "from_stage": path[k - 1],
                        "to_stage": path[k],
                        "moved_by_id": people[n % len(people)],
                        "moved_at": at,
                        "stay_began_at": began,
                        "stay_days": days_between(began, at),
                        "basis": "IMT",
                        "justification": "",
                    }
                )
        if moves:
            s.execute(insert(Escalation), moves)
        kinds = ("reg33_4", "reg9", "reaction_serious", "other_actions")
        notifications = []
        for k, (issue_id, _, _) in enumerate(issues[::5]):
            due = (now + timedelta(days=(k % 41) - 10)).date()
            sent = k % 3 == 2
            notifications.append(
                {
                    "reference": format_reference("notification", year, k + 1),
                    "kind": kinds[k % len(kinds)],
                    "annex": "II",
                    "product_type": "consumer",
                    "issue_id": issue_id,
                    "incident_id": incidents.get(issue_id),
                    "trigger_date": due - timedelta(days=10),
                    "due_date": due,
                    "clock_days": 10,
                    "clock_source": "the 2005 guidance",
                    "remind_at": now + timedelta(days=3650),
                    "overdue_at": now + timedelta(days=3650),
                    "owner_id": people[k % len(people)],
                    "recorded_by_id": people[0],
                    "recorded_at": now - timedelta(days=20),
                    "surface": "local",
                    "conversation": "channel:general",
                    "status": "sent" if sent else "open",
                    "values": {},
                    "sent_at": now - timedelta(days=1) if sent else None,
                    "next_run_at": None,
                }
            )
        if notifications:
            s.execute(insert(Notification), notifications)
        mark_exercises(s)
        sitreps = [
            {
                "incident_id": incident_id,
                "number": number,
                "as_at": now - timedelta(days=4 - number),
                "title": f"Sitrep {number}",
                "sections": [],
                "missing": [TEAMS[(j + number) % 2]] if number == 3 and j % 2 else [],
                "status": "published",
                "created_at": now - timedelta(days=4 - number),
            }
            for j, incident_id in enumerate(sorted(incidents.values()))
            for number in (1, 2, 3)
        ]
        if sitreps:
            s.execute(insert(Sitrep), sitreps)


def as_history(db: Database, now: datetime, keep: int = 10) -> None:
    """Turn all but one in ``keep`` of the issues into history, a year or more old: ten years
    of records with one year's work still live. The issues kept are those in every ``keep``-th
    block of ``keep`` (so each stage keeps its share, and incidents theirs); the rest, with
    their moves, incidents, actions, notifications and sitreps, move 1 to 9 years back, closed:
    issues closed with no further action (or declared, their incidents closed), actions done,
    notifications sent. Run after ``fill`` and ``ladder_and_clocks``."""

    def aged(issue_id: int) -> bool:
        return ((issue_id - 1) // keep) % keep != 0

    def back(issue_id: int) -> timedelta:
        return timedelta(days=365 * (1 + issue_id % 9))

    live = {s.value for s in SPREAD[:6]}
    with db.unit_of_work() as s:
        issues = [
            {
                "id": i,
                "stage": Stage.CLOSED_NFA.value if stage in live else stage,
                "raised_at": raised - back(i),
                "stage_entered_at": entered - back(i),
            }
            for i, stage, raised, entered in s.execute(
                select(Issue.id, Issue.stage, Issue.raised_at, Issue.stage_entered_at)
            ).tuples()
            if aged(i)
        ]
        if issues:
            s.execute(update(Issue), issues)
        moves = [
            {"id": e, "moved_at": at - back(i), "stay_began_at": began - back(i)}
            for e, i, at, began in s.execute(
                select(
                    Escalation.id,
                    Escalation.issue_id,
                    Escalation.moved_at,
                    Escalation.stay_began_at,
                )
            ).tuples()
            if aged(i)
        ]
        if moves:
            s.execute(update(Escalation), moves)
        incidents = {
            k: (i, declared)
            for k, i, declared in s.execute(
                select(Incident.id, Incident.issue_id, Incident.declared_at)
            ).tuples()
            if aged(i)
        }
        if incidents:
            s.execute(
                update(Incident),
                [
                    {
                        "id": k,
                        "status": "closed",
                        "declared_at": declared - back(i),
                        "closed_at": declared - back(i) + timedelta(days=30),
                    }
                    for k, (i, declared) in incidents.items()
                ],
            )
        actions = [
            {"id": a, "status": "done", "done_at": due - back(i)}
            for a, i, due in s.execute(
                select(Action.id, Action.issue_id, Action.due_at).where(
                    Action.issue_id.is_not(None)
                )
            ).tuples()
            if i is not None and aged(i)
        ]
        if actions:
            s.execute(update(Action), actions)
        notifications = [
            {"id": n, "status": "sent", "sent_at": now - back(i)}
            for n, i in s.execute(select(Notification.id, Notification.issue_id)).tuples()
            if i is not None and aged(i)
        ]
        if notifications:
            s.execute(update(Notification), notifications)
