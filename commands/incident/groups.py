"""Groups mobilised for a declared incident (plan 3.3-3.16, 3.19) with their chairs (3.4,
3.9) and members.

``/opss group INC`` lists them; ``/opss group INC open`` (a form) mobilises a group or changes
its chair and members; ``/opss group INC close <#>`` stands one down, which ends its part of the
battle rhythm. Naming a chair the plan does not name needs a justification, recorded as a
decision.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from cards.model import Action as Button
from cards.model import Card, Choice, Field, Form
from commands.core.args import Args
from commands.core.context import Ctx, Reply, UserError
from commands.core.flows import Context, FormFlow
from commands.decision.log import record_decision
from commands.incident.card import refresh_incident_card
from commands.incident.command_and_control import (
    active_groups,
    active_roles,
    admit,
    display_names,
    incident_for,
    names_of,
    person_named,
    require_organiser,
    sync_command_team,
)
from commands.readiness import training
from rules.command_and_control import (
    CHAIRED,
    EXIT_STRATEGY_QUESTION,
    GROUP_KIND,
    GROUP_KINDS,
    INCIDENT_ROLES,
    needs_exit_strategy,
    qualified_chair,
)
from rules.roster import CHAIR_TRAINING, ROLE_TRAINING
from storage import repositories as repo
from storage.models import Incident, IncidentGroup, IncidentRole, Person, RhythmEvent

SHORT_NAMES = {
    "scg": "SCG",
    "tcg": "TCG",
    "evidence_group": "Evidence group",
    "communications_group": "Communications group",
    "bird_table": "Bird table",
}


def check_chair(
    ctx: Ctx, incident: Incident, kind: str, chair: Person, justification: str, field: str
) -> str:
    """3.4 / 3.9, and the roster (6.6). Returns the decision text to record when the chair is
    not the one the plan names, or is not trained for the chair or their training has lapsed
    (a justification is then required); empty when the chair qualifies and is trained."""
    actor = repo.actor_for(ctx.session, chair)
    ok, who = qualified_chair(kind, actor, incident.issue.functional_area)
    reasons = [] if ok else [f"not {who}"]
    if kind in CHAIR_TRAINING:
        untrained = training.untrained_reason(ctx.session, chair, CHAIR_TRAINING[kind], ctx.now)
        if untrained:
            reasons.append(untrained)
    if not reasons:
        return ""
    if not justification.strip():
        raise UserError(
            f"Justification: {chair.display_name} is {'; and '.join(reasons)}; say why they "
            "chair it (it is recorded as a decision).",
            field,
        )
    return f"{chair.display_name} chairs the {SHORT_NAMES.get(kind, kind)}, " + "; ".join(reasons)


def open_group(
    ctx: Ctx,
    incident: Incident,
    kind: str,
    name: str,
    chair: Person | None,
    members: list[str],
    justification: str = "",
    exit_strategy: str = "",
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
            exit_strategy=exit_strategy,
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
        if exit_strategy:
            group.exit_strategy = exit_strategy
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
        sync_command_team(incident, CHAIRED[kind], chair.name)
    short = SHORT_NAMES.get(kind, group.name)
    admit(ctx, incident, [chair.name] if chair else [], f"{short} chair")
    admit(ctx, incident, members, f"a member of the {short}")
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
        **({"exit_strategy": group.exit_strategy} if group.exit_strategy else {}),
    }


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
    """At declaration: the chairs named on the form, checked against 3.4 and 3.9, and they
    and the other roles drawn from the roster checked against it (6.6)."""
    out = []
    for kind, role in CHAIRED.items():
        name = team.get(role)
        if name:
            person = person_named(ctx, name, INCIDENT_ROLES[role], role)
            text = check_chair(ctx, incident, kind, person, justification, "chair_justification")
            if text:
                out.append(text)
    for role, needed in ROLE_TRAINING.items():
        name = team.get(role)
        if name:
            person = person_named(ctx, name, INCIDENT_ROLES[role], role)
            seat = f"the role of {INCIDENT_ROLES[role]} of {incident.reference}"
            text = training.check_seat(
                ctx, person, needed, seat, justification, "chair_justification"
            )
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
    exit_strategy = f" · Exit strategy: {group.exit_strategy}" if group.exit_strategy else ""
    return f"Chair: {chair} · Members: {members}{exit_strategy}"


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
        facts=tuple(facts) or (("", "No group is mobilised."),),
        actions=(
            Button("Mobilise or change a group", f"/opss group {ref} open"),
            Button("Name a role", f"/opss role {ref}"),
        ),
        exercise=incident.exercise,
    )


# /opss group ------------------------------------------------------------------------------------

GROUP_CHOICES = tuple(
    Choice(k.key, k.label + (" (optional, 3.16)" if k.optional else "")) for k in GROUP_KINDS
)


@dataclass(frozen=True)
class GroupValues:
    kind: str
    name: str | None
    chair: str | None
    members: str | None
    justification: str | None
    exit_strategy: str | None  # 3.16: who takes an "other group" on in the longer term


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
                "Justification if the chair is not the one the plan names, or is not trained "
                "for it (the roster, 6.6)",
                "multiline",
                max_length=2000,
            ),
            Field(
                "exit_strategy",
                EXIT_STRATEGY_QUESTION + ", needed for the groups marked 3.16",
                "multiline",
                max_length=2000,
            ),
        ),
        context={"reference": reference},
    )


GROUP_OPTIONS = {"kind", "name", "chair", "members", "justification", "exit_strategy"}


def _group_prepare(ctx: Ctx, args: Args) -> tuple[Context, dict[str, Any]]:
    incident = incident_for(ctx, args.first(), "group", "groups")
    require_organiser(ctx, incident, "mobilise groups")
    values: dict[str, Any] = {}
    if len(args.words) > 1:
        values["kind"] = args.words[1]
    for name, value in args.options.items():
        if name not in GROUP_OPTIONS:
            raise UserError(
                f"group does not take --{name}; it takes --name, --chair, --members, "
                "--justification and --exit-strategy."
            )
        values[name] = value
    return {"reference": incident.reference}, values


# The chairs the roster trains, offered first on the group form (whichever group is chosen).
CHAIR_SEATS = {"SCG": CHAIR_TRAINING["scg"], "TCG": CHAIR_TRAINING["tcg"]}
CHAIR_SEATS["Bird table"] = CHAIR_TRAINING["bird_table"]


def _group_build(ctx: Ctx, context: Mapping[str, str]) -> Form:
    everyone = tuple(dict.fromkeys(r for roles in CHAIR_TRAINING.values() for r in roles))
    return training.offer_trained(
        ctx.session,
        group_form(context.get("reference", "")),
        {"chair": everyone},
        ctx.now,
        hint=training.trained_roles_line(ctx.session, CHAIR_SEATS, ctx.now)
        + " Anyone else needs a justification.",
    )


def _group_apply(ctx: Ctx, context: Mapping[str, str], v: GroupValues) -> Reply:
    incident = incident_for(ctx, context.get("reference"), "group", "groups")
    require_organiser(ctx, incident, "mobilise groups")
    kind = v.kind
    chair = person_named(ctx, v.chair, "Chair", "chair") if v.chair else None
    members = names_of(ctx, v.members or "", "Members", "members")
    name = (v.name or "").strip() or SHORT_NAMES.get(kind, GROUP_KIND[kind].label)
    exit_strategy = (v.exit_strategy or "").strip()
    already = any(
        g.kind == kind and g.name.casefold() == name.casefold() and g.exit_strategy
        for g in active_groups(ctx.session, incident.id)
    )
    if needs_exit_strategy(kind) and not exit_strategy and not already:
        raise UserError(
            f"Exit strategy: the {GROUP_KIND[kind].label} is one of the other groups of 3.16: "
            '"During the commissioning and establishment of other groups, OPSS will consider '
            "its exit strategy, including the identification of longer-term responsible "
            'persons or groups." Say who takes it on in the longer term (--exit-strategy).',
            "exit_strategy",
        )
    group = open_group(
        ctx, incident, kind, name, chair, members, v.justification or "", exit_strategy
    )
    text = f"{group.name} of {incident.reference}: {describe_group(ctx.session, group)}"
    ctx.post(incident.channel_key, text)
    refresh_incident_card(ctx, incident)
    return Reply(text=text, card=groups_card(ctx, incident))


def _group_permit(ctx: Ctx, context: Mapping[str, str]) -> None:
    incident = incident_for(ctx, context.get("reference"), "group", "groups")
    require_organiser(ctx, incident, "mobilise groups")


GROUP = FormFlow(
    "group",
    _group_prepare,
    _group_build,
    _group_apply,
    prompt="Set up the group.",
    permit=_group_permit,
    values=GroupValues,
)


def group_verb(ctx: Ctx, args: Args) -> Reply:
    incident = incident_for(ctx, args.first(), "group", "groups")
    sub = args.words[1].lower() if len(args.words) > 1 else "list"
    if sub == "list":
        return Reply(text=f"Groups of {incident.reference}", card=groups_card(ctx, incident))
    if sub == "close":
        require_organiser(ctx, incident, "stand groups down")
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
