"""The battle rhythm and a sitrep cycle in the local workspace, in headless Chromium:
declare, fast-forward, see the meeting reminder, submit two of three teams' updates,
fast-forward past the cut-off, approve, and see the published sitrep naming the missing team.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from bot.config import Settings
from commands.core.clock import ManualClock
from tests.conftest import START, Driver
from tests.fakes.browser import Person, browser_page, missing_browser
from tests.fakes.server import running
from tests.fakes.steps import declare
from tests.fakes.workspace import _channels

pytestmark = pytest.mark.browser
INC = "INC-2026-001"
TEAMS = "Gas and Electrical, Toys and Childcare, Product Safety"


@pytest.fixture
def declared(tmp_path: Path) -> Iterator[str]:
    missing_browser()
    settings = Settings(
        database_url=f"sqlite:///{tmp_path / 'ws.sqlite3'}",
        local_workspace=True,
        outbox_pace_seconds=0,
    )
    clock = ManualClock(START)  # Monday 23 Nov 2026 09:30 GMT
    with running(settings, clock) as (url, bot):
        general = next(iter(_channels(bot)))
        declare(Driver(bot.engine, channel=general))  # the ladder is tested elsewhere
        bot.outbox.kick()
        yield url


@pytest.fixture
def page(declared: str) -> Iterator[object]:
    with browser_page(declared) as opened:
        yield opened


def test_reminder_updates_cutoff_and_published_sitrep(page) -> None:  # type: ignore[no-untyped-def]
    hana = Person(page, "hana")  # Head of IMT, who declared: a member of the channel
    hana.type(f'/opss sitrep {INC} set --teams "{TEAMS}"')
    hana.says("teams: Gas and Electrical, Toys and Childcare, Product Safety")
    page.locator("#channels button", has_text="inc-2026-001").click()
    messages = page.locator('[data-testid="message"]')

    page.get_by_role("button", name="+30 min").click()  # 10:00: TCG (10:30) reminder due
    hana.expect(page.locator("#clock")).to_contain_text("10:00")
    reminder = messages.filter(has_text="Reminder: TCG")
    hana.expect(reminder).to_have_count(1)
    hana.expect(reminder).to_contain_text("Actions review")  # the agenda

    for _ in range(2):  # 14:00: the sitrep prompt
        page.get_by_role("button", name="+2 h").click()
    prompt = messages.filter(has_text="Sitrep updates due by Mon 23 Nov 2026 16:00")
    hana.expect(prompt).to_have_count(1)
    for team, situation in (
        ("Gas and Electrical", "Testing 40% done"),
        ("Toys and Childcare", "No child products affected"),
    ):
        prompt.get_by_role("button", name="Submit update").click()
        hana.form_open("Sitrep update")
        hana.field("team").locator("select").select_option(team)
        hana.field("situation").locator("textarea").fill(situation)
        hana.submit_form("Submit update")
        hana.says(f"{team}'s update for the Mon 23 Nov 2026 16:00 GMT sitrep")

    page.get_by_role("button", name="+2 h").click()  # 16:00: the cut-off
    draft = messages.filter(has_text="SITREP 1 · INC-2026-001 · as at Mon 23 Nov 2026 16:00 GMT")
    hana.expect(draft.first).to_contain_text("Draft for IMT to approve")
    hana.expect(draft.first).to_contain_text("Testing 40% done")
    draft.first.get_by_role("button", name="Approve and publish").click()
    hana.says("SITREP 1 published")
    published = messages.filter(has_text="published by Hana Patel")
    hana.expect(published).to_have_count(1)
    hana.expect(published).to_contain_text("No update received from")
    hana.expect(published).to_contain_text("Product Safety")
    hana.expect(published).to_contain_text("No child products affected")


@pytest.fixture
def fresh(tmp_path: Path) -> Iterator[str]:
    missing_browser()
    settings = Settings(
        database_url=f"sqlite:///{tmp_path / 'fresh.sqlite3'}",
        local_workspace=True,
        outbox_pace_seconds=0,
    )
    with running(settings, ManualClock(START)) as (url, _bot):
        yield url


def test_a_newcomer_runs_the_demo_and_jumps_to_the_next_event(fresh: str) -> None:
    with browser_page(fresh) as page:
        hana = Person(page, "hana")
        hana.type("/opss demo")
        hana.says("Demo ready: EXERCISE incident INC-2026-001")
        page.locator("#channels button", has_text="exercise-inc-2026-001").click()
        messages = page.locator('[data-testid="message"]')
        hana.expect(messages.first).to_contain_text("EXERCISE")
        page.get_by_role("button", name="Next event").click()
        hana.says("Clock moved forward to Mon 23 Nov 2026 10:00")
        hana.expect(messages.filter(has_text="Reminder: TCG")).to_have_count(1)
