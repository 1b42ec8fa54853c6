"""Nothing a Teams person was answered about is lost: a command's reply is queued in the
outbox with the record it reports, delivered with the outbox's retry rules (a 429 waits
its ``Retry-After``), and ``/api/messages`` answers 2xx once the command has committed.
A bot killed with SIGKILL during a burst of activities loses no acknowledged command and
no reply.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
import uuid
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select

from storage.models import Issue, OutboxMessage
from storage.unit_of_work import Database
from tests.conftest import make_db
from tests.fakes.clocks import RealTime
from tests.fakes.fake_teams import FakeConnector, Identity
from tests.fakes.processes import ROOT, free_port, wait_until
from tests.fakes.server import serving
from tests.fakes.teams_world import APP_ID, BOT, IMT, TENANT, TeamsWorld
from tests.fakes.teams_world import teams as teams

RAISE = 'opss raise "Toaster lever sticks" --products T1 --hazard Burns --source public '
RAISE += '--area "Gas and Electrical"'


@pytest.fixture
def world(teams: TeamsWorld) -> TeamsWorld:
    real = RealTime()  # the outbox times retries in real time: moved by the test
    teams.bot.outbox.monotonic = real
    teams.real = real  # type: ignore[attr-defined]
    return teams


def deliver_retries(world: TeamsWorld, done: Any, seconds: int = 1) -> None:
    """Move the outbox's real-time clock past each ``Retry-After`` until ``done``."""
    real: RealTime = world.real  # type: ignore[attr-defined]
    for _ in range(10):
        real.advance(timedelta(seconds=seconds))
        world.bot.outbox.kick()
        try:
            world.connector.wait_for(lambda c: done(), timeout=1.0)
            return
        except AssertionError:
            continue
    raise AssertionError("never delivered")


def test_a_reply_refused_with_429_twice_arrives_after_them(
    world: TeamsWorld, caplog: pytest.LogCaptureFixture
) -> None:
    chat = world.personal("olly")
    world.connector.failures[chat] = [(429, {"Retry-After": "1"})] * 2
    status, _ = world.say("olly", RAISE)
    assert status == 201  # not a 502: the command committed, and its reply is queued
    with world.bot.db.read() as s:
        assert [i.title for i in s.scalars(select(Issue))] == ["Toaster lever sticks"]

    def replied() -> bool:
        return any("Raised ISS-2026-0001" in (t or "") for t in world.connector.texts(chat))

    world.connector.wait_for(lambda c: sum(call.status == 429 for call in c.calls) == 2)
    assert not replied()
    deliver_retries(world, replied)
    tries = [(c.status, json.dumps(c.body)) for c in world.connector.calls if chat in c.path]
    refused = [i for i, (status, _) in enumerate(tries) if status == 429]
    delivered = [
        i for i, (status, body) in enumerate(tries) if status == 200 and "Raised ISS" in body
    ]
    assert len(refused) == 2 and len(delivered) == 1  # delivered once, after both 429s
    assert delivered[0] > max(refused)
    assert "Raised ISS-2026-0001" in world.connector.texts(chat)[-1] or replied()
    assert "Traceback" not in caplog.text
    with world.bot.db.read() as s:
        assert len(s.scalars(select(Issue)).all()) == 1  # raised once


def test_an_answer_that_changed_nothing_is_queued_when_the_connector_refuses_it(
    world: TeamsWorld,
) -> None:
    """``opss help`` commits nothing; a 429 on its answer still is no 5xx and no loss."""
    chat = world.personal("ian")
    world.connector.failures[chat] = [(429, {"Retry-After": "1"})]
    status, _ = world.say("ian", "opss help")
    assert status == 201

    def helped() -> bool:
        return any("raise" in json.dumps(m) for m in world.connector.posts(chat))

    deliver_retries(world, helped)
    statuses = [c.status for c in world.connector.calls if chat in c.path]
    assert statuses == [429, 200]


def test_a_channel_command_is_answered_in_the_persons_chat_through_the_outbox(
    world: TeamsWorld,
) -> None:
    """Typed in a channel: the reply goes to the person's chat, opened by the outbox."""
    from tests.fakes.teams_world import GENERAL

    status, _ = world.say("olly", RAISE.replace("opss ", ""), where=GENERAL)
    assert status == 201
    chat = world.personal("olly")
    world.connector.wait_for(
        lambda c: any("Raised ISS-2026-0001" in (t or "") for t in c.texts(chat))
    )

    def marked() -> OutboxMessage | None:
        with world.bot.db.read() as s:
            return s.scalar(
                select(OutboxMessage).where(
                    OutboxMessage.status == "delivered", OutboxMessage.op == "reply"
                )
            )

    world.connector.wait_for(lambda c: marked() is not None)
    reply = marked()
    assert reply is not None and reply.conversation == f"user:29:olly {TENANT}"
    opened = [c for c in world.connector.calls if c.path == "/v3/conversations"]
    assert opened and opened[-1].body["members"] == [{"id": "29:olly"}]


# SIGKILL during a burst ---------------------------------------------------------------------

SENDERS = [f"29:burst{n}" for n in range(5)]
PER_SENDER = 8


class TeamsBotProcess:
    """The bot (``python -m bot``'s app with the test's outbound tokens) as its own process,
    so SIGKILL is a real one."""

    def __init__(self, env: dict[str, str], log: Path) -> None:
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self._log = open(log, "ab")  # noqa: SIM115 - closed in kill()/stop()
        self.process = subprocess.Popen(
            [sys.executable, "-m", "bench.teams_bot"],
            env={**os.environ, **env, "OPSS_PORT": str(self.port)},
            cwd=ROOT,
            stdout=self._log,
            stderr=subprocess.STDOUT,
        )
        deadline = time.monotonic() + 60
        while True:
            if self.process.poll() is not None:
                raise RuntimeError(f"bot exited: {log.read_text()[-3000:]}")
            try:
                with urllib.request.urlopen(f"{self.url}/healthz", timeout=1):
                    return
            except OSError:
                if time.monotonic() > deadline:
                    raise RuntimeError("bot did not start") from None
                time.sleep(0.1)

    def kill(self) -> None:
        self.process.kill()  # SIGKILL
        self.process.wait(timeout=30)
        self._log.close()

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.kill()
            self.process.wait(timeout=30)
        if not self._log.closed:
            self._log.close()


def burst_activity(sender: str, n: int, connector_url: str) -> dict[str, Any]:
    return {
        "type": "message",
        "id": uuid.uuid4().hex,
        "serviceUrl": connector_url,
        "channelId": "msteams",
        "from": {"id": sender, "name": f"Officer {sender[-1]}"},
        "conversation": {
            "id": f"a:personal-{sender}",
            "conversationType": "personal",
            "tenantId": TENANT,
        },
        "recipient": {"id": BOT, "name": "OPSS"},
        "channelData": {"tenant": {"id": TENANT}},
        "text": f'opss raise "Burst {sender[-1]}-{n}" --products P --hazard Fire '
        '--source public --area "Gas and Electrical"',
    }


def post(url: str, activity: dict[str, Any], token: str) -> int | None:
    """The status ``/api/messages`` answered, or None when the process died first."""
    request = urllib.request.Request(
        f"{url}/api/messages",
        data=json.dumps(activity).encode(),
        method="POST",
        headers={"Content-Type": "application/json", "Authorization": f"Bearer {token}"},
    )
    try:
        with urllib.request.urlopen(request, timeout=20) as response:
            return response.status
    except urllib.error.HTTPError as err:
        return err.code
    except OSError:
        return None


@pytest.fixture
def burst_env(tmp_path: Path, database_url: str) -> Iterator[tuple[dict[str, str], Any]]:
    connector, identity = FakeConnector(), Identity()
    with identity.serving() as metadata_url, serving(connector.app()) as connector_url:
        connector.url = connector_url
        env = {
            "DATABASE_URL": database_url,
            "MicrosoftAppId": APP_ID,
            "MicrosoftAppTenantId": TENANT,
            "MicrosoftAppPassword": "unused: outbound tokens are fixed",
            "TO_BOT_FROM_CHANNEL_OPENID_METADATA_URL": metadata_url,
            "TO_BOT_FROM_CHANNEL_TOKEN_ISSUER": identity.issuer,
            "TEAMS_IMT_CHANNEL_ID": IMT,
            "OPSS_LOCAL_WORKSPACE": "false",
            "OPSS_AREAS": '["Gas and Electrical"]',
            "OPSS_OUTBOX_POLL_SECONDS": "0.1",
            "OPSS_OUTBOX_PACE_SECONDS": "0",
        }
        yield env, (connector, identity)


def test_sigkill_during_a_burst_loses_no_acknowledged_command_and_no_reply(
    tmp_path: Path, burst_env: tuple[dict[str, str], Any]
) -> None:
    env, (connector, identity) = burst_env
    token = identity.token(APP_ID, connector.url)
    # Replies are slow to be accepted: when the bot dies, committed commands' replies are
    # still waiting in its outbox, and one is in flight.
    connector.hold = "a:personal-"
    sent: dict[str, list[dict[str, Any]]] = {s: [] for s in SENDERS}
    answered: dict[str, int | None] = {}
    bot = TeamsBotProcess(env, tmp_path / "first.log")

    def person(sender: str) -> None:  # one person types one command after another
        for n in range(PER_SENDER):
            activity = burst_activity(sender, n, connector.url)
            sent[sender].append(activity)
            status = post(bot.url, activity, token)
            answered[activity["id"]] = status
            if status is None:
                return

    threads = [threading.Thread(target=person, args=(s,)) for s in SENDERS]
    try:
        for t in threads:
            t.start()
        wait_until(
            lambda: sum(1 for s in answered.values() if s is not None) >= 12,
            what="a dozen acknowledged commands",
        )
        bot.kill()
        for t in threads:
            t.join(timeout=30)
    finally:
        bot.stop()
    ok = [a for acts in sent.values() for a in acts if (answered.get(a["id"]) or 0) // 100 == 2]
    assert len(ok) >= 12
    assert all(s is None or s // 100 == 2 for s in answered.values()), answered  # no 5xx
    delivered_before = sum(len(connector.posts(f"a:personal-{s}")) for s in SENDERS)
    connector.release()

    db: Database = make_db(env["DATABASE_URL"])
    again = TeamsBotProcess(env, tmp_path / "second.log")
    try:

        def references() -> dict[str, list[str]]:
            with db.read() as s:
                found: dict[str, list[str]] = {}
                for issue in s.scalars(select(Issue)):
                    found.setdefault(issue.title, []).append(issue.reference)
                return found

        def replies(sender: str, reference: str) -> int:
            return sum(
                f"Raised {reference}" in (t or "") for t in connector.texts(f"a:personal-{sender}")
            )

        def title(activity: dict[str, Any]) -> str:
            return activity["text"].split('"')[1]

        def all_replied(activities: list[dict[str, Any]]) -> bool:
            found = references()
            return all(
                title(a) in found and replies(a["from"]["id"], found[title(a)][0]) >= 1
                for a in activities
            )

        # Every acknowledged command: recorded once, and its reply delivered after restart.
        connector.wait_for(lambda c: all_replied(ok), timeout=60)
        found = references()
        for activity in ok:
            assert len(found[title(activity)]) == 1, title(activity)
        assert delivered_before < len(ok)  # killed with acknowledged replies undelivered

        # The channel's retry of every activity (answered or not) repeats nothing, and each
        # that was never recorded now is, with its reply.
        everything = [a for acts in sent.values() for a in acts]
        for activity in everything:
            assert post(again.url, activity, token) in (200, 201)
        connector.wait_for(lambda c: all_replied(everything), timeout=60)
        found = references()
        assert sorted(found) == sorted({title(a) for a in everything})
        assert all(len(refs) == 1 for refs in found.values()), found
        # Each reply once; at most one repeated post, the one in flight at the kill (Teams
        # cannot be asked whether it took it: see the README).
        counts = [replies(a["from"]["id"], found[title(a)][0]) for a in everything]
        assert sum(counts) - len(counts) <= 1, counts

        def all_marked() -> bool:
            with db.read() as s:
                rows = s.scalars(select(OutboxMessage).where(OutboxMessage.op == "reply")).all()
                return bool(rows) and all(m.status == "delivered" for m in rows)

        connector.wait_for(lambda c: all_marked())
    finally:
        again.stop()
        db.engine.dispose()
