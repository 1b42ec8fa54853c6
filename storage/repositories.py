"""Queries and writes the command engine uses. Nothing here commits: the unit of work does."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import Session

from rules.action_chasing import ActionStatus
from rules.references import format_reference
from rules.roles import Actor, Grant, Role
from storage.models import (
    Action,
    AuditEvent,
    CaseConference,
    ChannelBinding,
    Counter,
    Decision,
    Identity,
    ImpactAssessment,
    Incident,
    Issue,
    NncAssessment,
    OutboxMessage,
    OutboxStatus,
    Person,
    RoleGrant,
    Sitrep,
)

_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)

# People and roles -----------------------------------------------------------------------


def person_name(written: str) -> str:
    """A person's name as stored, however it was written ("@olly ", "olly")."""
    return written.strip().lstrip("@")


def person_by_name(session: Session, name: str) -> Person | None:
    return session.scalar(select(Person).where(Person.name == person_name(name)))


def people_by_name(session: Session, names: list[str]) -> dict[str, Person]:
    """The named people in one query (names nobody has are left out)."""
    if not names:
        return {}
    return {p.name: p for p in session.scalars(select(Person).where(Person.name.in_(names)))}


def _linked(session: Session, surface: str, external_id: str) -> Person | None:
    return session.scalar(
        select(Person)
        .join(Identity, Identity.person_id == Person.id)
        .where(Identity.surface == surface, Identity.external_id == external_id)
    )


def new_person(surface: str, external_id: str, display_name: str, now: datetime) -> Person:
    """A first-time person, not yet stored: named ``slack:U…`` (the local name as it is)."""
    name = external_id if surface == "local" else f"{surface}:{external_id}"
    return Person(name=name, display_name=display_name or name, created_at=now)


def find_person_for_identity(session: Session, surface: str, external_id: str) -> Person | None:
    """The person behind a surface account if already stored (linked, or by their name)."""
    found = _linked(session, surface, external_id)
    if found is not None:
        return found
    return person_by_name(session, new_person(surface, external_id, "", _EPOCH).name)


def person_for_identity(
    session: Session, surface: str, external_id: str, display_name: str, now: datetime
) -> Person:
    """The person behind a surface account, created on first contact (with no roles)."""
    found = _linked(session, surface, external_id)
    if found is not None:
        return found
    person = new_person(surface, external_id, display_name, now)
    existing = person_by_name(session, person.name)
    if existing is not None:
        person = existing
    else:
        session.add(person)
        session.flush()
    session.add(Identity(person_id=person.id, surface=surface, external_id=external_id))
    session.flush()
    return person


def link_identity(session: Session, surface: str, external_id: str, alias: str) -> None:
    """Make ``external_id`` name the person already known on ``surface`` as ``alias`` (in Teams,
    a seed file may list someone by Azure AD object id; activities carry the ``29:…`` id)."""
    mine = select(Identity).where(Identity.surface == surface, Identity.external_id == external_id)
    if session.scalar(mine) is not None:
        return
    known = session.scalar(
        select(Identity).where(Identity.surface == surface, Identity.external_id == alias)
    )
    if known is not None:
        session.add(Identity(person_id=known.person_id, surface=surface, external_id=external_id))
        session.flush()


def active_grants(session: Session, person_id: int) -> list[RoleGrant]:
    return list(
        session.scalars(
            select(RoleGrant)
            .where(RoleGrant.person_id == person_id, RoleGrant.revoked_at.is_(None))
            .order_by(RoleGrant.id)
        )
    )


def actor_for(session: Session, person: Person) -> Actor:
    if person.id is None:  # not stored yet: a first-time person holds no roles
        return Actor(person.name, shown=person.display_name)
    grants = frozenset(Grant(Role(g.role), g.area) for g in active_grants(session, person.id))
    return Actor(person.name, grants, shown=person.display_name)


def people_with_role(session: Session, role: Role) -> list[Person]:
    roles = [role.value]
    if role is Role.SCS:
        roles += [Role.DEPUTY_DIRECTOR.value, Role.DEPUTY_CHIEF_EXECUTIVE.value]
    if role is Role.DEPUTY_DIRECTOR:  # "or higher" (rules.roles.Actor.has)
        roles.append(Role.DEPUTY_CHIEF_EXECUTIVE.value)
    return list(
        session.scalars(
            select(Person)
            .join(RoleGrant, RoleGrant.person_id == Person.id)
            .where(RoleGrant.role.in_(roles), RoleGrant.revoked_at.is_(None))
            .distinct()
            .order_by(Person.name)
        )
    )


def ftl_for_area(session: Session, area: str) -> Person | None:
    return session.scalar(
        select(Person)
        .join(RoleGrant, RoleGrant.person_id == Person.id)
        .where(
            RoleGrant.role == Role.FTL.value,
            RoleGrant.area == area,
            RoleGrant.revoked_at.is_(None),
        )
        .order_by(RoleGrant.id)
        .limit(1)
    )


# References -----------------------------------------------------------------------------


def next_reference(session: Session, kind: str, year: int) -> str:
    """Atomically take the next number for ``kind`` in ``year``: one upsert that returns the
    new value. The row lock (PostgreSQL) or the write lock (SQLite, BEGIN IMMEDIATE) makes two
    simultaneous raises get two numbers."""
    name = f"{kind}:{year}"
    dialect = session.get_bind().dialect.name
    insert = pg_insert if dialect == "postgresql" else sqlite_insert
    statement = insert(Counter).values(name=name, value=1)
    number = session.execute(
        statement.on_conflict_do_update(
            index_elements=["name"], set_={"value": Counter.value + 1}
        ).returning(Counter.value)
    ).scalar_one()
    return format_reference(kind, year, number)


# Issues, assessments, conferences, incidents, decisions ---------------------------------


def issue_by_reference(session: Session, reference: str) -> Issue | None:
    return session.scalar(select(Issue).where(Issue.reference == reference))


def latest_assessment(session: Session, issue_id: int) -> ImpactAssessment | None:
    return session.scalar(
        select(ImpactAssessment)
        .where(ImpactAssessment.issue_id == issue_id)
        .order_by(ImpactAssessment.version.desc())
        .limit(1)
    )


def latest_nnc(session: Session, issue_id: int) -> NncAssessment | None:
    return session.scalar(
        select(NncAssessment)
        .where(NncAssessment.issue_id == issue_id)
        .order_by(NncAssessment.version.desc())
        .limit(1)
    )


def next_version(
    session: Session, model: type[ImpactAssessment] | type[NncAssessment], issue_id: int
) -> int:
    latest = session.scalar(
        select(model.version)
        .where(model.issue_id == issue_id)
        .order_by(model.version.desc())
        .limit(1)
    )
    return (latest or 0) + 1


def conference_by_reference(session: Session, reference: str) -> CaseConference | None:
    return session.scalar(select(CaseConference).where(CaseConference.reference == reference))


def latest_conference(session: Session, issue_id: int) -> CaseConference | None:
    return session.scalar(
        select(CaseConference)
        .where(CaseConference.issue_id == issue_id)
        .order_by(CaseConference.id.desc())
        .limit(1)
    )


def incident_by_reference(session: Session, reference: str) -> Incident | None:
    return session.scalar(select(Incident).where(Incident.reference == reference))


def incident_for_issue(session: Session, issue_id: int) -> Incident | None:
    return session.scalar(select(Incident).where(Incident.issue_id == issue_id))


def decision_by_reference(session: Session, reference: str) -> Decision | None:
    return session.scalar(select(Decision).where(Decision.reference == reference))


def count_decisions(session: Session, issue_id: int) -> int:
    """An incident's log is its issue's: the case conferences that led to it belong in it."""
    return session.scalar(select(func.count(Decision.id)).where(Decision.issue_id == issue_id)) or 0


def action_counts(session: Session, incident_id: int) -> tuple[int, int]:
    """An incident's open actions (not done: started and blocked are open, 3.10) and how many
    of them the chase has flagged overdue, in one query."""
    open_, overdue = session.execute(
        select(
            func.count(Action.id),
            func.count(Action.overdue_at),  # counts the rows where it is set
        ).where(Action.incident_id == incident_id, Action.status != ActionStatus.DONE)
    ).one()
    return int(open_ or 0), int(overdue or 0)


def latest_published_sitrep(session: Session, incident_id: int) -> Sitrep | None:
    return session.scalar(
        select(Sitrep)
        .where(Sitrep.incident_id == incident_id, Sitrep.published_at.is_not(None))
        .order_by(Sitrep.number.desc())
        .limit(1)
    )


def latest_decisions(
    session: Session, issue_id: int, count: int
) -> tuple[list[Decision], dict[int, str], set[int]]:
    """The last ``count`` decisions of an incident's issue (the incident's own included),
    oldest first; the references of the entries they supersede; and which of them a later
    entry supersedes. Three queries, whatever the length of the log."""
    rows = list(
        session.scalars(
            select(Decision)
            .where(Decision.issue_id == issue_id)
            .order_by(Decision.id.desc())
            .limit(count)
        )
    )[::-1]
    targets = {r.supersedes_id for r in rows if r.supersedes_id}
    superseded_refs = (
        dict(
            session.execute(select(Decision.id, Decision.reference).where(Decision.id.in_(targets)))
            .tuples()
            .all()
        )
        if targets
        else {}
    )
    ids = [r.id for r in rows]
    superseded = (
        {
            i
            for i in session.scalars(
                select(Decision.supersedes_id).where(Decision.supersedes_id.in_(ids))
            )
            if i is not None
        }
        if ids
        else set()
    )
    return rows, superseded_refs, superseded


# Audit and outbox -----------------------------------------------------------------------


def audit(
    session: Session,
    *,
    at: datetime,
    actor: Person | None,
    action: str,
    actor_name: str | None = None,
    entity_type: str,
    entity_ref: str,
    before: dict[str, Any] | None,
    after: dict[str, Any] | None,
    surface: str,
    channel: str = "",
) -> None:
    session.add(
        AuditEvent(
            at=at,
            actor_id=actor.id if actor else None,
            actor_name=actor_name or (actor.name if actor else "system"),
            action=action,
            entity_type=entity_type,
            entity_ref=entity_ref,
            before=before,
            after=after,
            surface=surface,
            channel=channel,
        )
    )


def enqueue(
    session: Session,
    *,
    surface: str,
    conversation: str,
    op: str,
    payload: dict[str, Any],
    now: datetime,
) -> OutboxMessage:
    message = OutboxMessage(
        surface=surface,
        conversation=conversation,
        op=op,
        payload=payload,
        status=OutboxStatus.PENDING,
        attempts=0,
        next_attempt_at=now,
        created_at=now,
    )
    session.add(message)
    return message


def insert_new_in_bulk(session: Session) -> None:
    """Insert the rows added to the session so far with one executemany per table, in the
    order they were added. For a batch of many posts, audit events or reports whose ids
    are not needed afterwards: the ORM's own flush inserts them one by one on SQLite, where
    it cannot have several new ids returned in a known order."""
    new = list(session.new)
    if not new:
        return
    for row in new:
        session.expunge(row)
    # Grouped by table with a stable sort, so each table keeps the order its rows came in.
    new.sort(key=lambda row: type(row).__name__)
    session.bulk_save_objects(new, preserve_order=True)


def binding(session: Session, surface: str, conversation: str) -> ChannelBinding | None:
    return session.scalar(
        select(ChannelBinding).where(
            ChannelBinding.surface == surface, ChannelBinding.conversation == conversation
        )
    )


def binding_of_channel(session: Session, surface: str, external_id: str) -> ChannelBinding | None:
    """The conversation a platform channel is bound to, if any."""
    return session.scalar(
        select(ChannelBinding).where(
            ChannelBinding.surface == surface, ChannelBinding.external_id == external_id
        )
    )


def external_ids(session: Session, surface: str, names: list[str]) -> dict[str, str]:
    """Each named person's account on ``surface`` (people without one are left out)."""
    if not names:
        return {}
    rows = session.execute(
        select(Person.name, Identity.external_id)
        .join(Identity, Identity.person_id == Person.id)
        .where(Identity.surface == surface, Person.name.in_(names))
    ).all()
    return {name: external for name, external in rows}


SYSTEM_NAME = "opss-bot"


def system_person(session: Session, now: datetime) -> Person:
    """The bot itself, as the actor of what the scheduler does."""
    person = person_by_name(session, SYSTEM_NAME)
    if person is None:
        person = Person(name=SYSTEM_NAME, display_name="OPSS bot", created_at=now)
        session.add(person)
        session.flush()
    return person
