"""The SCG's strategy (plan 3.5-3.7), with the public sector equality duty (1.7-1.8).

``/opss strategy INC`` opens the form with the seven headings of 3.6, prefilled with the
current version. Each version is kept and recorded as a decision; the SCG's deadlines for
updates (3.7) become actions, chased like any other.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from sqlalchemy import func, select

from cards.model import Card, Field, Form
from commands.action.chasing import schedule_chase
from commands.core.args import Args
from commands.core.context import Ctx, PermissionRefused, Reply, UserError
from commands.core.flows import Context, FormFlow
from commands.decision.log import record_decision
from commands.incident.card import refresh_incident_card
from commands.incident.command_and_control import (
    chair_of,
    incident_for,
    posted_reply,
)
from commands.incident.plans import current_strategy
from rules.action_chasing import ActionStatus
from rules.command_and_control import may_record_strategy
from rules.timeparse import WhenError, parse_when, show
from storage import repositories as repo
from storage.models import Action, Incident, Strategy

HEADINGS: tuple[tuple[str, str, bool], ...] = (
    ("what_happened", "What happened (intelligence, risks, information and impacts)", True),
    ("aim", "Strategic aim and governing objectives", True),
    ("priorities", "Immediate priorities", True),
    ("support", "Support required (resources, information, authority, finance)", False),
    ("communications", "Who needs to know, what and when (communications strategy)", False),
    ("engagement", "Engagement with ministers, press office and stakeholders", False),
    ("exit_strategy", "Incident exit strategy", False),
)
EQUALITY = "equality"
EQUALITY_LABEL = (
    "Public sector equality duty (1.7-1.8): how are people with protected characteristics "
    "and vulnerable groups affected (e.g. older or disabled people, minority languages), and "
    "what will the response do for them?"
)
DEADLINES = "deadlines"
DEADLINE_HELP = (
    "One per line: owner | YYYY-MM-DD HH:MM | what update is due (3.7). Each becomes an action."
)


@dataclass(frozen=True)
class StrategyValues:
    # The headings of 3.6, one field per item of HEADINGS, then EQUALITY and DEADLINES.
    what_happened: str
    aim: str
    priorities: str
    support: str | None
    communications: str | None
    engagement: str | None
    exit_strategy: str | None
    equality: str
    deadlines: str | None


def strategy_form(reference: str) -> Form:
    fields = [
        Field(key, label, "multiline", required=required) for key, label, required in HEADINGS
    ]
    fields.append(Field(EQUALITY, EQUALITY_LABEL, "multiline", required=True))
    fields.append(
        Field(
            DEADLINES,
            "Deadlines for updates",
            "multiline",
            placeholder="fatima | 2026-11-24 12:00 | Test results for batch 3",
            help=DEADLINE_HELP,
        )
    )
    return Form(
        id="strategy",
        title=f"SCG strategy · {reference}",
        intro="The SCG sets and reviews the strategy (3.5-3.6). Each version is recorded as a "
        "decision; the TCG's reminders show the current one.",
        submit_label="Record strategy",
        fields=tuple(fields),
        context={"reference": reference},
    )


def _check(ctx: Ctx, incident: Incident) -> None:
    allowed = may_record_strategy(ctx.actor, chair_of(ctx.session, incident.id, "scg"))
    if not allowed:
        raise PermissionRefused(
            f"record the strategy of {incident.reference}", allowed.who_may, incident.reference
        )


def _prepare(ctx: Ctx, args: Args) -> tuple[Context, dict[str, Any]]:
    incident = incident_for(ctx, args.first(), "strategy", "strategies")
    _check(ctx, incident)
    known = {k for k, _, _ in HEADINGS} | {EQUALITY, DEADLINES}
    values: dict[str, Any] = {}
    for name, value in args.options.items():
        if name not in known:
            raise UserError(
                f"strategy does not take --{name}; it takes " + ", ".join(f"--{k}" for k in known)
            )
        values[name] = value
    return {"reference": incident.reference}, values


def _build(ctx: Ctx, context: Mapping[str, str]) -> Form:
    form = strategy_form(context.get("reference", ""))
    incident = repo.incident_by_reference(ctx.session, context.get("reference", ""))
    latest = current_strategy(ctx.session, incident.id) if incident else None
    if latest is None:
        return form
    # Reviewing the strategy starts from the current version (deadlines are new each time).
    return form.prefilled({k: v for k, v in latest.fields.items() if k != DEADLINES})


def _deadlines(ctx: Ctx, text: str) -> list[tuple[Any, Any, str]]:
    out = []
    for number, line in enumerate((text or "").splitlines(), start=1):
        if not line.strip():
            continue
        parts = [p.strip() for p in line.split("|")]
        if len(parts) != 3 or not all(parts):
            raise UserError(
                f"Deadlines for updates, line {number}: write owner | YYYY-MM-DD HH:MM | what.",
                DEADLINES,
            )
        owner = repo.person_by_name(ctx.session, parts[0].lstrip("@"))
        if owner is None:
            raise UserError(
                f"Deadlines for updates, line {number}: no user '{parts[0]}' is known.", DEADLINES
            )
        try:
            due = parse_when(parts[1], ctx.now)
        except WhenError as exc:
            raise UserError(f"Deadlines for updates, line {number}: {exc}", DEADLINES) from exc
        if due <= ctx.now:
            raise UserError(
                f"Deadlines for updates, line {number}: {parts[1]} has already passed.", DEADLINES
            )
        out.append((owner, due, parts[2]))
    return out


def _apply(ctx: Ctx, context: Mapping[str, str], v: StrategyValues) -> Reply:
    incident = incident_for(ctx, context.get("reference"), "strategy", "strategies")
    _check(ctx, incident)
    deadlines = _deadlines(ctx, v.deadlines or "")
    version = (
        ctx.session.scalar(
            select(func.max(Strategy.version)).where(Strategy.incident_id == incident.id)
        )
        or 0
    ) + 1
    fields = {k: (getattr(v, k) or "") for k, _, _ in HEADINGS}
    fields[EQUALITY] = v.equality
    fields[DEADLINES] = v.deadlines or ""
    decision = record_decision(
        ctx,
        kind="strategy",
        what=f"SCG strategy v{version}: {fields['aim']}",
        rationale=f"What happened: {fields['what_happened']}\nPriorities: {fields['priorities']}"
        f"\nEquality duty (1.7-1.8): {fields[EQUALITY]}",
        decided_by=ctx.person.display_name,
        group="scg",
        incident=incident,
    )
    row = Strategy(
        incident_id=incident.id,
        version=version,
        fields=fields,
        decision_id=decision.id,
        recorded_by_id=ctx.person.id,
        recorded_at=ctx.now,
    )
    ctx.session.add(row)
    refs = []
    for owner, due, what in deadlines:
        action = Action(
            reference=repo.next_reference(ctx.session, "action", ctx.now.year),
            issue_id=incident.issue_id,
            incident_id=incident.id,
            what=f"Update for the SCG: {what}",
            owner_id=owner.id,
            due_at=due,
            standard=f"Deadline set by the SCG in strategy v{version} (3.7)",
            assigned_by_id=ctx.person.id,
            assigned_at=ctx.now,
            status=ActionStatus.OPEN,
            group="scg",
        )
        schedule_chase(action, ctx.now, ctx.options)
        ctx.session.add(action)
        ctx.session.flush()
        ctx.audit(
            "action.assigned",
            "action",
            action.reference,
            None,
            {"subject": incident.reference, "owner": owner.name, "due": due.isoformat()},
        )
        refs.append(f"{action.reference} ({owner.display_name}, {show(due)})")
    ctx.session.flush()
    ctx.audit(
        "strategy.recorded",
        "incident",
        incident.reference,
        None,
        {"version": version, "decision": decision.reference, "deadlines": len(deadlines)},
    )
    card = strategy_card(row, incident, decision.reference)
    text = f"SCG strategy v{version} recorded for {incident.reference} ({decision.reference})."
    if refs:
        text += " Deadlines for updates: " + "; ".join(refs) + "."
    ctx.post(incident.channel_key, text, card)
    refresh_incident_card(ctx, incident)
    return posted_reply(ctx, incident, text, card)


def strategy_card(row: Strategy, incident: Incident, decision_ref: str = "") -> Card:
    sections = [(label.split(" (")[0], row.fields.get(key) or "—") for key, label, _ in HEADINGS]
    sections.append(("Equality duty (1.7-1.8)", row.fields.get(EQUALITY) or "—"))
    if row.fields.get(DEADLINES):
        sections.append(("Deadlines for updates (3.7)", row.fields[DEADLINES]))
    return Card(
        title=f"SCG strategy v{row.version} · {incident.reference}",
        subtitle=f"Recorded {show(row.recorded_at)}"
        + (f" · {decision_ref}" if decision_ref else ""),
        sections=tuple(sections),
        exercise=incident.exercise,
    )


def _permit(ctx: Ctx, context: Mapping[str, str]) -> None:
    _check(ctx, incident_for(ctx, context.get("reference"), "strategy", "strategies"))


STRATEGY = FormFlow(
    "strategy",
    _prepare,
    _build,
    _apply,
    prompt="Record the SCG's strategy.",
    permit=_permit,
    values=StrategyValues,
)
