"""The rules of standing an incident down, and of a case conference's dates, without I/O."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from rules import stand_down
from rules.conferences import ConferenceStatus, cancel_problem, outcome_problem, schedule_problem
from rules.roles import Actor, Grant, Role
from rules.stand_down import (
    Approver,
    CommandTeam,
    IncidentMove,
    MoveRefused,
    ReviewStatus,
    Status,
    approval_role,
    closure_check,
    review_may_open,
    transition,
)


def actor(name: str, *roles: Role, area: str | None = None) -> Actor:
    return Actor(name, frozenset(Grant(r, area if r is Role.FTL else None) for r in roles))


HEAD = actor("hana", Role.HEAD_OF_IMT)
LEAD = actor("ian", Role.IMT)  # the incident's IMT lead
OTHER_IMT = actor("imogen", Role.IMT)
TCG = actor("fatima", Role.FTL, area="Gas")
DD = actor("david", Role.DEPUTY_DIRECTOR)
SCS = actor("sara", Role.SCS)
NOBODY = actor("olly")
TEAM = CommandTeam(
    imt_lead="ian",
    tcg_chair="fatima",
    scg_chair="david",
    members=frozenset({"ian", "fatima", "david"}),
)


# The incident's lifecycle: every row allowed, everything else refused -------------------------

ALLOWED = {
    (Status.ACTIVE, IncidentMove.DE_ESCALATE): Status.DE_ESCALATED,
    (Status.DE_ESCALATED, IncidentMove.DE_ESCALATE): Status.DE_ESCALATED,
    (Status.DE_ESCALATED, IncidentMove.RE_ESCALATE): Status.RE_ESCALATING,
    (Status.RE_ESCALATING, IncidentMove.RE_DECLARE): Status.ACTIVE,
    # 3.26: the return to normal is decided by IMT and the TCG chair with the SCG, so not
    # straight from active: de-escalated (to normal operations, stand_down.close_refused).
    (Status.DE_ESCALATED, IncidentMove.CLOSE): Status.CLOSED,
}


@pytest.mark.parametrize("status", list(Status))
@pytest.mark.parametrize("move", list(IncidentMove))
def test_every_move_from_every_status(status: Status, move: IncidentMove) -> None:
    if (status, move) in ALLOWED:
        assert transition(status, move) is ALLOWED[(status, move)]
    else:
        with pytest.raises(MoveRefused):
            transition(status, move)


def test_a_closed_incident_moves_no_more() -> None:
    for move in IncidentMove:
        with pytest.raises(MoveRefused, match="closed"):
            transition(Status.CLOSED, move)


def test_levels_come_down_only() -> None:
    assert stand_down.lower_levels("strategic") == ("tactical", "operational", "normal")
    assert stand_down.lower_levels("operational") == ("normal",)
    assert stand_down.lower_levels("normal") == ()


# Who may propose and approve a de-escalation (3.26-3.27) ------------------------------------


def test_imt_proposes_the_de_escalation_plan() -> None:
    assert stand_down.may_propose_de_escalation(LEAD)
    assert stand_down.may_propose_de_escalation(HEAD)
    assert not stand_down.may_propose_de_escalation(TCG)
    assert not stand_down.may_propose_de_escalation(DD)
    assert not stand_down.may_propose_de_escalation(NOBODY)


def test_the_imt_lead_or_head_of_imt_approves_for_imt() -> None:
    for who in (LEAD, HEAD):
        allowed, role = approval_role(who, TEAM, [])
        assert allowed and role is Approver.IMT
    # An IMT member who is not the incident's IMT lead does not speak for IMT on it.
    allowed, role = approval_role(OTHER_IMT, TEAM, [])
    assert not allowed and role is None
    assert "the incident's IMT lead, ian, or the Head of IMT" in allowed.who_may


def test_only_the_incidents_tcg_chair_approves_as_tcg_chair() -> None:
    allowed, role = approval_role(TCG, TEAM, [])
    assert allowed and role is Approver.TCG_CHAIR and allowed.basis == "TCG chair"
    other_ftl = actor("tom", Role.FTL, area="Gas")
    for who in (other_ftl, DD, SCS, NOBODY):
        allowed, role = approval_role(who, TEAM, [])
        assert not allowed and role is None, who.name


def test_two_approvals_from_two_people() -> None:
    given = [(Approver.IMT, "ian")]
    again, _ = approval_role(LEAD, TEAM, given)
    assert not again and "someone else" in again.why
    # Someone else for IMT when IMT has approved: nothing left for them to give.
    head, role = approval_role(HEAD, TEAM, given)
    assert not head and role is None
    tcg, role = approval_role(TCG, TEAM, given)
    assert tcg and role is Approver.TCG_CHAIR


def test_one_person_holding_both_roles_gives_one_approval() -> None:
    both = CommandTeam(imt_lead="ian", tcg_chair="ian", members=frozenset({"ian"}))
    first, role = approval_role(LEAD, both, [])
    assert first and role is Approver.TCG_CHAIR
    second, _ = approval_role(LEAD, both, [(Approver.TCG_CHAIR, "ian")])
    assert not second
    head, role = approval_role(HEAD, both, [(Approver.TCG_CHAIR, "ian")])
    assert head and role is Approver.IMT


def test_no_tcg_chair_named_means_no_tcg_approval() -> None:
    team = CommandTeam(imt_lead="ian")
    allowed, role = approval_role(TCG, team, [(Approver.IMT, "ian")])
    assert not allowed and role is None


# Re-escalation, closure, review -------------------------------------------------------------


def test_who_may_re_escalate() -> None:
    assert stand_down.may_re_escalate(LEAD, TEAM).basis == "IMT lead"
    assert stand_down.may_re_escalate(HEAD, TEAM).basis == "Head of IMT"
    assert stand_down.may_re_escalate(DD, TEAM).basis == "deputy director or higher"
    for who in (OTHER_IMT, TCG, SCS, NOBODY):
        assert not stand_down.may_re_escalate(who, TEAM), who.name


def test_who_may_close() -> None:
    assert stand_down.may_close(LEAD, TEAM) and stand_down.may_close(HEAD, TEAM)
    for who in (OTHER_IMT, TCG, DD, SCS, NOBODY):
        refusal = stand_down.may_close(who, TEAM)
        assert not refusal and "for IMT" in refusal.who_may, who.name


def test_who_may_open_a_review_and_allocate_recommendations() -> None:
    for who in (LEAD, OTHER_IMT, HEAD):
        assert stand_down.may_open_review(who)
        assert stand_down.may_allocate_recommendation(who)
    for who in (TCG, DD, SCS, NOBODY):
        assert not stand_down.may_open_review(who)
        assert not stand_down.may_allocate_recommendation(who)


def test_who_may_sign_off_a_review() -> None:
    assert stand_down.may_sign_off_review(HEAD).basis == "Head of IMT"
    assert stand_down.may_sign_off_review(DD).basis == "deputy director or higher"
    for who in (LEAD, OTHER_IMT, TCG, SCS, NOBODY):
        assert not stand_down.may_sign_off_review(who), who.name


def test_the_review_opens_after_closure_until_signed_off() -> None:
    assert review_may_open(Status.CLOSED, ReviewStatus.SCHEDULED) is None
    assert review_may_open(Status.CLOSED, ReviewStatus.OPEN) is None
    assert "signed off" in (review_may_open(Status.CLOSED, ReviewStatus.SIGNED_OFF) or "")
    for status in (Status.ACTIVE, Status.DE_ESCALATED, Status.RE_ESCALATING):
        assert "after the incident closes" in (
            review_may_open(status, ReviewStatus.SCHEDULED) or ""
        )


def test_closure_needs_actions_done_or_handed_over_and_a_review() -> None:
    assert closure_check([], {}, True).ok
    left = closure_check(["ACT-2026-0001", "ACT-2026-0002"], {"ACT-2026-0001": "to LA"}, True)
    assert not left.ok and left.field == "handover" and "ACT-2026-0002" in left.message
    assert "ACT-2026-0001," not in left.message
    blank = closure_check(["ACT-2026-0001"], {"ACT-2026-0001": "  "}, True)
    assert not blank.ok
    assert closure_check(["ACT-2026-0001"], {"ACT-2026-0001": "to LA"}, True).ok
    no_review = closure_check([], {}, False)
    assert not no_review.ok and no_review.field == "review_date"


# Case conference dates ----------------------------------------------------------------------

NOW = datetime(2026, 11, 23, 9, 30, 20, tzinfo=UTC)


def test_a_conference_is_called_for_now_or_later() -> None:
    assert schedule_problem(NOW.replace(second=0), NOW) is None  # this minute: convened now
    assert schedule_problem(NOW + timedelta(days=1), NOW) is None
    assert "passed" in (schedule_problem(NOW - timedelta(minutes=1, seconds=20), NOW) or "")
    assert schedule_problem(datetime(2020, 1, 1, tzinfo=UTC), NOW) is not None


def test_an_outcome_is_recorded_once_the_conference_has_met() -> None:
    later = NOW + timedelta(hours=2)
    assert "has not met yet" in (outcome_problem(ConferenceStatus.CALLED, later, NOW) or "")
    assert outcome_problem(ConferenceStatus.CALLED, later, later) is None
    assert "already" in (outcome_problem(ConferenceStatus.HELD, NOW, later) or "")
    assert "cancelled" in (outcome_problem(ConferenceStatus.CANCELLED, NOW, later) or "")


def test_only_a_called_conference_is_cancelled() -> None:
    assert cancel_problem(ConferenceStatus.CALLED) is None
    assert cancel_problem(ConferenceStatus.HELD) is not None
    assert cancel_problem(ConferenceStatus.CANCELLED) is not None
