"""A declared incident's response level: the impact matrix's overall level at declaration,
changed later by decision (plan 2.4, 3.25). ``/opss level INC`` changes it; the reply offers
the battle-rhythm preset that matches the new level, and a High or Critical level asks for DBT
ERCO (3.17) until its engagement is recorded.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from cards.model import Action as Button
from cards.model import Card, Choice, Field, Form
from commands.core.args import Args
from commands.core.context import Ctx, PermissionRefused, Reply, UserError
from commands.core.flows import Context, FormFlow
from commands.decision.log import record_decision
from commands.incident.card import refresh_incident_card
from commands.incident.command_and_control import (
    incident_for,
    posted_reply,
    role_holder,
)
from commands.incident.erco import erco_prompt
from rules import impact
from rules.command_and_control import PRESET_FOR_LEVEL, erco_needed, may_change_level
from storage.models import Incident

LEVEL_CHOICES = tuple(
    Choice(level.name.lower(), level.label, impact.LEVEL_MEANINGS[level])
    for level in sorted(impact.Level, reverse=True)
)


@dataclass(frozen=True)
class LevelValues:
    level: str
    rationale: str


def level_form(reference: str, current: str) -> Form:
    return Form(
        id="level",
        title=f"Response level · {reference}",
        intro=f"The incident's level on the impact matrix (Table 1) is {current}. Changing it "
        "is a decision (3.25); the bot then offers the battle rhythm that matches.",
        submit_label="Change level",
        fields=(
            Field(
                "level", "New level", "choice", required=True, expanded=True, choices=LEVEL_CHOICES
            ),
            Field(
                "rationale",
                "Rationale (the reassessment)",
                "multiline",
                required=True,
                max_length=4000,
            ),
        ),
        context={"reference": reference},
    )


def current_label(incident: Incident) -> str:
    return impact.Level(incident.overall_impact).label if incident.overall_impact else "not rated"


def _check(ctx: Ctx, incident: Incident) -> None:
    allowed = may_change_level(ctx.actor, role_holder(ctx.session, incident, "imt_lead"))
    if not allowed:
        raise PermissionRefused(
            f"change the level of {incident.reference}", allowed.who_may, incident.reference
        )


def _prepare(ctx: Ctx, args: Args) -> tuple[Context, dict[str, Any]]:
    incident = incident_for(ctx, args.first(), "level", "response levels")
    _check(ctx, incident)
    values: dict[str, Any] = {}
    if len(args.words) > 1:
        values["level"] = args.words[1]
    for name, value in args.options.items():
        if name != "rationale":
            raise UserError(f"level does not take --{name}; it takes --rationale.")
        values["rationale"] = value
    return {"reference": incident.reference}, values


def _build(ctx: Ctx, context: Mapping[str, str]) -> Form:
    incident = incident_for(ctx, context.get("reference"), "level", "response levels")
    return level_form(incident.reference, current_label(incident))


def _apply(ctx: Ctx, context: Mapping[str, str], v: LevelValues) -> Reply:
    incident = incident_for(ctx, context.get("reference"), "level", "response levels")
    _check(ctx, incident)
    new = impact.Level.parse(v.level)
    old = current_label(incident)
    if incident.overall_impact == int(new):
        raise UserError(f"New level: {incident.reference} is already {new.label}.", "level")
    decision = record_decision(
        ctx,
        kind="level",
        what=f"Response level of {incident.reference} changed from {old} to {new.label}",
        rationale=v.rationale,
        decided_by=ctx.person.display_name,
        group="imt",
        incident=incident,
    )
    incident.overall_impact = int(new)
    ctx.audit(
        "incident.level_changed",
        "incident",
        incident.reference,
        {"level": old},
        {"level": new.label, "decision": decision.reference},
    )
    text = f"{incident.reference} is now {new.label} (was {old}; {decision.reference})."
    preset = PRESET_FOR_LEVEL[new]
    presets = ctx.options.rhythms or {}
    buttons = []
    if not presets or preset in presets:
        buttons.append(
            Button(
                f"Apply the {preset} battle rhythm",
                f"/opss rhythm {incident.reference} replace {preset}",
            )
        )
    card = Card(
        title=f"Response level {new.label} · {incident.reference}",
        subtitle=impact.LEVEL_MEANINGS[new].capitalize() + ".",
        facts=(("Was", old), ("Now", new.label), ("Decision", decision.reference)),
        sections=(
            (
                "Battle rhythm",
                f"The {preset} battle rhythm matches a {new.label} incident. IMT can apply it "
                "with the button (it replaces the current meetings).",
            ),
        ),
        actions=tuple(buttons),
        exercise=incident.exercise,
    )
    ctx.post(incident.channel_key, text, card)
    if erco_needed(new, incident.erco_engaged):
        prompt_text, prompt_card = erco_prompt(incident)
        ctx.post(incident.channel_key, prompt_text, prompt_card)
    refresh_incident_card(ctx, incident)
    return posted_reply(ctx, incident, text, card)


def _permit(ctx: Ctx, context: Mapping[str, str]) -> None:
    _check(ctx, incident_for(ctx, context.get("reference"), "level", "response levels"))


LEVEL = FormFlow(
    "level",
    _prepare,
    _build,
    _apply,
    prompt="Change the response level.",
    permit=_permit,
    values=LevelValues,
)
