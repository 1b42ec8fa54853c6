"""``/opss list`` one page at a time, its filters and *More*, and App Home's first items."""

from __future__ import annotations

import json

import pytest
from sqlalchemy import func, select

from bench.fill import Size, fill
from cards.adaptive import render_card
from cards.model import Card
from commands.core.access import readable
from commands.core.clock import ManualClock
from commands.core.context import Ctx, Options
from commands.overview.listing import PAGE, latest_conferences, may_read, waiting_on
from rules.lifecycle import OPEN_STAGES, PARKED, Stage
from rules.roles import Actor
from rules.waiting import next_step
from storage import repositories as repo
from storage.models import Action, ChannelBinding, Incident, Issue, Person, Sitrep
from storage.unit_of_work import Database
from tests.conftest import AREAS, PEOPLE, START, Driver
from tests.fakes.schema import assert_valid_card
from tests.fakes.steps import ok

HISTORY = Size(issues=90, incidents=6, decisions=60, actions=60)


@pytest.fixture
def history(bot: Driver, db: Database, clock: ManualClock) -> Driver:
    fill(db, HISTORY, clock.now(), AREAS)
    return bot


def refs(card: Card | None) -> list[str]:
    assert card is not None
    return [key.removeprefix("EXERCISE · ").split(" · ")[0] for key, _ in card.facts if key]


def button(card: Card | None, title: str) -> str:
    assert card is not None
    return next(a.command for a in card.actions if a.title.startswith(title))


def test_open_issues_page_by_page_newest_first_with_more(history: Driver, db: Database) -> None:
    with db.read() as s:
        expected = list(
            s.scalars(
                select(Issue.reference)
                .where(Issue.stage.in_([st.value for st in OPEN_STAGES]))
                .order_by(Issue.id.desc())
            )
        )
    first = ok(history.cmd("olly", "list"))
    assert refs(first.card) == expected[:PAGE]
    assert first.card is not None
    assert first.card.subtitle == f"1-{PAGE} of {len(expected)}, newest first"
    seen = refs(first.card)
    more = button(first.card, "More")
    for _ in range(len(expected)):  # press More (a card button runs it) until the last page
        page = ok(history.submit("olly", {"command": more}))
        seen += refs(page.card)
        if not any(a.title.startswith("More") for a in page.card.actions):  # type: ignore[union-attr]
            break
        more = button(page.card, "More")
    else:
        pytest.fail(f"still a More button after {len(expected)} pages")
    assert seen == expected
    assert_valid_card(render_card(first.card))


def test_filters_by_area_stage_closed_incidents_and_mine(history: Driver, db: Database) -> None:
    with db.read() as s:
        gas_cam = list(
            s.scalars(
                select(Issue.reference)
                .where(Issue.stage == "cam", Issue.functional_area == "Gas and Electrical")
                .order_by(Issue.id.desc())
            )
        )
        parked = s.scalar(
            select(func.count(Issue.id)).where(Issue.stage.in_([p.value for p in PARKED]))
        )
        incidents = list(s.scalars(select(Incident.reference).order_by(Incident.id.desc())))
        olly = s.scalar(select(Person.id).where(Person.name == "olly"))
        raised_by_olly = list(
            s.scalars(
                select(Issue.reference)
                .where(
                    Issue.raised_by_id == olly,
                    Issue.stage.in_([st.value for st in OPEN_STAGES]),
                )
                .order_by(Issue.id.desc())
            )
        )
    listed = ok(history.cmd("olly", 'list --area "gas and electrical" --stage CAM'))
    assert gas_cam and refs(listed.card) == gas_cam[:PAGE]
    assert listed.card is not None and "area Gas and Electrical, stage CAM" in listed.card.subtitle
    closed = ok(history.cmd("olly", "list --closed"))
    assert closed.card is not None and closed.card.title == "Closed, LA-led and monitored issues"
    assert closed.card.subtitle.startswith(f"1-{PAGE} of {parked},")
    assert refs(ok(history.cmd("ian", "list --incidents")).card) == incidents  # IMT sees all
    # olly has no roles, so nothing waits on him: his are the ones he raised.
    assert refs(ok(history.cmd("olly", "list --mine")).card) == raised_by_olly[:PAGE]


def test_waiting_and_actions_lists(history: Driver, db: Database, clock: ManualClock) -> None:
    with db.read() as s:
        ian = s.scalar(select(Person.id).where(Person.name == "ian"))
        actions = list(
            s.scalars(
                select(Action.reference)
                .where(Action.owner_id == ian, Action.status == "open")
                .order_by(Action.due_at, Action.id)
            )
        )
    listed = ok(history.cmd("ian", "list --actions"))
    assert refs(listed.card) == actions[:PAGE]
    assert listed.card is not None and "soonest due first" in listed.card.subtitle
    assert any("OVERDUE" in key for key, _ in listed.card.facts)
    waiting = ok(history.cmd("fatima", "list --waiting"))
    assert waiting.card is not None and waiting.card.title == "Issues waiting on you"
    # Each item says what fatima (FTL, Gas and Electrical) could do next.
    assert any(v.endswith(": assess the impact and escalate") for _, v in waiting.card.facts)


def test_waiting_in_sql_is_exactly_the_rule(history: Driver, db: Database) -> None:
    """The SQL condition is derived from ``rules.waiting``; check it against the rule itself
    for every person and every issue."""
    with db.read() as s:
        issues = list(s.scalars(select(Issue)))
        conferences = latest_conferences(s, [i.id for i in issues])
        for person in PEOPLE:
            row = repo.person_by_name(s, person["name"])
            assert row is not None
            actor = repo.actor_for(s, row)
            by_sql = set(s.scalars(select(Issue.id).where(waiting_on(actor))))
            by_rule = set()
            for issue in issues:
                cc = conferences.get(issue.id)
                stage = Stage(issue.stage)
                if stage not in OPEN_STAGES | {Stage.MONITORING}:
                    continue
                step = next_step(
                    actor,
                    stage,
                    issue.functional_area,
                    bool(cc and cc.status == "held"),
                    bool(cc and "declare_incident" in (cc.outcomes or [])),
                )
                if step is not None:
                    by_rule.add(issue.id)
            assert by_sql == by_rule, person["name"]
            assert by_rule or person["name"] in {"olly", "sara"}  # no move is theirs


def test_incidents_listed_are_exactly_those_each_person_may_read(
    history: Driver, db: Database
) -> None:
    """Incidents are private: the SQL of the list is held to ``access.readable``, for
    everyone, asked from elsewhere and from inside an incident's own channel."""
    with db.unit_of_work() as s:
        # The local workspace binds INC-2026-002's conversation to its channel "c-002".
        s.add(
            ChannelBinding(
                surface="local",
                conversation="incident:INC-2026-002",
                external_id="c-002",
                name="inc-2026-002",
            )
        )
    with db.read() as s:
        incidents = list(s.scalars(select(Incident)))
        for person in [*PEOPLE, {"name": "stranger"}]:
            row = repo.person_by_name(s, person["name"]) or Person(name=person["name"])
            actor = repo.actor_for(s, row) if row.id else Actor(row.name)
            for channel in ("general", "c-002"):
                ctx = Ctx(s, row, actor, "local", channel, START, Options(AREAS))
                by_sql = set(s.scalars(select(Incident.id).where(may_read(ctx))))
                by_rule = {i.id for i in readable(ctx, incidents)}
                assert by_sql == by_rule, (person["name"], channel)
    hidden = ok(history.cmd("olly", "list --incidents"))
    shown = ok(history.cmd("hana", "list --incidents"))
    assert 0 < len(refs(hidden.card)) < len(refs(shown.card)) == HISTORY.incidents


@pytest.mark.parametrize(
    ("command", "says"),
    [
        ("list --stage nowhere", "Stage: 'nowhere' is not a stage; use one of raised,"),
        ("list --area Mars", "Area: 'Mars' is not a functional area; use one of Gas and"),
        ("list --page 0", "Page: a number from 1 to 10000"),
        ("list --page two", "Page: a number from 1 to 10000"),
        ("list everything", "list takes only options"),
        ("list --incidents --actions", "choose --incidents or --actions"),
        ("list --sort oldest", "list does not take --sort"),
    ],
)
def test_bad_list_options_are_named(bot: Driver, command: str, says: str) -> None:
    reply = bot.cmd("olly", command)
    assert not reply.ok and says in reply.text


def test_a_page_past_the_end_says_so(history: Driver) -> None:
    reply = ok(history.cmd("ian", "list --incidents --page 3"))
    assert reply.card is not None and reply.card.subtitle == "no more: there are 6"


def test_a_full_page_of_long_titles_fits_teams_and_slack(bot: Driver, db: Database) -> None:
    longest = ("Gas hob elbow joints leaking at the seal " * 3)[:115]  # titles stop at 120
    for n in range(PAGE + 1):
        ok(
            bot.cmd(
                "olly",
                f'raise "{longest} {n:04d}" --products p --hazard h --source public '
                '--area "Gas and Electrical"',
            )
        )
    card = ok(bot.cmd("olly", "list")).card
    assert card is not None and len(card.facts) == PAGE
    assert len(json.dumps(render_card(card)).encode()) < 28 * 1024  # Teams: 28 KB a card


def test_home_shows_the_first_items_with_a_count_and_a_way_to_the_rest(
    history: Driver, db: Database
) -> None:
    with db.read() as s:
        open_incidents = s.scalar(select(func.count(Incident.id)))
    cards = history.engine.home("local", "hana", "hana")
    actions, waiting, incidents, notifications = cards
    assert notifications.title == "Notifications"
    assert len(waiting.facts) == 10 and "issues" in waiting.subtitle
    total = int(waiting.subtitle.rsplit(" · ", 1)[1].split()[0])
    assert total > 10
    see_all = button(waiting, f"All {total}")
    assert see_all == "/opss list --waiting"
    listed = ok(history.submit("hana", {"command": see_all}))
    assert listed.card is not None and f"of {total}," in listed.card.subtitle
    assert incidents.subtitle == f"{open_incidents} open" and len(incidents.facts) == 6
    assert not any(a.title.startswith("All") for a in incidents.actions)  # all six shown
    assert actions.title == "Your open actions"


def test_sitrep_list_shows_the_latest_twenty(history: Driver, db: Database) -> None:
    with db.unit_of_work() as s:
        incident = s.scalar(select(Incident).where(Incident.reference == "INC-2026-001"))
        assert incident is not None
        for n in range(1, 23):
            s.add(
                Sitrep(
                    incident_id=incident.id,
                    number=n,
                    as_at=incident.declared_at,
                    title=f"SITREP {n} · INC-2026-001",
                    sections=[],
                    missing=[],
                    status="published",
                    created_at=incident.declared_at,
                )
            )
    text = ok(history.cmd("ian", "sitrep INC-2026-001 list")).card.plain  # type: ignore[union-attr]
    assert "(2 earlier: /opss sitrep INC-2026-001 show <n>)" in text
    assert "SITREP 3 · " in text and "SITREP 22 · " in text and "SITREP 2 · " not in text
