"""Headless Debian Chromium on the workspace page, and a person using it."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from bot.workspace.routes import ADAPTIVECARDS_JS
from tests.conftest import ALL_INDICATORS, missing

REF = "ISS-2026-0001"

CHROMIUM = Path("/usr/bin/chromium")


TIMEOUT = 15_000
# What a person's last command told them: the posts it caused in this channel (between the
# reply before and this one) and its reply "only visible to you", as shown.
TOLD = """() => {
  const items = [...document.querySelectorAll('#messages > li')].filter(li => !li.hidden);
  let end = items.length - 1;
  while (end >= 0 && items[end].dataset.testid !== 'ephemeral') end--;
  if (end < 0) return '';
  let start = end - 1;
  while (start >= 0 && items[start].dataset.testid !== 'ephemeral') start--;
  return items.slice(start + 1, end + 1).map(li => li.innerText).join('\\n');
}"""


def missing_browser() -> None:
    if not CHROMIUM.exists():
        missing("Debian chromium is not installed at /usr/bin/chromium")
    if not ADAPTIVECARDS_JS.exists():
        missing("the adaptivecards npm package is not installed (run npm ci)")


@contextmanager
def browser_page(
    url: str, *, ignore_https_errors: bool = False, bypass_csp: bool = False
) -> Iterator[object]:
    """A headless Debian Chromium page opened on ``url`` (the flags this machine needs);
    ``ignore_https_errors`` when a test's own CA signs what it serves, ``bypass_csp`` when a
    test adds a script of its own (axe) to a page whose policy allows none (the browser is
    not what is under test there)."""
    from playwright.sync_api import expect, sync_playwright

    # Playwright's expect waits 5 s by default: too short with the suite's workers on two
    # cores; every wait here has the one bound.
    expect.set_options(timeout=TIMEOUT)

    with sync_playwright() as p:
        browser = p.chromium.launch(
            executable_path=str(CHROMIUM),
            args=[
                "--no-sandbox",
                "--disable-gpu",
                "--disable-background-networking",
                "--disable-component-update",
                "--disable-sync",
                "--no-first-run",
            ],
        )
        page = browser.new_page(ignore_https_errors=ignore_https_errors, bypass_csp=bypass_csp)
        page.set_default_timeout(TIMEOUT)
        page.base_url = url  # type: ignore[attr-defined]
        yield page
        browser.close()


class Person:
    """One person at the workspace page."""

    def __init__(self, page, name: str) -> None:  # type: ignore[no-untyped-def]
        from playwright.sync_api import expect

        self.page = page
        self.expect = expect
        page.goto(f"{page.base_url}/?user={name}")
        expect(page.locator("#channels button").first).to_be_visible()

    def type(self, command: str) -> None:
        self.page.fill("#command", command)
        self.page.press("#command", "Enter")

    def field(self, name: str):  # type: ignore[no-untyped-def]
        return self.page.locator(f'#form-host [id="{name}"]')

    def submit_form(self, label: str) -> None:
        self.page.locator("#form-host").get_by_role("button", name=label).click()

    def says(self, pattern: str) -> None:
        """The person is told ``pattern`` by their last command: in its reply, or in what
        it posted in this channel, shown just above the reply (which then says no more)."""
        from playwright.sync_api import TimeoutError as Timeout

        try:
            self.page.wait_for_function(
                f"([source]) => new RegExp(source).test(({TOLD})())", arg=[pattern]
            )
        except Timeout:
            told = self.page.evaluate(TOLD)
            raise AssertionError(f"not told {pattern!r}; told: {told[-2000:]!r}") from None

    def form_open(self, title: str) -> None:
        self.expect(self.page.locator("dialog[open] #form-host")).to_contain_text(title)

    def assess(self, level_index: int = 2) -> None:
        self.type(f"/opss assess {REF}")
        self.form_open("Impact assessment")
        for key in ALL_INDICATORS:
            self.field(key).locator("input[type=radio]").nth(level_index).check()
        self.submit_form("Record assessment")
        self.says(r"Impact assessment v\d+ for ISS-2026-0001: overall High")
