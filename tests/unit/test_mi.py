"""Management information (plan 3.20) through the engine: the dashboard's figures against
records made for the test (``tests/fakes/mi_world.py``), for the roles that see it and refused
for the rest; ``/opss mi``'s card; the weekly summary as a due source of the tick; and the
statements each costs, counted at two sizes of history."""

from __future__ import annotations

import json
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, time, timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import event, select, update

from bench.fill import Size, fill, ladder_and_clocks
from cards.adaptive import render_card
from commands.core.clock import ManualClock
from commands.core.context import Options
from commands.core.due import next_due, tick
from commands.core.engine import Engine
from commands.mi import summary
from commands.mi.figures import Filters, dashboard
from commands.mi.panels import Dashboard
from rules.mi import Weekly, parse_weekly
from rules.roles import Role
from storage import seed
from storage.models import AuditEvent, Firing, MiSummarySchedule, OutboxMessage, Person
from storage.unit_of_work import Database
from tests.conftest import AREAS, PEOPLE, START, Driver, _fresh_pg_url, make_db, seeded_engine
from tests.fakes import mi_world
from tests.fakes.schema import assert_valid_card


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Driver, Database]]:
    """The records of ``mi_world``, made once for the module's read-only tests."""
    db = make_db(f"sqlite:///{tmp_path_factory.mktemp('mi') / 'mi.sqlite3'}")
    clock = ManualClock(START)
    bot = Driver(seeded_engine(db, clock))
    mi_world.build(bot, db, clock)
    yield bot, db
    db.engine.dispose()


def read(bot: Driver, user: str, filters: Filters | None = None) -> tuple[Dashboard | None, str]:
    wanted = filters or Filters()
    found, reply = bot.engine.read("local", user, user, lambda ctx: dashboard(ctx, wanted))
    return found, reply.text


def panel(d: Dashboard, key: str) -> dict[str, dict[str, Any]]:
    """A panel's figures, series by series: {series label: {category: value}}."""
    (p,) = [p for p in d.panels if p.key == key]
    return {s.label: dict(zip(p.labels, s.values, strict=True)) for s in p.series}


def names(db: Database) -> dict[str, str]:
    with db.read() as s:
        return dict(s.execute(select(Person.name, Person.display_name)).tuples().all())


def test_the_figures_are_those_of_the_records(world: tuple[Driver, Database]) -> None:
    bot, db = world
    d, _ = read(bot, "hana")
    assert d is not None
    assert panel(d, "stages") == {"Live issues": {k: float(v) for k, v in mi_world.LIVE.items()}}
    assert panel(d, "levels") == {
        "Open incidents": {k: float(v) for k, v in mi_world.LEVELS.items()}
    }
    shown = names(db)
    actions = panel(d, "actions")
    assert actions["Overdue"] == {shown[u]: float(o) for u, (o, _) in mi_world.ACTIONS.items()}
    assert actions["Due in the next 7 days"] == {
        shown[u]: float(n) for u, (_, n) in mi_world.ACTIONS.items()
    }
    assert panel(d, "notifications") == {
        "Open notifications": {k: float(v) for k, v in mi_world.NOTIFICATIONS.items()}
    }
    assert panel(d, "sitreps") == {
        "Open incidents missing it": {k: float(v) for k, v in mi_world.MISSING.items()}
    }
    assert panel(d, "erco") == {"Open incidents": {k: float(v) for k, v in mi_world.ERCO.items()}}
    (timings,) = [p for p in d.panels if p.key == "timings"]
    table = {row[0]: row for row in timings.table().rows}
    stays = {row[0]: row for row in timings.details[0].rows}
    for stage, (average, count) in mi_world.STAYS.items():
        assert table[stage][1] == average, stage
        assert stays[stage][1] == str(count), stage
    for stage, days in mi_world.SO_FAR.items():
        assert table[stage][2] == days
    headline = {h.label: h.value for h in d.headline}
    assert headline["Live issues"] == "2"
    assert headline["Issues raised in the last 30 days"] == "4"  # not the EXERCISE's issue
    assert headline["Actions overdue"] == "2"
    assert headline["Notifications overdue"] == "1"
    assert headline["Sitrep updates missing at the last cut-off"] == "2"
    assert headline["Raised to declared, average over the last 30 days"] == "3.5 days"
    assert headline["DBT ERCO engagement outstanding"] == "1"
    # The records behind the figures: the outstanding ERCO and the soonest notifications.
    (erco,) = [p for p in d.panels if p.key == "erco"]
    assert [r[0] for r in erco.details[0].rows] == ["INC-2026-002"]
    (notifications,) = [p for p in d.panels if p.key == "notifications"]
    assert [r[0] for r in notifications.details[0].rows] == [
        "NOT-2026-0001",
        "NOT-2026-0002",
        "NOT-2026-0003",
        "NOT-2026-0004",
    ]
    assert "EXERCISE ·" not in str(d.as_json())  # no EXERCISE series or record
    assert "EXERCISE records left out" in d.scope


def test_each_chart_has_its_figures_as_a_table(world: tuple[Driver, Database]) -> None:
    bot, _ = world
    d, _ = read(bot, "hana", Filters(exercises=True))
    assert d is not None
    for p in d.panels:
        table = p.table()
        assert table.columns == (p.category, *(s.label for s in p.series))
        assert [row[0] for row in table.rows] == list(p.labels)
        for i, s in enumerate(p.series, start=1):
            for row, value in zip(table.rows, s.values, strict=True):
                assert row[i] == (
                    "–"
                    if value is None
                    else f"{value:.{p.decimals}f}"
                    if p.decimals
                    else str(round(value))
                )


def test_exercise_records_are_left_out_unless_asked_for_then_marked(
    world: tuple[Driver, Database],
) -> None:
    bot, db = world
    d, _ = read(bot, "hana", Filters(exercises=True))
    assert d is not None
    assert "EXERCISE records included" in d.scope
    # The real figures do not change; EXERCISE ones come in series of their own, marked.
    levels = panel(d, "levels")
    assert levels["Open incidents"]["Critical"] == 2.0
    assert levels["Open incidents · EXERCISE"] == {
        k: float(v) for k, v in mi_world.LEVELS_EXERCISE.items()
    }
    tom = names(db)["tom"]
    actions = panel(d, "actions")
    assert actions["Overdue · EXERCISE"][tom] == 1.0 and actions["Overdue"][tom] == 0.0
    assert panel(d, "notifications")["Open notifications · EXERCISE"]["Overdue"] == 1.0
    assert panel(d, "notifications")["Open notifications"]["Overdue"] == 1.0
    assert panel(d, "sitreps")["Open incidents missing it · EXERCISE"] == {
        "Toys and Childcare": 1.0,
        "Gas and Electrical": 0.0,
    }
    assert panel(d, "erco")["Open incidents · EXERCISE"] == {
        k: float(v) for k, v in mi_world.ERCO_EXERCISE.items()
    }
    assert all(s.exercise == ("EXERCISE" in s.label) for p in d.panels for s in p.series)
    (notifications,) = [p for p in d.panels if p.key == "notifications"]
    listed = notifications.details[0]
    assert listed.rows[1][0] == "EXERCISE · NOT-2026-0005" and listed.exercise_rows == (1,)


def test_a_functional_area_narrows_every_panel(world: tuple[Driver, Database]) -> None:
    bot, _ = world
    d, _ = read(bot, "hana", Filters(area="Toys and Childcare"))
    assert d is not None
    assert panel(d, "stages")["Live issues"]["Raised"] == 1.0
    assert panel(d, "stages")["Live issues"]["CAM"] == 0.0
    assert sum(panel(d, "levels")["Open incidents"].values()) == 0
    assert panel(d, "actions") == {"Overdue": {}, "Due in the next 7 days": {}}
    assert panel(d, "notifications")["Open notifications"]["1-2 days"] == 1.0
    assert sum(panel(d, "notifications")["Open notifications"].values()) == 1


def test_who_sees_it_and_who_is_refused_and_audited(world: tuple[Driver, Database]) -> None:
    bot, db = world
    for user in ("hana", "ian", "sara", "david"):  # Head of IMT, IMT, SCS, a deputy director
        d, text = read(bot, user)
        assert d is not None, f"{user}: {text}"
        assert panel(d, "levels")["Open incidents"]["Critical"] == 2.0  # every incident
    for user in ("olly", "fatima", "stranger"):
        d, text = read(bot, user)
        assert d is None
        assert text.startswith(
            "Only IMT, the Head of IMT and senior civil servants (SCS: deputy directors and "
            "above) may see management information. You hold:"
        ), text
    with db.read() as s:
        refusals = s.scalars(
            select(AuditEvent).where(
                AuditEvent.action == "permission.refused", AuditEvent.entity_ref == "mi"
            )
        ).all()
    assert {r.actor_name for r in refusals} >= {"olly", "fatima", "local:stranger"}


def test_opss_mi_answers_with_the_headline_as_a_card(world: tuple[Driver, Database]) -> None:
    bot, _ = world
    reply = bot.cmd("sara", "mi")
    assert reply.ok and reply.card is not None, reply.text
    assert_valid_card(render_card(reply.card))
    facts = dict(reply.card.facts)
    assert facts["Live issues"] == "2"
    assert facts["Open incidents"] == "2 (2 Critical)"
    assert facts["Actions overdue"] == "2"
    assert facts["Notifications due within 7 days"] == "3"
    assert facts["DBT ERCO engagement outstanding"] == "1"
    # The roster's figures (mi_world: four roles short of two, two trainings lapsing).
    assert facts["Roles with too few trained"] == "4 (" + ", ".join(mi_world.SHORT) + ")"
    assert facts["Training lapsing within 60 days"] == "2"
    assert reply.card.links == (("Open the dashboard", "/mi?period=30d"),)
    assert "EXERCISE records left out" in reply.card.subtitle and not reply.card.warning
    assert "EXERCISE incidents open" not in facts
    shown = bot.cmd("sara", 'mi --area "toys and childcare" --period 7d --exercise')
    assert shown.ok and shown.card is not None
    assert "Toys and Childcare, the last 7 days" in shown.card.subtitle
    assert "Includes EXERCISE records" in shown.card.warning
    assert dict(shown.card.facts)["Live issues"] == "1"
    for line, wanted in (
        ("mi --period 2w", "Period: '2w' is not a period; use one of 7d, 30d, 90d, 365d."),
        ("mi --area Moon", "Area: 'Moon' is not a functional area"),
        ("mi everything", "mi takes only options"),
    ):
        bad = bot.cmd("hana", line)
        assert not bad.ok and wanted in bad.text, bad.text
    refused = bot.cmd("olly", "mi")
    assert not refused.ok and "may see management information" in refused.text


# The weekly summary ----------------------------------------------------------------------

MONDAY_9 = datetime(2026, 11, 30, 9, 0, tzinfo=UTC)  # GMT: 09:00 London


def _summaries(db: Database) -> list[OutboxMessage]:
    with db.read() as s:
        return list(
            s.scalars(
                select(OutboxMessage)
                .where(OutboxMessage.conversation == "imt", OutboxMessage.op == "post")
                .where(OutboxMessage.payload["text"].as_string().like("Weekly management%"))
                .order_by(OutboxMessage.id)
            )
        )


def test_the_weekly_summary_is_posted_to_imt_once_at_its_time(
    db: Database, clock: ManualClock
) -> None:
    engine = seeded_engine(db, clock)
    bot = Driver(engine)
    mi_world.build(bot, db, clock)  # the clock is now Wed 2 Dec 09:30
    options = Options(functional_areas=AREAS, mi_summary=Weekly(2, time(10, 0)))  # Wed 10:00
    summary.arm(db, clock.now(), options.mi_summary)
    assert next_due(db, clock) is not None
    with db.read() as s:
        row = s.get(MiSummarySchedule, 1)
        assert row is not None and row.next_run_at == datetime(2026, 12, 2, 10, 0, tzinfo=UTC)
    assert not [h for h in tick(db, clock, options).handled if h.startswith("MI")]  # not yet
    clock.advance(timedelta(minutes=31))
    result = tick(db, clock, options)
    assert [h for h in result.handled if h.startswith("MI")] == ["MI summary on_time"]
    (post,) = _summaries(db)
    assert post.surface == "local"
    card = post.payload["card"]
    facts = dict((f[0], f[1]) for f in card["facts"])
    assert facts["Live issues"] == "2" and facts["Actions overdue"] == "2"
    assert "the last 7 days" in card["subtitle"]
    assert not [h for h in tick(db, clock, options).handled if h.startswith("MI")]  # once
    summary.arm(db, clock.now(), options.mi_summary)  # a restart keeps the time
    with db.read() as s:
        row = s.get(MiSummarySchedule, 1)
        assert row is not None and row.next_run_at == datetime(2026, 12, 9, 10, 0, tzinfo=UTC)
        audited = s.scalars(select(AuditEvent).where(AuditEvent.action == "mi.summary_posted"))
        assert len(audited.all()) == 1


def test_after_downtime_a_summary_is_late_within_a_day_and_missed_after(
    db: Database, clock: ManualClock
) -> None:
    seeded_engine(db, clock)
    options = Options(functional_areas=AREAS, mi_summary=parse_weekly("mon 09:00"))
    summary.arm(db, clock.now(), options.mi_summary)  # Mon 23 Nov 09:30: due Mon 30 Nov 09:00
    clock.advance(MONDAY_9 + timedelta(hours=1) - clock.now())  # down until Mon 10:00
    assert tick(db, clock, options).handled == ["MI summary late"]
    (post,) = _summaries(db)
    assert post.payload["text"].endswith("(late).")
    clock.advance(timedelta(days=8, hours=1))  # down past the next Monday, until Tuesday
    assert tick(db, clock, options).handled == ["MI summary missed"]
    assert len(_summaries(db)) == 1
    with db.read() as s:
        row = s.get(MiSummarySchedule, 1)
        assert row is not None and row.next_run_at == MONDAY_9 + timedelta(days=14)
        statuses = s.scalars(
            select(Firing.status).where(Firing.source == "mi-summary").order_by(Firing.id)
        ).all()
    assert statuses == ["late", "missed"]


def test_a_changed_setting_retimes_the_summary_and_off_stops_it(
    db: Database, clock: ManualClock
) -> None:
    seeded_engine(db, clock)
    summary.arm(db, clock.now(), parse_weekly("mon 09:00"))  # Mon 23 Nov 09:30 now: next Mon
    with db.read() as s:
        assert s.get(MiSummarySchedule, 1).next_run_at == MONDAY_9  # type: ignore[union-attr]
    summary.arm(db, clock.now(), parse_weekly("fri 16:30"))
    with db.read() as s:
        row = s.get(MiSummarySchedule, 1)
        assert row is not None and row.weekly == "fri 16:30"
        assert row.next_run_at == datetime(2026, 11, 27, 16, 30, tzinfo=UTC)
    summary.arm(db, clock.now(), parse_weekly("off"))
    with db.read() as s:
        assert s.get(MiSummarySchedule, 1).next_run_at is None  # type: ignore[union-attr]
    assert next_due(db, clock) is None


@pytest.mark.parametrize(
    "text", ["monday", "mon 9", "mon 25:00", "sometime 09:00", "mon 09:60", ""]
)
def test_a_bad_summary_setting_is_refused_with_an_example(text: str) -> None:
    with pytest.raises(ValueError, match=r"use e\.g\. 'mon 09:00'"):
        parse_weekly(text)


def test_the_summary_time_keeps_to_london_across_the_clock_change() -> None:
    weekly = parse_weekly("mon 09:00")
    assert weekly is not None
    # Summer: 09:00 BST is 08:00 UTC; after the clocks go back on 25 Oct 2026, 09:00 GMT.
    assert weekly.next_after(datetime(2026, 10, 20, tzinfo=UTC)) == datetime(
        2026, 10, 26, 9, 0, tzinfo=UTC
    )
    assert weekly.next_after(datetime(2026, 10, 15, tzinfo=UTC)) == datetime(
        2026, 10, 19, 8, 0, tzinfo=UTC
    )


# Cost that stays flat as history grows ------------------------------------------------------

SMALL = Size(issues=20, incidents=2, decisions=20, actions=20)
LARGE = Size(issues=400, incidents=40, decisions=400, actions=400)


@contextmanager
def counting(db: Database) -> Iterator[list[str]]:
    statements: list[str] = []

    def count(conn: Any, cursor: Any, statement: str, *args: Any) -> None:
        statements.append(statement)

    event.listen(db.engine, "before_cursor_execute", count)
    try:
        yield statements
    finally:
        event.remove(db.engine, "before_cursor_execute", count)


def _costs(url: str, size: Size) -> dict[str, int]:
    db = make_db(url)
    clock = ManualClock(START)
    seed.apply(db, PEOPLE, clock.now())
    fill(db, size, clock.now(), AREAS)
    ladder_and_clocks(db, clock.now())
    engine = Engine(db, clock, Options(functional_areas=AREAS))
    bot = Driver(engine)
    reads = {
        # As /api/mi sends it: every figure a JSON number, on either database.
        "/mi": lambda: (json.loads(json.dumps(read(bot, "hana")[0].as_json())), ""),
        "/mi, an area, a year, EXERCISE records": lambda: read(
            bot, "sara", Filters(area="Toys and Childcare", period="365d", exercises=True)
        ),
        "/opss mi": lambda: bot.cmd("hana", "mi"),
    }
    out: dict[str, int] = {}
    try:
        for name, run in reads.items():
            run()  # warm the caches, then counted
            with counting(db) as statements:
                result = run()
            assert result[0] is not None if isinstance(result, tuple) else result.ok
            out[name] = len(statements)
        summary.arm(db, clock.now(), parse_weekly("mon 10:00"))
        with db.unit_of_work() as s:
            s.execute(update(MiSummarySchedule).values(next_run_at=clock.now()))
        with counting(db) as statements:
            handled = tick(db, clock, engine.options).handled
        assert "MI summary on_time" in handled
        out["tick with the weekly summary due"] = len(statements)
    finally:
        db.engine.dispose()
    return out


@pytest.fixture(params=["sqlite", "postgres"])
def two_urls(
    request: pytest.FixtureRequest, tmp_path: Path, pg_problem: str | None
) -> Iterator[tuple[str, str]]:
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'small.sqlite3'}", f"sqlite:///{tmp_path / 'large.sqlite3'}"
        return
    small, large = _fresh_pg_url(pg_problem), _fresh_pg_url(pg_problem)
    yield next(small), next(large)
    for generator in (small, large):
        generator.close()


def test_mi_costs_the_same_statements_at_20_and_400(two_urls: tuple[str, str]) -> None:
    small = _costs(two_urls[0], SMALL)
    large = _costs(two_urls[1], LARGE)
    assert small == large, f"statements grew with the history (20 -> 400): {small} {large}"
    assert small["/mi"] <= 16, small


def test_actions_assigned_before_an_exercise_is_declared_are_counted_as_the_exercises(
    any_db: Database, clock: ManualClock
) -> None:
    """An action keeps its issue's EXERCISE flag (Action.exercise): one assigned on the issue
    before the issue is declared an EXERCISE becomes the exercise's when it is declared; and
    migration 0026 works the flag out from the incidents for actions recorded before it."""
    from alembic import command

    from storage.migrate import alembic_config, upgrade
    from tests.fakes.steps import call_conference, ok, raise_issue, to_stage

    bot = Driver(seeded_engine(any_db, clock))
    due = (clock.now() + timedelta(days=2)).date().isoformat()
    drill = to_stage(bot, "cam_ep")
    ok(bot.cmd("hana", f"action {drill} Check the batch --owner tom --due {due}"))
    real = raise_issue(bot)
    ok(bot.cmd("hana", f"action {real} Ring the retailer --owner tom --due {due}"))
    tom = names(any_db)["tom"]

    def toms(filters: Filters) -> dict[str, float]:
        d, text = read(bot, "hana", filters)
        assert d is not None, text
        return {label: values[tom] for label, values in panel(d, "actions").items()}

    assert toms(Filters(exercises=True))["Due in the next 7 days"] == 2.0
    cc = call_conference(bot, drill)
    outcome = {"form": "outcome", "conference": cc, "outcomes": "declare_incident"}
    ok(bot.submit("ian", outcome | {"rationale": "r", "decided_by": "David"}))
    ok(bot.cmd("hana", f"declare {drill} --exercise --level tactical --erco yes"))
    counted = {"Due in the next 7 days": 1.0, "Due in the next 7 days · EXERCISE": 1.0}
    assert {k: v for k, v in toms(Filters(exercises=True)).items() if "Due" in k} == counted
    assert toms(Filters())["Due in the next 7 days"] == 1.0  # left out unless asked for
    cfg = alembic_config()
    with any_db.engine.begin() as conn:
        cfg.attributes["connection"] = conn
        command.downgrade(cfg, "0025")
    upgrade(any_db.engine)
    assert {k: v for k, v in toms(Filters(exercises=True)).items() if "Due" in k} == counted


def test_every_action_written_of_an_exercise_is_marked_whichever_use_case_wrote_it(
    db: Database, clock: ManualClock
) -> None:
    """``/opss action`` and an SCG strategy's deadlines (3.7) both write actions; each one of
    an EXERCISE incident carries the flag the dashboard counts by, and none of a real one."""
    from storage.models import Action, Incident
    from tests.fakes.steps import declare, ok

    bot = Driver(seeded_engine(db, clock))
    declare(bot, "--exercise --level tactical --erco yes --scg-chair david")  # INC-2026-001
    declare(bot, "--level tactical --erco yes --scg-chair david")  # INC-2026-002
    due = (clock.now() + timedelta(days=2)).strftime("%Y-%m-%d 12:00")
    for inc in ("INC-2026-001", "INC-2026-002"):
        strategy = {"form": "strategy", "reference": inc, "what_happened": "x", "aim": "y"}
        strategy |= {"priorities": "z", "equality": "e"}
        ok(bot.submit("david", strategy | {"deadlines": f"fatima | {due} | Test results"}))
        ok(bot.cmd("hana", f"action {inc} Collect samples --owner fatima --due {due[:10]}"))
    with db.read() as s:
        rows = s.execute(
            select(Action.reference, Action.exercise, Incident.exercise).join(
                Incident, Incident.issue_id == Action.issue_id
            )
        ).all()
    assert len(rows) == 4
    assert all(kept == drill for _, kept, drill in rows), rows
    fatima = names(db)["fatima"]
    d, text = read(bot, "hana", Filters(exercises=True))
    assert d is not None, text
    actions = panel(d, "actions")
    assert actions["Due in the next 7 days"][fatima] == 2.0
    assert actions["Due in the next 7 days · EXERCISE"][fatima] == 2.0


@pytest.mark.parametrize("role", list(Role))
def test_whoever_may_see_the_dashboard_may_read_every_incident(role: Role) -> None:
    """The dashboard leaves out EXERCISE actions by their flag alone, with no check of who may
    read each incident: right only while everyone who may see it may read every incident."""
    from commands.overview.listing import reads_every_incident
    from rules.mi import may_see_mi
    from rules.roles import Actor, Grant

    for area in (None, "Gas and Electrical"):
        actor = Actor("someone", frozenset({Grant(role, area)}))
        if may_see_mi(actor):
            assert reads_every_incident(actor), (role, area)


def test_every_record_that_keeps_the_exercise_flag_agrees_with_its_incident(
    world: tuple[Driver, Database],
) -> None:
    """Issues, and their actions, notifications and moves, keep their incident's EXERCISE
    flag, which the dashboard counts by: across the world's records (made through the engine),
    each agrees with its incident, and each kind has records of both."""
    from storage.models import KEEP_EXERCISE, Incident, Issue

    _, db = world
    with db.read() as s:
        issues = s.execute(
            select(Issue.exercise, Incident.exercise).join(Incident, Incident.issue_id == Issue.id)
        ).all()
        assert all(mine == theirs for mine, theirs in issues)
        assert {mine for mine, _ in issues} == {True, False}
        for kept in KEEP_EXERCISE:
            rows = s.execute(
                select(kept.exercise, Incident.exercise).join(
                    Incident, Incident.issue_id == kept.issue_id
                )
            ).all()
            assert all(mine == theirs for mine, theirs in rows), kept.__name__
            assert {mine for mine, _ in rows} == {True, False}, kept.__name__
