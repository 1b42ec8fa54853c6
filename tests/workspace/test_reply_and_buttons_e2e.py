"""Where the person looks, in headless Chromium: the reply "only visible to you" comes below
what the command posted, is the last item and is in view, at desktop width and at 420 px,
and says once what the channel already shows; and at 420 px no card's button runs past the
window's edge, over a lifecycle that makes every kind of card that carries buttons."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from bot.config import Settings
from bot.workspace.said_once import POSTED
from commands.core.clock import ManualClock
from tests.conftest import START, Driver
from tests.fakes.browser import Person, browser_page, missing_browser
from tests.fakes.server import running
from tests.fakes.stand_down import plan
from tests.fakes.steps import ok
from tests.fakes.workspace import _channels
from tests.screenshots import WIDTHS

pytestmark = pytest.mark.browser
INC = "INC-2026-001"
ISS = "ISS-2026-0001"
# The kinds of card with buttons that the walk makes, by their titles' words.
KINDS = (
    "Welcome to the OPSS incident bot",
    "ISS-2026-0001 · ",  # the issue
    # (The demo's case conference is held by then: its card has no buttons left.)
    "Declared incident",  # the incident's pinned card
    "Decision log · INC-2026-001",
    "Battle rhythm · INC-2026-001",
    "Engage DBT ERCO · INC-2026-001",
    "Action ACT-2026-0001",
    "NOT-2026-0001 · Reg 33(4)",  # the notification, five buttons
    "Lowering the level · INC-2026-001",
    "Incident De-escalation Plan · INC-2026-001",
    "TCG · INC-2026-001 / Reminder",
    "Sitrep updates due · INC-2026-001",
    "Open issues",  # /opss list
    "Roster of trained staff",
    "Management information",
)
SHOTS = Path(__file__).resolve().parents[2] / "var" / "screenshots"

# The last item shown in the messages, and whether the reply is inside the messages' box
# (its top within it, so the person sees it begin) and inside the window.
LAST = """() => {
  const items = [...document.querySelectorAll('#messages > li')].filter(li => !li.hidden);
  const last = items[items.length - 1];
  const reply = [...document.querySelectorAll('[data-testid=ephemeral]')].pop();
  const r = reply.getBoundingClientRect();
  const box = document.querySelector('#messages').getBoundingClientRect();
  return { last: last === reply, count: items.length,
           seen: r.top >= box.top - 1 && r.top < box.bottom && r.bottom > box.top
                 && r.top >= 0 && r.top < innerHeight,
           text: reply.innerText };
}"""

# Every button in the messages (cards in the channel and in replies) that is not wholly
# inside the window's width, with the title of the card that carries it.
OUTSIDE = """width => [...document.querySelectorAll('#messages button')]
  .filter(b => { const r = b.getBoundingClientRect();
                 return r.width && (r.left < 0 || r.right > width + 0.5); })
  .map(b => b.innerText + ' at ' + Math.round(b.getBoundingClientRect().right) + ' px')"""
# Each card shown that carries buttons: its first lines (its title, after any EXERCISE
# banner) and its buttons.
CARDS = """() => [...document.querySelectorAll('#messages .card')]
  .filter(c => c.querySelector('button'))
  .map(c => ({ title: c.innerText.split('\\n').map(l => l.trim())
                        .filter(l => l && !l.startsWith('EXERCISE ·')).slice(0, 2).join(' / '),
               buttons: [...c.querySelectorAll('button')].map(b => b.innerText.trim()) }))"""


@pytest.fixture
def served(tmp_path: Path) -> Iterator[tuple[str, Any]]:
    missing_browser()
    settings = Settings(
        database_url=f"sqlite:///{tmp_path / 'reply.sqlite3'}",
        local_workspace=True,
        outbox_pace_seconds=0,
    )
    with running(settings, ManualClock(START)) as (url, bot):
        yield url, bot


def _demo(person: Person) -> None:
    """``/opss demo`` typed, and its reply waited for: some twenty commands, on a busy
    machine longer than a single command's wait."""
    person.type("/opss demo")
    reply = person.page.locator('[data-testid="ephemeral"]').last
    person.expect(reply).to_contain_text("Demo ready: EXERCISE incident", timeout=60_000)


def _reply_is_last_and_seen(page: Any) -> str:
    found = page.evaluate(LAST)
    assert found["last"], f"the reply is not the last of {found['count']} items"
    assert found["seen"], "the reply is not in view"
    return str(found["text"])


@pytest.mark.parametrize("width", list(WIDTHS))
def test_the_demos_reply_is_last_and_in_view(served: tuple[str, Any], width: str) -> None:
    url, _ = served
    with browser_page(url) as page:
        w, h = WIDTHS[width]
        page.set_viewport_size({"width": w, "height": h})
        hana = Person(page, "hana")
        _demo(hana)
        # The demo posted in this channel too (its issue's card): above the reply.
        messages = page.locator('[data-testid="message"]')
        hana.expect(messages.filter(has_text="ISS-2026-0001").first).to_be_visible()
        text = _reply_is_last_and_seen(page)
        assert "press Next event" in text


@pytest.mark.parametrize("width", list(WIDTHS))
def test_a_reply_to_a_command_that_posts_is_below_the_post_and_says_it_once(
    served: tuple[str, Any], width: str
) -> None:
    url, _ = served
    with browser_page(url) as page:
        w, h = WIDTHS[width]
        page.set_viewport_size({"width": w, "height": h})
        olly = Person(page, "olly")
        olly.type(
            '/opss raise "Gas hob elbow joints leaking" --products "EJ-15" --hazard "Gas escape" '
            '--source business --area "Gas and Electrical"'
        )
        olly.says("Raised ISS-2026-0001")
        messages = page.locator('[data-testid="message"]')
        olly.expect(messages.filter(has_text="raised ISS-2026-0001").last).to_be_visible()
        assert "IMT has been told" in _reply_is_last_and_seen(page)

        hana = Person(page, "hana")
        hana.type(f"/opss action {ISS} Collect samples --owner ian --due 2026-11-25")
        post = messages.filter(has_text="Action ACT-2026-0001 on ISS-2026-0001")
        hana.expect(post).to_have_count(1)
        hana.says(POSTED)
        text = _reply_is_last_and_seen(page)
        # The channel shows the action, its card and its words; the reply does not again.
        assert "ACT-2026-0001" not in text and "Collect samples" not in text
        assert page.locator('[data-testid="ephemeral"] .card').count() == 0

        hana.type("/opss list")  # posts nothing: the whole answer is the reply
        hana.says("Open issues")
        assert ISS in _reply_is_last_and_seen(page)


def _walk(bot: Any, page: Any) -> None:
    """A lifecycle that makes each kind of card with buttons: the demo (issue, conference,
    incident, decision log, battle rhythm, groups, strategy, sitreps), then an action, a
    notification, a lowering of the level, a de-escalation plan, reminders and prompts as the
    clock moves, and the cards that replies carry."""
    general = _channels(bot)[0]
    hana = Person(page, "hana")
    _demo(hana)
    d = Driver(bot.engine, channel=general)
    ok(d.cmd("hana", f"action {INC} Collect samples --owner ian --due 2026-11-25"))
    ok(d.cmd("fatima", f"notify {INC} reg33_4 --trigger 2026-11-23"))
    ok(d.cmd("hana", f"level {INC} medium --rationale 'Recall 90%' --scg 'David agrees'"))
    ok(d.cmd("hana", f"level {INC} withdraw"))
    ok(plan(d, to_level="operational"))
    bot.outbox.kick()
    for command, says in (
        (f"/opss status {INC}", INC),
        ("/opss list", INC),
        ("/opss roster", "Roster"),
        ("/opss mi", "Management information"),
        ("/opss notifications exercise", "NOT-2026-0001"),
        ("/opss mi --exercise", "EXERCISE"),
        ("/opss clock next", "Clock moved"),
        ("/opss clock next", "Clock moved"),
    ):
        hana.type(command)
        hana.says(says)


def test_at_420_px_no_cards_button_runs_past_the_edge(served: tuple[str, Any]) -> None:
    url, bot = served
    with browser_page(url) as page:
        width, height = WIDTHS["narrow"]
        page.set_viewport_size({"width": width, "height": height})
        _walk(bot, page)
        seen: dict[str, list[str]] = {}
        channels = page.locator("#channels button")
        names = channels.all_inner_texts()
        for i, name in enumerate(names):
            if i:  # the general channel keeps the replies: it is looked at first, as it is
                channels.nth(i).click()
                shown = channels.nth(i).get_attribute("data-channel")
                # Set once every message of that channel is rendered.
                page.wait_for_selector(f'#messages[data-channel="{shown}"]', state="attached")
            for card in page.evaluate(CARDS):
                seen.setdefault(card["title"], card["buttons"])
            outside = page.evaluate(OUTSIDE, width)
            assert not outside, f"{name} at {width} px: buttons past the edge: {outside}"
            if "inc-2026-001" in name and "tcg" not in name:
                SHOTS.mkdir(parents=True, exist_ok=True)
                page.locator("#messages button", has_text="Risk assessment").last.evaluate(
                    "b => b.scrollIntoView({block: 'center'})"
                )
                page.screenshot(path=str(SHOTS / "buttons-narrow.png"))
        titles = "\n".join(seen)
        for kind in KINDS:  # the walk reached every kind of card with buttons
            assert kind in titles, (kind, titles)
