"""A command's reply queued in its own unit of work (``Request.reply_to``), surface-neutral:
the record, its audit event and the caller's reply commit together; a replay queues nothing
new; a command that fails, is refused or opens a form queues nothing."""

from __future__ import annotations

from sqlalchemy import select

from commands.core.context import Request, Submission
from commands.core.engine import Engine
from storage.models import AuditEvent, Issue, OutboxMessage
from storage.unit_of_work import Database

RAISE = (
    'raise Gas hob elbow joints leaking --products "Elbow joint, batch 7" '
    '--hazard "Gas escape, fire" --source business --area "Gas and Electrical"'
)
TO = "reply:somewhere-1"


def replies(db: Database) -> list[OutboxMessage]:
    with db.read() as session:
        return list(session.scalars(select(OutboxMessage).where(OutboxMessage.op == "reply")).all())


def test_a_state_change_queues_its_reply_with_it(engine: Engine, db: Database) -> None:
    reply = engine.handle(Request("local", "olly", "general", RAISE, "olly", "k1", reply_to=TO))
    assert reply.ok and reply.queued, reply.text
    queued = replies(db)
    assert [(m.conversation, m.surface, m.status) for m in queued] == [(TO, "local", "pending")]
    assert queued[0].payload["text"] == reply.text and queued[0].payload["ok"] is True
    with db.read() as session:
        issue = session.scalars(select(Issue)).one()
        events = session.scalars(
            select(AuditEvent).where(AuditEvent.entity_ref == issue.reference)
        ).all()
    assert events, "the raise is audited"

    # The same delivery again (a retry, or a replay after a crash): nothing new is queued,
    # and the surface is told the reply is already on its way.
    again = engine.handle(Request("local", "olly", "general", RAISE, "olly", "k1", reply_to=TO))
    assert again.queued and "already done" in again.text
    assert len(replies(db)) == 1
    with db.read() as session:
        assert len(session.scalars(select(Issue)).all()) == 1


def test_a_button_carries_its_reply_to(engine: Engine, db: Database) -> None:
    engine.handle(Request("local", "olly", "general", RAISE, "olly", "k1"))
    with db.read() as session:
        ref = session.scalars(select(Issue)).one().reference
    close = {"command": f'close {ref} nfa --reason "no risk"'}
    reply = engine.submit(Submission("local", "ian", "general", close, "ian", "b1", TO))
    assert reply.queued, reply.text
    assert [m.payload["text"] for m in replies(db)] == [reply.text]


def test_failures_refusals_and_forms_queue_nothing(engine: Engine, db: Database) -> None:
    bad = engine.handle(Request("local", "olly", "general", "raise", "olly", "k2", reply_to=TO))
    assert not bad.queued  # a form to fill in: opened by the surface, not a state change
    wrong = engine.handle(Request("local", "olly", "general", "frobnicate", "olly", reply_to=TO))
    assert not wrong.ok and not wrong.queued
    refused = engine.handle(
        Request("local", "nobody", "general", "role grant olly admin", "nobody", reply_to=TO)
    )
    assert not refused.ok and not refused.queued
    assert replies(db) == []
