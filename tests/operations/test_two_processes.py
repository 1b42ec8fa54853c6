"""Two bot processes on one PostgreSQL database: every reminder, prompt and sitrep is posted
exactly once (row claims for the schedule, one outbox deliverer by leader lock)."""

from __future__ import annotations

from collections import Counter
from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy import select

from commands.core.clock import ManualClock
from storage import seed
from storage.models import ChannelBinding, OutboxMessage, RhythmEvent, SitrepSchedule
from tests.conftest import AREAS, START, Driver, make_db
from tests.fakes.fake_slack import FakeSlack
from tests.fakes.processes import BotProcess, set_clock, wait_until
from tests.fakes.server import serving
from tests.fakes.slack_world import SECRET, SEED, TOKEN, USERS
from tests.fakes.steps import declare

pytestmark = pytest.mark.postgres


def test_two_processes_post_everything_exactly_once(pg_url: str, tmp_path: Path) -> None:
    db = make_db(pg_url)
    clock = ManualClock(START)
    people = tmp_path / "people.toml"
    people.write_text(SEED)
    seed.apply(db, seed.load(people), clock.now())
    fake = FakeSlack(TOKEN)
    general = fake.add_channel("opss", member=True, private=False)
    imt = fake.add_channel("opss-imt", member=True, private=False)
    with db.unit_of_work() as s:
        s.add(ChannelBinding(surface="slack", conversation="imt", external_id=imt, name="imt"))
    from commands.core.context import Options
    from commands.core.engine import Engine

    bot = Driver(
        Engine(db, clock, Options(functional_areas=AREAS)),
        channel=general,
        surface="slack",
        ids=USERS,
    )
    for _ in range(3):
        declare(bot)  # INC-2026-001 .. 003, each with the standard rhythm and sitreps

    clock_file = tmp_path / "now"
    set_clock(clock_file, START + timedelta(minutes=30, seconds=30))  # 10:00:30
    with serving(fake.app()) as fake_url:
        fake.base_url = fake_url
        env = {
            "DATABASE_URL": pg_url,
            "OPSS_CLOCK_FILE": str(clock_file),
            "OPSS_LOCAL_WORKSPACE": "false",
            "OPSS_TICK_SECONDS": "0.1",
            "OPSS_OUTBOX_PACE_SECONDS": "0",
            "OPSS_OUTBOX_POLL_SECONDS": "0.1",
            "SLACK_BOT_TOKEN": TOKEN,
            "SLACK_SIGNING_SECRET": SECRET,
            "SLACK_API_URL": f"{fake_url}/api/",
            "SLACK_IMT_CHANNEL": imt,
            "OPSS_AREAS": '["Gas and Electrical", "Toys and Childcare"]',
        }
        processes = [BotProcess(env, tmp_path / f"bot{n}.log") for n in (1, 2)]
        try:

            def posted(needle: str) -> int:
                return sum(
                    needle in c.args.get("text", "") for c in fake.ok_calls("chat.postMessage")
                )

            def settled() -> bool:
                now = clock_now(clock_file)
                with db.read() as s:
                    pending = s.scalar(
                        select(OutboxMessage).where(OutboxMessage.status == "pending")
                    )
                    due = [
                        r
                        for m in (RhythmEvent, SitrepSchedule)
                        for r in s.scalars(select(m).where(m.active, m.next_run_at <= now))
                    ]
                return pending is None and not due

            wait_until(lambda: posted("Reminder: TCG") >= 3, what="three TCG reminders")
            set_clock(clock_file, START + timedelta(hours=4, minutes=30, seconds=30))
            wait_until(lambda: posted("Sitrep updates due") >= 3, what="three prompts")
            set_clock(clock_file, START + timedelta(hours=22, minutes=45, seconds=30))
            wait_until(lambda: posted("Reminder: Bird table") >= 3, what="bird tables")
            wait_until(lambda: posted("collated for IMT") >= 3, what="three sitreps")
            wait_until(settled, what="nothing left due or queued")
        finally:
            for process in processes:
                process.stop()

    counts = Counter(
        (c.args["channel"], c.args.get("text", "")) for c in fake.ok_calls("chat.postMessage")
    )
    repeated = {k: v for k, v in counts.items() if v > 1}
    assert repeated == {}
    assert posted_total(counts, "Reminder: TCG") == 3
    assert posted_total(counts, "Sitrep updates due") == 3
    assert posted_total(counts, "Reminder: Bird table") == 3
    assert posted_total(counts, "SITREP 1 · INC-2026-00") == 3
    assert len(fake.ok_calls("conversations.create")) == 3


def posted_total(counts: Counter, needle: str) -> int:  # type: ignore[type-arg]
    return sum(v for (_, text), v in counts.items() if needle in text)


def clock_now(path: Path):  # type: ignore[no-untyped-def]
    from commands.core.clock import FileClock

    return FileClock(str(path)).now()
