"""One unit of work per command: everything it writes commits together or not at all."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

from sqlalchemy import Engine, event
from sqlalchemy.orm import Session, sessionmaker

from storage.db import READ_ONLY


class Database:
    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        self._sessions = sessionmaker(engine, expire_on_commit=False)
        self._readers = sessionmaker(
            engine.execution_options(**{READ_ONLY: True}), expire_on_commit=False
        )

    @contextmanager
    def unit_of_work(self) -> Iterator[Session]:
        session = self._sessions()
        try:
            yield session
            session.commit()
        except BaseException:
            session.rollback()
            raise
        finally:
            session.close()

    @contextmanager
    def read(self) -> Iterator[Session]:
        """A session for reading only: nothing in it is committed, and on SQLite it takes no
        write lock, so reads never queue behind (or block) a command's change."""
        session = self._readers()
        try:
            yield session
        finally:
            # close() ends the transaction without expiring what was loaded, so rows read
            # here stay usable after the block (rollback() would expire them).
            session.close()

    def listen(self, name: str, fn: Callable[..., Any]) -> None:
        """A session event (``after_commit``, ``before_flush`` …) on this database's sessions."""
        event.listen(self._sessions, name, fn)

    @property
    def is_postgres(self) -> bool:
        return self.engine.dialect.name == "postgresql"
