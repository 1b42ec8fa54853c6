"""A record's file for one person, where a surface cannot show a file to everyone in the
conversation (Teams without its files folder): a one-time link for whoever presses the
record's button, or the file itself for the person saving it. Either only for someone who
may read the incident now (``commands/core/access.py``), and audited as every download is."""

from __future__ import annotations

from cards.model import Card
from commands.core.context import Ctx, Reply, UserError
from commands.records import downloads
from commands.records.export import readable_document
from storage.models import Document


def _document(ctx: Ctx, document_id: int) -> Document:
    document = readable_document(ctx, document_id)  # refused, and audited, if not theirs
    if document is None:
        raise UserError("That record is not kept any more; export it again.")
    return document


def link_reply(ctx: Ctx, document_id: int) -> Reply:
    """A link to the record for the person who asked, minted with this command."""
    document = _document(ctx, document_id)
    url = downloads.link(ctx, "document", str(document.id))
    return Reply(
        text=f"{document.filename}: your download link, below.",
        card=Card(
            title=document.filename,
            subtitle="This link is for you alone: it works once, within 5 minutes.",
            links=((f"Download {document.filename}", url),),
        ),
    )


def take(ctx: Ctx, document_id: int, how: str) -> tuple[str, str, bytes]:
    """The record itself, for the person saving it (``how``: where it goes), audited."""
    document = _document(ctx, document_id)
    downloads.audit(
        ctx.session,
        "download.served",
        ctx.now,
        ctx.person,
        ref=str(document.id),
        after={"kind": "document", "file": document.filename[:120], "to": how},
        surface=ctx.surface,
    )
    return document.filename, document.media_type, document.content
