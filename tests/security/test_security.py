"""Secure by default: each numbered part of the threat list, tested where it can be broken.

The engine is driven directly where the rule lives in the core; the workspace and Slack are
driven over HTTP, as an attacker on the network would.
"""

from __future__ import annotations

import asyncio
import json
import subprocess
import sys
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import event, select

from bot.app import RefusedToStart, build
from bot.checks import problems, refusals
from bot.config import Settings
from bot.outbox import OutboxWorker
from bot.workspace.messenger import LocalMessenger
from bot.workspace.sign_in import set_secret
from commands.core.args import tokens
from commands.core.clock import ManualClock, SharedClock
from commands.core.context import Options
from commands.core.engine import Engine
from commands.core.inputs import MAX_COMMAND_BYTES
from storage.models import (
    AuditEvent,
    ChannelBinding,
    ClockState,
    Issue,
    LocalChannel,
    OutboxMessage,
    WorkspaceCredential,
)
from storage.unit_of_work import Database
from tests.conftest import AREAS, START, Driver, row_counts, seeded_engine
from tests.fakes.server import call, running
from tests.fakes.steps import declare, ok, raise_issue
from tests.fakes.workspace import sign_in

INC = "INC-2026-001"
ROOT = Path(__file__).resolve().parents[2]


def refused_audits(db: Database) -> list[AuditEvent]:
    with db.read() as s:
        return list(s.scalars(select(AuditEvent).where(AuditEvent.action == "permission.refused")))


# 1. No identity by typing a name ---------------------------------------------------------


def test_the_pick_a_name_workspace_refuses_to_start_off_loopback(tmp_path: Path) -> None:
    exposed = Settings(database_url=f"sqlite:///{tmp_path / 'x.db'}", host="0.0.0.0")
    assert [p.setting for p in refusals(exposed)] == ["OPSS_HOST"]
    with pytest.raises(RefusedToStart, match="only listens on loopback"):
        build(exposed)
    for host in ("127.0.0.1", "localhost", "::1"):
        assert refusals(Settings(host=host)) == []


def test_the_bot_process_says_why_it_will_not_start(tmp_path: Path) -> None:
    done = subprocess.run(
        [sys.executable, "-m", "bot"],
        cwd=ROOT,
        env={
            "PATH": "/usr/bin:/bin",
            "OPSS_HOST": "0.0.0.0",
            "DATABASE_URL": f"sqlite:///{tmp_path / 'x.db'}",
        },
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 1
    assert "will not start" in done.stderr and "OPSS_HOST" in done.stderr


def test_off_loopback_the_workspace_needs_sign_in_and_its_public_address() -> None:
    assert [
        p.setting for p in refusals(Settings(host="0.0.0.0", workspace_sign_in="password"))
    ] == ["OPSS_PUBLIC_URL"]
    assert (
        refusals(
            Settings(
                host="0.0.0.0",
                workspace_sign_in="password",
                public_url="https://opss.example.gov.uk",
            )
        )
        == []
    )


def test_with_slack_configured_the_workspace_is_off_unless_turned_on(tmp_path: Path) -> None:
    slack = {"slack_bot_token": "xoxb-1-2-abc", "slack_signing_secret": "s" * 32}
    assert not Settings(**slack).workspace_enabled
    assert Settings(**slack, local_workspace=True).workspace_enabled
    assert Settings().workspace_enabled
    half = Settings(slack_bot_token="xoxb-1-2-abc")
    assert [p.setting for p in refusals(half)] == ["SLACK_SIGNING_SECRET"]
    settings = Settings(database_url=f"sqlite:///{tmp_path / 's.db'}", **slack)
    with running(settings, ManualClock(START)) as (url, _bot):
        status, _ = call(url, "POST", "/api/command", {"user": "hana", "text": "list"})
        assert status == 404


def test_the_workspace_answers_only_for_its_own_host_and_page(local: tuple[str, Any]) -> None:
    url, _bot = local
    grants = row_counts(_bot.db)["role_grants"]
    assert call(url, "GET", "/api/state?user=hana")[0] == 200
    # DNS rebinding: another name pointed at this machine.
    assert call(url, "GET", "/api/state?user=hana", headers={"Host": "evil.example"})[0] == 421
    assert call(url, "GET", "/", headers={"Host": "evil.example:8080"})[0] == 421
    body = {"user": "hana", "text": "role grant olly admin"}
    status, _ = call(url, "POST", "/api/command", body, headers={"Origin": "http://evil.example"})
    assert status == 403
    status, _ = call(url, "POST", "/api/command", body, headers={"X-OPSS-Local": ""})
    assert status == 403
    assert row_counts(_bot.db)["role_grants"] == grants


@pytest.fixture
def signed(tmp_path: Path) -> Iterator[tuple[str, Any]]:
    seed = tmp_path / "people.toml"
    seed.write_text(
        '[[people]]\nname = "hana"\ndisplay_name = "Hana"\nroles = ["head_of_imt", "admin"]\n'
        '[[people]]\nname = "olly"\ndisplay_name = "Olly"\nroles = []\n'
    )
    settings = Settings(
        database_url=f"sqlite:///{tmp_path / 'p.db'}",
        local_workspace=True,
        workspace_sign_in="password",
        seed_file=seed,
        outbox_pace_seconds=0,
    )
    with running(settings, ManualClock(START)) as (url, bot):
        set_secret(bot.db, "olly", "olly's long secret", START)
        yield url, bot


def test_with_sign_in_nobody_is_anyone_without_their_secret(signed: tuple[str, Any]) -> None:
    url, bot = signed
    before = row_counts(bot.db)
    # Naming a user is no longer enough.
    assert (
        call(url, "POST", "/api/command", {"user": "hana", "text": "role grant olly admin"})[0]
        == 401
    )
    assert call(url, "GET", "/api/channels/1/messages?user=hana")[0] == 401
    assert sign_in(url, "olly", "wrong secret here")[0] == 401
    assert sign_in(url, "hana", "anything at all!")[0] == 401  # no secret set: no way in
    status, cookie = sign_in(url, "olly", "olly's long secret")
    assert status == 200 and cookie and cookie.startswith("opss_session=")
    # Signed in as olly, claiming to be hana changes nothing: the session says who.
    status, body = call(
        url,
        "POST",
        "/api/command",
        {"user": "hana", "text": "role grant olly admin"},
        headers={"Cookie": cookie},
    )
    assert status == 200 and "Only a bot administrator may grant roles" in json.loads(body)["text"]
    with bot.db.read() as s:
        stored = s.scalars(select(WorkspaceCredential.secret_hash)).all()
        assert stored and all(h.startswith("$argon2id$") for h in stored)
        assert "olly's long secret" not in json.dumps(stored)
        actions = [a.action for a in s.scalars(select(AuditEvent))]
    assert actions.count("workspace.sign_in_refused") == 2 and "workspace.signed_in" in actions
    assert row_counts(bot.db)["role_grants"] == before["role_grants"]
    # Signed out, the cookie is worth nothing.
    call(url, "POST", "/api/sign-out", {}, headers={"Cookie": cookie})
    assert call(url, "GET", "/api/state", headers={"Cookie": cookie})[0] == 401


# 2. One clock, moved only in a demo ------------------------------------------------------


def movable_engine(db: Database, clock: Any, movable: bool = True) -> Engine:
    seeded_engine(db, ManualClock(START))
    return Engine(db, clock, Options(functional_areas=AREAS, clock_movable=movable))


def test_the_clock_never_moves_beside_a_chat_platform(db: Database) -> None:
    bot = Driver(movable_engine(db, SharedClock(db, ManualClock(START)), movable=False))
    reply = bot.cmd("hana", "clock +30d")
    assert not reply.ok and "real incidents run on real time" in reply.text
    with db.read() as s:
        assert s.get(ClockState, 1) is None


def test_only_an_administrator_moves_the_clock_and_it_is_audited(db: Database) -> None:
    bot = Driver(movable_engine(db, SharedClock(db, ManualClock(START))))
    reply = bot.cmd("olly", "clock +30d")
    assert reply.text.startswith("Only a bot administrator may move the bot's clock")
    assert [a.entity_ref for a in refused_audits(db)] == ["clock"]
    assert not bot.cmd("hana", "clock -2h").ok  # never backwards
    ok(bot.cmd("hana", "clock +2h"))
    with db.read() as s:
        moved = s.scalar(select(AuditEvent).where(AuditEvent.action == "clock.moved"))
        assert moved is not None and moved.after == {"offset_seconds": 7200}


def test_every_process_shares_the_clock_and_a_restart_keeps_it(db: Database) -> None:
    first = SharedClock(db, ManualClock(START))
    bot = Driver(movable_engine(db, first))
    ok(bot.cmd("hana", "clock +1d"))
    first.refresh()
    assert first.now() == START + timedelta(days=1)
    # Another process, or this one restarted: the same time, not a day earlier.
    assert SharedClock(db, ManualClock(START)).now() == START + timedelta(days=1)


def test_posts_queued_ahead_are_delivered_after_a_restart(db: Database) -> None:
    """A month's move, then a restart: the queue is not stuck behind future-stamped posts."""
    clock = SharedClock(db, ManualClock(START))
    local = LocalMessenger(db, clock)
    general, imt = local.ensure_channel("general"), local.ensure_channel("opss-imt")
    with db.unit_of_work() as s:
        s.add(ChannelBinding(surface="local", conversation="imt", external_id=imt, name="imt"))
    seeded_engine(db, ManualClock(START), imt_bound=False)
    engine = Engine(db, clock, Options(functional_areas=AREAS, clock_movable=True))
    bot = Driver(engine, channel=general)
    ok(bot.cmd("hana", "clock +30d"))
    clock.refresh()
    raise_issue(bot)  # its posts are stamped a month ahead
    with db.unit_of_work() as s:  # even were the offset lost, nothing waits on a timestamp
        state = s.get(ClockState, 1)
        assert state is not None
        state.offset_seconds = 0
    restarted = SharedClock(db, ManualClock(START))  # the machine's time has not moved
    worker = OutboxWorker(db, restarted, {"local": LocalMessenger(db, restarted)}, pace_seconds=0)
    asyncio.run(worker.drain())
    with db.read() as s:
        assert s.scalars(select(OutboxMessage.status)).all() == ["delivered", "delivered"]


# 3. Private incidents stay private ------------------------------------------------------


def test_only_the_incidents_people_read_it(bot: Driver, db: Database) -> None:
    declare(bot, '--level tactical --invite "sara"')
    for command in (f"status {INC}", f"sitrep {INC} list", f"sitrep {INC} show 1", f"rhythm {INC}"):
        reply = bot.cmd("olly", command)
        assert not reply.ok and f"may see {INC}" in reply.text, command
        assert reply.card is None
    assert len(refused_audits(db)) == 4
    assert INC not in str(ok(bot.cmd("olly", "list --incidents")).card)
    assert INC in str(ok(bot.cmd("ian", "list --incidents")).card)  # IMT
    assert ok(bot.cmd("hana", f"status {INC}")).card is not None  # the declarer
    assert ok(bot.cmd("fatima", f"status {INC}")).card is not None  # the FTL of its area
    assert not bot.cmd("tom", f"status {INC}").ok  # another area's FTL


def test_anyone_in_the_incidents_channel_reads_it(bot: Driver, db: Database) -> None:
    declare(bot)
    with db.unit_of_work() as s:
        s.add(
            ChannelBinding(
                surface="local", conversation=f"incident:{INC}", external_id="77", name="x"
            )
        )
    inside = Driver(bot.engine, channel="77")
    assert ok(inside.cmd("olly", f"status {INC}")).card is not None


def test_the_workspace_shows_a_private_channel_to_its_members_only(
    local: tuple[str, Any],
) -> None:
    url, bot = local
    private = LocalMessenger(bot.db, bot.clock).ensure_channel("inc-secret", private=True)
    with bot.db.unit_of_work() as s:
        channel = s.get(LocalChannel, int(private))
        assert channel is not None
        channel.members = ["hana"]
    assert call(url, "GET", f"/api/channels/{private}/messages?user=olly")[0] == 404
    status, _ = call(
        url, "POST", "/api/command", {"user": "olly", "text": "help", "channel": private}
    )
    assert status == 404  # nor post there, nor have a command run as if from there
    assert call(url, "GET", f"/api/channels/{private}/messages?user=hana")[0] == 200


# 6. Bounded work per request --------------------------------------------------------------


def test_a_huge_command_is_refused_before_any_work(bot: Driver, db: Database) -> None:
    before = row_counts(db)
    reply = bot.cmd("olly", "raise " + "x" * 1_000_000)
    assert not reply.ok and "too long (at most 8 KB)" in reply.text
    assert row_counts(db) == before
    assert len(tokens("a" * MAX_COMMAND_BYTES + ' "b c"')) == 2


def test_parsing_and_validation_hold_no_write_lock(bot: Driver, db: Database) -> None:
    writes: list[str] = []

    def seen(conn: Any, cursor: Any, statement: str, *args: Any) -> None:
        if statement.startswith("BEGIN IMMEDIATE"):
            writes.append(statement)

    event.listen(db.engine, "before_cursor_execute", seen)
    try:
        assert bot.cmd("olly", "raise Gas hob").form is not None  # opens the form
        assert not bot.cmd("olly", "raise Gas hob --source nobody --hazard h --products p").ok
        assert not bot.submit("olly", {"form": "raise", "title": "t"}).ok  # a form error
        assert not bot.cmd("olly", 'raise "unclosed').ok
        assert writes == []
        raise_issue(bot)
        assert writes  # the change itself is one write transaction
    finally:
        event.remove(db.engine, "before_cursor_execute", seen)


# 8. Input hygiene, the same on both databases ------------------------------------------


@pytest.mark.parametrize(
    ("text", "named"),
    [
        ("\ud800", "U+D800 (a lone surrogate)"),
        ("\x00", "U+0000 (nul)"),
        ("\x1b[31m", "U+001B (esc)"),
        ("\u202e", "U+202E (right-to-left override)"),
    ],
)
def test_control_characters_are_refused_naming_the_field(
    any_db: Database, clock: ManualClock, text: str, named: str
) -> None:
    bot = Driver(seeded_engine(any_db, clock))
    before = row_counts(any_db)
    typed = bot.cmd("olly", f"raise Hob{text}")
    assert not typed.ok and named in typed.text and typed.text.startswith("Command:")
    form = {
        "form": "raise",
        "title": f"Gas hob{text}",
        "products": "p",
        "hazard": "h",
        "source": "business",
        "functional_area": "Gas and Electrical",
    }
    submitted = bot.submit("olly", form)
    assert not submitted.ok and submitted.errors == {"title": submitted.text}
    assert submitted.text.startswith("Title: remove the control character") and named in (
        submitted.text
    )
    assert row_counts(any_db) == before


def test_text_is_normalised_and_line_breaks_kept(bot: Driver, db: Database) -> None:
    form = {
        "form": "raise",
        "title": "Cafe\u0301 kettle",  # e + combining acute: stored as é
        "description": "line one\r\nline two\ttabbed",
        "products": "p",
        "hazard": "h",
        "source": "business",
        "functional_area": "Gas and Electrical",
    }
    ok(bot.submit("olly", form))
    with db.read() as s:
        issue = s.scalar(select(Issue))
        assert issue is not None and issue.title == "Café kettle"
        assert issue.description == "line one\nline two\ttabbed"


# 9. Idempotency keys belong to their user -------------------------------------------------


def test_anothers_idempotency_key_replays_nothing(bot: Driver, db: Database) -> None:
    ok(bot.cmd("olly", "list", key="same-key"))
    reply = bot.cmd("hana", "role grant olly imt", key="same-key")
    assert reply.ok and "already done" not in reply.text
    assert "already done" in bot.cmd("hana", "role grant olly imt", key="same-key").text


# 10. Operators are told --------------------------------------------------------------------


def test_without_an_imt_channel_the_raiser_is_told_and_nothing_waits_for_ever(
    db: Database, clock: ManualClock
) -> None:
    bot = Driver(seeded_engine(db, clock, imt_bound=False))
    reply = bot.submit(
        "olly",
        {
            "form": "raise",
            "title": "Hob",
            "products": "p",
            "hazard": "h",
            "source": "business",
            "functional_area": "Gas and Electrical",
        },
    )
    assert reply.ok and "IMT has NOT been told" in reply.text
    with db.read() as s:
        assert "imt" not in s.scalars(select(OutboxMessage.conversation)).all()
    slack = Settings(slack_bot_token="xoxb-1-2-abc", slack_signing_secret="s" * 32)
    assert "SLACK_IMT_CHANNEL" in [p.setting for p in problems(slack) if p.level == "warn"]


def test_the_start_up_line_names_only_what_is_served() -> None:
    from bot.__main__ import announce

    assert "local workspace" in announce(Settings())
    line = announce(Settings(local_workspace=False))
    assert "local workspace" not in line and "no surface" in line
    teams = announce(Settings(local_workspace=False, microsoft_app_id="5b8f6d7e-0000"))
    assert "Teams at /api/messages" in teams and "no surface" not in teams


# 11. Who may write --------------------------------------------------------------------------


def test_only_a_teams_people_submit_its_sitrep_update(bot: Driver, db: Database) -> None:
    declare(bot)
    update = {"form": "sitrep_update", "reference": INC, "team": "Gas and Electrical"}
    before = row_counts(db)
    # Sara (SCS) may read the incident but is not one of the team's people.
    refused = bot.submit("sara", update | {"situation": "x"})
    assert not refused.ok and refused.text.startswith("Only the team's FTL")
    assert not bot.submit("newcomer", update | {"situation": "x"}).ok
    assert row_counts(db)["sitrep_updates"] == before["sitrep_updates"]
    ok(bot.submit("fatima", update | {"situation": "On track"}))


def test_a_refused_stranger_leaves_no_person_behind(bot: Driver, db: Database) -> None:
    before = row_counts(db)
    reply = bot.cmd("mallory", "role grant mallory admin")
    assert not reply.ok
    after = row_counts(db)
    assert after["people"] == before["people"] and after["identities"] == before["identities"]
    audits = refused_audits(db)
    assert [(a.actor_id, a.actor_name) for a in audits] == [(None, "local:mallory")]


def test_a_refusal_is_never_a_form_error(bot: Driver, db: Database) -> None:
    ref = raise_issue(bot)
    reply = bot.submit("olly", {"form": "assess", "reference": ref, "public_safety": "bogus"})
    assert not reply.ok and reply.text.startswith("Only IMT, the FTL for Gas and Electrical")
    assert reply.errors == {} and reply.form is None
    assert len(refused_audits(db)) == 1
