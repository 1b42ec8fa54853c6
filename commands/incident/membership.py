"""Who is in an incident, and so in its conversation: a private channel holds its members,
no one else (the read rule is ``rules/roles.py``'s ``may_read_incident``).

Joining queues the platform's invitation (``outbox.Invite``) with the record and tells the
person directly, with a link to the conversation as it exists (``about``); leaving queues
``outbox.Remove``. ``/opss members INC [add | remove <user>]`` does either by hand; a group
seat, an incident role, a contributing team's FTL and the declaration itself join people
through ``join``.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping

from sqlalchemy import select

from commands.core import outbox
from commands.core.args import Args
from commands.core.context import Ctx, PermissionRefused, Reply, UserError
from commands.core.lookup import find_incident
from commands.core.people import reachable
from rules.command_and_control import INCIDENT_ROLES, may_organise
from rules.stand_down import Status
from storage import repositories as repo
from storage.conversations import ConversationKey
from storage.models import Incident, IncidentGroup, IncidentRole, Person
from storage.whose import is_person, names_person


def ftls_of(ctx: Ctx, areas: Iterable[str]) -> dict[str, Person]:
    """Each area's FTL (the first grant), for the areas that have one."""
    out: dict[str, Person] = {}
    for area in dict.fromkeys(a for a in areas if a):
        person = repo.ftl_for_area(ctx.session, area)
        if person is not None:
            out[area] = person
    return out


def label(incident: Incident) -> str:
    return "EXERCISE · " if incident.exercise else ""


def tell_named(ctx: Ctx, incident: Incident, named: Mapping[str, str], text: str) -> None:
    """Tell each person named (user name: what they are in it as) directly, with a link to
    the incident's conversation, where they have an account on the incident's surface. The
    one who acted is not told what they just did."""
    names = [n for n in named if n != ctx.person.name]
    if not names:
        return
    people = {p.name: p for p in ctx.session.scalars(select(Person).where(Person.name.in_(names)))}
    reach = reachable(ctx.session, [p.id for p in people.values()])
    for name in names:
        person = people.get(name)
        if person is None or (person.id, incident.surface) not in reach:
            continue
        ctx.tell(
            person.id,
            f"{label(incident)}{text} as {named[name]}.",
            surface=incident.surface,
            about=incident.channel_key,
        )


def join(ctx: Ctx, incident: Incident, named: Mapping[str, str]) -> list[str]:
    """People (user name: as what) join the incident and its conversation, and are told."""
    new = [n for n in named if n and n not in (incident.members or [])]
    if not new:
        return []
    incident.members = sorted({*(incident.members or []), *new})
    outbox.queue(
        ctx.session,
        ConversationKey(incident.surface, incident.channel_key),
        outbox.Invite(tuple(new)),
        ctx.now,
    )
    tell_named(
        ctx,
        incident,
        {n: named[n] for n in new},
        f"You are now in incident {incident.reference} ({incident.title}), added by "
        f"{ctx.person.display_name},",
    )
    return new


def leave(ctx: Ctx, incident: Incident, names: list[str]) -> list[str]:
    """People leave the incident and its conversation, and are told."""
    gone = [n for n in names if n in (incident.members or [])]
    if not gone:
        return []
    incident.members = sorted(set(incident.members or []) - set(gone))
    outbox.queue(
        ctx.session,
        ConversationKey(incident.surface, incident.channel_key),
        outbox.Remove(tuple(gone)),
        ctx.now,
    )
    people = ctx.session.scalars(select(Person).where(Person.name.in_(gone))).all()
    reach = reachable(ctx.session, [p.id for p in people])
    for person in people:
        if person.name != ctx.person.name and (person.id, incident.surface) in reach:
            ctx.tell(
                person.id,
                f"{label(incident)}{ctx.person.display_name} took you out of incident "
                f"{incident.reference} ({incident.title}) and its conversation.",
                surface=incident.surface,
            )
    return gone


# /opss members INC [add | remove <user>] ---------------------------------------------------------


def _incident(ctx: Ctx, args: Args) -> Incident:
    return find_incident(ctx, args.first(), "members", "its members")


def _changing(ctx: Ctx, incident: Incident, what: str) -> None:
    allowed = may_organise(ctx.actor)
    if not allowed:
        raise PermissionRefused(
            f"{what} for {incident.reference}", allowed.who_may, incident.reference
        )
    if incident.status == Status.CLOSED:
        raise UserError(f"{incident.reference} is closed: its conversation is archived.")


def _people(ctx: Ctx, args: Args, incident: Incident, verb: str) -> list[Person]:
    raw = ",".join(args.words[1:])  # after the reference (the sub-verb is taken out)
    names = [n.strip().lstrip("@") for n in raw.split(",") if n.strip()]
    if not names:
        raise UserError(
            f"Who: name them, e.g. /opss members {incident.reference} {verb} ian,sara.", "who"
        )
    people = []
    for name in names:
        person = repo.person_by_name(ctx.session, name)
        if person is None:
            raise UserError(f"Who: no user '{name}' is known.", "who")
        if person not in people:
            people.append(person)
    return people


def members_verb(ctx: Ctx, args: Args) -> Reply:
    incident = _incident(ctx, args)
    names = list(incident.members or [])
    shown = {
        p.name: p.display_name
        for p in ctx.session.scalars(select(Person).where(Person.name.in_(names)))
    }
    listed = ", ".join(sorted(shown.get(n, n) for n in names)) or "no one yet"
    return Reply(text=f"In {incident.reference} and its conversation: {listed}.")


def add(ctx: Ctx, args: Args) -> Reply:
    incident = _incident(ctx, args)
    _changing(ctx, incident, "add people to the incident")
    people = _people(ctx, args, incident, "add")
    new = join(ctx, incident, {p.name: "a member" for p in people})
    if not new:
        return Reply(text=f"They are in {incident.reference} already: nothing changed.")
    before = sorted(set(incident.members or []) - set(new))
    ctx.audit(
        "incident.members_added",
        "incident",
        incident.reference,
        {"members": before},
        {"members": list(incident.members or []), "added": new},
    )
    added = ", ".join(p.display_name for p in people if p.name in new)
    text = f"{ctx.person.display_name} added {added} to {incident.reference}."
    ctx.post(incident.channel_key, text)
    return Reply(text=text)


def remove(ctx: Ctx, args: Args) -> Reply:
    incident = _incident(ctx, args)
    _changing(ctx, incident, "take people out of the incident")
    people = _people(ctx, args, incident, "remove")
    for person in people:
        held = _holds(ctx, incident, person)
        if held:
            raise UserError(
                f"Who: {person.display_name} is the incident's {held}: name someone else to "
                f"that first (/opss role {incident.reference}, /opss group {incident.reference})."
            )
    before = list(incident.members or [])
    gone = leave(ctx, incident, [p.name for p in people])
    if not gone:
        return Reply(text=f"They are not in {incident.reference}: nothing changed.")
    ctx.audit(
        "incident.members_removed",
        "incident",
        incident.reference,
        {"members": before},
        {"members": list(incident.members or []), "removed": gone},
    )
    names = ", ".join(p.display_name for p in people if p.name in gone)
    text = f"{ctx.person.display_name} took {names} out of {incident.reference}."
    ctx.post(incident.channel_key, text)
    return Reply(text=text)


def _holds(ctx: Ctx, incident: Incident, person: Person) -> str:
    """What the person holds in the incident that keeps them in it (a command role, a chair
    or seat of an open group), in words; empty when nothing does."""
    for role, name in (incident.command_team or {}).items():
        if name == person.name:
            return INCIDENT_ROLES.get(role.split(":", 1)[0], role)
    for row in ctx.session.scalars(
        select(IncidentRole).where(
            IncidentRole.incident_id == incident.id,
            names_person(IncidentRole.person_id, person),
            IncidentRole.ended_at.is_(None),
        )
    ):
        return INCIDENT_ROLES.get(row.role, row.role)
    for group in ctx.session.scalars(
        select(IncidentGroup).where(
            IncidentGroup.incident_id == incident.id, IncidentGroup.closed_at.is_(None)
        )
    ):
        if is_person(group.chair_id, person):
            return f"{group.name} chair"
        if person.name in (group.members or []):
            return f"{group.name} member"
    return ""
