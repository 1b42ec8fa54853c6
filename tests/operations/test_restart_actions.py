"""A bot process killed with SIGKILL and started again: action reminders due while it was down
are posted once, marked late, within the grace period, and recorded as missed beyond it (the
meeting reminders' rule); none is repeated."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

from sqlalchemy import select

from bot.app import GENERAL_CHANNEL
from bot.workspace.messenger import LocalMessenger
from commands.core.clock import ManualClock
from storage.models import Action, ChannelBinding, Firing
from tests.conftest import START, Driver, make_db, seeded_engine
from tests.fakes.processes import BotProcess, set_clock, wait_until
from tests.fakes.steps import declare, ok
from tests.fakes.workspace import messages

INC = "INC-2026-001"


def test_action_reminders_after_a_restart_are_late_once_or_missed(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'bot.sqlite3'}"
    db = make_db(url)
    clock = ManualClock(START)  # Monday 23 Nov 2026, 09:30 GMT
    local = LocalMessenger(db, clock)
    general = local.ensure_channel(GENERAL_CHANNEL)
    imt = local.ensure_channel("opss-imt")
    with db.unit_of_work() as s:
        s.add(ChannelBinding(surface="local", conversation="imt", external_id=imt, name="opss-imt"))
    bot = Driver(seeded_engine(db, clock, imt_bound=False), channel=general)
    declare(bot)
    # Reminders 24 h and 2 h before: ACT-1 at Mon 12:00 and Tue 10:00; ACT-2 at Mon 11:00 and
    # Tue 09:00.
    ok(bot.cmd("ian", f"action {INC} Test batch 3 --owner fatima --due '2026-11-24 12:00'"))
    ok(bot.cmd("ian", f"action {INC} Call the importer --owner olly --due '2026-11-24 11:00'"))

    clock_file = tmp_path / "now"
    set_clock(clock_file, START + timedelta(hours=2, minutes=30, seconds=30))  # Mon 12:00:30
    env = {
        "DATABASE_URL": url,
        "OPSS_CLOCK_FILE": str(clock_file),
        "OPSS_TICK_SECONDS": "0.2",
        "OPSS_OUTBOX_PACE_SECONDS": "0",
        "OPSS_OUTBOX_POLL_SECONDS": "0.1",
    }
    first = BotProcess(env, tmp_path / "first.log")
    try:
        wait_until(lambda: messages(db, "Reminder: ACT-2026-0001"), what="ACT-1's first reminder")
    finally:
        first.kill()

    set_clock(clock_file, START + timedelta(hours=24, minutes=40))  # Tue 10:10
    second = BotProcess(env, tmp_path / "second.log")
    try:
        wait_until(
            lambda: len(messages(db, "Reminder: ACT-2026-0001")) == 2, what="ACT-1's late reminder"
        )
    finally:
        second.stop()

    assert messages(db, "Reminder: ACT-2026-0001") == [
        "Reminder: ACT-2026-0001 for Fatima Khan is due in 23 h 59 min "
        "(Tue 24 Nov 2026 12:00 GMT): Test batch 3",
        "Reminder: ACT-2026-0001 for Fatima Khan is due in 1 h 50 min "
        "(Tue 24 Nov 2026 12:00 GMT): Test batch 3 (late)",
    ]
    assert messages(db, "ACT-2026-0002") == [
        "Action ACT-2026-0002 on INC-2026-001 for Olly Reed, "
        "due Tue 24 Nov 2026 11:00 GMT: Call the importer"
    ]
    with db.read() as s:
        second_action = s.scalars(select(Action).where(Action.reference == "ACT-2026-0002")).one()
        firings = s.scalars(
            select(Firing).where(Firing.source == f"action:{second_action.id}")
        ).all()
    assert sorted((f.step, f.status) for f in firings) == [
        ("remind_120", "missed"),
        ("remind_1440", "missed"),
    ]
