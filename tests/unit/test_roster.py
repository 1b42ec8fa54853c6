"""The roster of trained staff (plan 6.3, 6.6, 3.4, 3.9): its rules against dates written out
by hand, loading it from a seed file, ``/opss roster`` through the engine, the forms that name
chairs and roles offering trained people first, and the justification naming anyone else
needs, recorded as a decision."""

from __future__ import annotations

from datetime import date, timedelta
from pathlib import Path

import pytest
from sqlalchemy import select

from commands.core.clock import ManualClock
from commands.readiness.roster import roster_readiness
from rules import roster
from rules.roster import Training
from storage import seed
from storage.models import AuditEvent, Decision, IncidentGroup, RosterEntry
from storage.unit_of_work import Database
from tests.conftest import Driver, row_counts
from tests.fakes.steps import call_conference, declare, ok, to_stage

INC = "INC-2026-001"
DAY = date(2026, 11, 23)  # the manual clock's day (START)


def t(person: str, role: str, on: date, expires: date) -> Training:
    return Training(person, person.title(), role, on, expires)


# The rules ----------------------------------------------------------------------------------------


def test_training_counts_from_its_date_to_the_end_of_its_expiry_day() -> None:
    entry = t("ann", "scg_chair", date(2026, 1, 12), date(2026, 11, 23))
    assert entry.current(date(2026, 1, 12)) and entry.current(date(2026, 11, 23))
    assert not entry.current(date(2026, 1, 11)) and not entry.current(date(2026, 11, 24))
    assert roster.untrained([entry], ("scg_chair",), date(2026, 11, 23)) is None
    assert roster.untrained([entry], ("scg_chair",), date(2026, 11, 24)) == (
        "no longer in date as SCG chair: the training lapsed after Mon 23 Nov 2026 "
        "(the roster, 6.6)"
    )
    assert roster.untrained([entry], ("tcg_chair", "ftl_deputy"), DAY) == (
        "not trained as TCG chair or FTL deputy (to the TCG chair) (the roster, 6.6)"
    )
    # A TCG is chaired by the DD or their FTL deputy (3.9): either training qualifies.
    deputy = t("ann", "ftl_deputy", date(2026, 1, 12), date(2027, 1, 12))
    assert roster.untrained([deputy], roster.CHAIR_TRAINING["tcg"], DAY) is None
    # A lapsed training beside one in date: in date.
    renewed = t("ann", "scg_chair", date(2026, 11, 1), date(2027, 11, 1))
    assert roster.untrained([entry, renewed], ("scg_chair",), date(2026, 12, 1)) is None


def test_an_entry_is_refused_when_its_dates_cannot_be() -> None:
    assert roster.entry_problem(date(2026, 11, 24), date(2027, 11, 24), DAY) == (
        "trained_on",
        "Trained on: the training has to have been taken (not after today).",
    )
    assert roster.entry_problem(DAY, DAY - timedelta(days=1), DAY)[0] == "expires_on"  # type: ignore[index]
    assert roster.entry_problem(DAY, DAY, DAY) is None
    assert roster.default_expiry(date(2026, 1, 12)) == date(2027, 1, 12)


def test_readiness_names_the_roles_short_of_two_and_the_training_about_to_lapse() -> None:
    entries = [
        t("ann", "scg_chair", date(2026, 1, 5), date(2027, 1, 5)),  # 43 days left
        t("bob", "scg_chair", date(2026, 6, 1), date(2027, 6, 1)),
        t("cat", "tcg_chair", date(2025, 6, 1), date(2026, 11, 22)),  # lapsed yesterday
        t("dan", "tcg_chair", date(2026, 2, 1), date(2027, 1, 22)),  # 60 days: lapsing
        t("eve", "loggist", date(2026, 2, 1), date(2027, 1, 23)),  # 61 days: not yet
    ]
    state = roster.readiness(entries, DAY)
    short = {s.role: s.trained for s in state.shortfalls}
    assert "scg_chair" not in short  # two in date
    assert short["tcg_chair"] == 1 and short["loggist"] == 1 and short["secretariat"] == 0
    assert set(short) == {r.key for r in roster.RESPONSE_ROLES} - {"scg_chair"}
    assert [(x.person, x.role, x.days_left) for x in state.lapsing] == [
        ("ann", "scg_chair", 43),
        ("dan", "tcg_chair", 60),
    ]
    assert dict(state.counts)["tcg_chair"] == 1
    # Fewer wanted, a shorter horizon.
    fewer = roster.readiness(entries, DAY, minimum=1, within_days=45)
    assert "tcg_chair" not in {s.role for s in fewer.shortfalls}
    assert [x.person for x in fewer.lapsing] == ["ann"]


# Loading it from a seed file ----------------------------------------------------------------------


ROSTER_FILE = """
[[people]]
name = "zoe"
display_name = "Zoe Hart"
roles = []
trained = [
    { role = "bird_table_chair", on = 2026-03-02 },
    { role = "loggist", on = 2026-01-12, expires = 2026-12-31, note = "Loggist course" },
]
"""


def test_a_roster_loads_from_a_toml_file_like_the_seed_and_only_adds(
    tmp_path: Path, db: Database, clock: ManualClock
) -> None:
    path = tmp_path / "roster.toml"
    path.write_text(ROSTER_FILE)
    seed.apply(db, seed.load(path), clock.now())
    with db.read() as s:
        rows = s.scalars(select(RosterEntry).order_by(RosterEntry.role)).all()
        assert [(r.role, r.trained_on, r.expires_on, r.note) for r in rows] == [
            ("bird_table_chair", date(2026, 3, 2), date(2027, 3, 2), ""),  # a year, by default
            ("loggist", date(2026, 1, 12), date(2026, 12, 31), "Loggist course"),
        ]
    before = row_counts(db)
    seed.apply(db, seed.load(path), clock.now())  # read again at the next start: nothing new
    assert row_counts(db) == before
    # Removed from the roster, it is not added back by the file.
    with db.unit_of_work() as s:
        s.scalars(
            select(RosterEntry).where(RosterEntry.role == "loggist")
        ).one().removed_at = clock.now()
    seed.apply(db, seed.load(path), clock.now())
    assert row_counts(db) == before


@pytest.mark.parametrize(
    ("entry", "message"),
    [
        ('{ role = "chief_cook", on = 2026-01-12 }', "'chief_cook' is not a response role"),
        ('{ role = "loggist" }', "the training as loggist needs 'on', its date"),
        ('{ role = "loggist", on = "12/01/2026" }', "training date '12/01/2026' is not a date"),
        (
            '{ role = "loggist", on = 2026-01-12, expires = 2025-01-12 }',
            "expires before it was taken",
        ),
    ],
)
def test_a_bad_roster_file_names_the_person_and_stores_nothing(
    tmp_path: Path, db: Database, clock: ManualClock, entry: str, message: str
) -> None:
    path = tmp_path / "roster.toml"
    path.write_text(
        '[[people]]\nname = "amy"\nroles = []\n'
        'trained = [{ role = "secretariat", on = 2026-01-12 }]'
        f'\n[[people]]\nname = "zoe"\nroles = []\ntrained = [{entry}]\n'
    )
    before = row_counts(db)
    with pytest.raises(seed.SeedError, match="zoe") as raised:
        seed.apply(db, seed.load(path), clock.now())
    assert message in str(raised.value)
    assert row_counts(db) == before  # not even amy, who came first


# /opss roster through the engine -----------------------------------------------------------------


def test_the_roster_lists_each_role_with_who_is_trained_and_until_when(bot: Driver) -> None:
    reply = ok(bot.cmd("olly", "roster"))  # anyone may read it
    card = reply.card
    assert card is not None
    facts = dict(card.facts)
    assert facts["SCG chair (3.4)"].startswith("1 trained and in date · fewer than 2")
    assert facts["FTL deputy (to the TCG chair) (3.9)"] == "2 trained and in date"
    sections = dict(card.sections)
    assert sections["FTL deputy (to the TCG chair)"] == (
        "Fatima Khan · trained Mon 13 Jan 2025 · to Sun 13 Jan 2030\n"
        "Tom Reid · trained Mon 13 Jan 2025 · to Sun 13 Jan 2030"
    )
    assert "Too few trained: SCG chair, TCG chair" in card.warning
    mine = ok(bot.cmd("olly", "roster fatima")).card
    assert mine is not None and mine.title == "Roster · Fatima Khan"
    one = ok(bot.cmd("olly", "roster loggist")).card
    assert one is not None and [k for k, _ in one.facts] == [
        "Loggist (keeps the decision log) (3.20)"
    ]


def test_adding_renewing_and_removing_are_audited_and_kept(bot: Driver, db: Database) -> None:
    reply = ok(bot.cmd("fatima", "roster add sara scg_chair --trained 2026-10-01"))
    assert reply.text == (
        "Sara Lind added to the roster as SCG chair: trained Thu 1 Oct 2026, lapses after "
        "Fri 1 Oct 2027."
    )
    assert reply.card is not None and dict(reply.card.facts)["SCG chair (3.4)"] == (
        "2 trained and in date"
    )
    # A later training renews it; the same or an earlier one is refused, naming the field.
    again = bot.cmd("ian", "roster add sara scg_chair --trained 2026-09-01")
    assert not again.ok and again.text.startswith("Trained on: Sara Lind is on the roster")
    ok(bot.cmd("ian", "roster add sara scg_chair --trained 2026-11-20 --expires 2027-05-20"))
    with db.read() as s:
        rows = s.scalars(select(RosterEntry).order_by(RosterEntry.id)).all()
        sara = [r for r in rows if r.person.name == "sara"]
        assert [(r.trained_on, r.removed_reason) for r in sara] == [
            (date(2026, 10, 1), "renewed"),
            (date(2026, 11, 20), ""),
        ]
    removed = ok(bot.cmd("hana", "roster remove sara scg_chair --reason 'left OPSS'"))
    assert removed.text == "Sara Lind is no longer on the roster as SCG chair. Reason: left OPSS"
    with db.read() as s:
        actions = [
            e.action
            for e in s.scalars(select(AuditEvent).where(AuditEvent.entity_ref == "sara"))
            if e.action.startswith("roster.")
        ]
        assert actions == ["roster.added", "roster.renewed", "roster.removed"]
        rows = s.scalars(select(RosterEntry)).all()
        assert all(r.removed_at for r in rows if r.person.name == "sara")
        assert any(r.removed_at is None for r in rows)  # the others' are untouched


def test_bad_input_names_the_field_and_stores_nothing(bot: Driver, db: Database) -> None:
    before = row_counts(db)
    cases = {
        "roster add sara chief_cook --trained 2026-10-01": "Role: 'chief_cook' is not a",
        "roster add nobody scg_chair --trained 2026-10-01": "Person: no user 'nobody' is known.",
        "roster add sara scg_chair --trained 2026-12-01": "Trained on: the training has to have",
        "roster add sara scg_chair --trained 2026-10-01 --expires 2026-09-01": "Expires on:",
        "roster add sara scg_chair --trained 2026-13-01": "Trained on: '2026-13-01' is not a date",
        "roster add sara scg_chair --when 2026-10-01": "roster add does not take --when",
        "roster remove sara scg_chair": "Sara Lind is not on the roster as SCG chair.",
        "roster remove sara": "Usage: /opss roster remove <user> <role>",
        "roster chief_cook": "roster: 'chief_cook' is neither a response role nor a user",
    }
    for text, expected in cases.items():
        reply = bot.cmd("ian", text)
        assert not reply.ok and expected in reply.text, (text, reply.text)
    assert row_counts(db) == before


def test_only_imt_or_an_ftl_keep_the_roster_and_a_refusal_is_audited(
    bot: Driver, db: Database
) -> None:
    for text in ("roster add olly loggist --trained 2026-10-01", "roster remove ian loggist"):
        reply = bot.cmd("olly", text)
        assert not reply.ok and reply.text.startswith("Only IMT, the Head of IMT or an FTL"), (
            reply.text
        )
    form = bot.submit(
        "sara",
        {"form": "roster_add", "person": "sara", "role": "loggist", "trained_on": "2026-10-01"},
    )
    assert not form.ok and "Only IMT, the Head of IMT or an FTL" in form.text
    with db.read() as s:
        refusals = s.scalars(
            select(AuditEvent).where(AuditEvent.action == "permission.refused")
        ).all()
        assert [(e.actor_name, e.entity_ref) for e in refusals] == [
            ("olly", "roster"),
            ("olly", "roster"),
            ("sara", "roster"),
        ]
        loggists = s.scalars(select(RosterEntry).where(RosterEntry.role == "loggist")).all()
        assert [(r.person.name, r.removed_at) for r in loggists] == [("ian", None)]


def test_the_form_adds_with_a_years_validity_when_no_expiry_is_given(bot: Driver) -> None:
    form = ok(bot.cmd("ian", "roster add")).form
    assert form is not None and [f.name for f in form.fields] == [
        "person",
        "role",
        "trained_on",
        "expires_on",
        "note",
    ]
    reply = ok(
        bot.submit(
            "ian",
            {
                "form": "roster_add",
                "person": "sara",
                "role": "secretariat",
                "trained_on": "2026-02-03",
            },
        )
    )
    assert reply.text.endswith("trained Tue 3 Feb 2026, lapses after Wed 3 Feb 2027.")


def test_roster_readiness_is_what_the_dashboard_reads(
    bot: Driver, db: Database, clock: ManualClock
) -> None:
    ok(bot.cmd("ian", "roster add sara scg_chair --trained 2025-12-01 --expires 2027-01-10"))
    with db.read() as s:
        state = roster_readiness(s, clock.now())
    assert state.today == DAY
    assert "scg_chair" not in {x.role for x in state.shortfalls}
    assert {x.role: x.trained for x in state.shortfalls}["tcg_chair"] == 1
    assert [(x.person, x.role, x.days_left) for x in state.lapsing] == [("sara", "scg_chair", 48)]
    with db.read() as s:
        later = roster_readiness(s, clock.now() + timedelta(days=49))
    assert "scg_chair" in {x.role for x in later.shortfalls} and later.lapsing == ()


# Chairs and roles drawn from the roster -----------------------------------------------------------


def test_the_forms_that_name_chairs_offer_the_trained_first_and_say_who(bot: Driver) -> None:
    ref = declare(bot)
    group = ok(bot.cmd("ian", f"group {INC} open")).form
    assert group is not None
    chair = group.field("chair")
    titles = [c.title for c in chair.choices]
    assert titles[:2] == [
        "David Osei · trained as SCG chair, to Sun 13 Jan 2030",
        "Fatima Khan · trained as FTL deputy (to the TCG chair), to Sun 13 Jan 2030",
    ]
    assert {c.value for c in chair.choices[2:]} >= {"hana", "ian", "olly", "sara"}
    assert "SCG: David Osei; TCG: Fatima Khan, Tom Reid; Bird table: Fatima Khan" in chair.help
    role = ok(bot.cmd("ian", f"role {INC}")).form
    assert role is not None and "Loggist: Ian Brooks" in role.field("person").help
    assert role.field("person").choices[0].title.startswith("David Osei · trained")
    assert ref


def ready_to_declare(bot: Driver) -> str:
    """An issue whose case conference decided to declare an incident."""
    ref = to_stage(bot, "cam_ep")
    cc = call_conference(bot, ref)
    ok(
        bot.submit(
            "ian",
            {
                "form": "outcome",
                "conference": cc,
                "outcomes": "declare_incident",
                "rationale": "r",
                "decided_by": "David",
            },
        )
    )
    return ref


def test_the_declare_form_offers_each_seat_its_trained_people_first(bot: Driver) -> None:
    ref = ready_to_declare(bot)
    form = ok(bot.cmd("hana", f"declare {ref}")).form
    assert form is not None
    assert [c.value for c in form.field("scg_chair").choices][:1] == ["david"]
    assert [c.value for c in form.field("tcg_chair").choices][:2] == ["fatima", "tom"]
    assert form.field("senior_investigation_officer").choices[0].value == "olly"
    assert form.field("communications_lead").help.startswith("Trained as Communications lead:")
    assert form.field("imt_lead").choices[0].title == "David Osei"  # not drawn from the roster


def test_naming_an_untrained_chair_needs_a_justification_recorded_as_a_decision(
    bot: Driver, db: Database
) -> None:
    declare(bot)
    # Tom is the FTL for Toys: not the chair 3.9 names for a Gas and Electrical incident, but
    # trained; Olly is not trained to chair a bird table.
    before = row_counts(db)
    reply = bot.cmd("ian", f"group {INC} open bird_table --chair olly")
    assert not reply.ok
    assert reply.text == (
        "Justification: Olly Reed is not trained as Bird table chair (the roster, 6.6); say why "
        "they chair it (it is recorded as a decision)."
    )
    assert row_counts(db) == before
    ok(bot.cmd("ian", f"group {INC} open bird_table --chair olly --justification 'Only one free'"))
    with db.read() as s:
        decision = s.scalars(select(Decision).order_by(Decision.id.desc()).limit(1)).one()
        assert decision.kind == "chair"
        assert decision.what == (
            "Olly Reed chairs the Bird table, not trained as Bird table chair (the roster, 6.6)"
        )
        assert decision.rationale == "Only one free"
        table = s.scalars(select(IncidentGroup).where(IncidentGroup.kind == "bird_table")).one()
        assert table.chair is not None and table.chair.name == "olly"
    # A role: the secretariat, untrained.
    refused = bot.cmd("ian", f"role {INC} secretariat sara")
    assert not refused.ok and refused.text.startswith(
        "Justification: Sara Lind is not trained as Secretariat (the roster, 6.6); say why they "
        f"take the role of Secretariat of {INC}"
    )
    ok(bot.cmd("ian", f"role {INC} secretariat sara --justification 'Ian is on leave'"))
    with db.read() as s:
        decision = s.scalars(select(Decision).order_by(Decision.id.desc()).limit(1)).one()
        assert (decision.kind, decision.rationale) == ("role", "Ian is on leave")
        assert decision.what.startswith(f"Sara Lind takes the role of Secretariat of {INC}, not")
    # Trained people need none: Ian as loggist, Olly as SIO.
    ok(bot.cmd("ian", f"role {INC} loggist ian"))
    ok(bot.cmd("ian", f"role {INC} senior_investigation_officer olly"))
    with db.read() as s:
        assert (
            s.scalars(select(Decision).order_by(Decision.id.desc()).limit(1)).one().kind == "role"
        )


def test_a_chair_whose_training_has_lapsed_needs_a_justification(
    bot: Driver, db: Database, clock: ManualClock
) -> None:
    ok(bot.cmd("ian", "roster add sara tcg_chair --trained 2025-11-01 --expires 2026-11-30"))
    declare(bot)
    clock.advance(timedelta(days=8))  # 1 Dec 2026: Sara's training lapsed after 30 Nov
    reply = bot.cmd("ian", f"group {INC} open tcg --name 'TCG 2' --chair sara")
    assert not reply.ok
    assert "Sara Lind is not the deputy director responsible for Gas and Electrical" in reply.text
    assert (
        "; and no longer in date as TCG chair: the training lapsed after Mon 30 Nov 2026 "
        "(the roster, 6.6); say why they chair it" in reply.text
    )


def test_at_declaration_a_chair_off_the_roster_needs_the_forms_justification(
    bot: Driver, db: Database
) -> None:
    ok(bot.cmd("ian", "roster remove david scg_chair --reason 'course out of date'"))
    ref = ready_to_declare(bot)
    before = row_counts(db)
    reply = bot.cmd("hana", f"declare {ref} --level tactical --erco yes --scg-chair david")
    assert not reply.ok
    assert reply.text.startswith(
        "Justification: David Osei is not trained as SCG chair (the roster, 6.6)"
    )
    assert row_counts(db) == before
    ok(
        bot.cmd(
            "hana",
            f"declare {ref} --level tactical --erco yes --scg-chair david "
            "--justification 'Refresher booked for next week'",
        )
    )
    with db.read() as s:
        chair = s.scalars(select(Decision).where(Decision.kind == "chair")).one()
        assert chair.what == "David Osei chairs the SCG, not trained as SCG chair (the roster, 6.6)"
        assert chair.rationale == "Refresher booked for next week"
