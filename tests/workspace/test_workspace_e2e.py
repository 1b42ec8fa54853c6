"""The local workspace in headless Chromium: from a raised issue to a declared incident.

Drives the page as a person would: types commands, fills the Adaptive Card forms rendered by
Microsoft's renderer, switches user to try the plan's roles.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from bot.config import Settings
from commands.core.clock import ManualClock
from tests.conftest import START
from tests.fakes.browser import Person, browser_page, missing_browser
from tests.fakes.server import running

REF = "ISS-2026-0001"

pytestmark = pytest.mark.browser


@pytest.fixture
def workspace(tmp_path: Path) -> Iterator[str]:
    missing_browser()
    settings = Settings(
        database_url=f"sqlite:///{tmp_path / 'workspace.sqlite3'}",
        local_workspace=True,
        outbox_pace_seconds=0,
    )
    with running(settings, ManualClock(START)) as (url, _bot):
        yield url


@pytest.fixture
def page(workspace: str) -> Iterator[object]:
    with browser_page(workspace) as opened:
        yield opened


def test_raise_to_declared_incident_in_the_browser(page) -> None:  # type: ignore[no-untyped-def]
    olly = Person(page, "olly")
    olly.type("/opss raise Gas hob elbow joints leaking")
    olly.form_open("Raise a potential issue")
    assert olly.field("title").locator("input").input_value() == "Gas hob elbow joints leaking"
    olly.field("products").locator("input").fill("Elbow joint EJ-15, batch 7")
    olly.field("hazard").locator("textarea").fill("Gas escape leading to fire or explosion")
    olly.field("source").locator("select").select_option("business")
    olly.field("functional_area").locator("select").select_option("Gas and Electrical")
    olly.submit_form("Raise issue")
    olly.says("Raised ISS-2026-0001")
    channel_card = page.locator('[data-testid="message"]').filter(has_text=REF).last
    olly.expect(channel_card).to_contain_text("Potential incident (issue)")

    fatima = Person(page, "fatima")  # FTL for Gas and Electrical
    fatima.type(f"/opss escalate {REF}")
    fatima.says("No impact assessment has been recorded")
    fatima.assess()
    fatima.type(f"/opss escalate {REF}")
    fatima.says("escalated from Raised to FTL assessment")
    fatima.assess()
    fatima.type(f"/opss escalate {REF} cam")
    fatima.says("escalated from FTL assessment to CAM")

    ian = Person(page, "ian")  # IMT, who chair CAM
    ian.assess()
    # The issue's card in the channel is edited in place as it moves: one card, at CAM now.
    issue_card = page.locator('[data-testid="message"]').filter(
        has=page.get_by_role("button", name="NNC")
    )
    ian.expect(issue_card).to_have_count(1)
    ian.expect(issue_card).to_contain_text("▶ CAM")
    # Its NNC button opens the same form as the command.
    issue_card.get_by_role("button", name="NNC").click()
    ian.form_open("NNC criteria")
    ian.field("novel").locator("input[type=checkbox]").check()
    for key, why in (
        ("nationally_significant", "A few LAs affected so far"),
        ("novel", "Failure mode not seen before"),
        ("contentious", "Industry agrees on the fix"),
    ):
        ian.field(f"{key}_rationale").locator("textarea").fill(why)
    ian.submit_form("Record NNC")
    ian.says("criteria met: Novel")
    ian.type(f"/opss escalate {REF} ttg")
    ian.says("escalated from CAM to TTG")

    rachel = Person(page, "rachel")  # Deputy Chief Executive, Regulation: TTG's chair (2.12)
    rachel.assess()
    rachel.type(f"/opss escalate {REF} cam-ep --lead sara")
    rachel.says("escalated from TTG to CAM-EP")
    rachel.assess()

    olly = Person(page, "olly")
    olly.type(f"/opss conference {REF}")
    olly.says("Only a deputy director or higher; the Head of IMT in consultation with an SCS")

    david = Person(page, "david")
    david.type(f"/opss conference {REF}")
    david.form_open("Case conference")
    # Convened now (the workspace's clock): its outcome can be recorded once it has met.
    david.field("date").locator("input").fill("2026-11-23")
    david.field("time").locator("input").fill("09:30")
    david.field("agenda_background").locator("textarea").fill("Leaks reported by a retailer")
    david.field("agenda_recommendations").locator("textarea").fill("CAM-EP: consider declaring")
    david.submit_form("Call case conference")
    david.says("Case conference CC-2026-0001 on ISS-2026-0001 called for Mon 23 Nov 2026 09:30")

    ian = Person(page, "ian")
    ian.type("/opss outcome CC-2026-0001")
    ian.form_open("Outcome")
    ian.field("outcomes").get_by_label("Declare an incident").check()
    ian.field("rationale").locator("textarea").fill("Serious risk across many homes")
    ian.field("decided_by").locator("input").fill("David Osei (chair)")
    ian.submit_form("Record outcome")
    ian.says("Declare an incident. Recorded as DEC-2026-0001")

    hana = Person(page, "hana")  # Head of IMT declares
    hana.type(f"/opss declare {REF}")
    hana.form_open("Declare incident")
    # People are chosen from the people the bot knows, not typed.
    hana.field("scg_chair").locator("select").select_option("david")
    hana.field("invite").get_by_label("Sara Lind", exact=True).check()
    hana.submit_form("Declare incident")
    hana.says("declared as incident INC-2026-001")
    incident_channel = page.locator("#channels button", has_text="inc-2026-001-gas-hob-elbow")
    incident_channel.click()
    summary = page.locator('[data-testid="message"].pinned').first
    hana.expect(summary).to_contain_text("Incident INC-2026-001 declared")
    hana.expect(summary).to_contain_text("Declared incident")
    hana.expect(summary).to_contain_text("SCG chair")
    bookmarks = page.locator('[data-testid="bookmark"]')
    hana.expect(bookmarks).to_have_text(["🔖 Decision log", f"🔖 Issue {REF} summary"])
    log = page.locator('[data-testid="message"].pinned').filter(has_text="Decision log")
    hana.expect(log).to_contain_text("DEC-2026-0002")  # the declaration

    outsider = Person(page, "olly")  # a private channel: only its members see it
    outsider.expect(page.locator("#channels")).not_to_contain_text("inc-2026-001")
    invited = Person(page, "sara")  # chosen in the form's people picker
    invited.expect(page.locator("#channels")).to_contain_text("inc-2026-001")
