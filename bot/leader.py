"""One outbox deliverer at a time across bot processes (a leader lock).

PostgreSQL: a session advisory lock held on a dedicated connection; if the process dies, its
connection closes and the lock passes to the next process that asks. SQLite: an exclusive
file lock beside the database file (the processes share a host).
"""

from __future__ import annotations

import fcntl
import logging
import os
import socket
from pathlib import Path
from typing import IO, Any

from sqlalchemy import Engine, text

log = logging.getLogger(__name__)
_PG_KEY = 0x0F55_0B0C
# Who holds the lock, as any process can read it (``holder``): "host:pid".
PROCESS = f"{socket.gethostname()}:{os.getpid()}"
_APPLICATION = "opss-bot outbox leader "


class LeaderLock:
    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        self._conn: Any = None
        self._file: IO[str] | None = None

    @property
    def held(self) -> bool:
        return self._conn is not None or self._file is not None

    def try_acquire(self) -> bool:
        """True when this process is (or has just become) the leader."""
        if self.engine.dialect.name == "postgresql":
            return self._try_pg()
        return self._try_file()

    def _try_pg(self) -> bool:
        if self._conn is not None:
            try:
                self._conn.execute(text("select 1"))
                return True
            except Exception:  # the connection broke: the lock went with it
                log.warning("lost the outbox leader lock")
                self._conn = None
        conn = self.engine.connect()
        got = conn.execute(text("select pg_try_advisory_lock(:k)"), {"k": _PG_KEY}).scalar()
        conn.commit()
        if got:
            # Named on the server, so any process can say who delivers (``holder``).
            conn.execute(
                text("select set_config('application_name', :n, false)"),
                {"n": _APPLICATION + PROCESS},
            )
            conn.commit()
            self._conn = conn
            log.info("this process delivers the outbox")
            return True
        conn.close()
        return False

    def _try_file(self) -> bool:
        if self._file is not None:
            return True
        database = self.engine.url.database or ""
        path = Path(database + ".outbox.lock") if database and database != ":memory:" else None
        if path is None:
            self._file = open(os.devnull)  # noqa: SIM115 - in memory: one process anyway
            return True
        handle = open(path, "a+")  # noqa: SIM115 - held for the life of the process
        try:
            fcntl.flock(handle.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError:
            handle.close()
            return False
        handle.seek(0)
        handle.truncate()
        handle.write(PROCESS)
        handle.flush()
        self._file = handle
        return True

    def holder(self) -> str | None:
        """The process holding the lock ("host:pid"), as seen from any process; None if none."""
        if self.engine.dialect.name == "postgresql":
            with self.engine.connect() as conn:
                name = conn.execute(
                    text(
                        "select a.application_name from pg_locks l "
                        "join pg_stat_activity a on a.pid = l.pid "
                        "where l.locktype = 'advisory' and l.granted "
                        "and l.classid = 0 and l.objid::bigint = :k"
                    ),
                    {"k": _PG_KEY},
                ).scalar()
            return str(name).removeprefix(_APPLICATION) if name else None
        database = self.engine.url.database or ""
        if not database or database == ":memory:":
            return PROCESS
        path = Path(database + ".outbox.lock")
        if not path.exists():
            return None
        with open(path) as handle:
            try:  # held by a live process only if we cannot take it ourselves
                fcntl.flock(handle.fileno(), fcntl.LOCK_SH | fcntl.LOCK_NB)
            except OSError:
                return handle.read().strip() or None
            fcntl.flock(handle.fileno(), fcntl.LOCK_UN)
            return None

    def release(self) -> None:
        if self._conn is not None:
            try:
                self._conn.execute(text("select pg_advisory_unlock(:k)"), {"k": _PG_KEY})
                self._conn.execute(text("select set_config('application_name', '', false)"))
                self._conn.commit()
                self._conn.close()
            except Exception:
                pass
            self._conn = None
        if self._file is not None:
            self._file.close()
            self._file = None
