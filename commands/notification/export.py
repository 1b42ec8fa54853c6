"""Exported forms: the filled annex form as DOCX or PDF, for its owner or IMT only.

The form can hold box 27, for the national contact point only, so it is never posted: the
command replies with a link for the person who asked, used once within minutes
(``commands/downloads.py``), and the form is built when that link is redeemed, if the person
may still see the whole form.
"""

from __future__ import annotations

from dataclasses import dataclass

from cards.annex_export import annex_docx, annex_pdf, filled_boxes
from cards.annex_forms import ANNEXES, NATIONAL_CONTACT_POINT
from commands.notification.records import kind_label, notification_by_reference, subject_ref
from rules.deadlines import Kind
from rules.notifications import form_kind, information_only_note, may_send, needs_chemical_data
from storage import repositories as repo
from storage.models import Notification
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


def export_file(
    db: Database,
    reference: str,
    fmt: str,
    person_name: str,
    contact: str = NATIONAL_CONTACT_POINT,
) -> ExportFile:
    """The form, if ``person_name`` may still see all of it. ``contact``: what the national
    contact point's box prints (configuration)."""
    if fmt not in TYPES:
        raise ExportRefused("This export is not available.")
    with db.read() as session:
        n = notification_by_reference(session, reference, "export")
        person = repo.person_by_name(session, person_name)
        if person is None or not may_send(repo.actor_for(session, person), n.owner.name):
            raise ExportRefused("You may no longer export this notification.")
        annex = ANNEXES[n.annex]
        kind = Kind(n.kind)
        changed = session.get(Notification, n.changes_id) if n.changes_id else None
        # Rows from before changes_kind was kept: the measure's own kind.
        changes_kind = n.changes_kind or (changed.kind if changed else "")
        boxes = filled_boxes(
            annex,
            n.values,
            chemical=needs_chemical_data(kind, n.product_type),
            kind=form_kind(kind, changes_kind),
            contact=contact,
            note=information_only_note(kind, n.information_only),
        )
        heading = f"{n.reference} · {kind_label(n.kind)}"
        if kind is Kind.REVOCATION:
            what = changed.reference if changed else n.changes_text
            heading += f" of {what}" + (f" ({kind_label(changes_kind)})" if changes_kind else "")
        heading += f" · on {subject_ref(session, n)}"
    content = (
        annex_docx(annex, boxes, heading) if fmt == "docx" else annex_pdf(annex, boxes, heading)
    )
    return ExportFile(f"{n.reference}-annex-{annex.code}.{fmt}", TYPES[fmt], content)
