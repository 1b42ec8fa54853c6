"""A declared incident's response level: the impact matrix's overall level at declaration,
changed later by decision (plan 2.4, 3.25-3.26). ``/opss level INC`` raises it at once: the IMT
lead flags an incident for escalation (3.25). Lowering it is a de-escalation (3.26): proposed
by IMT or the TCG chair with the SCG's consultation, it takes effect when the other has
approved (``/opss level INC approve``). The reply offers the battle-rhythm preset that matches
the new level, and a level of High or Critical, or an incident that could develop to be,
asks for DBT ERCO (3.17) until its engagement is recorded.
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
from commands.incident import standing
from commands.incident.card import refresh_incident_card
from commands.incident.command_and_control import (
    incident_for,
    posted_reply,
    role_holder,
)
from commands.incident.erco import erco_prompt, erco_question
from rules import impact, stand_down
from rules.command_and_control import (
    LOWER_LEVEL_WHO,
    PRESET_FOR_LEVEL,
    erco_needed,
    erco_question_due,
    is_lowering,
    may_change_level,
)
from rules.stand_down import APPROVER_LABELS, Approver
from storage.models import Incident

LEVEL_CHOICES = tuple(
    Choice(level.name.lower(), level.label, impact.LEVEL_MEANINGS[level])
    for level in sorted(impact.Level, reverse=True)
)


@dataclass(frozen=True)
class LevelValues:
    level: str
    rationale: str
    scg_consultation: str | None


def level_form(reference: str, current: str) -> Form:
    return Form(
        id="level",
        title=f"Response level · {reference}",
        intro=f"The incident's level on the impact matrix (Table 1) is {current}. Raising it is "
        "the IMT lead's flag for escalation (3.25); lowering it is decided by IMT and the TCG "
        "chair in consultation with the SCG (3.26), so it waits for the other's approval. The "
        "bot then offers the battle rhythm that matches.",
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
                max_length=3000,
            ),
            Field(
                "scg_consultation",
                "Lowering: SCG consultation, who was consulted, when, and their view (3.26)",
                "multiline",
                max_length=3000,
            ),
        ),
        context={"reference": reference},
    )


def current_label(incident: Incident) -> str:
    return impact.Level(incident.overall_impact).label if incident.overall_impact else "not rated"


def _current(incident: Incident) -> impact.Level | None:
    return impact.Level(incident.overall_impact) if incident.overall_impact else None


def _may_raise(ctx: Ctx, incident: Incident) -> Any:
    return may_change_level(ctx.actor, role_holder(ctx.session, incident, "imt_lead"))


def _approval(ctx: Ctx, incident: Incident, given: list[tuple[Approver, str]]) -> Any:
    return stand_down.approval_role(ctx.actor, standing.team_of(incident), given)


def _check(ctx: Ctx, incident: Incident) -> None:
    """Before the form: whoever may raise the level (3.25) or give one of the two approvals a
    lowering takes (3.26)."""
    if _may_raise(ctx, incident):
        return
    allowed, _ = _approval(ctx, incident, [])
    if not allowed:
        raise PermissionRefused(
            f"change the level of {incident.reference}",
            f"{_may_raise(ctx, incident).who_may}, or, to lower it, {LOWER_LEVEL_WHO},",
            incident.reference,
        )


def _prepare(ctx: Ctx, args: Args) -> tuple[Context, dict[str, Any]]:
    incident = incident_for(ctx, args.first(), "level", "response levels")
    _check(ctx, incident)
    values: dict[str, Any] = {}
    if len(args.words) > 1:
        values["level"] = args.words[1]
    for name, value in args.options.items():
        if name == "rationale":
            values["rationale"] = value
        elif name in {"scg", "scg_consultation"}:
            values["scg_consultation"] = value
        else:
            raise UserError(f"level does not take --{name}; it takes --rationale and --scg.")
    return {"reference": incident.reference}, values


def _build(ctx: Ctx, context: Mapping[str, str]) -> Form:
    incident = incident_for(ctx, context.get("reference"), "level", "response levels")
    return level_form(incident.reference, current_label(incident))


def _apply(ctx: Ctx, context: Mapping[str, str], v: LevelValues) -> Reply:
    incident = incident_for(ctx, context.get("reference"), "level", "response levels")
    _check(ctx, incident)
    new = impact.Level.parse(v.level)
    if incident.overall_impact == int(new):
        raise UserError(f"New level: {incident.reference} is already {new.label}.", "level")
    if is_lowering(_current(incident), new):
        return _propose_lowering(ctx, incident, new, v)
    allowed = _may_raise(ctx, incident)
    if not allowed:
        raise PermissionRefused(
            f"raise the level of {incident.reference}", allowed.who_may, incident.reference
        )
    pending = incident.level_lowering
    incident.level_lowering = None  # a flag for escalation overtakes a lowering not yet agreed
    old = current_label(incident)
    text, decision = _change(
        ctx,
        incident,
        new,
        rationale=v.rationale,
        decided_by=f"{ctx.person.display_name} ({allowed.basis}), flagging it for escalation "
        "(3.25)",
    )
    if pending:
        text += f" The lowering to {impact.Level(pending['to']).label} proposed earlier lapses."
    return posted_reply(ctx, incident, text, _post_level(ctx, incident, new, old, decision, text))


def _change(
    ctx: Ctx, incident: Incident, new: impact.Level, *, rationale: str, decided_by: str
) -> tuple[str, str]:
    """The level changed by decision, with its audit event: the text and the decision."""
    old = current_label(incident)
    decision = record_decision(
        ctx,
        kind="level",
        what=f"Response level of {incident.reference} changed from {old} to {new.label}",
        rationale=rationale,
        decided_by=decided_by,
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
    return text, decision.reference


def _post_level(
    ctx: Ctx, incident: Incident, new: impact.Level, old: str, decision: str, text: str
) -> Card:
    """The change posted with the matching rhythm to apply, and DBT ERCO's prompt (3.17) or,
    below High, the question whether it could develop to be High or Critical."""
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
    sections = [
        (
            "Battle rhythm",
            f"The {preset} battle rhythm matches a {new.label} incident. IMT can apply it with "
            "the button (it replaces the current meetings, with the SCG's agreement or the "
            "TCG's decision recorded, 3.22, 3.9).",
        )
    ]
    could = incident.erco_could_develop
    if erco_question_due(new, incident.erco_engaged, could):
        question, button = erco_question(incident)
        sections.append(("DBT ERCO (3.17)", question))
        buttons.append(button)
    card = Card(
        title=f"Response level {new.label} · {incident.reference}",
        subtitle=impact.LEVEL_MEANINGS[new].capitalize() + ".",
        facts=(("Was", old), ("Now", new.label), ("Decision", decision)),
        sections=tuple(sections),
        actions=tuple(buttons),
        exercise=incident.exercise,
    )
    ctx.post(incident.channel_key, text, card)
    if erco_needed(new, incident.erco_engaged, could):
        prompt_text, prompt_card = erco_prompt(incident)
        ctx.post(incident.channel_key, prompt_text, prompt_card)
    refresh_incident_card(ctx, incident)
    return card


# Lowering the level: two approvals (3.26) --------------------------------------------------------


def _given(lowering: Mapping[str, Any]) -> list[tuple[Approver, str]]:
    return [(Approver(a["role"]), a["person"]) for a in lowering.get("approvals", [])]


def _awaited(ctx: Ctx, incident: Incident, lowering: Mapping[str, Any]) -> str:
    given = {r for r, _ in _given(lowering)}
    team = standing.team_of(incident)
    if Approver.TCG_CHAIR not in given:
        return f"the TCG chair ({standing.display(ctx.session, team.tcg_chair)})"
    lead = f"the incident's IMT lead, {team.called(team.imt_lead)}, " if team.imt_lead else ""
    return f"IMT ({lead}{'or ' if lead else ''}the Head of IMT)"


def _propose_lowering(ctx: Ctx, incident: Incident, new: impact.Level, v: LevelValues) -> Reply:
    old = current_label(incident)
    if incident.level_lowering:
        pending = impact.Level(incident.level_lowering["to"]).label
        raise UserError(
            f"{incident.reference} already has a lowering to {pending} awaiting approval; "
            f"approve it with /opss level {incident.reference} approve, or withdraw it with "
            f"/opss level {incident.reference} withdraw.",
            "level",
        )
    allowed, role = _approval(ctx, incident, [])
    if not allowed or role is None:
        raise PermissionRefused(
            f"lower the level of {incident.reference}", allowed.who_may, incident.reference
        )
    scg = (v.scg_consultation or "").strip()
    if not scg:
        raise UserError(
            "SCG consultation: lowering the level is decided by IMT and the chair of the TCG in "
            "consultation with the SCG (3.26); say who in the SCG was consulted, when, and "
            'their view (--scg "...").',
            "scg_consultation",
        )
    incident.level_lowering = {
        "from": incident.overall_impact,
        "to": int(new),
        "rationale": v.rationale,
        "scg": scg,
        "proposed_by": ctx.person.name,
        "at": ctx.now.isoformat(),
        "approvals": [_approval_row(ctx, role, allowed.basis)],
    }
    ctx.audit(
        "incident.level_lowering_proposed",
        "incident",
        incident.reference,
        {"level": old},
        {"to": new.label, "approved_as": role.value},
    )
    text = (
        f"Lowering {incident.reference} from {old} to {new.label} proposed by "
        f"{ctx.person.display_name}, approving as {APPROVER_LABELS[role]}. It takes effect "
        f"when {_awaited(ctx, incident, incident.level_lowering)} approves too (3.26); until "
        f"then {incident.reference} stays {old}."
    )
    card = _lowering_card(ctx, incident)
    ctx.post(incident.channel_key, text, card)
    refresh_incident_card(ctx, incident)
    return posted_reply(ctx, incident, text, card)


def _approval_row(ctx: Ctx, role: Approver, basis: str) -> dict[str, str]:
    return {
        "role": role.value,
        "person": ctx.person.name,
        "name": ctx.person.display_name,
        "basis": basis,
        "at": ctx.now.isoformat(),
    }


def _lowering_card(ctx: Ctx, incident: Incident) -> Card:
    lowering = incident.level_lowering or {}
    given = {a["role"]: a["name"] for a in lowering.get("approvals", [])}
    approvals = "; ".join(
        f"{APPROVER_LABELS[r]}: " + (f"approved by {given[r]}" if r in given else "awaited")
        for r in (Approver.IMT, Approver.TCG_CHAIR)
    )
    return Card(
        title=f"Lowering the level · {incident.reference}",
        subtitle="Decided by IMT and the TCG chair, in consultation with the SCG (3.26)",
        facts=(
            ("From", impact.Level(lowering["from"]).label if lowering.get("from") else "-"),
            ("To", impact.Level(lowering["to"]).label if lowering.get("to") else "-"),
            ("Approvals", approvals),
        ),
        sections=(
            ("Rationale", lowering.get("rationale") or ""),
            ("SCG consultation", lowering.get("scg") or ""),
        ),
        actions=(
            Button("Approve", f"/opss level {incident.reference} approve"),
            Button("Withdraw", f"/opss level {incident.reference} withdraw"),
        ),
        exercise=incident.exercise,
    )


def _pending(ctx: Ctx, args: Args, verb: str) -> tuple[Incident, dict[str, Any]]:
    incident = incident_for(ctx, args.first(), "level", "response levels")
    lowering = incident.level_lowering
    if not lowering:
        raise UserError(
            f"{incident.reference} has no lowering of its level awaiting approval, so there is "
            f"nothing to {verb}; propose one with /opss level {incident.reference} <level> "
            "--rationale .. --scg .."
        )
    return incident, dict(lowering)


def approve(ctx: Ctx, args: Args) -> Reply:
    """``/opss level INC approve``: the second approval of a lowering (3.26)."""
    incident, lowering = _pending(ctx, args, "approve")
    given = _given(lowering)
    allowed, role = _approval(ctx, incident, given)
    if not allowed or role is None:
        raise PermissionRefused(
            f"approve lowering the level of {incident.reference}",
            allowed.who_may,
            incident.reference,
            why=allowed.why,
        )
    lowering["approvals"] = [*lowering["approvals"], _approval_row(ctx, role, allowed.basis)]
    names = {a["role"]: a["name"] for a in lowering["approvals"]}
    if len(names) < len(Approver):
        incident.level_lowering = lowering
        text = (
            f"{ctx.person.display_name} approved lowering {incident.reference} as "
            f"{APPROVER_LABELS[role]}; awaiting {_awaited(ctx, incident, lowering)}."
        )
        ctx.post(incident.channel_key, text, _lowering_card(ctx, incident))
        return Reply(text=text)
    new = impact.Level(lowering["to"])
    incident.level_lowering = None
    old = current_label(incident)
    text, decision = _change(
        ctx,
        incident,
        new,
        rationale=stand_down.with_consultation(lowering["rationale"], lowering["scg"]),
        decided_by=f"IMT ({names[Approver.IMT]}) and the TCG chair "
        f"({names[Approver.TCG_CHAIR]}), in consultation with the SCG (3.26)",
    )
    return posted_reply(ctx, incident, text, _post_level(ctx, incident, new, old, decision, text))


def withdraw(ctx: Ctx, args: Args) -> Reply:
    """``/opss level INC withdraw``: either approver withdraws a lowering not yet agreed."""
    incident, lowering = _pending(ctx, args, "withdraw")
    allowed, _ = _approval(ctx, incident, [])
    if not allowed:
        raise PermissionRefused(
            f"withdraw the lowering of {incident.reference}", allowed.who_may, incident.reference
        )
    incident.level_lowering = None
    ctx.audit(
        "incident.level_lowering_withdrawn",
        "incident",
        incident.reference,
        {"to": impact.Level(lowering["to"]).label},
        None,
    )
    text = (
        f"The lowering of {incident.reference} to {impact.Level(lowering['to']).label} was "
        f"withdrawn by {ctx.person.display_name}; it stays {current_label(incident)}."
    )
    ctx.post(incident.channel_key, text)
    refresh_incident_card(ctx, incident)
    return Reply(text=text)


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
