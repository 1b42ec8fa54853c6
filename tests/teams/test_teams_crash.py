"""Teams messages are recorded before they are answered (bot/teams/inbound.py):

- the bot process killed with SIGKILL during a burst of raises from several people, and
  started again: every message answered 201 is recorded exactly once, and its reply reaches
  the person's chat;
- the channel delivering an activity again (the same id) records nothing twice, whether the
  first delivery is still in this process or was acknowledged before a restart.
"""

from __future__ import annotations

import json
import threading
import urllib.error
import urllib.request
import uuid
from collections import Counter
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select

from storage.inbox import inbox_database
from storage.models import InboxRequest, Issue
from tests.conftest import make_db
from tests.fakes.fake_teams import FakeConnector, Identity
from tests.fakes.processes import BotProcess, wait_until
from tests.fakes.server import serving
from tests.fakes.teams_world import TeamsWorld
from tests.fakes.teams_world import teams as teams  # the fixture, used by its name

APP_ID = "00000000-0000-4000-8000-00000000c4a5"
TENANT = "00000000-0000-4000-8000-0000000000aa"
SENDERS = 4
EACH = 40  # raises per sender
KILL_AFTER = 50  # acknowledged raises before the SIGKILL (of 160 sent)


@pytest.fixture
def world(tmp_path: Path) -> Iterator[tuple[FakeConnector, Identity, dict[str, str]]]:
    connector, identity = FakeConnector(), Identity()
    with identity.serving() as metadata_url, serving(connector.app()) as url:
        connector.url = url
        env = {
            "MicrosoftAppId": APP_ID,
            "MicrosoftAppTenantId": TENANT,
            "MicrosoftAppPassword": "unused: outbound tokens are fixed",
            "TO_BOT_FROM_CHANNEL_OPENID_METADATA_URL": metadata_url,
            "TO_BOT_FROM_CHANNEL_TOKEN_ISSUER": identity.issuer,
            "TEAMS_IMT_CHANNEL_ID": "19:imt@thread.tacv2",
            "DATABASE_URL": f"sqlite:///{tmp_path / 'bot.sqlite3'}",
            "OPSS_LOCAL_WORKSPACE": "false",
            "OPSS_AREAS": '["Gas and Electrical"]',
            "OPSS_OUTBOX_PACE_SECONDS": "0",
            "OPSS_OUTBOX_POLL_SECONDS": "0.1",
        }
        yield connector, identity, env


def raise_activity(n: int, connector: FakeConnector) -> dict[str, Any]:
    user = f"29:sender{n % SENDERS}"
    return {
        "type": "message",
        "id": uuid.uuid4().hex,
        "serviceUrl": connector.url,
        "channelId": "msteams",
        "from": {"id": user, "name": f"Sender {n % SENDERS}"},
        "conversation": {"id": f"a:{user}", "conversationType": "personal", "tenantId": TENANT},
        "recipient": {"id": f"28:{APP_ID}", "name": "OPSS"},
        "channelData": {"tenant": {"id": TENANT}},
        "text": f'opss raise "Crash hob {n}" --products "Hob {n}" --hazard "Gas escape" '
        '--source public --area "Gas and Electrical"',
    }


def send(url: str, activity: dict[str, Any], token: str) -> int | None:
    """The HTTP status, or None when the process died before answering."""
    request = urllib.request.Request(
        f"{url}/api/messages",
        data=json.dumps(activity).encode(),
        headers={"Content-Type": "application/json", "Authorization": f"Bearer {token}"},
    )
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            response.read()
            return int(response.status)
    except urllib.error.HTTPError as exc:
        return exc.code
    except OSError:
        return None


def test_sigkill_after_the_201_loses_no_message_and_a_redelivery_records_nothing_twice(
    world: tuple[FakeConnector, Identity, dict[str, str]], tmp_path: Path
) -> None:
    connector, identity, env = world
    token = identity.token(APP_ID, connector.url)
    activities = {n: raise_activity(n, connector) for n in range(SENDERS * EACH)}
    first = BotProcess(env, tmp_path / "first.log", module="bench.teams_bot")
    acked: list[int] = []
    statuses: dict[int, int | None] = {}
    lock = threading.Lock()
    enough = threading.Event()

    def sender(s: int) -> None:
        for i in range(EACH):
            n = i * SENDERS + s
            status = send(first.url, activities[n], token)
            with lock:
                statuses[n] = status
                if status == 201:
                    acked.append(n)
                    if len(acked) >= KILL_AFTER:
                        enough.set()

    threads = [threading.Thread(target=sender, args=(s,)) for s in range(SENDERS)]
    try:
        for t in threads:
            t.start()
        assert enough.wait(60), f"only {len(acked)} acknowledged"
    finally:
        first.kill()  # mid-burst: requests in flight, acknowledged turns not yet run
    for t in threads:
        t.join(timeout=60)
    with lock:
        answered = set(acked)
    assert not [n for n, st in statuses.items() if st not in (201, None)], statuses
    db = make_db(env["DATABASE_URL"])
    inbox = inbox_database(db, env["DATABASE_URL"])  # on SQLite, a file of its own
    with inbox.read() as s:
        undone = s.scalar(
            select(InboxRequest.id).where(
                InboxRequest.surface == "teams", InboxRequest.done_at.is_(None)
            )
        )
    assert undone is not None, "the kill came after all the work: the test proves nothing"

    def titles() -> Counter[str]:
        with db.read() as s:
            return Counter(s.scalars(select(Issue.title)))

    second = BotProcess(env, tmp_path / "second.log", module="bench.teams_bot")
    try:
        wait_until(
            lambda: all(f"Crash hob {n}" in titles() for n in answered),
            timeout=60,
            what="every acknowledged message recorded",
        )
        # The channel, unsure of the first deliveries, sends some again: same ids.
        again = sorted(answered)[:5]
        for n in again:
            assert send(second.url, activities[n], token) in (200, 201)
        wait_until(lambda: _undone(inbox) == 0, timeout=60, what="the inbox done")
        for n in again:
            wait_until(
                lambda n=n: any(
                    f"Crash hob {n}" in json.dumps(m)
                    for m in connector.posts(activities[n]["conversation"]["id"])
                ),
                timeout=60,
                what=f"the reply to raise {n}",
            )
    finally:
        second.stop()
        inbox.engine.dispose()

    recorded = titles()
    assert all(count == 1 for count in recorded.values()), recorded.most_common(3)
    for n in answered:
        assert recorded[f"Crash hob {n}"] == 1
    db.engine.dispose()


def _undone(inbox: Any) -> int:
    with inbox.read() as s:
        return len(s.scalars(select(InboxRequest.id).where(InboxRequest.done_at.is_(None))).all())


def test_an_activity_delivered_twice_is_recorded_and_answered_once(teams: TeamsWorld) -> None:
    activity = teams.activity("olly")
    activity["text"] = (
        'opss raise "Twice" --products p --hazard h --source public --area "Gas and Electrical"'
    )
    chat = teams.personal("olly")
    before = len(teams.connector.posts(chat))
    first, _ = teams.send(activity)
    again, _ = teams.send(activity)
    assert (first, again) == (201, 200)
    with teams.bot.db.read() as s:
        assert [i.title for i in s.scalars(select(Issue))] == ["Twice"]
    teams.said(chat, "Twice")
    raised = [m for m in teams.connector.posts(chat)[before:] if "Twice" in json.dumps(m)]
    assert len(raised) == 1
