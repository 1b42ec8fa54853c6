"""Backing up and restoring a SQLite database (PostgreSQL: pg_dump / pg_restore, docs/deploy.md).

``backup`` uses SQLite's online backup API: a consistent copy while the bot keeps running.
``restore`` refuses while any bot process is up, and keeps the database it replaces beside
it (``<database>.replaced-<UTC time>``). Every bot process on a SQLite database holds
a shared lock on ``<database>.running`` for its whole life; a restore needs that lock
exclusively, and holds it until the restored copy is in place and migrated, so no bot starts
half-way through. The migrations then run, as on every start.
"""

from __future__ import annotations

import fcntl
import sqlite3
from datetime import UTC, datetime
from pathlib import Path
from typing import IO

from sqlalchemy.engine import make_url

from storage.db import make_engine
from storage.migrate import upgrade

PG_HINT = (
    "For PostgreSQL use pg_dump and pg_restore (docs/deploy.md): "
    "pg_dump --format=custom --file=opss.dump DATABASE, and with every bot process stopped "
    "pg_restore --clean --if-exists --no-owner --dbname=DATABASE opss.dump, then start the "
    "bot (it migrates on start)."
)


class BackupError(Exception):
    """What went wrong, in one line for the operator."""


def sqlite_path(database_url: str) -> Path | None:
    url = make_url(database_url)
    if not url.drivername.startswith("sqlite"):
        return None
    if not url.database or url.database == ":memory:":
        raise BackupError("the database is in memory: there is nothing to back up")
    return Path(url.database)


def running_lock(database: Path) -> Path:
    return database.with_name(database.name + ".running")


def hold_running(database_url: str) -> IO[str] | None:
    """Called by every bot process on start: the shared lock it keeps while it runs."""
    path = sqlite_path(database_url)
    if path is None:
        return None
    handle = open(running_lock(path), "a+")  # noqa: SIM115 - held for the life of the process
    try:
        fcntl.flock(handle.fileno(), fcntl.LOCK_SH | fcntl.LOCK_NB)
    except OSError:
        handle.close()
        raise BackupError(f"a restore of {path} is in progress; start the bot after it") from None
    return handle


def backup(database_url: str, target: Path) -> str:
    source = _sqlite(database_url)
    if not source.exists():
        raise BackupError(f"there is no database at {source}")
    if target.exists():
        raise BackupError(f"{target} already exists; name a new file")
    target.parent.mkdir(parents=True, exist_ok=True)
    src = sqlite3.connect(source, timeout=30)
    dst = sqlite3.connect(target)
    try:
        with dst:
            src.backup(dst)  # one step: a consistent snapshot under one read transaction
        # The copy is a standalone file, not a WAL database that needs its -wal beside it.
        dst.execute("PRAGMA journal_mode=DELETE")
    finally:
        dst.close()
        src.close()
    return f"backed up {source} to {target}"


def restore(database_url: str, backup_file: Path) -> str:
    database = _sqlite(database_url)
    if not backup_file.is_file():
        raise BackupError(f"there is no backup at {backup_file}")
    database.parent.mkdir(parents=True, exist_ok=True)
    with open(running_lock(database), "a+") as lock:
        try:
            fcntl.flock(lock.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError:
            raise BackupError(
                f"the bot is running on {database}: stop every bot process, then restore"
            ) from None
        src = sqlite3.connect(f"file:{backup_file}?mode=ro", uri=True)
        try:
            check = src.execute("PRAGMA quick_check").fetchone()
            tables = {r[0] for r in src.execute("SELECT name FROM sqlite_master")}
            if check is None or check[0] != "ok" or "alembic_version" not in tables:
                raise BackupError(f"{backup_file} is not a backup of the bot's database")
            kept = _keep_replaced(database)
            dst = sqlite3.connect(database, timeout=30)
            try:
                src.backup(dst)
            finally:
                dst.close()
        except sqlite3.DatabaseError as exc:
            raise BackupError(f"{backup_file} is not a SQLite database ({exc})") from None
        finally:
            src.close()
        engine = make_engine(database_url)
        try:
            upgrade(engine)  # a backup from an older version is brought up to date
        finally:
            engine.dispose()
    done = f"restored {database} from {backup_file} and migrated it to the newest schema"
    if kept is not None:
        done += f"; the database it replaced is kept at {kept}"
    return done


def _keep_replaced(database: Path) -> Path | None:
    """A copy of the database a restore overwrites, beside it: what was newer than the backup
    (issues, their references) is not lost by restoring the wrong file."""
    if not database.exists() or database.stat().st_size == 0:
        return None
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
    kept = database.with_name(f"{database.name}.replaced-{stamp}")
    n = 1
    while kept.exists():
        kept = database.with_name(f"{database.name}.replaced-{stamp}-{n}")
        n += 1
    backup(f"sqlite:///{database}", kept)  # a consistent copy, its WAL included
    return kept


def _sqlite(database_url: str) -> Path:
    path = sqlite_path(database_url)
    if path is None:
        raise BackupError(PG_HINT)
    return path
