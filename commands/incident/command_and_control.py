"""Groups and roles inside a declared incident (plan 3.1-3.20).

``/opss group INC`` lists the groups mobilised; ``/opss group INC open`` (a form) mobilises a
group or changes its chair and members; ``/opss group INC close <#>`` stands one down, which
ends its part of the battle rhythm. ``/opss role INC`` (a form) names who holds a role.
Chairs follow 3.4 and 3.9; naming anyone else needs a justification, recorded as a decision.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from cards.model import Action as Button
from cards.model import Card, Choice, Field, Form
from commands.access import in_its_channel
from commands.args import Args
from commands.context import Ctx, PermissionRefused, Reply, UserError
from commands.decisions import record_decision
from commands.flows import Context, FormFlow
from commands.lookup import find_incident
from rules.command_and_control import (
    CHAIRED,
    GROUP_KIND,
    GROUP_KINDS,
    INCIDENT_ROLES,
    may_organise,
    qualified_chair,
)
from rules.references import parse_reference
from storage import repositories as repo
from storage.models import Incident, IncidentGroup, IncidentRole, Person, RhythmEvent

SHORT_NAMES = {
    "scg": "SCG",
    "tcg": "TCG",
    "evidence_group": "Evidence group",
    "communications_group": "Communications group",
    "bird_table": "Bird table",
}


# Reading ----------------------------------------------------------------------------------------


def incident_for(ctx: Ctx, reference: str | None, verb: str, what: str) -> Incident:
    """The incident, for those who may see it (``commands/access.py``)."""
    return find_incident(ctx, reference, verb, what)


def posted_reply(ctx: Ctx, incident: Incident, text: str, card: Card) -> Reply:
    """The reply to a command whose card was also posted in the incident's channel: typed in
    that channel, the caller sees the text only, not the same card twice."""
    return Reply(text=text, card=card, ephemeral=not in_its_channel(ctx, incident))


def admit(ctx: Ctx, incident: Incident, names: list[str]) -> None:
    """People given a group seat or a role join the incident: they may read it, and they are
    invited to its channel."""
    new = [n for n in names if n and n not in (incident.members or [])]
    if not new:
        return
    incident.members = sorted({*(incident.members or []), *new})
    repo.enqueue(
        ctx.session,
        surface=incident.surface,
        conversation=incident.channel_key,
        op="invite",
        payload={"members": new},
        now=ctx.now,
    )


def active_groups(session: Session, incident_id: int) -> list[IncidentGroup]:
    return list(
        session.scalars(
            select(IncidentGroup)
            .where(IncidentGroup.incident_id == incident_id, IncidentGroup.closed_at.is_(None))
            .order_by(IncidentGroup.id)
        )
    )


def active_roles(session: Session, incident_id: int) -> list[IncidentRole]:
    return list(
        session.scalars(
            select(IncidentRole)
            .where(IncidentRole.incident_id == incident_id, IncidentRole.ended_at.is_(None))
            .order_by(IncidentRole.id)
        )
    )


def chair_of(session: Session, incident_id: int, kind: str) -> str | None:
    """The user name chairing the first open group of ``kind`` (e.g. the SCG)."""
    for group in active_groups(session, incident_id):
        if group.kind == kind and group.chair is not None:
            return group.chair.name
    return None


def role_holder(session: Session, incident: Incident, role: str) -> str | None:
    for row in active_roles(session, incident.id):
        if row.role == role:
            return row.person.name
    return (incident.command_team or {}).get(role)


def members_of_groups(session: Session, incident_id: int) -> set[str]:
    names: set[str] = set()
    for group in active_groups(session, incident_id):
        names.update(group.members or [])
        if group.chair is not None:
            names.add(group.chair.name)
    return names


def holders_facts(session: Session, incident: Incident) -> list[tuple[str, str]]:
    """Who holds what, for the incident card: each open group's chair and members, then each
    role."""
    facts: list[tuple[str, str]] = []
    for group in active_groups(session, incident.id):
        chair = group.chair.display_name if group.chair else "not named"
        facts.append((f"{group.name} chair", chair))
        members = display_names(session, list(group.members or []))
        if members:
            facts.append((f"{group.name} members", ", ".join(members)))
    for row in active_roles(session, incident.id):
        if row.role in {"scg_chair", "tcg_chair"}:
            continue  # shown with their group
        label = INCIDENT_ROLES[row.role] + (f" ({row.area})" if row.area else "")
        facts.append((label, row.person.display_name))
    return facts


def display_names(session: Session, names: list[str]) -> list[str]:
    """People's display names, in the order given (one query)."""
    if not names:
        return []
    found = dict(
        session.execute(select(Person.name, Person.display_name).where(Person.name.in_(names)))
        .tuples()
        .all()
    )
    return [found.get(n, n) for n in names]


# Writing ----------------------------------------------------------------------------------------


def _require_organiser(ctx: Ctx, incident: Incident, what: str) -> None:
    allowed = may_organise(ctx.actor)
    if not allowed:
        raise PermissionRefused(
            f"{what} for {incident.reference}", allowed.who_may, incident.reference
        )


def _person(ctx: Ctx, name: str, label: str, field: str) -> Person:
    person = repo.person_by_name(ctx.session, name.strip().lstrip("@"))
    if person is None:
        raise UserError(f"{label}: no user '{name}' is known.", field)
    return person


def _names(ctx: Ctx, text: str, label: str, field: str) -> list[str]:
    out: list[str] = []
    for raw in (text or "").split(","):
        if raw.strip():
            name = _person(ctx, raw, label, field).name
            if name not in out:
                out.append(name)
    return out


def check_chair(
    ctx: Ctx, incident: Incident, kind: str, chair: Person, justification: str, field: str
) -> str:
    """3.4 / 3.9. Returns the decision text to record when the chair is not the one the plan
    names (a justification is then required); empty when the chair qualifies."""
    actor = repo.actor_for(ctx.session, chair)
    ok, who = qualified_chair(kind, actor, incident.issue.functional_area)
    if ok:
        return ""
    if not justification.strip():
        raise UserError(
            f"Justification: {chair.display_name} is not {who}; say why they chair it "
            "(it is recorded as a decision).",
            field,
        )
    return f"{chair.display_name} chairs the {SHORT_NAMES.get(kind, kind)}, not {who}"


def open_group(
    ctx: Ctx,
    incident: Incident,
    kind: str,
    name: str,
    chair: Person | None,
    members: list[str],
    justification: str = "",
) -> IncidentGroup:
    """Mobilise a group, or (same kind and name, still open) change its chair and members."""
    existing = next(
        (
            g
            for g in active_groups(ctx.session, incident.id)
            if g.kind == kind
            and (g.name.casefold() == name.casefold() or not GROUP_KIND[kind].multiple)
        ),
        None,
    )
    chair_changed = chair is not None and (existing is None or existing.chair_id != chair.id)
    unqualified = ""
    if chair is not None and chair_changed:
        unqualified = check_chair(ctx, incident, kind, chair, justification, "justification")
    before = _snapshot(existing) if existing else None
    if existing is None:
        group = IncidentGroup(
            incident_id=incident.id,
            kind=kind,
            name=name,
            chair_id=chair.id if chair else None,
            members=members,
            chair_justification=justification if unqualified else "",
            opened_by_id=ctx.person.id,
            opened_at=ctx.now,
        )
        ctx.session.add(group)
    else:
        group = existing
        if chair is not None:
            group.chair_id = chair.id
            if chair_changed:
                group.chair_justification = justification if unqualified else ""
        if members:
            group.members = members
    ctx.session.flush()
    if chair is not None:
        group.chair = chair
    if unqualified:
        record_decision(
            ctx,
            kind="chair",
            what=unqualified,
            rationale=justification,
            decided_by=ctx.person.display_name,
            group="imt",
            incident=incident,
        )
    if chair is not None and kind in CHAIRED and chair_changed:
        _sync_command_team(incident, CHAIRED[kind], chair.name)
    admit(ctx, incident, ([chair.name] if chair else []) + members)
    ctx.audit(
        "group.opened" if existing is None else "group.changed",
        "incident",
        incident.reference,
        before,
        _snapshot(group),
    )
    return group


def _snapshot(group: IncidentGroup) -> dict[str, Any]:
    return {
        "group": group.name,
        "kind": group.kind,
        "chair": group.chair.name if group.chair else None,
        "members": list(group.members or []),
    }


def _sync_command_team(incident: Incident, role: str, name: str) -> None:
    # The command team (declaration) is what the decision and action rules read.
    team = dict(incident.command_team or {})
    team[role] = name
    incident.command_team = team


def mobilise_for_rhythm(ctx: Ctx, incident: Incident, team: Mapping[str, str]) -> None:
    """At declaration: the groups the standard rhythm meets as, chaired as the form named."""
    kinds = []
    for event in ctx.session.scalars(
        select(RhythmEvent).where(RhythmEvent.incident_id == incident.id, RhythmEvent.active)
    ):
        if event.group in GROUP_KIND and event.group not in kinds:
            kinds.append(event.group)
    for kind in kinds:
        chair_name = team.get(CHAIRED.get(kind, ""), "")
        chair = repo.person_by_name(ctx.session, chair_name) if chair_name else None
        ctx.session.add(
            IncidentGroup(
                incident_id=incident.id,
                kind=kind,
                name=SHORT_NAMES.get(kind, GROUP_KIND[kind].label),
                chair_id=chair.id if chair else None,
                members=[],
                chair_justification="",
                opened_by_id=ctx.person.id,
                opened_at=ctx.now,
            )
        )
    for role, name in team.items():
        if role in INCIDENT_ROLES and role not in {"scg_chair", "tcg_chair"}:
            person = repo.person_by_name(ctx.session, name)
            if person is not None:
                ctx.session.add(
                    IncidentRole(
                        incident_id=incident.id,
                        role=role,
                        area="",
                        person_id=person.id,
                        justification="",
                        assigned_by_id=ctx.person.id,
                        assigned_at=ctx.now,
                    )
                )
    ctx.session.flush()


def declared_chairs_justification(
    ctx: Ctx, incident: Incident, team: Mapping[str, str], justification: str
) -> list[str]:
    """At declaration: the chairs named on the form, checked against 3.4 and 3.9."""
    out = []
    for kind, role in CHAIRED.items():
        name = team.get(role)
        if name:
            person = _person(ctx, name, INCIDENT_ROLES[role], role)
            text = check_chair(ctx, incident, kind, person, justification, "chair_justification")
            if text:
                out.append(text)
    return out


def close_group(ctx: Ctx, incident: Incident, group: IncidentGroup) -> int:
    """Stand a group down; its meetings leave the battle rhythm when no open group of its kind
    remains. Returns how many meetings were ended."""
    group.closed_at = ctx.now
    ended = 0
    still_open = [g for g in active_groups(ctx.session, incident.id) if g.kind == group.kind]
    if not still_open:
        for event in ctx.session.scalars(
            select(RhythmEvent).where(
                RhythmEvent.incident_id == incident.id,
                RhythmEvent.active,
                RhythmEvent.group == group.kind,
            )
        ):
            event.active = False
            event.replaced_at = ctx.now
            event.next_run_at = None
            ended += 1
    ctx.audit(
        "group.closed", "incident", incident.reference, _snapshot(group), {"meetings_ended": ended}
    )
    return ended


# Cards ------------------------------------------------------------------------------------------


def describe_group(session: Session, group: IncidentGroup) -> str:
    chair = group.chair.display_name if group.chair else "none named"
    members = ", ".join(display_names(session, list(group.members or []))) or "none named"
    return f"Chair: {chair} · Members: {members}"


def groups_card(ctx: Ctx, incident: Incident) -> Card:
    facts = []
    for number, group in enumerate(active_groups(ctx.session, incident.id), start=1):
        facts.append((f"{number}. {group.name}", describe_group(ctx.session, group)))
    for row in active_roles(ctx.session, incident.id):
        label = INCIDENT_ROLES[row.role] + (f" ({row.area})" if row.area else "")
        facts.append((label, row.person.display_name))
    ref = incident.reference
    return Card(
        title=f"Command and control · {ref}",
        subtitle="Groups mobilised and who holds which role (plan 3.3-3.20)",
        facts=tuple(facts) or (("None", "No group is mobilised."),),
        actions=(
            Button("Mobilise or change a group", f"/opss group {ref} open"),
            Button("Name a role", f"/opss role {ref}"),
        ),
        exercise=incident.exercise,
    )


def refresh_incident_card(ctx: Ctx, incident: Incident) -> None:
    from commands.views import incident_card  # views imports this module's facts

    ctx.update(
        incident.channel_key,
        f"incident:{incident.reference}",
        f"Incident {incident.reference}",
        incident_card(ctx.session, incident),
    )


# /opss group ------------------------------------------------------------------------------------

GROUP_CHOICES = tuple(Choice(k.key, k.label) for k in GROUP_KINDS)


def group_form(reference: str) -> Form:
    return Form(
        id="group",
        title=f"Group · {reference}",
        intro=(
            "Mobilise a group, or change the chair and members of one already open. Not every "
            "group is needed for every incident (3.3). The SCG is chaired by the DCE, Evidence, "
            "or the DD, Targeting (3.4); a TCG by the DD for the function or their FTL deputy "
            "(3.9)."
        ),
        submit_label="Save group",
        fields=(
            Field("kind", "Group", "choice", required=True, choices=GROUP_CHOICES),
            Field("name", "Name (blank: the group's usual name; e.g. TCG 2)", max_length=120),
            Field("chair", "Chair", "person", max_length=200, placeholder="user name"),
            Field("members", "Members (comma-separated user names)", max_length=1000),
            Field(
                "justification",
                "Justification if the chair is not the one the plan names",
                "multiline",
                max_length=2000,
            ),
        ),
        context={"reference": reference},
    )


GROUP_OPTIONS = {"kind", "name", "chair", "members", "justification"}


def _group_prepare(ctx: Ctx, args: Args) -> tuple[Context, dict[str, Any]]:
    incident = incident_for(ctx, args.first(), "group", "its groups")
    _require_organiser(ctx, incident, "mobilise groups")
    values: dict[str, Any] = {}
    if len(args.words) > 1:
        values["kind"] = args.words[1]
    for name, value in args.options.items():
        if name not in GROUP_OPTIONS:
            raise UserError(
                f"group does not take --{name}; it takes --name, --chair, --members and "
                "--justification."
            )
        values[name] = value
    return {"reference": incident.reference}, values


def _group_build(ctx: Ctx, context: Mapping[str, str]) -> Form:
    return group_form(context.get("reference", ""))


def _group_apply(ctx: Ctx, context: Mapping[str, str], v: dict[str, Any]) -> Reply:
    incident = incident_for(ctx, context.get("reference"), "group", "its groups")
    _require_organiser(ctx, incident, "mobilise groups")
    kind = v["kind"]
    chair = _person(ctx, v["chair"], "Chair", "chair") if v.get("chair") else None
    members = _names(ctx, v.get("members") or "", "Members", "members")
    name = (v.get("name") or "").strip() or SHORT_NAMES.get(kind, GROUP_KIND[kind].label)
    group = open_group(ctx, incident, kind, name, chair, members, v.get("justification") or "")
    text = f"{group.name} of {incident.reference}: {describe_group(ctx.session, group)}"
    ctx.post(incident.channel_key, text)
    refresh_incident_card(ctx, incident)
    return Reply(text=text, card=groups_card(ctx, incident))


def _group_permit(ctx: Ctx, context: Mapping[str, str]) -> None:
    incident = incident_for(ctx, context.get("reference"), "group", "its groups")
    _require_organiser(ctx, incident, "mobilise groups")


GROUP = FormFlow(
    "group",
    _group_prepare,
    _group_build,
    _group_apply,
    prompt="Set up the group.",
    permit=_group_permit,
)


def group_route(args: Args) -> FormFlow | None:
    """``/opss group INC open ...`` opens the form; other sub-commands are plain."""
    if len(args.words) > 1 and args.words[1].lower() in {"open", "set"}:
        del args.words[1]
        return GROUP
    return None


def group_verb(ctx: Ctx, args: Args) -> Reply:
    incident = incident_for(ctx, args.first(), "group", "its groups")
    sub = args.words[1].lower() if len(args.words) > 1 else "list"
    if sub == "list":
        return Reply(text=f"Groups of {incident.reference}", card=groups_card(ctx, incident))
    if sub == "close":
        _require_organiser(ctx, incident, "stand groups down")
        groups = active_groups(ctx.session, incident.id)
        number = args.words[2] if len(args.words) > 2 else ""
        if not number.isdigit() or not 1 <= int(number) <= len(groups):
            raise UserError(
                f"Group: give the number of an open group (1-{len(groups)}), as listed by "
                f"/opss group {incident.reference}."
            )
        group = groups[int(number) - 1]
        ended = close_group(ctx, incident, group)
        text = f"{group.name} of {incident.reference} stood down" + (
            f"; {ended} meeting{'s' if ended != 1 else ''} left the battle rhythm."
            if ended
            else "."
        )
        ctx.post(incident.channel_key, text)
        refresh_incident_card(ctx, incident)
        return Reply(text=text)
    raise UserError(
        f"Usage: /opss group {incident.reference} [list | open <kind> --chair .. --members .. | "
        "close <#>]."
    )


# /opss role INC ---------------------------------------------------------------------------------

ROLE_CHOICES = tuple(Choice(k, v) for k, v in INCIDENT_ROLES.items())


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
                "Justification if a chair is not the one the plan names",
                "multiline",
                max_length=2000,
            ),
        ),
        context={"reference": reference},
    )


def _role_prepare(ctx: Ctx, args: Args) -> tuple[Context, dict[str, Any]]:
    incident = incident_for(ctx, args.first(), "role", "its roles")
    _require_organiser(ctx, incident, "name incident roles")
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


def _role_build(ctx: Ctx, context: Mapping[str, str]) -> Form:
    return role_form(context.get("reference", ""), ctx.options.functional_areas)


def _role_apply(ctx: Ctx, context: Mapping[str, str], v: dict[str, Any]) -> Reply:
    incident = incident_for(ctx, context.get("reference"), "role", "its roles")
    _require_organiser(ctx, incident, "name incident roles")
    role = v["role"]
    person = _person(ctx, v["person"], "Person", "person")
    justification = v.get("justification") or ""
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
        area = v.get("area") or ""
        if role == "ftl" and not area:
            raise UserError("Functional area: an FTL is named for a functional area.", "area")
        if role != "ftl":
            area = ""
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
        admit(ctx, incident, [person.name])
        if role in {"imt_lead", "communications_lead", "senior_investigation_officer"}:
            _sync_command_team(incident, role, person.name)
        elif role in {"secretariat", "ftl"}:
            _sync_command_team(incident, f"{role}:{area}" if area else role, person.name)
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
    incident = incident_for(ctx, context.get("reference"), "role", "its roles")
    _require_organiser(ctx, incident, "name incident roles")


INCIDENT_ROLE = FormFlow(
    "incident_role",
    _role_prepare,
    _role_build,
    _role_apply,
    prompt="Name who holds the role.",
    permit=_role_permit,
)


def role_route(args: Args) -> FormFlow | None:
    """``/opss role INC-…`` names an incident role; ``/opss role grant|revoke|list`` is admin."""
    first = args.first()
    parsed = parse_reference(first or "")
    if parsed is not None and parsed[0] == "incident":
        return INCIDENT_ROLE
    return None


# App Home ---------------------------------------------------------------------------------------


def my_incident_roles_card(ctx: Ctx) -> Card | None:
    """What the person holds in open incidents: chairs, memberships and roles."""
    facts: list[tuple[str, str]] = []
    groups = ctx.session.execute(
        select(IncidentGroup, Incident)
        .join(Incident, Incident.id == IncidentGroup.incident_id)
        .where(IncidentGroup.closed_at.is_(None), Incident.status != "closed")
        .order_by(IncidentGroup.id)
    ).all()
    for group, incident in groups:
        if group.chair_id == ctx.person.id:
            facts.append((incident.reference, f"chair of the {group.name}"))
        elif ctx.person.name in (group.members or []):
            facts.append((incident.reference, f"member of the {group.name}"))
    rows = ctx.session.execute(
        select(IncidentRole, Incident)
        .join(Incident, Incident.id == IncidentRole.incident_id)
        .where(
            IncidentRole.person_id == ctx.person.id,
            IncidentRole.ended_at.is_(None),
            Incident.status != "closed",
        )
    ).all()
    for row, incident in rows:
        facts.append(
            (incident.reference, INCIDENT_ROLES[row.role] + (f" ({row.area})" if row.area else ""))
        )
    if not facts:
        return None
    return Card(title="Your incident roles", facts=tuple(facts[:20]))
