"""An export link is only for the person it was made for: every download, over HTTP.

The bot runs for real (aiohttp on loopback, a workspace that signs people in). Records are
kept through the engine; links are followed with http.client, which shows each redirect and
sends the Host it is given. Every outcome is checked in the audit trail, and both log formats
are captured to show that no token reaches a log line.
"""

from __future__ import annotations

import http.client
import io
import logging
import time
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest
from sqlalchemy import select

from bot import logs
from bot.config import Settings
from bot.workspace.sign_in import sign_in
from commands.core.clock import ManualClock
from commands.records import downloads
from storage import repositories as repo
from storage import seed
from storage.models import AuditEvent, Document, DownloadToken
from tests.conftest import PEOPLE, START, Driver
from tests.fakes.server import running
from tests.fakes.steps import declare, ok
from tests.fakes.workspace import store_secret

INC = "INC-2026-001"


class World:
    def __init__(self, url: str, bot: Any, clock: ManualClock) -> None:
        self.url, self.bot, self.clock, self.db = url, bot, clock, bot.db
        self.cookies: dict[str, str] = {}

    def cookie(self, name: str) -> str:
        if name not in self.cookies:
            store_secret(self.db, name, f"{name}'s long secret")
            token = sign_in(self.db, name, f"{name}'s long secret", self.clock.now()).token
            assert token
            self.cookies[name] = f"opss_session={token}"
        return self.cookies[name]

    def get(
        self, path: str, *, who: str | None = None, host: str | None = None
    ) -> tuple[int, dict[str, str], bytes]:
        parts = urlsplit(self.url)
        conn = http.client.HTTPConnection(parts.hostname, parts.port, timeout=30)
        headers = {"Host": host or parts.netloc}
        if who:
            headers["Cookie"] = self.cookie(who)
        try:
            conn.request("GET", path, headers=headers)
            response = conn.getresponse()
            return response.status, dict(response.headers), response.read()
        finally:
            conn.close()

    def record_link(self, who: str, document_id: int) -> str:
        """The workspace's file link: a one-time link for the reader, by redirect."""
        status, headers, _ = self.get(f"/api/documents/{document_id}", who=who)
        assert status == 303, status
        assert headers["Cache-Control"] == "no-store"
        return headers["Location"]

    def audits(self, action: str) -> list[AuditEvent]:
        with self.db.read() as s:
            return list(
                s.scalars(
                    select(AuditEvent).where(AuditEvent.action == action).order_by(AuditEvent.id)
                )
            )

    def mint(self, name: str, surface: str, document_id: int) -> str:
        """A link as the bot makes it for a Slack or Teams user (``downloads.link``)."""
        with self.db.unit_of_work() as session:
            person = repo.person_by_name(session, name)
            assert person is not None
            token = downloads.mint(
                session, person, surface, "document", str(document_id), "", self.clock.now()
            )
        return downloads.PATH + token


@pytest.fixture
def world(tmp_path: Path) -> Iterator[World]:
    settings = Settings(
        database_url=f"sqlite:///{tmp_path / 'd.db'}",
        local_workspace=True,
        workspace_sign_in="password",
        outbox_pace_seconds=0,
    )
    clock = ManualClock(START)
    with running(settings, clock) as (url, bot):
        seed.apply(bot.db, PEOPLE, START)
        yield World(url, bot, clock)


@pytest.fixture
def record(world: World) -> int:
    """A decision log kept with an incident that hana is in and olly is not."""
    driver = Driver(world.bot.engine)
    declare(driver)
    ok(driver.cmd("hana", f"export {INC} decisions"))
    with world.db.read() as s:
        return min(s.scalars(select(Document.id)))


def test_a_workspace_link_serves_its_reader_once_never_cached(world: World, record: int) -> None:
    link = world.record_link("hana", record)
    status, headers, body = world.get(link, who="hana")
    assert status == 200 and body.startswith("\ufeff".encode())  # the CSV itself
    assert headers["Cache-Control"] == "no-store"
    assert headers["Content-Disposition"] == f'attachment; filename="{INC}-decision-log.csv"'
    assert headers["X-Content-Type-Options"] == "nosniff"
    served = world.audits("download.served")
    assert [(e.actor_name, e.entity_ref, e.after) for e in served] == [
        ("hana", str(record), {"kind": "document", "file": f"{INC}-decision-log.csv"})
    ]
    # Used once: the same link again is refused, and that is audited too.
    status, headers, body = world.get(link, who="hana")
    assert status == 403 and b"already used" in body and headers["Cache-Control"] == "no-store"
    # A person who followed the link is told how to have the file again, and the way back.
    assert b"run the command that offered it once more" in body and b'href="/"' in body
    assert [e.after["reason"] for e in world.audits("download.refused")] == ["already used"]  # type: ignore[index]
    with world.db.read() as s:
        stored = s.scalars(select(DownloadToken.token_hash)).all()
    assert link.rsplit("/", 1)[1] not in stored  # the database keeps only the token's SHA-256


def test_a_link_is_refused_to_anyone_else_and_to_no_one(world: World, record: int) -> None:
    # Someone else signed in, with hana's link.
    status, _, body = world.get(world.record_link("hana", record), who="olly")
    assert status == 403 and b"This download link was made for someone else." in body
    # No identity at all, with hana's link: in this workspace the session is the proof.
    status, _, body = world.get(world.record_link("hana", record))
    assert status == 401 and b"Sign in to the workspace" in body
    # A reader outside the incident gets a link of their own, and then the refusal.
    status, _, body = world.get(world.record_link("olly", record), who="olly")
    assert status == 403 and b"incident you may not read" in body
    refused = world.audits("download.refused")
    assert [(e.actor_name, e.after["reason"]) for e in refused] == [  # type: ignore[index]
        ("olly", "someone else's"),
        ("anonymous", "no session"),
        ("olly", "This record belongs to an incident you may not read."),
    ]
    assert world.audits("permission.refused")[-1].actor_name == "olly"
    assert not world.audits("download.served")
    # Asked of another host (DNS rebinding), even hana's own link is not answered.
    status, _, _ = world.get(world.record_link("hana", record), who="hana", host="evil.example")
    assert status == 421
    # A link to a record that does not exist is not minted.
    assert world.get("/api/documents/999999", who="hana")[0] == 404


def test_a_slack_or_teams_link_works_once_for_whoever_holds_it_then_expires(
    world: World, record: int
) -> None:
    """A Slack or Teams user has no workspace session: their link, shown to them alone, is the
    proof, so it is spent by its first use and lives only minutes."""
    for surface in ("slack", "teams"):
        link = world.mint("hana", surface, record)
        assert world.get(link)[0] == 200
        assert world.get(link)[0] == 403  # spent
    late = world.mint("hana", "slack", record)
    world.clock.advance(downloads.VALID - timedelta(seconds=1))
    early = world.mint("hana", "slack", record)
    world.clock.advance(timedelta(seconds=1))
    status, _, body = world.get(late)
    assert status == 403 and b"expired" in body
    assert world.get(early)[0] == 200  # minted later, still within its minutes
    # A workspace session that is not its person's still refuses a Slack link.
    assert world.get(world.mint("hana", "slack", record), who="olly")[0] == 403
    assert world.get("/exports/made-up-token")[0] == 404
    served = world.audits("download.served")
    assert [e.surface for e in served] == ["slack", "teams", "slack"]
    reasons = [e.after["reason"] for e in world.audits("download.refused")]  # type: ignore[index]
    assert reasons == ["already used", "already used", "expired", "someone else's", "not valid"]


@pytest.mark.parametrize("fmt", ["text", "json"])
def test_no_token_reaches_a_log_line(world: World, record: int, fmt: str) -> None:
    root = logging.getLogger()
    kept = root.handlers[:], root.level
    out = io.StringIO()
    try:
        logs.configure(logging.INFO, fmt)
        root.handlers[0].setStream(out)  # type: ignore[attr-defined]
        links = [world.record_link("hana", record) for _ in range(2)]
        links.append(world.mint("hana", "slack", record))
        world.get(links[0], who="hana")  # served
        world.get(links[0], who="hana")  # spent
        world.get(links[1])  # no session
        world.get(links[2])  # served (Slack)
        world.get(links[2], host="evil.example")  # another host
        # The access log is written once the response is sent: wait for all its lines.
        deadline = time.monotonic() + 10
        while out.getvalue().count("/exports/[redacted]") < 5 and time.monotonic() < deadline:
            time.sleep(0.02)
    finally:
        root.handlers[:], _ = kept[0], root.setLevel(kept[1])
    text = out.getvalue()
    assert text.count("/exports/[redacted]") >= 5, text  # the access log was captured
    for link in links:
        assert link.rsplit("/", 1)[1] not in text
    with world.db.read() as s:
        hashes = s.scalars(select(DownloadToken.token_hash)).all()
    assert not [h for h in hashes if h in text]
