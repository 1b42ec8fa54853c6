"""Case conferences get dates that make sense and a lifecycle: called, held or cancelled."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select

from cards.model import card_from_dict
from commands.core.clock import ManualClock
from storage.models import CaseConference, OutboxMessage
from storage.unit_of_work import Database
from tests.conftest import Driver, row_counts
from tests.fakes.steps import assess, declare, ok, to_stage


def conference_status(db: Database, ref: str = "CC-2026-0001") -> str:
    with db.read() as s:
        return s.scalar(select(CaseConference.status).where(CaseConference.reference == ref)) or ""


def call(bot: Driver, ref: str, when: str) -> object:
    return bot.cmd("hana", f'conference {ref} --when "{when}" --scs sara --background "Leaks"')


def test_a_date_in_the_past_is_refused(bot: Driver, db: Database) -> None:
    ref = to_stage(bot, "cam_ep")
    assess(bot, ref)
    before = row_counts(db)
    reply = call(bot, ref, "2020-06-01 10:00")
    assert not reply.ok
    assert "Mon 1 Jun 2020 10:00 BST: that time has passed" in reply.text
    assert "(it is Mon 23 Nov 2026 09:30 GMT)" in reply.text
    assert row_counts(db) == before


def test_a_date_with_no_time_asks_for_the_time(bot: Driver, db: Database) -> None:
    ref = to_stage(bot, "cam_ep")
    assess(bot, ref)
    before = row_counts(db)
    reply = ok(call(bot, ref, "2026-11-25"))
    assert reply.form is not None
    assert reply.form.field("date").value == "2026-11-25"
    assert reply.form.field("time").value is None  # asked for, not midnight
    assert row_counts(db) == before
    submitted = bot.submit(
        "hana",
        {
            "form": "conference",
            "reference": ref,
            "date": "2026-11-25",
            "time": "",
            "consulted_scs": "sara",
            "agenda_background": "Leaks",
        },
    )
    assert not submitted.ok and "time" in submitted.errors


def test_outcome_only_after_the_meeting_and_the_card_follows(
    bot: Driver, db: Database, clock: ManualClock
) -> None:
    ref = to_stage(bot, "cam_ep")
    assess(bot, ref)
    ok(call(bot, ref, "2026-11-24 10:00"))
    outcome = (
        "outcome CC-2026-0001 --outcome declare_incident --rationale "
        '"National spread" --chair "David Osei"'
    )
    early = bot.cmd("ian", outcome)
    assert not early.ok
    assert "CC-2026-0001 (called for Tue 24 Nov 2026 10:00 GMT) has not met yet" in early.text
    assert conference_status(db) == "called"

    clock.advance(timedelta(days=1, hours=1))
    ok(bot.cmd("ian", outcome))
    assert conference_status(db) == "held"
    again = bot.cmd("ian", outcome)
    assert not again.ok and "already has its outcome recorded" in again.text
    with db.read() as s:
        edits = s.scalars(
            select(OutboxMessage.payload).where(
                OutboxMessage.anchor == "conference:CC-2026-0001", OutboxMessage.op == "update"
            )
        ).all()
    card = card_from_dict(edits[-1]["card"])
    assert dict(card.facts)["Status"] == "Held"
    assert dict(card.facts)["Outcome"] == "Declare an incident"


def test_a_called_conference_can_be_cancelled_and_another_called(bot: Driver, db: Database) -> None:
    ref = to_stage(bot, "cam_ep")
    assess(bot, ref)
    ok(call(bot, ref, "2026-11-24 10:00"))
    assert not bot.cmd("olly", "cancel CC-2026-0001 --reason x").ok
    assert "Reason" in bot.cmd("hana", "cancel CC-2026-0001").text
    cancelled = ok(bot.cmd("hana", 'cancel CC-2026-0001 --reason "The SCS is unavailable"'))
    assert cancelled.card is not None
    assert dict(cancelled.card.facts)["Status"] == "Cancelled"
    assert conference_status(db) == "cancelled"
    outcome = bot.cmd(
        "ian", "outcome CC-2026-0001 --outcome declare_incident --rationale r --chair c"
    )
    assert not outcome.ok and "was cancelled" in outcome.text
    assert "already cancelled" in bot.cmd("hana", "cancel CC-2026-0001 --reason y").text
    ok(call(bot, ref, "2026-11-25 10:00"))
    assert conference_status(db, "CC-2026-0002") == "called"


def test_the_incidents_decision_log_includes_the_conferences_decisions(
    bot: Driver, db: Database
) -> None:
    declare(bot)
    status = ok(bot.cmd("ian", "status INC-2026-001"))
    assert status.card is not None
    assert dict(status.card.facts)["Decisions logged"] == "2"
    with db.read() as s:
        log = s.scalars(
            select(OutboxMessage.payload)
            .where(OutboxMessage.anchor == "decisions:INC-2026-001", OutboxMessage.op == "post")
            .order_by(OutboxMessage.id)
        ).all()
    text = dict(card_from_dict(log[-1]["card"]).sections)["Decisions"].plain
    assert "Declare an incident (rationale: r)" in text
    assert "Declare incident INC-2026-001" in text
