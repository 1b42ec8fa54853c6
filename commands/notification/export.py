"""Exported forms: the filled annex form as DOCX or PDF, for its owner or IMT only.

The form can hold box 27, for the national contact point only, so it is never posted: the
command replies with a link for the person who asked, used once within minutes
(``commands/downloads.py``), and the form is built when that link is redeemed, if the person
may still see the whole form.
"""

from __future__ import annotations

from dataclasses import dataclass

from cards.annex_export import annex_docx, annex_pdf, filled_boxes
from cards.annex_forms import ANNEXES
from commands.notification.records import kind_label, notification_by_reference, subject_ref
from rules.deadlines import Kind
from rules.notifications import may_send, needs_chemical_data
from storage import repositories as repo
from storage.unit_of_work import Database

TYPES = {
    "docx": "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
    "pdf": "application/pdf",
}


@dataclass(frozen=True)
class ExportFile:
    filename: str
    content_type: str
    content: bytes


class ExportRefused(Exception):
    pass


def export_file(db: Database, reference: str, fmt: str, person_name: str) -> ExportFile:
    """The form, if ``person_name`` may still see all of it."""
    if fmt not in TYPES:
        raise ExportRefused("This export is not available.")
    with db.read() as session:
        n = notification_by_reference(session, reference, "export")
        person = repo.person_by_name(session, person_name)
        if person is None or not may_send(repo.actor_for(session, person), n.owner.name):
            raise ExportRefused("You may no longer export this notification.")
        annex = ANNEXES[n.annex]
        boxes = filled_boxes(
            annex,
            n.values,
            chemical=needs_chemical_data(Kind(n.kind), n.product_type),
            kind=Kind(n.kind),
        )
        heading = f"{n.reference} · {kind_label(n.kind)} · on {subject_ref(session, n)}"
    content = (
        annex_docx(annex, boxes, heading) if fmt == "docx" else annex_pdf(annex, boxes, heading)
    )
    return ExportFile(f"{n.reference}-annex-{annex.code}.{fmt}", TYPES[fmt], content)
