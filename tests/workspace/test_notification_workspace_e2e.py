"""A notification in the local workspace, in headless Chromium: assess the product, record a
Reg 33(4) notification, see its reminder and then its overdue escalation, be refused when
marking it sent with blank boxes, fill in Annex II in steps, mark it sent, download the DOCX
and read back the Annex V worked example box for box."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from bot.config import Settings
from commands.core.clock import ManualClock
from tests.conftest import START, Driver
from tests.fakes.annex_v import ANNEX_V, PRINTED, SECRET, STEPS, docx_value, read_docx
from tests.fakes.browser import Person, browser_page, missing_browser
from tests.fakes.server import running
from tests.fakes.steps import raise_issue

pytestmark = pytest.mark.browser
NOT = "NOT-2026-0001"
SHOTS = Path(__file__).resolve().parents[2] / "var" / "screenshots"


@pytest.fixture
def raised(tmp_path: Path) -> Iterator[tuple[str, str]]:
    missing_browser()
    settings = Settings(
        database_url=f"sqlite:///{tmp_path / 'ws.sqlite3'}",
        local_workspace=True,
        outbox_pace_seconds=0,
    )
    with running(settings, ManualClock(START)) as (url, bot):
        from sqlalchemy import select

        from storage.models import LocalChannel

        with bot.db.read() as s:
            general = s.scalar(select(LocalChannel.id).where(LocalChannel.name == "opss"))
        ref = raise_issue(Driver(bot.engine, channel=str(general)))
        bot.outbox.kick()
        yield url, ref


def _shot(page, name: str) -> None:  # type: ignore[no-untyped-def]
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SHOTS / f"notify-{name}.png"), full_page=True)


def test_notification_from_risk_to_exported_form(raised: tuple[str, str]) -> None:
    url, ref = raised
    with browser_page(url) as page:
        fatima = Person(page, "fatima")  # FTL for Gas and Electrical
        messages = page.locator('[data-testid="message"]')

        fatima.type(f"/opss risk {ref} annex")
        fatima.form_open("Risk: Annex I")
        fatima.field("hazardous").get_by_label("100% (all products)").check()
        fatima.field("exposure").get_by_label(
            "Hazard occurs under one improbable or two possible conditions"
        ).check()
        fatima.field("severity").locator("input[type=radio]").nth(1).check()
        fatima.field("exposed").get_by_label(
            "Adult; warnings/safeguards not adequate; hazard obvious"
        ).check()
        fatima.field("necessary").get_by_label("Yes").check()
        fatima.field("beyond_uk").get_by_label("Yes", exact=False).first.check()
        _shot(page, "risk-form")
        fatima.submit_form("Assess")
        fatima.says(f"Risk assessment v1 for {ref} \\(GPSR 2005 Annex I\\): Serious risk")
        fatima.says("Table B: gravity High")

        fatima.type(f"/opss notify {ref} reg33_4 --trigger 2026-11-23")
        fatima.says(f"{NOT} recorded: Reg 33\\(4\\) RAPEX notification")
        card = messages.filter(has_text=f"{NOT} · Reg 33(4)")
        fatima.expect(card).to_have_count(1)
        fatima.expect(card).to_contain_text("Thu 3 Dec 2026 (in 10 days)")
        fatima.expect(card).to_contain_text("section 2 'Timetable'")
        _shot(page, "recorded")

        hana = Person(page, "hana")  # an administrator moves the demo clock
        hana.type("/opss clock next")  # Mon 30 Nov 09:00: the weekly MI summary (OPSS_MI_SUMMARY)
        hana.says("Clock moved forward to Mon 30 Nov 2026 09:00")
        hana.type("/opss clock next")  # Tue 1 Dec 09:00: the reminder
        hana.says("Clock moved forward to Tue 1 Dec 2026 09:00")
        reminder = messages.filter(has_text=f"Reminder: {NOT}")
        fatima.expect(reminder).to_have_count(1)
        fatima.expect(reminder).to_contain_text(
            "is due Thu 3 Dec 2026, in 2 days. Owner: Fatima Khan"
        )
        hana.type("/opss clock next")  # Fri 4 Dec 00:00: overdue
        overdue = messages.filter(has_text=f"OVERDUE: {NOT}")
        fatima.expect(overdue).to_have_count(1)
        fatima.expect(overdue).to_contain_text("Escalated to the FTL (Fatima Khan")
        page.locator("#channels button", has_text="opss-imt").click()
        fatima.expect(messages.filter(has_text=f"OVERDUE: {NOT}")).to_have_count(1)
        _shot(page, "overdue-in-imt")
        fatima = Person(page, "fatima")

        fatima.type(f"/opss notify {NOT} sent")
        fatima.says("cannot be marked sent: no blank boxes")
        fatima.says("3. Category of product")

        fatima.type(f"/opss notify {NOT} form")
        values = ANNEX_V | {"f27": SECRET}
        for number, keys in enumerate(STEPS, start=1):
            fatima.form_open(f"Step {number} of 5")
            for key in keys:
                if key not in values:
                    continue
                if key == "f25":
                    fatima.field(key).locator("select").select_option(values[key])
                else:
                    fatima.field(key).locator("input, textarea").first.fill(values[key])
            if number == 4:
                _shot(page, "form-step-4")
            fatima.submit_form("Save" if number == len(STEPS) else "Save and continue")
        fatima.says(f"Annex II for {NOT} saved. No blank boxes")

        fatima.type(f"/opss notify {NOT} sent")
        fatima.says(f"{NOT} marked sent by Fatima Khan on Fri 4 Dec 2026 \\(after its due date\\)")
        page.locator("#channels button", has_text="opss").first.click()
        for message in messages.all():  # box 27 is nowhere in a channel
            assert SECRET not in message.inner_text()

        fatima.type(f"/opss notify {NOT} export docx")
        fatima.says("as DOCX")
        _shot(page, "export")
        with page.expect_download() as download:
            page.locator('[data-testid="ephemeral"]').last.get_by_role(
                "link", name="Download DOCX"
            ).click(no_wait_after=True)
        content = Path(download.value.path()).read_bytes()
        assert download.value.suggested_filename == f"{NOT}-annex-II.docx"
    boxes = read_docx(content)
    for key, value in PRINTED.items():
        assert docx_value(boxes, key) == value, key
    assert docx_value(boxes, "f2") == "Fri 4 Dec 2026"
