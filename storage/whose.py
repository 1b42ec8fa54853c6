"""Whose a row is. Someone the bot has never stored has no id yet, and "nobody" is nobody:
a missing id matches no row. Compared bare, it would match every unset column (``None ==
None`` in Python, ``IS NULL`` in SQL), so a stranger would be told they chair a group that
has no chair. Every comparison of a person's id goes through here."""

from __future__ import annotations

from typing import Any

from sqlalchemy import false
from sqlalchemy.sql.elements import ColumnElement

from storage.models import Person


def is_person(person_id: int | None, person: Person | None) -> bool:
    """Python: ``person_id`` names this stored person."""
    return person is not None and person.id is not None and person_id == person.id


def names_person(column: Any, person: Person | None) -> ColumnElement[bool]:
    """SQL: the rows whose ``column`` names this stored person (none for a stranger)."""
    if person is None or person.id is None:
        return false()
    return column == person.id
