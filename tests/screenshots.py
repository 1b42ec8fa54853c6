"""Screenshots of the local workspace's main screens, at desktop width and at 420 px.

    ./dev screenshots          (or: .venv/bin/python -m tests.screenshots [folder])

writes them to ``docs/screenshots/`` (linked from the README). The bot runs on a loopback port
with its clock held at Monday 23 Nov 2026 09:30 London; headless Debian Chromium walks a
newcomer's first minutes: the welcome, help, the demo's incident channel, a sitrep update
form, the collated sitrep and a notification's card with its buttons; then the
management-information dashboard, over records made for it.
``tests/workspace/test_screens.py`` runs the same walk into a temporary folder, so a change
that breaks it fails the tests.
"""

from __future__ import annotations

import sys
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

from bot.config import Settings
from commands.core.clock import ManualClock
from tests.conftest import START
from tests.fakes import mi_world
from tests.fakes.browser import Person, browser_page
from tests.fakes.server import running

ROOT = Path(__file__).resolve().parents[1]
FOLDER = ROOT / "docs" / "screenshots"
WIDTHS = {"desktop": (1280, 800), "narrow": (420, 860)}
INC = "INC-2026-001"


# What runs past the right edge of the window: the page itself, the header's controls, or a
# line of text too long for its box (a long unbroken title).
CUT_OFF = """width => {
  const out = [];
  if (document.documentElement.scrollWidth > width) out.push("the page scrolls sideways");
  for (const el of document.querySelectorAll("header *, #channel-head *, #messages *, nav li")) {
    const r = el.getBoundingClientRect();
    if (r.width && r.right > width + 1) out.push(el.tagName + "#" + el.id + " " + el.className);
    if (el.scrollWidth > el.clientWidth + 1 && getComputedStyle(el).overflowX === "visible"
        && el.clientWidth) out.push("overflowing text in " + el.tagName + " " + el.className);
  }
  return out.slice(0, 5).join("; ");
}"""


def take(folder: Path) -> list[Path]:
    """Walk the screens and save each at every width; returns the files written."""
    folder.mkdir(parents=True, exist_ok=True)
    written: list[Path] = []
    with tempfile.TemporaryDirectory() as tmp:
        settings = Settings(
            database_url=f"sqlite:///{Path(tmp) / 'screens.sqlite3'}",
            local_workspace=True,
            outbox_pace_seconds=0,
        )
        with running(settings, ManualClock(START)) as (url, _bot), browser_page(url) as page:

            def shoot(name: str, focus: Callable[[], Any] | None = None) -> None:
                for label, (width, height) in WIDTHS.items():
                    page.set_viewport_size({"width": width, "height": height})
                    if focus is not None:  # its top at the top of the messages
                        focus().evaluate("e => e.scrollIntoView({block: 'start'})")
                    page.wait_for_timeout(150)  # let the renderer lay out after a resize
                    cut = page.evaluate(CUT_OFF, width)
                    if cut:
                        raise AssertionError(f"{name} at {width} px: cut off at the edge: {cut}")
                    path = folder / f"{name}-{label}.png"
                    page.screenshot(path=str(path))
                    written.append(path)

            guest = Person(page, "guest")
            guest.expect(page.locator('[data-testid="welcome"]')).to_be_visible()
            shoot("1-welcome")

            guest.type("/opss help")
            guest.says("OPSS incident bot commands")
            shoot("2-help", lambda: page.locator('[data-testid="ephemeral"]').last)

            hana = Person(page, "hana")
            hana.type("/opss demo")
            hana.says("Demo ready")
            page.locator("#channels button", has_text="exercise-inc-2026-001").click()
            messages = page.locator('[data-testid="message"]')
            hana.expect(messages.filter(has_text="Decision log")).to_have_count(1)
            shoot("3-incident-channel", lambda: messages.filter(has_text="Decision log").first)

            prompt = messages.filter(has_text="Sitrep updates due")
            next_event_until(page, prompt)
            prompt.first.get_by_role("button", name="Submit update").click()
            hana.form_open("Sitrep update")
            hana.field("team").locator("select").select_option("Gas and Electrical")
            hana.field("situation").locator("textarea").fill(
                "Testing of batch 7 is 40% done; two joints failed so far."
            )
            hana.field("next_steps").locator("textarea").fill(
                "Finish testing by Wednesday\nDraft a recall notice with the importer"
            )
            shoot("4-sitrep-update-form")
            hana.submit_form("Submit update")
            hana.says("update for the")

            draft = messages.filter(has_text="collated for IMT to approve")
            next_event_until(page, draft)
            shoot("5-collated-sitrep", lambda: draft.first)

            # A card with five buttons (they wrap at 420 px), and the reply below the post.
            hana.type(f"/opss notify {INC} reg33_4 --trigger 2026-11-23")
            hana.says("NOT-2026-0001 recorded")
            card = messages.filter(has_text="NOT-2026-0001 · Reg 33(4)").last
            shoot("7-notification-card", lambda: card.locator(".ac-actionSet"))
    return written


# The dashboard's own check: nothing past the edge but what scrolls in its own box (a table).
MI_CUT_OFF = """width => {
  const out = [];
  if (document.documentElement.scrollWidth > width) out.push("the page scrolls sideways");
  for (const el of document.querySelectorAll("header *, #mi-main *")) {
    if (el.closest(".table-wrap")) continue;
    const r = el.getBoundingClientRect();
    if (r.width && r.right > width + 1) out.push(el.tagName + "#" + el.id + " " + el.className);
  }
  return out.slice(0, 5).join("; ");
}"""


def take_mi(folder: Path) -> list[Path]:
    """The management-information dashboard over the records of ``tests/fakes/mi_world.py``,
    as the Head of IMT sees it, EXERCISE records included (marked), at every width."""
    folder.mkdir(parents=True, exist_ok=True)
    written: list[Path] = []
    with (
        tempfile.TemporaryDirectory() as tmp,
        mi_world.served(Path(tmp)) as (url, _bot),
        browser_page(url) as page,
    ):
        for label, (width, height) in WIDTHS.items():
            page.set_viewport_size({"width": width, "height": height})
            page.goto(f"{url}/mi?user=hana&exercises=1")
            page.wait_for_selector("body[data-loaded]")
            page.wait_for_function(
                "() => [...document.querySelectorAll('canvas[data-panel]')]"
                ".every(c => Chart.getChart(c))"
            )
            page.wait_for_timeout(150)
            cut = page.evaluate(MI_CUT_OFF, width)
            if cut:
                raise AssertionError(f"the dashboard at {width} px: cut off at the edge: {cut}")
            path = folder / f"6-mi-dashboard-{label}.png"
            page.screenshot(path=str(path), full_page=True)
            written.append(path)
    return written


def next_event_until(page: Any, wanted: Any, most: int = 8) -> None:
    """Press *Next event* until ``wanted`` shows (each press waits for the page to catch up)."""
    from playwright.sync_api import TimeoutError as Timeout

    for _ in range(most):
        before = page.locator("#clock").inner_text()
        page.get_by_role("button", name="Next event").click()
        page.wait_for_function(
            "before => document.querySelector('#clock').innerText !== before", arg=before
        )
        try:
            wanted.first.wait_for(timeout=2500)
            return
        except Timeout:
            continue
    raise AssertionError(f"not shown after {most} presses of Next event")


if __name__ == "__main__":
    target = Path(sys.argv[1]) if len(sys.argv) > 1 else FOLDER
    for written_path in [*take(target), *take_mi(target)]:
        print(written_path.relative_to(ROOT) if written_path.is_relative_to(ROOT) else written_path)
