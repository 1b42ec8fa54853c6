"""A stranger learns nothing: someone the bot has never stored has no person id, and "nobody"
matches nobody. A bare comparison would match every unset column (a group with no chair,
``IS NULL`` in SQL), so every comparison of a person's id goes through ``storage.whose``;
a scan holds the code to that, and a stranger asking every read verb and App Home is shown
nothing that is somebody else's.
"""

from __future__ import annotations

import ast
import re
from pathlib import Path

import pytest
from sqlalchemy import select

from cards.model import Card
from commands.core.engine import Engine
from storage.models import IncidentGroup
from tests.conftest import Driver
from tests.fakes.steps import declare, ok, raise_issue

ROOT = Path(__file__).resolve().parents[2]
SCANNED = ("commands", "bot", "storage", "rules")
REFERENCE = re.compile(r"\b(ISS|INC|ACT|CC|NOT|DEC)-\d{4}-\d+")


def _person_id(node: ast.expr) -> bool:
    """``person.id``, ``ctx.person.id``, ``self.person.id``: a person's id, maybe None."""
    if not (isinstance(node, ast.Attribute) and node.attr == "id"):
        return False
    owner = node.value
    if isinstance(owner, ast.Name) and owner.id == "Person":
        return False  # the model's column, in a join: not somebody's id
    name = owner.attr if isinstance(owner, ast.Attribute) else getattr(owner, "id", "")
    return "person" in name.lower()


# A person just read from the database by name (never a stranger without an id).
STORED_ONLY = {"bot/workspace/sign_in.py"}


def bare_person_comparisons() -> list[str]:
    found: list[str] = []
    for top in SCANNED:
        for path in sorted((ROOT / top).rglob("*.py")):
            if path.name == "whose.py" or str(path.relative_to(ROOT)) in STORED_ONLY:
                continue
            tree = ast.parse(path.read_text(), str(path))
            for node in ast.walk(tree):
                if not isinstance(node, ast.Compare):
                    continue
                if not any(
                    isinstance(o, ast.Eq | ast.NotEq | ast.In | ast.NotIn) for o in node.ops
                ):
                    continue
                if any(_person_id(side) for side in (node.left, *node.comparators)):
                    found.append(f"{path.relative_to(ROOT)}:{node.lineno}")
    return found


def test_no_person_id_is_compared_bare() -> None:
    assert bare_person_comparisons() == [], "compare person ids with storage.whose"


def test_the_scan_sees_a_bare_comparison() -> None:
    tree = ast.parse("group.chair_id == ctx.person.id")
    compare = tree.body[0].value  # type: ignore[attr-defined]
    assert _person_id(compare.comparators[0])


# A stranger, never seen, asks -----------------------------------------------------------

READ_VERBS = [
    "list",
    "list --mine",
    "list --waiting",
    "list --incidents",
    "list --actions",
    "list --closed",
    "list --mine --closed",
    "list --incidents --closed",
    "list --actions --closed",
    "list --incidents --mine",
    "notifications",
    "notifications all",
]


def everything_shown(cards: list[Card]) -> str:
    return "\n".join(c.plain + " " + " ".join(a.command for a in c.actions) for c in cards)


@pytest.mark.parametrize("surface", ["local", "slack", "teams"])
def test_a_stranger_sees_nothing_of_anybodys(engine: Engine, surface: str) -> None:
    bot = Driver(engine)
    ref = raise_issue(bot)
    declare(bot)
    ok(bot.cmd("ian", "action INC-2026-001 Collect samples --owner olly --due 2026-12-03"))
    with engine.db.read() as s:  # the world has a group with no chair: the old trap
        chairless = s.scalars(select(IncidentGroup).where(IncidentGroup.chair_id.is_(None)))
        assert chairless.first() is not None

    # App Home reads without storing anyone: the stranger has no id at all.
    prefix = "stranger" if surface == "local" else "U0STRANGER"
    shown = everything_shown(engine.home(surface, prefix, "Stranger"))
    assert "chair" not in shown and not REFERENCE.search(shown), shown
    stranger = Driver(engine, surface=surface)
    for n, text in enumerate(READ_VERBS):
        who = f"{prefix}{n}"  # never seen before this request
        reply = stranger.cmd(who, text)
        seen = (reply.text or "") + (everything_shown([reply.card]) if reply.card else "")
        if text in ("list", "list --closed"):
            continue  # open and parked issues are shown to staff; incidents are not
        assert not REFERENCE.search(seen), (text, seen)
    for n, private in enumerate(("INC-2026-001", "ACT-2026-0001")):
        assert not stranger.cmd(f"{prefix}s{n}", f"status {private}").ok
    assert ref.startswith("ISS-")
