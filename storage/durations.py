"""Times as day numbers in SQL, so a database can average how long things took.

SQLite keeps a time as text and PostgreSQL as a timestamp; ``day_number(column)`` is the
time as a number of days (fractional) on each, from an origin of its own: only differences
between two day numbers (or a day number and ``day_number`` of a bound time) mean anything.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import Float
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.sql.functions import FunctionElement


class day_number(FunctionElement[float]):  # an SQL function, named as one
    type = Float()
    inherit_cache = True
    name = "day_number"


@compiles(day_number)
def _sqlite(element: day_number, compiler: Any, **kw: Any) -> str:
    return f"julianday({compiler.process(element.clauses, **kw)})"


@compiles(day_number, "postgresql")
def _postgresql(element: day_number, compiler: Any, **kw: Any) -> str:
    # EXTRACT gives a numeric: as a double, the averages come back as floats, not Decimals.
    seconds = (
        f"CAST(EXTRACT(EPOCH FROM {compiler.process(element.clauses, **kw)}) AS DOUBLE PRECISION)"
    )
    return f"({seconds} / 86400.0)"
