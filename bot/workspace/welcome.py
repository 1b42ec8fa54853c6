"""The local workspace's first page: who the demo people are and what to type first."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from cards import text as t
from cards.model import Action, Card
from storage import repositories as repo
from storage.models import Person


def welcome_card(session: Session, user: str, *, pick: bool = True) -> Card:
    """``pick``: the loopback demo mode, where a person picks who they are (and may run the
    demo); otherwise people have signed in as themselves."""
    if not pick:
        person = repo.person_by_name(session, user)
        me = repo.actor_for(session, person).describe() if person else "no roles"
        return Card(
            title="Welcome to the OPSS incident bot",
            subtitle="OPSS's Incident Management Plan, from a raised issue to an incident",
            sections=(
                ("Who you are", t.Text((t.para("You are ", t.bold(user), f" ({me})."),))),
                (
                    "Try first",
                    t.Text(
                        (
                            t.bullet(t.code("/opss raise <title>"), " · report a potential issue"),
                            t.bullet(t.code("/opss list"), " · open issues and incidents"),
                            t.bullet(t.code("/opss help"), " · every command"),
                        )
                    ),
                ),
            ),
            actions=(Action("Show the commands", "/opss help"),),
        )
    people = [p for p in session.scalars(select(Person).order_by(Person.id)) if ":" not in p.name]
    roles = {p.name: repo.actor_for(session, p).describe() for p in people}
    me = roles.get(user, "no roles")
    who = [t.para("You are ", t.bold(user), f" ({me}). Pick who you are at the top right:")]
    who += [
        t.bullet(t.bold(p.name), f" · {p.display_name.split(' (')[0]} · {roles[p.name]}")
        for p in people
    ]
    first = (
        t.bullet(
            t.code("/opss demo"),
            " · the demo people raise an issue, walk it up the ladder with the real commands "
            "and declare an EXERCISE incident. Then pick hana, open its channel and press Next "
            "event (moving the clock is for administrators).",
        ),
        t.bullet(
            t.code("/opss raise Gas hob elbow joints leaking"),
            " · as olly: report an issue yourself (a form asks for the rest). The README's "
            "tour goes on from there.",
        ),
        t.bullet(t.code("/opss help"), " · every command"),
    )
    return Card(
        title="Welcome to the OPSS incident bot",
        subtitle="A local workspace to try OPSS's Incident Management Plan: no accounts needed",
        sections=(("Who you can be", t.Text(tuple(who))), ("Try first", t.Text(first))),
        actions=(Action("Run the demo", "/opss demo"), Action("Show the commands", "/opss help")),
    )
