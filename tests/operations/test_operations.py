"""A bot process as its operator sees it: /readyz before migrations and while stopping, a
graceful SIGTERM during a burst (nothing acknowledged lost, gone within the limit), the
outbox finishing the delivery it is making, /metrics on its own port, and JSON logs whose
request id follows a command to Slack."""

from __future__ import annotations

import asyncio
import json
import signal
import sqlite3
import threading
import time
from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy import create_engine, select, text

from bot.config import Settings
from bot.scheduler import Scheduler
from commands.core.clock import ManualClock
from commands.core.context import Options
from storage.models import Firing, OutboxMessage
from tests.conftest import AREAS, PG_ADMIN_URL, START, make_db
from tests.fakes.fake_slack import FakeSlack
from tests.fakes.processes import BotProcess, free_port, wait_until, wait_until_async
from tests.fakes.server import running, serving
from tests.fakes.slack_world import SECRET, SEED, TOKEN, SlackWorld
from tests.fakes.workspace import declared_in_workspace, general, get, raise_issue, titles

SHUTDOWN_SECONDS = 8


@pytest.mark.postgres
def test_readyz_waits_for_the_database_and_its_migrations(
    tmp_path: Path, pg_problem: str | None
) -> None:
    if pg_problem:
        pytest.skip(pg_problem)
    name = f"opss_t_ready_{int(time.time() * 1000) % 10**9}"
    admin = create_engine(PG_ADMIN_URL, isolation_level="AUTOCOMMIT")
    url = admin.url.set(database=name).render_as_string(hide_password=False)
    bot = BotProcess({"DATABASE_URL": url}, tmp_path / "bot.log", ready=False)
    try:
        wait_until(lambda: get(f"{bot.url}/healthz")[0] == 200, what="the port to open")
        status, body = get(f"{bot.url}/readyz")
        assert status == 503 and "database" in json.loads(body)["reason"]
        assert raise_issue(bot.url, "Too early") == 503  # not taken, not half stored

        with admin.connect() as conn:  # the database appears: the bot migrates and is ready
            conn.execute(text(f'CREATE DATABASE "{name}"'))
        wait_until(lambda: get(f"{bot.url}/readyz")[0] == 200, timeout=60, what="ready")
        assert raise_issue(bot.url, "On time", general(bot.url)) == 200
        assert titles(url) == {"On time"}
    finally:
        bot.stop()
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


def test_sigterm_during_a_burst_loses_nothing_acknowledged(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'bot.sqlite3'}"
    env = {
        "DATABASE_URL": url,
        "OPSS_SHUTDOWN_SECONDS": str(SHUTDOWN_SECONDS),
        "OPSS_OUTBOX_PACE_SECONDS": "0",
    }
    bot = BotProcess(env, tmp_path / "bot.log")
    channel = general(bot.url)
    answers: dict[str, int] = {}
    lock = threading.Lock()
    stop = threading.Event()

    def client(n: int) -> None:
        i = 0
        give_up = time.monotonic() + 120  # whatever befalls the test, the burst ends
        while not stop.is_set() and time.monotonic() < give_up:
            title = f"Burst item {n}-{i}"
            status = raise_issue(bot.url, title, channel)
            with lock:
                answers[title] = status
            if status != 200:
                return  # this process no longer takes requests
            i += 1

    threads = [threading.Thread(target=client, args=(n,)) for n in range(6)]
    for thread in threads:
        thread.start()
    wait_until(lambda: sum(s == 200 for s in answers.values()) >= 30, what="a burst under way")
    started = time.monotonic()
    bot.process.send_signal(signal.SIGTERM)
    code = bot.process.wait(timeout=SHUTDOWN_SECONDS + 5)
    took = time.monotonic() - started
    stop.set()
    for thread in threads:
        thread.join(timeout=30)
    bot.stop()

    assert code == 0, bot.log.read_text()[-3000:]
    assert took < SHUTDOWN_SECONDS
    acknowledged = {t for t, s in answers.items() if s == 200}
    refused = {t for t, s in answers.items() if s == 503}
    recorded = titles(url)
    assert acknowledged <= recorded  # every acknowledged raise is there
    assert not refused & recorded  # a refused one left nothing behind
    assert refused or any(s == 0 for s in answers.values())  # the burst outlived the process
    db = make_db(url)
    with db.read() as s:  # and each has its posts queued or delivered
        posts = [m.payload.get("text", "") for m in s.scalars(select(OutboxMessage))]
    for title in acknowledged:
        assert any(f": {title}" in p for p in posts), title


@pytest.fixture
def fake_slack() -> FakeSlack:
    return FakeSlack(TOKEN)


def slack_env(tmp_path: Path, fake_url: str, imt: str, **extra: str) -> dict[str, str]:
    seed = tmp_path / "people.toml"
    seed.write_text(SEED)
    return {
        "DATABASE_URL": f"sqlite:///{tmp_path / 'slack.sqlite3'}",
        "OPSS_LOCAL_WORKSPACE": "false",
        "OPSS_SEED_FILE": str(seed),
        "OPSS_OUTBOX_PACE_SECONDS": "0",
        "OPSS_OUTBOX_POLL_SECONDS": "0.1",
        "OPSS_AREAS": '["Gas and Electrical", "Toys and Childcare"]',
        "SLACK_BOT_TOKEN": TOKEN,
        "SLACK_SIGNING_SECRET": SECRET,
        "SLACK_API_URL": f"{fake_url}/api/",
        "SLACK_IMT_CHANNEL": imt,
        **extra,
    }


FULL_RAISE = (
    'raise Kettle base sparks --products K1 --hazard Fire --source public --area "Gas and '
    'Electrical"'
)


def test_shutdown_finishes_the_delivery_in_progress_and_says_not_ready(
    tmp_path: Path, fake_slack: FakeSlack
) -> None:
    fake = fake_slack
    general = fake.add_channel("opss", member=True, private=False)
    imt = fake.add_channel("opss-imt", member=True, private=False)
    slow = threading.Event()
    fake.held["chat.postMessage"] = slow  # Slack takes its time over the first post
    with serving(fake.app()) as fake_url:
        fake.base_url = fake_url
        env = slack_env(tmp_path, fake_url, imt, OPSS_SHUTDOWN_SECONDS=str(SHUTDOWN_SECONDS))
        bot = BotProcess(env, tmp_path / "bot.log")
        slack = SlackWorld(bot.url, fake, None, None, general, imt)  # type: ignore[arg-type]
        try:
            assert slack.slash("olly", FULL_RAISE)[0] == 200
            slack.replied("Raised ISS-2026-0001")
            fake.wait_for(lambda f: "chat.postMessage" in f.arrived)  # being delivered
            bot.process.send_signal(signal.SIGTERM)

            wait_until(lambda: get(f"{bot.url}/readyz")[0] == 503, what="not ready")
            assert json.loads(get(f"{bot.url}/readyz")[1])["reason"] == "shutting down"
            assert get(f"{bot.url}/healthz")[0] == 200  # alive, finishing its work
            status, _ = slack.slash("olly", "raise Another thing")
            assert status == 503  # Slack (or the proxy) will try again elsewhere
            assert bot.process.poll() is None  # waiting for the delivery in progress

            slow.set()  # Slack answers
            assert bot.process.wait(timeout=SHUTDOWN_SECONDS + 5) == 0
        finally:
            slow.set()
            bot.stop()

    db = make_db(env["DATABASE_URL"])
    with db.read() as s:
        rows = s.scalars(select(OutboxMessage).order_by(OutboxMessage.id)).all()
    first = rows[0]
    assert first.status == "delivered"  # the delivery in progress was finished and recorded
    assert len(fake.ok_calls("chat.postMessage")) == len(
        [r for r in rows if r.status == "delivered" and r.op == "post"]
    )
    assert [r.status for r in rows if r.status != "delivered"]  # the rest waits for a restart
    assert "Another thing" not in titles(env["DATABASE_URL"])


def test_json_logs_follow_a_request_to_slack_and_metrics_on_their_own_port(
    tmp_path: Path, fake_slack: FakeSlack
) -> None:
    fake = fake_slack
    general = fake.add_channel("opss", member=True, private=False)
    imt = fake.add_channel("opss-imt", member=True, private=False)
    metrics_port = free_port()
    with serving(fake.app()) as fake_url:
        fake.base_url = fake_url
        env = slack_env(
            tmp_path,
            fake_url,
            imt,
            OPSS_LOG_FORMAT="json",
            OPSS_METRICS_PORT=str(metrics_port),
        )
        bot = BotProcess(env, tmp_path / "bot.log")
        slack = SlackWorld(bot.url, fake, None, None, general, imt)  # type: ignore[arg-type]
        try:
            status, _ = slack.slash("olly", FULL_RAISE, headers={"X-Request-Id": "req-42"})
            assert status == 200
            fake.wait_for(lambda f: len(f.ok_calls("chat.postMessage")) == 2)
            assert get(f"{bot.url}/metrics")[0] == 404  # not on the public port
            status, body = get(f"http://127.0.0.1:{metrics_port}/metrics")
            assert status == 200 and "opss_outbox_backlog" in body
        finally:
            bot.stop()

    lines = [json.loads(line) for line in bot.log.read_text().splitlines() if line.strip()]
    traced = [line for line in lines if line["request_id"] == "req-42"]
    loggers = {line["logger"] for line in traced}
    assert "bot.requests" in loggers  # the engine handled it
    # both posts and the reply to the caller, each queued by the raise
    assert sum("delivered outbox" in line["message"] for line in traced) == 3
    for posted in fake.ok_calls("chat.postMessage"):  # and Slack's copy names it too
        assert posted.args["metadata"]["event_payload"]["request_id"] == "req-42"
    assert TOKEN not in bot.log.read_text() and SECRET not in bot.log.read_text()


def test_readyz_says_when_the_schema_is_behind(tmp_path: Path) -> None:
    settings = Settings(database_url=f"sqlite:///{tmp_path / 'bot.sqlite3'}")
    with running(settings, ManualClock(START)) as (url, bot):
        assert get(f"{url}/readyz") == (200, '{"ready": true}')
        with bot.db.engine.begin() as conn:  # e.g. an old backup restored under a running bot
            conn.execute(text("UPDATE alembic_version SET version_num = '0003'"))
        status, body = get(f"{url}/readyz")
        assert status == 503
        assert json.loads(body)["reason"] == "database schema is not at the newest migration"
        assert get(f"{url}/healthz")[0] == 200  # alive all the same


async def test_the_scheduler_stops_after_the_tick_it_is_running(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'bot.sqlite3'}"
    db, _general = declared_in_workspace(url)
    clock = ManualClock(START + timedelta(minutes=30, seconds=45))  # the TCG reminder is due
    scheduler = Scheduler(db, clock, Options(functional_areas=AREAS), 10, after_tick=lambda: None)
    # Another writer holds SQLite's write lock: the tick that starts now waits for it.
    writer = sqlite3.connect(tmp_path / "bot.sqlite3", isolation_level=None)
    writer.execute("BEGIN IMMEDIATE")
    scheduler.start()
    # The first tick has begun (it runs at once).
    await wait_until_async(lambda: scheduler.ticking, timeout=15, what="the first tick")
    stopping = asyncio.create_task(scheduler.stop_after_tick(30))
    for _ in range(20):
        await asyncio.sleep(0)
    assert not stopping.done()  # it waits for the tick, which waits for the lock
    writer.execute("COMMIT")
    await stopping
    writer.close()
    with db.read() as s:
        fired = s.scalars(select(Firing.step)).all()
        queued = [m.payload.get("text", "") for m in s.scalars(select(OutboxMessage))]
    assert fired == ["reminder"]  # the tick in progress finished its work
    assert sum("Reminder: TCG" in text for text in queued) == 1
    db.engine.dispose()
