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

from rules.lifecycle import Stage
from rules.references import format_reference
from storage.models import (
    Action,
    CaseConference,
    Counter,
    Decision,
    ImpactAssessment,
    Incident,
    Issue,
    Person,
    RhythmEvent,
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
