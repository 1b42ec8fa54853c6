"""Records to take away (plan 3.23, 5.1) as files: CSV, DOCX (python-docx) and PDF (fpdf2).

A ``Report`` is the neutral content; each format renders it. An EXERCISE report carries the
marking on every page: a DOCX section header and footer, a PDF page header and footer, and a
first column on every CSV row.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Sequence
from dataclasses import dataclass, field

from docx import Document as DocxDocument
from docx.enum.text import WD_ALIGN_PARAGRAPH
from docx.shared import Pt, RGBColor
from fpdf import FPDF

MARKING = "EXERCISE"
MARKING_LINE = "EXERCISE · EXERCISE · EXERCISE · not a live incident"


@dataclass(frozen=True)
class Report:
    title: str
    subtitle: str = ""
    exercise: bool = False
    facts: tuple[tuple[str, str], ...] = ()
    # Headed blocks of text, in order; a heading of "" continues the previous block.
    sections: tuple[tuple[str, str], ...] = field(default_factory=tuple)


# A cell a spreadsheet would read as a formula (OWASP, "CSV Injection"): = + - @, or a tab or
# carriage return before one of them.
FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def cell(value: object) -> str:
    """The value as text a spreadsheet shows as typed: a leading quote keeps a formula text."""
    text = "" if value is None else str(value)
    return "'" + text if text.startswith(FORMULA_START) else text


def csv_bytes(header: Sequence[str], rows: Sequence[Sequence[object]], exercise: bool) -> bytes:
    """Every CSV the bot writes: each cell neutralised here, once, whatever its source."""
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow([cell(v) for v in (["marking"] if exercise else []) + list(header)])
    for row in rows:
        writer.writerow([cell(v) for v in ([MARKING] if exercise else []) + list(row)])
    # A byte-order mark so spreadsheet programs read the text as UTF-8.
    return ("\ufeff" + out.getvalue()).encode("utf-8")


def docx_bytes(report: Report) -> bytes:
    doc = DocxDocument()
    if report.exercise:
        for part in (doc.sections[0].header, doc.sections[0].footer):
            paragraph = part.paragraphs[0]
            paragraph.alignment = WD_ALIGN_PARAGRAPH.CENTER
            run = paragraph.add_run(MARKING_LINE)
            run.bold = True
            run.font.color.rgb = RGBColor(0xB0, 0x00, 0x20)
    doc.add_heading(report.title, level=0)
    if report.subtitle:
        doc.add_paragraph(report.subtitle).runs[0].italic = True
    if report.facts:
        table = doc.add_table(rows=0, cols=2)
        table.style = "Light Grid Accent 1"
        for label, value in report.facts:
            cells = table.add_row().cells
            cells[0].text = label
            cells[1].text = value
    for heading, text in report.sections:
        if heading:
            doc.add_heading(heading, level=2)
        for line in (text or "—").split("\n"):
            paragraph = doc.add_paragraph(line)
            paragraph.paragraph_format.space_after = Pt(2)
    out = io.BytesIO()
    doc.save(out)
    return out.getvalue()


# fpdf2's built-in fonts are Latin-1; common typographic characters are mapped to their
# nearest Latin-1 form rather than lost. (A Unicode TrueType font would lift this limit.)
_LATIN1 = str.maketrans(
    {
        "—": "-",
        "–": "-",
        "‘": "'",
        "’": "'",
        "“": '"',
        "”": '"',
        "…": "...",
        "•": "·",
        "→": "->",
        "€": "EUR",
        "\u2009": " ",
        "\u00a0": " ",
    }
)


def _latin1(text: str) -> str:
    return text.translate(_LATIN1).encode("latin-1", "replace").decode("latin-1")


class _Pdf(FPDF):
    def __init__(self, report: Report) -> None:
        super().__init__(format="A4")
        self.report = report
        self.set_auto_page_break(auto=True, margin=18)
        self.set_title(_latin1(report.title))

    def header(self) -> None:
        if self.report.exercise:
            self.set_font("Helvetica", "B", 10)
            self.set_text_color(176, 0, 32)
            self.cell(0, 6, MARKING_LINE, align="C", new_x="LMARGIN", new_y="NEXT")
            self.set_text_color(0, 0, 0)
            self.ln(2)

    def footer(self) -> None:
        self.set_y(-14)
        self.set_font("Helvetica", "", 8)
        left = MARKING_LINE + "   " if self.report.exercise else ""
        self.cell(0, 6, _latin1(f"{left}{self.report.title} · page {self.page_no()}"), align="C")


def pdf_bytes(report: Report) -> bytes:
    pdf = _Pdf(report)
    pdf.add_page()
    width = pdf.w - pdf.l_margin - pdf.r_margin
    pdf.set_font("Helvetica", "B", 16)
    pdf.multi_cell(width, 8, _latin1(report.title), new_x="LMARGIN", new_y="NEXT")
    if report.subtitle:
        pdf.set_font("Helvetica", "I", 11)
        pdf.multi_cell(width, 6, _latin1(report.subtitle), new_x="LMARGIN", new_y="NEXT")
    pdf.ln(2)
    for label, value in report.facts:
        pdf.set_font("Helvetica", "B", 10)
        pdf.cell(45, 6, _latin1(label))
        pdf.set_font("Helvetica", "", 10)
        pdf.multi_cell(width - 45, 6, _latin1(value), new_x="LMARGIN", new_y="NEXT")
    for heading, text in report.sections:
        if heading:
            pdf.ln(2)
            pdf.set_font("Helvetica", "B", 12)
            pdf.multi_cell(width, 7, _latin1(heading), new_x="LMARGIN", new_y="NEXT")
        pdf.set_font("Helvetica", "", 10)
        pdf.multi_cell(width, 5, _latin1(text or "-"), new_x="LMARGIN", new_y="NEXT")
    return bytes(pdf.output())


DOCX = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
PDF = "application/pdf"
CSV = "text/csv"
