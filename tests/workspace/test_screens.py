"""The screenshot walk (``./dev screenshots``) runs in the suite: each main screen renders at
desktop width and at 420 px with nothing cut off at the window's edge."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.fakes.browser import missing_browser
from tests.screenshots import WIDTHS, take, take_mi

pytestmark = pytest.mark.browser


def test_main_screens_at_desktop_and_narrow_widths(tmp_path: Path) -> None:
    missing_browser()
    written = take(tmp_path)  # raises if anything runs past the window's right edge
    names = {p.name for p in written}
    for screen in (
        "1-welcome",
        "2-help",
        "3-incident-channel",
        "5-collated-sitrep",
        "7-notification-card",
    ):
        for width in WIDTHS:
            assert f"{screen}-{width}.png" in names
    assert all(p.stat().st_size > 10_000 for p in written)  # an image, not an empty page


def test_the_dashboard_at_desktop_and_narrow_widths(tmp_path: Path) -> None:
    missing_browser()
    written = take_mi(tmp_path)  # raises if anything but a table's own box runs past the edge
    assert {p.name for p in written} == {f"6-mi-dashboard-{w}.png" for w in WIDTHS}
    assert all(p.stat().st_size > 10_000 for p in written)
