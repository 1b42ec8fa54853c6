"""Requests recorded before the platform is told we received them (the ``inbox`` table).

Slack never retries a request it had answered 200, nor Teams an activity it had answered 201.
So a Slack command or button press, or a Teams message, is written to the inbox, in a short
transaction, before the acknowledgement; it is processed after, and marked done. A process
that dies between the two leaves the row undone, and the next process to start processes it
(the engine's idempotency key makes a second run record nothing twice).

Writes are group-committed: the requests that arrive while one insert is committing share the
next one, so a burst costs a few commits rather than one per request (SQLite has one writer).
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import delete, update

from bot.leader import PROCESS
from storage.models import InboxRequest
from storage.unit_of_work import Database

log = logging.getLogger(__name__)

# Never stored: Slack's deprecated verification token (signatures are checked instead). No
# surface records a request's Authorization header.
UNSTORED = frozenset({"token"})
# How long a processed request's row is kept: a restart needs only the unprocessed ones, and
# the engine's own record of processed requests keeps retries from doing anything twice. The
# rows hold what people typed, so they are not kept for good.
KEPT_DONE = timedelta(hours=1)


class Inbox:
    def __init__(
        self,
        db: Database,
        now: Callable[[], datetime],
        surface: str = "slack",
        owner: str = PROCESS,
    ) -> None:
        self.db = db
        self.now = now
        self.surface = surface
        self.owner = owner
        self._adds: list[tuple[str, dict[str, Any], asyncio.Future[int]]] = []
        self._dones: list[tuple[int, asyncio.Future[None]]] = []
        # Threads of its own: in the shared pool the inbox would wait behind the very engine
        # work it must come before, and the platform's wait (Slack's 3 s) would run out.
        self._threads = ThreadPoolExecutor(max_workers=2, thread_name_prefix="inbox")
        self._adding: asyncio.Task[None] | None = None
        self._marking: asyncio.Task[None] | None = None

    async def record(self, kind: str, body: dict[str, Any]) -> int:
        """Write the request and return its row id once committed (only then acknowledge)."""
        future: asyncio.Future[int] = asyncio.get_running_loop().create_future()
        kept = {k: v for k, v in body.items() if k not in UNSTORED}
        self._adds.append((kind, kept, future))
        if self._adding is None or self._adding.done():
            self._adding = asyncio.create_task(self._add_batches())
        return await future

    async def done(self, entry: int) -> None:
        """Mark a row processed (group-committed like ``record``)."""
        future: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        self._dones.append((entry, future))
        if self._marking is None or self._marking.done():
            self._marking = asyncio.create_task(self._mark_batches())
        await future

    async def _add_batches(self) -> None:
        while self._adds:
            batch, self._adds = self._adds, []
            try:
                ids = await asyncio.get_running_loop().run_in_executor(
                    self._threads, self._insert, [(k, b) for k, b, _ in batch]
                )
            except Exception as exc:
                for _, _, future in batch:
                    if not future.done():
                        future.set_exception(exc)
                continue
            for (_, _, future), entry in zip(batch, ids, strict=True):
                if not future.done():
                    future.set_result(entry)

    async def _mark_batches(self) -> None:
        while self._dones:
            batch, self._dones = self._dones, []
            try:
                await asyncio.get_running_loop().run_in_executor(
                    self._threads, self._mark, [entry for entry, _ in batch]
                )
            except Exception:
                # Left undone, it is processed again at the next start: the engine's
                # idempotency key keeps that from recording anything twice.
                log.exception("could not mark %d inbox rows done", len(batch))
            for _, future in batch:
                if not future.done():
                    future.set_result(None)

    def _insert(self, items: list[tuple[str, dict[str, Any]]]) -> list[int]:
        now = self.now()
        with self.db.unit_of_work() as session:
            rows = [
                InboxRequest(
                    surface=self.surface, kind=kind, body=body, owner=self.owner, received_at=now
                )
                for kind, body in items
            ]
            session.add_all(rows)
            session.flush()
            return [row.id for row in rows]

    def _mark(self, entries: list[int]) -> None:
        now = self.now()
        with self.db.unit_of_work() as session:
            session.execute(
                update(InboxRequest)
                .where(InboxRequest.id.in_(entries))
                .values(done_at=now)
                .execution_options(synchronize_session=False)
            )
            session.execute(
                delete(InboxRequest)
                .where(InboxRequest.done_at < now - KEPT_DONE)
                .execution_options(synchronize_session=False)
            )

    def claim_undone(self) -> list[tuple[int, str, dict[str, Any]]]:
        """Rows another process acknowledged and never finished, taken over by this one in
        one statement, so two processes starting at once do not both take a row."""
        with self.db.unit_of_work() as session:
            rows = session.execute(
                update(InboxRequest)
                .where(
                    InboxRequest.surface == self.surface,
                    InboxRequest.done_at.is_(None),
                    InboxRequest.owner != self.owner,
                )
                .values(owner=self.owner)
                .returning(InboxRequest.id, InboxRequest.kind, InboxRequest.body)
                .execution_options(synchronize_session=False)
            ).all()
        return sorted((int(i), str(k), dict(b)) for i, k, b in rows)
