"""A person's overview: the issues waiting on them and the open incidents (App Home)."""

from __future__ import annotations

from sqlalchemy import select

from cards.model import Action, Card
from commands import access
from commands.actions import open_actions_for, overdue
from commands.context import Ctx
from rules.lifecycle import OPEN_STAGES, STAGE_LABELS, Stage
from rules.timeparse import show
from rules.waiting import next_step
from storage import repositories as repo
from storage.models import Issue

SHOWN = 20


def home_cards(ctx: Ctx) -> list[Card]:
    waiting: list[tuple[str, str]] = []
    actions: list[Action] = []
    issues = ctx.session.scalars(
        select(Issue)
        .where(Issue.stage.in_([s.value for s in OPEN_STAGES | {Stage.MONITORING}]))
        .order_by(Issue.id)
    ).all()
    for issue in issues:
        conference = repo.latest_conference(ctx.session, issue.id)
        step = next_step(
            ctx.actor,
            Stage(issue.stage),
            issue.functional_area,
            conference_concluded=bool(conference and conference.status == "concluded"),
            declare_decided=bool(conference and "declare_incident" in (conference.outcomes or [])),
        )
        if step is None:
            continue
        waiting.append(
            (f"{issue.reference} · {STAGE_LABELS[Stage(issue.stage)]}", f"{issue.title}: {step}")
        )
        if len(actions) < 5:
            actions.append(Action(issue.reference, f"/opss status {issue.reference}"))
    incidents = access.open_incidents(ctx)  # private: only those the caller may see
    open_incidents = tuple(
        (
            f"{'EXERCISE · ' if i.exercise else ''}{i.reference}",
            f"{i.title} · #{i.channel_name}",
        )
        for i in incidents[:SHOWN]
    )
    mine = open_actions_for(ctx.session, ctx.person)
    action_facts = tuple(
        (
            f"{a.reference}{' · OVERDUE' if overdue(a, ctx.now) else ''}",
            f"{a.what} (due {show(a.due_at)})",
        )
        for a in mine[:SHOWN]
    )
    return [
        Card(
            title="Your open actions",
            facts=action_facts or (("None", "No action is assigned to you."),),
            actions=tuple(
                Action(f"Done {a.reference}", f"/opss done {a.reference}") for a in mine[:5]
            ),
        ),
        Card(
            title="Waiting on you",
            subtitle=f"{ctx.person.display_name}: {ctx.actor.describe()}",
            facts=tuple(waiting[:SHOWN]) or (("Nothing", "No issue is waiting on you."),),
            actions=tuple(actions),
        ),
        Card(
            title="Open incidents",
            facts=open_incidents or (("None", "No incident is open."),),
        ),
    ]
