"""Records to take away (plan 3.23, 5.1) as files: CSV, DOCX (python-docx) and PDF (fpdf2).

A ``Report`` is the neutral content; each format renders it. Every page of a DOCX or PDF is
headed with the classification, the incident and when (and for whom) the record was made; an
EXERCISE report is marked once on every page, in that header, and in a first column on every
CSV row. The files' properties carry the title, the subject and the requester as author. PDFs
embed a Unicode font (``cards/pdf.py``), so every character prints.
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

from cards.pdf import FAMILY, printable, use_font

MARKING = "EXERCISE"
MARKING_LINE = "EXERCISE · not a live incident"
# The Government Security Classification of an incident's records: they name businesses,
# products and people, and are shared on a need-to-know basis.
CLASSIFICATION = "OFFICIAL-SENSITIVE"


@dataclass(frozen=True)
class Report:
    title: str
    subtitle: str = ""
    exercise: bool = False
    facts: tuple[tuple[str, str], ...] = ()
    # Headed blocks of text, in order; a heading of "" continues the previous block.
    sections: tuple[tuple[str, str], ...] = field(default_factory=tuple)
    # What every page's header names, and the file's properties.
    incident: str = ""  # "INC-2026-001 · Gas hob elbow joints"
    made_at: str = ""  # when the record was made, as people read times
    author: str = ""  # who asked for it, by name
    subject: str = ""
    classification: str = CLASSIFICATION

    def running_head(self) -> str:
        made = f"made {self.made_at}" if self.made_at else ""
        by = f" by {self.author}" if self.author and made else ""
        return " · ".join(p for p in (self.incident, made + by) if p)


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
    props = doc.core_properties
    props.title = report.title
    props.subject = report.subject or report.incident
    props.author = report.author
    props.last_modified_by = report.author
    props.category = report.classification
    props.keywords = "; ".join(
        k for k in (report.classification, "EXERCISE" if report.exercise else "") if k
    )
    props.comments = report.running_head()
    # A Word section's header repeats on every page: the classification, the incident and
    # when the record was made; an exercise is marked once, under them.
    header = doc.sections[0].header
    first = header.paragraphs[0]
    first.alignment = WD_ALIGN_PARAGRAPH.CENTER
    first.add_run(report.classification).bold = True
    if report.running_head():
        line = header.add_paragraph(report.running_head())
        line.alignment = WD_ALIGN_PARAGRAPH.CENTER
        line.runs[0].font.size = Pt(8)
    if report.exercise:
        marking = header.add_paragraph()
        marking.alignment = WD_ALIGN_PARAGRAPH.CENTER
        run = marking.add_run(MARKING_LINE)
        run.bold = True
        run.font.size = Pt(12)
        run.font.color.rgb = RGBColor(0xB0, 0x00, 0x20)
    footer = doc.sections[0].footer.paragraphs[0]
    footer.alignment = WD_ALIGN_PARAGRAPH.CENTER
    footer.add_run(report.classification).bold = True
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
        for line_text in (text or "—").split("\n"):
            paragraph = doc.add_paragraph(line_text)
            paragraph.paragraph_format.space_after = Pt(2)
    out = io.BytesIO()
    doc.save(out)
    return out.getvalue()


class _Pdf(FPDF):
    def __init__(self, report: Report) -> None:
        super().__init__(format="A4")
        self.report = report
        use_font(self)
        self.set_auto_page_break(auto=True, margin=18)
        self.set_title(printable(report.title))
        self.set_subject(printable(report.subject or report.incident))
        self.set_author(printable(report.author))
        self.set_creator("OPSS incident bot")
        self.set_keywords(printable(report.classification))

    def header(self) -> None:
        # Every page: the classification, the incident and when the record was made; an
        # exercise is marked once, under them, in red.
        self.set_font(FAMILY, "B", 9)
        self.cell(0, 5, self.report.classification, align="C", new_x="LMARGIN", new_y="NEXT")
        if self.report.running_head():
            self.set_font(FAMILY, "", 8)
            self.set_text_color(80, 80, 80)
            self.cell(
                0,
                4,
                printable(self.report.running_head()),
                align="C",
                new_x="LMARGIN",
                new_y="NEXT",
            )
            self.set_text_color(0, 0, 0)
        if self.report.exercise:
            self.set_font(FAMILY, "B", 12)
            self.set_text_color(176, 0, 32)
            self.cell(0, 7, MARKING_LINE, align="C", new_x="LMARGIN", new_y="NEXT")
            self.set_text_color(0, 0, 0)
        self.ln(3)

    def footer(self) -> None:
        self.set_y(-14)
        self.set_font(FAMILY, "", 8)
        self.cell(
            0,
            6,
            printable(
                f"{self.report.classification} · {self.report.title} · "
                f"page {self.page_no()} of {{nb}}"
            ),
            align="C",
        )


def pdf_bytes(report: Report) -> bytes:
    pdf = _Pdf(report)
    pdf.add_page()
    width = pdf.w - pdf.l_margin - pdf.r_margin
    pdf.set_font(FAMILY, "B", 16)
    pdf.multi_cell(width, 8, printable(report.title), new_x="LMARGIN", new_y="NEXT")
    if report.subtitle:
        pdf.set_font(FAMILY, "", 11)
        pdf.set_text_color(80, 80, 80)
        pdf.multi_cell(width, 6, printable(report.subtitle), new_x="LMARGIN", new_y="NEXT")
        pdf.set_text_color(0, 0, 0)
    pdf.ln(2)
    for label, value in report.facts:
        pdf.set_font(FAMILY, "B", 10)
        pdf.cell(45, 6, printable(label))
        pdf.set_font(FAMILY, "", 10)
        pdf.multi_cell(width - 45, 6, printable(value), align="L", new_x="LMARGIN", new_y="NEXT")
    for heading, text in report.sections:
        if heading:
            pdf.ln(2)
            pdf.set_font(FAMILY, "B", 12)
            pdf.multi_cell(width, 7, printable(heading), new_x="LMARGIN", new_y="NEXT")
        pdf.set_font(FAMILY, "", 10)
        # A line of its own per entry (a timeline's event), a little apart when it wraps.
        for line in (text or "-").split("\n"):
            pdf.multi_cell(width, 5, printable(line), align="L", new_x="LMARGIN", new_y="NEXT")
            pdf.ln(0.8)
    return bytes(pdf.output())


DOCX = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
PDF = "application/pdf"
CSV = "text/csv"
