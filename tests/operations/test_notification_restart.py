"""A notification's reminder falls due while the bot is down: the restarted bot posts it once,
marked late (a statutory reminder is never dropped as missed), and records the firing once."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

from sqlalchemy import select

from bot.app import GENERAL_CHANNEL
from bot.workspace.messenger import LocalMessenger
from commands.core.clock import ManualClock
from storage.models import ChannelBinding, Firing
from tests.conftest import START, Driver, make_db, seeded_engine
from tests.fakes.processes import BotProcess, set_clock, wait_until
from tests.fakes.steps import ok, raise_issue
from tests.fakes.workspace import messages

NOT = "NOT-2026-0001"


def test_a_reminder_due_while_down_is_posted_once(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'bot.sqlite3'}"
    db = make_db(url)
    clock = ManualClock(START)  # Mon 23 Nov 2026 09:30 GMT
    local = LocalMessenger(db, clock)
    general = local.ensure_channel(GENERAL_CHANNEL)
    imt = local.ensure_channel("opss-imt")
    with db.unit_of_work() as s:
        s.add(ChannelBinding(surface="local", conversation="imt", external_id=imt, name="opss-imt"))
    bot = Driver(seeded_engine(db, clock, imt_bound=False), channel=general)
    ref = raise_issue(bot)
    ok(bot.cmd("fatima", f"notify {ref} reg33_4 --trigger 2026-11-23"))  # reminder 1 Dec 09:00

    clock_file = tmp_path / "now"
    set_clock(clock_file, START + timedelta(minutes=5))
    env = {
        "DATABASE_URL": url,
        "OPSS_CLOCK_FILE": str(clock_file),
        "OPSS_TICK_SECONDS": "0.2",
        "OPSS_OUTBOX_PACE_SECONDS": "0",
        "OPSS_OUTBOX_POLL_SECONDS": "0.1",
    }
    first = BotProcess(env, tmp_path / "first.log")
    try:
        wait_until(lambda: messages(db, f"{NOT} recorded"), what="the notification's post")
    finally:
        first.kill()
    assert messages(db, f"Reminder: {NOT}") == []

    # Down from Monday until Tuesday 1 Dec 12:00, three hours after the reminder was due.
    set_clock(clock_file, datetime(2026, 12, 1, 12, 0, tzinfo=UTC))
    second = BotProcess(env, tmp_path / "second.log")
    try:
        wait_until(lambda: messages(db, f"Reminder: {NOT}"), what="the late reminder")
    finally:
        second.stop()

    assert messages(db, f"Reminder: {NOT}") == [
        f"Reminder: {NOT} (Reg 33(4) RAPEX notification (serious risk) on {ref}) is due "
        "Thu 3 Dec 2026, in 2 days. Owner: Fatima Khan. (late)"
    ]
    with db.read() as s:
        firings = s.scalars(select(Firing).where(Firing.source.like("notification:%"))).all()
    assert [(f.step, f.status) for f in firings] == [("reminder", "late")]
