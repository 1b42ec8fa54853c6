"""Accessibility (WCAG 2.2 AA, as the Public Sector Bodies Accessibility Regulations 2018 ask):
axe-core run in headless Chromium over the workspace, its sign-in pages (a secret, and Entra
ID against the fake OpenID provider) and the management-information dashboard, at desktop
width and at 420 px. No serious or critical violation may remain. (The dashboard's filters by
keyboard alone: ``test_mi_e2e.py``.)"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from bot.config import Settings
from commands.core.clock import ManualClock
from storage import seed
from tests.conftest import PEOPLE, START
from tests.fakes import mi_world
from tests.fakes.axe import blocking, missing_axe
from tests.fakes.browser import Person, browser_page, missing_browser
from tests.fakes.fake_oidc import CLIENT_ID, CLIENT_SECRET, provider
from tests.fakes.server import free_port, running
from tests.fakes.workspace import store_secret

pytestmark = pytest.mark.browser

WIDTHS = ((1280, 800), (420, 860))
STRANGER = {"oid": "9e9e9e9e-2222-4a5b-9c3d-0000stranger", "name": "Sam Stranger", "upn": "s@x"}


@pytest.fixture(autouse=True)
def _tools() -> None:
    missing_browser()
    missing_axe()


def check(page: Any, where: str, found: list[str]) -> None:
    """axe over the page at each width; what it finds is kept for one failure at the end."""
    for width, height in WIDTHS:
        page.set_viewport_size({"width": width, "height": height})
        page.wait_for_timeout(150)
        found.append(blocking(page, f"{where} at {width} px"))


def test_the_workspace_has_no_serious_violations(tmp_path: Path) -> None:
    settings = Settings(
        database_url=f"sqlite:///{tmp_path / 'w.sqlite3'}",
        local_workspace=True,
        outbox_pace_seconds=0,
    )
    found: list[str] = []
    with running(settings, ManualClock(START)) as (url, _bot), browser_page(url) as page:
        hana = Person(page, "hana")
        page.locator('[data-testid="welcome"]').wait_for()
        check(page, "the welcome", found)
        hana.type("/opss help")
        hana.says("OPSS incident bot commands")
        check(page, "help", found)
        hana.type("/opss demo")
        hana.says("Demo ready")
        page.locator("#channels button", has_text="exercise-inc-2026-001").click()
        messages = page.locator('[data-testid="message"]')
        hana.expect(messages.filter(has_text="Decision log")).to_have_count(1)
        check(page, "an incident's channel with its cards", found)
        hana.type("/opss raise")
        hana.form_open("Raise")
        check(page, "the raise form", found)
        hana.submit_form("Raise issue")  # empty: every required field says what it wants
        page.locator("#form-host .ac-input").first.wait_for()
        check(page, "the raise form with its errors", found)
    assert not "".join(found), "".join(found)


def test_the_sign_in_with_a_secret_has_no_serious_violations(tmp_path: Path) -> None:
    settings = Settings(
        database_url=f"sqlite:///{tmp_path / 'w.sqlite3'}",
        local_workspace=True,
        workspace_sign_in="password",
        outbox_pace_seconds=0,
    )
    found: list[str] = []
    with running(settings, ManualClock(START)) as (url, bot), browser_page(url) as page:
        seed.apply(bot.db, PEOPLE, START)
        store_secret(bot.db, "hana", "a long enough secret")
        # The dashboard without a session: nothing but the sign-in, from the page and the API.
        page.goto(f"{url}/mi")
        dialog = page.locator("dialog#sign-in[open]")
        dialog.wait_for()
        assert page.request.get(f"{url}/api/mi").status == 401
        assert page.locator("canvas").count() == 0
        check(page, "the sign-in dialog", found)
        dialog.locator("input[name=name]").fill("hana")
        dialog.locator("input[name=secret]").fill("not the secret")
        dialog.get_by_role("button", name="Sign in").click()
        page.locator(".sign-in-error", has_text="do not match").wait_for()
        check(page, "the sign-in dialog, refused", found)
        dialog.locator("input[name=secret]").fill("a long enough secret")
        dialog.get_by_role("button", name="Sign in").click()
        page.wait_for_selector("body[data-loaded]")  # the dashboard, as the Head of IMT
        assert page.locator("#user").input_value() == "hana"
        check(page, "the dashboard, signed in", found)
        page.goto(f"{url}/")
        page.get_by_role("button", name="Sign out").wait_for()
        check(page, "the workspace, signed in", found)
    assert not "".join(found), "".join(found)


@pytest.fixture
def entra(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[tuple[str, Any, Any]]:
    """The bot in Entra ID mode, the fake provider on loopback (TLS with the test's CA)."""
    clock = ManualClock(START)
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    with provider(clock, f"{url}/auth/callback", tmp_path) as fake:
        monkeypatch.setenv("REQUESTS_CA_BUNDLE", str(fake.ca_file))
        settings = Settings(
            database_url=f"sqlite:///{tmp_path / 'entra.sqlite3'}",
            local_workspace=True,
            workspace_sign_in="oidc",
            oidc_issuer=fake.issuer,
            oidc_client_id=CLIENT_ID,
            oidc_client_secret=CLIENT_SECRET,
            public_url=url,
            outbox_pace_seconds=0,
        )
        with running(settings, clock, port=port) as (url, bot):
            seed.apply(bot.db, PEOPLE, START)
            yield url, bot, fake


def test_the_entra_sign_in_pages_have_no_serious_violations(
    entra: tuple[str, Any, Any],
) -> None:
    url, _bot, fake = entra
    found: list[str] = []
    with browser_page(url, ignore_https_errors=True, bypass_csp=True) as page:
        page.goto(f"{url}/")
        link = page.locator("dialog#sign-in[open] #sign-in-entra")
        link.wait_for()
        check(page, "the Entra sign-in dialog", found)
        page.goto(f"{url}/auth/callback?code=x&state=y")
        page.locator("h1", has_text="Sign-in failed").wait_for()
        check(page, "the sign-in failed page", found)
        fake.user = dict(STRANGER)
        page.goto(f"{url}/")
        page.locator("dialog#sign-in[open] #sign-in-entra").click()
        page.locator("h1", has_text="The incident bot does not know you yet").wait_for()
        check(page, "the page for someone unknown", found)
    assert not "".join(found), "".join(found)


def test_the_dashboard_has_no_serious_violations(tmp_path: Path) -> None:
    found: list[str] = []
    with mi_world.served(tmp_path) as (url, _bot), browser_page(url) as page:
        for query, where in (
            ("user=hana", "the dashboard"),
            ("user=hana&exercises=1&area=Gas+and+Electrical", "the dashboard with EXERCISES"),
        ):
            page.goto(f"{url}/mi?{query}")
            page.wait_for_selector("body[data-loaded]")
            page.wait_for_function(
                "() => [...document.querySelectorAll('canvas[data-panel]')]"
                ".every(c => Chart.getChart(c))"
            )
            check(page, where, found)
        page.goto(f"{url}/mi?user=olly")
        page.locator("#refused").wait_for()
        check(page, "the dashboard, refused", found)
        page.goto(f"{url}/mi?user=hana&period=never")
        page.locator("#refused", has_text="Period:").wait_for()
        check(page, "the dashboard, a bad filter", found)
    assert not "".join(found), "".join(found)
