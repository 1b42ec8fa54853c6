"""Statuses and stages are enums, compared as enums, never as string literals.

A status column loads as a member of its enum (``storage/models.py``). A comparison such as
``incident.status == "closed"`` still works, because the members are strings, so a typo in
it (``"close"``) is silently never true; ``incident.status is Status.CLOSED`` cannot be
misspelt. The scan reads every module of commands/ and bot/ with ``ast`` and names each
comparison of a status or stage with a string literal, including ``in ("a", "b")``, SQL's
``.in_([...])`` and ``getattr(x, "status") == ...``.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest
from sqlalchemy import Enum, inspect, select, text
from sqlalchemy.exc import StatementError

from commands.core.clock import ManualClock
from commands.core.context import Request
from rules.action_chasing import ActionStatus
from rules.lifecycle import Stage
from storage import models
from storage.unit_of_work import Database
from tests.conftest import seeded_engine

ROOT = Path(__file__).resolve().parents[2]
SCANNED = ("commands", "bot")


def _named(name: str) -> bool:
    return name in {"status", "stage", "stage_before_parking"} or name.endswith(
        ("_status", "_stage")
    )


def _is_status(node: ast.AST) -> bool:
    """Reads a status or stage: ``x.status``, ``stage``, ``getattr(x, "status")``."""
    if isinstance(node, ast.Attribute):
        return _named(node.attr)
    if isinstance(node, ast.Name):
        return _named(node.id)
    if isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id == "getattr":
        name = node.args[1] if len(node.args) > 1 else None
        return isinstance(name, ast.Constant) and isinstance(name.value, str) and _named(name.value)
    return False


def _has_text(node: ast.AST) -> bool:
    """A string literal, or a tuple, list or set holding one."""
    if isinstance(node, ast.Constant):
        return isinstance(node.value, str)
    if isinstance(node, ast.Tuple | ast.List | ast.Set):
        return any(_has_text(element) for element in node.elts)
    return False


def literal_comparisons(source: str, filename: str = "<source>") -> list[str]:
    """``file:line: code`` for each comparison of a status or stage with a string literal."""
    found: list[tuple[int, str]] = []
    for node in ast.walk(ast.parse(source, filename=filename)):
        if isinstance(node, ast.Compare):
            operands = [node.left, *node.comparators]
            hit = any(_is_status(o) for o in operands) and any(_has_text(o) for o in operands)
        elif (
            isinstance(node, ast.Call)
            and isinstance(node.func, ast.Attribute)
            and node.func.attr in {"in_", "not_in", "notin_"}
        ):
            hit = _is_status(node.func.value) and any(_has_text(a) for a in node.args)
        else:
            continue
        if hit:
            found.append((node.lineno, f"{filename}:{node.lineno}: {ast.unparse(node)}"))
    return [text for _, text in sorted(found)]


def test_the_scan_finds_a_literal_and_passes_an_enum() -> None:
    flagged = literal_comparisons(
        "a = incident.status == 'closed'\n"
        "b = 'done' != row.status\n"
        "c = issue.stage in ('raised', 'cam')\n"
        "d = select(Action).where(Action.status.in_(['open']))\n"
        "e = getattr(fire, 'status', '') == 'late'\n"
        "f = stage_before_parking == 'monitoring'\n"
    )
    assert [line.split(":")[1] for line in flagged] == ["1", "2", "3", "4", "5", "6"]
    assert not literal_comparisons(
        "a = incident.status is Status.CLOSED\n"
        "b = row.status != ActionStatus.DONE\n"
        "c = issue.stage in {Stage.RAISED, Stage.CAM}\n"
        "d = response.status == 200\n"
        "e = row.kind == 'reminder'\n"
    )


def test_commands_and_bot_compare_statuses_and_stages_as_enums() -> None:
    found = []
    for package in SCANNED:
        for path in sorted((ROOT / package).rglob("*.py")):
            found += literal_comparisons(path.read_text(), str(path.relative_to(ROOT)))
    assert not found, "compare with the enum's member instead:\n" + "\n".join(found)


# Sorted: the registry's mappers are a set, and each pytest-xdist worker must collect the
# same tests in the same order.
STATUS_COLUMNS = sorted(
    (mapper.class_.__name__, column.key)
    for mapper in models.Base.registry.mappers
    for column in mapper.columns
    if _named(column.key)
)


@pytest.mark.parametrize(("model", "column"), STATUS_COLUMNS)
def test_every_status_and_stage_column_is_an_enum_stored_as_its_values(
    model: str, column: str
) -> None:
    """Typed, yet stored as the same strings as before: no migration, no data change."""
    col = inspect(getattr(models, model)).columns[column]
    assert isinstance(col.type, Enum), f"{model}.{column} is {col.type!r}, not an enum"
    assert not col.type.native_enum and not col.type.create_constraint
    assert col.type.enums == [member.value for member in col.type.enum_class]


def test_a_status_set_as_text_is_held_as_its_member_and_a_stranger_is_refused() -> None:
    action = models.Action(status="done")
    assert action.status is ActionStatus.DONE
    issue = models.Issue()
    issue.stage_before_parking = "monitoring"  # as a seed would
    assert issue.stage_before_parking is Stage.MONITORING
    with pytest.raises(ValueError, match="'finished' is not a valid ActionStatus"):
        action.status = "finished"


def test_the_database_holds_the_same_strings_and_rows_read_back_as_members(
    any_db: Database, clock: ManualClock
) -> None:
    engine = seeded_engine(any_db, clock)
    reply = engine.handle(
        Request(
            "local",
            "officer",
            "general",
            'raise "Hob" --products "Hob model" --hazard "Gas escape" --source public '
            '--area "Gas and Electrical"',
        )
    )
    assert reply.ok, reply.text
    with any_db.engine.begin() as conn:
        assert conn.execute(text("select stage from issues")).scalar() == "raised"
        assert conn.execute(text("select status from outbox")).scalars().all()
        assert set(conn.execute(text("select status from outbox")).scalars()) == {"pending"}
        # A row as an older release wrote it, by SQL.
        conn.execute(text("update issues set stage = 'cam', stage_before_parking = NULL"))
    with any_db.read() as s:
        issue = s.scalars(select(models.Issue)).one()
        assert issue.stage is Stage.CAM and issue.stage_before_parking is None
        statuses = s.scalars(select(models.OutboxMessage.status)).all()
        assert statuses and all(status is models.OutboxStatus.PENDING for status in statuses)
        # A query's literal is bound through the enum too: a stranger is refused, not missed.
        with pytest.raises(StatementError, match="'close' is not among the defined enum"):
            s.scalar(select(models.Incident).where(models.Incident.status == "close"))
