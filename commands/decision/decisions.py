"""``/opss decide``: a decision recorded by form, or a correction that supersedes an earlier
one; the entry itself is kept by the log (``log.py``)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date
from typing import Any

from cards.model import Form
from commands.core.args import Args
from commands.core.context import Ctx, PermissionRefused, Reply, UserError
from commands.core.flows import Context, FormFlow
from commands.core.lookup import find_issue_or_incident
from commands.core.people import as_recorded
from commands.decision import forms
from commands.decision.log import (
    decision_card,
    decision_log_anchor,
    decision_log_card,
    record_decision,
)
from commands.incident.card import incident_card
from rules import roles
from rules.references import parse_reference
from rules.timeparse import WhenError, parse_when
from storage import repositories as repo
from storage.models import Incident, Issue

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


@dataclass(frozen=True)
class DecideValues:
    """What the decision form gives back, validated (its fields: commands/decision/forms.py)."""

    what: str
    rationale: str
    options_considered: str | None
    decided_by: str
    group: str
    meeting: str | None
    date: date | None
    time: str | None  # "HH:MM"
    evidence: str | None
    supersedes: str | None


def _apply(ctx: Ctx, context: Mapping[str, str], v: DecideValues) -> Reply:
    issue, incident = _subject(ctx, context.get("reference"))
    _check(ctx, issue, incident)
    supersedes = None
    if v.supersedes:
        parsed = parse_reference(v.supersedes)
        if parsed is None or parsed[0] != "decision":
            raise UserError(
                f"Supersedes: '{v.supersedes}' is not a decision reference "
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
    if v.date is not None:
        try:
            decided_at = parse_when(f"{v.date.isoformat()} {v.time or '00:00'}", ctx.now)
        except WhenError as exc:
            raise UserError(f"Date decided: {exc}", "date") from exc
        if decided_at > ctx.now:
            raise UserError("Date decided: a decision cannot be dated in the future.", "date")
    row = record_decision(
        ctx,
        kind="correction" if supersedes else "decision",
        what=v.what,
        rationale=v.rationale,
        options_considered=v.options_considered or "",
        decided_by=as_recorded(ctx.session, v.decided_by),
        group=v.group,
        meeting=v.meeting or "",
        decided_at=decided_at,
        evidence=v.evidence or "",
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


DECIDE = FormFlow(
    "decide",
    _prepare,
    _build,
    _apply,
    prompt="Record the decision.",
    permit=_permit,
    values=DecideValues,
)
