"""A download link redeemed as the download route redeems it, for tests that read the file."""

from __future__ import annotations

from datetime import datetime

from commands.notification.export import ExportFile, export_file
from commands.records import downloads
from storage.unit_of_work import Database


def fetch(db: Database, link: str, now: datetime) -> ExportFile:
    """What the download route does with a link from Slack or Teams (no workspace session)."""
    token = link.split("/exports/")[1]
    grant = downloads.redeem(db, token, now, requester=None, session_required=False)
    return export_file(db, grant.subject, grant.fmt, grant.person_name)
