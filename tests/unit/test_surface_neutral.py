"""The core names no platform: no string in ``commands/`` or ``rules/`` is a platform's name
("slack", "teams", "msteams") or a key made from one ("slack:U123"): the core asks for "tell
this person" or "post in this conversation", and each surface's messenger and translator know
their platform. Prose may mention a platform (a message that explains why the demo clock is
fixed while Slack or Teams is configured); a value the program compares or keys on may not.
The allow-list names each exception and why it is not a platform.
"""

from __future__ import annotations

import ast
import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
PLATFORM = re.compile(r"\s*(slack|teams|msteams)(:.*)?\s*", re.IGNORECASE | re.DOTALL)

# (module, the literal): why it is surface-neutral.
ALLOWED = {
    # The plan's "contributing teams" of a sitrep (3.12), not the platform: the name of the
    # ``--teams`` option, of its field in the audit, and the message naming that field.
    ("commands/sitrep/sitreps.py", "teams"),
    ("commands/sitrep/sitreps.py", "Teams: name at least one contributing team."),
}


def _docstrings(tree: ast.AST) -> set[int]:
    ids: set[int] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Module | ast.ClassDef | ast.FunctionDef | ast.AsyncFunctionDef):
            body = node.body
            if body and isinstance(body[0], ast.Expr) and isinstance(body[0].value, ast.Constant):
                ids.add(id(body[0].value))
    return ids


def platform_literals() -> list[tuple[str, int, str]]:
    found = []
    for package in ("commands", "rules"):
        for path in sorted((ROOT / package).rglob("*.py")):
            tree = ast.parse(path.read_text(), filename=str(path))
            docs = _docstrings(tree)
            module = str(path.relative_to(ROOT))
            for node in ast.walk(tree):
                if (
                    isinstance(node, ast.Constant)
                    and isinstance(node.value, str)
                    and id(node) not in docs
                    and PLATFORM.fullmatch(node.value)
                    and (module, node.value) not in ALLOWED
                ):
                    found.append((module, node.lineno, node.value))
    return found


def test_the_core_names_no_platform() -> None:
    assert platform_literals() == []


def test_the_check_finds_a_platform_name() -> None:
    code = (
        '"""Slack is fine here."""\nDIRECT = {"slack", "teams"}\nKEY = "slack:U1"\nT = "In Slack"\n'
    )
    tree = ast.parse(code)
    docs = _docstrings(tree)
    literals = [
        n.value
        for n in ast.walk(tree)
        if isinstance(n, ast.Constant) and id(n) not in docs and PLATFORM.fullmatch(str(n.value))
    ]
    assert sorted(literals) == ["slack", "slack:U1", "teams"]
