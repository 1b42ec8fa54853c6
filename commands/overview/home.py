"""A person's overview (App Home): their open actions, the issues waiting on them and the
open incidents. Each list shows its first items, how many there are, and a button that opens
the whole list (``/opss list``), so the overview costs the same whatever the history."""

from __future__ import annotations

from cards import text as t
from cards.model import Action, Card
from commands.core.args import Args
from commands.core.context import Ctx, Reply
from commands.incident.command_and_control import my_incident_roles_card
from commands.notification.sending import register_card
from commands.overview.listing import (
    Listing,
    Window,
    action_item,
    actions_query,
    glance,
    incident_item,
    incidents_query,
    issue_item,
    issues_query,
    waiting_steps,
)

SHOWN = 10  # ten facts make one Slack section; three lists stay well inside 100 blocks
# One card's buttons: Teams shows six, and the lists' "All …" buttons come first.
BUTTONS = 6


def _see_all(title: str, window: Window, command: str) -> tuple[Action, ...]:
    return (Action(f"All {window.describe()} {title}", command),) if window.total > SHOWN else ()


def home_cards(ctx: Ctx) -> list[Card]:
    mine = glance(ctx.session, actions_query(ctx, Listing(kind="actions")), SHOWN)
    waiting = glance(ctx.session, issues_query(ctx, Listing(waiting=True)), SHOWN)
    incidents = glance(ctx.session, incidents_query(ctx, Listing(kind="incidents")), SHOWN)
    steps = waiting_steps(ctx, waiting.rows)
    mine_in_incidents = my_incident_roles_card(ctx)
    return [
        *((mine_in_incidents,) if mine_in_incidents else ()),
        Card(
            title="Your open actions",
            subtitle=f"{mine.describe()} open" if mine.total else "",
            facts=tuple(action_item(a, ctx) for a in mine.rows)
            or (("", "No action is assigned to you."),),
            actions=tuple(
                Action(f"Done {a.reference}", f"/opss done {a.reference}") for a in mine.rows[:5]
            )
            + _see_all("your actions", mine, "/opss list --actions"),
        ),
        Card(
            title="Waiting on you",
            subtitle=f"{ctx.person.display_name}: {ctx.actor.describe()}"
            + (f" · {waiting.describe()} issues" if waiting.total else ""),
            facts=tuple(issue_item(i, steps.get(i.id)) for i in waiting.rows)
            or (("", "No issue is waiting on you."),),
            actions=tuple(
                Action(i.reference, f"/opss status {i.reference}") for i in waiting.rows[:5]
            )
            + _see_all("waiting on you", waiting, "/opss list --waiting"),
        ),
        Card(
            title="Open incidents",
            subtitle=f"{incidents.describe()} open" if incidents.total else "",
            facts=tuple(incident_item(i) for i in incidents.rows)
            or (("", "No incident is open."),),
            actions=_see_all("open incidents", incidents, "/opss list --incidents"),
        ),
        register_card(ctx, shown=SHOWN),
    ]


def home_card(ctx: Ctx) -> Card:
    """The overview as one card (``/opss home``, where a surface has no App Home, as in
    Teams): each of App Home's cards a section of its facts, the buttons that open a whole
    list first, then the first items' own."""
    cards = home_cards(ctx)
    who = f"{ctx.person.display_name}: {ctx.actor.describe()}"
    sections: list[tuple[str, str | t.Text]] = []
    for card in cards:
        subtitle = card.subtitle.removeprefix(who).lstrip(" ·")  # said once, under the title
        heading = f"{card.title} · {subtitle}" if subtitle else card.title
        # A fact with no label (an empty list's sentence) is its sentence alone.
        lines = tuple(
            t.bullet(t.bold(f"{label}: "), value) if label else t.bullet(value)
            for label, value in card.facts
        )
        sections.append((heading, t.Text(lines)))
        sections.extend(card.sections)
    actions = [a for c in cards for a in c.actions]
    whole = [a for a in actions if a.title.startswith("All ")]
    first = [a for a in actions if not a.title.startswith("All ")]
    return Card(
        title="Your OPSS overview",
        subtitle=who,
        sections=tuple(sections),
        actions=tuple((whole + first)[:BUTTONS]),
    )


def home_verb(ctx: Ctx, args: Args) -> Reply:
    return Reply(card=home_card(ctx))
