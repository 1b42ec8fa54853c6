"""Records a minister's office can be sent: each export is read back (python-docx, pypdf, csv)
and every value recorded in its source is found in it, as written, in the plan's words, with
the document's properties and its header on every page."""

from __future__ import annotations

import csv
import io
import os
import re
from datetime import UTC, datetime, timedelta
from pathlib import Path

import docx
import pypdf
import pytest
from sqlalchemy import select

from cards.annex_export import annex_pdf, filled_boxes
from cards.annex_forms import ANNEXES
from commands.core.clock import ManualClock
from commands.core.due import tick
from commands.records.documents import CLASSIFICATION, MARKING_LINE, Report, pdf_bytes
from commands.records.timeline import describe
from rules.channels import incident_channel_name
from rules.deadlines import Kind
from rules.stand_down import REVIEW_ASPECTS
from storage.models import Document
from storage.unit_of_work import Database
from tests.conftest import Driver, row_counts
from tests.fakes.stand_down import de_escalate, open_actions
from tests.fakes.steps import declare, ok

INC = "INC-2026-001"
# Polish, Welsh, smart quotes, dashes, an emoji the font has and one it has not.
UNICODE = "Łódź factory seal defect — suspected; “Smart” kettle – Łukasz’s; ŵŷ Caerdydd 😀"


def files(db: Database) -> dict[str, Document]:
    with db.read() as s:
        kept = {d.filename: d for d in s.scalars(select(Document).order_by(Document.id))}
    # RECORDS_DUMP=folder keeps the files to look at (docs/records.md renders pages from them).
    if os.environ.get("RECORDS_DUMP"):
        for name, d in kept.items():
            (Path(os.environ["RECORDS_DUMP"]) / name).write_bytes(d.content)
    return kept


def docx_text(content: bytes) -> str:
    document = docx.Document(io.BytesIO(content))
    parts = [p.text for p in document.paragraphs]
    for table in document.tables:
        parts += [c.text for row in table.rows for c in row.cells]
    return "\n".join(parts)


def docx_header(content: bytes) -> str:
    document = docx.Document(io.BytesIO(content))
    return "\n".join(p.text for p in document.sections[0].header.paragraphs)


def pdf_pages(content: bytes) -> list[str]:
    return [page.extract_text() for page in pypdf.PdfReader(io.BytesIO(content)).pages]


def flat(text: str) -> str:
    """Text without its line breaks: a PDF wraps long values over lines."""
    return " ".join(text.split())


def assert_properties(content: bytes, fmt: str, title: str, author: str) -> None:
    if fmt == "docx":
        props = docx.Document(io.BytesIO(content)).core_properties
        assert props.title == title and props.author == author
        assert props.author != "python-docx" and props.last_modified_by == author
        assert INC in props.subject
    else:
        meta = pypdf.PdfReader(io.BytesIO(content)).metadata
        assert meta is not None
        assert meta.title == title and meta.author == author and INC in (meta.subject or "")


def assert_headed(pages: list[str], made: str, exercise: bool) -> None:
    """Every page names the classification, the incident and when it was made; an exercise is
    marked once on each page."""
    for page in pages:
        assert CLASSIFICATION in page and INC in page and f"made {made}" in flat(page)
        assert page.count(MARKING_LINE) == (1 if exercise else 0), page
        assert "EXERCISE ·" not in page.replace(MARKING_LINE, ""), page


STRATEGY = {
    "form": "strategy",
    "reference": INC,
    "what_happened": "Gas escapes at 3 sites in Łódź and Wrexham",
    "aim": "Stop further leaks — protect the public",
    "priorities": "Recall batch 7; inform Gas Safe engineers",
    "support": "Two more investigators from Targeting",
    "communications": "Press line by 17:00; “Smart” kettle owners by letter",
    "engagement": "Minister's office briefed daily at 09:00",
    "exit_strategy": "Recall above 90% and no new reports for 14 days",
    "equality": "Older people miss online notices: letters in English and Cymraeg (ŵ, ŷ)",
    "deadlines": "fatima | 2026-11-24 12:00 | Test results for batch 3",
}


def test_the_strategy_export_holds_every_section_the_card_counts(bot: Driver, db: Database) -> None:
    declare(bot, "--level tactical --erco yes --scg-chair david")
    ok(bot.submit("david", STRATEGY))
    card = ok(bot.cmd("ian", f"status {INC}")).card
    assert card is not None and "v1" in dict(card.facts)["SCG strategy"]
    ok(bot.submit("david", {**STRATEGY, "aim": "Version two: recall complete", "deadlines": ""}))
    ok(bot.cmd("ian", f"export {INC} strategy"))
    kept = files(db)
    for fmt in ("docx", "pdf"):
        content = kept[f"{INC}-strategy.{fmt}"].content
        text = docx_text(content) if fmt == "docx" else flat("\n".join(pdf_pages(content)))
        assert "no strategy has been recorded yet" not in text and "not recorded" not in text
        for key, value in STRATEGY.items():
            if key in {"form", "reference", "aim", "deadlines"}:
                continue
            assert flat(value) in text, (fmt, key)
        assert "Version two: recall complete" in text  # the current version
        assert "v1" in text and "Stop further leaks — protect the public" in text  # earlier
        assert "Public sector equality duty" in text
        assert "Test results for batch 3 (Fatima Khan, due Tue 24 Nov 2026 12:00 GMT; open)" in text
        assert "Command level" in text and "Tactical" in text and "Impact rating" in text
        assert "Critical" in text and "Level:" not in text
        assert_properties(content, fmt, f"SCG strategy · {INC}", "Ian Brooks")
    assert CLASSIFICATION in docx_header(kept[f"{INC}-strategy.docx"].content)
    assert_headed(pdf_pages(kept[f"{INC}-strategy.pdf"].content), "Mon 23 Nov 2026", False)


def test_the_decision_log_in_every_format_holds_every_field_in_the_plans_names(
    bot: Driver, db: Database
) -> None:
    declare(bot, "--level strategic --exercise --tcg-chair fatima")
    first = ok(
        bot.submit(
            "ian",
            {
                "form": "decide",
                "reference": INC,
                "what": "Withdraw the “Smart” kettle – Łukasz’s model",
                "rationale": "Three reports of overheating 😀 in Łódź",
                "options_considered": "Recall; withdrawal; warning only",
                "decided_by": "Hana Patel",
                "group": "scg",
                "meeting": "SCG 2 — Caerdydd",
                "date": "2026-11-23",
                "time": "08:15",
                "evidence": "Test house report TH-77 (ŵ)",
            },
        )
    )
    first_ref = first.text.split()[1]
    ok(
        bot.submit(
            "ian",
            {
                "form": "decide",
                "reference": INC,
                "what": "Recall instead of withdrawal",
                "rationale": "Withdrawal leaves kettles in homes",
                "decided_by": "Hana Patel",
                "group": "imt",
                "supersedes": first_ref,
            },
        )
    )
    ok(bot.cmd("ian", f"export {INC} decisions"))
    kept = files(db)
    stem = f"EXERCISE-{INC}-decision-log"
    rows = list(csv.DictReader(io.StringIO(kept[f"{stem}.csv"].content.decode("utf-8-sig"))))
    by_ref = {r["reference"]: r for r in rows}
    assert by_ref[first_ref]["group"] == "Strategic Coordination Group (SCG)"
    assert {r["group"] for r in rows} >= {"Case conference", "Incident Management Team (IMT)"}
    assert by_ref[first_ref]["meeting"] == "SCG 2 — Caerdydd"
    values = [
        "Withdraw the “Smart” kettle – Łukasz’s model",
        "Three reports of overheating 😀 in Łódź",
        "Recall; withdrawal; warning only",
        "Hana Patel",
        "Strategic Coordination Group (SCG)",
        "Incident Management Team (IMT)",
        "Case conference",
        "SCG 2 — Caerdydd",
        "Test house report TH-77 (ŵ)",
        f"Supersedes: {first_ref}",
        "Mon 23 Nov 2026 08:15",
        "CC-2026-0001",
    ]
    docx_body = docx_text(kept[f"{stem}.docx"].content)
    pages = pdf_pages(kept[f"{stem}.pdf"].content)
    pdf_body = flat("\n".join(pages))
    for value in values:
        assert value in docx_body, value
        assert value in pdf_body, value
    for code in ("(scg)", "(imt)", "(case_conference)", "?"):
        assert code not in pdf_body and code not in docx_body
    assert_headed(pages, "Mon 23 Nov 2026", True)
    assert_properties(kept[f"{stem}.docx"].content, "docx", f"Decision log · {INC}", "Ian Brooks")
    assert_properties(kept[f"{stem}.pdf"].content, "pdf", f"Decision log · {INC}", "Ian Brooks")


def test_the_timeline_reads_as_plain_sentences_with_peoples_names(
    bot: Driver, db: Database
) -> None:
    declare(bot, "--level strategic --exercise --tcg-chair fatima")
    ok(bot.cmd("ian", f"lesson {INC} Łódź's contact list was out of date"))
    ok(bot.cmd("hana", f"export {INC} timeline"))
    kept = files(db)
    stem = f"EXERCISE-{INC}-timeline"
    pages = pdf_pages(kept[f"{stem}.pdf"].content)
    body = flat("\n".join(pages))
    docx_body = docx_text(kept[f"{stem}.docx"].content)
    for text in (body, docx_body):
        assert "Hana Patel declared incident INC-2026-001" in text
        assert "Ian Brooks recorded a lesson for INC-2026-001" in text
        assert "Łódź's contact list was out of date" in text
        assert "FTL assessment" in text and "Case conference" in text
        for code in ("ftl_assessment", "incident.declared", '{"', "hana ", "case_conference"):
            assert code not in text, code
        assert not re.findall(r"\b[A-Z]+_[A-Z_]+\b|\b[a-z]+_[a-z_]+\b", text)  # no codes
    assert_headed(pages, "Mon 23 Nov 2026", True)
    assert_properties(kept[f"{stem}.pdf"].content, "pdf", f"Timeline · {INC}", "Hana Patel")
    rows = list(csv.DictReader(io.StringIO(kept[f"{stem}.csv"].content.decode("utf-8-sig"))))
    assert {"when", "who", "what happened", "details"} <= set(rows[0])
    assert "Hana Patel" in {r["who"] for r in rows}
    assert not any("{" in r["details"] for r in rows)


def test_an_indicator_rated_not_applicable_reads_so_in_the_timeline() -> None:
    event = describe(
        datetime(2026, 11, 23, 9, 30, tzinfo=UTC),
        "Ian Brooks",
        "issue.assessed",
        "ISS-2026-0001",
        None,
        {"ratings": {"non_compliance": "NOT_APPLICABLE", "public_safety": "HIGH"}},
        {},
    )
    assert "non compliance: not applicable" in event.details
    assert "NOT_APPLICABLE" not in event.details


def test_sitrep_and_review_reports_hold_every_section_and_every_character(
    bot: Driver, db: Database, clock: ManualClock
) -> None:
    declare(bot, "--level strategic --exercise --tcg-chair fatima")
    ok(bot.cmd("ian", f'sitrep {INC} set --teams "Gas and Electrical"'))
    ok(
        bot.submit(
            "fatima",
            {
                "form": "sitrep_update",
                "reference": INC,
                "team": "Gas and Electrical",
                "situation": UNICODE,
                "next_steps": "Chase the three largest retailers – by Friday",
            },
        )
    )
    clock.advance(timedelta(hours=6, minutes=31))
    tick(db, clock, bot.engine.options)
    ok(bot.cmd("ian", f"sitrep {INC} approve 1"))
    ok(bot.cmd("ian", f"export {INC} sitreps"))
    kept = files(db)
    pdf = flat("\n".join(pdf_pages(kept[f"EXERCISE-{INC}-sitrep-1.pdf"].content)))
    docx_body = docx_text(kept[f"EXERCISE-{INC}-sitrep-1.docx"].content)
    for text in (pdf, docx_body):
        assert UNICODE in text and "Chase the three largest retailers – by Friday" in text
        assert "?" not in text.replace("?ód?", "")  # nothing replaced
        assert "?ód?" not in text

    de_escalate(bot, to="normal")
    for ref in open_actions(db):
        ok(bot.cmd("fatima", f"done {ref}"))
    ok(bot.cmd("hana", f'close {INC} --reason "Normal" --review "2026-12-15 10:00"'))
    findings = {key: f"{label} finding: Łódź — “{key}” ŵ" for key, label in REVIEW_ASPECTS}
    ok(
        bot.submit(
            "ian",
            {
                "form": "review",
                "reference": INC,
                "summary": "A contained response – Łukasz led it",
                "stakeholder_input": "The importer found the TCG helpful ŷ",
                **findings,
            },
        )
    )
    ok(bot.cmd("hana", f"review {INC} signoff"))
    kept = files(db)
    pdf = flat("\n".join(pdf_pages(kept[f"EXERCISE-{INC}-review-report.pdf"].content)))
    docx_body = docx_text(kept[f"EXERCISE-{INC}-review-report.docx"].content)
    for text in (pdf, docx_body):
        for value in [*findings.values(), "A contained response – Łukasz led it"]:
            assert value in text, value
        assert "The importer found the TCG helpful ŷ" in text


def test_a_pdf_prints_every_character_and_names_what_its_font_lacks() -> None:
    report = Report(
        title="Łódź – “Smart” kettle",
        sections=(("Notes", UNICODE + " 🔥"),),
        incident=f"{INC} · Łukasz’s kettle",
        made_at="09:00 Mon 23 Nov 2026",
        author="Łukasz Nowak",
        exercise=True,
    )
    pages = pdf_pages(pdf_bytes(report))
    text = flat("\n".join(pages))
    assert UNICODE in text  # 😀 is in DejaVu Sans
    assert "[fire]" in text  # 🔥 is not: named, not a blank box or "?"
    assert "?" not in text and "Łukasz’s kettle" in text and MARKING_LINE in text
    meta = pypdf.PdfReader(io.BytesIO(pdf_bytes(report))).metadata
    assert meta is not None and meta.author == "Łukasz Nowak"


def test_an_annex_pdf_prints_polish_addresses() -> None:
    annex = ANNEXES["II"]
    values = {box.key: "" for box in annex.boxes}
    address_box = next(b for b in annex.boxes if "address" in b.label.lower())
    values[address_box.key] = "ul. Piotrkowska 1, 90-001 Łódź, Poland"
    form = filled_boxes(annex, values, chemical=False, kind=Kind.RAPEX)
    text = flat("\n".join(pdf_pages(annex_pdf(annex, form, "NOT-2026-0001 · “RAPEX” – ŵ"))))
    assert "90-001 Łódź, Poland" in text and "“RAPEX” – ŵ" in text


@pytest.mark.parametrize(
    ("title", "expected"),
    [
        ("Łukasz's kettle", "inc-2026-001-lukasz-s-kettle"),
        ("Gwresogydd ŵyn ŷd – Łódź “Smart” 🔥", "inc-2026-001-gwresogydd-wyn-yd-lodz-smart"),
    ],
)
def test_channel_names_transliterate_rather_than_drop_letters(title: str, expected: str) -> None:
    assert incident_channel_name(INC, title, False, set()) == expected


def test_a_closed_incident_takes_no_change_but_its_lessons_and_review(
    bot: Driver, db: Database
) -> None:
    issue = declare(bot, "--level strategic --exercise --tcg-chair fatima --scg-chair david")
    de_escalate(bot, to="normal")
    for ref in open_actions(db):
        ok(bot.cmd("fatima", f"done {ref}"))
    ok(bot.cmd("hana", f'close {INC} --reason "Normal" --review "2026-12-15 10:00"'))
    before = row_counts(db)
    attempts = [
        bot.cmd("ian", f"action {INC} --what Chase --owner fatima --due 2026-12-01"),
        bot.cmd("ian", f'decide {INC} --what "Reopen" --rationale r --by Hana --group imt'),
        bot.cmd("ian", f'decide {issue} --what "Reopen" --rationale r --by Hana --group imt'),
        bot.submit("david", {**STRATEGY, "deadlines": ""}),  # a form's submission too
        bot.cmd("hana", f"level {INC} tactical"),
        bot.cmd("ian", f'sitrep {INC} set --teams "Gas and Electrical"'),
        bot.cmd("hana", f"close {INC} --reason again"),
    ]
    for reply in attempts:
        assert not reply.ok
        assert f"The incident is closed ({INC}" in reply.text
        assert "/opss raise" in reply.text and f"/opss review {INC}" in reply.text
    assert row_counts(db) == before  # no action, decision, post or audit event
    ok(bot.cmd("ian", f"lesson {INC} Recall letters reached people too late"))
    assert ok(bot.cmd("ian", f"review {INC} open")).form is not None
    ok(bot.cmd("ian", f"export {INC} decisions"))
    rows = list(
        csv.DictReader(
            io.StringIO(files(db)[f"EXERCISE-{INC}-decision-log.csv"].content.decode("utf-8-sig"))
        )
    )
    assert rows[-1]["decision"].startswith("Close incident")
