"""The README's by-hand tour works as written: each of its lines, run as the named user."""

from __future__ import annotations

import re
from pathlib import Path

from bot.app import DEMO_PEOPLE
from bot.config import DEFAULT_AREAS
from commands.core.clock import ManualClock
from commands.core.context import Options
from commands.core.engine import Engine
from storage import seed
from storage.unit_of_work import Database
from tests.conftest import Driver

README = Path(__file__).resolve().parents[2] / "README.md"
MARKER = "<!-- tour:"


def tour() -> list[tuple[str, str]]:
    text = README.read_text(encoding="utf-8")
    after = text[text.index(MARKER) :].split("\n", 1)[1]
    block = re.match(r"\s*\n((?: {4}.+\n)+)", after)
    assert block is not None, "the tour's command block follows its marker"
    lines = [ln.strip() for ln in block.group(1).splitlines()]
    return [(user, command.strip()) for user, command in (ln.split(":", 1) for ln in lines)]


def test_the_readme_tour_declares_an_incident(db: Database, clock: ManualClock) -> None:
    seed.apply(db, seed.load(DEMO_PEOPLE), clock.now())
    bot = Driver(Engine(db, clock, Options(functional_areas=DEFAULT_AREAS)))
    steps = tour()
    assert len(steps) >= 10
    for user, command in steps:
        reply = bot.cmd(user, command)
        assert reply.ok and reply.form is None, f"{user}: {command}\n→ {reply.text}"
    status = bot.cmd("olly", "status INC-2026-001")
    assert status.ok and status.card is not None and "Declared incident" in status.card.plain
