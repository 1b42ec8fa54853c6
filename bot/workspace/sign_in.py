"""Who is using the workspace.

- ``pick`` (the default, loopback only): whoever uses the page picks a user name. A demo.
- ``password``: each person signs in with their own secret, stored as an argon2id hash
  (argon2-cffi); the browser then holds a random session token in an HttpOnly, SameSite
  cookie, and the database holds only the token's SHA-256. Secrets are set by an operator
  with ``python -m bot set-password NAME``.

Guessing gets nowhere: failures are counted per name and per client (``rules/throttle.py``),
in the database so every process sees them; past three, each try waits longer, the right
secret included, and every refusal is audited. The check itself (argon2, about half a second
of CPU) runs on a small pool of its own that refuses at once what it cannot take.
"""

from __future__ import annotations

import asyncio
import hashlib
import secrets
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy import select
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import Session

from rules import throttle
from storage import repositories as repo
from storage.models import Person, SignInThrottle, WorkspaceCredential, WorkspaceSession
from storage.unit_of_work import Database

COOKIE = "opss_session"
# Entra ID mode's cookie: the __Host- prefix makes the browser refuse it unless it is Secure,
# for the whole host (no Domain) and path /, so no sibling site can plant one.
HOST_COOKIE = "__Host-opss_session"
SESSION_HOURS = 12
IDLE = timedelta(minutes=30)
TOUCH_EVERY = timedelta(minutes=1)  # a session's last use is written at most this often
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


@dataclass(frozen=True)
class Attempt:
    """A sign-in let through the throttle, counted as a failure until its secret is right."""

    name: str
    client: str
    person_id: int | None
    stored_hash: str | None
    client_before: tuple[int, datetime, datetime]  # the client's row before this attempt


@dataclass(frozen=True)
class Outcome:
    token: str | None = None  # signed in
    wait_until: datetime | None = None  # refused unchecked: throttled until then
    next_try: datetime | None = None  # refused: the next try waits until then


def _keys(name: str, client: str) -> tuple[str, str]:
    return f"client:{client[:100]}", f"name:{name[:100]}"


def _locked(session: Session, key: str, now: datetime) -> SignInThrottle:
    """The key's row, made if missing, locked until the transaction ends (PostgreSQL; SQLite
    holds its write lock from BEGIN)."""
    insert = pg_insert if session.get_bind().dialect.name == "postgresql" else sqlite_insert
    session.execute(
        insert(SignInThrottle)
        .values(key=key, failures=0, last_failure_at=now, blocked_until=now)
        .on_conflict_do_nothing(index_elements=["key"])
    )
    return session.scalars(
        select(SignInThrottle).where(SignInThrottle.key == key).with_for_update()
    ).one()


def _audit_refusal(
    session: Session, name: str, client: str, action: str, after: dict[str, Any], now: datetime
) -> None:
    repo.audit(
        session,
        at=now,
        actor=None,
        actor_name=f"local:{name[:80]}",
        action=action,
        entity_type="person",
        entity_ref=name[:40],
        before=None,
        after={"client": client[:64], **after},
        surface="local",
    )


def begin(db: Database, name: str, client: str, now: datetime) -> Attempt | Outcome:
    """Let the attempt through, counted as a failure in advance (so parallel guesses cannot
    slip past the delay), or refuse it unchecked while the name or the client waits.

    The name is counted as the person it finds is named: "@olly" is olly, one count, not a
    fresh one for each way of writing it."""
    name = repo.person_name(name)
    with db.unit_of_work() as session:
        rows = [_locked(session, key, now) for key in _keys(name, client)]  # one lock order
        for row in rows:
            if throttle.forgotten(row.last_failure_at, now):
                row.failures, row.blocked_until = 0, now
        until = max(row.blocked_until for row in rows)
        if until > now:
            _audit_refusal(
                session,
                name,
                client,
                "workspace.sign_in_throttled",
                {"until": until.isoformat()},
                now,
            )
            return Outcome(wait_until=until)
        client_row = rows[0]
        before = (client_row.failures, client_row.last_failure_at, client_row.blocked_until)
        for row in rows:
            row.failures += 1
            row.last_failure_at = now
            row.blocked_until = now + throttle.delay_after(row.failures)
        person = repo.person_by_name(session, name) if name else None
        credential = session.get(WorkspaceCredential, person.id) if person else None
        return Attempt(
            name,
            client,
            person.id if person and credential else None,
            credential.secret_hash if credential else None,
            before,
        )


def check(attempt: Attempt, secret: str) -> bool:
    """The slow part (argon2): run it on the hashing pool, outside any transaction."""
    try:
        _hasher.verify(attempt.stored_hash or _DUMMY, secret)
    except (VerificationError, InvalidHashError):
        return False
    return attempt.stored_hash is not None


def finish(
    db: Database, attempt: Attempt, ok: bool, now: datetime, hours: int = SESSION_HOURS
) -> Outcome:
    """A session for the right secret (the name's failures forgotten, the client's advance
    taken back), or the failure audited with when the next try may come."""
    client_key, name_key = _keys(attempt.name, attempt.client)
    with db.unit_of_work() as session:
        if not ok or attempt.person_id is None:
            rows = [session.get(SignInThrottle, key) for key in (client_key, name_key)]
            next_try = max((r.blocked_until for r in rows if r is not None), default=now)
            _audit_refusal(
                session,
                attempt.name,
                attempt.client,
                "workspace.sign_in_refused",
                {"failures": rows[1].failures if rows[1] else 1},
                now,
            )
            return Outcome(next_try=next_try if next_try > now else None)
        named = session.get(SignInThrottle, name_key)
        if named is not None:
            session.delete(named)
        client_row = session.get(SignInThrottle, client_key)
        if client_row is not None:
            failures, last, blocked = attempt.client_before
            if client_row.failures == failures + 1:  # nobody else failed from there meanwhile
                client_row.failures, client_row.last_failure_at = failures, last
                client_row.blocked_until = blocked
            else:
                client_row.failures = max(client_row.failures - 1, 0)
        person = session.get(Person, attempt.person_id)
        assert person is not None
        repo.audit(
            session,
            at=now,
            actor=person,
            actor_name=None,
            action="workspace.signed_in",
            entity_type="person",
            entity_ref=attempt.name[:40],
            before=None,
            after={"client": attempt.client[:64]},
            surface="local",
        )
        return Outcome(token=open_session(session, person, now, hours))


def open_session(
    session: Session, person: Person, now: datetime, hours: int = SESSION_HOURS
) -> str:
    """A new session (a new random id, whatever the browser held before) for ``person``."""
    token = secrets.token_urlsafe(32)
    session.add(
        WorkspaceSession(
            token_hash=_digest(token),
            person_id=person.id,
            created_at=now,
            expires_at=now + timedelta(hours=hours),
            last_seen_at=now,
        )
    )
    return token


def sign_in(db: Database, name: str, secret: str, now: datetime, client: str = "local") -> Outcome:
    """The whole sign-in in this thread (the CLI and tests); the workspace runs ``check`` on
    its own hashing pool (``HashingPool.sign_in``)."""
    attempt = begin(db, name, client, now)
    if isinstance(attempt, Outcome):
        return attempt
    return finish(db, attempt, check(attempt, secret), now)


class Busy(Exception):
    """The hashing pool is full: the sign-in is refused at once, not queued."""


class HashingPool:
    """Password checks on threads of their own, never the pool every other request uses:
    at most ``workers`` hash at once and ``waiting`` more queue; beyond that, refused at once,
    so a flood of sign-ins delays only sign-ins."""

    def __init__(self, workers: int = 1, waiting: int = 2) -> None:
        self.executor = ThreadPoolExecutor(workers, thread_name_prefix="sign-in-hash")
        self.limit = workers + waiting
        self.taken = 0  # touched only in the event loop's thread

    async def sign_in(
        self,
        db: Database,
        name: str,
        secret: str,
        client: str,
        now: datetime,
        hours: int = SESSION_HOURS,
    ) -> Outcome:
        if self.taken >= self.limit:
            raise Busy
        self.taken += 1
        try:
            attempt = await asyncio.to_thread(begin, db, name, client, now)
            if isinstance(attempt, Outcome):
                return attempt
            loop = asyncio.get_running_loop()
            ok = await loop.run_in_executor(self.executor, check, attempt, secret)
            return await asyncio.to_thread(finish, db, attempt, ok, now, hours)
        finally:
            self.taken -= 1

    def close(self) -> None:
        self.executor.shutdown(wait=False, cancel_futures=True)


def person_for_token(
    db: Database, token: str | None, now: datetime, idle: timedelta = IDLE
) -> Person | None:
    """The session's person, while it is open: not signed out, not past its absolute end, and
    used within ``idle``. A use is recorded (at most once a minute) to keep it open; a session
    found idle is ended on the server and audited."""
    if not token or len(token) > 100:
        return None
    with db.read() as session:
        row = session.get(WorkspaceSession, _digest(token))
        if row is None or row.ended_at is not None or row.expires_at <= now:
            return None
        seen = row.last_seen_at or row.created_at
        if now - seen < TOUCH_EVERY:
            return session.get(Person, row.person_id)
    with db.unit_of_work() as session:
        row = session.get(WorkspaceSession, _digest(token), with_for_update=True)
        if row is None or row.ended_at is not None or row.expires_at <= now:
            return None
        person = session.get(Person, row.person_id)
        assert person is not None
        if now - (row.last_seen_at or row.created_at) >= idle:
            row.ended_at = now
            repo.audit(
                session,
                at=now,
                actor=person,
                actor_name=None,
                action="workspace.session_idle",
                entity_type="person",
                entity_ref=person.name[:40],
                before=None,
                after={"last_seen": (row.last_seen_at or row.created_at).isoformat()},
                surface="local",
            )
            return None
        row.last_seen_at = now
        return person


def sign_out(db: Database, token: str | None, now: datetime) -> None:
    if not token or len(token) > 100:
        return
    with db.unit_of_work() as session:
        row = session.get(WorkspaceSession, _digest(token))
        if row is not None and row.ended_at is None:
            row.ended_at = now
            person = session.get(Person, row.person_id)
            repo.audit(
                session,
                at=now,
                actor=person,
                actor_name=None,
                action="workspace.signed_out",
                entity_type="person",
                entity_ref=person.name[:40] if person else "unknown",
                before=None,
                after=None,
                surface="local",
            )
