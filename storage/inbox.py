"""Where the inbox lives: beside the records on PostgreSQL, in a file of its own on SQLite.

The inbox row is written before Slack is told we received the request, so its insert is on
the acknowledgement's critical path. SQLite has one write lock per file, and a waiter is not
woken when the lock frees: it sleeps on the busy handler's back-off (up to 100 ms a try). In
the records' own file the insert waited behind the engine's transactions; in a file of its
own it waits only for other inbox writes, which are group-committed and take a millisecond.
PostgreSQL locks rows, so there the ``inbox`` table of the migrations is used.
"""

from __future__ import annotations

from pathlib import Path

from sqlalchemy.engine import make_url

from storage.db import make_engine
from storage.models import Base, InboxRequest
from storage.unit_of_work import Database


def inbox_path(database_url: str) -> Path | None:
    """The inbox's own SQLite file for a SQLite database in a file (``opss.db`` →
    ``opss.inbox.db``); None where the inbox shares the database (PostgreSQL, memory)."""
    url = make_url(database_url)
    if not url.drivername.startswith("sqlite") or url.database in (None, "", ":memory:"):
        return None
    path = Path(url.database)
    return path.with_name(f"{path.stem}.inbox{path.suffix or '.db'}")


def inbox_database(db: Database, database_url: str) -> Database:
    path = inbox_path(database_url)
    if path is None:
        return db
    engine = make_engine(f"sqlite:///{path}")
    # A journal of requests in flight, not records: its one table is made here rather than by
    # a migration, and a backup of the records leaves it out (docs/deploy.md).
    Base.metadata.create_all(engine, tables=[Base.metadata.tables[InboxRequest.__tablename__]])
    return Database(engine)
