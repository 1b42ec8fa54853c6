"""``next_due`` (the words the demo shows) and ``next_due_at`` (when the scheduler wakes) look
at the same due sources: every source of the tick, each row described by its own source."""

from __future__ import annotations

from sqlalchemy import update

from commands.core.clock import ManualClock
from commands.core.due import SOURCES, next_due, next_due_at
from rules.timeparse import show
from storage.models import RhythmEvent, SitrepSchedule
from storage.unit_of_work import Database
from tests.conftest import Driver
from tests.fakes.steps import declare, ok, raise_issue


def both(db: Database, clock: ManualClock) -> tuple[str | None, str | None]:
    with db.read() as session:
        at = next_due_at(session)
    return next_due(db, clock), (show(at) if at is not None else None)


def test_nothing_scheduled_is_none_for_both(db: Database, clock: ManualClock) -> None:
    assert both(db, clock) == (None, None)


def test_a_notification_clock_is_named_when_it_is_all_that_is_due(
    bot: Driver, db: Database, clock: ManualClock
) -> None:
    ref = raise_issue(bot)
    notification = ok(bot.cmd("fatima", f"notify {ref} reg33_4 --trigger 2026-11-23")).text.split()[
        0
    ]
    words, at = both(db, clock)
    assert at is not None
    assert words == f"the reminder of {notification} at {at}"


def test_an_action_chase_is_named_when_it_is_all_that_is_due(
    bot: Driver, db: Database, clock: ManualClock
) -> None:
    declare(bot)
    with db.unit_of_work() as session:  # no meetings and no sitreps: only the action is due
        session.execute(update(RhythmEvent).values(active=False))
        session.execute(update(SitrepSchedule).values(active=False))
    assert both(db, clock) == (None, None)
    ok(bot.cmd("ian", "action INC-2026-001 Collect samples --owner olly --due 2026-11-30"))
    words, at = both(db, clock)
    assert at is not None
    assert words == f"the reminder of ACT-2026-0001 at {at}"


def test_the_tick_and_the_words_share_one_list_of_sources() -> None:
    names = [source.name for source in SOURCES]
    assert names == [
        "meeting reminders",
        "sitrep prompts, chases and cut-offs",
        "action reminders",
        "notification reminders, escalations and section 6 chases",
        "exercise injects",
        "case conference reminders",
        "the weekly management-information summary",
    ]


def test_with_every_source_due_the_words_name_the_earliest_time(
    bot: Driver, db: Database, clock: ManualClock
) -> None:
    declare(bot)
    ok(bot.cmd("ian", "action INC-2026-001 Collect samples --owner olly --due 2026-11-30"))
    ok(bot.cmd("fatima", "notify INC-2026-001 reg33_4 --trigger 2026-11-23"))
    words, at = both(db, clock)
    assert words is not None and at is not None
    assert words.endswith(f" at {at}")
