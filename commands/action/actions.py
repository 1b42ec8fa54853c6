"""Actions (plan 3.10): tasks with an owner, a due time and a quality standard."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from cards.model import Form
from commands.action import forms
from commands.action.card import action_anchor, action_card
from commands.action.chasing import schedule_chase
from commands.action.progress import check_progress, find_action, publish_progress
from commands.core.args import Args
from commands.core.context import Ctx, PermissionRefused, Reply, UserError
from commands.core.flows import Context, FormFlow
from commands.core.lookup import find_issue_or_incident
from commands.incident.card import refresh_incident_card
from rules import roles
from rules.action_chasing import ActionStatus
from rules.references import parse_reference
from rules.timeparse import WhenError, parse_when, show
from storage import repositories as repo
from storage.models import Action, Incident, Issue, Person
from storage.whose import names_person

DEFAULT_DUE_TIME = "17:00"


def _subject(ctx: Ctx, reference: str | None) -> tuple[Issue | None, Incident | None]:
    return find_issue_or_incident(ctx, reference, "action")


def _check(ctx: Ctx, incident: Incident | None, ref: str) -> None:
    team = list((incident.command_team or {}).values()) if incident else []
    allowed = roles.may_assign_action(ctx.actor, team)
    if not allowed:
        raise PermissionRefused(f"assign actions on {ref}", allowed.who_may, ref)


def _prepare(ctx: Ctx, args: Args) -> tuple[Context, dict[str, Any]]:
    issue, incident = _subject(ctx, args.first())
    ref = incident.reference if incident else (issue.reference if issue else "")
    _check(ctx, incident, ref)
    values: dict[str, Any] = {}
    if len(args.words) > 1:
        values["what"] = args.rest(1)
    for name, value in args.options.items():
        if name == "owner":
            values["owner"] = value.lstrip("@")
        elif name == "due":
            try:
                due = parse_when(value if " " in value else f"{value} {DEFAULT_DUE_TIME}", ctx.now)
            except WhenError as exc:
                raise UserError(f"Due: {exc}", "date") from exc
            values["date"], values["time"] = due.strftime("%Y-%m-%d"), due.strftime("%H:%M")
        elif name in {"standard", "group"}:
            values[name] = value
        else:
            raise UserError(
                f"action does not take --{name}; it takes --owner, --due, --standard and --group."
            )
    return {"reference": ref}, values


def _build(ctx: Ctx, context: Mapping[str, str]) -> Form:
    return forms.action_form(context.get("reference", ""))


@dataclass(frozen=True)
class ActionValues:
    what: str
    owner: str
    date: date
    time: str | None  # "HH:MM"
    standard: str | None
    group: str | None


def _apply(ctx: Ctx, context: Mapping[str, str], v: ActionValues) -> Reply:
    issue, incident = _subject(ctx, context.get("reference"))
    ref = incident.reference if incident else (issue.reference if issue else "")
    _check(ctx, incident, ref)
    return assign(ctx, issue, incident, v)


def assign(ctx: Ctx, issue: Issue | None, incident: Incident | None, v: ActionValues) -> Reply:
    """Assign an action on a subject already found and permitted: for ``/opss action``, and
    for a review's recommendation, which a closed incident still takes (section 5)."""
    ref = incident.reference if incident else (issue.reference if issue else "")
    owner = repo.person_by_name(ctx.session, v.owner)
    if owner is None:
        raise UserError(f"Owner: no user '{v.owner}' is known.", "owner")
    try:
        due = parse_when(f"{v.date.isoformat()} {v.time or DEFAULT_DUE_TIME}", ctx.now)
    except WhenError as exc:
        raise UserError(f"Due: {exc}", "date") from exc
    if due <= ctx.now:
        raise UserError("Due: the due time has already passed.", "date")
    row = Action(
        reference=repo.next_reference(ctx.session, "action", ctx.now.year),
        issue_id=issue.id if issue else (incident.issue_id if incident else None),
        incident_id=incident.id if incident else None,
        what=v.what,
        owner_id=owner.id,
        due_at=due,
        standard=v.standard or "",
        assigned_by_id=ctx.person.id,
        assigned_at=ctx.now,
        status=ActionStatus.OPEN,
        group=v.group or "",
    )
    schedule_chase(row, ctx.now, ctx.options)
    ctx.session.add(row)
    ctx.session.flush()
    row.owner = owner
    ctx.audit(
        "action.assigned",
        "action",
        row.reference,
        None,
        {"subject": ref, "owner": owner.name, "due": due.isoformat(), "what": row.what},
    )
    text = f"Action {row.reference} on {ref} for {owner.display_name}, due {show(due)}: {row.what}"
    card = action_card(row, ref, exercise=bool(incident and incident.exercise))
    ctx.post(
        incident.channel_key if incident else ctx.here(), text, card, anchor=action_anchor(row)
    )
    if incident is not None:
        refresh_incident_card(ctx, incident)  # its count of open actions
    return Reply(text=text, card=card)


def _permit(ctx: Ctx, context: Mapping[str, str]) -> None:
    issue, incident = _subject(ctx, context.get("reference"))
    _check(ctx, incident, incident.reference if incident else (issue.reference if issue else ""))


ACTION = FormFlow(
    "action",
    _prepare,
    _build,
    _apply,
    prompt="Assign the action.",
    permit=_permit,
    values=ActionValues,
)


def done(ctx: Ctx, args: Args) -> Reply:
    text = args.first()
    parsed = parse_reference(text or "")
    if parsed is None or parsed[0] != "action":
        raise UserError("done needs an action reference, e.g. /opss done ACT-2026-0001.")
    row = find_action(ctx, text, "done")
    check_progress(ctx, row, "mark done")
    before = row.status
    row.status = ActionStatus.DONE
    row.next_run_at = None  # nothing more to chase
    row.done_at = ctx.now
    row.done_by_id = ctx.person.id
    row.done_note = args.options.get("note", "")
    ctx.audit(
        "action.done",
        "action",
        row.reference,
        {"status": before},
        {"status": "done", "note": row.done_note},
    )
    message = f"Action {row.reference} done by {ctx.person.display_name}: {row.what}"
    publish_progress(ctx, row, message)
    incident = ctx.session.get(Incident, row.incident_id) if row.incident_id else None
    if incident is not None:
        refresh_incident_card(ctx, incident)  # one fewer open (and perhaps overdue)
    return Reply(text=message)


def open_actions_for(session: Session, person: Person) -> list[Action]:
    return list(
        session.scalars(
            select(Action)
            .where(names_person(Action.owner_id, person), Action.status != ActionStatus.DONE)
            .order_by(Action.due_at)
        )
    )


def overdue(row: Action, now: datetime) -> bool:
    return row.status != ActionStatus.DONE and row.due_at < now
