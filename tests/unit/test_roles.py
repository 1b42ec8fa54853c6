"""Who may do what (plan 2.3, 2.9, 2.12-2.13, 2.16, 2.19)."""

from __future__ import annotations

import pytest

from rules.roles import (
    Actor,
    Grant,
    Role,
    may_assess,
    may_declare,
    may_move,
    may_record_outcome,
    may_request_case_conference,
)

GAS = "Gas and Electrical"


def person(name: str, *grants: Grant) -> Actor:
    return Actor(name, frozenset(grants))


DD = person("david", Grant(Role.DEPUTY_DIRECTOR))
HEAD = person("hana", Grant(Role.HEAD_OF_IMT))
IMT = person("ian", Grant(Role.IMT))
FTL = person("fatima", Grant(Role.FTL, GAS))
OTHER_FTL = person("tom", Grant(Role.FTL, "Toys and Childcare"))
SCS = person("sara", Grant(Role.SCS))
NOBODY = person("olly")
# 2.12: "Chaired by the Deputy Chief Executive, Regulation, TTG meetings take place routinely".
DCE_REGULATION = person("rachel", Grant(Role.DEPUTY_CHIEF_EXECUTIVE, "Regulation"))
DCE_EVIDENCE = person("erin", Grant(Role.DEPUTY_CHIEF_EXECUTIVE, "Evidence"))


@pytest.mark.parametrize(
    ("requester", "consulted", "allowed"),
    [
        (DD, None, True),  # a deputy director or higher
        (HEAD, SCS, True),  # Head of IMT with an SCS
        (HEAD, DD, True),  # a deputy director is an SCS
        (HEAD, None, False),
        (HEAD, IMT, False),  # the consulted person must be an SCS
        (FTL, SCS, True),  # the affected FTL with an SCS
        (FTL, None, False),
        (OTHER_FTL, SCS, False),  # an FTL for another area is not "the affected FTL"
        (IMT, SCS, False),
        (SCS, None, False),
        (NOBODY, SCS, False),
    ],
)
def test_who_may_request_a_case_conference(
    requester: Actor, consulted: Actor | None, allowed: bool
) -> None:
    decision = may_request_case_conference(requester, GAS, consulted)
    assert bool(decision) is allowed
    assert "deputy director" in decision.who_may and "2.16" in decision.who_may


def test_consulting_yourself_does_not_count() -> None:
    both = person("hana", Grant(Role.HEAD_OF_IMT), Grant(Role.SCS))
    assert not may_request_case_conference(both, GAS, both)


def test_who_may_declare() -> None:
    assert may_declare(DD) and may_declare(HEAD)
    for actor in (IMT, FTL, SCS, NOBODY):
        refusal = may_declare(actor)
        assert not refusal and "Head of IMT" in refusal.who_may


def test_assessment_is_for_imt_the_areas_ftl_and_scs() -> None:
    assert may_assess(IMT, GAS) and may_assess(FTL, GAS) and may_assess(SCS, GAS)
    assert not may_assess(OTHER_FTL, GAS) and not may_assess(NOBODY, GAS)


@pytest.mark.parametrize(
    ("target", "allowed", "refused"),
    [
        ("ftl_assessment", [IMT, HEAD, FTL], [OTHER_FTL, SCS, NOBODY]),
        ("cam", [IMT, FTL], [OTHER_FTL, NOBODY]),
        ("ttg", [IMT, HEAD], [FTL, SCS, NOBODY]),
        # 2.13: CAM-EP "is activated by TTG", whose chair is the DCE, Regulation (2.12).
        ("cam_ep", [DCE_REGULATION], [DD, DCE_EVIDENCE, IMT, HEAD, FTL, SCS, NOBODY]),
        ("closed_nfa", [IMT, FTL], [OTHER_FTL, NOBODY]),
    ],
)
def test_who_may_move_an_issue(target: str, allowed: list[Actor], refused: list[Actor]) -> None:
    for actor in allowed:
        assert may_move(actor, target, GAS), actor.name
    for actor in refused:
        assert not may_move(actor, target, GAS), actor.name


def test_outcomes_are_recorded_by_imt_or_a_deputy_director() -> None:
    assert may_record_outcome(IMT) and may_record_outcome(DD)
    assert not may_record_outcome(FTL) and not may_record_outcome(NOBODY)


def test_whose_move_it_is() -> None:
    from rules.lifecycle import Stage
    from rules.waiting import next_step

    assert next_step(FTL, Stage.RAISED, GAS, False, False)
    assert next_step(OTHER_FTL, Stage.RAISED, GAS, False, False) is None
    assert next_step(IMT, Stage.CAM, GAS, False, False)
    assert next_step(FTL, Stage.CAM, GAS, False, False) is None
    # TTG holds the issue: its chair's move (2.12), not any deputy director's.
    assert next_step(DCE_REGULATION, Stage.TTG, GAS, False, False)
    assert next_step(DD, Stage.TTG, GAS, False, False) is None
    assert next_step(IMT, Stage.CASE_CONFERENCE, GAS, False, False) == (
        "record the case conference outcome"
    )
    assert next_step(HEAD, Stage.CASE_CONFERENCE, GAS, True, True) == "declare the incident"
    assert next_step(HEAD, Stage.CASE_CONFERENCE, GAS, True, False) is None
    assert next_step(NOBODY, Stage.CAM_EP, GAS, False, False) is None
