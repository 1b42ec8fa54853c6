"""Calendar invitations in the local workspace, in headless Chromium: the battle rhythm's
card has Add to calendar; its link downloads an .ics that icalendar reads back (Europe/London,
the meeting's summary); the rhythm replaced, the same meeting comes with the same UID and a
higher SEQUENCE; the incident closed, with its cancellation."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import icalendar
import pytest

from bot.config import Settings
from commands.core.clock import ManualClock
from tests.conftest import START, Driver
from tests.fakes.browser import Person, browser_page, missing_browser
from tests.fakes.server import running
from tests.fakes.stand_down import de_escalate, open_actions
from tests.fakes.steps import declare, ok
from tests.fakes.workspace import _channels

pytestmark = pytest.mark.browser
INC = "INC-2026-001"


@pytest.fixture
def declared(tmp_path: Path) -> Iterator[tuple[str, Driver]]:
    missing_browser()
    settings = Settings(
        database_url=f"sqlite:///{tmp_path / 'ws.sqlite3'}",
        local_workspace=True,
        outbox_pace_seconds=0,
    )
    with running(settings, ManualClock(START)) as (url, bot):
        general = next(iter(_channels(bot)))
        driver = Driver(bot.engine, channel=general)
        declare(driver, "--tcg-chair fatima")  # the ladder is tested elsewhere
        bot.outbox.kick()
        yield url, driver


def invitation(page, person: Person, label: str) -> icalendar.Event:  # type: ignore[no-untyped-def]
    """The link in the person's latest reply, downloaded as the browser does, parsed."""
    with page.expect_download() as download:
        page.locator('[data-testid="ephemeral"]').last.get_by_role("link", name=label).click(
            no_wait_after=True
        )
    assert download.value.suggested_filename.endswith(".ics")
    cal = icalendar.Calendar.from_ical(Path(download.value.path()).read_bytes())
    (event,) = cal.walk("VEVENT")
    event["X-METHOD"] = str(cal["METHOD"])  # read with the event below
    return event


def test_the_rhythm_card_puts_each_meeting_in_a_calendar(
    declared: tuple[str, Driver],
) -> None:
    url, driver = declared
    with browser_page(url) as page:
        hana = Person(page, "hana")  # Head of IMT, who declared: a member of the channel
        page.locator("#channels button", has_text="inc-2026-001").click()
        card = page.locator('[data-testid="message"]').filter(has_text="Battle rhythm ·").first
        card.get_by_role("button", name="Add to calendar").click()
        hana.says(f"Calendar invitations for {INC}: 3 meetings")
        scg = invitation(page, hana, "SCG: Mon, Thu 09:00")
        assert scg["X-METHOD"] == "REQUEST" and scg["SEQUENCE"] == 0
        assert scg["DTSTART"].params["TZID"] == "Europe/London"
        assert scg.decoded("DTSTART").strftime("%a %H:%M") == "Thu 09:00"
        assert str(scg["SUMMARY"]).startswith(f"SCG · {INC} ")

        hana.type(f'/opss rhythm {INC} replace escalated --scg "Hana Patel, 23 Nov"')
        hana.says("replaced with 'escalated'")
        hana.type(f"/opss calendar {INC} SCG")
        hana.says(f"Calendar invitations for {INC}: 1 meeting")
        changed = invitation(page, hana, "SCG: daily 09:00")
        assert str(changed["UID"]) == str(scg["UID"]) and changed["SEQUENCE"] == 1

        de_escalate(driver, to="normal")  # closing follows the return to normal (3.26)
        for done in open_actions(driver.engine.db):
            ok(driver.cmd("fatima", f"done {done}"))
        ok(driver.cmd("hana", f'close {INC} --reason "Back to normal" --review "2026-12-15 10:00"'))
        hana.type(f"/opss calendar {INC} SCG")
        hana.says("the cancellations of its meetings")
        gone = invitation(page, hana, "Cancel: SCG")
        assert gone["X-METHOD"] == "CANCEL" and gone["STATUS"] == "CANCELLED"
        assert str(gone["UID"]) == str(scg["UID"]) and gone["SEQUENCE"] == 3
