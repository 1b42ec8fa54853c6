"""axe-core (npm) in the page under test: the violations of WCAG 2.2 AA (and axe's best
practices) that it finds, serious and critical ones first, in words a failing test can show."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from tests.conftest import missing

AXE = Path(__file__).resolve().parents[2] / "node_modules" / "axe-core" / "axe.min.js"
# Every WCAG 2.0, 2.1 and 2.2 rule at levels A and AA, and axe's best practices.
TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22aa", "best-practice"]
BLOCKING = {"serious", "critical"}


def missing_axe() -> None:
    if not AXE.exists():
        missing("the axe-core npm package is not installed (run npm ci)")


def violations(page: Any, context: str | None = None) -> list[dict[str, Any]]:
    """What axe finds on the page as it is now (``context``: a selector to check alone)."""
    if not page.evaluate("() => typeof window.axe !== 'undefined'"):
        page.add_script_tag(path=str(AXE))
    found = page.evaluate(
        """async ([context, tags]) => {
          const result = await axe.run(context || document, {
            runOnly: { type: "tag", values: tags }, resultTypes: ["violations"] });
          return result.violations.map(v => ({ id: v.id, impact: v.impact, help: v.help,
            nodes: v.nodes.slice(0, 5).map(n => n.target.join(" ") + ": " + n.failureSummary) }));
        }""",
        [context, TAGS],
    )
    return list(found)


def blocking(page: Any, where: str, context: str | None = None) -> str:
    """The serious and critical violations, as a message ("" when there are none)."""
    bad = [v for v in violations(page, context) if v["impact"] in BLOCKING]
    return "".join(
        f"\n{where}: {v['id']} ({v['impact']}): {v['help']}\n    " + "\n    ".join(v["nodes"])
        for v in bad
    )
