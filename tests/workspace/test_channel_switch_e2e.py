"""Moving to another channel while the workspace is still fetching the one left: the list then
shows the new channel's messages only, never the old one's mixed in."""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.fakes.browser import TIMEOUT, Person, browser_page
from tests.fakes.workspace import declared_workspace

pytestmark = pytest.mark.browser


@pytest.fixture
def declared(tmp_path: Path) -> Iterator[str]:
    with declared_workspace(tmp_path) as url:
        yield url


def test_a_late_answer_for_the_channel_left_is_not_shown_in_the_new_one(declared: str) -> None:
    with browser_page(declared) as page:
        Person(page, "hana")
        page.wait_for_selector("#messages[data-channel]", state="attached")
        held: list[Any] = []

        def hold_the_first(route: Any) -> None:
            if held:
                route.continue_()
            else:
                held.append(route)

        page.route("**/api/channels/*/messages*", hold_the_first)
        deadline = time.monotonic() + TIMEOUT / 1000
        while not held:  # the page's next poll of the channel it shows, held unanswered
            assert time.monotonic() < deadline, "the page never fetched its channel again"
            page.wait_for_timeout(20)
        incident = page.locator("#channels button", has_text="inc-2026-001").first
        name = incident.get_attribute("data-channel")
        incident.click()
        # At once, before anything of it has loaded: its name, and none of the general
        # channel's welcome.
        assert name is not None and name in page.locator("#channel-name").inner_text()
        assert page.locator('[data-testid="welcome"]').is_hidden()
        held[0].continue_()  # the channel just left answers now, too late
        page.wait_for_selector(f'#messages[data-channel="{name}"]', state="attached")

        channel = page.evaluate(f"state.channels.find(c => c.name === {name!r}).id")
        answer = page.request.get(f"{declared}/api/channels/{channel}/messages?user=hana")
        expected = {f"msg-{m['id']}" for m in answer.json()["messages"]}
        shown = set(
            page.evaluate(
                "[...document.querySelectorAll('#messages > li[data-testid=message]')]"
                ".map(li => li.id)"
            )
        )
        assert expected, "the incident's channel has its summary and decisions"
        assert shown == expected, f"messages of another channel shown: {shown - expected}"


def test_a_reply_that_comes_after_the_person_moved_on_waits_in_its_own_channel(
    declared: str,
) -> None:
    with browser_page(declared) as page:
        hana = Person(page, "hana")
        held: list[Any] = []
        page.route("**/api/command", lambda route: held.append(route))
        page.fill("#command", "/opss status INC-2026-001")
        page.press("#command", "Enter")
        deadline = time.monotonic() + TIMEOUT / 1000
        while not held:  # the command sent, its answer held
            assert time.monotonic() < deadline, "the command was never sent"
            page.wait_for_timeout(20)
        general = page.locator("#messages").get_attribute("data-channel")
        incident = page.locator("#channels button", has_text="inc-2026-001").first
        name = incident.get_attribute("data-channel")
        incident.click()
        page.wait_for_selector(f'#messages[data-channel="{name}"]', state="attached")
        held[0].continue_()  # the reply to the command typed in the general channel
        page.wait_for_function("() => Object.keys(state.waiting).length === 1")  # it came
        mine = page.locator('[data-testid="ephemeral"]')
        hana.expect(mine).to_have_count(0)  # not shown in the channel moved to
        page.locator(f'#channels button[data-channel="{general}"]').click()
        page.wait_for_selector(f'#messages[data-channel="{general}"]', state="attached")
        hana.expect(mine.filter(has_text="INC-2026-001")).to_have_count(1)  # where it was typed
