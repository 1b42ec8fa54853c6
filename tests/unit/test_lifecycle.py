"""Every transition of the issue lifecycle, allowed and refused (DOMAIN.md §1, Figure A)."""

from __future__ import annotations

import itertools

import pytest

from rules.lifecycle import (
    PARKED,
    Move,
    Stage,
    TransitionRefused,
    allowed_moves,
    reopen_target,
    transition,
)

S = Stage
OPEN = [S.RAISED, S.FTL_ASSESSMENT, S.CAM, S.TTG, S.CAM_EP, S.CASE_CONFERENCE]

# Written out by hand from the plan, independently of rules/lifecycle.py.
EXPECTED: set[tuple[Stage, Move, Stage]] = {
    (S.RAISED, Move.ESCALATE, S.FTL_ASSESSMENT),
    (S.FTL_ASSESSMENT, Move.ESCALATE, S.CAM),
    (S.CAM, Move.ESCALATE, S.TTG),
    (S.TTG, Move.ESCALATE, S.CAM_EP),
    (S.MONITORING, Move.ESCALATE, S.CAM),
    # 2.16: "the affected FTL in consultation with the SCS" may request one before CAM.
    (S.FTL_ASSESSMENT, Move.CALL_CONFERENCE, S.CASE_CONFERENCE),
    (S.CAM, Move.CALL_CONFERENCE, S.CASE_CONFERENCE),
    (S.TTG, Move.CALL_CONFERENCE, S.CASE_CONFERENCE),
    (S.CAM_EP, Move.CALL_CONFERENCE, S.CASE_CONFERENCE),
    (S.CASE_CONFERENCE, Move.CALL_CONFERENCE, S.CASE_CONFERENCE),
    (S.CASE_CONFERENCE, Move.DECLARE, S.DECLARED),
    *((s, Move.CLOSE_NFA, S.CLOSED_NFA) for s in [*OPEN, S.MONITORING]),
    *((s, Move.HAND_TO_LA, S.LA_LED) for s in [*OPEN, S.MONITORING]),
    *((s, Move.RETURN_TO_MONITORING, S.MONITORING) for s in OPEN if s is not S.RAISED),
}


def test_the_ladder_allows_exactly_the_expected_moves() -> None:
    actual = {(t.source, t.move, t.target) for s in Stage for t in allowed_moves(s)}
    assert actual == EXPECTED


@pytest.mark.parametrize(("source", "move", "target"), sorted(EXPECTED))
def test_allowed_transition(source: Stage, move: Move, target: Stage) -> None:
    assert transition(source, move, target if move is Move.ESCALATE else None).target is target


REFUSED = [
    (s, m, t)
    for s, m, t in itertools.product(Stage, [m for m in Move if m is not Move.REOPEN], Stage)
    if (s, m, t) not in EXPECTED
]


@pytest.mark.parametrize(("source", "move", "target"), REFUSED)
def test_refused_transition(source: Stage, move: Move, target: Stage) -> None:
    with pytest.raises(TransitionRefused):
        transition(source, move, target)


def test_skipping_a_rung_is_refused_and_says_where_it_can_go() -> None:
    with pytest.raises(TransitionRefused) as refused:
        transition(S.RAISED, Move.ESCALATE, S.TTG)
    message = str(refused.value)
    assert "Raised" in message and "TTG" in message and "FTL assessment" in message


def test_declared_incident_cannot_go_back_down_the_ladder() -> None:
    assert allowed_moves(S.DECLARED) == []


@pytest.mark.parametrize("parked", sorted(PARKED))
def test_reopen_returns_to_the_rung_it_left(parked: Stage) -> None:
    assert reopen_target(parked, S.TTG) is S.TTG
    assert reopen_target(parked, None) is S.FTL_ASSESSMENT


@pytest.mark.parametrize("stage", [*OPEN, S.DECLARED])
def test_only_parked_issues_reopen(stage: Stage) -> None:
    with pytest.raises(TransitionRefused):
        reopen_target(stage, S.CAM)
