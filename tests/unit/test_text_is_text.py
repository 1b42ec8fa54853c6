"""Text from people is text on every surface: never a mention, a link or formatting.

Every text field of every form on the way from a raised issue to a published sitrep is filled
with a hostile string (Slack's ``<!channel>`` and ``<url|label>``, Markdown links, bold and
lists, HTML, the Adaptive renderer's ``{{DATE()}}``). Then every reply, form and queued post
that results is rendered for both surfaces and checked: in Adaptive Cards the string reaches
only ``TextRun``s (shown literally) and never a Markdown property; in Slack it reaches only
``plain_text`` and ``rich_text`` runs, and mrkdwn carries it escaped.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import timedelta
from typing import Any

from sqlalchemy import select

from bot.teams.cards import message_text as teams_text
from bot.teams.cards import reply_card
from cards.adaptive import render_card, render_form
from cards.blockkit import blocks_json, card_blocks, form_modal, message_text, text_blocks
from cards.model import Card, Form, card_from_dict
from commands.core.clock import ManualClock
from commands.core.context import Reply
from commands.core.due import tick
from storage.models import OutboxMessage
from storage.unit_of_work import Database
from tests.conftest import Driver, ratings
from tests.fakes.hostile import HOSTILE, MARK
from tests.fakes.schema import assert_valid_card

INC = "INC-2026-001"


def hostile(limit: int | None) -> str:
    if limit is None or len(HOSTILE) <= limit:
        return HOSTILE
    return f"<!channel> <https://{MARK}|x>"[:limit]


def fill(form: Form, **given: Any) -> dict[str, Any]:
    """Every free-text field hostile; other fields a valid answer (or what is given)."""
    data: dict[str, Any] = {"form": form.id, **form.context}
    for f in form.fields:
        if f.name in given:
            data[f.name] = given[f.name]
        elif f.kind in {"text", "multiline"}:
            data[f.name] = hostile(f.max_length)
        elif f.kind in {"choice", "multichoice"} and f.choices:
            data[f.name] = f.choices[0].value
        elif f.kind == "date":
            data[f.name] = "2026-11-24"
        elif f.kind == "time":
            data[f.name] = "10:00"
        elif f.kind == "person":
            data[f.name] = "david"
    return data


class Seen:
    """Everything a person could be shown: replies, their cards and forms."""

    def __init__(self) -> None:
        self.replies: list[Reply] = []

    def __call__(self, reply: Reply) -> Reply:
        assert reply.ok, reply.text
        self.replies.append(reply)
        return reply

    def form(self, reply: Reply) -> Form:
        self.replies.append(reply)
        assert reply.form is not None, reply.text
        return reply.form


def walk(node: Any) -> Iterator[dict[str, Any]]:
    if isinstance(node, dict):
        yield node
        for value in node.values():
            yield from walk(value)
    elif isinstance(node, list):
        for value in node:
            yield from walk(value)


def adaptive_problems(card: dict[str, Any]) -> list[str]:
    """Where people's text would be read as Markdown (TextBlock, facts) or as a function."""
    out = []
    for node in walk(card):
        kind = node.get("type")
        if kind == "TextBlock" and MARK in node.get("text", ""):
            out.append(f"TextBlock (Markdown): {node['text'][:60]}")
        if kind == "FactSet" and MARK in str(node):
            out.append("FactSet (Markdown)")
        if kind == "TextRun" and "{{DATE(" in node.get("text", ""):
            out.append("TextRun runs the renderer's DATE function")
    return out


def slack_problems(blocks: list[dict[str, Any]]) -> list[str]:
    """Where people's text would be read as mrkdwn: a mention, a link, formatting."""
    out = []
    for node in walk(blocks):
        if node.get("type") == "mrkdwn":
            text = node.get("text", "")
            if MARK in text and ("<" in text or ">" in text):
                out.append(f"mrkdwn with a live <…>: {text[:60]}")
            if MARK in text:
                out.append(f"people's text in mrkdwn (formatting applies): {text[:60]}")
    return out


def check_card(card: Card) -> None:
    adaptive = render_card(card)
    assert_valid_card(adaptive)
    assert not adaptive_problems(adaptive), adaptive_problems(adaptive)
    blocks = blocks_json(card_blocks(card))
    assert not slack_problems(blocks), slack_problems(blocks)


def check_text(text: str) -> None:
    assert "<" not in message_text(text) and ">" not in message_text(text)
    blocks = blocks_json(text_blocks(text))
    assert not slack_problems(blocks)
    teams = teams_text(text)  # Teams reads a message's text as Markdown with HTML
    assert "<" not in teams and not re.search(r"(?<!\\)[*_\[\]`]", teams), teams


def test_hostile_text_in_every_field_stays_text_on_both_surfaces(
    bot: Driver, db: Database, clock: ManualClock
) -> None:
    seen = Seen()
    raised = seen.form(bot.cmd("olly", "raise"))
    reply = seen(
        bot.submit("olly", fill(raised, source="business", functional_area="Gas and Electrical"))
    )
    ref = re.search(r"ISS-\d{4}-\d{4}", reply.text).group(0)  # type: ignore[union-attr]

    seen.form(bot.cmd("fatima", f"assess {ref}"))
    seen(bot.submit("ian", {"form": "assess", "reference": ref, **ratings("high")}))
    nnc = seen.form(bot.cmd("ian", f"nnc {ref}"))
    seen(bot.submit("ian", fill(nnc)))
    seen(bot.cmd("ian", f'escalate {ref} --justification "{HOSTILE[:40]}"'))
    seen(bot.submit("ian", {"form": "assess", "reference": ref, **ratings("high")}))
    seen(bot.cmd("ian", f"escalate {ref} cam"))
    seen(bot.submit("ian", {"form": "assess", "reference": ref, **ratings("high")}))
    nnc = seen.form(bot.cmd("ian", f"nnc {ref}"))
    seen(bot.submit("ian", fill(nnc, novel="true")))
    seen(bot.cmd("ian", f"escalate {ref} ttg"))
    seen(bot.submit("ian", {"form": "assess", "reference": ref, **ratings("high")}))
    conference = seen.form(bot.cmd("hana", f"conference {ref}"))
    # Convened now (09:30, the test clock): its outcome can be recorded once it has met.
    reply = seen(
        bot.submit("hana", fill(conference, consulted_scs="sara", date="2026-11-23", time="09:30"))
    )
    assert reply.form is None, reply.text
    cc = re.search(r"CC-\d{4}-\d{4}", reply.text).group(0)  # type: ignore[union-attr]
    outcome = seen.form(bot.cmd("ian", f"outcome {cc}"))
    seen(bot.submit("ian", fill(outcome, outcomes="declare_incident")))
    declaring = seen.form(bot.cmd("hana", f"declare {ref}"))
    reply = seen(bot.submit("hana", fill(declaring, invite="ian")))
    incident = INC
    assert incident in reply.text

    decide = seen.form(bot.cmd("ian", f"decide {incident}"))
    seen(bot.submit("ian", fill(decide, supersedes="", group="imt", date="", time="")))
    action = seen.form(bot.cmd("ian", f"action {incident}"))
    seen(bot.submit("ian", fill(action, owner="fatima", time="")))
    seen(bot.cmd("hana", f'sitrep {incident} set --teams "Toys and Childcare, Gas and Electrical"'))
    update = seen.form(bot.cmd("fatima", f"sitrep {incident} update"))
    seen(bot.submit("fatima", fill(update, team="Gas and Electrical")))
    clock.advance(timedelta(hours=7))  # past the 16:00 cut-off: the sitrep is collated
    tick(db, clock, bot.engine.options)
    amend = seen.form(bot.cmd("ian", f"sitrep {incident} amend 1"))
    seen(bot.submit("ian", fill(amend)))
    seen(bot.cmd("ian", f"sitrep {incident} approve 1"))
    for command in (
        f"status {ref}",
        f"status {incident}",
        "list",
        f"sitrep {incident} list",
        f"sitrep {incident} show 1",
        f"rhythm {incident}",
        f"{HOSTILE[:30]}",  # an unknown verb is echoed in the reply
    ):
        reply = bot.cmd("olly" if "status" in command else "ian", command)
        seen.replies.append(reply)

    cards = [r.card for r in seen.replies if r.card is not None]
    cards += bot.engine.home("local", "fatima", "fatima")  # App Home's cards
    with db.read() as s:
        posts = [m.payload for m in s.scalars(select(OutboxMessage)) if "text" in m.payload]
    cards += [card_from_dict(p["card"]) for p in posts if p.get("card")]
    # The hostile text did reach the cards, or this test would prove nothing.
    assert sum(MARK in c.plain for c in cards) >= 10
    for card in cards:
        check_card(card)
    for reply in seen.replies:  # what Teams shows the person who acted
        assert not adaptive_problems(reply_card(reply))
    for text in [r.text for r in seen.replies] + [p["text"] for p in posts]:
        check_text(text)
    for form in [r.form for r in seen.replies if r.form is not None]:
        prefilled = form.prefilled(fill(form)).with_errors({"_form": HOSTILE})
        adaptive = render_form(prefilled)
        assert_valid_card(adaptive)
        assert not adaptive_problems(adaptive)
        modal = form_modal(prefilled, {"channel": "C1"}).to_dict()
        assert not slack_problems(modal["blocks"])


def test_the_check_would_catch_markdown_and_mrkdwn() -> None:
    """The checks above fail for a card built the old way (people's text in Markdown)."""
    old_adaptive = {"type": "TextBlock", "text": f"**{HOSTILE}**"}
    assert adaptive_problems({"body": [old_adaptive]})
    old_slack = [{"type": "section", "text": {"type": "mrkdwn", "text": f"*Title*\n{HOSTILE}"}}]
    assert slack_problems(old_slack)


def test_slack_escaping_is_slacks_three_characters() -> None:
    assert (
        message_text("<!channel> & <https://x|y>") == "&lt;!channel&gt; &amp; &lt;https://x|y&gt;"
    )
