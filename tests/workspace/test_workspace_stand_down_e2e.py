"""Standing an EXERCISE incident down in the local workspace, in headless Chromium: de-escalate
with both approvals (refused with one), the plan's actions, re-escalation through a new case
conference, de-escalate again and close (refused while an action is open), the channel marked
closed, the review with a recommendation, and every record downloaded and read back."""

from __future__ import annotations

import csv
import io
import os
import re
import urllib.error
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import docx
import pypdf
import pytest

from bot.config import Settings
from commands.core.clock import ManualClock
from tests.conftest import ALL_INDICATORS, START, Driver
from tests.fakes.browser import Person, browser_page, missing_browser
from tests.fakes.server import running
from tests.fakes.steps import declare, publish_sitrep
from tests.fakes.workspace import _channels

pytestmark = pytest.mark.browser
INC = "INC-2026-001"
REF = "ISS-2026-0001"
# Screenshots to look at (set OPSS_SCREENSHOTS to a folder); none are written otherwise.
SHOTS = os.environ.get("OPSS_SCREENSHOTS", "")


@pytest.fixture
def declared(tmp_path: Path) -> Iterator[str]:
    missing_browser()
    settings = Settings(
        database_url=f"sqlite:///{tmp_path / 'ws.sqlite3'}",
        local_workspace=True,
        outbox_pace_seconds=0,
    )
    clock = ManualClock(START)
    with running(settings, clock) as (url, bot):
        general = _channels(bot)[0]
        driver = Driver(bot.engine, channel=general)
        declare(
            driver,
            "--level strategic --exercise --tcg-chair fatima --scg-chair david --invite ian,sara",
        )
        publish_sitrep(driver, bot.db, clock)  # a published sitrep to take away later
        bot.outbox.kick()
        yield url


@pytest.fixture
def page(declared: str) -> Iterator[object]:
    with browser_page(declared) as opened:
        yield opened


def shot(page, name: str) -> None:  # type: ignore[no-untyped-def]
    if SHOTS:
        page.screenshot(path=str(Path(SHOTS) / f"{name}.png"), full_page=False)


def approve(person: Person, expect: str) -> None:
    person.type(f"/opss deescalate {INC} approve")
    person.says(expect)


def test_stand_down_review_and_records_in_the_browser(page) -> None:  # type: ignore[no-untyped-def]
    hana = Person(page, "hana")
    page.locator("#channels button", has_text="exercise-inc-2026-001").click()
    summary = page.locator('[data-testid="message"].pinned').first
    hana.expect(summary).to_contain_text("Strategic")

    # The Incident De-escalation Plan is a form; its residual activities become actions.
    hana.type(f"/opss deescalate {INC}")
    hana.form_open("De-escalation")
    hana.field("to_level").locator("select").select_option("tactical")
    hana.field("rationale").locator("textarea").fill("No new reports for ten days")
    hana.field("scg_consultation").locator("textarea").fill(
        "David Osei (SCG chair) agreed by phone, 25 Nov"
    )
    hana.field("residual").locator("textarea").fill(
        "Monitor complaints | fatima | 2026-12-18\nChase the importer's recall | ian | 2026-12-11"
    )
    hana.field("criteria").locator("textarea").fill("Recall effectiveness above 80%")
    hana.field("monitoring_group").locator("input[type=checkbox]").check()
    shot(page, "1-deescalation-form")
    hana.submit_form("Propose de-escalation")
    hana.says("needs approval from IMT and the TCG chair")
    if SHOTS:
        page.locator('[data-testid="message"]').filter(
            has_text="Incident De-escalation Plan"
        ).last.scroll_into_view_if_needed()
        shot(page, "1b-plan-card")
    plan = page.locator('[data-testid="message"]').filter(has_text="Incident De-escalation Plan")
    hana.expect(plan.last).to_contain_text("Residual 2")
    hana.expect(plan.last).to_contain_text("Chase the importer's recall · Ian Brooks")
    plan.last.get_by_role("button", name="Approve").click()
    hana.says("Awaiting the TCG chair")
    hana.expect(summary).to_contain_text("IMT: approved by Hana Patel")
    hana.expect(summary).to_contain_text("TCG chair: awaited")
    hana.expect(summary).to_contain_text("Strategic")  # until both approve
    shot(page, "2-one-approval")
    if SHOTS:
        summary.scroll_into_view_if_needed()
        shot(page, "2b-summary-one-approval")

    sara = Person(page, "sara")  # an SCS in the channel, but neither IMT lead nor TCG chair
    approve(sara, "the incident's IMT lead, Hana Patel, or the Head of IMT")
    fatima = Person(page, "fatima")  # the TCG chair
    page.locator("#channels button", has_text="exercise-inc-2026-001").click()
    approve(fatima, "de-escalated to Tactical")
    actions = page.locator('[data-testid="message"]').filter(
        has_text="Residual activity (de-escalation)"
    )
    fatima.expect(actions).to_have_count(2)
    fatima.expect(actions.first).to_contain_text("Monitor complaints")
    fatima.expect(summary).to_contain_text("De-escalated")
    fatima.type(f"/opss lesson {INC} The LA contact list was out of date --aspect notification")
    fatima.says("Lesson 1")
    shot(page, "3-de-escalated")

    # Re-escalation: back through section 2, with a new case conference.
    hana = Person(page, "hana")
    hana.type(f'/opss reescalate {INC} --reason "Two new fires reported"')
    hana.says("back at CAM")
    hana.type(f"/opss assess {REF} " + " ".join(f"{k}=high" for k in ALL_INDICATORS))
    hana.says("overall High")
    david = Person(page, "david")
    david.type(f'/opss conference {REF} --when now --background "Two fires"')
    david.says("Case conference CC-2026-0002")
    ian = Person(page, "ian")
    ian.type(
        '/opss outcome CC-2026-0002 --outcome declare_incident --rationale "Fires" --chair David'
    )
    ian.says("re-escalated to Strategic")
    page.locator("#channels button", has_text="exercise-inc-2026-001").click()
    log = page.locator('[data-testid="message"].pinned').filter(has_text="Decision log")
    ian.expect(log).to_contain_text("CC-2026-0002")
    ian.expect(log).to_contain_text("Two new fires reported")
    ian.expect(summary).to_contain_text("CC-2026-0001 held")
    ian.expect(summary).to_contain_text("CC-2026-0002 held")

    # Back to normal operations (3.26), then close: refused while an action is open.
    hana = Person(page, "hana")
    page.locator("#channels button", has_text="exercise-inc-2026-001").click()
    hana.type(
        f'/opss deescalate {INC} --to normal --rationale "Fires explained" '
        '--scg "David agreed" --criteria "No reports for a month"'
    )
    hana.says("needs approval")
    approve(hana, "Awaiting the TCG chair")
    fatima = Person(page, "fatima")
    approve(fatima, "de-escalated to Normal operations")
    hana = Person(page, "hana")
    page.locator("#channels button", has_text="exercise-inc-2026-001").click()
    hana.type(f'/opss close {INC} --reason "Back to normal" --review "2026-12-15 10:00"')
    hana.says("Open actions: ACT-2026-0001, ACT-2026-0002")
    hana.type(
        f'/opss close {INC} --reason "Back to normal" --review "2026-12-15 10:00" '
        '--handover "ACT-2026-0001: Gas team monitors; ACT-2026-0002: Recalls team chases"'
    )
    hana.says(f"{INC} closed by Hana Patel")
    closed = page.locator('[data-testid="channel-closed"]')
    hana.expect(closed).to_contain_text("Closed Mon 23 Nov 2026 16:01")
    listed = page.locator("#channels button", has_text="exercise-inc-2026-001")
    hana.expect(listed).to_contain_text("closed · exercise-inc-2026-001")
    hana.expect(summary).to_contain_text("Closed incident · closed Mon 23 Nov 2026")
    shot(page, "4-closed")
    if SHOTS:
        summary.scroll_into_view_if_needed()
        shot(page, "4b-summary-closed")

    # The review, a recommendation that becomes an action, the sign-off.
    ian = Person(page, "ian")
    ian.type(f"/opss review {INC} open")
    ian.form_open("Review")
    notification = ian.field("notification").locator("textarea")
    assert "The LA contact list was out of date" in notification.input_value()
    ian.field("summary").locator("textarea").fill("Contained; notification was slow")
    ian.field("stakeholder_input").locator("textarea").fill("The importer found the TCG helpful")
    shot(page, "5-review-form")
    ian.submit_form("Save review")
    ian.says("Review of INC-2026-001 saved")
    ian.type(
        f'/opss review {INC} recommend --text "Refresh the LA contact list quarterly" '
        '--team "Gas and Electrical" --owner fatima --due 2027-01-15'
    )
    ian.says("allocated to Gas and Electrical: action ACT-2026-0003")
    hana = Person(page, "hana")
    hana.type(f"/opss review {INC} signoff")
    hana.says("signed off by Hana Patel")
    shot(page, "6-signed-off")

    # Every record, for Sara alone: the incident's channel is archived, and a record is posted
    # nowhere wider than it (issue 20, item 4), so her reply carries one-time links.
    sara = Person(page, "sara")
    sara.type(f"/opss export {INC}")
    reply = page.locator('[data-testid="ephemeral"]').last
    # Twelve documents are made: on a busy machine that takes longer than a reply's usual wait.
    sara.expect(reply).to_contain_text("files from INC-2026-001", timeout=60_000)
    sara.says("for you alone, below")  # typed in the archived channel
    buttons = reply.get_by_role("link", name=re.compile(r"^Download EXERCISE-INC-2026-001-"))
    sara.expect(buttons).to_have_count(12)
    shot(page, "7-files")
    got: dict[str, bytes] = {}
    for i in range(buttons.count()):
        with page.expect_download() as info:
            buttons.nth(i).click(no_wait_after=True)
        download = info.value
        got[download.suggested_filename] = Path(download.path()).read_bytes()
    page.locator("#channels button", has_text="opss-imt").click()
    assert page.locator('[data-testid="file"]').count() == 0  # no file posted in IMT's channel
    review_card = page.locator('[data-testid="message"]').filter(has_text="Post-incident review")
    sara.expect(review_card.last).to_contain_text("Signed off")
    sara.expect(review_card.last).to_contain_text("Hana Patel")
    if SHOTS:
        page.locator('[data-testid="message"]').filter(
            has_text="Post-incident review"
        ).last.scroll_into_view_if_needed()
        shot(page, "7b-review-card")
    assert set(got) == {
        "EXERCISE-INC-2026-001-review-report.docx",
        "EXERCISE-INC-2026-001-review-report.pdf",
        "EXERCISE-INC-2026-001-decision-log.csv",
        "EXERCISE-INC-2026-001-decision-log.pdf",
        "EXERCISE-INC-2026-001-decision-log.docx",
        "EXERCISE-INC-2026-001-timeline.csv",
        "EXERCISE-INC-2026-001-timeline.docx",
        "EXERCISE-INC-2026-001-timeline.pdf",
        "EXERCISE-INC-2026-001-strategy.docx",
        "EXERCISE-INC-2026-001-strategy.pdf",
        "EXERCISE-INC-2026-001-sitrep-1.docx",
        "EXERCISE-INC-2026-001-sitrep-1.pdf",
    }
    sitrep = pypdf.PdfReader(io.BytesIO(got["EXERCISE-INC-2026-001-sitrep-1.pdf"]))
    assert "Recall 60% complete" in sitrep.pages[0].extract_text()
    assert all("EXERCISE" in p.extract_text() for p in sitrep.pages)
    rows = list(
        csv.DictReader(
            io.StringIO(got["EXERCISE-INC-2026-001-decision-log.csv"].decode("utf-8-sig"))
        )
    )
    assert {r["marking"] for r in rows} == {"EXERCISE"}
    assert any(r["case_conference"] == "CC-2026-0002" for r in rows)
    pdf = pypdf.PdfReader(io.BytesIO(got["EXERCISE-INC-2026-001-decision-log.pdf"]))
    assert all("EXERCISE" in p.extract_text() for p in pdf.pages)
    assert "Close incident INC-2026-001" in "".join(p.extract_text() for p in pdf.pages)
    review = docx.Document(io.BytesIO(got["EXERCISE-INC-2026-001-review-report.docx"]))
    text = "\n".join(p.text for p in review.paragraphs)
    assert "The LA contact list was out of date" in text
    assert "Refresh the LA contact list quarterly" in text
    assert "EXERCISE" in "\n".join(p.text for p in review.sections[0].header.paragraphs)
    strategy = pypdf.PdfReader(io.BytesIO(got["EXERCISE-INC-2026-001-strategy.pdf"]))
    assert "no strategy has been recorded yet" in strategy.pages[0].extract_text()  # none here

    # Someone outside the incident cannot fetch a record by its address.
    outsider = page.url.split("/?")[0] + "/api/documents/1?user=olly"
    with pytest.raises(urllib.error.HTTPError) as refused:
        urllib.request.urlopen(outsider, timeout=10)
    assert refused.value.code == 403
    assert "an incident you may not read" in refused.value.read().decode()
