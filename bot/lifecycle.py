"""A bot process's life as the operator sees it: live, ready, stopping.

``/healthz`` answers while the process lives. ``/readyz`` answers 200 only when the database
answers, its schema is at the newest migration and it accepts a write, as the inbox's own
file does where it has one (a full disk or a read-only database refuses every command, so
traffic should go elsewhere), and 503 before
that and while shutting down. Every HTTP request gets a request id (``X-Request-Id``: nginx's,
or a new one) and is counted while it runs; once stopping, new requests are answered 503 so
a proxy sends them to another process, and the ones already running are finished.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable

from aiohttp import web
from sqlalchemy import Engine, text

from bot.logs import accepted_request_id, request_id
from storage.migrate import at_head
from storage.unit_of_work import Database

log = logging.getLogger(__name__)

PROBES = frozenset({"/healthz", "/readyz", "/metrics"})
READY_TIMEOUT = 2.0  # seconds a readiness probe waits for the database
SQLITE_BUSY_MS = 30000  # storage.db's busy timeout, restored after the probe
Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]


class Lifecycle:
    def __init__(self, db: Database | None = None, waiting_for: str = "starting") -> None:
        self.db = db  # None while the process is still reaching its database
        # The inbox's own SQLite file (storage/inbox.py), when it has one: Slack and Teams
        # are answered only once a request is written there, so it must take writes too.
        self.inbox: Database | None = None
        self.waiting_for = waiting_for
        self.stopping = False
        self.inflight = 0
        # Work a surface goes on with after acknowledging (Slack's listeners run after the
        # ack): shutdown waits for it too, since the caller was already told "received".
        self.tasks: set[asyncio.Task[object]] = set()

    def track(self) -> None:
        """Called at the start of acknowledged work: shutdown waits for the current task."""
        task = asyncio.current_task()
        if task is not None:
            self.tasks.add(task)
            task.add_done_callback(self.tasks.discard)

    @web.middleware
    async def middleware(self, request: web.Request, handler: Handler) -> web.StreamResponse:
        rid = accepted_request_id(request.headers.get("X-Request-Id"))
        # Set for the rest of this request's task (not reset): aiohttp writes its access log
        # line after the handler returns, and that line carries the id too.
        request_id.set(rid)
        if self.stopping and request.path not in PROBES:
            return web.json_response(
                {"error": "This bot process is shutting down; try again."},
                status=503,
                headers={"Retry-After": "1", "Connection": "close", "X-Request-Id": rid},
            )
        self.inflight += 1
        try:
            response = await handler(request)
        except web.HTTPException as exc:
            exc.headers["X-Request-Id"] = rid
            raise
        finally:
            self.inflight -= 1
        if not response.prepared:
            response.headers["X-Request-Id"] = rid
        return response

    async def healthz(self, request: web.Request) -> web.Response:
        return web.json_response({"ok": True})

    async def readyz(self, request: web.Request) -> web.Response:
        reason = await self.not_ready()
        if reason:
            return web.json_response({"ready": False, "reason": reason}, status=503)
        return web.json_response({"ready": True})

    async def not_ready(self) -> str:
        if self.stopping:
            return "shutting down"
        if self.db is None:
            return self.waiting_for
        try:
            async with asyncio.timeout(READY_TIMEOUT):
                current = await asyncio.to_thread(at_head, self.db.engine)
        except Exception as exc:
            return f"database unreachable ({type(exc).__name__})"
        if not current:
            return "database schema is not at the newest migration"
        try:
            async with asyncio.timeout(READY_TIMEOUT):
                await asyncio.to_thread(write_probe, self.db.engine)
        except Exception as exc:
            log.warning("readiness: the database refuses writes (%s)", type(exc).__name__)
            return f"database refuses writes ({type(exc).__name__})"
        if self.inbox is not None and self.inbox is not self.db:
            try:
                async with asyncio.timeout(READY_TIMEOUT):
                    await asyncio.to_thread(write_probe, self.inbox.engine, INBOX_PROBE)
            except Exception as exc:
                log.warning("readiness: the inbox refuses writes (%s)", type(exc).__name__)
                return f"the inbox database refuses writes ({type(exc).__name__})"
        return ""

    async def quiesce(self, seconds: float) -> bool:
        """Wait for running requests and acknowledged work to finish; False on time-out."""
        loop = asyncio.get_running_loop()
        end = loop.time() + seconds
        while self.inflight or self.tasks:
            left = end - loop.time()
            if left <= 0:
                log.warning(
                    "shutdown: %d requests and %d acknowledged tasks still running",
                    self.inflight,
                    len(self.tasks),
                )
                return False
            if self.tasks:  # all of them (a request still running may add one: loop)
                await asyncio.wait(set(self.tasks), timeout=left)
            else:
                await asyncio.sleep(min(left, 0.01))
        return True


PROBE = "UPDATE alembic_version SET version_num = version_num"
# The inbox's file has no migrations table; its header's user version is unused, and setting
# it is a write that changes nothing (an empty inbox has no row to rewrite).
INBOX_PROBE = "PRAGMA user_version = 0"


def write_probe(engine: Engine, statement: str = PROBE) -> None:
    """Commit one real write that changes nothing: a full disk, a read-only file or a read-only
    server refuses it exactly as it would refuse a command."""
    with engine.begin() as connection:
        sqlite = connection.dialect.name == "sqlite"
        if sqlite:  # behind a long write, give up within the probe's time rather than 30 s
            connection.exec_driver_sql(f"PRAGMA busy_timeout={int(READY_TIMEOUT * 1000)}")
        try:
            connection.execute(text(statement))
        finally:
            if sqlite:
                connection.exec_driver_sql(f"PRAGMA busy_timeout={SQLITE_BUSY_MS}")


def probes(lifecycle: Lifecycle) -> list[web.RouteDef]:
    return [web.get("/healthz", lifecycle.healthz), web.get("/readyz", lifecycle.readyz)]
