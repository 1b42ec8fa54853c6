"""An action's progress from the buttons on its card (3.10): started, blocked (with a reason),
or done. Each change edits the action's card in place and is posted in the incident channel.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from sqlalchemy import select

from cards.model import Field, Form
from commands.action.card import action_anchor, action_card
from commands.core.args import Args
from commands.core.context import Ctx, PermissionRefused, Reply, UserError
from commands.core.flows import Context, FormFlow
from rules import roles
from rules.action_chasing import ActionStatus
from rules.references import parse_reference
from storage.models import Action, Incident, Person


def find_action(ctx: Ctx, text: str | None, verb: str) -> Action:
    parsed = parse_reference(text or "")
    if parsed is None or parsed[0] != "action":
        raise UserError(f"{verb} needs an action reference, e.g. /opss {verb} ACT-2026-0001.")
    row = ctx.session.scalar(select(Action).where(Action.reference == parsed[1]))
    if row is None:
        raise UserError(f"No action {parsed[1]} is recorded.")
    if row.status == ActionStatus.DONE:
        raise UserError(f"{row.reference} was already marked done.")
    return row


def check_progress(ctx: Ctx, row: Action, what: str) -> None:
    assigner = ctx.session.get(Person, row.assigned_by_id)
    allowed = roles.may_complete_action(
        ctx.actor, row.owner.name, assigner.name if assigner else ""
    )
    if not allowed:
        raise PermissionRefused(f"{what} {row.reference}", allowed.who_may, row.reference)


def publish_progress(ctx: Ctx, row: Action, message: str) -> None:
    """Post the change and edit the action's card in place."""
    incident = ctx.session.get(Incident, row.incident_id) if row.incident_id else None
    subject = incident.reference if incident else ""
    card = action_card(row, subject, exercise=bool(incident and incident.exercise))
    conversation = incident.channel_key if incident else ctx.here()
    ctx.post(conversation, message)
    ctx.update(conversation, action_anchor(row), f"Action {row.reference}", card)


def _set(ctx: Ctx, row: Action, status: ActionStatus, note: str) -> None:
    before = {"status": row.status, "note": row.progress_note}
    row.status = status
    row.progress_note = note
    ctx.audit("action.progress", "action", row.reference, before, {"status": status, "note": note})


def started(ctx: Ctx, args: Args) -> Reply:
    row = find_action(ctx, args.first(), "started")
    check_progress(ctx, row, "mark as started")
    _set(ctx, row, ActionStatus.STARTED, args.options.get("note", ""))
    message = f"Action {row.reference} started by {ctx.person.display_name}: {row.what}"
    publish_progress(ctx, row, message)
    return Reply(text=message)


def _blocked_prepare(ctx: Ctx, args: Args) -> tuple[Context, dict[str, Any]]:
    row = find_action(ctx, args.first(), "blocked")
    check_progress(ctx, row, "mark as blocked")
    values = {"reason": args.options["reason"]} if args.options.get("reason") else {}
    return {"reference": row.reference}, values


def _blocked_build(ctx: Ctx, context: Mapping[str, str]) -> Form:
    return blocked_form(context.get("reference", ""))


def blocked_form(ref: str) -> Form:
    return Form(
        id="blocked",
        title=f"Blocked · {ref}",
        intro="What is stopping the action? The TCG chair and IMT see the reason.",
        submit_label="Mark blocked",
        fields=(Field("reason", "Reason", "multiline", required=True, max_length=2000),),
        context={"reference": ref},
    )


@dataclass(frozen=True)
class BlockedValues:
    reason: str


def _blocked_apply(ctx: Ctx, context: Mapping[str, str], v: BlockedValues) -> Reply:
    row = find_action(ctx, context.get("reference"), "blocked")
    check_progress(ctx, row, "mark as blocked")
    _set(ctx, row, ActionStatus.BLOCKED, v.reason)
    message = f"Action {row.reference} is blocked ({ctx.person.display_name}): {v.reason}"
    publish_progress(ctx, row, message)
    return Reply(text=message)


def _blocked_permit(ctx: Ctx, context: Mapping[str, str]) -> None:
    check_progress(ctx, find_action(ctx, context.get("reference"), "blocked"), "mark as blocked")


BLOCKED = FormFlow(
    "blocked",
    _blocked_prepare,
    _blocked_build,
    _blocked_apply,
    prompt="Say what blocks it.",
    permit=_blocked_permit,
    values=BlockedValues,
)
