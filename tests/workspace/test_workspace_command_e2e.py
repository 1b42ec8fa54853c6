"""Command and control inside a declared incident, in the local workspace in headless
Chromium: groups and roles, a strategy with its equality-duty answer, an action reminded,
escalated when overdue and completed from its card, a reassessment to High with the ERCO prompt
repeating until ERCO is recorded, a partner engagement seen in the next sitrep, and the Head
of IMT escalating an issue straight to an incident.

Set ``OPSS_SCREENSHOTS`` to a directory to keep screenshots of the cards along the way.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.fakes.browser import Person, browser_page
from tests.fakes.workspace import declared_workspace

pytestmark = pytest.mark.browser
INC = "INC-2026-001"
ERCO_ASK = "not recorded as engaged"


@pytest.fixture
def declared(tmp_path: Path) -> Iterator[str]:
    with declared_workspace(tmp_path) as url:
        yield url


def shot(page, name: str) -> None:  # type: ignore[no-untyped-def]
    folder = os.environ.get("OPSS_SCREENSHOTS")
    if folder:
        Path(folder).mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(Path(folder) / f"{name}.png"), full_page=False)


def test_command_and_control_in_the_browser(declared: str) -> None:
    with browser_page(declared) as page:
        _run(page)


def _run(page) -> None:  # type: ignore[no-untyped-def]
    hana = Person(page, "hana")  # Head of IMT, who declared
    hana.type(f'/opss sitrep {INC} set --teams "Gas and Electrical"')
    hana.says("teams: Gas and Electrical")
    page.locator("#channels button", has_text="inc-2026-001").click()
    messages = page.locator('[data-testid="message"]')
    summary = page.locator('[data-testid="message"].pinned').first
    hana.expect(messages.filter(has_text=ERCO_ASK)).to_have_count(1)  # asked at declaration

    # Groups and roles: the TCG's chair and members from the form; the SCG chair inline.
    hana.type(f"/opss group {INC} open")
    hana.form_open("Group")
    hana.field("kind").locator("select").select_option("tcg")
    hana.field("chair").locator("select").select_option("fatima")
    hana.field("members").locator("input").fill("ian, olly")
    shot(page, "00-group-form")
    hana.submit_form("Save group")
    hana.says(r"TCG of INC-2026-001: Chair: Fatima Khan · Members: Ian")
    hana.type(f"/opss role {INC} scg_chair david")
    hana.says("David Osei .*chairs the SCG")
    hana.type(f"/opss role {INC} secretariat ian")
    hana.says(r"Ian Brooks is the Secretariat")
    hana.expect(summary).to_contain_text("SCG chair: David Osei")
    hana.expect(summary).to_contain_text("TCG chair: Fatima Khan")
    hana.expect(summary).to_contain_text("TCG members: Ian Brooks, Olly Reed")
    hana.expect(summary).to_contain_text("Secretariat: Ian Brooks")
    shot(page, "01-incident-card-groups")

    # The SCG strategy, with the equality-duty answer.
    hana.type(f"/opss strategy {INC}")
    hana.form_open("SCG strategy")
    for key, text in (
        ("what_happened", "Elbow joints leak gas in three hob models"),
        ("aim", "Stop further leaks and protect the public"),
        ("priorities", "Recall; alert Gas Safe engineers"),
        ("equality", "Older owners rarely see online notices: write to them"),
    ):
        hana.field(key).locator("textarea").fill(text)
    shot(page, "02-strategy-form")
    hana.submit_form("Record strategy")
    hana.says("SCG strategy v1 recorded")
    strategy = messages.filter(has_text="SCG strategy v1 · INC-2026-001")
    hana.expect(strategy).to_contain_text("Older owners rarely see online notices")

    # Reassess: down to Medium (IMT and the TCG chair, the SCG consulted: 3.26), then up to
    # High from the form (the IMT lead's flag, 3.25); ERCO is asked at once.
    hana.type(f"/opss level {INC} medium --rationale 'Leaks contained' --scg 'David agreed'")
    hana.says("stays Critical")
    fatima = Person(page, "fatima")
    page.locator("#channels button", has_text="inc-2026-001").click()
    fatima.type(f"/opss level {INC} approve")
    fatima.says("now Medium")
    hana = Person(page, "hana")
    page.locator("#channels button", has_text="inc-2026-001").click()
    hana.type(f"/opss level {INC}")
    hana.form_open("Response level")
    hana.field("level").locator("input[type=radio]").nth(1).check()  # High
    hana.field("rationale").locator("textarea").fill("Reports from Wales")
    shot(page, "02b-level-form")
    hana.submit_form("Change level")
    hana.says("now High")
    level_card = messages.filter(has_text="Response level High")
    hana.expect(
        level_card.get_by_role("button", name="Apply the escalated battle rhythm")
    ).to_be_visible()
    hana.expect(messages.filter(has_text=ERCO_ASK)).to_have_count(2)
    shot(page, "03-level-and-erco-prompt")

    # An action, due at 12:30: reminded 2 h before, overdue at 12:30.
    hana.type(
        f'/opss action {INC} Collect samples --owner fatima --due "2026-11-23 12:30" --group tcg'
    )
    hana.says("ACT-2026-0001")

    page.get_by_role("button", name="+30 min").click()  # 10:00: the TCG's reminder, a cycle
    hana.expect(page.locator("#clock")).to_contain_text("10:00")
    reminder = messages.filter(has_text="Reminder: TCG")
    hana.expect(reminder).to_have_count(1)
    hana.expect(reminder).to_contain_text("Collect samples")  # the group's open actions
    hana.expect(reminder).to_contain_text("Stop further leaks")  # the current strategy
    hana.expect(messages.filter(has_text=ERCO_ASK)).to_have_count(3)  # asked again
    shot(page, "04-tcg-reminder")

    page.get_by_role("button", name="+30 min").click()  # 10:30: the action's reminder
    action_reminder = messages.filter(has_text="Reminder: ACT-2026-0001")
    hana.expect(action_reminder).to_have_count(1)
    hana.expect(action_reminder).to_contain_text("due in 2 h")

    # ERCO recorded from the prompt's button: the banner goes, and the asking stops.
    messages.filter(has_text=ERCO_ASK).last.get_by_role(
        "button", name="Record ERCO engagement"
    ).click()
    hana.form_open("DBT ERCO")
    hana.field("ert").locator("input[type=checkbox]").check()
    hana.submit_form("Record ERCO engagement")
    hana.says("DBT ERCO engagement recorded")
    hana.expect(summary).to_contain_text("DBT ERCO: engaged by Hana Patel")
    summary.scroll_into_view_if_needed()
    shot(page, "04b-incident-card")
    hana.expect(summary).not_to_contain_text("engage DBT ERCO (plan 3.17)")

    page.get_by_role("button", name="+2 h").click()  # 12:30: overdue, escalated to the chair
    overdue = messages.filter(has_text="Overdue: ACT-2026-0001")
    hana.expect(overdue).to_have_count(1)
    hana.expect(overdue).to_contain_text("escalated to the TCG chair, Fatima Khan")
    shot(page, "05-overdue")
    overdue.get_by_role("button", name="Done").click()
    hana.says("Action ACT-2026-0001 done by Hana Patel")
    card = messages.filter(has_text="Action ACT-2026-0001 on INC-2026-001")
    hana.expect(card).to_contain_text("Status: Done")

    # Engagement: the plan, then one partner told; the next sitrep shows both.
    hana.type(f'/opss engage {INC} plan --partners "HSE,Defra"')
    hana.says("Engagement plan v1 recorded")
    hana.type(f"/opss engage {INC}")
    hana.form_open("Engagement")
    hana.field("partner").locator("select").select_option("HSE")
    hana.field("what").locator("textarea").fill("Recall notice and affected models")
    hana.field("via").locator("select").select_option("email")
    hana.submit_form("Log engagement")
    hana.says("HSE told by Hana Patel")
    # Typed in the incident's channel: the card is in the channel, the reply is text only.
    hana.expect(page.locator('[data-testid="ephemeral"]').last).not_to_contain_text(
        "What they were told"
    )
    hana.expect(messages.filter(has_text="What they were told")).to_have_count(1)
    shot(page, "06-engagement")

    for _ in range(2):  # 16:30: past the cut-off, the sitrep is collated
        page.get_by_role("button", name="+2 h").click()
    draft = messages.filter(has_text="SITREP 1 · INC-2026-001")
    hana.expect(draft.first).to_contain_text("Engagement since the last sitrep")
    hana.expect(draft.first).to_contain_text("Recall notice and affected models")
    hana.expect(draft.first).to_contain_text("not yet engaged")
    hana.expect(draft.first).to_contain_text("Defra")
    hana.expect(messages.filter(has_text=ERCO_ASK)).to_have_count(3)  # no more asking
    shot(page, "07-sitrep")

    # IMT's reserved right: a fresh issue straight to an incident.
    olly = Person(page, "olly")
    olly.type(
        '/opss raise "Kettle base sparks" --products K1 --hazard Fire --source public '
        '--area "Gas and Electrical"'
    )
    olly.says("Raised ISS-2026-0002")
    hana = Person(page, "hana")
    hana.type("/opss escalate ISS-2026-0002 incident")
    hana.form_open("Escalate to incident")
    hana.field("consulted").locator("select").select_option("david")
    hana.field("rationale").locator("textarea").fill("Two fires overnight")
    shot(page, "08-direct-escalation-form")
    hana.submit_form("Escalate to incident")
    hana.says("escalated ISS-2026-0002 straight to incident INC-2026-002 from Raised")
