"""DBT Emergency Response Coordination (plan 3.17): engaged for a High or Critical incident.

``/opss erco INC`` records who engaged ERCO, when, and whether it set up an Emergency Response
Team. It is a decision; the incident card's banner goes, and the prompts stop.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date
from typing import Any

from cards.model import Action as Button
from cards.model import Card, Field, Form
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
from rules.command_and_control import may_record_erco
from rules.impact import Level
from rules.timeparse import WhenError, parse_when, show
from storage.models import Incident


def erco_needed_for(incident: Incident) -> bool:
    level = Level(incident.overall_impact) if incident.overall_impact else None
    return level is not None and level >= Level.HIGH and not incident.erco_engaged


def erco_prompt(incident: Incident, occasion: str = "") -> tuple[str, Card]:
    """The ask to engage DBT ERCO; ``occasion`` says which rhythm cycle asks again."""
    level = Level(incident.overall_impact).label if incident.overall_impact else "High"
    text = (
        (f"{occasion}: " if occasion else "")
        + f"{incident.reference} is {level} and DBT Emergency Response Coordination (ERCO) is "
        "not recorded as engaged. Engage ERCO (plan 3.17) and record it."
    )
    card = Card(
        title=f"Engage DBT ERCO · {incident.reference}",
        subtitle="Asked at each battle-rhythm cycle until ERCO's engagement is recorded",
        facts=(("Response level", level), ("ERCO", "not yet recorded as engaged")),
        actions=(Button("Record ERCO engagement", f"/opss erco {incident.reference}"),),
        exercise=incident.exercise,
        warning="OPSS engages DBT ERCO for an incident that is, or could become, High or "
        "Critical (3.17).",
    )
    return text, card


@dataclass(frozen=True)
class ErcoValues:
    """What the ERCO form gives back, validated."""

    engaged_by: str
    date: date | None
    time: str | None  # "HH:MM"
    ert: bool
    notes: str | None


def erco_form(reference: str) -> Form:
    return Form(
        id="erco",
        title=f"DBT ERCO · {reference}",
        intro="OPSS engages DBT Emergency Response Coordination for an incident that is, or "
        "could become, High or Critical (3.17).",
        submit_label="Record ERCO engagement",
        fields=(
            Field("engaged_by", "Engaged by (who contacted ERCO)", required=True, max_length=200),
            Field("date", "Date engaged (blank: today)", "date"),
            Field("time", "Time engaged (blank: now)", "time"),
            Field("ert", "ERCO set up an Emergency Response Team (ERT)", "toggle", value=False),
            Field("notes", "Notes (contact, what was agreed)", "multiline", max_length=2000),
        ),
        context={"reference": reference},
    )


def _check(ctx: Ctx, incident: Incident) -> None:
    allowed = may_record_erco(ctx.actor, chair_of(ctx.session, incident.id, "scg"))
    if not allowed:
        raise PermissionRefused(
            f"record DBT ERCO's engagement for {incident.reference}",
            allowed.who_may,
            incident.reference,
        )


def _prepare(ctx: Ctx, args: Args) -> tuple[Context, dict[str, Any]]:
    incident = incident_for(ctx, args.first(), "erco", "ERCO records")
    _check(ctx, incident)
    values: dict[str, Any] = {}
    for name, value in args.options.items():
        if name == "by":
            values["engaged_by"] = value
        elif name == "when":
            try:
                when = parse_when(value, ctx.now)
            except WhenError as exc:
                raise UserError(f"Date engaged: {exc}", "date") from exc
            values["date"], values["time"] = when.strftime("%Y-%m-%d"), when.strftime("%H:%M")
        elif name in {"ert", "notes"}:
            values[name] = value
        else:
            raise UserError(f"erco does not take --{name}; it takes --by, --when, --ert, --notes.")
    return {"reference": incident.reference}, values


def _build(ctx: Ctx, context: Mapping[str, str]) -> Form:
    return erco_form(context.get("reference", "")).prefilled(
        {"engaged_by": ctx.person.display_name}
    )


def _apply(ctx: Ctx, context: Mapping[str, str], v: ErcoValues) -> Reply:
    incident = incident_for(ctx, context.get("reference"), "erco", "ERCO records")
    _check(ctx, incident)
    when = ctx.now
    if v.date is not None:
        try:
            when = parse_when(f"{v.date.isoformat()} {v.time or '00:00'}", ctx.now)
        except WhenError as exc:
            raise UserError(f"Date engaged: {exc}", "date") from exc
        if when > ctx.now:
            raise UserError(
                "Date engaged: that is in the future; record ERCO once it has been engaged.",
                "date",
            )
    before = {
        "erco_engaged": incident.erco_engaged,
        "by": incident.erco_engaged_by,
        "ert": incident.erco_ert,
    }
    incident.erco_engaged = True
    incident.erco_engaged_by = v.engaged_by
    incident.erco_engaged_at = when
    incident.erco_ert = v.ert
    ert = "an Emergency Response Team was set up" if incident.erco_ert else "no ERT was set up"
    decision = record_decision(
        ctx,
        kind="erco",
        what=f"DBT ERCO engaged by {v.engaged_by} at {show(when)}; {ert}",
        rationale="Incident risk assessed as High or Critical: OPSS engages DBT ERCO (3.17)."
        + (f" {v.notes}" if v.notes else ""),
        decided_by=ctx.person.display_name,
        group="imt",
        incident=incident,
        decided_at=when,
    )
    ctx.audit(
        "incident.erco_engaged",
        "incident",
        incident.reference,
        before,
        {"erco_engaged": True, "by": v.engaged_by, "ert": incident.erco_ert},
    )
    text = (
        f"DBT ERCO engagement recorded for {incident.reference}: engaged by {v.engaged_by} "
        f"at {show(when)}; {ert} ({decision.reference})."
    )
    card = Card(
        title=f"DBT ERCO engaged · {incident.reference}",
        subtitle="Recorded in the decision log (3.17)",
        facts=(
            ("Engaged by", v.engaged_by),
            ("When", show(when)),
            ("Emergency Response Team", "set up" if incident.erco_ert else "not set up"),
            ("Decision", decision.reference),
        ),
        exercise=incident.exercise,
    )
    ctx.post(incident.channel_key, text, card)
    refresh_incident_card(ctx, incident)
    return posted_reply(ctx, incident, text, card)


def _permit(ctx: Ctx, context: Mapping[str, str]) -> None:
    _check(ctx, incident_for(ctx, context.get("reference"), "erco", "ERCO records"))


ERCO = FormFlow(
    "erco",
    _prepare,
    _build,
    _apply,
    prompt="Record DBT ERCO's engagement.",
    permit=_permit,
    values=ErcoValues,
)
