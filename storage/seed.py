"""People and roles from a TOML seed file (the local workspace and first installs use one).

    [[people]]
    name = "hana"
    display_name = "Hana Patel"
    roles = ["head_of_imt", { role = "ftl", area = "Gas and Electrical" }]

Seeding only adds: a person or grant already present is left as it is.
"""

from __future__ import annotations

import tomllib
from datetime import datetime
from pathlib import Path
from typing import Any

from sqlalchemy.orm import Session

from rules.roles import Role
from storage import repositories as repo
from storage.models import Identity, Person, RoleGrant
from storage.unit_of_work import Database


class SeedError(ValueError):
    pass


def load(path: Path) -> list[dict[str, Any]]:
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except (OSError, tomllib.TOMLDecodeError) as exc:
        raise SeedError(f"seed file {path}: {exc}") from exc
    people = data.get("people", [])
    if not isinstance(people, list):
        raise SeedError(f"seed file {path}: 'people' must be a list of tables")
    return people


def apply(db: Database, people: list[dict[str, Any]], now: datetime) -> int:
    """Add the people and grants; returns how many grants were added."""
    added = 0
    with db.unit_of_work() as session:
        for entry in people:
            added += _apply_one(session, entry, now)
    return added


def _apply_one(session: Session, entry: dict[str, Any], now: datetime) -> int:
    name = str(entry.get("name", "")).strip()
    if not name:
        raise SeedError("every person in the seed file needs a name")
    person = repo.person_by_name(session, name)
    if person is None:
        person = Person(name=name, display_name=entry.get("display_name", name), created_at=now)
        session.add(person)
        session.flush()
        session.add(Identity(person_id=person.id, surface="local", external_id=name))
        repo.audit(
            session,
            at=now,
            actor=None,
            action="person.seeded",
            entity_type="person",
            entity_ref=name,
            before=None,
            after={"display_name": person.display_name},
            surface="seed",
        )
    for surface, external in (entry.get("identities") or {}).items():
        if session.query(Identity).filter_by(surface=surface, external_id=external).first():
            continue
        session.add(Identity(person_id=person.id, surface=surface, external_id=external))
    added = 0
    held = {(g.role, g.area) for g in repo.active_grants(session, person.id)}
    for raw in entry.get("roles", []):
        role_name, area = (
            (raw, None) if isinstance(raw, str) else (raw.get("role"), raw.get("area"))
        )
        try:
            role = Role(role_name)
        except ValueError as exc:
            raise SeedError(f"{name}: '{role_name}' is not a role") from exc
        if (role.value, area) in held:
            continue
        session.add(RoleGrant(person_id=person.id, role=role.value, area=area, granted_at=now))
        repo.audit(
            session,
            at=now,
            actor=None,
            action="role.granted",
            entity_type="person",
            entity_ref=name,
            before=None,
            after={"role": role.value, "area": area},
            surface="seed",
        )
        added += 1
    session.flush()
    return added
