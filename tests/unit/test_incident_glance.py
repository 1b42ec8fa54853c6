"""An incident's actions at a glance (issue 20, item 7): everyone's actions of an incident for
whoever may read it, by owner and due date; and its pinned card counting the open and overdue
actions and naming the latest sitrep, edited in place as they change."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select

from cards.model import Card, card_from_dict
from commands.core.clock import ManualClock
from commands.core.due import tick
from storage.models import AuditEvent, OutboxMessage
from storage.unit_of_work import Database
from tests.conftest import Driver
from tests.fakes.steps import INC, declare, ok, publish_sitrep


def pinned(db: Database) -> list[Card]:
    """The pinned incident card as posted, then each edit queued for the platform."""
    with db.read() as s:
        payloads = s.scalars(
            select(OutboxMessage.payload)
            .where(OutboxMessage.anchor == f"incident:{INC}")
            .order_by(OutboxMessage.id)
        ).all()
    return [card_from_dict(p["card"]) for p in payloads]


def glance(db: Database) -> dict[str, str]:
    facts = dict(pinned(db)[-1].facts)
    return {k: v for k, v in facts.items() if k in {"Actions", "Latest sitrep"}}


def assign(bot: Driver, what: str, owner: str, due: str) -> str:
    reply = ok(bot.cmd("hana", f"action {INC} {what} --owner {owner} --due {due}"))
    return reply.text.split()[1]


def test_an_incidents_people_list_all_its_actions_by_owner_then_due(bot: Driver) -> None:
    declare(bot)
    late = assign(bot, "Call the importer", "ian", "2026-12-09")
    soon = assign(bot, "Brief the press office", "ian", "2026-11-30")
    fatimas = assign(bot, "Test the joints", "fatima", "2026-12-20")
    ok(bot.cmd("ian", f"started {soon}"))

    # The IMT lead's own list is empty: the incident's holds every action.
    assert "none" in ok(bot.cmd("hana", "list --actions")).text
    reply = ok(bot.cmd("hana", f"list --actions {INC}"))
    assert reply.card is not None
    assert reply.card.title == f"Open actions of {INC}"
    assert reply.card.subtitle == "1-3 of 3, by owner, soonest due first"
    assert [k for k, _ in reply.card.facts] == [fatimas, soon, late]  # Fatima, then Ian's
    items = dict(reply.card.facts)
    assert (
        items[soon]
        == "Ian Brooks · Started · Brief the press office (due Mon 30 Nov 2026 17:00 GMT)"
    )
    assert items[fatimas].startswith("Fatima ") and "· Open · Test the joints" in items[fatimas]

    mine = ok(bot.cmd("ian", f"list --actions {INC} --mine"))
    assert mine.card is not None
    assert [k for k, _ in mine.card.facts] == [soon, late]
    ok(bot.cmd("fatima", f"done {fatimas}"))
    done = ok(bot.cmd("hana", f"list --actions {INC} --closed"))
    assert done.card is not None and [k for k, _ in done.card.facts] == [fatimas]
    assert done.card.title == f"Completed actions of {INC}"


def test_only_those_who_may_read_the_incident_list_its_actions(bot: Driver, db: Database) -> None:
    declare(bot)
    assign(bot, "Call the importer", "ian", "2026-12-09")
    refused = bot.cmd("olly", f"list --actions {INC}")
    assert not refused.ok
    assert f"see {INC}" in refused.text and "Call the importer" not in refused.text
    with db.read() as s:
        assert (
            s.scalar(select(AuditEvent.id).where(AuditEvent.action == "permission.refused"))
            is not None
        )
    ok(bot.cmd("hana", f"members {INC} add olly"))
    listed = ok(bot.cmd("olly", f"list --actions {INC}"))
    assert listed.card is not None and len(listed.card.facts) == 1

    issue = bot.cmd("hana", "list --actions ISS-2026-0001")
    assert not issue.ok and "takes an incident's reference" in issue.text
    words = bot.cmd("hana", f"list {INC}")
    assert not words.ok and "after --actions" in words.text


def test_the_pinned_card_counts_open_and_overdue_actions_and_names_the_latest_sitrep(
    bot: Driver, db: Database, clock: ManualClock
) -> None:
    declare(bot)
    assert glance(db) == {"Actions": "none open"}
    first = assign(bot, "Call the importer", "ian", "2026-11-24")  # 17:00 tomorrow
    assert glance(db) == {"Actions": "1 open"}
    second = assign(bot, "Test the joints", "fatima", "2026-12-20")
    assert glance(db) == {"Actions": "2 open"}

    # The chase flags the first overdue at its due time, and the card says so.
    clock.advance(timedelta(days=1, hours=8))  # Tue 24 Nov 17:30 London
    tick(db, clock, bot.engine.options)
    assert glance(db) == {"Actions": "2 open, 1 overdue"}

    publish_sitrep(bot, db, clock)
    assert glance(db) == {
        "Actions": "2 open, 1 overdue",
        "Latest sitrep": "SITREP 1, published Wed 25 Nov 2026 00:01 GMT",
    }
    ok(bot.cmd("ian", f"done {first}"))
    assert glance(db)["Actions"] == "1 open"
    ok(bot.cmd("fatima", f"done {second}"))
    assert glance(db)["Actions"] == "none open"
