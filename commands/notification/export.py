"""Exported forms: a signed, short-lived download link, and the file behind it.

The link names the notification, the format and who asked, signed with the bot's export secret
(HMAC-SHA256) and valid for 15 minutes: it can be handed to a surface that shows links without
giving anyone else the form, whose box 27 is for the national contact point only.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
from dataclasses import dataclass
from datetime import datetime, timedelta

from cards.annex_export import annex_docx, annex_pdf, filled_boxes
from cards.annex_forms import ANNEXES
from commands.core.context import Options
from commands.notification.records import kind_label, notification_by_reference, subject_ref
from rules.deadlines import Kind
from rules.notifications import may_send, needs_chemical_data
from storage import repositories as repo
from storage.unit_of_work import Database

VALID = timedelta(minutes=15)
PATH = "/exports/"
TYPES = {
    "docx": "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
    "pdf": "application/pdf",
}


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).decode().rstrip("=")


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def _sign(secret: str, body: str) -> str:
    return _b64(hmac.new(secret.encode(), body.encode(), hashlib.sha256).digest())


def export_link(options: Options, reference: str, fmt: str, person: str, now: datetime) -> str:
    claims = {"n": reference, "f": fmt, "p": person, "e": int((now + VALID).timestamp())}
    body = _b64(json.dumps(claims, separators=(",", ":")).encode())
    return f"{options.public_url}{PATH}{body}.{_sign(options.export_secret, body)}"


@dataclass(frozen=True)
class ExportFile:
    filename: str
    content_type: str
    content: bytes


class ExportRefused(Exception):
    pass


def export_file(db: Database, options: Options, token: str, now: datetime) -> ExportFile:
    """The file a link names, if its signature holds, it has not expired, and the person who
    asked may still see the whole form."""
    body, _, signature = token.partition(".")
    if not body or not hmac.compare_digest(signature, _sign(options.export_secret, body)):
        raise ExportRefused("This export link is not valid.")
    try:
        claims = json.loads(_unb64(body))
    except ValueError as exc:
        raise ExportRefused("This export link is not valid.") from exc
    if now.timestamp() > claims["e"]:
        raise ExportRefused("This export link has expired; ask for a new one.")
    with db.read() as session:
        n = notification_by_reference(session, claims["n"], "export")
        person = repo.person_by_name(session, claims["p"])
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
    fmt = claims["f"]
    content = (
        annex_docx(annex, boxes, heading) if fmt == "docx" else annex_pdf(annex, boxes, heading)
    )
    return ExportFile(f"{claims['n']}-annex-{annex.code}.{fmt}", TYPES[fmt], content)
