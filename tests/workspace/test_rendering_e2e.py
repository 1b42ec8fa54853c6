"""What a person sees in the workspace, asserted on the rendered page (headless Chromium):
headings bold and on their own lines in the welcome, help, the decision log and the collated
sitrep; no raw asterisks or backticks; people's text shown literally, never as a link."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from bot.config import Settings
from commands.core.clock import ManualClock
from tests.conftest import START, Driver
from tests.fakes.browser import Person, browser_page, missing_browser
from tests.fakes.hostile import HOSTILE, MARK
from tests.fakes.server import running
from tests.fakes.steps import declare, ok
from tests.fakes.workspace import _channels

pytestmark = pytest.mark.browser
INC = "INC-2026-001"

# The block (one line of a card) whose text is exactly ``heading``: is it bold, and does the
# next line start below it?
HEADING = """([root, heading]) => {
  const blocks = [...root.querySelectorAll(".ac-richTextBlock, .ac-textBlock")];
  const b = blocks.find((x) => x.textContent.trim() === heading);
  if (!b) return null;
  const runs = [...b.querySelectorAll("span, p, strong")];
  const weights = (runs.length ? runs : [b]).map((r) => +getComputedStyle(r).fontWeight);
  const weight = Math.min(...weights);
  const next = blocks[blocks.indexOf(b) + 1];
  const below = !next || next.getBoundingClientRect().top >= b.getBoundingClientRect().bottom - 1;
  return { weight, below };
}"""
# Every line (block) of the cards in ``root``, as shown.
LINES = """(root) => [...root.querySelectorAll(".ac-richTextBlock, .ac-textBlock")]
  .map((b) => b.innerText.trim())"""


# WCAG contrast of an element's text against the header's navy.
CONTRAST = """(el) => {
  const rgb = (c) => c.match(/[\\d.]+/g).slice(0, 3).map(Number);
  const lum = ([r, g, b]) => {
    const f = (v) => { v /= 255; return v <= 0.03928 ? v / 12.92 : ((v + 0.055) / 1.055) ** 2.4; };
    return 0.2126 * f(r) + 0.7152 * f(g) + 0.0722 * f(b);
  };
  const fg = lum(rgb(getComputedStyle(el).color));
  const bg = lum(rgb(getComputedStyle(document.querySelector("header")).backgroundColor));
  return (Math.max(fg, bg) + 0.05) / (Math.min(fg, bg) + 0.05);
}"""


def heading(page: Any, root: Any, text: str) -> None:
    found = page.evaluate(HEADING, [root.element_handle(), text])
    assert found is not None, f"no line reading exactly {text!r}"
    assert found["weight"] >= 600, f"{text!r} is not bold"
    assert found["below"], f"{text!r} shares its line with what follows"


def lines(page: Any, root: Any) -> list[str]:
    return page.evaluate(LINES, root.element_handle())


@pytest.fixture
def served(tmp_path: Path) -> Iterator[tuple[str, Driver]]:
    missing_browser()
    settings = Settings(
        database_url=f"sqlite:///{tmp_path / 'render.sqlite3'}",
        local_workspace=True,
        outbox_pace_seconds=0,
    )
    with running(settings, ManualClock(START)) as (url, bot):
        general = _channels(bot)[0]
        yield url, Driver(bot.engine, channel=general)


def test_first_page_and_help_are_formatted(served: tuple[str, Driver]) -> None:
    url, _ = served
    with browser_page(url) as page:
        guest = Person(page, "guest")
        for selector in ("#clock", "header .muted"):  # WCAG AA asks 4.5:1 for text
            assert page.locator(selector).first.evaluate(CONTRAST) >= 4.5, selector
        welcome = page.locator('[data-testid="welcome"]')
        guest.expect(welcome).to_be_visible()
        heading(page, welcome, "Who you can be")
        heading(page, welcome, "Try first")
        shown = lines(page, welcome)
        for name, role in (("hana", "Head of IMT"), ("fatima", "Functional Team Leader")):
            assert any(line.startswith(f"• {name} ·") and role in line for line in shown), shown
        assert any(line.startswith("• /opss demo") for line in shown)

        guest.type("/opss help")
        guest.says("OPSS incident bot commands")
        reply = page.locator('[data-testid="ephemeral"]').last
        heading(page, reply, "Issues up the ladder")
        heading(page, reply, "Local workspace only")
        text = reply.inner_text()
        assert "*" not in text and "`" not in text
        shown = lines(page, reply)
        assert any(line.startswith("• /opss clock") for line in shown)
        assert any(line.startswith("• /opss demo") for line in shown)

        welcome.get_by_role("button", name="Run the demo").click()
        guest.says("Demo ready: EXERCISE incident")


def test_decision_log_and_collated_sitrep_are_formatted(served: tuple[str, Driver]) -> None:
    url, bot = served
    declare(bot)
    ok(bot.cmd("hana", f'sitrep {INC} set --teams "Gas and Electrical, Product Safety"'))
    form = ok(bot.cmd("fatima", f"sitrep {INC} update")).form
    assert form is not None
    ok(
        bot.submit(
            "fatima",
            {
                "form": form.id,
                **form.context,
                "team": "Gas and Electrical",
                "situation": "Testing 40% done",
                "next_steps": "Finish testing\nDraft a recall notice",
            },
        )
    )
    with browser_page(url) as page:
        hana = Person(page, "hana")
        page.locator("#channels button", has_text="inc-2026-001").click()
        messages = page.locator('[data-testid="message"]')
        log = messages.filter(has_text="Decision log ·").first
        hana.expect(log).to_contain_text("DEC-2026-0002")
        heading(page, log, "Decisions")
        entries = [line for line in lines(page, log) if line.startswith("• DEC-")]
        # The case conference's decision, then the declaration (the log is the issue's).
        assert len(entries) == 2 and "Declare incident INC-2026-001" in entries[1]
        assert "Declare an incident" in entries[0] and "(rationale: " in entries[0]

        hana.type("/opss clock +7h")  # 16:30: past the cut-off, the sitrep is collated
        draft = messages.filter(has_text="collated for IMT to approve").first
        hana.expect(draft).to_contain_text("Testing 40% done")
        heading(page, draft, "Gas and Electrical (from Fatima Khan)")
        heading(page, draft, "No update received from")
        shown = lines(page, draft)
        assert "Situation: Testing 40% done" in shown
        assert "Next steps: Finish testing\nDraft a recall notice" in shown  # its line break kept
        label = draft.locator(".ac-textRun", has_text="Situation").first
        assert int(label.evaluate("e => getComputedStyle(e).fontWeight")) >= 600
        assert "*" not in draft.inner_text()


def test_peoples_text_is_shown_literally(served: tuple[str, Driver]) -> None:
    url, bot = served
    ok(
        bot.cmd(
            "olly",
            f'raise "{HOSTILE[:110]}" --products "<b>EJ-15</b>" --hazard "**Gas** escape" '
            '--source business --area "Gas and Electrical"',
        )
    )
    with browser_page(url) as page:
        olly = Person(page, "olly")
        card = page.locator('[data-testid="message"]').filter(has_text="ISS-2026-0001").last
        olly.expect(card).to_contain_text("<!channel>")
        assert card.locator("a, b, em, h1, li, code").count() == 0
        text = card.inner_text()
        assert f"<https://{MARK}/login|Sign in to OPSS> [Sign in](https://{MARK}/md)" in text
        assert "<b>EJ-15</b>" in text and "**Gas** escape" in text


# A TextBlock's Markdown as the page renders it (markdown-it, then DOMPurify).
MARKDOWN = """(text) => {
  const card = new AdaptiveCards.AdaptiveCard();
  card.parse({ type: "AdaptiveCard", version: "1.5", body: [{ type: "TextBlock", text }] });
  const el = card.render();
  document.body.appendChild(el);
  const block = el.querySelector(".ac-textBlock");
  const html = block.innerHTML;
  el.remove();
  return html;
}"""


def test_the_pages_markdown_is_rendered_by_a_library_and_sanitised(
    served: tuple[str, Driver],
) -> None:
    url, _ = served
    with browser_page(url) as page:
        Person(page, "guest")
        html = page.evaluate(
            MARKDOWN,
            "**Bold** and _em_\n\n- one\n- two\n\n"
            '<img src=x onerror="alert(1)"> <script>alert(2)</script> '
            "[link](javascript:alert(3)) <b onclick=alert(4)>b</b>",
        )
        assert "<strong>Bold</strong>" in html and "<em>em</em>" in html
        assert html.count("<li>") == 2  # a list, which a regex never made
        lowered = html.lower()
        for bad in ("<img", "<script", 'href="javascript', "<b "):
            assert bad not in lowered, html
        assert not re.search(r"<[^>]*\bon\w+=", lowered), html  # no live handler attribute
