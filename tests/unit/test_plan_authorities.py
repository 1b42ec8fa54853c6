"""Who decides, as the plan names them, and what the sources carry that an officer looks for,
through the engine on a real database. Each test is named after the paragraph it enforces and
quotes it: ``plan_says`` and ``guidance_says`` check the quotation is in the seed word for word,
and the expected values are the seed's words or follow from them."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from sqlalchemy import select

from commands.core.clock import ManualClock
from commands.core.due import tick
from storage.models import (
    Decision,
    Incident,
    IncidentGroup,
    Issue,
    Notification,
    OutboxMessage,
    RhythmEvent,
    Sitrep,
    SitrepSchedule,
)
from storage.unit_of_work import Database
from tests.conftest import Driver, row_counts
from tests.fakes.guidance import guidance_says, plan_says
from tests.fakes.stand_down import plan
from tests.fakes.steps import (
    INC,
    assess,
    call_conference,
    declare,
    ok,
    publish_sitrep,
    raise_issue,
    to_stage,
)

SCG_VIEW = "--scg 'David Osei (SCG chair) consulted by phone: agrees'"


def refused(reply: Any, *needles: str) -> str:
    assert not reply.ok, reply.text
    for needle in needles:
        assert needle in reply.text, reply.text
    return str(reply.text)


def posts(db: Database, needle: str) -> list[str]:
    with db.read() as s:
        rows = s.scalars(
            select(OutboxMessage)
            .where(OutboxMessage.conversation == f"incident:{INC}", OutboxMessage.op == "post")
            .order_by(OutboxMessage.id)
        )
        return [r.payload["text"] for r in rows if needle in r.payload["text"]]


def posted_card(db: Database, title_starts: str) -> dict[str, Any]:
    with db.read() as s:
        for row in s.scalars(select(OutboxMessage).order_by(OutboxMessage.id.desc())):
            card = row.payload.get("card")
            if card and card["title"].startswith(title_starts):
                return dict(card)
    raise AssertionError(f"no card titled {title_starts!r}")


def facts(reply: Any) -> dict[str, str]:
    assert reply.card is not None, reply.text
    return dict(reply.card.facts)


def decisions(db: Database, kind: str) -> list[Decision]:
    with db.read() as s:
        rows = list(s.scalars(select(Decision).where(Decision.kind == kind).order_by(Decision.id)))
        s.expunge_all()
        return rows


def incident(db: Database) -> Incident:
    with db.read() as s:
        row = s.scalars(select(Incident)).one()
        s.expunge(row)
        return row


def stage_of(db: Database, ref: str) -> str:
    with db.read() as s:
        return str(s.scalar(select(Issue.stage).where(Issue.reference == ref)))


# 7. Who may stand an incident down ---------------------------------------------------------


def test_plan_3_26_the_return_to_normal_is_decided_by_imt_and_the_tcg_chair_with_the_scg(
    bot: Driver, db: Database
) -> None:
    """3.26: "it may be appropriate to de-escalate to a lower level, or to return completely
    to normal operations. This decision will be taken by IMT and the chair of the TCG in
    consultation with the SCG." So the IMT lead cannot close an active incident alone: the
    return to normal is a de-escalation to normal operations, with both approvals; then IMT
    implements the measures that close it (3.20)."""
    plan_says("or to return completely to normal operations.")
    said = plan_says("This decision will be taken by IMT and the chair of the TCG in consultation")
    plan_says("implement measures to close the incident.")
    declare(bot, "--level strategic --exercise --tcg-chair fatima")
    close = f'close {INC} --reason "Back to normal" --review "2026-12-15 10:00"'
    before = row_counts(db)
    text = refused(bot.cmd("hana", close), f"/opss deescalate {INC} --to normal")
    assert said.replace("This decision will be taken by ", "") in text  # the plan's deciders
    assert row_counts(db) == before
    # A lower level is not the return to normal: still refused.
    ok(plan(bot, to_level="tactical", residual=""))
    ok(bot.cmd("hana", f"deescalate {INC} approve"))
    ok(bot.cmd("fatima", f"deescalate {INC} approve"))
    refused(bot.cmd("hana", close), "has not returned to normal operations")
    # The return to normal: IMT proposes, IMT and the TCG chair (two people) approve.
    ok(plan(bot, to_level="normal", residual=""))
    ok(bot.cmd("hana", f"deescalate {INC} approve"))
    refused(bot.cmd("hana", close), "has not returned to normal operations")  # one approval
    done = ok(bot.cmd("fatima", f"deescalate {INC} approve"))
    assert "de-escalated to Normal operations" in done.text
    [back] = [d for d in decisions(db, "de_escalation") if "to Normal operations" in d.what]
    assert back.decided_by == (
        "IMT (Hana Patel) and the TCG chair (Fatima Khan), in consultation with the SCG"
    )
    closed = ok(bot.cmd("hana", close))
    assert f"{INC} closed by Hana Patel" in closed.text
    [closure] = decisions(db, "closure")
    assert closure.evidence.startswith(f"Return to normal operations decided in {back.reference}")


def test_plan_3_25_the_imt_lead_flags_escalation_and_3_26_a_lower_level_takes_both(
    bot: Driver, db: Database
) -> None:
    """3.25: "The IMT lead decides whether to flag an incident for escalation at the
    appropriate level." Lowering is 3.26's de-escalation "to a lower level", decided by IMT and
    the TCG chair in consultation with the SCG: proposed by one, it waits for the other."""
    plan_says("The IMT lead decides whether to flag an incident for escalation at the")
    plan_says("it may be appropriate to de-escalate to a lower level")
    declare(bot, "--level tactical --erco yes --tcg-chair fatima")  # rated Critical
    missing = bot.cmd("hana", f"level {INC} medium --rationale 'Recall 90% complete'")
    assert not missing.ok and missing.text.startswith("SCG consultation:")
    proposed = ok(bot.cmd("hana", f"level {INC} medium --rationale 'Recall 90%' {SCG_VIEW}"))
    assert "stays Critical" in proposed.text and incident(db).overall_impact == 4
    assert not decisions(db, "level")  # proposed is not decided
    refused(bot.cmd("hana", f"level {INC} approve"), "someone else")  # not twice by one person
    approved = ok(bot.cmd("fatima", f"level {INC} approve"))
    assert f"{INC} is now Medium (was Critical" in approved.text
    assert incident(db).overall_impact == 2
    [lowered] = decisions(db, "level")
    assert lowered.decided_by == (
        "IMT (Hana Patel) and the TCG chair (Fatima Khan), in consultation with the SCG (3.26)"
    )
    assert lowered.rationale.endswith(
        "SCG consultation: David Osei (SCG chair) consulted by phone: agrees"
    )
    # The TCG chair may propose a lowering, but only the IMT lead flags escalation (3.25).
    refused(bot.cmd("fatima", f"level {INC} high --rationale r"), "IMT lead (3.25)")
    raised = ok(bot.cmd("hana", f"level {INC} high --rationale 'New reports'"))
    assert "is now High" in raised.text
    assert decisions(db, "level")[-1].decided_by.endswith("flagging it for escalation (3.25)")
    # A lowering proposed by the TCG chair waits for IMT; it can be withdrawn.
    ok(bot.cmd("fatima", f"level {INC} low --rationale r {SCG_VIEW}"))
    assert incident(db).level_lowering is not None and incident(db).overall_impact == 3
    ok(bot.cmd("fatima", f"level {INC} withdraw"))
    assert incident(db).level_lowering is None and incident(db).overall_impact == 3


def test_plan_2_12_2_13_2_19_the_body_holding_an_issue_decides_it_goes_no_further(
    bot: Driver, db: Database
) -> None:
    """2.12-2.13: TTG, chaired by the Deputy Chief Executive, Regulation, activates CAM-EP,
    which "can ... recommend that no further action and/or the de-escalation of an issue is
    taken"; 2.19: a case conference may "record that OPSS take no further action and make
    arrangements to feedback the outcome to the originator". Where one of these bodies holds
    the issue, it decides, and the feedback is recorded as sent."""
    plan_says("Chaired by the Deputy Chief Executive, Regulation, TTG meetings take place")
    plan_says("recommend that no further action and/or the de-escalation of an issue is taken")
    feedback = plan_says("make arrangements to feedback the outcome to the originator.")
    at_ttg = to_stage(bot, "ttg")
    nfa = f'close {at_ttg} nfa --reason "Not national"'
    refused(bot.cmd("fatima", nfa), "the Deputy Chief Executive, Regulation, who chairs TTG")
    refused(bot.cmd("ian", nfa), "for TTG, which holds the issue")
    asked = refused(bot.cmd("rachel", nfa), "Feedback to the originator")
    assert feedback.rstrip(".") in asked
    ok(bot.cmd("rachel", f'{nfa} --feedback "Letter to the business, 24 Nov"'))
    assert stage_of(db, at_ttg) == "closed_nfa"
    [closed] = decisions(db, "closed_nfa")
    assert closed.what.endswith("Feedback to originator: Letter to the business, 24 Nov")
    assert closed.decided_by == "Rachel Moore for TTG" and closed.group == "ttg"

    at_cam_ep = to_stage(bot, "cam_ep")  # led by Sara Lind, an SCS
    la = f'close {at_cam_ep} la --reason "Local supplier" --feedback "Email to the LA, 24 Nov"'
    refused(bot.cmd("david", la), "the senior civil servant who leads CAM-EP (sara)")
    ok(bot.cmd("sara", la))
    assert stage_of(db, at_cam_ep) == "la_led"
    assert decisions(db, "la_led")[0].decided_by == "Sara Lind for CAM-EP"

    at_conference = to_stage(bot, "cam_ep")
    cc = call_conference(bot, at_conference)
    before = row_counts(db)
    refused(bot.cmd("hana", f'close {at_conference} nfa --reason "x"'), f"/opss outcome {cc}")
    assert row_counts(db) == before
    outcome = {
        "form": "outcome",
        "conference": cc,
        "outcomes": "no_further_action",
        "rationale": "The LA leads",
        "decided_by": "David Osei",
        "after_nfa": "la",
    }
    assert "feedback" in bot.submit("ian", outcome).errors
    ok(bot.submit("ian", outcome | {"feedback": "Call to the originator, 24 Nov"}))
    assert stage_of(db, at_conference) == "la_led"


def test_plan_3_22_and_3_9_the_battle_rhythm_changes_with_the_scg_or_by_the_tcg(
    bot: Driver, db: Database
) -> None:
    """3.22: "The schedule will be developed and maintained by IMT in agreement with the SCG";
    3.9: the TCG will "decide the schedule of events". A change by IMT names which, and is a
    decision in the log."""
    plan_says("The schedule will be developed and maintained by IMT in agreement with the SCG.")
    plan_says("decide the schedule of events;")
    declare(bot)
    asked = ok(bot.cmd("ian", f"rhythm {INC} replace reduced"))
    assert asked.form is not None and asked.form.id == "rhythm_replace"
    assert {c.title for c in asked.form.field("agreed").choices} == {
        "Agreed with the SCG (3.22)",
        "Decided by the TCG (3.9)",
    }
    with db.read() as s:
        standard = sorted(s.scalars(select(RhythmEvent.name).where(RhythmEvent.active)))
    assert standard == ["Bird table", "SCG", "TCG"]  # unchanged until it is agreed
    ok(bot.cmd("ian", f"rhythm {INC} replace reduced --scg 'David Osei agreed, 24 Nov'"))
    removed = ok(bot.cmd("ian", f"rhythm {INC} remove 1 --tcg 'TCG of 24 Nov, item 3'"))
    assert "removed" in removed.text
    with db.read() as s:
        active = sorted(s.scalars(select(RhythmEvent.name).where(RhythmEvent.active)))
    assert active == ["TCG"]
    scg, tcg = decisions(db, "rhythm")
    assert (scg.group, scg.rationale) == (
        "scg",
        "Agreed with the SCG (3.22): David Osei agreed, 24 Nov",
    )
    assert (tcg.group, tcg.rationale) == ("tcg", "Decided by the TCG (3.9): TCG of 24 Nov, item 3")
    refused(bot.cmd("ian", f"rhythm {INC} remove 1"), "in agreement with the SCG (3.22)")


# 8. ERCO when the impact "is, or could develop to be" High or Critical ------------------------


def declare_medium(bot: Driver) -> str:
    ref = to_stage(bot, "cam_ep")
    cc = call_conference(bot, ref)
    assess(bot, ref, level="medium")  # reassessed at the conference: Medium
    ok(
        bot.submit(
            "ian",
            {
                "form": "outcome",
                "conference": cc,
                "outcomes": "declare_incident",
                "rationale": "r",
                "decided_by": "David Osei",
            },
        )
    )
    ok(bot.cmd("hana", f"declare {ref} --level tactical --tcg-chair fatima"))
    return ref


def test_plan_3_17_erco_for_an_incident_that_could_develop_to_be_high_or_critical(
    bot: Driver, db: Database, clock: ManualClock
) -> None:
    """3.17: "OPSS will engage with DBT ERCO in the case of an incident that is, or could
    develop to be, risk assessed as High or Critical." Below High the bot asks the second
    case, records it, and then asks for ERCO as for a High incident."""
    rule = plan_says(
        "OPSS will engage with DBT ERCO in the case of an incident that is, or could develop to "
        "be, risk assessed as High or Critical."
    )
    declare_medium(bot)
    assert not posts(db, "not recorded as engaged")  # Medium: no ERCO prompt yet...
    [question] = posts(db, "Could it develop to be High or Critical?")  # ...but the question
    assert rule.removesuffix(".") in question  # the plan's own sentence
    card = posted_card(db, f"DBT ERCO · {INC}")
    assert [a["command"] for a in card["actions"]] == [f"/opss erco {INC} could-develop"]
    form = ok(bot.cmd("ian", f"erco {INC} could-develop")).form  # the button opens a form
    assert form is not None and form.field("rationale").required
    reply = ok(
        bot.cmd("ian", f"erco {INC} could-develop --rationale 'Sold through a national chain'")
    )
    assert "could develop to be High or Critical (Sold through a national chain)" in reply.text
    [recorded] = decisions(db, "erco.could_develop")
    assert recorded.rationale == "Sold through a national chain"
    assert len(posts(db, "not recorded as engaged")) == 1
    summary = ok(bot.cmd("ian", f"status {INC}")).card
    assert summary is not None and "could develop to be High or Critical" in summary.warning
    clock.advance(timedelta(minutes=30, seconds=30))  # the TCG's reminder: a cycle asks again
    tick(db, clock, bot.engine.options)
    assert len(posts(db, "not recorded as engaged")) == 2
    ok(bot.cmd("ian", f"erco {INC} --by 'Ian Brooks'"))
    [erco] = decisions(db, "erco")
    assert erco.rationale.startswith("The incident could develop to be High or Critical")
    again = bot.cmd("ian", f"erco {INC} could-develop --rationale again")
    assert not again.ok and "already recorded" in again.text


def test_plan_3_17_a_policy_owner_outside_dbt_and_its_equivalent_body(
    bot: Driver, db: Database
) -> None:
    """3.17: "For incidents where the policy owner is outside of DBT, the relevant policy
    owner's equivalent body is likely to fulfil this central government response coordination
    role." The ERCO record names that policy owner, and the incident card says so."""
    plan_says("For incidents where the policy owner is outside of DBT, the relevant policy owner")
    plan_says("is likely to fulfil this central government response coordination role.")
    declare(bot, "--level tactical")
    ok(bot.cmd("ian", f"erco {INC} --by 'Ian Brooks' --policy-owner MHCLG"))
    summary = facts(ok(bot.cmd("ian", f"status {INC}")))
    assert summary["Policy owner outside DBT"] == (
        "MHCLG: its equivalent body is likely to coordinate the central government response (3.17)"
    )
    [erco] = decisions(db, "erco")
    assert "policy owner MHCLG" in erco.what


def test_plan_3_17_strategic_functions_will_be_kept_informed(bot: Driver) -> None:
    """3.17: "Strategic functions will be kept informed and depending on the nature of the
    incident, may become directly involved." Its list (DBT ERCO has its own record) is what the
    engagement log offers and the incident card counts."""
    plan_says("Strategic functions will be kept informed")
    named = [
        plan_says("Ministerial team"),
        plan_says(
            "Permanent Secretary and departmental director generals with relevant policy "
            "responsibilities"
        ),
        plan_says("OPSS Chief Executive Officer (CEO)"),
        plan_says("OPSS Deputy Chief Executive Officer (DCEOs) and Deputy Directors (DDs)"),
    ]
    declare(bot)
    before = facts(ok(bot.cmd("ian", f"status {INC}")))["Strategic functions (3.17)"]
    assert before == f"0 of 4 informed; not yet: {', '.join(named)} (/opss engage)"
    form = ok(bot.cmd("ian", f"engage {INC}")).form
    assert form is not None
    assert [c.value for c in form.field("partner").choices][:4] == named
    ok(bot.cmd("ian", f"engage {INC} --partner 'Ministerial team' --what 'Briefing' --via email"))
    after = facts(ok(bot.cmd("ian", f"status {INC}")))["Strategic functions (3.17)"]
    assert after == f"1 of 4 informed; not yet: {', '.join(named[1:])} (/opss engage)"


# 9. COBR and the CRIP ---------------------------------------------------------------------------


def test_plan_3_24_sitreps_feed_the_crip_at_the_timings_agreed_with_cobr(
    bot: Driver, db: Database, clock: ManualClock
) -> None:
    """3.24: "If COBR Unit activate COBR, OPSS situation reports will be used to provide
    specific OPSS information into any Commonly Recognised Information Picture (CRIP). The
    timings for these contributions will be agreed with COBR." The agreed time is recorded,
    the cut-off follows it, and each sitrep collated then is marked as feeding the CRIP."""
    plan_says("OPSS situation reports will be used to provide specific OPSS information into")
    plan_says("Commonly Recognised Information Picture (CRIP)")
    plan_says("The timings for these contributions will be agreed with COBR.")
    declare(bot)
    publish_sitrep(bot, db, clock)  # SITREP 1 at 16:00 Monday, before COBR
    cobr = f"sitrep {INC} cobr --crip 15:00 --lead 60"
    assert "agreed" in refused(bot.cmd("ian", cobr), "will be agreed with COBR")
    refused(bot.cmd("fatima", f"{cobr} --agreed 'COBR Unit'"), "IMT")
    ok(bot.cmd("ian", f"{cobr} --agreed 'COBR Unit, call of 23 Nov'"))
    with db.read() as s:
        row = s.scalars(select(SitrepSchedule).where(SitrepSchedule.active)).one()
    assert (row.crip_local, row.cutoff_local) == ("15:00", "14:00")  # 60 minutes before
    [recorded] = decisions(db, "cobr")
    assert recorded.rationale == "Timings agreed with COBR (3.24): COBR Unit, call of 23 Nov"
    refused(bot.cmd("ian", f"sitrep {INC} set --cutoff 17:00"), "follows COBR's timing")
    ok(
        bot.submit(
            "fatima",
            {
                "form": "sitrep_update",
                "reference": INC,
                "team": "Gas and Electrical",
                "situation": "Recall 75% complete",
            },
        )
    )
    clock.advance(timedelta(hours=22))  # Tue 14:01: past the new cut-off
    tick(db, clock, bot.engine.options)
    with db.read() as s:
        first, second = s.scalars(select(Sitrep).order_by(Sitrep.number)).all()
        s.expunge_all()
    assert not first.feeds_crip
    assert second.feeds_crip and second.as_at.strftime("%H:%M") == "14:00"
    assert second.crip_due is not None and second.crip_due.strftime("%a %H:%M") == "Tue 15:00"
    assert second.sections[0][0] == "For COBR's CRIP (3.24)"
    assert posts(db, "for COBR's CRIP due Tue 24 Nov 2026 15:00 GMT")
    shown = ok(bot.cmd("fatima", f"sitrep {INC} show 2")).card
    assert shown is not None and shown.badges == ("CRIP",)
    # A sitrep made before can be marked as feeding the CRIP too.
    ok(bot.cmd("ian", f"sitrep {INC} crip 1"))
    shown = ok(bot.cmd("fatima", f"sitrep {INC} show 1")).card
    assert shown is not None and shown.badges == ("CRIP",)
    assert shown.sections[0][0] == "For COBR's CRIP (3.24)"
    refused(bot.cmd("ian", f"sitrep {INC} crip 1"), "already marked")
    ok(bot.cmd("ian", f"sitrep {INC} cobr off --reason 'COBR stood down'"))
    ok(bot.cmd("ian", f"sitrep {INC} set --cutoff 17:00"))


# 10. Authorities as the plan names them ---------------------------------------------------------


def test_plan_2_12_and_2_13_ttg_activates_cam_ep_led_by_the_relevant_scs(
    bot: Driver, db: Database
) -> None:
    """2.12: "Chaired by the Deputy Chief Executive, Regulation, TTG meetings take place
    routinely". 2.13: "Led by the relevant senior civil servant (SCS), CAM-EP is activated by
    TTG". Not any deputy director: TTG's chair, naming the SCS who leads it."""
    plan_says("Chaired by the Deputy Chief Executive, Regulation,")
    plan_says("Led by the relevant senior civil servant (SCS), CAM-EP is activated by TTG")
    ref = to_stage(bot, "ttg")
    assess(bot, ref)
    refused(
        bot.cmd("david", f"escalate {ref} cam-ep --lead sara"),
        "the Deputy Chief Executive, Regulation, who chairs TTG (2.12)",
    )
    refused(bot.cmd("rachel", f"escalate {ref} cam-ep"), "led by the relevant senior civil")
    refused(bot.cmd("rachel", f"escalate {ref} cam-ep --lead olly"), "not a senior civil servant")
    assert stage_of(db, ref) == "ttg"
    done = ok(bot.cmd("rachel", f"escalate {ref} cam-ep --lead sara"))
    assert "CAM-EP is led by Sara Lind (SCS, 2.13)" in done.text
    assert facts(ok(bot.cmd("ian", f"status {ref}")))["CAM-EP led by"] == "Sara Lind (SCS, 2.13)"


def test_plan_2_16_the_affected_ftl_with_an_scs_may_request_a_conference_before_cam(
    bot: Driver, db: Database
) -> None:
    """2.16: "Case conferences may be requested by: ... the affected FTL in consultation with
    the SCS." The FTL holds the issue at its assessment (2.3), before CAM."""
    plan_says("the affected FTL in consultation with the SCS.")
    ref = raise_issue(bot)
    refused(bot.cmd("fatima", f"conference {ref} --when now --scs sara --background b"), "Raised")
    assess(bot, ref, user="fatima")
    ok(bot.cmd("fatima", f"escalate {ref}"))
    assess(bot, ref, user="fatima")
    reply = ok(
        bot.cmd("fatima", f'conference {ref} --when now --scs sara --background "Two fires"')
    )
    assert "(FTL for Gas and Electrical, in consultation with the SCS Sara Lind)" in reply.text
    assert stage_of(db, ref) == "case_conference"


def test_plan_3_4_the_scg_is_chaired_by_the_dce_evidence_or_the_dd_targeting(
    bot: Driver, db: Database
) -> None:
    """3.4: "The SCG is an OPSS body, chaired by the Deputy Chief Executive, Evidence, or the
    Deputy Director, Targeting." Two posts, not any director of either directorate."""
    plan_says("chaired by the Deputy Chief Executive, Evidence, or the Deputy Director, Targeting.")
    declare(bot)
    ok(bot.cmd("hana", "role grant olly deputy_director --area Evidence"))
    ok(bot.cmd("hana", "role grant tom deputy_chief_executive --area Evidence"))
    # Trained for the seat (the roster, 6.6), so only the post is in question here.
    ok(bot.cmd("hana", "roster add tom scg_chair --trained 2026-01-12"))
    ok(bot.cmd("hana", "roster add olly scg_chair --trained 2026-01-12"))
    refused(bot.cmd("ian", f"group {INC} open scg --chair olly"), "Justification")
    ok(bot.cmd("ian", f"group {INC} open scg --chair tom"))  # no justification needed
    ok(bot.cmd("ian", f"group {INC} open scg --chair david"))  # the DD, Targeting
    assert not decisions(db, "chair")
    refused(bot.cmd("hana", "role grant olly deputy_chief_executive"), "Regulation")


# 11. What the sources carry, where an officer looks for it -------------------------------------


def test_plan_2_15_the_grounds_on_which_a_case_conference_takes_place(bot: Driver) -> None:
    """2.15: case conferences "take place when:" the three grounds the plan lists; the
    conference form offers them in the plan's words and its card shows those given."""
    grounds = [
        plan_says(
            "Initial activities have concluded with a recommendation on enforcement action with "
            "potentially significant impacts on the business and/or OPSS or wider population "
            "(e.g. legal, business continuity, multi/national company)"
        ),
        plan_says("grounds exist to suggest that the current case could become an incident"),
        plan_says("there may be a significant impact on resources"),
    ]
    ref = to_stage(bot, "ttg")
    assess(bot, ref)
    form = ok(bot.cmd("hana", f"conference {ref}")).form
    assert form is not None
    assert [c.detail for c in form.field("grounds").choices] == grounds
    reply = ok(
        bot.cmd(
            "david",
            f"conference {ref} --when now --background b --grounds could_become_incident,resources",
        )
    )
    shown = facts(reply)["Grounds (2.15)"]
    assert (
        shown == f"{grounds[1][0].upper()}{grounds[1][1:]}; {grounds[2][0].upper()}{grounds[2][1:]}"
    )


def test_plan_3_16_other_groups_are_set_up_with_their_exit_strategy(
    bot: Driver, db: Database
) -> None:
    """3.16: "During the commissioning and establishment of other groups, OPSS will consider its
    exit strategy, including the identification of longer-term responsible persons or
    groups." One of those groups is set up with its exit strategy; the SCG and TCG are not
    "other groups"."""
    said = plan_says(
        "During the commissioning and establishment of other groups, OPSS will consider its "
        "exit strategy, including the identification of longer-term responsible persons or "
        "groups."
    )
    declare(bot)
    before = row_counts(db)
    missing = bot.cmd("ian", f"group {INC} open expert_panel --members olly")
    assert not missing.ok and missing.text.startswith("Exit strategy:")
    assert said in missing.text and row_counts(db) == before
    ok(
        bot.cmd(
            "ian",
            f"group {INC} open expert_panel --members olly "
            "--exit-strategy 'The Product Safety team keeps the register of specialists'",
        )
    )
    with db.read() as s:
        panel = s.scalars(select(IncidentGroup).where(IncidentGroup.kind == "expert_panel")).one()
    assert panel.exit_strategy == "The Product Safety team keeps the register of specialists"
    ok(bot.cmd("ian", f"group {INC} open evidence_group --members olly"))  # not one of 3.16's


def notification(db: Database, reference: str) -> Notification:
    with db.read() as s:
        row = s.scalars(select(Notification).where(Notification.reference == reference)).one()
        s.expunge(row)
        return row


def test_guidance_sections_1_and_4_the_home_authority_is_informed(
    bot: Driver, db: Database
) -> None:
    """Section 1: "the responsible enforcement authority should inform the home authority
    (where they are not one and the same)." Section 4: "the Home Authority should always be
    informed when another local authority is approached in respect of a Regulation 9
    notification"."""
    section_1 = guidance_says(
        "the responsible enforcement authority should inform the home authority (where they are "
        "not one and the same)"
    )
    section_4 = guidance_says(
        "the Home Authority should always be informed when another local authority is approached "
        "in respect of a Regulation 9 notification"
    )
    ref = raise_issue(bot)
    recorded = ok(bot.cmd("fatima", f"notify {ref} reg33_2 --trigger 2026-11-23"))
    assert section_1.rstrip(")") in recorded.text
    nref = recorded.text.split()[0]
    assert facts(recorded)["Home authority"].startswith(
        f"not recorded as informed: {section_1.removesuffix(')')}"
    )
    told = ok(bot.cmd("fatima", f'notify {nref} home-authority "Leeds TS, by email 24 Nov"'))
    assert facts(told)["Home authority"] == "informed: Leeds TS, by email 24 Nov"
    assert notification(db, nref).home_authority == "Leeds TS, by email 24 Nov"
    reg9 = ok(bot.cmd("fatima", f"notify {ref} reg9 --trigger 2026-11-23 --section6 no"))
    assert section_4 in facts(reg9)["Home authority"]
    same = ok(bot.cmd("fatima", f"notify {ref} reg33_2 --trigger 2026-11-23 --home-authority same"))
    assert facts(same)["Home authority"] == "the same authority as the one notifying"
    refused(bot.cmd("olly", f"notify {nref} home-authority x"), "owner or IMT")


def test_guidance_section_4_businesses_inform_their_authority_without_delay(
    bot: Driver,
) -> None:
    """Section 4, 'Timetable': "Whenever possible, businesses should be reminded that they must
    inform their local authority of a safety problem without delay." A Reg 9 notification's
    card and reply say so."""
    said = guidance_says(
        "Whenever possible, businesses should be reminded that they must inform their local "
        "authority of a safety problem without delay."
    )
    ref = raise_issue(bot)
    reply = ok(bot.cmd("fatima", f"notify {ref} reg9 --trigger 2026-11-23 --section6 no"))
    reminder = said.removeprefix("Whenever possible, businesses should be reminded that ")
    assert reminder.removesuffix(".") in facts(reply)["The business"]
    assert reminder.removesuffix(".") in reply.text
    other = ok(bot.cmd("fatima", f"notify {ref} reg33_2 --trigger 2026-11-23"))
    assert "The business" not in facts(other)


def test_guidance_section_4_a_serious_reg_9_notification_also_goes_via_rapex(
    bot: Driver,
) -> None:
    """Section 4: "When an enforcement authority believes that a producer/distributor
    notification represents a serious risk and requires urgent action it should also submit a
    RAPEX notification to DTI along with the original producer/distributor notification." """
    guidance_says(
        "it should also submit a RAPEX notification to DTI along with the original "
        "producer/distributor notification."
    )
    ref = raise_issue(bot)
    serious = ok(bot.cmd("fatima", f"notify {ref} reg9 --trigger 2026-11-23 --section6 serious"))
    assert "also submit a RAPEX notification along with the original" in serious.text
    assert f"/opss notify {ref} reg33_4" in serious.text
    home = ok(bot.cmd("fatima", f"notify {ref} reg9 --trigger 2026-11-23 --section6 home_only"))
    assert "RAPEX" not in home.text


def test_guidance_section_2_notify_all_such_measures_even_if_an_appeal_is_likely(
    bot: Driver,
) -> None:
    """Section 2, after the measures which may require a RAPEX notification: "Enforcement
    authorities should notify all such measures, even if an appeal against them is likely."
    The RAPEX notification's card, and the notify form, say so."""
    said = guidance_says(
        "Enforcement authorities should notify all such measures, even if an appeal against "
        "them is likely."
    )
    ref = raise_issue(bot)
    reply = ok(bot.cmd("fatima", f"notify {ref} rapex --trigger 2026-11-23"))
    assert said in facts(reply)["Appeal likely?"]
    form = ok(bot.cmd("fatima", f"notify {ref}")).form
    assert form is not None and "even if an appeal against them is likely" in form.intro
