"""The decision log: every decision with what, why, options, who, which group, when, evidence.

Entries are append-only. A correction is a new entry that supersedes an earlier one.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any

from sqlalchemy.orm import Session

from cards import forms
from cards import text as t
from cards.model import Action, Card, Form
from commands.core.args import Args
from commands.core.context import Ctx, PermissionRefused, Reply, UserError
from commands.core.flows import Context, FormFlow
from commands.core.lookup import find_issue_or_incident
from commands.core.people import as_recorded
from commands.issue.card import incident_card
from rules import roles
from rules.references import parse_reference
from rules.timeparse import WhenError, parse_when, show
from storage import repositories as repo
from storage.models import Decision, Incident, Issue


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


LOG_SHOWN = 15


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


# /opss decide --------------------------------------------------------------------------------

DECIDE_OPTIONS = {
    "what",
    "rationale",
    "options",
    "options_considered",
    "by",
    "decided_by",
    "group",
    "meeting",
    "date",
    "time",
    "evidence",
    "supersedes",
    "when",
}


def _subject(ctx: Ctx, reference: str | None) -> tuple[Issue | None, Incident | None]:
    return find_issue_or_incident(ctx, reference, "decide")


def _check(ctx: Ctx, issue: Issue | None, incident: Incident | None) -> None:
    team = list((incident.command_team or {}).values()) if incident else []
    allowed = roles.may_record_decision(ctx.actor, team)
    if not allowed:
        ref = incident.reference if incident else (issue.reference if issue else "")
        raise PermissionRefused(f"record decisions for {ref}", allowed.who_may, ref)


def _prepare(ctx: Ctx, args: Args) -> tuple[Context, dict[str, Any]]:
    issue, incident = _subject(ctx, args.first())
    _check(ctx, issue, incident)
    values: dict[str, Any] = {}
    for name, value in args.options.items():
        if name not in DECIDE_OPTIONS:
            raise UserError(
                f"decide does not take --{name}; it takes --what, --rationale, --options, "
                "--by, --group, --meeting, --when, --evidence and --supersedes."
            )
        key = {"options": "options_considered", "by": "decided_by"}.get(name, name)
        if key == "when":
            try:
                when = parse_when(value, ctx.now)
            except WhenError as exc:
                raise UserError(f"When: {exc}", "date") from exc
            values["date"], values["time"] = when.strftime("%Y-%m-%d"), when.strftime("%H:%M")
        else:
            values[key] = value
    ref = incident.reference if incident else (issue.reference if issue else "")
    return {"reference": ref}, values


def _build(ctx: Ctx, context: Mapping[str, str]) -> Form:
    form = forms.decide_form(context.get("reference", ""))
    return form.prefilled({"decided_by": ctx.person.display_name})


def _apply(ctx: Ctx, context: Mapping[str, str], v: dict[str, Any]) -> Reply:
    issue, incident = _subject(ctx, context.get("reference"))
    _check(ctx, issue, incident)
    supersedes = None
    if v.get("supersedes"):
        parsed = parse_reference(v["supersedes"])
        if parsed is None or parsed[0] != "decision":
            raise UserError(
                f"Supersedes: '{v['supersedes']}' is not a decision reference "
                "(they look like DEC-2026-0001).",
                "supersedes",
            )
        supersedes = repo.decision_by_reference(ctx.session, parsed[1])
        if supersedes is None:
            raise UserError(f"Supersedes: no decision {parsed[1]} is recorded.", "supersedes")
        same = (incident and supersedes.incident_id == incident.id) or (
            issue and supersedes.issue_id == issue.id
        )
        if not same:
            raise UserError(
                f"Supersedes: {parsed[1]} belongs to another issue or incident.", "supersedes"
            )
    decided_at = ctx.now
    if v.get("date"):
        try:
            decided_at = parse_when(f"{v['date']} {v.get('time') or '00:00'}", ctx.now)
        except WhenError as exc:
            raise UserError(f"Date decided: {exc}", "date") from exc
        if decided_at > ctx.now:
            raise UserError("Date decided: a decision cannot be dated in the future.", "date")
    row = record_decision(
        ctx,
        kind="correction" if supersedes else "decision",
        what=v["what"],
        rationale=v["rationale"],
        options_considered=v.get("options_considered") or "",
        decided_by=as_recorded(ctx.session, v["decided_by"]),
        group=v["group"],
        meeting=v.get("meeting") or "",
        decided_at=decided_at,
        evidence=v.get("evidence") or "",
        supersedes=supersedes,
        issue=issue,
        incident=incident,
    )
    subject = incident.reference if incident else (issue.reference if issue else "")
    card = decision_card(row, subject, exercise=bool(incident and incident.exercise))
    text = f"Decision {row.reference} recorded for {subject}." + (
        f" It supersedes {supersedes.reference}." if supersedes else ""
    )
    if incident is not None:
        ctx.post(incident.channel_key, text, card)
        ctx.update(
            incident.channel_key,
            decision_log_anchor(incident),
            f"Decision log · {incident.reference}",
            decision_log_card(ctx.session, incident),
        )
        ctx.update(
            incident.channel_key,
            f"incident:{incident.reference}",
            f"Incident {incident.reference}",
            incident_card(ctx.session, incident),
        )
    else:
        ctx.post(ctx.here(), text, card)
    return Reply(text=text, card=card)


def _permit(ctx: Ctx, context: Mapping[str, str]) -> None:
    _check(ctx, *_subject(ctx, context.get("reference")))


DECIDE = FormFlow("decide", _prepare, _build, _apply, prompt="Record the decision.", permit=_permit)
