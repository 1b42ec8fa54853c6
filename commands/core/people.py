"""People as the commands name them: a user name resolves to the person, shown by their
display name, the same way whether it was typed (``--by hana``) or chosen in a form."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from cards.model import Choice
from storage import repositories as repo
from storage.models import Person

PICKER_LIMIT = 500  # a person picker offers at most this many people (Slack's own has no limit)


def people_choices(session: Session) -> tuple[Choice, ...]:
    """Everyone a person field may name (the bot's own system account aside)."""
    rows = session.scalars(select(Person).order_by(Person.display_name).limit(PICKER_LIMIT))
    return tuple(Choice(p.name, p.display_name) for p in rows if p.name != repo.SYSTEM_NAME)


def as_recorded(session: Session, text: str) -> str:
    """Who decided, as recorded: a known person (``hana`` or ``@hana``) by their display name;
    anything else (a chair outside the bot, a group) as written."""
    written = text.strip()
    person = repo.person_by_name(session, written.lstrip("@").lower())
    return person.display_name if person is not None else written
