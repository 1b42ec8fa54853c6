"""The operator is told the truth: /readyz says not ready while the database refuses writes
(a real full disk: a tiny tmpfs; the inbox's own file on it too), the checks refuse secrets
too short to be secrets and the pick-a-name workspace beside a chat platform, the workspace
answers for any loopback address it is bound to, and a client that dribbles its headers is
cut off within the bound."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from bot.checks import refusals
from bot.config import Settings
from commands.core.clock import ManualClock
from storage.inbox import inbox_path
from tests.conftest import START, row_counts
from tests.fakes.processes import ROOT, BotProcess, wait_until
from tests.fakes.server import call, running

# Readiness while writes are refused ---------------------------------------------------------


@pytest.fixture
def tiny_disk(tmp_path: Path) -> Iterator[Path]:
    """A 2 MB tmpfs of its own, so filling it fills nothing else (needs root)."""
    mount = tmp_path / "disk"
    mount.mkdir()
    done = subprocess.run(
        ["mount", "-t", "tmpfs", "-o", "size=2m", "tmpfs", str(mount)],
        capture_output=True,
        check=False,
    )
    if done.returncode != 0:
        pytest.skip(f"cannot mount a tmpfs here: {done.stderr.decode().strip()}")
    try:
        yield mount
    finally:
        subprocess.run(["umount", "-l", str(mount)], check=False)


def fill(disk: Path) -> Path:
    filler = disk / "filler"
    with open(filler, "wb", buffering=0) as f:
        try:
            while True:
                f.write(b"\0" * 4096)
        except OSError:
            pass  # ENOSPC: the disk is full
    return filler


def readyz(url: str) -> tuple[int, dict[str, object]]:
    status, body = call(url, "GET", "/readyz")
    return status, json.loads(body)


def test_readyz_is_not_ready_while_the_database_refuses_writes(tiny_disk: Path) -> None:
    settings = Settings(
        database_url=f"sqlite:///{tiny_disk / 'bot.sqlite3'}",
        local_workspace=True,
        outbox_pace_seconds=0,
    )
    with running(settings, ManualClock(START)) as (url, _bot):
        assert readyz(url) == (200, {"ready": True})
        filler = fill(tiny_disk)
        # Commands are refused by the full disk (no 5xx, and nothing stored) ...
        text = (
            'raise Hob leak --products P1 --hazard Fire --source public --area "Toys and Childcare"'
        )
        status, body = call(url, "POST", "/api/command", {"user": "hana", "text": text})
        assert status < 500 and not json.loads(body)["ok"], body
        # ... and readiness says so, so a load balancer sends traffic elsewhere.
        status, body = readyz(url)
        assert status == 503 and "refuses writes" in str(body["reason"]), body
        filler.unlink()
        assert readyz(url) == (200, {"ready": True})  # ready again once writes succeed
        assert row_counts(_bot.db)["issues"] == 0


def test_readyz_is_not_ready_while_the_inbox_refuses_writes(
    tiny_disk: Path, tmp_path: Path
) -> None:
    """Slack is answered only once its request is in the inbox, on SQLite a file of its own:
    that file on the full disk (the records on another) is not ready either."""
    records = tmp_path / "bot.sqlite3"
    inbox = inbox_path(f"sqlite:///{records}")
    assert inbox is not None
    inbox.symlink_to(tiny_disk / "inbox.sqlite3")  # SQLite follows it, -wal and all
    settings = Settings(
        database_url=f"sqlite:///{records}",
        slack_bot_token=TOKEN,
        slack_signing_secret=GOOD,
        slack_api_url="http://127.0.0.1:9/api/",  # never called: nothing is sent
        outbox_pace_seconds=0,
    )
    with running(settings, ManualClock(START)) as (url, _bot):
        assert readyz(url) == (200, {"ready": True})
        filler = fill(tiny_disk)
        status, body = readyz(url)
        assert status == 503 and "inbox database refuses writes" in str(body["reason"]), body
        filler.unlink()
        assert readyz(url) == (200, {"ready": True})


# Configuration checks ------------------------------------------------------------------------

TOKEN = "xoxb-1-2-abc"
GOOD = "8f742231b10e8888abcd99yyyzzz85a5"


@pytest.mark.parametrize(
    ("env", "setting"),
    [
        ({"slack_bot_token": TOKEN, "slack_signing_secret": "s"}, "SLACK_SIGNING_SECRET"),
        ({"slack_bot_token": TOKEN, "slack_signing_secret": GOOD[:31]}, "SLACK_SIGNING_SECRET"),
        ({"slack_bot_token": TOKEN, "slack_signing_secret": GOOD}, None),
    ],
)
def test_secrets_too_short_to_be_secrets_are_refused(env: dict[str, str], setting: str) -> None:
    refused = [p.setting for p in refusals(Settings(**env))]  # type: ignore[arg-type]
    if setting is None:
        assert refused == []
    else:
        assert setting in refused


def test_check_refuses_short_secrets_without_printing_them() -> None:
    env = {**os.environ, "SLACK_BOT_TOKEN": TOKEN, "SLACK_SIGNING_SECRET": "xyzzy"}
    done = subprocess.run(
        [sys.executable, "-m", "bot", "check"],
        env=env,
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=False,
    )
    out = done.stdout + done.stderr
    assert done.returncode != 0, out
    assert "SLACK_SIGNING_SECRET" in out
    assert "xyzzy" not in out


def test_the_pick_a_name_workspace_beside_a_chat_platform_is_refused() -> None:
    slack = {"slack_bot_token": TOKEN, "slack_signing_secret": GOOD, "local_workspace": True}
    assert "OPSS_LOCAL_WORKSPACE" in [p.setting for p in refusals(Settings(**slack))]
    teams = {"microsoft_app_id": "app", "microsoft_app_password": "p" * 40}
    teams |= {"microsoft_app_type": "MultiTenant", "local_workspace": True}
    assert "OPSS_LOCAL_WORKSPACE" in [p.setting for p in refusals(Settings(**teams))]
    signed = Settings(**slack, workspace_sign_in="password")
    assert "OPSS_LOCAL_WORKSPACE" not in [p.setting for p in refusals(signed)]


# The real process: its own loopback address, and a header deadline ---------------------------


def test_the_workspace_answers_its_own_loopback_address_and_cuts_slow_headers(
    tmp_path: Path,
) -> None:
    env = {
        "DATABASE_URL": f"sqlite:///{tmp_path / 'bot.sqlite3'}",
        "OPSS_HOST": "127.0.0.2",
        "OPSS_HEADER_TIMEOUT_SECONDS": "1",
    }
    bot = BotProcess(env, tmp_path / "bot.log", ready=False)
    url = f"http://127.0.0.2:{bot.port}"
    try:

        def ready() -> bool:
            try:
                return call(url, "GET", "/readyz")[0] == 200
            except OSError:
                return False

        wait_until(ready, 60, "the bot on 127.0.0.2")
        status, body = call(url, "GET", "/api/state?user=hana")
        assert status == 200, body
        status, _ = call(url, "GET", "/api/state?user=hana", headers={"Host": "evil.example"})
        assert status == 421  # other names are still refused (DNS rebinding)

        # Slow loris: half a request line and one header, then nothing.
        with socket.create_connection(("127.0.0.2", bot.port), timeout=10) as s:
            s.sendall(b"GET /healthz HTTP/1.1\r\nHost: 127.0.0.2\r\n")
            started = time.monotonic()
            s.settimeout(10)
            try:
                got = s.recv(1024)  # b"" once the server closes the connection
            except ConnectionResetError:
                got = b""
            took = time.monotonic() - started
        assert got == b"" and took < 5, (got, took)

        # A prompt client on a fresh connection is unaffected.
        with socket.create_connection(("127.0.0.2", bot.port), timeout=10) as s:
            s.sendall(b"GET /healthz HTTP/1.1\r\nHost: 127.0.0.2\r\nConnection: close\r\n\r\n")
            assert s.recv(1024).startswith(b"HTTP/1.1 200")
    finally:
        bot.stop()
