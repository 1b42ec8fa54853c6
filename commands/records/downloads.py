"""Every download the bot serves: a link for one person, redeemed once, within minutes.

A link names what it serves (a notification's annex form, a record kept with an incident, or
the plan's annual review pack) and whom for. The URL holds a random token and the database
only its SHA-256; it is minted in the transaction of the command that offers it, and redeemed
(``bot/exports.py``) at most once, before ``VALID`` is up, for that person only: a workspace
request must come from that person's session, and a Slack or Teams user's link, shown to them
alone, is spent by its first use. Whoever asks, served or refused, the download is audited.
"""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy.orm import Session

from commands.core.context import Ctx
from storage import repositories as repo
from storage.models import DownloadToken, Person
from storage.unit_of_work import Database

VALID = timedelta(minutes=5)
PATH = "/exports/"
KINDS = ("notification", "document", "invitation", "plan_review")


def digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def mint(
    session: Session,
    person: Person,
    surface: str,
    kind: str,
    subject: str,
    fmt: str,
    now: datetime,
) -> str:
    """A new token (to put in a URL) for ``person`` to fetch ``subject`` once."""
    assert kind in KINDS
    token = secrets.token_urlsafe(32)
    session.add(
        DownloadToken(
            token_hash=digest(token),
            person_id=person.id,
            surface=surface,
            kind=kind,
            subject=subject[:40],
            fmt=fmt,
            created_at=now,
            expires_at=now + VALID,
        )
    )
    return token


def link(ctx: Ctx, kind: str, subject: str, fmt: str = "") -> str:
    """The URL for the person acting to fetch ``subject`` once, minted with the command."""
    token = mint(ctx.session, ctx.person, ctx.surface, kind, subject, fmt, ctx.now)
    return f"{ctx.options.public_url}{PATH}{token}"


@dataclass(frozen=True)
class Grant:
    """A redeemed link: who may have what."""

    person_id: int
    person_name: str
    surface: str
    kind: str
    subject: str
    fmt: str


class Refused(Exception):
    def __init__(self, message: str, status: int = 403) -> None:
        super().__init__(message)
        self.status = status


def audit(
    session: Session,
    action: str,
    now: datetime,
    requester: Person | None,
    *,
    ref: str,
    after: dict[str, str],
    surface: str,
) -> None:
    repo.audit(
        session,
        at=now,
        actor=requester,
        actor_name=None if requester else "anonymous",
        action=action,
        entity_type="download",
        entity_ref=ref[:40],
        before=None,
        after=after,
        surface=surface,
    )


def redeem(
    db: Database,
    token: str,
    now: datetime,
    *,
    requester: Person | None,
    session_required: bool,
) -> Grant:
    """Spend the link (any presentation spends it) and say what it grants, or why not.

    ``requester``: the workspace session's person, if the request carries one; it must be the
    person the link was made for. ``session_required``: the link was made in a workspace that
    signs people in, so the session is the proof of who asks and its absence is a refusal."""
    with db.unit_of_work() as session:
        row = (
            session.get(DownloadToken, digest(token), with_for_update=True)
            if 0 < len(token) <= 100
            else None
        )
        reason = None
        if row is None:
            reason = ("not valid", "This download link is not valid.", 404)
        elif row.redeemed_at is not None:
            reason = (
                "already used",
                "This download link was already used; ask for a new one.",
                403,
            )
        elif row.expires_at <= now:
            reason = ("expired", "This download link has expired; ask for a new one.", 403)
        elif requester is not None and requester.id != row.person_id:
            reason = ("someone else's", "This download link was made for someone else.", 403)
        elif requester is None and session_required and row.surface == "local":
            reason = (
                "no session",
                "Sign in to the workspace, then ask for the link again.",
                401,
            )
        if row is not None and row.redeemed_at is None:
            row.redeemed_at = now
        if reason is not None:
            audit(
                session,
                "download.refused",
                now,
                requester,
                ref=row.subject if row else "unknown link",
                after={"reason": reason[0], **({"kind": row.kind} if row else {})},
                surface=row.surface if row else "local",
            )
            # The refusal is committed with the link spent; then it is told.
            refused = Refused(reason[1], reason[2])
        else:
            assert row is not None
            person = session.get(Person, row.person_id)
            assert person is not None
            grant = Grant(person.id, person.name, row.surface, row.kind, row.subject, row.fmt)
    if reason is not None:
        raise refused
    return grant


def served(db: Database, grant: Grant, filename: str, now: datetime) -> None:
    with db.unit_of_work() as session:
        audit(
            session,
            "download.served",
            now,
            session.get(Person, grant.person_id),
            ref=grant.subject,
            after={"kind": grant.kind, "file": filename[:120]},
            surface=grant.surface,
        )


def refused_after(db: Database, grant: Grant, why: str, now: datetime) -> None:
    """A redeemed link whose person may no longer have the file."""
    with db.unit_of_work() as session:
        audit(
            session,
            "download.refused",
            now,
            session.get(Person, grant.person_id),
            ref=grant.subject,
            after={"reason": why, "kind": grant.kind},
            surface=grant.surface,
        )
