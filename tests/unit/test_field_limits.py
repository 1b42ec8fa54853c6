"""Lengths and dates that make sense (issue 20, item 8): every text field of every form has a
limit that fits the platforms, shown beside the field and enforced by the one form engine; an
Annex "expected by" date is a real date still to come. A value refused stores nothing."""

from __future__ import annotations

import json
from typing import Any

from cards.adaptive import render_form
from cards.annex_forms import ANNEXES, form_step
from cards.blockkit import form_modal
from cards.model import SURFACE_LIMIT
from commands.core.clock import ManualClock
from storage.unit_of_work import Database
from tests.conftest import Driver, row_counts
from tests.fakes.annex_v import ANNEX_V, STEPS
from tests.fakes.forms import forms_of_every_flow
from tests.fakes.steps import INC, declare, ok, raise_issue

TYPED = {"text", "multiline"}
# A Teams card holds at most 28 KB (Bot Framework's limit on an activity's attachments).
TEAMS_CARD = 28 * 1024


def inputs(card: dict[str, Any]) -> list[dict[str, Any]]:
    found: list[dict[str, Any]] = []

    def walk(node: Any) -> None:
        if isinstance(node, dict):
            if node.get("type") == "Input.Text":
                found.append(node)
            for value in node.values():
                walk(value)
        elif isinstance(node, list):
            for value in node:
                walk(value)

    walk(card)
    return found


def test_every_text_field_of_every_form_has_a_limit_shown_beside_it(
    bot: Driver, db: Database, clock: ManualClock
) -> None:
    built = forms_of_every_flow(bot, db, clock)
    unlimited, too_long, silent = [], [], []
    for form_id, form in built.items():
        for f in form.fields:
            if f.kind not in TYPED:
                continue
            if f.limit is None:
                unlimited.append(f"{form_id}.{f.name}")
            elif f.limit > SURFACE_LIMIT:  # Slack's text input takes no more
                too_long.append(f"{form_id}.{f.name}: {f.limit}")
            if f"{f.limit:,} characters" not in f.hint:
                silent.append(f"{form_id}.{f.name}")
        # Each surface's input carries the limit: Adaptive Cards' maxLength, Block Kit's
        # max_length, both with the hint as the placeholder.
        typed = {f.name: f for f in form.fields if f.kind in TYPED}
        for element in inputs(render_form(form)):
            if element["id"] in typed:
                assert element["maxLength"] == typed[element["id"]].limit, element["id"]
                assert "characters" in element["placeholder"], element["id"]
        modal = form_modal(form, {"channel": "C1"}).to_dict()
        for block in modal["blocks"]:
            element = block.get("element", {})
            if element.get("type") == "plain_text_input" and element["action_id"] in typed:
                assert element["max_length"] == typed[element["action_id"]].limit
    assert not unlimited, unlimited
    assert not too_long, too_long
    assert not silent, silent


def test_a_form_filled_to_its_limits_still_fits_a_teams_card(
    bot: Driver, db: Database, clock: ManualClock
) -> None:
    built = forms_of_every_flow(bot, db, clock)
    # Every step of every annex, as its longest is the largest form there is.
    for code, annex in ANNEXES.items():
        for step in range(1, len(annex.steps) + 1):
            built[f"annex {code} step {step}"] = form_step(
                annex,
                step,
                {},
                reference="NOT-2026-0001",
                subtitle="",
                show_confidential=True,
                steps=list(range(1, len(annex.steps) + 1)),
            )
    over = {}
    for form_id, form in built.items():
        full = form.prefilled(
            {f.name: "x" * (f.limit or 0) for f in form.fields if f.kind in TYPED}
        )
        size = len(json.dumps(render_form(full)).encode())
        if size > TEAMS_CARD:
            over[form_id] = size
    assert not over, over


def test_an_over_long_sitrep_field_is_refused_naming_it_and_nothing_is_stored(
    bot: Driver, db: Database
) -> None:
    declare(bot)
    ok(bot.cmd("ian", f'sitrep {INC} set --teams "Gas and Electrical"'))
    before = row_counts(db)
    reply = bot.submit(
        "fatima",
        {
            "form": "sitrep_update",
            "reference": INC,
            "team": "Gas and Electrical",
            "situation": "x" * 9000,
        },
    )
    assert not reply.ok
    assert reply.errors["situation"] == ("Situation is too long: 9,000 characters, at most 2,000")
    assert reply.form is not None  # the form again, to shorten it
    counts = row_counts(db)
    assert counts["sitrep_updates"] == before["sitrep_updates"] == 0
    # Typed as a command, the same limit and the same words.
    typed = bot.cmd(
        "hana",
        f"decide {INC} --what Recall --rationale Evidence --by David --group tcg "
        f"--meeting {'y' * 250}",
    )
    assert not typed.ok
    assert "Meeting (e.g. TCG 3, 24 Nov) is too long: 250 characters, at most 200" in typed.text
    assert row_counts(db)["decisions"] == counts["decisions"]


def _notification(bot: Driver) -> str:
    ref = raise_issue(bot)
    reply = ok(bot.cmd("fatima", f"notify {ref} reg33_4 --trigger 2026-11-23"))
    return reply.text.split()[0]


def _step_one(nref: str, gap: str) -> dict[str, Any]:
    boxes = {k: ANNEX_V[k] for k in STEPS[0] if k != "f4"}
    return {"form": "annex", "reference": nref, "step": "1", **boxes, "f4_gap": gap}


def test_an_annex_expected_date_must_exist_and_be_still_to_come(bot: Driver, db: Database) -> None:
    nref = _notification(bot)
    before = row_counts(db)
    for gap, says in (
        ("2026-13-01", "'2026-13-01' is not a date; use YYYY-MM-DD"),
        ("expected 2026-02-30 from the importer", "'2026-02-30' is not a date"),
        ("2026-11-01", "2026-11-01 has passed"),
    ):
        reply = bot.submit("fatima", _step_one(nref, gap))
        assert not reply.ok, gap
        assert reply.errors["f4_gap"].startswith("Box 4 (Customs code"), reply.errors
        assert says in reply.errors["f4_gap"]
        # Nothing half-stored: not the step's other boxes, nor an audit of a save.
        assert row_counts(db)["audit_events"] == before["audit_events"] + 0
        shown = ok(bot.cmd("fatima", f"notify {nref} form 1")).form
        assert shown is not None and shown.field("f5").value is None
    ok(bot.submit("fatima", _step_one(nref, "2026-12-01")))
    shown = ok(bot.cmd("fatima", f"notify {nref} form 1")).form
    assert shown is not None and shown.field("f4_gap").value == "2026-12-01"
    # A reason rather than a date is taken as it is.
    ok(bot.submit("fatima", _step_one(nref, "The importer has no customs record")))
