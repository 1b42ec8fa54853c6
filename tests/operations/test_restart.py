"""A bot process killed with SIGKILL and started again: nothing acknowledged is lost, and
each due reminder is posted exactly once (late within the grace period, missed beyond)."""

from __future__ import annotations

import json
import urllib.request
from datetime import timedelta
from pathlib import Path

from sqlalchemy import select

from storage.models import Firing, Issue
from tests.conftest import START
from tests.fakes.processes import BotProcess, set_clock, wait_until
from tests.fakes.workspace import declared_in_workspace, messages


def test_sigkill_and_restart_loses_nothing_and_repeats_nothing(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'bot.sqlite3'}"
    db, general = declared_in_workspace(url)

    clock_file = tmp_path / "now"
    set_clock(clock_file, START + timedelta(minutes=30, seconds=30))  # TCG reminder due
    env = {
        "DATABASE_URL": url,
        "OPSS_CLOCK_FILE": str(clock_file),
        "OPSS_TICK_SECONDS": "0.2",
        "OPSS_OUTBOX_PACE_SECONDS": "0",
        "OPSS_OUTBOX_POLL_SECONDS": "0.1",
    }
    first = BotProcess(env, tmp_path / "first.log")
    try:
        wait_until(lambda: messages(db, "Reminder: TCG"), what="the TCG reminder")
        # An acknowledged command, then the process dies at once.
        body = json.dumps(
            {
                "user": "olly",
                "channel": general,
                "key": "k1",
                "text": 'raise "Kettle base sparks" --products K1 --hazard Fire '
                '--source public --area "Gas and Electrical"',
            }
        ).encode()
        request = urllib.request.Request(
            f"{first.url}/api/command",
            data=body,
            headers={"Content-Type": "application/json", "X-OPSS-Local": "1"},
        )
        with urllib.request.urlopen(request, timeout=10) as response:
            assert "Raised ISS-2026-0002" in json.loads(response.read())["text"]
    finally:
        first.kill()

    # While it is down: Tuesday's 08:15 bird-table reminder falls due; Monday's TCG reminder
    # was posted before the kill; Monday's sitrep prompt and chase become too old (missed).
    set_clock(clock_file, START + timedelta(hours=22, minutes=50))  # Tue 08:20
    second = BotProcess(env, tmp_path / "second.log")
    try:
        wait_until(lambda: messages(db, "Reminder: Bird table"), what="the bird table")
        wait_until(lambda: messages(db, "SITREP 1"), what="Monday's sitrep")
        wait_until(lambda: messages(db, "Kettle base sparks"), what="the raise's post")
    finally:
        second.stop()

    assert messages(db, "Reminder: TCG") == [
        "Reminder: TCG at Mon 23 Nov 2026 10:30 GMT (in 30 min)"
    ]
    assert messages(db, "Reminder: Bird table") == [
        "Reminder: Bird table at Tue 24 Nov 2026 08:30 GMT (in 10 min) (late)"
    ]
    assert len(messages(db, "SITREP 1 · INC-2026-001")) == 1
    assert len(messages(db, "Olly Reed raised ISS-2026-0002")) == 1  # where it was raised
    assert len(messages(db, "New potential issue ISS-2026-0002")) == 1  # and to IMT
    with db.read() as s:
        assert s.scalar(select(Issue).where(Issue.reference == "ISS-2026-0002")) is not None
        missed = s.scalars(select(Firing).where(Firing.status == "missed")).all()
    assert {f.step for f in missed} >= {"sitrep_prompt", "sitrep_chase"}
