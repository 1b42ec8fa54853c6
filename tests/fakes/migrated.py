"""The migrated database, built once per test session and copied for each test.

Running the ten migrations costs a fifth of a second or more per database; copying a migrated
one costs a few milliseconds. The session builds one template per database kind on first use
(SQLite: a file; PostgreSQL: a database) by running the real migrations, and each test then
gets a copy: the file copied, or ``CREATE DATABASE ... TEMPLATE``. The template's name carries
a hash of the migration scripts, so a changed migration can never be served from an old one.
Tests of the migrations themselves use an empty database and run them for real.
"""

from __future__ import annotations

import hashlib
import shutil
import sqlite3
import uuid
from pathlib import Path

from sqlalchemy import create_engine, inspect, text
from sqlalchemy.engine import make_url

from storage.db import make_engine, normalise_url
from storage.migrate import MIGRATIONS, upgrade


def migrations_key() -> str:
    """A hash of every migration script (and Alembic's env): changes when any of them does."""
    digest = hashlib.sha256()
    for path in sorted(MIGRATIONS.rglob("*.py")):
        if "__pycache__" not in path.parts:
            digest.update(str(path.relative_to(MIGRATIONS)).encode())
            digest.update(path.read_bytes())
    return digest.hexdigest()[:12]


class Templates:
    """The session's templates; built lazily, so a session with no PostgreSQL test makes none."""

    def __init__(self, folder: Path, pg_admin_url: str) -> None:
        self.folder = folder
        self.pg_admin_url = pg_admin_url
        self.key = migrations_key()
        self._sqlite: Path | None = None
        self._pg: str | None = None
        self.fresh_pg: set[str] = set()  # empty databases the fixtures made, not yet used

    def sqlite_template(self) -> Path:
        if self._sqlite is None:
            path = self.folder / f"template-{self.key}.sqlite3"
            engine = make_engine(f"sqlite:///{path}")
            upgrade(engine)
            engine.dispose()
            # Everything in the file itself, so that a copy of the file is the whole database.
            conn = sqlite3.connect(path, isolation_level=None)
            conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
            conn.close()
            assert not Path(f"{path}-wal").exists(), "the template's WAL was not folded in"
            self._sqlite = path
        return self._sqlite

    def pg_template(self) -> str:
        if self._pg is None:
            name = f"opss_tpl_{self.key}_{uuid.uuid4().hex[:8]}"
            admin = create_engine(self.pg_admin_url, isolation_level="AUTOCOMMIT")
            with admin.connect() as conn:
                conn.execute(text(f'CREATE DATABASE "{name}"'))
            engine = make_engine(admin.url.set(database=name).render_as_string(False))
            upgrade(engine)
            engine.dispose()  # CREATE DATABASE ... TEMPLATE needs nobody connected to it
            admin.dispose()
            self._pg = name
        return self._pg

    def prepare(self, url: str) -> bool:
        """Make the database at ``url`` a copy of the migrated template, if it is a new one
        a test made; True when it did (the schema is then at head)."""
        parsed = make_url(normalise_url(url))
        if parsed.drivername.startswith("sqlite"):
            path = Path(parsed.database or "")
            if not parsed.database or parsed.database == ":memory:" or path.exists():
                return False
            shutil.copyfile(self.sqlite_template(), path)
            return True
        name = parsed.database or ""
        if name not in self.fresh_pg:
            return False
        self.fresh_pg.discard(name)
        if _has_tables(parsed.render_as_string(False)):
            return False
        template = self.pg_template()
        admin = create_engine(self.pg_admin_url, isolation_level="AUTOCOMMIT")
        try:
            with admin.connect() as conn:
                # Not WITH (FORCE): should anything be connected to it already, fail loudly.
                conn.execute(text(f'DROP DATABASE "{name}"'))
                conn.execute(text(f'CREATE DATABASE "{name}" TEMPLATE "{template}"'))
        finally:
            admin.dispose()
        return True

    def close(self) -> None:
        if self._pg is not None:
            admin = create_engine(self.pg_admin_url, isolation_level="AUTOCOMMIT")
            with admin.connect() as conn:
                conn.execute(text(f'DROP DATABASE IF EXISTS "{self._pg}" WITH (FORCE)'))
            admin.dispose()
            self._pg = None


def _has_tables(url: str) -> bool:
    engine = create_engine(url)
    try:
        with engine.connect() as conn:
            return bool(inspect(conn).get_table_names())
    finally:
        engine.dispose()


# Set by the session fixture in tests/conftest.py; None outside a test session (benchmarks).
current: Templates | None = None


def prepare(url: str) -> bool:
    return current is not None and current.prepare(url)
