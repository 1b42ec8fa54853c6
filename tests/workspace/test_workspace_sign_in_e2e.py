"""Password sign-in in headless Chromium: no page content without a secret, and once signed
in the server, not the page, says who you are."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from bot.config import Settings
from bot.workspace.sign_in import set_secret
from commands.core.clock import ManualClock
from tests.conftest import START
from tests.fakes.browser import browser_page, missing_browser
from tests.fakes.server import running

pytestmark = pytest.mark.browser
SHOTS = Path("/tmp/opss-shots")


@pytest.fixture
def signed_workspace(tmp_path: Path) -> Iterator[str]:
    missing_browser()
    seed = tmp_path / "people.toml"
    seed.write_text(
        '[[people]]\nname = "olly"\ndisplay_name = "Olly Reed"\nroles = []\n'
        '[[people]]\nname = "hana"\ndisplay_name = "Hana Patel"\nroles = ["admin"]\n'
    )
    settings = Settings(
        database_url=f"sqlite:///{tmp_path / 'signed.sqlite3'}",
        local_workspace=True,
        workspace_sign_in="password",
        seed_file=seed,
        outbox_pace_seconds=0,
    )
    with running(settings, ManualClock(START)) as (url, bot):
        set_secret(bot.db, "olly", "correct horse battery", START)
        yield url


def test_sign_in_in_the_browser(signed_workspace: str) -> None:
    from playwright.sync_api import expect

    with browser_page(signed_workspace) as page:
        page.goto(f"{signed_workspace}/?user=hana")  # naming a user does nothing here
        dialog = page.locator("dialog#sign-in[open]")
        expect(dialog).to_be_visible()
        expect(page.locator("#channels button")).to_have_count(0)
        SHOTS.mkdir(exist_ok=True)
        page.screenshot(path=str(SHOTS / "sign-in.png"))
        dialog.locator("input[name=name]").fill("olly")
        dialog.locator("input[name=secret]").fill("not the secret")
        dialog.get_by_role("button", name="Sign in").click()
        expect(dialog.locator(".sign-in-error")).to_contain_text("do not match")
        dialog.locator("input[name=secret]").fill("correct horse battery")
        dialog.get_by_role("button", name="Sign in").click()
        expect(page.locator("#channels button").first).to_be_visible()
        expect(page.locator("#user")).to_have_value("olly")
        expect(page.locator("#user")).to_be_disabled()
        page.fill("#command", "/opss role grant olly admin")
        page.press("#command", "Enter")
        reply = page.locator('[data-testid="ephemeral"]').last
        expect(reply).to_contain_text("Only a bot administrator may grant roles")
        page.screenshot(path=str(SHOTS / "signed-in.png"))
        page.get_by_role("button", name="Sign out").click()
        expect(page.locator("dialog#sign-in[open]")).to_be_visible()
        expect(page.locator("#channels button")).to_have_count(0)
