"""What a meeting reminder says about the group that meets (plan 3.4-3.16, 3.21): its chair and
members (who are also written to directly where the platform allows), its open actions, and,
for a TCG, the SCG's current strategy that it delivers (3.8-3.9).
"""

from __future__ import annotations

from dataclasses import replace

from sqlalchemy import select
from sqlalchemy.orm import Session

from cards.model import Card
from commands.context import Ctx
from commands.incident.action_chasing import accounts_of
from commands.incident.command_and_control import active_groups
from commands.incident.strategy import current
from storage.models import Action, Incident, Person, RhythmEvent

SHOWN = 10


def group_open_actions(session: Session, incident_id: int, group: str) -> list[Action]:
    """The group's open actions; those set for no group are reviewed by the TCG (3.9-3.10)."""
    groups = [group, ""] if group == "tcg" else [group]
    return list(
        session.scalars(
            select(Action)
            .where(
                Action.incident_id == incident_id,
                Action.status != "done",
                Action.group.in_(groups),
            )
            .order_by(Action.due_at)
            .limit(SHOWN)
        )
    )


def meeting_reminder(
    ctx: Ctx, incident: Incident, event: RhythmEvent, text: str, card: Card
) -> Card:
    names: list[str] = []
    for group in active_groups(ctx.session, incident.id):
        if group.kind != event.group:
            continue
        for name in ([group.chair.name] if group.chair else []) + list(group.members or []):
            if name not in names:
                names.append(name)
    people = (
        list(ctx.session.scalars(select(Person).where(Person.name.in_(names)))) if names else []
    )
    facts = list(card.facts)
    if people and not event.attendees:
        by_name = {p.name: p.display_name for p in people}
        facts.append(("Members", ", ".join(by_name.get(n, n) for n in names)))
    sections = list(card.sections)
    if event.group == "tcg":
        strategy = current(ctx.session, incident.id)
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
    card = replace(card, facts=tuple(facts), sections=tuple(sections))
    accounts = accounts_of(ctx.session, [p.id for p in people])
    direct = f"EXERCISE · {text}" if incident.exercise else text  # as in the channel
    for person in people:
        account = accounts.get((person.id, incident.surface))
        if account:
            ctx.post(f"channel:{account}", direct, card)
    return card
