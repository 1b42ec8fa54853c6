"""Filling in a notification's annex form, one step at a time (Slack modals hold 100 blocks).

Each step is saved as it is submitted, so nothing typed is lost if the rest waits. The box for
the national contact point only is in the form only for those who may see it; for anyone else
its value is kept as it was.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date
from typing import Any

from cards.annex_forms import (
    ANNEXES,
    GAP_SUFFIX,
    Annex,
    blank_boxes,
    confidentiality_error,
    describe_boxes,
    form_step,
    gap_problem,
    steps_for,
)
from cards.model import Form
from commands.core.args import Args
from commands.core.context import Ctx, PermissionRefused, Reply, UserError
from commands.core.flows import Context, FieldValue, FormFlow
from commands.notification.records import (
    anchor,
    find_notification,
    kind_label,
    notification_card,
    section6_owed,
    subject_ref,
)
from rules.deadlines import Kind
from rules.notifications import (
    NotificationStatus,
    may_see_confidential,
    may_send,
    needs_chemical_data,
)
from rules.timeparse import LONDON
from storage.models import Notification


def _load(ctx: Ctx, ref: str | None) -> Notification:
    n = find_notification(ctx, ref, "notify")
    allowed = may_send(ctx.actor, n.owner.name)
    if not allowed:
        raise PermissionRefused(f"fill in {n.reference}", allowed.who_may, n.reference)
    return n


def _steps(n: Notification) -> list[int]:
    annex = ANNEXES[n.annex]
    return steps_for(
        annex,
        chemical=needs_chemical_data(Kind(n.kind), n.product_type),
        section6=n.status == NotificationStatus.SENT and section6_owed(n),
    )


def _step(n: Notification, context: Mapping[str, str], steps: list[int]) -> int:
    raw = context.get("step") or str(steps[0])
    step = int(raw) if raw.isascii() and raw.isdigit() and len(raw) < 4 else -1
    if step not in steps:
        raise UserError(f"Step '{raw}' is not a step of {n.reference}'s form.")
    return step


def _prepare(ctx: Ctx, args: Args) -> tuple[Context, dict[str, Any]]:
    n = _load(ctx, args.first())
    steps = _steps(n)
    step = steps[0]
    if len(args.words) > 1:
        raw = args.words[1]
        step = int(raw) if raw.isascii() and raw.isdigit() and len(raw) < 4 else -1
        if step not in steps:
            raise UserError(
                f"Step: '{args.words[1]}' is not a step of this form; steps are "
                + ", ".join(map(str, steps))
                + "."
            )
    return {"reference": n.reference, "step": str(step)}, {}


def build(ctx: Ctx, context: Mapping[str, str]) -> Form:
    n = _load(ctx, context.get("reference"))
    steps = _steps(n)
    step = _step(n, context, steps)
    subtitle = f"{kind_label(n.kind)} on {subject_ref(ctx.session, n)}."
    return form_step(
        ANNEXES[n.annex],
        step,
        n.values,
        reference=n.reference,
        subtitle=subtitle,
        show_confidential=may_see_confidential(ctx.actor, n.owner.name),
        steps=steps,
    )


@dataclass(frozen=True)
class AnnexValues:
    # The step's boxes vary with the annex, the step and who may see the confidential box:
    # each arrives by its box's name.
    boxes: Mapping[str, FieldValue]


def _apply(ctx: Ctx, context: Mapping[str, str], v: AnnexValues) -> Reply:
    n = _load(ctx, context.get("reference"))
    annex = ANNEXES[n.annex]
    form = build(ctx, context)
    shown = {f.name for f in form.fields}
    _check_expected_dates(annex, form, v, ctx.now.astimezone(LONDON).date())
    values = dict(n.values)
    changed = []
    for name in shown:
        given = v.boxes.get(name)
        new = given.strip() if isinstance(given, str) else given
        if (values.get(name) or None) != (new or None):
            changed.append(name)
        if new:
            values[name] = new
        else:
            values.pop(name, None)
    problem = confidentiality_error(annex, values)
    if problem is not None:
        raise UserError(problem[1], problem[0])
    n.values = values
    # Names of the boxes changed, never their contents: audit events are read more widely.
    ctx.audit(
        "notification.form_saved",
        "notification",
        n.reference,
        None,
        {"step": context.get("step"), "changed": sorted(changed)},
    )
    steps = _steps(n)
    step = _step(n, context, steps)
    later = [s for s in steps if s > step]
    ctx.update(
        n.conversation,
        anchor(n),
        f"{n.reference}",
        notification_card(ctx.session, n, ctx.now),
        surface=n.surface,
    )
    if later:
        return Reply(
            text=f"Saved. Step {steps.index(later[0]) + 1} of {len(steps)}.",
            form=build(ctx, {"reference": n.reference, "step": str(later[0])}),
        )
    chemical = needs_chemical_data(Kind(n.kind), n.product_type)
    blanks = blank_boxes(
        annex,
        values,
        chemical=chemical,
        section6=n.status == NotificationStatus.SENT and section6_owed(n),
    )
    left = (
        f" Still blank with no expected date or reason: {describe_boxes(blanks)}."
        if blanks
        else " No blank boxes: it can be marked sent."
    )
    text = f"Annex {n.annex} for {n.reference} saved.{left}"
    return Reply(text=text, card=notification_card(ctx.session, n, ctx.now))


def _check_expected_dates(annex: Annex, form: Form, v: AnnexValues, today: date) -> None:
    """Each expected date given for an empty box exists and is still to come; checked before
    anything is kept, and the refusal names the box."""
    for f in form.fields:
        if not f.name.endswith(GAP_SUFFIX):
            continue
        given = v.boxes.get(f.name)
        problem = gap_problem(given, today) if isinstance(given, str) else None
        if problem is not None:
            box = annex.box(f.name.removesuffix(GAP_SUFFIX))
            raise UserError(f"Box {box.number} ({box.label}), expected date: {problem}.", f.name)


ANNEX = FormFlow(
    "annex",
    _prepare,
    build,
    _apply,
    prompt="Fill in the form, step by step.",
    permit=lambda ctx, context: _load(ctx, context.get("reference")),
    values=AnnexValues,
)
