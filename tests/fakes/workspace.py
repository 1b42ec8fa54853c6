"""The local workspace driven over its HTTP API, and a workspace database with one declared
incident in it (for restart, backup and metrics tests)."""

from __future__ import annotations

import json
import urllib.error
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from argon2 import PasswordHasher
from sqlalchemy import select

from bot.app import GENERAL_CHANNEL
from bot.config import Settings
from bot.workspace.messenger import LocalMessenger
from commands.core.clock import ManualClock
from storage import repositories as repo
from storage.models import ChannelBinding, Issue, LocalMessage, WorkspaceCredential
from storage.unit_of_work import Database
from tests.conftest import START, Driver, make_db, seeded_engine
from tests.fakes.browser import missing_browser
from tests.fakes.server import call, running
from tests.fakes.steps import declare


def get(url: str) -> tuple[int, str]:
    """GET a full URL: (status, body), or (0, "") when nothing listens."""
    try:
        return call(url, "GET", "")
    except OSError:
        return 0, ""


def general(url: str) -> str:
    """The workspace's general channel (its id)."""
    status, body = get(f"{url}/api/state")
    assert status == 200, body
    return str(json.loads(body)["general"])


def command(url: str, text: str, channel: str) -> tuple[int, str]:
    """A workspace command typed by olly: (status, body), or (0, "") if the connection failed."""
    try:
        return call(url, "POST", "/api/command", {"user": "olly", "channel": channel, "text": text})
    except OSError:
        return 0, ""


def raise_issue(url: str, title: str, channel: str = "1") -> int:
    """A workspace raise; its HTTP status (0 when the connection was refused or cut)."""
    status, body = command(
        url,
        f'raise {title} --products P1 --hazard Fire --source public --area "Toys and Childcare"',
        channel,
    )
    if status == 200:
        assert json.loads(body)["ok"], body
    return status


def titles(url: str) -> set[str]:
    db = make_db(url)
    try:
        with db.read() as s:
            return set(s.scalars(select(Issue.title)))
    finally:
        db.engine.dispose()


def messages(db, needle: str) -> list[str]:  # type: ignore[no-untyped-def]
    with db.read() as s:
        return [
            m.text
            for m in s.scalars(select(LocalMessage).order_by(LocalMessage.id))
            if needle in m.text
        ]


def declared_in_workspace(url: str) -> tuple[Database, str]:
    """A workspace database holding one declared incident (Monday 23 Nov 2026, 09:30 GMT),
    with its general and IMT channels; returns it and the general channel's id."""
    db = make_db(url)
    clock = ManualClock(START)
    local = LocalMessenger(db, clock)
    general = local.ensure_channel(GENERAL_CHANNEL)
    imt = local.ensure_channel("opss-imt")
    with db.unit_of_work() as s:
        s.add(ChannelBinding(surface="local", conversation="imt", external_id=imt, name="opss-imt"))
    declare(Driver(seeded_engine(db, clock, imt_bound=False), channel=general))
    return db, general


def _channels(bot) -> list[str]:  # type: ignore[no-untyped-def]
    from sqlalchemy import select

    from storage.models import LocalChannel

    with bot.db.read() as s:
        return [str(c.id) for c in s.scalars(select(LocalChannel).order_by(LocalChannel.id))]


def sign_in(url: str, name: str, secret: str) -> tuple[int, str | None]:
    request = urllib.request.Request(
        url + "/api/sign-in",
        data=json.dumps({"name": name, "secret": secret}).encode(),
        method="POST",
        headers={"Content-Type": "application/json", "X-OPSS-Local": "1"},
    )
    try:
        with urllib.request.urlopen(request, timeout=15) as response:
            cookie = response.headers.get("Set-Cookie", "")
            return response.status, cookie.split(";")[0]
    except urllib.error.HTTPError as err:
        return err.code, None


# Cheap argon2 parameters: a test signs in many times.
CHEAP = PasswordHasher(time_cost=1, memory_cost=8, parallelism=1)


def store_secret(db: Database, name: str, secret: str) -> None:
    with db.unit_of_work() as session:
        person = repo.person_by_name(session, name)
        assert person is not None
        session.add(
            WorkspaceCredential(person_id=person.id, secret_hash=CHEAP.hash(secret), set_at=START)
        )


@contextmanager
def declared_workspace(tmp_path: Path) -> Iterator[str]:
    """The running workspace's address, with an incident declared from its general channel
    (rated Critical, declared without ERCO, no chairs named): for the browser tests."""
    missing_browser()
    settings = Settings(
        database_url=f"sqlite:///{tmp_path / 'ws.sqlite3'}",
        local_workspace=True,
        outbox_pace_seconds=0,
    )
    with running(settings, ManualClock(START)) as (url, bot):  # Mon 23 Nov 2026 09:30 GMT
        general = next(iter(_channels(bot)))
        declare(Driver(bot.engine, channel=general), "--level tactical")
        bot.outbox.kick()
        yield url
