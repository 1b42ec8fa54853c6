"""Roles held within a declared incident (plan 3.18-3.20): IMT lead, secretariat, SCG and TCG
chairs, an FTL per functional area, senior investigation officer, communications lead.

``/opss role INC <role> <user>`` (a form) names who holds one; the SCG and TCG chairs chair
their group (``groups.py``), under the same rule (3.4, 3.9).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from cards.model import Choice, Field, Form
from commands.core.args import Args
from commands.core.context import Ctx, Reply, UserError
from commands.core.flows import Context, FormFlow
from commands.decision.log import record_decision
from commands.incident.card import refresh_incident_card
from commands.incident.command_and_control import (
    active_groups,
    active_roles,
    admit,
    incident_for,
    person_named,
    require_organiser,
    sync_command_team,
)
from commands.incident.groups import SHORT_NAMES, groups_card, open_group
from commands.readiness import training
from rules.command_and_control import INCIDENT_ROLES
from rules.references import parse_reference
from rules.roster import CHAIR_TRAINING, ROLE_TRAINING
from storage.models import IncidentRole

# /opss role INC ---------------------------------------------------------------------------------

ROLE_CHOICES = tuple(Choice(k, v) for k, v in INCIDENT_ROLES.items())


@dataclass(frozen=True)
class RoleValues:
    role: str
    person: str
    area: str | None
    justification: str | None


def role_form(reference: str, areas: tuple[str, ...]) -> Form:
    return Form(
        id="incident_role",
        title=f"Incident role · {reference}",
        intro="Who holds a role in this incident (3.18-3.20). The SCG and TCG chairs chair "
        "their group (3.4, 3.9).",
        submit_label="Save role",
        fields=(
            Field("role", "Role", "choice", required=True, choices=ROLE_CHOICES),
            Field(
                "person", "Person", "person", required=True, max_length=200, placeholder="user name"
            ),
            Field(
                "area",
                "Functional area (for an FTL)",
                "choice",
                choices=tuple(Choice(a, a) for a in areas),
            ),
            Field(
                "justification",
                "Justification if a chair is not the one the plan names, or the person is not "
                "trained for the role (the roster, 6.6)",
                "multiline",
                max_length=2000,
            ),
        ),
        context={"reference": reference},
    )


def _role_prepare(ctx: Ctx, args: Args) -> tuple[Context, dict[str, Any]]:
    incident = incident_for(ctx, args.first(), "role", "incident roles")
    require_organiser(ctx, incident, "name incident roles")
    values: dict[str, Any] = {}
    if len(args.words) > 1:
        values["role"] = args.words[1].replace("-", "_")
    if len(args.words) > 2:
        values["person"] = args.words[2].lstrip("@")
    for name, value in args.options.items():
        if name not in {"area", "justification"}:
            raise UserError(f"role does not take --{name}; it takes --area and --justification.")
        values[name] = value
    return {"reference": incident.reference}, values


# The roles the roster trains for, offered first on the role form (whichever role is chosen).
TRAINED_SEATS: dict[str, tuple[str, ...]] = {
    INCIDENT_ROLES["scg_chair"]: CHAIR_TRAINING["scg"],
    INCIDENT_ROLES["tcg_chair"]: CHAIR_TRAINING["tcg"],
    **{INCIDENT_ROLES[role]: needed for role, needed in ROLE_TRAINING.items()},
}


def _role_build(ctx: Ctx, context: Mapping[str, str]) -> Form:
    everyone = tuple(dict.fromkeys(r for roles in TRAINED_SEATS.values() for r in roles))
    return training.offer_trained(
        ctx.session,
        role_form(context.get("reference", ""), ctx.options.functional_areas),
        {"person": everyone},
        ctx.now,
        hint=training.trained_roles_line(ctx.session, TRAINED_SEATS, ctx.now)
        + " Anyone else needs a justification.",
    )


def _role_apply(ctx: Ctx, context: Mapping[str, str], v: RoleValues) -> Reply:
    incident = incident_for(ctx, context.get("reference"), "role", "incident roles")
    require_organiser(ctx, incident, "name incident roles")
    role = v.role
    person = person_named(ctx, v.person, "Person", "person")
    justification = v.justification or ""
    label = INCIDENT_ROLES[role]
    if role in {"scg_chair", "tcg_chair"}:
        kind = "scg" if role == "scg_chair" else "tcg"
        name = next(
            (g.name for g in active_groups(ctx.session, incident.id) if g.kind == kind),
            SHORT_NAMES[kind],
        )
        open_group(ctx, incident, kind, name, person, [], justification)
        text = f"{person.display_name} chairs the {name} of {incident.reference}."
    else:
        area = v.area or ""
        if role == "ftl" and not area:
            raise UserError("Functional area: an FTL is named for a functional area.", "area")
        if role != "ftl":
            area = ""
        untrained = ""
        if role in ROLE_TRAINING:
            untrained = training.check_seat(
                ctx,
                person,
                ROLE_TRAINING[role],
                f"the role of {label} of {incident.reference}",
                justification,
                "justification",
            )
        before = None
        for row in active_roles(ctx.session, incident.id):
            if row.role == role and row.area == area:
                before = {"role": role, "area": area, "person": row.person.name}
                row.ended_at = ctx.now
        ctx.session.add(
            IncidentRole(
                incident_id=incident.id,
                role=role,
                area=area,
                person_id=person.id,
                justification=justification,
                assigned_by_id=ctx.person.id,
                assigned_at=ctx.now,
            )
        )
        admit(ctx, incident, [person.name], INCIDENT_ROLES[role] + (f" ({area})" if area else ""))
        if role in {"imt_lead", "communications_lead", "senior_investigation_officer"}:
            sync_command_team(incident, role, person.name)
        elif role in {"secretariat", "loggist", "ftl"}:
            sync_command_team(incident, f"{role}:{area}" if area else role, person.name)
        if untrained:
            record_decision(
                ctx,
                kind="role",
                what=untrained,
                rationale=justification,
                decided_by=ctx.person.display_name,
                group="imt",
                incident=incident,
            )
        ctx.audit(
            "incident_role.assigned",
            "incident",
            incident.reference,
            before,
            {"role": role, "area": area, "person": person.name},
        )
        label += f" ({area})" if area else ""
        text = f"{person.display_name} is the {label} for {incident.reference}."
    ctx.post(incident.channel_key, text)
    refresh_incident_card(ctx, incident)
    return Reply(text=text, card=groups_card(ctx, incident))


def _role_permit(ctx: Ctx, context: Mapping[str, str]) -> None:
    incident = incident_for(ctx, context.get("reference"), "role", "incident roles")
    require_organiser(ctx, incident, "name incident roles")


INCIDENT_ROLE = FormFlow(
    "incident_role",
    _role_prepare,
    _role_build,
    _role_apply,
    prompt="Name who holds the role.",
    permit=_role_permit,
    values=RoleValues,
)


def role_route(args: Args) -> FormFlow | None:
    """``/opss role INC-…`` names an incident role; ``/opss role grant|revoke|list`` is admin."""
    first = args.first()
    parsed = parse_reference(first or "")
    if parsed is not None and parsed[0] == "incident":
        return INCIDENT_ROLE
    return None
