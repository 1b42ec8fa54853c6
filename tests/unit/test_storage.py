"""Storage on SQLite and on PostgreSQL: the same code, the same guarantees."""

from __future__ import annotations

import asyncio
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime

from alembic import command
from alembic.script import ScriptDirectory
from sqlalchemy import column, insert, inspect, select, table, text
from sqlalchemy.engine import make_url

from bench.fill import issue_row
from commands.core.clock import ManualClock
from commands.core.context import Request
from commands.core.engine import Engine
from storage.db import make_engine
from storage.migrate import alembic_config, upgrade
from storage.models import AuditEvent, Escalation, Issue, Person
from storage.unit_of_work import Database
from tests.conftest import row_counts, seeded_engine
from tests.fakes import migrated

RAISE = (
    'raise "Hob {n}" --products "Hob model {n}" --hazard "Gas escape" --source public '
    '--area "Gas and Electrical"'
)


async def _raise_concurrently(engine: Engine, count: int) -> list[str]:
    loop = asyncio.get_running_loop()
    with ThreadPoolExecutor(max_workers=count) as pool:
        tasks = [
            loop.run_in_executor(
                pool, engine.handle, Request("local", f"officer{n}", "general", RAISE.format(n=n))
            )
            for n in range(count)
        ]
        replies = await asyncio.gather(*tasks)
    assert all(r.ok for r in replies), [r.text for r in replies if not r.ok]
    return [r.text.split()[1].rstrip(".") for r in replies]


def test_twenty_concurrent_raises_get_twenty_references(
    any_db: Database, clock: ManualClock
) -> None:
    engine = seeded_engine(any_db, clock)
    references = asyncio.run(_raise_concurrently(engine, 20))
    assert sorted(references) == [f"ISS-2026-{n:04d}" for n in range(1, 21)]
    with any_db.read() as s:
        assert len(s.scalars(select(Issue)).all()) == 20
        raised = s.scalars(select(AuditEvent).where(AuditEvent.action == "issue.raised")).all()
        assert sorted(e.entity_ref for e in raised) == sorted(references)


def _fail_outbox_inserts(db: Database) -> None:
    """A real database fault in the middle of the command: the outbox write is its last."""
    with db.engine.begin() as conn:
        if db.is_postgres:
            conn.execute(
                text(
                    "CREATE FUNCTION fail_outbox() RETURNS trigger AS $$ BEGIN "
                    "RAISE EXCEPTION 'outbox unavailable'; END $$ LANGUAGE plpgsql"
                )
            )
            conn.execute(
                text(
                    "CREATE TRIGGER fail_outbox BEFORE INSERT ON outbox "
                    "FOR EACH ROW EXECUTE FUNCTION fail_outbox()"
                )
            )
        else:
            conn.execute(
                text(
                    "CREATE TRIGGER fail_outbox BEFORE INSERT ON outbox "
                    "BEGIN SELECT RAISE(ABORT, 'outbox unavailable'); END"
                )
            )


def test_a_failure_mid_command_leaves_no_partial_rows(any_db: Database, clock: ManualClock) -> None:
    engine = seeded_engine(any_db, clock)
    engine.handle(Request("local", "olly", "general", "help"))
    before = row_counts(any_db)
    _fail_outbox_inserts(any_db)
    reply = engine.handle(Request("local", "olly", "general", RAISE.format(n=1)))
    assert not reply.ok and "nothing was saved" in reply.text
    assert row_counts(any_db) == before  # no issue, no audit event, no counter bump
    with any_db.read() as s:
        assert s.scalar(select(AuditEvent).where(AuditEvent.action == "issue.raised")) is None


def test_times_come_back_as_the_same_instant(any_db: Database) -> None:
    clock = ManualClock(datetime(2026, 3, 29, 0, 59, 59, tzinfo=UTC))  # just before BST
    engine = seeded_engine(any_db, clock)
    reply = engine.handle(Request("local", "olly", "general", RAISE.format(n=1)))
    assert reply.ok
    with any_db.read() as s:
        issue = s.scalar(select(Issue))
        assert issue is not None and issue.raised_at == clock.now()


def test_migrations_run_on_start_and_again_harmlessly(database_url: str) -> None:
    engine = make_engine(database_url)  # an empty database: the migrations run for real
    with engine.connect() as conn:
        assert inspect(conn).get_table_names() == []
    upgrade(engine)
    upgrade(engine)
    with engine.connect() as conn:
        version = conn.execute(text("select version_num from alembic_version")).scalar()
        tables = set(inspect(conn).get_table_names())
    engine.dispose()
    # One head, and the database is at it (a second branch of migrations would fail here).
    assert ScriptDirectory.from_config(alembic_config()).get_heads() == [version]
    assert {"issues", "audit_events", "outbox", "decisions", "incidents"} <= tables
    assert {"de_escalations", "lessons", "reviews", "recommendations", "documents"} <= tables
    assert {"notifications", "risk_assessments"} <= tables


def _schema(url: str) -> dict[str, object]:
    engine = make_engine(url)
    try:
        with engine.connect() as conn:
            found = inspect(conn)
            version = conn.execute(text("select version_num from alembic_version")).scalar()
            return {
                "version": version,
                **{
                    name: (
                        sorted(
                            (c["name"], str(c["type"]), c["nullable"])
                            for c in found.get_columns(name)
                        ),
                        sorted(i["name"] or "" for i in found.get_indexes(name)),
                    )
                    for name in found.get_table_names()
                },
            }
    finally:
        engine.dispose()


def test_a_test_database_is_a_copy_of_one_freshly_migrated(database_url: str) -> None:
    """make_db hands out copies of the session's migrated template: the same schema, to the
    column and index, as the migrations make on an empty database."""
    fresh = make_engine(database_url)
    upgrade(fresh)
    fresh.dispose()
    templates = migrated.current
    assert templates is not None
    if database_url.startswith("sqlite"):
        copy = f"sqlite:///{templates.sqlite_template()}"
    else:
        copy = make_url(database_url).set(database=templates.pg_template()).render_as_string(False)
    assert _schema(copy) == _schema(database_url)


def test_moves_made_before_0025_learn_when_their_stays_began(database_url: str) -> None:
    """Migration 0025 gives each move already recorded the start of the stay it ended, by the
    rule the dashboard applied to every move before: the issue's move before it (moves of one
    instant in the order recorded), or its raising."""
    raised = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
    first, second = datetime(2026, 3, 3, 10, 0, tzinfo=UTC), datetime(2026, 3, 5, 16, 0, tzinfo=UTC)
    engine = make_engine(database_url)
    cfg = alembic_config()
    with engine.begin() as conn:
        cfg.attributes["connection"] = conn
        command.upgrade(cfg, "0022")
        person = conn.execute(
            insert(Person.__table__).values(name="hana", display_name="Hana", created_at=raised)
        ).inserted_primary_key[0]
        # The tables as they were at 0022 (the models' have columns added since, with defaults).
        row = issue_row(1, person, raised, "ttg", 3) | {"stage_entered_at": second}
        issues = table("issues", column("id"), *(column(c) for c in row))
        issue = conn.execute(insert(issues).values(row).returning(issues.c.id)).scalar_one()
        path = [("raised", "ftl_assessment", first), ("ftl_assessment", "cam", second)]
        path.append(("cam", "ttg", second))  # the same instant, recorded after
        moves = table(
            "escalations",
            *(column(c) for c in ("issue_id", "from_stage", "to_stage", "moved_by_id")),
            *(column(c) for c in ("moved_at", "basis", "justification")),
        )
        for source, target, at in path:
            conn.execute(
                insert(moves).values(
                    issue_id=issue,
                    from_stage=source,
                    to_stage=target,
                    moved_by_id=person,
                    moved_at=at,
                    basis="IMT",
                    justification="",
                )
            )
    upgrade(engine)
    db = Database(engine)
    with db.read() as s:
        began = list(s.scalars(select(Escalation.stay_began_at).order_by(Escalation.id)))
        days = list(s.scalars(select(Escalation.stay_days).order_by(Escalation.id)))
    engine.dispose()
    assert began == [raised, first, second]
    # Migration 0026 keeps each stay's length too: 1 day 1 hour, 2 days 6 hours, no time.
    assert [round(d, 6) for d in days] == [round(25 / 24, 6), 2.25, 0.0]
