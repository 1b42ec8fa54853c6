"""The paged list in the local workspace, in headless Chromium: a page of the newest issues,
*More* for the next, and filters, with a year of history behind it."""

from __future__ import annotations

import os
import re
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import select

from bench.fill import Size, fill
from bot.config import Settings
from commands.core.clock import ManualClock
from rules.lifecycle import OPEN_STAGES
from storage.models import Issue
from tests.conftest import START
from tests.fakes.browser import Person, browser_page, missing_browser
from tests.fakes.server import running

pytestmark = pytest.mark.browser
AREAS = ["Gas and Electrical", "Toys and Childcare", "Product Safety"]


@pytest.fixture
def history(tmp_path: Path) -> Iterator[tuple[str, list[str]]]:
    """The workspace over 1,000 issues; yields its address and the open issues, newest
    first."""
    missing_browser()
    settings = Settings(
        database_url=f"sqlite:///{tmp_path / 'workspace.sqlite3'}",
        local_workspace=True,
        outbox_pace_seconds=0,
        functional_areas=AREAS,
    )
    with running(settings, ManualClock(START)) as (url, bot):
        fill(bot.db, Size(1000, 10, 200, 200), START, tuple(AREAS))
        with bot.db.read() as s:
            newest = list(
                s.scalars(
                    select(Issue.reference)
                    .where(Issue.stage.in_([st.value for st in OPEN_STAGES]))
                    .order_by(Issue.id.desc())
                )
            )
        yield url, newest


def test_the_list_pages_with_more_and_filters_in_the_browser(
    history: tuple[str, list[str]],
) -> None:
    url, newest = history
    with browser_page(url) as page:
        olly = Person(page, "olly")
        olly.type("/opss list")
        olly.says(re.escape("Open issues: 1-20 of 200+, newest first"))
        reply = page.locator('[data-testid="ephemeral"]').last
        for ref in newest[:20]:
            olly.expect(reply).to_contain_text(ref)
        olly.expect(reply).not_to_contain_text(newest[20])
        shot = os.environ.get("OPSS_SCREENSHOT_DIR")
        if shot:  # for looking at it: OPSS_SCREENSHOT_DIR=/tmp ./dev test tests/test_work...
            page.screenshot(path=f"{shot}/list-page-1.png", full_page=True)
        reply.get_by_role("button", name="More (21-40)").click()
        olly.says(re.escape("Open issues: 21-40 of 220+, newest first"))
        page2 = page.locator('[data-testid="ephemeral"]').last
        olly.expect(page2).to_contain_text(newest[20])
        olly.expect(page2).not_to_contain_text(newest[19])

        olly.type('/opss list --stage cam-ep --area "Product Safety"')
        olly.says("area Product Safety, stage CAM-EP")
        filtered = page.locator('[data-testid="ephemeral"]').last
        olly.expect(filtered).to_contain_text("CAM-EP")
        olly.expect(filtered).not_to_contain_text("TTG ·")
        if shot:
            page.screenshot(path=f"{shot}/list-filtered.png", full_page=True)

        olly.type("/opss list --stage somewhere")
        olly.says("Stage: 'somewhere' is not a stage")
