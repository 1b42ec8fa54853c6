"""The management-information dashboard in headless Chromium: the figures of records made for
the test (``tests/fakes/mi_world.py``) in each chart's data (read from Chart.js) and in the
table beneath it, the filters used with the keyboard alone, and what a person without the
role sees."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select

from storage.models import AuditEvent, Person
from tests.fakes import mi_world
from tests.fakes.browser import browser_page, missing_browser

pytestmark = pytest.mark.browser

CHART = """key => {
  const chart = Chart.getChart(document.querySelector(`canvas[data-panel=${key}]`));
  return { labels: chart.data.labels,
           series: chart.data.datasets.map(d => ({ label: d.label, data: d.data })) };
}"""
TABLE = """key => [...document.querySelectorAll(`table[data-table=${key}] tr`)].map(
  tr => [...tr.children].map(c => c.textContent))"""
DRAWN = "() => [...document.querySelectorAll('canvas[data-panel]')].every(c => Chart.getChart(c))"
DETAILS = """key => [...document.querySelectorAll(`#panel-${key} table:not([data-table]) tr`)].map(
  tr => [...tr.children].map(c => c.textContent))"""


@pytest.fixture(scope="module")
def served(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, Any]]:
    missing_browser()
    with mi_world.served(tmp_path_factory.mktemp("mi")) as (url, bot):
        yield url, bot


def _open(page: Any, url: str, query: str) -> None:
    page.goto(f"{url}/mi?{query}")
    page.wait_for_selector("body[data-loaded]")
    page.wait_for_function(DRAWN)


def _chart(page: Any, key: str) -> dict[str, dict[str, Any]]:
    got = page.evaluate(CHART, key)
    return {s["label"]: dict(zip(got["labels"], s["data"], strict=True)) for s in got["series"]}


def _table(page: Any, key: str) -> dict[str, dict[str, str]]:
    head, *rows = page.evaluate(TABLE, key)
    return {row[0]: dict(zip(head[1:], row[1:], strict=True)) for row in rows}


def _agree(page: Any, key: str) -> dict[str, dict[str, Any]]:
    """The chart's figures, checked against its table cell by cell."""
    chart, table = _chart(page, key), _table(page, key)
    for series, values in chart.items():
        for label, value in values.items():
            shown = table[label][series]
            assert shown == (
                "–" if value is None else str(round(value)) if key != "timings" else f"{value:.1f}"
            ), (key, series, label, shown, value)
    assert set(table) == set(next(iter(chart.values()), {}))
    return chart


def _names(bot: Any) -> dict[str, str]:
    with bot.db.read() as s:
        return dict(s.execute(select(Person.name, Person.display_name)).tuples().all())


def test_the_figures_of_the_records_in_the_charts_and_their_tables(
    served: tuple[str, Any],
) -> None:
    url, bot = served
    shown = _names(bot)
    with browser_page(url) as page:
        _open(page, url, "user=hana")
        assert _agree(page, "stages") == {"Live issues": mi_world.LIVE}
        assert _agree(page, "levels") == {"Open incidents": mi_world.LEVELS}
        actions = _agree(page, "actions")
        assert actions == {
            "Overdue": {shown[u]: o for u, (o, _) in mi_world.ACTIONS.items()},
            "Due in the next 7 days": {shown[u]: n for u, (_, n) in mi_world.ACTIONS.items()},
        }
        assert _agree(page, "notifications") == {"Open notifications": mi_world.NOTIFICATIONS}
        assert _agree(page, "sitreps") == {"Open incidents missing it": mi_world.MISSING}
        assert _agree(page, "erco") == {"Open incidents": mi_world.ERCO}
        timings = _table(page, "timings")
        for stage, (average, _) in mi_world.STAYS.items():
            assert timings[stage]["Average days, stays ended in the last 30 days"] == average
        for stage, days in mi_world.SO_FAR.items():
            assert timings[stage]["Average days so far, live issues"] == days
        assert _agree(page, "timings")  # the chart holds the same averages
        # The records behind the figures.
        erco = page.evaluate(DETAILS, "erco")
        assert [row[0] for row in erco[1:]] == ["INC-2026-002"]
        missing = {row[0]: row[3] for row in page.evaluate(DETAILS, "sitreps")[1:]}
        assert missing == {
            "INC-2026-002": "Gas and Electrical",
            "INC-2026-001": "Toys and Childcare",
        }
        tiles = dict(
            zip(
                page.locator("#headline-list dt").all_inner_texts(),
                page.locator("#headline-list dd").all_inner_texts(),
                strict=True,
            )
        )
        assert tiles["Live issues"] == "2" and tiles["Actions overdue"] == "2"
        assert tiles["Open incidents"].split()[0] == "2"
        assert tiles["DBT ERCO engagement outstanding"] == "1"
        assert "EXERCISE" not in page.locator("#figures").inner_text()
        assert page.locator("#exercise-banner").is_hidden()
        # Each chart says in words what it shows, for a screen reader.
        label = page.locator("canvas[data-panel=stages]").get_attribute("aria-label")
        assert label is not None and "2 live issues on the ladder: 1 Raised, 1 CAM" in label


def test_the_roster_panel_shows_roles_short_of_trained_people_and_training_lapsing(
    served: tuple[str, Any],
) -> None:
    url, bot = served
    shown = _names(bot)
    with browser_page(url) as page:
        _open(page, url, "user=hana")
        assert _agree(page, "roster") == {
            "Trained and in date": mi_world.TRAINED,
            "Of them, lapsing within 60 days": mi_world.LAPSING,
        }
        short, lapsing = page.locator("#panel-roster .table-wrap").all()[1:3]
        rows = [r.locator("th, td").all_inner_texts() for r in short.locator("tbody tr").all()]
        assert [(r[0], r[2], r[3]) for r in rows] == [(s, "1", "2") for s in mi_world.SHORT]
        rows = [r.locator("th, td").all_inner_texts() for r in lapsing.locator("tbody tr").all()]
        assert rows == [[shown[u], *rest] for u, *rest in mi_world.LAPSING_LISTED]
        summary = page.locator("#panel-roster .summary").inner_text()
        assert summary == (
            "4 of 8 response roles have fewer than 2 people trained and in date; "
            "2 trainings lapse within 60 days."
        )
        tiles = dict(
            zip(
                page.locator("#headline-list dt").all_inner_texts(),
                page.locator("#headline-list dd").all_inner_texts(),
                strict=True,
            )
        )
        few = tiles["Roles with too few trained"].split(None, 1)
        assert few[0] == "4" and few[1].startswith("Bird table chair, Loggist")
        assert tiles["Training lapsing within 60 days"] == "2"
        # The roster is OPSS's: a functional area does not narrow it.
        _open(page, url, "user=hana&area=Toys+and+Childcare")
        assert _agree(page, "roster")["Trained and in date"] == mi_world.TRAINED


def test_the_filters_from_the_keyboard_alone(served: tuple[str, Any]) -> None:
    url, _ = served
    with browser_page(url) as page:
        _open(page, url, "user=hana")

        def focused() -> str:
            return str(page.evaluate("() => document.activeElement.id"))

        page.locator("body").focus()
        order = []
        for _ in range(8):
            page.keyboard.press("Tab")
            order.append(focused())
            if focused() == "apply":
                break
        # The way through: the controls in reading order, each reached by Tab.
        assert [o for o in order if o in {"area", "period", "exercises", "apply"}] == [
            "area",
            "period",
            "exercises",
            "apply",
        ], order
        # Each control shows where the focus is.
        page.keyboard.press("Shift+Tab")
        page.keyboard.press("Shift+Tab")
        page.keyboard.press("Shift+Tab")
        assert focused() == "area"
        ring = page.evaluate("() => getComputedStyle(document.activeElement).outlineStyle")
        assert ring != "none"
        while page.evaluate("() => document.activeElement.value") != "Toys and Childcare":
            page.keyboard.press("ArrowDown")
        page.keyboard.press("Tab")
        assert focused() == "period"
        page.keyboard.press("ArrowDown")  # the last 90 days
        page.keyboard.press("Tab")
        assert focused() == "exercises"
        page.keyboard.press("Space")
        page.keyboard.press("Tab")
        assert focused() == "apply"
        before = page.get_attribute("body", "data-loaded")
        page.keyboard.press("Enter")
        page.wait_for_function("before => document.body.dataset.loaded !== before", arg=before)
        page.wait_for_function(DRAWN)
        assert "area=Toys+and+Childcare" in page.url and "exercises=1" in page.url
        assert "period=90d" in page.url
        scope = page.locator("#scope").inner_text()
        assert (
            "Toys and Childcare, the last 90 days" in scope and "EXERCISE records included" in scope
        )
        assert page.locator("#exercise-banner").is_visible()
        stages = _agree(page, "stages")
        assert stages["Live issues"]["Raised"] == 1 and stages["Live issues"]["CAM"] == 0
        assert "Live issues · EXERCISE" in stages
        # EXERCISE records are marked where listed, as well as counted apart.
        _open(page, url, "user=hana&exercises=1")
        marked = page.locator("#panel-notifications tr.exercise")
        assert marked.count() == 1
        assert "EXERCISE · NOT-2026-0005" in marked.inner_text()
        levels = _agree(page, "levels")
        assert levels["Open incidents · EXERCISE"] == mi_world.LEVELS_EXERCISE
        assert levels["Open incidents"] == mi_world.LEVELS  # the real figures unchanged


@pytest.mark.parametrize("user", ["olly", "fatima"])
def test_someone_without_the_role_sees_who_may_and_no_figures(
    served: tuple[str, Any], user: str
) -> None:
    url, bot = served
    with browser_page(url) as page:
        page.goto(f"{url}/mi?user={user}")
        refused = page.locator("#refused")
        refused.wait_for()
        text = refused.inner_text()
        assert "Only IMT, the Head of IMT and senior civil servants" in text
        assert "may see management information. You hold:" in text
        assert page.locator("canvas").count() == 0 and page.locator("table").count() == 0
        assert page.locator("#filters").is_hidden() and page.locator("#headline").is_hidden()
        assert "Live issues" not in page.locator("body").inner_text()
    with bot.db.read() as s:
        refusals = s.scalars(
            select(AuditEvent.actor_name).where(
                AuditEvent.action == "permission.refused", AuditEvent.entity_ref == "mi"
            )
        ).all()
    assert user in refusals


def test_the_workspace_links_to_the_dashboard(served: tuple[str, Any], tmp_path: Path) -> None:
    url, _ = served
    with browser_page(url) as page:
        page.goto(f"{url}/?user=ian")
        link = page.locator("#mi-link")
        page.wait_for_function("() => document.querySelector('#mi-link').href.includes('user=ian')")
        link.click()
        page.wait_for_selector("body[data-loaded]")
        assert page.locator("h1").inner_text() == "Management information"
        assert page.locator("#user").input_value() == "ian"
