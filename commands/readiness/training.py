"""Chairs and deputies drawn from the roster of trained staff (plan 6.6, 3.4, 3.9): who is
trained for a seat, offered first by the forms that name them, and the justification that
naming anyone else needs, recorded as a decision by the use case that names them.

The rules are ``rules/roster.py``; this module reads the roster for them (one query).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import replace
from datetime import date, datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from cards.model import Choice, Form
from commands.core.context import Ctx, UserError
from commands.core.people import people_choices
from rules import roster
from rules.roster import Training
from rules.timeparse import LONDON, show_date
from storage.models import Person, RosterEntry


def today(now: datetime) -> date:
    """The day in London: training lapses at the end of its expiry day there."""
    return now.astimezone(LONDON).date()


def current_entries(session: Session, person_ids: Iterable[int] | None = None) -> list[Training]:
    """The roster's entries in force (not removed or renewed), with each person's names: one
    query. ``person_ids``: only theirs."""
    query = (
        select(RosterEntry, Person.name, Person.display_name)
        .join(Person, Person.id == RosterEntry.person_id)
        .where(RosterEntry.removed_at.is_(None))
        .order_by(RosterEntry.id)
    )
    if person_ids is not None:
        query = query.where(RosterEntry.person_id.in_(set(person_ids)))
    return [
        Training(name, shown, row.role, row.trained_on, row.expires_on)
        for row, name, shown in session.execute(query).tuples()
    ]


def untrained_reason(session: Session, person: Person, roles: Sequence[str], now: datetime) -> str:
    """Why ``person`` is not drawn from the roster for a seat needing one of ``roles``
    ("not trained as SCG chair"), or "" when they are trained and in date."""
    return roster.untrained(current_entries(session, [person.id]), roles, today(now)) or ""


def check_seat(
    ctx: Ctx,
    person: Person,
    roles: Sequence[str],
    seat: str,
    justification: str,
    field: str,
) -> str:
    """Naming ``person`` to ``seat`` (e.g. "the Secretariat of INC-2026-001"): the decision
    text to record when they are not trained or their training has lapsed (a justification
    is then required), else ""."""
    reason = untrained_reason(ctx.session, person, roles, ctx.now)
    if not reason:
        return ""
    if not justification.strip():
        raise UserError(
            f"Justification: {person.display_name} is {reason}; say why they take {seat} "
            "(it is recorded as a decision).",
            field,
        )
    return f"{person.display_name} takes {seat}, {reason}"


def trained_line(entries: Sequence[Training], roles: Sequence[str], on: date) -> str:
    """Who is trained for ``roles`` today, in words for a form's hint."""
    trained = roster.trained_for(entries, roles, on)
    if not trained:
        return f"Nobody is trained and in date as {roster.labels(roles)} (the roster, 6.6)."
    names = ", ".join(f"{t.shown} (to {show_date(t.expires_on)})" for t in trained[:15])
    more = f" and {len(trained) - 15} more" if len(trained) > 15 else ""
    return f"Trained as {roster.labels(roles)}: {names}{more}. Anyone else needs a justification."


def offer_trained(
    session: Session,
    form: Form,
    seats: Mapping[str, Sequence[str]],
    now: datetime,
    hint: str | None = None,
) -> Form:
    """The form with each person field of ``seats`` (field name -> the trainings that
    qualify) offering the people trained for it first, marked, and saying who they are
    (``hint``, or who is trained for the field's seat).

    Where a surface has its own picker and cannot order it (Slack), the hint says who."""
    on = today(now)
    entries = current_entries(session)
    everyone = people_choices(session)
    fields = []
    for f in form.fields:
        roles = seats.get(f.name)
        if roles is None or f.kind != "person":
            fields.append(f)
            continue
        trained = roster.trained_for(entries, roles, on)
        first = {t.person for t in trained}
        marked = tuple(
            Choice(
                t.person,
                f"{t.shown} · trained as {roster.label(t.role)}, to {show_date(t.expires_on)}",
            )
            for t in trained
        )
        rest = tuple(c for c in everyone if c.value not in first)
        said = hint if hint is not None else trained_line(entries, roles, on)
        fields.append(
            replace(f, choices=marked + rest, help=f"{f.help} {said}".strip() if f.help else said)
        )
    return replace(form, fields=tuple(fields))


def trained_roles_line(session: Session, roles: Mapping[str, Sequence[str]], now: datetime) -> str:
    """For a form naming one of several seats: who is trained for each, one line."""
    on = today(now)
    entries = current_entries(session)
    parts = []
    for seat, needed in roles.items():
        trained = roster.trained_for(entries, needed, on)
        names = ", ".join(t.shown for t in trained[:8]) or "nobody"
        parts.append(f"{seat}: {names}")
    return "Trained and in date (the roster, 6.6): " + "; ".join(parts) + "."
