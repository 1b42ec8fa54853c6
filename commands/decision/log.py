"""The decision log: every decision with what, why, options, who, which group, when, evidence.

Entries are append-only. A correction is a new entry that supersedes an earlier one. Every use
case that decides records here; the log imports none of them.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy.orm import Session

from cards import text as t
from cards.model import Action, Card
from commands.core.context import Ctx
from commands.incident import forms
from rules.timeparse import show
from storage import repositories as repo
from storage.models import Decision, Incident, Issue

LOG_SHOWN = 15  # entries shown on the pinned log


def record_decision(
    ctx: Ctx,
    *,
    kind: str,
    what: str,
    rationale: str,
    decided_by: str,
    group: str,
    issue: Issue | None = None,
    incident: Incident | None = None,
    conference_id: int | None = None,
    options_considered: str = "",
    meeting: str = "",
    decided_at: datetime | None = None,
    evidence: str = "",
    supersedes: Decision | None = None,
) -> Decision:
    reference = repo.next_reference(ctx.session, "decision", ctx.now.year)
    row = Decision(
        reference=reference,
        issue_id=issue.id if issue else (incident.issue_id if incident else None),
        incident_id=incident.id if incident else None,
        conference_id=conference_id,
        kind=kind,
        what=what,
        rationale=rationale,
        options_considered=options_considered,
        decided_by=decided_by,
        group=group,
        meeting=meeting,
        decided_at=decided_at or ctx.now,
        evidence=evidence,
        supersedes_id=supersedes.id if supersedes else None,
        recorded_by_id=ctx.person.id,
        recorded_at=ctx.now,
    )
    ctx.session.add(row)
    ctx.session.flush()
    subject = incident.reference if incident else (issue.reference if issue else "")
    ctx.audit(
        "decision.recorded",
        "decision",
        reference,
        None,
        {
            "subject": subject,
            "kind": kind,
            "what": what,
            "group": group,
            "supersedes": supersedes.reference if supersedes else None,
        },
    )
    return row


def decision_card(decision: Decision, subject: str, exercise: bool = False) -> Card:
    facts = [
        ("Subject", subject),
        ("Group", forms.GROUP_LABELS.get(decision.group, decision.group)),
        ("Decided by", decision.decided_by),
        ("When", show(decision.decided_at)),
    ]
    if decision.meeting:
        facts.append(("Meeting", decision.meeting))
    sections = [("Decision", decision.what), ("Rationale", decision.rationale)]
    if decision.options_considered:
        sections.append(("Options considered", decision.options_considered))
    if decision.evidence:
        sections.append(("Evidence", decision.evidence))
    return Card(
        title=f"Decision {decision.reference}",
        subtitle="Decision log entry",
        facts=tuple(facts),
        sections=tuple(sections),
        exercise=exercise,
    )


def decision_log_anchor(incident: Incident) -> str:
    return f"decisions:{incident.reference}"


def decision_log_card(session: Session, incident: Incident) -> Card:
    """The incident's decision log, pinned in its channel and edited as decisions are added."""
    # The issue's decisions too: the case conferences that led to it are part of its log.
    rows, superseded_refs, superseded = repo.latest_decisions(session, incident.issue_id, LOG_SHOWN)
    total = repo.count_decisions(session, incident.issue_id)
    lines: list[t.Line] = []
    for r in rows:
        note = " (superseded)" if r.id in superseded else ""
        if r.supersedes_id in superseded_refs:
            note += f" (supersedes {superseded_refs[r.supersedes_id]})"
        group = forms.GROUP_LABELS.get(r.group, r.group)
        lines.append(
            t.bullet(
                t.bold(r.reference),
                f" · {show(r.decided_at)} · {group} · {r.decided_by}{note}: {r.what}"
                f" (rationale: {r.rationale})",
            )
        )
    earlier = total - len(rows)
    if earlier > 0:
        lines.insert(0, t.para(f"({earlier} earlier decisions: /opss status {incident.reference})"))
    return Card(
        title=f"Decision log · {incident.reference}",
        subtitle=f"{total} decision{'s' if total != 1 else ''}, append-only",
        sections=(("Decisions", t.Text(tuple(lines)) if lines else "none yet"),),
        actions=(
            Action("Record a decision", f"/opss decide {incident.reference}"),
            Action("Export records", f"/opss export {incident.reference}"),
        ),
        exercise=incident.exercise,
    )
