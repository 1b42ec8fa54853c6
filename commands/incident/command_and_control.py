"""Command and control inside a declared incident (plan 3.1-3.20): what the groups and roles
modules share, the incident card's "who holds what", and App Home's "Your incident roles".
"""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from cards.model import Card
from commands.core.access import in_its_channel
from commands.core.context import Ctx, PermissionRefused, Reply, UserError
from commands.core.lookup import find_incident
from commands.incident import membership
from rules.command_and_control import INCIDENT_ROLES, may_organise
from rules.stand_down import Status
from storage import repositories as repo
from storage.models import Incident, IncidentGroup, IncidentRole, Person
from storage.whose import is_person, names_person

# Reading ----------------------------------------------------------------------------------------


def incident_for(ctx: Ctx, reference: str | None, verb: str, what: str) -> Incident:
    """The incident, for those who may see it (``commands/core/access.py``)."""
    return find_incident(ctx, reference, verb, what)


def posted_reply(ctx: Ctx, incident: Incident, text: str, card: Card) -> Reply:
    """The reply to a command whose card was also posted in the incident's channel: typed in
    that channel, the caller sees the text only, not the same card twice."""
    return Reply(text=text, card=card, ephemeral=not in_its_channel(ctx, incident))


def admit(ctx: Ctx, incident: Incident, names: list[str], why: str = "a member") -> None:
    """People given a group seat or a role join the incident: they may read it, they are
    invited to its conversation, and they are told (``membership.join``)."""
    membership.join(ctx, incident, {n: why for n in names if n})


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


def require_organiser(ctx: Ctx, incident: Incident, what: str) -> None:
    allowed = may_organise(ctx.actor)
    if not allowed:
        raise PermissionRefused(
            f"{what} for {incident.reference}", allowed.who_may, incident.reference
        )


def person_named(ctx: Ctx, name: str, label: str, field: str) -> Person:
    person = repo.person_by_name(ctx.session, name.strip().lstrip("@"))
    if person is None:
        raise UserError(f"{label}: no user '{name}' is known.", field)
    return person


def names_of(ctx: Ctx, text: str, label: str, field: str) -> list[str]:
    out: list[str] = []
    for raw in (text or "").split(","):
        if raw.strip():
            name = person_named(ctx, raw, label, field).name
            if name not in out:
                out.append(name)
    return out


def sync_command_team(incident: Incident, role: str, name: str) -> None:
    # The command team (declaration) is what the decision and action rules read.
    team = dict(incident.command_team or {})
    team[role] = name
    incident.command_team = team


# App Home ---------------------------------------------------------------------------------------


def my_incident_roles_card(ctx: Ctx) -> Card | None:
    """What the person holds in open incidents: chairs, memberships and roles."""
    facts: list[tuple[str, str]] = []
    groups = ctx.session.execute(
        select(IncidentGroup, Incident)
        .join(Incident, Incident.id == IncidentGroup.incident_id)
        .where(IncidentGroup.closed_at.is_(None), Incident.status != Status.CLOSED)
        .order_by(IncidentGroup.id)
    ).all()
    for group, incident in groups:
        if is_person(group.chair_id, ctx.person):
            facts.append((incident.reference, f"chair of the {group.name}"))
        elif ctx.person.name in (group.members or []):
            facts.append((incident.reference, f"member of the {group.name}"))
    rows = ctx.session.execute(
        select(IncidentRole, Incident)
        .join(Incident, Incident.id == IncidentRole.incident_id)
        .where(
            names_person(IncidentRole.person_id, ctx.person),
            IncidentRole.ended_at.is_(None),
            Incident.status != Status.CLOSED,
        )
    ).all()
    for row, incident in rows:
        facts.append(
            (incident.reference, INCIDENT_ROLES[row.role] + (f" ({row.area})" if row.area else ""))
        )
    if not facts:
        return None
    return Card(title="Your incident roles", facts=tuple(facts[:20]))
