"""Microsoft's own local Teams client, the M365 Agents Playground (npm, a development-only
dependency), drives the running bot; headless Chromium drives the Playground's page."""

from __future__ import annotations

import os
import re
import select
import subprocess
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

from bot.config import Settings
from commands.core.clock import ManualClock
from tests.conftest import START, missing
from tests.fakes.browser import CHROMIUM, browser_page
from tests.fakes.server import running

ROOT = Path(__file__).resolve().parents[2]
PLAYGROUND = ROOT / "node_modules" / ".bin" / "agentsplayground"
TIMEOUT = 15_000

pytestmark = pytest.mark.browser


# The Playground's user is "user-id-0" (Alex Wilber): here the FTL for Gas and Electrical.
ALEX_FTL = (
    '[[people]]\nname = "alex"\ndisplay_name = "Alex Wilber"\n'
    'roles = [{ role = "ftl", area = "Gas and Electrical" }]\n'
    'identities = { teams = "user-id-0" }\n'
)
# Alex as the Head of IMT, who may escalate an issue straight to an incident (2.3), having
# consulted a deputy director.
ALEX_HEAD_OF_IMT = (
    '[[people]]\nname = "alex"\ndisplay_name = "Alex Wilber"\n'
    'roles = ["head_of_imt"]\nidentities = { teams = "user-id-0" }\n'
    '[[people]]\nname = "david"\ndisplay_name = "David Osei"\n'
    'roles = [{ role = "deputy_director", area = "Targeting" }]\n'
)


@pytest.fixture
def playground(tmp_path: Path) -> Iterator[str]:
    with _playground(tmp_path, ALEX_FTL) as url:
        yield url


@pytest.fixture
def playground_head_of_imt(tmp_path: Path) -> Iterator[str]:
    with _playground(tmp_path, ALEX_HEAD_OF_IMT) as url:
        yield url


@contextmanager
def _playground(tmp_path: Path, people: str) -> Iterator[str]:
    if not CHROMIUM.exists():
        missing("Debian chromium is not installed at /usr/bin/chromium")
    if not PLAYGROUND.exists():
        missing("the M365 Agents Playground is not installed (run npm ci)")
    seed = tmp_path / "people.toml"
    seed.write_text(people)
    settings = Settings(
        database_url=f"sqlite:///{tmp_path / 'playground.sqlite3'}",
        seed_file=seed,
        local_workspace=False,
        teams_allow_unauthenticated=True,  # the Playground sends no token
        outbox_pace_seconds=0,
        outbox_poll_seconds=0.1,
    )
    with running(settings, ManualClock(START)) as (url, _bot):
        process = subprocess.Popen(
            [
                str(PLAYGROUND),
                "-e",
                f"{url}/api/messages",
                "-c",
                "msteams",
                "-p",
                "0",
                "--disable-telemetry",
            ],
            cwd=tmp_path,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            env={**os.environ, "BROWSER": "none", "NO_COLOR": "1"},
        )
        try:
            yield f"http://127.0.0.1:{_listening(process)}/"
        finally:
            process.terminate()
            process.wait(timeout=10)


def _listening(process: subprocess.Popen[bytes]) -> int:
    """The Playground prints ``Listening on PORT`` once it serves its page."""
    assert process.stdout is not None
    seen = b""
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        ready, _, _ = select.select([process.stdout], [], [], 30)
        line = process.stdout.readline() if ready else b""
        if not line:
            raise AssertionError(f"the Playground did not start: {seen.decode(errors='replace')}")
        seen += line
        found = re.search(rb"Listening on (\d+)", line)
        if found:
            return int(found.group(1))
    raise AssertionError(f"the Playground did not listen in 60 s: {seen.decode(errors='replace')}")


def test_raise_in_the_playground_fill_the_card_and_see_it_updated(
    playground: str, tmp_path: Path
) -> None:
    from playwright.sync_api import expect

    with browser_page(playground) as page:
        page.set_viewport_size({"width": 1280, "height": 900})
        page.goto(playground)
        box = page.locator('[data-lexical-editor="true"]')
        expect(page.get_by_text("OPSS incident bot: it carries").first).to_be_visible()
        box.click()
        box.type("opss raise Toaster sparks")
        page.keyboard.press("Enter")

        form = page.locator(".ac-adaptiveCard", has_text="Raise a potential issue").last
        expect(form).to_be_visible(timeout=TIMEOUT)
        expect(form.get_by_label("Title")).to_have_value("Toaster sparks")
        form.get_by_label("Product(s)").fill("Toaster T-100")
        form.get_by_label("Hazard").fill("Fire from the crumb tray")
        form.get_by_role("combobox", name="Source").click()
        page.get_by_role("option", name="Member of the public").click()
        form.get_by_role("combobox", name="Functional area").click()
        page.get_by_role("option", name="Gas and Electrical").click()
        page.screenshot(path=str(tmp_path / "filled.png"))
        form.get_by_role("button", name="Raise issue").click()

        # The form is replaced in place by the answer (Action.Execute), and the issue's card
        # follows in the chat.
        answer = page.locator(".ac-adaptiveCard", has_text="Raised ISS-2026-0001")
        expect(answer).to_be_visible(timeout=TIMEOUT)
        expect(page.locator(".ac-adaptiveCard", has_text="Raise a potential issue")).to_have_count(
            0
        )
        issue = page.locator(".ac-adaptiveCard", has_text="ISS-2026-0001 · Toaster sparks").last
        expect(issue).to_contain_text("Fire from the crumb tray")
        expect(issue.get_by_role("button", name="Assess impact")).to_be_visible()
        page.screenshot(path=str(tmp_path / "raised.png"))

        # Its button opens the impact assessment (the form replaces the card for Alex alone).
        issue.get_by_role("button", name="Assess impact").click()
        expect(page.locator(".ac-adaptiveCard", has_text="Impact assessment").last).to_be_visible(
            timeout=TIMEOUT
        )
        page.screenshot(path=str(tmp_path / "assess.png"))


def test_in_a_playground_channel_the_form_opens_in_the_personal_chat(playground: str) -> None:
    from playwright.sync_api import expect

    with browser_page(playground) as page:
        page.goto(playground)
        page.set_viewport_size({"width": 1280, "height": 900})
        expect(page.get_by_text("OPSS incident bot: it carries").first).to_be_visible()
        page.get_by_role("treeitem", name="My Team - General").click()
        expect(page.get_by_text("Start a new post")).to_be_visible()
        # The welcome said in the channel when the app was added, with its reply box.
        expect(page.get_by_text("OPSS incident bot: it carries").first).to_be_visible()
        box = page.locator('[data-lexical-editor="true"]').last
        box.click()
        box.type("@")
        # In a channel the bot hears only what mentions it.
        page.get_by_role("menuitem", name="Test Bot").click()
        box.type(" opss raise Kettle leaks")
        page.keyboard.press("Enter")
        expect(
            page.get_by_text("Alex Wilber: the form is in your chat with OPSS.").first
        ).to_be_visible(timeout=TIMEOUT)
        expect(page.locator(".ac-adaptiveCard")).to_have_count(0)  # no form in the channel
        page.get_by_role("treeitem", name="Personal Chat").click()
        form = page.locator(".ac-adaptiveCard", has_text="Raise a potential issue").last
        expect(form.get_by_label("Title")).to_have_value("Kettle leaks", timeout=TIMEOUT)


SHOTS = os.environ.get("OPSS_TEAMS_SHOTS")  # a folder: the screenshots kept for docs/


def test_in_the_playground_help_and_home_are_teams_shaped(playground: str, tmp_path: Path) -> None:
    """Help names commands as Teams types them; ``opss home`` is the personal view."""
    from playwright.sync_api import expect

    shots = Path(SHOTS) if SHOTS else tmp_path
    with browser_page(playground) as page:
        page.set_viewport_size({"width": 1280, "height": 1400})
        page.goto(playground)
        box = page.locator('[data-lexical-editor="true"]')
        expect(page.get_by_text("OPSS incident bot: it carries").first).to_be_visible()
        box.click()
        box.type("opss help")
        page.keyboard.press("Enter")
        card = page.locator(".ac-adaptiveCard", has_text="OPSS incident bot commands").last
        expect(card).to_contain_text("opss raise <title>", timeout=TIMEOUT)
        expect(card).not_to_contain_text("/opss")
        expect(card).not_to_contain_text("opss demo")
        box.click()
        box.type(
            "opss raise Toaster sparks --products T-100 --hazard Fire --source public "
            '--area "Gas and Electrical"'
        )
        page.keyboard.press("Enter")
        expect(page.get_by_text("Raised ISS-2026-0001").first).to_be_visible(timeout=TIMEOUT)
        box.click()
        box.type("opss home")
        page.keyboard.press("Enter")
        home = page.locator(".ac-adaptiveCard", has_text="Your OPSS overview").last
        expect(home).to_contain_text("Waiting on you", timeout=TIMEOUT)
        expect(home).to_contain_text("ISS-2026-0001")
        expect(home.get_by_role("button", name="ISS-2026-0001")).to_be_visible()
        home.scroll_into_view_if_needed()
        home.screenshot(path=str(shots / "teams-home.png"))  # docs/screenshots/, looked at


def test_in_the_playground_the_person_whose_issue_becomes_an_incident_is_told(
    playground_head_of_imt: str, tmp_path: Path
) -> None:
    """The Head of IMT escalates an issue straight to an incident (2.3); its raiser is told in
    their chat. The Playground edits no message (it answers an edit with a web page): the
    issue's card is left as it was, and what follows it in the chat still arrives. (It makes
    no channels either, so the incident's own conversation is not shown here.)"""
    from playwright.sync_api import expect

    shots = Path(SHOTS) if SHOTS else tmp_path
    with browser_page(playground_head_of_imt) as page:
        page.set_viewport_size({"width": 1280, "height": 1400})
        page.goto(playground_head_of_imt)
        box = page.locator('[data-lexical-editor="true"]')
        expect(page.get_by_text("OPSS incident bot: it carries").first).to_be_visible()
        box.click()
        box.type(
            "opss raise Toaster sparks --products T-100 --hazard Fire --source public "
            '--area "Gas and Electrical"'
        )
        page.keyboard.press("Enter")
        expect(page.get_by_text("Raised ISS-2026-0001").first).to_be_visible(timeout=TIMEOUT)
        expect(
            page.locator(".ac-adaptiveCard", has_text="ISS-2026-0001 · Toaster sparks")
        ).to_be_visible(timeout=TIMEOUT)
        box.click()
        box.type(
            "opss escalate ISS-2026-0001 incident --consulted david "
            '--rationale "Fatality reported overnight"'
        )
        page.keyboard.press("Enter")
        told = page.get_by_text(
            "Alex Wilber: your issue ISS-2026-0001 is now incident INC-2026-001"
        )
        expect(told.first).to_be_visible(timeout=TIMEOUT)
        expect(told.first).to_contain_text("having consulted David Osei (plan 2.3)")
        page.screenshot(path=str(shots / "teams-told.png"))
