"""Shared fixtures: a fresh database (SQLite file, or PostgreSQL when reachable), a manual
clock, seeded people and an engine.

Missing PostgreSQL or Chromium skips those tests with the reason; in CI (CI=true) the same
absence fails them, so nothing is quietly left out there.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import create_engine, func, inspect, select, text

from commands.core.clock import ManualClock
from commands.core.context import Options, Reply, Request, Submission
from commands.core.engine import Engine
from storage import seed
from storage.db import make_engine
from storage.migrate import upgrade
from storage.models import Base, ChannelBinding
from storage.unit_of_work import Database
from tests.fakes import migrated
from tests.fakes.migrated import Templates

PG_ADMIN_URL = os.environ.get(
    "OPSS_TEST_PG_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test"
)
IN_CI = os.environ.get("CI", "").lower() in {"1", "true", "yes"}
AREAS = ("Gas and Electrical", "Toys and Childcare", "Product Safety")
START = datetime(2026, 11, 23, 9, 30, tzinfo=UTC)


def trained(*roles: str) -> list[dict[str, str]]:
    """The seed's roster entries (plan 6.6): trained in 2025, in date until 2030."""
    return [{"role": r, "on": "2025-01-13", "expires": "2030-01-13"} for r in roles]


PEOPLE: list[dict[str, Any]] = [
    {"name": "hana", "display_name": "Hana Patel", "roles": ["head_of_imt", "admin"]},
    {
        "name": "ian",
        "display_name": "Ian Brooks",
        "roles": ["imt"],
        "trained": trained("secretariat", "loggist"),
    },
    {
        "name": "fatima",
        "display_name": "Fatima Khan",
        "roles": [{"role": "ftl", "area": "Gas and Electrical"}],
        "trained": trained("ftl_deputy", "tcg_chair", "bird_table_chair", "communications_lead"),
    },
    {
        "name": "tom",
        "display_name": "Tom Reid",
        "roles": [{"role": "ftl", "area": "Toys and Childcare"}],
        "trained": trained("ftl_deputy"),
    },
    {
        "name": "david",
        "display_name": "David Osei",
        "roles": [{"role": "deputy_director", "area": "Targeting"}],
        "trained": trained("scg_chair"),
    },
    {"name": "sara", "display_name": "Sara Lind", "roles": ["scs"]},
    {
        "name": "rachel",
        "display_name": "Rachel Moore",
        "roles": [{"role": "deputy_chief_executive", "area": "Regulation"}],
    },
    {
        "name": "olly",
        "display_name": "Olly Reed",
        "roles": [],
        "trained": trained("senior_investigation_officer"),
    },
]


def missing(reason: str) -> None:
    if IN_CI:
        pytest.fail(f"{reason} (required in CI)")
    pytest.skip(reason)


def _pg_reachable() -> str | None:
    try:
        engine = create_engine(PG_ADMIN_URL)
        with engine.connect() as conn:
            conn.execute(text("select 1"))
        engine.dispose()
    except Exception as exc:
        return f"PostgreSQL is not reachable at {PG_ADMIN_URL}: {type(exc).__name__}"
    return None


@pytest.fixture(scope="session")
def pg_problem() -> str | None:
    return _pg_reachable()


@pytest.fixture(scope="session", autouse=True)
def migrated_templates(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Templates]:
    """The migrated database, built once per session; make_db and the bot's test servers
    start each new database as a copy of it (tests/fakes/migrated.py)."""
    templates = Templates(tmp_path_factory.mktemp("migrated"), PG_ADMIN_URL)
    migrated.current = templates
    yield templates
    migrated.current = None
    templates.close()


def _fresh_pg_url(problem: str | None) -> Iterator[str]:
    """An empty PostgreSQL database; make_db turns it into a copy of the migrated template."""
    if problem:
        missing(problem)
    name = f"opss_t_{uuid.uuid4().hex[:12]}"
    admin = create_engine(PG_ADMIN_URL, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    if migrated.current is not None:
        migrated.current.fresh_pg.add(name)
    url = admin.url.set(database=name).render_as_string(hide_password=False)
    try:
        yield url
    finally:
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


@pytest.fixture(params=["sqlite", "postgres"])
def database_url(
    request: pytest.FixtureRequest, tmp_path: Path, pg_problem: str | None
) -> Iterator[str]:
    """Storage tests run once on each database."""
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'opss.sqlite3'}"
    else:
        yield from _fresh_pg_url(pg_problem)


@pytest.fixture
def sqlite_url(tmp_path: Path) -> str:
    return f"sqlite:///{tmp_path / 'opss.sqlite3'}"


def make_db(url: str) -> Database:
    """The database at ``url`` at the newest migration: a copy of the session's template when
    it is a new one, else migrated in place (outside a test session, for benchmarks)."""
    copied = migrated.prepare(url)
    engine = make_engine(url)
    if not copied:
        upgrade(engine)
    return Database(engine)


@pytest.fixture
def clock() -> ManualClock:
    return ManualClock(START)


@pytest.fixture
def db(sqlite_url: str) -> Iterator[Database]:
    database = make_db(sqlite_url)
    yield database
    database.engine.dispose()


@pytest.fixture
def any_db(database_url: str) -> Iterator[Database]:
    database = make_db(database_url)
    yield database
    database.engine.dispose()


IMT_CHANNEL = "imt-channel"


def seeded_engine(db: Database, clock: ManualClock, *, imt_bound: bool = True) -> Engine:
    """The demo people, and IMT's channel set up on the local surface (as the app does)."""
    seed.apply(db, PEOPLE, clock.now())
    if imt_bound:
        with db.unit_of_work() as session:
            session.add(
                ChannelBinding(
                    surface="local", conversation="imt", external_id=IMT_CHANNEL, name="opss-imt"
                )
            )
    return Engine(db, clock, Options(functional_areas=AREAS))


@pytest.fixture
def engine(db: Database, clock: ManualClock) -> Engine:
    return seeded_engine(db, clock)


class Driver:
    """Types commands and submits forms as a named user, the way a surface would."""

    def __init__(
        self,
        engine: Engine,
        channel: str = "general",
        surface: str = "local",
        ids: dict[str, str] | None = None,
    ) -> None:
        self.engine = engine
        self.channel = channel
        self.surface = surface
        self.ids = ids or {}  # user name -> the surface's account id

    def cmd(self, user: str, text: str, key: str | None = None) -> Reply:
        who = self.ids.get(user, user)
        return self.engine.handle(Request(self.surface, who, self.channel, text, user, key))

    def submit(self, user: str, data: dict[str, Any], key: str | None = None) -> Reply:
        who = self.ids.get(user, user)
        return self.engine.submit(Submission(self.surface, who, self.channel, data, user, key))


@pytest.fixture
def bot(engine: Engine) -> Driver:
    return Driver(engine)


def row_counts(db: Database) -> dict[str, int]:
    with db.read() as session:
        names = inspect(session.get_bind()).get_table_names()
        tables = [t for t in Base.metadata.sorted_tables if t.name in names]
        return {t.name: session.scalar(select(func.count()).select_from(t)) or 0 for t in tables}


ALL_INDICATORS = (
    "public_safety",
    "non_compliance",
    "remedial_action",
    "public_confidence",
    "media_interest",
    "reputational_risk",
    "financial_risk",
    "ministerial_interest",
)


def ratings(level: str, **overrides: str) -> dict[str, str]:
    out = {k: level for k in ALL_INDICATORS}
    if level == "critical":
        out["non_compliance"] = "high"
    out.update(overrides)
    return out


@pytest.fixture
def pg_url(pg_problem: str | None) -> Iterator[str]:
    """A fresh PostgreSQL database (skipped, or failed in CI, when there is none)."""
    yield from _fresh_pg_url(pg_problem)


@pytest.fixture
def local(tmp_path: Path) -> Iterator[tuple[str, Any]]:
    """The bot with its pick-a-name workspace, served on a loopback port: (url, bot)."""
    from bot.config import Settings
    from tests.fakes.server import running

    settings = Settings(
        database_url=f"sqlite:///{tmp_path / 'w.db'}", local_workspace=True, outbox_pace_seconds=0
    )
    with running(settings, ManualClock(START)) as (url, bot):
        yield url, bot
