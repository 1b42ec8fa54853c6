"""Who can be picked, and who a platform account is: one rule in the core for every surface.

A person field offers ``people.pickable`` (everyone but the bot's own system account, at most
``PICKER_LIMIT``), whichever surface asks: the engine puts those choices on the form, the
workspace and Teams render exactly them. (Slack shows its own user picker, whose ids the
engine turns into people inside the command's unit of work: tests/test_slack.py.)
"""

from __future__ import annotations

from typing import Any

from bot.teams.surface import form_card
from cards.adaptive import render_form
from commands.core import people
from commands.core.clock import ManualClock
from commands.core.context import Request
from commands.core.engine import Engine
from storage import repositories as repo
from storage.models import Identity, Person
from storage.unit_of_work import Database
from tests.conftest import Driver
from tests.fakes.steps import declare, ok

INC = "INC-2026-001"
NAMES = ("hana", "ian", "fatima", "david", "sara", "olly")


def _owner_choices(card: dict[str, Any]) -> list[str]:
    (owner,) = [e for e in card["body"] if e.get("id") == "owner"]
    return [c["value"] for c in owner["choices"]]


def test_the_picker_offers_the_same_people_on_every_surface(
    engine: Engine, db: Database, clock: ManualClock
) -> None:
    bot = Driver(engine)
    declare(bot)
    with db.unit_of_work() as s:
        repo.system_person(s, clock.now())  # the bot's own account: never offered
        for name in NAMES:
            person = s.query(Person).filter_by(name=name).one()
            for surface in ("slack", "teams"):
                s.add(
                    Identity(person_id=person.id, surface=surface, external_id=f"{surface}-{name}")
                )
    # Someone who first used the bot in Teams is a person like any other, on every surface.
    newcomer = engine.handle(Request("teams", "29:newcomer", "general", "help", "Nina New"))
    assert newcomer.ok
    forms = {}
    for surface in ("local", "slack", "teams"):
        ids = {n: (n if surface == "local" else f"{surface}-{n}") for n in NAMES}
        reply = ok(Driver(engine, surface=surface, ids=ids).cmd("ian", f"action {INC} Samples"))
        assert reply.form is not None
        forms[surface] = reply.form
    with db.read() as s:
        expected = [p.name for p in people.pickable(s)]
    assert repo.SYSTEM_NAME not in expected and "teams:29:newcomer" in expected
    assert set(NAMES) <= set(expected)
    for surface, form in forms.items():
        (owner,) = [f for f in form.fields if f.name == "owner"]
        assert [c.value for c in owner.choices] == expected, surface
    # What each surface sends: the workspace's card and Teams' card offer exactly those.
    assert _owner_choices(render_form(forms["local"])) == expected
    assert _owner_choices(form_card(forms["teams"], "19:general")) == expected


def test_a_platform_account_and_its_alias_are_one_person(engine: Engine, db: Database) -> None:
    """A seed lists someone by one id (Teams: the Azure AD object id); activities carry the
    other (``29:…``). The command's unit of work links the two: the person is the same."""
    with db.unit_of_work() as s:
        olly = s.query(Person).filter_by(name="olly").one()
        s.add(Identity(person_id=olly.id, surface="teams", external_id="aad-olly"))
    reply = engine.handle(
        Request("teams", "29:olly", "general", "help", "Olly", aliases=("aad-olly",))
    )
    assert reply.ok
    with db.read() as s:
        linked = {i.external_id: i.person_id for i in s.query(Identity).filter_by(surface="teams")}
        assert linked == {"aad-olly": olly.id, "29:olly": olly.id}
        assert s.query(Person).filter(Person.name.like("teams:%")).count() == 0
