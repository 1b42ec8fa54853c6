"""What a meeting reminder says about the group that meets (plan 3.4-3.16, 3.21): its chair and
members (who are also written to directly where they have an account on its surface, as are
the people its attendees name), its open actions, and, for a TCG, the SCG's current strategy
that it delivers (3.8-3.9).

Read for a whole batch of reminders at once (``load``: a few queries whatever its size), as
the scheduler's due sources must.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field, replace

from sqlalchemy import func, select
from sqlalchemy.orm import Session, aliased

from cards.model import Card
from commands.core.people import named_in, named_words, reachable
from storage.models import Incident, IncidentGroup, Person, RhythmEvent, Strategy


@dataclass
class Loaded:
    # incident id -> [(kind, [chair and member user names])]
    groups: dict[int, list[tuple[str, list[str]]]] = field(default_factory=dict)
    people: dict[str, Person] = field(default_factory=dict)
    strategies: dict[int, Strategy] = field(default_factory=dict)
    reachable: set[tuple[int, str]] = field(default_factory=set)  # (person, surface)
    # Those a meeting's "who attends" names, by their user or display name (casefolded).
    attendees: dict[str, Person] = field(default_factory=dict)


def load(session: Session, incident_ids: Iterable[int], attendees: Iterable[str] = ()) -> Loaded:
    """``attendees``: the free-text attendees of the meetings reminded (``named_in``)."""
    ids = set(incident_ids)
    out = Loaded()
    if not ids:
        return out
    out.attendees = named_in(session, attendees)
    chair = aliased(Person)
    for group, chair_name in session.execute(
        select(IncidentGroup, chair.name)
        .outerjoin(chair, chair.id == IncidentGroup.chair_id)
        .where(IncidentGroup.incident_id.in_(ids), IncidentGroup.closed_at.is_(None))
        .order_by(IncidentGroup.id)
    ).tuples():
        names = ([chair_name] if chair_name else []) + [
            n for n in (group.members or []) if n != chair_name
        ]
        out.groups.setdefault(group.incident_id, []).append((group.kind, names))
    wanted = {n for groups in out.groups.values() for _, names in groups for n in names}
    if wanted:
        out.people = {
            p.name: p for p in session.scalars(select(Person).where(Person.name.in_(wanted)))
        }
    if wanted or out.attendees:
        everyone = [p.id for p in out.people.values()] + [p.id for p in out.attendees.values()]
        out.reachable = reachable(session, everyone)
    newest = (
        select(Strategy.incident_id, func.max(Strategy.version).label("version"))
        .where(Strategy.incident_id.in_(ids))
        .group_by(Strategy.incident_id)
        .subquery()
    )
    for strategy in session.scalars(
        select(Strategy).join(
            newest,
            (newest.c.incident_id == Strategy.incident_id) & (newest.c.version == Strategy.version),
        )
    ):
        out.strategies[strategy.incident_id] = strategy
    return out


def _names(loaded: Loaded, incident: Incident, event: RhythmEvent) -> list[str]:
    names: list[str] = []
    for kind, people in loaded.groups.get(incident.id, []):
        if kind == event.group:
            names += [n for n in people if n not in names]
    return names


def reminder_card(loaded: Loaded, incident: Incident, event: RhythmEvent, card: Card) -> Card:
    facts = list(card.facts)
    names = _names(loaded, incident, event)
    if names and not event.attendees:
        shown = [loaded.people[n].display_name if n in loaded.people else n for n in names]
        facts.append(("Members", ", ".join(shown)))
    sections = list(card.sections)
    if event.group == "tcg":
        strategy = loaded.strategies.get(incident.id)
        sections.insert(
            1,
            (
                f"SCG strategy v{strategy.version}" if strategy else "SCG strategy",
                f"Aim: {strategy.fields.get('aim', '')}\n"
                f"Priorities: {strategy.fields.get('priorities', '')}"
                if strategy
                else "not yet recorded (/opss strategy)",
            ),
        )
    return replace(card, facts=tuple(facts), sections=tuple(sections))


def direct_to(loaded: Loaded, incident: Incident, event: RhythmEvent) -> list[int]:
    """The group's members and the people its attendees name, to write to directly: those
    with an account on its surface."""
    people = [loaded.people.get(name) for name in _names(loaded, incident, event)]
    people += [loaded.attendees.get(w) for w in named_words(event.attendees or "")]
    out: list[int] = []
    for person in people:
        if person is not None and (person.id, incident.surface) in loaded.reachable:
            out.append(person.id)
    return list(dict.fromkeys(out))  # each once, in order
