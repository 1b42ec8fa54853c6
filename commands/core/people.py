"""People as the commands name them: a user name resolves to the person, shown by their
display name, the same way whether it was typed (``--by hana``) or chosen in a form.

One rule for who can be picked, on every surface (``pickable``), and one way to find or link
the person behind a platform account (``person_for_account``), always called inside the
command's unit of work: no surface writes a person or an identity of its own."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import datetime

from sqlalchemy import func, or_, select
from sqlalchemy.orm import Session

from cards.model import Choice
from storage import repositories as repo
from storage.models import Identity, Person

PICKER_LIMIT = 500  # a person picker offers at most this many people (Slack's own has no limit)


def pickable(session: Session) -> list[Person]:
    """Everyone a person field may name, and a picker offers, on every surface: the bot's own
    system account aside, by display name, at most ``PICKER_LIMIT``."""
    return list(
        session.scalars(
            select(Person)
            .where(Person.name != repo.SYSTEM_NAME)
            .order_by(Person.display_name, Person.name)
            .limit(PICKER_LIMIT)
        )
    )


def people_choices(session: Session) -> tuple[Choice, ...]:
    """``pickable`` as a form's choices (user name, display name)."""
    return tuple(Choice(p.name, p.display_name) for p in pickable(session))


def known_accounts(session: Session, surface: str, accounts: Sequence[str]) -> dict[str, Choice]:
    """Each stored account's person as a picker's choice (user name, display name): one
    query; an account no one has is left out."""
    wanted = set(accounts)
    if not wanted:
        return {}
    rows = session.execute(
        select(Identity.external_id, Person.name, Person.display_name)
        .join(Person, Person.id == Identity.person_id)
        .where(Identity.surface == surface, Identity.external_id.in_(wanted))
    ).tuples()
    return {account: Choice(name, shown) for account, name, shown in rows}


def find_person_for_account(
    session: Session, surface: str, external_id: str, aliases: Sequence[str] = ()
) -> Person | None:
    """The person behind an account, if stored, by the account or one of its aliases (the
    other ids the platform knows the same person by): a read, which writes nothing."""
    for account in (external_id, *aliases):
        person = repo.find_person_for_identity(session, surface, account)
        if person is not None:
            return person
    return None


def person_for_account(
    session: Session,
    surface: str,
    external_id: str,
    display_name: str,
    now: datetime,
    aliases: Sequence[str] = (),
) -> Person:
    """The person behind an account, created on first contact (with no roles), and each of
    its aliases linked to them (in Teams a seed file may list someone by Azure AD object id,
    while activities carry the ``29:…`` id). Called in the command's unit of work, so a
    refusal or a failure leaves no person and no link behind."""
    others = [a for a in dict.fromkeys(aliases) if a and a != external_id]
    if others and _owner(session, surface, external_id) is None:
        for alias in others:
            owner = _owner(session, surface, alias)
            if owner is not None:  # known by the alias: the account is theirs too
                session.add(Identity(person_id=owner, surface=surface, external_id=external_id))
                session.flush()
                break
    person = repo.person_for_identity(session, surface, external_id, display_name, now)
    for alias in others:
        if _owner(session, surface, alias) is None:
            session.add(Identity(person_id=person.id, surface=surface, external_id=alias))
            session.flush()
    return person


def _owner(session: Session, surface: str, account: str) -> int | None:
    return session.scalar(
        select(Identity.person_id).where(
            Identity.surface == surface, Identity.external_id == account
        )
    )


def names_for_accounts(
    session: Session, surface: str, accounts: Iterable[str], now: datetime
) -> dict[str, str]:
    """Each account's person's user name, as a read phase knows it: the stored person's, or
    the name a first-time person will have once ``person_for_account`` stores them."""
    out: dict[str, str] = {}
    for account in accounts:
        person = repo.find_person_for_identity(session, surface, account)
        out[account] = (person or repo.new_person(surface, account, "", now)).name
    return out


def reachable(session: Session, person_ids: Iterable[int]) -> set[tuple[int, str]]:
    """(person, surface) for each surface on which each person has an account, so a message
    to them directly can be queued there (``Ctx.tell``): one query."""
    ids = set(person_ids)
    if not ids:
        return set()
    rows = session.execute(
        select(Identity.person_id, Identity.surface).where(Identity.person_id.in_(ids))
    ).tuples()
    return set(rows)


def as_recorded(session: Session, text: str) -> str:
    """Who decided, as recorded: a known person (``hana`` or ``@hana``) by their display name;
    anything else (a chair outside the bot, a group) as written."""
    written = text.strip()
    person = repo.person_by_name(session, written.lstrip("@").lower())
    return person.display_name if person is not None else written


def named_words(text: str) -> list[str]:
    """The people a free-text list of attendees names: comma- or semicolon-separated, by user
    name (``@ian``) or display name (``Ian Brooks``), casefolded; other words (``LA rep``)
    stay words and match no one."""
    words = (w.strip().lstrip("@").casefold() for w in text.replace(";", ",").split(","))
    return [w for w in words if w]


def named_in(session: Session, texts: Iterable[str]) -> dict[str, Person]:
    """The people free-text attendees name (``named_words``), by the word that names them:
    one query for all the texts."""
    words = {w for text in texts for w in named_words(text)}
    out: dict[str, Person] = {}
    if not words:
        return out
    for person in session.scalars(
        select(Person).where(
            or_(func.lower(Person.name).in_(words), func.lower(Person.display_name).in_(words))
        )
    ):
        for word in (person.name.casefold(), person.display_name.casefold()):
            if word in words:
                out.setdefault(word, person)
    return out
