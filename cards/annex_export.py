"""The annex forms as filled documents, laid out like the guidance: the annex's title, the
notification type marked with an X, then each heading and its numbered boxes in a two-column
table (box number and label | what it holds). DOCX with python-docx, PDF with fpdf2."""

from __future__ import annotations

import io
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from docx import Document
from docx.shared import Pt
from fpdf import FPDF
from fpdf.fonts import FontFace

from cards.annex_forms import NATIONAL_CONTACT_POINT, Annex, printed
from cards.pdf import FAMILY, printable, use_font
from rules.deadlines import Kind

# The types each annex prints, to be marked X (guidance section 2: "it should be clear what
# type of notification you will be completing – Article 11, Article 12 or requiring emergency
# action. Please place an X next to the appropriate description."). Article 11 is Reg 33(2)
# (non-serious risk), Article 12 Reg 33(4) (RAPEX). A revocation ticks the type of the measure
# it changes (``rules.notifications.form_kind``), so it is not listed here.
NOTIFICATION_TYPES: dict[str, tuple[tuple[str, tuple[Kind, ...]], ...]] = {
    "II": (
        ("Regulation 33(2) notification (Article 11 of Directive 2001/95/EC)", (Kind.REG33_2,)),
        (
            "Regulation 33(4) RAPEX notification (Article 12 of Directive 2001/95/EC)",
            (Kind.RAPEX, Kind.OTHER_ACTIONS),
        ),
        ("Requiring emergency action from Member States", (Kind.RAPEX_EMERGENCY,)),
    ),
    # Annex VI's two types as the form words them (its stray ")" after "2001/95/EC" left out).
    "VI": (
        (
            "Notification under Article 12 of Directive 2001/95/EC on General Product Safety "
            "and under Article 7 of Directive 88/378/EEC on Safety of Toys",
            (Kind.RAPEX, Kind.OTHER_ACTIONS),
        ),
        (
            "Notification under Article 12 of Directive 2001/95/EC on General Product Safety "
            "requiring emergency action (from Member States) and under Article 7 of Directive "
            "88/378/EEC on Safety of Toys",
            (Kind.RAPEX_EMERGENCY,),
        ),
    ),
}


@dataclass(frozen=True)
class Filled:
    heading: str
    number: str
    label: str
    text: str


@dataclass(frozen=True)
class FilledForm:
    types: tuple[tuple[bool, str], ...]
    boxes: tuple[Filled, ...]
    note: str = ""  # e.g. "For information only …", printed under the types


def filled_boxes(
    annex: Annex,
    values: Mapping[str, Any],
    *,
    chemical: bool,
    kind: Kind,
    contact: str = NATIONAL_CONTACT_POINT,
    note: str = "",
) -> FilledForm:
    """``kind``: the type to tick (a revocation's is that of the measure it changes)."""
    out: list[Filled] = []
    for box in annex.boxes:
        if box.chemicals and not chemical:
            continue
        out.append(
            Filled(
                box.heading,
                box.number,
                box.label,
                printed(box, values, str(values.get("date_sent", "")), contact),
            )
        )
    types = tuple((kind in kinds, label) for label, kinds in NOTIFICATION_TYPES.get(annex.code, ()))
    return FilledForm(types, tuple(out), note)


def _label(box: Filled) -> str:
    return f"{box.number}. {box.label}" if box.number[0].isdigit() else box.label


def _grouped(form: FilledForm) -> list[tuple[str, list[Filled]]]:
    groups: list[tuple[str, list[Filled]]] = []
    for box in form.boxes:
        if not groups or groups[-1][0] != box.heading:
            groups.append((box.heading, []))
        groups[-1][1].append(box)
    return groups


def annex_docx(annex: Annex, form: FilledForm, heading: str) -> bytes:
    doc = Document()
    doc.styles["Normal"].font.size = Pt(10)
    doc.add_heading(annex.title, level=1)
    doc.add_paragraph(heading)
    for chosen, label in form.types:
        doc.add_paragraph(f"[{'X' if chosen else ' '}] {label}")
    if form.note:
        doc.add_paragraph().add_run(form.note).bold = True
    for title, boxes in _grouped(form):
        doc.add_heading(title, level=2)
        table = doc.add_table(rows=0, cols=2)
        table.style = "Table Grid"
        for box in boxes:
            row = table.add_row().cells
            row[0].text = _label(box)
            row[1].text = box.text
    out = io.BytesIO()
    doc.save(out)
    return out.getvalue()


def annex_pdf(annex: Annex, form: FilledForm, heading: str) -> bytes:
    pdf = FPDF(format="A4")
    use_font(pdf)  # a Unicode font: "90-001 Łódź" prints as written
    pdf.set_auto_page_break(auto=True, margin=15)
    pdf.add_page()
    pdf.set_font(FAMILY, "B", 13)
    pdf.multi_cell(0, 7, printable(annex.title), new_x="LMARGIN", new_y="NEXT")
    pdf.set_font(FAMILY, "", 9)
    pdf.multi_cell(0, 5, printable(heading), new_x="LMARGIN", new_y="NEXT")
    for chosen, label in form.types:
        pdf.multi_cell(
            0, 5, printable(f"[{'X' if chosen else ' '}] {label}"), new_x="LMARGIN", new_y="NEXT"
        )
    if form.note:
        pdf.set_font(FAMILY, "B", 9)
        pdf.multi_cell(0, 5, printable(form.note), new_x="LMARGIN", new_y="NEXT")
        pdf.set_font(FAMILY, "", 9)
    for title, boxes in _grouped(form):
        pdf.ln(2)
        pdf.set_font(FAMILY, "B", 10)
        pdf.multi_cell(0, 6, printable(title), new_x="LMARGIN", new_y="NEXT")
        pdf.set_font(FAMILY, "", 9)
        with pdf.table(
            col_widths=(45, 55),
            headings_style=FontFace(emphasis="BOLD"),
            first_row_as_headings=False,
        ) as table:
            for box in boxes:
                row = table.row()
                row.cell(printable(_label(box)))
                row.cell(printable(box.text))
    return bytes(pdf.output())
