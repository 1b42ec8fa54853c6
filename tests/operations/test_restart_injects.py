"""A bot process killed with SIGKILL as an exercise inject falls due, and started again: each
inject is posted into the EXERCISE incident's channel once. The first is killed the moment its
firing is recorded (its post may or may not have left yet: the outbox delivers it after the
restart if not); the second fell due while the bot was down and is posted once, said late;
the third, due after the restart, shows the scheduler ran on without repeating either."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path

from sqlalchemy import select

from bot.app import GENERAL_CHANNEL
from bot.workspace.messenger import LocalMessenger
from commands.core.clock import ManualClock
from storage.models import ChannelBinding, ExerciseInject, Firing, LocalMessage
from tests.conftest import START, Driver, make_db, seeded_engine
from tests.fakes.processes import BotProcess, set_clock, wait_until
from tests.fakes.steps import declare, ok
from tests.fakes.workspace import messages

INC = "INC-2026-001"
EXR = "EXR-2026-001"


def _fired(db, number: int) -> bool:  # type: ignore[no-untyped-def]
    with db.read() as s:
        inject = s.scalars(select(ExerciseInject).where(ExerciseInject.number == number)).one()
        return s.scalar(select(Firing).where(Firing.source == f"inject:{inject.id}")) is not None


def test_each_inject_is_posted_once_across_a_sigkill_and_restart(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'bot.sqlite3'}"
    db = make_db(url)
    clock = ManualClock(START)  # Monday 23 Nov 2026, 09:30 GMT
    local = LocalMessenger(db, clock)
    general = local.ensure_channel(GENERAL_CHANNEL)
    imt = local.ensure_channel("opss-imt")
    with db.unit_of_work() as s:
        s.add(ChannelBinding(surface="local", conversation="imt", external_id=imt, name="opss-imt"))
    bot = Driver(seeded_engine(db, clock, imt_bound=False), channel=general)
    declare(bot, "--level tactical --erco yes --exercise")
    ok(
        bot.cmd(
            "ian",
            'exercise schedule --title "Exercise Ember" --when "2026-11-23 10:00" '
            f'--scenario "E-bike fires" --participants olly --incident {INC}',
        )
    )
    for at, text in (
        ("10:15", "First call from the press"),
        ("10:45", "Second call"),
        ("11:30", "Third"),
    ):
        ok(bot.cmd("ian", f"exercise {EXR} inject --at '2026-11-23 {at}' --text '{text}'"))

    clock_file = tmp_path / "now"
    set_clock(clock_file, datetime(2026, 11, 23, 10, 15, 30, tzinfo=UTC))
    env = {
        "DATABASE_URL": url,
        "OPSS_CLOCK_FILE": str(clock_file),
        "OPSS_TICK_SECONDS": "0.2",
        "OPSS_OUTBOX_PACE_SECONDS": "0",
        "OPSS_OUTBOX_POLL_SECONDS": "0.1",
    }
    first = BotProcess(env, tmp_path / "first.log")
    try:
        wait_until(lambda: _fired(db, 1), what="inject 1's firing")
    finally:
        first.kill()  # at once: its post may still be in the outbox

    set_clock(clock_file, datetime(2026, 11, 23, 10, 50, tzinfo=UTC))  # inject 2 due at 10:45
    second = BotProcess(env, tmp_path / "second.log")
    try:
        wait_until(lambda: messages(db, f"Inject 2 of {EXR}"), what="inject 2, late")
        wait_until(lambda: messages(db, f"Inject 1 of {EXR}"), what="inject 1")
        set_clock(clock_file, datetime(2026, 11, 23, 11, 30, 5, tzinfo=UTC))
        wait_until(lambda: messages(db, f"Inject 3 of {EXR}"), what="inject 3, after the restart")
    finally:
        second.stop()

    assert messages(db, f"of {EXR}:") == [
        f"Inject 1 of {EXR}: First call from the press",
        f"Inject 2 of {EXR}: Second call (late: due Mon 23 Nov 2026 10:45 GMT)",
        f"Inject 3 of {EXR}: Third",
    ]
    with db.read() as s:  # each marked EXERCISE once, by its card's banner
        cards = [
            json.dumps(m.card)
            for m in s.scalars(select(LocalMessage).order_by(LocalMessage.id))
            if f"of {EXR}:" in m.text
        ]
    assert len(cards) == 3 and all(c.count("EXERCISE") == 1 for c in cards), cards
    with db.read() as s:
        firings = s.scalars(
            select(Firing).where(Firing.source.like("inject:%")).order_by(Firing.due_at)
        ).all()
    assert [(f.step, f.status) for f in firings] == [
        ("inject", "on_time"),
        ("inject", "late"),
        ("inject", "on_time"),
    ]
