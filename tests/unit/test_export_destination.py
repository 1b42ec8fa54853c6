"""Records are made only by those who may read the incident, and posted only where they may
be read (issue 20, item 4): in the incident's own channel, or, once that is archived, to the
person who asked alone, never to the wider channel the command was typed in."""

from __future__ import annotations

from dataclasses import replace

from sqlalchemy import select

from commands.core.engine import Engine
from commands.records import downloads
from storage.models import AuditEvent, OutboxMessage, Person
from storage.unit_of_work import Database
from tests.conftest import Driver
from tests.fakes.stand_down import de_escalate, open_actions
from tests.fakes.steps import INC, declare, ok

CLOSE = f'close {INC} --reason "Back to normal" --review "2026-12-15 10:00"'


def uploads(db: Database) -> list[tuple[str, str]]:
    """(conversation, filename) of every file queued to be posted."""
    with db.read() as s:
        rows = s.execute(
            select(OutboxMessage.conversation, OutboxMessage.payload).where(
                OutboxMessage.op == "upload"
            )
        ).tuples()
        return [(c, str(p["filename"])) for c, p in rows]


def closed_with_olly_invited(bot: Driver, db: Database) -> None:
    declare(bot, "--level strategic --exercise --tcg-chair fatima")
    ok(bot.cmd("hana", f"members {INC} add olly"))
    de_escalate(bot, to="normal")
    for ref in open_actions(db):
        ok(bot.cmd("fatima", f"done {ref}"))
    ok(bot.cmd("hana", CLOSE))


def test_an_open_incidents_records_are_posted_in_its_channel_alone(
    bot: Driver, db: Database
) -> None:
    declare(bot, "--level strategic --exercise --tcg-chair fatima")
    ok(bot.cmd("hana", f"members {INC} add olly"))
    # Typed in the public channel: the files go to the incident's channel, not here.
    reply = ok(bot.cmd("olly", f"export {INC} decisions"))
    assert "3 files from INC-2026-001" in reply.text
    assert "posted in the incident's channel" in reply.text
    assert reply.card is None  # nothing for the channel the command was typed in
    assert {c for c, _ in uploads(db)} == {f"incident:{INC}"}
    assert len(uploads(db)) == 3


def test_a_closed_incidents_records_go_to_the_requester_alone(
    bot: Driver, db: Database, engine: Engine
) -> None:
    closed_with_olly_invited(bot, db)
    with db.read() as s:
        before = s.scalar(select(OutboxMessage.id).order_by(OutboxMessage.id.desc()).limit(1))
    # Olly, invited to the incident, exports in the public channel after it closed.
    reply = ok(bot.cmd("olly", f"export {INC} decisions"))
    assert "3 files from INC-2026-001" in reply.text
    assert "for you alone, below" in reply.text
    with db.read() as s:
        queued = s.execute(
            select(OutboxMessage.conversation, OutboxMessage.op).where(
                OutboxMessage.id > (before or 0)
            )
        ).all()
    # Nothing is posted anywhere: not in the public channel, not in IMT's, no file at all.
    assert queued == []
    assert uploads(db) == []
    assert reply.card is not None and reply.card.exercise
    assert "for you alone" in reply.card.subtitle
    titles = [t for t, _ in reply.card.links]
    assert titles == [
        "Download EXERCISE-INC-2026-001-decision-log.csv",
        "Download EXERCISE-INC-2026-001-decision-log.pdf",
        "Download EXERCISE-INC-2026-001-decision-log.docx",
    ]
    # Each link is Olly's alone: spent by him, it serves the file, read as Olly.
    token = reply.card.links[0][1].split(downloads.PATH)[1]
    grant = downloads.redeem(db, token, engine.clock.now(), requester=None, session_required=False)
    assert grant.person_name == "olly"
    served = engine.read_document("local", grant.person_name, int(grant.subject))
    assert served is not None and served[0] == "EXERCISE-INC-2026-001-decision-log.csv"
    with db.read() as s:
        audit = s.scalar(
            select(AuditEvent.after)
            .where(AuditEvent.action == "records.exported")
            .order_by(AuditEvent.id.desc())
            .limit(1)
        )
    assert audit is not None and audit["to"] == "requester"


def test_who_may_not_read_the_incident_makes_no_record(bot: Driver, db: Database) -> None:
    declare(bot, "--level strategic --exercise --tcg-chair fatima")
    refused = bot.cmd("olly", f"export {INC} decisions")
    assert not refused.ok
    assert f"may see {INC}" in refused.text and "its command team" in refused.text
    assert uploads(db) == []
    with db.read() as s:
        audited = s.scalars(
            select(AuditEvent.entity_ref).where(AuditEvent.action == "permission.refused")
        ).all()
    assert INC in audited


def test_where_the_surface_writes_to_people_a_closed_incidents_records_go_there(
    engine: Engine, db: Database
) -> None:
    """On Slack and Teams the person who asked is written to directly (their DM, their
    personal chat): the files go to their own queue, ``person:<id>``, and nowhere else."""
    bot = Driver(engine)
    closed_with_olly_invited(bot, db)
    # As on Slack or Teams: this surface's messenger writes to a person directly.
    engine.options = replace(engine.options, direct_messages=frozenset({"local"}))
    reply = ok(bot.cmd("olly", f"export {INC} decisions"))
    assert "sent to you alone, in your own chat with the bot" in reply.text
    assert reply.card is None  # no links: the files themselves are sent
    with db.read() as s:
        olly = s.scalar(select(Person.id).where(Person.name == "olly"))
    assert {c for c, _ in uploads(db)} == {f"person:{olly}"}
    assert len(uploads(db)) == 3
