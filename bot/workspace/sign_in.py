"""Who is using the workspace.

- ``pick`` (the default, loopback only): whoever uses the page picks a user name. A demo.
- ``password``: each person signs in with their own secret, stored as an argon2id hash
  (argon2-cffi); the browser then holds a random session token in an HttpOnly, SameSite
  cookie, and the database holds only the token's SHA-256. Secrets are set by an operator
  with ``python -m bot set-password NAME``.
"""

from __future__ import annotations

import hashlib
import secrets
from datetime import datetime, timedelta

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy import select

from storage import repositories as repo
from storage.models import Person, WorkspaceCredential, WorkspaceSession
from storage.unit_of_work import Database

COOKIE = "opss_session"
SESSION_HOURS = 12
MIN_SECRET = 12
_hasher = PasswordHasher()
# Verified when the name is unknown too, so a wrong name takes as long as a wrong secret.
_DUMMY = _hasher.hash("not a real secret, only for timing")


def _digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def set_secret(db: Database, name: str, secret: str, now: datetime) -> None:
    if len(secret) < MIN_SECRET:
        raise ValueError(f"the secret must be at least {MIN_SECRET} characters")
    with db.unit_of_work() as session:
        person = repo.person_by_name(session, name)
        if person is None:
            raise ValueError(f"no person named '{name}'; add them with a seed file first")
        row = session.get(WorkspaceCredential, person.id)
        hashed = _hasher.hash(secret)
        if row is None:
            session.add(WorkspaceCredential(person_id=person.id, secret_hash=hashed, set_at=now))
        else:
            row.secret_hash, row.set_at = hashed, now
        # A new secret ends every session signed in with the old one.
        for open_session in session.scalars(
            select(WorkspaceSession).where(
                WorkspaceSession.person_id == person.id, WorkspaceSession.ended_at.is_(None)
            )
        ):
            open_session.ended_at = now
        repo.audit(
            session,
            at=now,
            actor=None,
            actor_name="operator",
            action="workspace.secret_set",
            entity_type="person",
            entity_ref=person.name,
            before=None,
            after=None,
            surface="local",
        )


def sign_in(db: Database, name: str, secret: str, now: datetime) -> str | None:
    """A new session token for the right name and secret; None otherwise (and audited)."""
    with db.unit_of_work() as session:
        person = repo.person_by_name(session, name) if name else None
        row = session.get(WorkspaceCredential, person.id) if person else None
        try:
            _hasher.verify(row.secret_hash if row else _DUMMY, secret)
            ok = row is not None
        except (VerificationError, InvalidHashError):
            ok = False
        repo.audit(
            session,
            at=now,
            actor=person if ok else None,
            actor_name=None if ok else f"local:{name[:80]}",
            action="workspace.signed_in" if ok else "workspace.sign_in_refused",
            entity_type="person",
            entity_ref=(name or "")[:40],
            before=None,
            after=None,
            surface="local",
        )
        if not ok or person is None:
            return None
        token = secrets.token_urlsafe(32)
        session.add(
            WorkspaceSession(
                token_hash=_digest(token),
                person_id=person.id,
                created_at=now,
                expires_at=now + timedelta(hours=SESSION_HOURS),
            )
        )
        return token


def person_for_token(db: Database, token: str | None, now: datetime) -> Person | None:
    if not token or len(token) > 100:
        return None
    with db.read() as session:
        row = session.get(WorkspaceSession, _digest(token))
        if row is None or row.ended_at is not None or row.expires_at <= now:
            return None
        return session.get(Person, row.person_id)


def sign_out(db: Database, token: str | None, now: datetime) -> None:
    if not token or len(token) > 100:
        return
    with db.unit_of_work() as session:
        row = session.get(WorkspaceSession, _digest(token))
        if row is not None and row.ended_at is None:
            row.ended_at = now
