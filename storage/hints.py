"""SQL that steers SQLite's query planner, and means the same on every database.

SQLite has no statistics unless ANALYZE is run, so for a join it may choose to start from the
table an index serves best, even when the other table is a tenth of its size.
``unindexed(column)`` is the column with SQLite's unary ``+``, which keeps that term from
using an index (sqlite.org/optoverview.html), so the join starts from the other table.
PostgreSQL plans from its statistics and is given the column as it is.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy.ext.compiler import compiles
from sqlalchemy.sql.functions import FunctionElement


class unindexed(FunctionElement[Any]):  # an SQL construct, named as a function
    inherit_cache = True
    name = "unindexed"

    def __init__(self, column: Any) -> None:  # a column, or an ORM attribute of one
        super().__init__(column)
        self.type = column.type


@compiles(unindexed)
def _plain(element: unindexed, compiler: Any, **kw: Any) -> str:
    return str(compiler.process(element.clauses, **kw))


@compiles(unindexed, "sqlite")
def _sqlite(element: unindexed, compiler: Any, **kw: Any) -> str:
    return f"+{compiler.process(element.clauses, **kw)}"
