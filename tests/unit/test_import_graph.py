"""The project's own packages import each other without a cycle.

Every import counts, wherever it is placed: at the top, inside a function, or under
``TYPE_CHECKING``. An import moved into a function hides a cycle from Python at load time
but not from a reader, so it fails here too. A failure names each cycle it finds.
"""

from __future__ import annotations

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
PACKAGES = ("commands", "rules", "storage", "cards", "bot")


def module_name(path: Path) -> str:
    parts = list(path.relative_to(ROOT).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def modules() -> dict[str, Path]:
    found: dict[str, Path] = {}
    for package in PACKAGES:
        for path in sorted((ROOT / package).rglob("*.py")):
            found[module_name(path)] = path
    return found


def imported(path: Path, name: str, known: dict[str, Path]) -> set[str]:
    """The project modules that the module ``name`` at ``path`` imports."""
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    targets: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(), filename=str(path))):
        if isinstance(node, ast.Import):
            targets.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                anchor = package.split(".")
                anchor = anchor[: len(anchor) - (node.level - 1)]
                base = ".".join([*anchor, base] if base else anchor)
            for alias in node.names:
                submodule = f"{base}.{alias.name}"
                targets.add(submodule if submodule in known else base)
    return {target for target in targets if target in known and target != name}


def graph() -> dict[str, set[str]]:
    known = modules()
    return {name: imported(path, name, known) for name, path in known.items()}


def cycles(edges: dict[str, set[str]]) -> list[list[str]]:
    """The strongly connected components of more than one module (Tarjan), sorted."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []

    def visit(node: str) -> None:
        index[node] = low[node] = len(index)
        stack.append(node)
        on_stack.add(node)
        for target in sorted(edges[node]):
            if target not in index:
                visit(target)
                low[node] = min(low[node], low[target])
            elif target in on_stack:
                low[node] = min(low[node], index[target])
        if low[node] == index[node]:
            component = []
            while True:
                member = stack.pop()
                on_stack.discard(member)
                component.append(member)
                if member == node:
                    break
            if len(component) > 1:
                found.append(sorted(component))

    for node in sorted(edges):
        if node not in index:
            visit(node)
    return sorted(found)


def one_loop(component: list[str], edges: dict[str, set[str]]) -> list[str]:
    """One concrete path around a cycle, to show in the failure."""
    members = set(component)
    start = component[0]
    path = [start]
    seen = {start}
    node = start
    while True:
        nexts = sorted(edges[node] & members)
        if start in nexts and len(path) > 1:
            return [*path, start]
        unvisited = [target for target in nexts if target not in seen]
        if not unvisited:
            target = nexts[0]
            return [*path[path.index(target) :], target] if target in path else [*path, target]
        node = unvisited[0]
        path.append(node)
        seen.add(node)


def test_the_finder_sees_a_cycle() -> None:
    edges = {"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}
    assert cycles(edges) == [["a", "b", "c"]]
    assert one_loop(["a", "b", "c"], edges) == ["a", "b", "c", "a"]


def test_the_graph_reads_every_kind_of_import() -> None:
    edges = graph()
    assert "storage.models" in edges["storage.repositories"]
    assert "commands.core.context" in edges["commands.core.engine"]


def test_no_import_cycle_in_the_project() -> None:
    edges = graph()
    found = cycles(edges)
    report = "\n".join(
        f"{len(component)} modules: {', '.join(component)}\n"
        f"  e.g. {' -> '.join(one_loop(component, edges))}"
        for component in found
    )
    assert not found, f"import cycles:\n{report}"


CONCEPTS = {
    "commands.action",
    "commands.admin",
    "commands.conference",
    "commands.decision",
    "commands.incident",
    "commands.issue",
    "commands.notification",
    "commands.overview",
    "commands.records",
    "commands.rhythm",
    "commands.sitrep",
}
ASSEMBLIES = {"commands.core.engine", "commands.core.due"}  # where the concepts are listed


def concepts_imported(name: str, edges: dict[str, set[str]]) -> set[str]:
    return {t for t in edges[name] if any(t == c or t.startswith(c + ".") for c in CONCEPTS)}


def test_the_frame_and_the_tick_import_no_concept() -> None:
    """Concepts build on core/ and the tick's framework, never the other way round; only the
    two assemblies list the concepts (every verb, every due source)."""
    edges = graph()
    frame = [n for n in edges if n.startswith("commands.core.") and n not in ASSEMBLIES]
    assert frame, "commands/core/ holds no module"
    wrong = {n: concepts_imported(n, edges) for n in [*frame, "commands.schedule"]}
    assert not {n: found for n, found in wrong.items() if found}
    assert concepts_imported("commands.core.due", edges)  # the sources are listed there
