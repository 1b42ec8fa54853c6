"""The README is the landing page and docs/ the reference: every link on them leads somewhere."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
PAGES = [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))]
LINK = re.compile(r"\]\(([^)\s]+)\)")
# A file of the repository named in code style, e.g. `tests/unit/test_docs.py`.
NAMED = re.compile(
    r"`((?:bot|commands|rules|storage|cards|tests|bench|deploy|docs|requirements)/[\w/.\-]+"
    r"\.(?:py|md|conf|toml|png|json|txt|sql|ttf|js|service|target|LICENSE))`"
)


def _anchors(page: Path) -> set[str]:
    """GitHub's anchors: a heading lowercased, punctuation dropped, spaces as hyphens."""
    found = set()
    for line in page.read_text(encoding="utf-8").splitlines():
        if line.startswith("#"):
            words = line.lstrip("#").strip().lower()
            found.add(re.sub(r"[^\w\- ]", "", words).replace(" ", "-"))
    return found


@pytest.mark.parametrize("page", PAGES, ids=lambda p: p.relative_to(ROOT).as_posix())
def test_every_link_leads_somewhere(page: Path) -> None:
    broken = []
    for target in LINK.findall(page.read_text(encoding="utf-8")):
        if re.match(r"^(https?:|mailto:)", target):
            continue
        path, _, anchor = target.partition("#")
        where = (page.parent / path).resolve() if path else page
        if not where.exists() or (
            anchor and where.suffix == ".md" and anchor not in _anchors(where)
        ):
            broken.append(target)
    assert broken == [], f"{page.name} links to nothing at {broken}"


@pytest.mark.parametrize("page", PAGES, ids=lambda p: p.relative_to(ROOT).as_posix())
def test_every_file_a_page_names_is_there(page: Path) -> None:
    gone = [
        path
        for path in NAMED.findall(page.read_text(encoding="utf-8"))
        if not (ROOT / path).exists()
    ]
    assert gone == [], f"{page.name} names files that are not in the repository: {gone}"


def test_the_readme_is_a_landing_page_that_links_every_reference_page() -> None:
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    assert len(readme.splitlines()) <= 250
    for page in PAGES[1:]:
        assert f"docs/{page.name}" in readme, f"the README does not link docs/{page.name}"
