"""Inside a declared incident, through the engine with a manual clock: groups and roles, the
SCG strategy, ERCO, the response level, engagement, IMT's direct escalation, and actions that
chase themselves through the scheduler and the outbox."""

from __future__ import annotations

import json
from datetime import timedelta
from typing import Any

from sqlalchemy import event, select

from cards.adaptive import render_card
from cards.blockkit import blocks_json, card_blocks
from cards.model import card_from_dict
from commands.core.clock import ManualClock
from commands.core.due import tick
from storage.models import (
    Action,
    AuditEvent,
    Decision,
    Firing,
    Incident,
    IncidentGroup,
    OutboxMessage,
    Person,
    RhythmEvent,
    Strategy,
)
from storage.unit_of_work import Database
from tests.conftest import Driver, row_counts, seeded_engine
from tests.fakes.schema import assert_valid_card
from tests.fakes.steps import call_conference, declare, ok, raise_issue, to_stage

INC = "INC-2026-001"


def posts(db: Database, needle: str, conversation: str = f"incident:{INC}") -> list[str]:
    with db.read() as s:
        rows = s.scalars(
            select(OutboxMessage)
            .where(OutboxMessage.conversation == conversation, OutboxMessage.op == "post")
            .order_by(OutboxMessage.id)
        )
        return [r.payload["text"] for r in rows if needle in r.payload["text"]]


def last_card(db: Database, anchor: str) -> dict[str, Any]:
    with db.read() as s:
        row = s.scalars(
            select(OutboxMessage)
            .where(OutboxMessage.anchor == anchor)
            .order_by(OutboxMessage.id.desc())
            .limit(1)
        ).one()
        return row.payload["card"]


def refused(reply: Any, who: str) -> None:
    assert not reply.ok and who in reply.text, reply.text


# Groups and roles -----------------------------------------------------------------------------


def test_declaring_mobilises_the_rhythms_groups_with_their_chairs(
    bot: Driver, db: Database
) -> None:
    declare(bot, "--level tactical --erco yes --scg-chair david --tcg-chair fatima")
    card = last_card(db, f"incident:{INC}")
    facts = dict(card["facts"])
    assert facts["SCG chair"] == "David Osei" and facts["TCG chair"] == "Fatima Khan"
    assert facts["Bird table chair"] == "not named"
    shown = ok(bot.cmd("ian", f"group {INC}")).card
    assert shown is not None and [k for k, _ in shown.facts][:3] == [
        "1. SCG",
        "2. TCG",
        "3. Bird table",
    ]


def test_a_chair_the_plan_does_not_name_needs_a_justification_recorded_as_a_decision(
    bot: Driver, db: Database
) -> None:
    declare(bot)
    before = row_counts(db)
    reply = bot.cmd("ian", f"group {INC} open scg --chair sara")
    assert not reply.ok and "Justification" in reply.text and "Targeting" in reply.text
    assert row_counts(db) == before  # nothing half stored
    ok(
        bot.cmd(
            "ian",
            f'group {INC} open scg --chair sara --members "ian, fatima" '
            '--justification "DD Targeting on leave this week"',
        )
    )
    with db.read() as s:
        decision = s.scalars(select(Decision).where(Decision.kind == "chair")).one()
        scg = s.scalars(select(IncidentGroup).where(IncidentGroup.kind == "scg")).one()
        assert scg.chair is not None and scg.chair.name == "sara"
        assert scg.members == ["ian", "fatima"]
    assert "Sara Lind chairs the SCG" in decision.what
    assert decision.rationale == "DD Targeting on leave this week"
    facts = dict(last_card(db, f"incident:{INC}")["facts"])
    assert facts["SCG chair"] == "Sara Lind" and facts["SCG members"] == "Ian Brooks, Fatima Khan"


def test_a_second_tcg_and_roles_per_functional_area(bot: Driver, db: Database) -> None:
    declare(bot)
    # A second TCG (3.19) for another function; its FTL is not who 3.9 names for this one.
    ok(
        bot.cmd(
            "ian",
            f'group {INC} open tcg --name "TCG Toys" --chair tom --members olly '
            '--justification "Toys workstream"',
        )
    )
    ok(bot.cmd("ian", f"role {INC} ftl tom --area 'Toys and Childcare'"))
    ok(bot.cmd("ian", f"role {INC} secretariat ian"))
    ok(bot.cmd("hana", f"role {INC} senior_investigation_officer olly"))
    facts = dict(last_card(db, f"incident:{INC}")["facts"])
    assert facts["TCG Toys chair"] == "Tom Reid"
    assert facts["FTL (Toys and Childcare)"] == "Tom Reid"
    assert facts["Secretariat"] == "Ian Brooks"
    assert facts["Senior investigation officer"] == "Olly Reed"
    # An FTL needs an area; a form names what is missing.
    reply = bot.submit(
        "ian", {"form": "incident_role", "reference": INC, "role": "ftl", "person": "tom"}
    )
    assert not reply.ok and "Functional area" in reply.text


def test_only_imt_or_a_deputy_director_organise_and_refusals_are_audited(
    bot: Driver, db: Database
) -> None:
    declare(bot)
    refused(bot.cmd("fatima", f"group {INC} open tcg --chair fatima"), "IMT")
    refused(bot.cmd("fatima", f"role {INC} secretariat fatima"), "deputy director")
    # Someone who may not even see the incident is refused that first.
    refused(bot.cmd("olly", f"role {INC} secretariat olly"), f"may see {INC}")
    with db.read() as s:
        audits = s.scalars(select(AuditEvent).where(AuditEvent.action == "permission.refused"))
        assert {a.entity_ref for a in audits} == {INC}


def test_closing_a_group_ends_its_part_of_the_rhythm(
    bot: Driver, db: Database, clock: ManualClock
) -> None:
    declare(bot)
    reply = ok(bot.cmd("ian", f"group {INC} close 3"))  # the bird table
    assert "1 meeting left the battle rhythm" in reply.text
    with db.read() as s:
        active = [e.name for e in s.scalars(select(RhythmEvent).where(RhythmEvent.active))]
    assert active == ["SCG", "TCG"]
    clock.advance(timedelta(days=1, minutes=31))  # Tue 10:01: bird table and TCG reminders due
    tick(db, clock, bot.engine.options)
    assert posts(db, "Reminder: Bird table") == []
    assert posts(db, "Reminder: TCG")  # the TCG still meets


def test_meeting_reminders_name_the_groups_members_and_its_open_actions(
    bot: Driver, db: Database, clock: ManualClock
) -> None:
    declare(bot, "--level tactical --erco yes --tcg-chair fatima")
    ok(bot.cmd("ian", f'group {INC} open tcg --members "ian, olly"'))
    ok(bot.cmd("ian", f"action {INC} Collect samples --owner olly --due 2026-11-24 --group tcg"))
    ok(bot.cmd("ian", f"action {INC} Draft SCG paper --owner ian --due 2026-11-24 --group scg"))
    clock.advance(timedelta(minutes=30, seconds=30))  # the TCG's reminder
    tick(db, clock, bot.engine.options)
    with db.read() as s:
        reminder = s.scalars(
            select(OutboxMessage)
            .where(OutboxMessage.op == "post")
            .order_by(OutboxMessage.id.desc())
        ).first()
        assert reminder is not None
        card = reminder.payload["card"]
    assert dict(card["facts"])["Members"] == "Fatima Khan, Ian Brooks, Olly Reed"
    actions = json.dumps(dict(card["sections"])["Open actions"])
    # Every group's open actions, each named with its group, and the card says so.
    assert "2 open on INC-2026-001; every group's, soonest due first:" in actions
    assert "TCG: Collect samples" in actions and "SCG: Draft SCG paper" in actions
    assert dict(card["sections"])["SCG strategy"].startswith("not yet recorded")


# SCG strategy -------------------------------------------------------------------------------------

STRATEGY = {
    "form": "strategy",
    "reference": INC,
    "what_happened": "Elbow joints leak gas in 3 models",
    "aim": "Stop further leaks; protect the public",
    "priorities": "Recall; inform gas engineers",
    "equality": "Older people are less likely to see online recall notices: use letters",
    "deadlines": "fatima | 2026-11-24 12:00 | Test results for batch 3",
}


def test_strategy_versions_are_decisions_with_the_equality_answer_and_deadlines(
    bot: Driver, db: Database, clock: ManualClock
) -> None:
    declare(bot, "--level tactical --erco yes --scg-chair david")
    first = ok(bot.submit("david", STRATEGY))
    assert "SCG strategy v1" in first.text and "ACT-2026-0001 (Fatima Khan" in first.text
    # The form opens again prefilled with the current version; a review is version 2.
    reopened = ok(bot.cmd("david", f"strategy {INC}")).form
    assert reopened is not None and reopened.field("aim").value == STRATEGY["aim"]
    assert reopened.field("deadlines").value is None  # deadlines are new each time
    ok(bot.submit("ian", STRATEGY | {"aim": "Recall complete by Friday", "deadlines": ""}))
    with db.read() as s:
        versions = s.scalars(select(Strategy).order_by(Strategy.version)).all()
        decisions = s.scalars(select(Decision).where(Decision.kind == "strategy")).all()
        action = s.scalars(select(Action)).one()
        owner = action.owner.name
    assert [v.version for v in versions] == [1, 2]
    assert versions[0].fields["equality"] == STRATEGY["equality"]
    assert [d.what for d in decisions] == [
        "SCG strategy v1: Stop further leaks; protect the public",
        "SCG strategy v2: Recall complete by Friday",
    ]
    assert "Equality duty (1.7-1.8): Older people" in decisions[0].rationale
    assert owner == "fatima" and action.group == "scg"
    facts = dict(last_card(db, f"incident:{INC}")["facts"])
    assert facts["SCG strategy"].startswith("v2") and "Recall complete" in facts["SCG strategy"]
    # The TCG's reminder carries the current strategy.
    clock.advance(timedelta(minutes=30, seconds=30))
    tick(db, clock, bot.engine.options)
    with db.read() as s:
        tcg = [
            m.payload["card"]
            for m in s.scalars(select(OutboxMessage).where(OutboxMessage.op == "post"))
            if m.payload["text"].startswith("Reminder: TCG")
        ]
    assert dict(tcg[0]["sections"])["SCG strategy v2"].startswith("Aim: Recall complete")


def test_the_strategy_needs_the_equality_answer_and_readable_deadlines(
    bot: Driver, db: Database
) -> None:
    declare(bot)
    before = row_counts(db)
    missing = bot.submit("ian", {k: v for k, v in STRATEGY.items() if k != "equality"})
    assert not missing.ok and "equality" in missing.errors
    bad = bot.submit("ian", STRATEGY | {"deadlines": "fatima | tomorrow-ish | x"})
    assert not bad.ok and "line 1" in bad.errors["deadlines"]
    nobody = bot.submit("ian", STRATEGY | {"deadlines": "zed | 2026-11-24 12:00 | x"})
    assert "no user 'zed'" in nobody.errors["deadlines"]
    refused(bot.submit("fatima", STRATEGY), "SCG chair")
    assert row_counts(db) | {"audit_events": 0} == before | {"audit_events": 0}


# ERCO and the response level ---------------------------------------------------------------


def test_declaring_high_without_erco_asks_and_each_rhythm_cycle_asks_again_until_recorded(
    bot: Driver, db: Database, clock: ManualClock
) -> None:
    declare(bot, "--level tactical")  # rated Critical, ERCO not ticked
    asked = posts(db, "not recorded as engaged")
    assert asked == [
        "INC-2026-001 is Critical and DBT Emergency Response Coordination (ERCO) is not "
        "recorded as engaged. Engage ERCO (plan 3.17) and record it."
    ]
    assert "erco" in last_card(db, f"incident:{INC}")["warning"].lower()
    clock.advance(timedelta(minutes=30, seconds=30))  # the TCG's reminder: a cycle
    tick(db, clock, bot.engine.options)
    tick(db, clock, bot.engine.options)  # the same moment again: asked once
    assert len(posts(db, "not recorded as engaged")) == 2
    assert posts(db, "not recorded as engaged")[1].startswith("Before the TCG at Mon 23 Nov")
    refused(bot.cmd("fatima", f"erco {INC} --by Fatima"), "IMT")
    reply = ok(
        bot.submit(
            "ian", {"form": "erco", "reference": INC, "engaged_by": "Ian Brooks", "ert": True}
        )
    )
    assert "an Emergency Response Team was set up" in reply.text
    card = last_card(db, f"incident:{INC}")
    assert card["warning"] == ""
    assert dict(card["facts"])["DBT ERCO"].startswith("engaged by Ian Brooks")
    clock.advance(timedelta(days=1))  # Tuesday's rhythm: no more asking
    tick(db, clock, bot.engine.options)
    assert len(posts(db, "not recorded as engaged")) == 2
    with db.read() as s:
        assert s.scalars(select(Decision).where(Decision.kind == "erco")).one()


SCG_VIEW = "--scg 'David Osei (SCG chair), by phone: agrees'"


def test_changing_the_level_is_a_decision_offering_the_matching_rhythm(
    bot: Driver, db: Database
) -> None:
    declare(bot, "--level tactical --erco yes --tcg-chair fatima")  # Critical, ERCO engaged
    refused(bot.cmd("sara", f"level {INC} medium --rationale r {SCG_VIEW}"), "Head of IMT")
    refused(bot.cmd("ian", f"level {INC} medium --rationale r {SCG_VIEW}"), "IMT lead")
    # Lowering waits for the TCG chair's approval (3.26); the level stays until then.
    proposed = ok(
        bot.cmd("hana", f"level {INC} medium --rationale 'Recall 90% complete' {SCG_VIEW}")
    )
    assert "when the TCG chair (Fatima Khan) approves" in proposed.text
    assert "stays Critical" in proposed.text
    reply = ok(bot.cmd("fatima", f"level {INC} approve"))
    assert reply.card is not None
    # ERCO is engaged, so no question whether it could develop to be High (3.17).
    assert [a.command for a in reply.card.actions] == [f"/opss rhythm {INC} replace standard"]
    with db.read() as s:
        incident = s.scalars(select(Incident)).one()
        level = s.scalars(select(Decision).where(Decision.kind == "level")).one()
    assert incident.overall_impact == 2
    assert level.what == f"Response level of {INC} changed from Critical to Medium"
    again = bot.cmd("hana", f"level {INC} medium --rationale r")
    assert not again.ok and "already Medium" in again.text
    ok(bot.cmd("hana", f"role {INC} imt_lead ian"))
    ok(bot.cmd("ian", f"level {INC} high --rationale 'New reports'"))  # now its IMT lead


def test_reassessing_to_high_asks_for_erco_at_once_and_at_the_next_cycle(
    bot: Driver, db: Database, clock: ManualClock
) -> None:
    declare(bot, "--level tactical --tcg-chair fatima")
    ok(bot.cmd("hana", f"level {INC} medium --rationale 'Contained' {SCG_VIEW}"))
    ok(bot.cmd("fatima", f"level {INC} approve"))
    clock.advance(timedelta(minutes=30, seconds=30))
    tick(db, clock, bot.engine.options)  # Medium: the TCG's reminder does not ask
    assert len(posts(db, "not recorded as engaged")) == 1  # only the declaration's
    reply = ok(bot.cmd("hana", f"level {INC} high --rationale 'New reports from Wales'"))
    assert reply.card is not None
    assert reply.card.actions[0].command == f"/opss rhythm {INC} replace escalated"
    assert len(posts(db, "not recorded as engaged")) == 2
    clock.advance(timedelta(hours=22, minutes=15))  # Tue 08:15:30: the bird table's reminder
    tick(db, clock, bot.engine.options)
    assert len(posts(db, "not recorded as engaged")) == 3


# Engagement ------------------------------------------------------------------------------------


def test_engagements_are_logged_and_the_sitrep_lists_who_is_not_yet_engaged(
    bot: Driver, db: Database, clock: ManualClock
) -> None:
    declare(bot)
    ok(bot.cmd("ian", f'sitrep {INC} set --teams "Gas and Electrical"'))
    ok(
        bot.submit(
            "ian",
            {
                "form": "engagement_plan",
                "reference": INC,
                "partners": "HSE,Defra,Local authority trading standards (GB)",
                "reach": "Letters to older customers",
                "lead_department": "DESNZ",
                "opss_role": "Enforcement on DESNZ's behalf",
            },
        )
    )
    reply = ok(
        bot.cmd(
            "fatima",
            f'engage {INC} --partner hse --what "Recall notice shared" --via email',
        )
    )
    assert "HSE told by Fatima Khan (Email" in reply.text
    other = ok(bot.cmd("fatima", f'engage {INC} --partner "Which?" --what "Briefing" --via phone'))
    assert "Which? told by" in other.text
    refused(bot.cmd("olly", f"engage {INC} --partner HSE --what x --via email"), "IMT")
    facts = dict(last_card(db, f"incident:{INC}")["facts"])
    assert facts["Lead department (4.5)"] == "DESNZ"
    assert facts["Engagement plan"] == "v1; 2 of 3 not yet engaged"
    clock.advance(timedelta(hours=6, minutes=31))  # past the 16:00 cut-off
    tick(db, clock, bot.engine.options)
    with db.read() as s:
        card = (
            s.scalars(select(OutboxMessage).where(OutboxMessage.anchor == f"sitrep:{INC}:1"))
            .one()
            .payload["card"]
        )
    sections = dict(card["sections"])
    assert "HSE" in sections["Engagement since the last sitrep"]
    assert sections["Partners in the engagement plan not yet engaged"] == (
        "Defra, Local authority trading standards (GB)"
    )


def test_a_plan_naming_a_lead_department_needs_opss_role(bot: Driver, db: Database) -> None:
    declare(bot)
    reply = bot.submit(
        "ian",
        {"form": "engagement_plan", "reference": INC, "partners": "HSE", "lead_department": "DfT"},
    )
    assert not reply.ok and "supporting role" in reply.errors["opss_role"]


# IMT's reserved right (2.3) -----------------------------------------------------------------------


def test_the_head_of_imt_escalates_an_issue_straight_to_an_incident(
    bot: Driver, db: Database
) -> None:
    ref = raise_issue(bot)  # at "raised": no assessment, no conference
    refused(
        bot.cmd("ian", f"escalate {ref} incident --consulted david --rationale r"), "Head of IMT"
    )
    no_dd = bot.cmd("hana", f"escalate {ref} incident --consulted sara --rationale r")
    assert not no_dd.ok and "Deputy director consulted: 'sara'" in no_dd.text
    reply = ok(
        bot.cmd(
            "hana",
            f"escalate {ref} incident --consulted david --rationale 'Fatality reported overnight'",
        )
    )
    assert f"escalated {ref} straight to incident {INC} from Raised" in reply.text
    with db.read() as s:
        stage = s.scalars(select(Incident)).one().issue.stage
        decision = s.scalars(select(Decision).where(Decision.kind == "declaration")).one()
        audit = s.scalars(
            select(AuditEvent).where(AuditEvent.action == "issue.escalated_directly")
        ).one()
    assert stage == "declared"
    assert "IMT's reserved right to escalate (2.3)" in decision.rationale
    assert "David Osei" in decision.rationale and "Fatality" in decision.rationale
    assert audit.after is not None and audit.after["consulted"] == "david"
    # The originator (where it was raised) and the deputy director (via IMT) are told.
    assert posts(db, "Olly Reed: your issue", "channel:general")
    assert posts(db, "David Osei: Hana Patel (Head of IMT) escalated", "imt")


def test_direct_escalation_is_not_for_a_declared_or_closed_issue(bot: Driver, db: Database) -> None:
    declare(bot)
    reply = bot.cmd("hana", "escalate ISS-2026-0001 incident --consulted david --rationale r")
    assert not reply.ok and f"is already incident {INC}" in reply.text


# Actions that chase themselves -------------------------------------------------------------------


def test_an_action_is_reminded_then_flagged_overdue_and_escalated_once(
    bot: Driver, db: Database, clock: ManualClock
) -> None:
    declare(bot, "--level tactical --erco yes --tcg-chair fatima")
    ok(bot.cmd("ian", f"action {INC} Collect samples --owner olly --due '2026-11-25 12:00'"))
    clock.advance(timedelta(hours=26, minutes=31))  # Tue 12:01: 24 h before
    tick(db, clock, bot.engine.options)
    tick(db, clock, bot.engine.options)
    assert posts(db, "Reminder: ACT-2026-0001") == [
        "Reminder: ACT-2026-0001 for Olly Reed is due in 23 h 59 min "
        "(Wed 25 Nov 2026 12:00 GMT): Collect samples"
    ]
    clock.advance(timedelta(hours=22))  # Wed 10:01: 2 h before
    tick(db, clock, bot.engine.options)
    assert len(posts(db, "Reminder: ACT-2026-0001")) == 2
    ok(bot.cmd("olly", "started ACT-2026-0001"))
    assert dict(last_card(db, "action:ACT-2026-0001")["facts"])["Status"] == "Started"
    clock.advance(timedelta(hours=2))  # Wed 12:01: overdue
    tick(db, clock, bot.engine.options)
    tick(db, clock, bot.engine.options)
    overdue = posts(db, "Overdue: ACT-2026-0001")
    assert overdue == [
        "Overdue: ACT-2026-0001 for Olly Reed was due Wed 25 Nov 2026 12:00 GMT; escalated to "
        "the TCG chair, Fatima Khan: Collect samples"
    ]
    with db.read() as s:
        action = s.scalars(select(Action)).one()
        firings = s.scalars(select(Firing).where(Firing.source == f"action:{action.id}")).all()
    assert action.escalated_to == "fatima" and action.next_run_at is None
    assert sorted(f.step for f in firings) == ["overdue", "remind_120", "remind_1440"]
    home = bot.engine.home("local", "olly", "olly")
    assert any("OVERDUE" in k for c in home for k, _ in c.facts)


def test_without_a_tcg_an_overdue_action_goes_to_imt(
    bot: Driver, db: Database, clock: ManualClock
) -> None:
    declare(bot)
    ok(bot.cmd("ian", f"group {INC} close 2"))  # the TCG stands down
    ok(bot.cmd("ian", f"action {INC} Collect samples --owner olly --due '2026-11-23 18:00'"))
    clock.advance(timedelta(hours=9))
    tick(db, clock, bot.engine.options)
    assert posts(db, "escalated to IMT (no TCG is open)", "imt")


def test_status_from_the_card_started_blocked_with_a_reason_and_done(
    bot: Driver, db: Database
) -> None:
    declare(bot)
    reply = ok(bot.cmd("ian", f"action {INC} Collect samples --owner olly --due 2026-11-25"))
    assert reply.card is not None
    assert [a.title for a in reply.card.actions] == ["Started", "Blocked", "Done"]
    form = ok(bot.cmd("olly", "blocked ACT-2026-0001")).form
    assert form is not None and form.field("reason").required
    ok(
        bot.submit(
            "olly", {"form": "blocked", "reference": "ACT-2026-0001", "reason": "No lab slot"}
        )
    )
    card = last_card(db, "action:ACT-2026-0001")
    assert dict(card["facts"])["Status"] == "Blocked"
    assert dict(card["facts"])["Blocked because"] == "No lab slot"
    refused(bot.cmd("tom", "done ACT-2026-0001"), "owner")
    ok(bot.cmd("olly", "done ACT-2026-0001"))
    card = last_card(db, "action:ACT-2026-0001")
    assert dict(card["facts"])["Status"] == "Done" and card["actions"] == []
    with db.read() as s:
        assert s.scalars(select(Action)).one().next_run_at is None


def test_a_batch_of_due_actions_costs_a_constant_number_of_statements(
    bot: Driver, db: Database, clock: ManualClock
) -> None:
    declare(bot)

    def statements_for(count: int, due: str) -> int:
        for i in range(count):
            ok(bot.cmd("ian", f"action {INC} Task {i} --owner olly --due '{due}'"))
        clock.advance(timedelta(days=1))  # all overdue at once
        seen: list[str] = []

        def count_it(*args: Any) -> None:
            seen.append(args[2])

        event.listen(db.engine, "before_cursor_execute", count_it)
        try:
            result = tick(db, clock, bot.engine.options)
        finally:
            event.remove(db.engine, "before_cursor_execute", count_it)
        assert len([h for h in result.handled if "overdue" in h]) == count
        return len(seen)

    statements_for(1, "2026-11-24 09:00")  # the first also creates the bot's own person
    two = statements_for(2, "2026-11-25 09:00")
    assert statements_for(40, "2026-11-26 09:00") == two


def test_app_home_shows_the_persons_incident_roles(bot: Driver, db: Database) -> None:
    declare(bot, "--level tactical --erco yes --tcg-chair fatima")
    ok(bot.cmd("ian", f'group {INC} open evidence_group --members "fatima"'))
    ok(bot.cmd("ian", f"role {INC} communications_lead fatima"))
    home = bot.engine.home("local", "fatima", "fatima")
    mine = next(c for c in home if c.title == "Your incident roles")
    assert mine.facts == (
        (INC, "chair of the TCG"),
        (INC, "member of the Evidence group"),
        (INC, "Communications lead"),
    )
    assert all(c.title != "Your incident roles" for c in bot.engine.home("local", "olly", "olly"))
    status = ok(bot.cmd("fatima", f"status {INC}")).card
    assert status is not None and ("Communications lead", "Fatima Khan") in status.facts


def test_assessing_a_declared_issue_points_to_the_incidents_level(bot: Driver) -> None:
    ref = declare(bot)
    reply = bot.cmd("ian", f"assess {ref}")
    assert not reply.ok and f"To reassess it, change its level: /opss level {INC}." in reply.text


def test_chasing_and_erco_prompts_on_each_database(any_db: Database, clock: ManualClock) -> None:
    """The chasing source's SQL (row locks, one INSERT … RETURNING for the lot) on SQLite and
    PostgreSQL alike."""
    bot = Driver(seeded_engine(any_db, clock))
    declare(bot, "--level tactical")  # Critical, ERCO not engaged
    ok(bot.cmd("ian", f"action {INC} Collect samples --owner olly --due '2026-11-23 12:00'"))
    clock.advance(timedelta(minutes=30, seconds=30))  # 10:00:30: the TCG's reminder, 2 h before
    tick(any_db, clock, bot.engine.options)
    tick(any_db, clock, bot.engine.options)
    assert len(posts(any_db, "Reminder: ACT-2026-0001")) == 1
    assert len(posts(any_db, "Before the TCG")) == 1
    clock.advance(timedelta(hours=2))
    tick(any_db, clock, bot.engine.options)
    assert len(posts(any_db, "Overdue: ACT-2026-0001")) == 1


def test_declaring_with_a_chair_the_plan_does_not_name_needs_a_justification(
    bot: Driver, db: Database
) -> None:
    ref = to_stage(bot, "cam_ep")
    call_conference(bot, ref)
    ok(
        bot.submit(
            "ian",
            {
                "form": "outcome",
                "conference": "CC-2026-0001",
                "outcomes": "declare_incident",
                "rationale": "r",
                "decided_by": "David",
            },
        )
    )
    refused_chair = bot.cmd("hana", f"declare {ref} --level tactical --scg-chair sara")
    assert not refused_chair.ok and "Justification" in refused_chair.text
    with db.read() as s:
        assert s.scalars(select(Incident)).first() is None  # nothing half stored
    ok(
        bot.cmd(
            "hana",
            f"declare {ref} --level tactical --erco yes --scg-chair sara "
            "--justification 'DCE Evidence and DD Targeting both abroad'",
        )
    )
    with db.read() as s:
        chair = s.scalars(select(Decision).where(Decision.kind == "chair")).one()
    assert chair.what.startswith("Sara Lind chairs the SCG, not the Deputy Chief Executive")
    assert chair.rationale == "DCE Evidence and DD Targeting both abroad"


def test_every_card_posted_inside_an_incident_validates_on_both_schemas(
    bot: Driver, db: Database, clock: ManualClock
) -> None:
    declare(bot, "--level tactical --tcg-chair fatima")  # Critical, ERCO not engaged
    ok(bot.cmd("ian", f'group {INC} open evidence_group --members "olly"'))
    ok(bot.submit("ian", STRATEGY | {"deadlines": ""}))
    ok(bot.cmd("hana", f"level {INC} high --rationale r {SCG_VIEW}"))  # its lowering card
    ok(bot.cmd("fatima", f"level {INC} approve"))
    ok(
        bot.cmd(
            "ian", f'engage {INC} plan --partners "HSE,Defra" --lead-department DfT --opss-role x'
        )
    )
    ok(bot.cmd("ian", f"engage {INC} --partner HSE --what 'Recall notice' --via email"))
    ok(bot.cmd("ian", f"action {INC} Collect samples --owner olly --due '2026-11-23 12:00'"))
    ok(bot.cmd("olly", "started ACT-2026-0001"))
    clock.advance(timedelta(minutes=30, seconds=30))
    tick(db, clock, bot.engine.options)
    clock.advance(timedelta(hours=2))
    tick(db, clock, bot.engine.options)
    ok(bot.submit("ian", {"form": "erco", "reference": INC, "engaged_by": "Ian Brooks"}))
    clock.advance(timedelta(hours=4))
    tick(db, clock, bot.engine.options)  # the sitrep, with its engagement sections
    with db.read() as s:
        cards = [
            card_from_dict(m.payload["card"])
            for m in s.scalars(
                select(OutboxMessage).where(OutboxMessage.op.in_(("post", "update")))
            )
            if m.payload.get("card")
        ]
    titles = {c.title.split(" · ")[0] for c in cards}
    assert {
        "Engage DBT ERCO",
        "DBT ERCO engaged",
        "Action ACT-2026-0001",
        "TCG",
        "Lowering the level",
    } <= titles
    for card in cards:
        assert_valid_card(render_card(card))
        blocks_json(card_blocks(card))  # slack_sdk.models validates as it serialises


def test_reminders_also_tell_the_owner_on_the_incidents_surface(
    bot: Driver, db: Database, clock: ManualClock
) -> None:
    """The core queues "tell this person" by the person's id, on the incident's surface, for
    each person with an account there; the platform's messenger finds their direct chat when
    it delivers (tests/test_teams.py and tests/test_slack_command.py check the far end)."""
    from storage.models import Identity, Person

    with db.unit_of_work() as s:
        ids = {}
        for name in ("hana", "ian", "fatima", "david", "sara", "rachel", "olly", "tom"):
            person = s.scalars(select(Person).where(Person.name == name)).one()
            ids[name] = person.id
            if name != "tom":  # tom has no account on this surface
                s.add(Identity(person_id=person.id, surface="teams", external_id=f"29:{name}"))
    people = ("hana", "ian", "fatima", "david", "sara", "rachel", "olly")
    teams = Driver(bot.engine, surface="teams", ids={n: f"29:{n}" for n in people})
    declare(teams)
    ok(teams.cmd("ian", f"action {INC} Collect samples --owner olly --due '2026-11-23 12:00'"))
    ok(teams.cmd("ian", f"action {INC} Brief the press --owner tom --due '2026-11-23 12:00'"))
    clock.advance(timedelta(minutes=30, seconds=30))  # both 2 h reminders
    tick(db, clock, bot.engine.options)
    assert len(posts(db, "Reminder: ACT-2026-")) == 2  # both in the incident's channel
    with db.read() as s:
        rows = s.scalars(select(OutboxMessage).where(OutboxMessage.op == "tell")).all()
        told = [
            (r.surface, r.conversation, r.payload)
            for r in rows
            if "Reminder: ACT-" in r.payload["text"]
        ]
    # Only olly (tom has no account on Teams), by person id: no platform id in the row.
    assert [(surface, conversation) for surface, conversation, _ in told] == [
        ("teams", f"person:{ids['olly']}")
    ]
    assert told[0][2]["person"] == ids["olly"] and "29:olly" not in str(told[0][2])


def test_the_head_of_imt_who_raised_the_issue_is_not_told_again_of_escalating_it(
    bot: Driver, db: Database
) -> None:
    ref = raise_issue(bot, user="hana")
    ok(bot.cmd("hana", f"escalate {ref} incident --consulted david --rationale 'Fatality'"))
    with db.read() as s:
        hana = s.scalars(select(Person).where(Person.name == "hana")).one()
        told = [m.payload["person"] for m in s.scalars(select(OutboxMessage)) if m.op == "tell"]
    # The deputy director consulted is told directly; Hana's own reply says what she did.
    assert told and hana.id not in told
