"""People and roles from a TOML seed file (the local workspace and first installs use one).

    [[people]]
    name = "hana"
    display_name = "Hana Patel"
    roles = ["head_of_imt", { role = "ftl", area = "Gas and Electrical" }]
    trained = [{ role = "tcg_chair", on = 2026-01-12, expires = 2027-01-12 }]

``trained`` is the person's part of the roster of trained staff (plan 6.6): each response
role with the training date and its expiry (a year after it, when not given). A file of such
entries is how a roster is loaded.

Seeding only adds: a person, grant or training already present is left as it is, and a
training once removed from the roster is not added back (the file is read at every start).
"""

from __future__ import annotations

import tomllib
from datetime import date, datetime
from pathlib import Path
from typing import Any

from sqlalchemy.orm import Session

from rules import roster
from rules.roles import Role
from storage import repositories as repo
from storage.models import Identity, Person, RoleGrant, RosterEntry
from storage.unit_of_work import Database
from storage.whose import names_person


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
    _apply_training(session, person, entry.get("trained") or [], now)
    session.flush()
    return added


def _day(name: str, raw: Any, what: str) -> date:
    if isinstance(raw, datetime):
        return raw.date()
    if isinstance(raw, date):
        return raw
    try:
        return date.fromisoformat(str(raw))
    except ValueError as exc:
        raise SeedError(f"{name}: {what} '{raw}' is not a date (YYYY-MM-DD)") from exc


def _apply_training(session: Session, person: Person, trained: list[Any], now: datetime) -> None:
    if not isinstance(trained, list):
        raise SeedError(f"{person.name}: 'trained' must be a list of tables")
    known = {
        (row.role, row.trained_on)
        for row in session.query(RosterEntry).filter(names_person(RosterEntry.person_id, person))
    }
    for raw in trained:
        if not isinstance(raw, dict) or raw.get("role") not in roster.ROLE:
            role = raw.get("role") if isinstance(raw, dict) else raw
            raise SeedError(
                f"{person.name}: '{role}' is not a response role; the roles are "
                + ", ".join(roster.ROLE)
            )
        role = str(raw["role"])
        if "on" not in raw:
            raise SeedError(f"{person.name}: the training as {role} needs 'on', its date")
        trained_on = _day(person.name, raw["on"], "training date")
        expires_on = (
            _day(person.name, raw["expires"], "expiry")
            if raw.get("expires")
            else roster.default_expiry(trained_on)
        )
        if expires_on < trained_on:
            raise SeedError(f"{person.name}: the training as {role} expires before it was taken")
        if (role, trained_on) in known:
            continue
        # A newer training of the same role renews the one before it.
        for held in session.query(RosterEntry).filter(
            names_person(RosterEntry.person_id, person),
            RosterEntry.role == role,
            RosterEntry.removed_at.is_(None),
            RosterEntry.trained_on < trained_on,
        ):
            held.removed_at = now
            held.removed_reason = "renewed"
        session.add(
            RosterEntry(
                person_id=person.id,
                role=role,
                trained_on=trained_on,
                expires_on=expires_on,
                note=str(raw.get("note", "")),
                added_by_id=None,
                added_at=now,
                removed_reason="",
            )
        )
        known.add((role, trained_on))
        repo.audit(
            session,
            at=now,
            actor=None,
            action="roster.added",
            entity_type="person",
            entity_ref=person.name,
            before=None,
            after={
                "role": role,
                "trained_on": trained_on.isoformat(),
                "expires_on": expires_on.isoformat(),
            },
            surface="seed",
        )
