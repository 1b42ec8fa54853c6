"""Issue lifecycle and the escalation ladder (plan section 2, Figure A).

The ladder is data: every allowed move is a row of ``TRANSITIONS``; anything else is refused.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum


class Stage(StrEnum):
    RAISED = "raised"
    FTL_ASSESSMENT = "ftl_assessment"
    CAM = "cam"
    TTG = "ttg"
    CAM_EP = "cam_ep"
    CASE_CONFERENCE = "case_conference"
    DECLARED = "declared"
    MONITORING = "monitoring"
    LA_LED = "la_led"
    CLOSED_NFA = "closed_nfa"


STAGE_LABELS: dict[Stage, str] = {
    Stage.RAISED: "Raised",
    Stage.FTL_ASSESSMENT: "FTL assessment",
    Stage.CAM: "CAM",
    Stage.TTG: "TTG",
    Stage.CAM_EP: "CAM-EP",
    Stage.CASE_CONFERENCE: "Case conference",
    Stage.DECLARED: "Incident declared",
    Stage.MONITORING: "Returned to monitoring",
    Stage.LA_LED: "Handed to local authority (LA-led)",
    Stage.CLOSED_NFA: "Closed: no further action",
}

# The rungs shown on summary cards, lowest first.
LADDER: tuple[Stage, ...] = (
    Stage.RAISED,
    Stage.FTL_ASSESSMENT,
    Stage.CAM,
    Stage.TTG,
    Stage.CAM_EP,
    Stage.CASE_CONFERENCE,
    Stage.DECLARED,
)

# Stages that leave the ladder; the issue can be re-opened from them (nothing is deleted).
PARKED: frozenset[Stage] = frozenset({Stage.MONITORING, Stage.LA_LED, Stage.CLOSED_NFA})
OPEN_STAGES: frozenset[Stage] = frozenset(LADDER) - {Stage.DECLARED}


class Move(StrEnum):
    ESCALATE = "escalate"  # up the ladder
    CALL_CONFERENCE = "call_conference"
    DECLARE = "declare"
    CLOSE_NFA = "close_nfa"
    HAND_TO_LA = "hand_to_la"
    RETURN_TO_MONITORING = "return_to_monitoring"
    REOPEN = "reopen"


# What each move is called in a reply (the plan's words, never the enum's value).
MOVE_LABELS: dict[Move, str] = {
    Move.ESCALATE: "the next rung",
    Move.CALL_CONFERENCE: "a case conference",
    Move.DECLARE: "a declared incident",
    Move.CLOSE_NFA: "closed: no further action",
    Move.HAND_TO_LA: "handed to the local authority (LA-led)",
    Move.RETURN_TO_MONITORING: "returned to monitoring",
    Move.REOPEN: "re-opened",
}


@dataclass(frozen=True)
class Transition:
    source: Stage
    target: Stage
    move: Move
    why: str  # the plan paragraph that allows it


def _ladder_rows() -> list[Transition]:
    rows = [
        Transition(Stage.RAISED, Stage.FTL_ASSESSMENT, Move.ESCALATE, "2.3 FTL assesses first"),
        Transition(Stage.FTL_ASSESSMENT, Stage.CAM, Move.ESCALATE, "2.5 escalated through CAM"),
        Transition(Stage.CAM, Stage.TTG, Move.ESCALATE, "2.6 CAM recommends TTG"),
        Transition(Stage.TTG, Stage.CAM_EP, Move.ESCALATE, "2.6/2.13 TTG activates CAM-EP"),
        # 2.16: "the affected FTL in consultation with the SCS" may request one, so a conference
        # need not wait for CAM once the FTL has the issue (2.3); 2.9 CAM may establish one;
        # 2.12 TTG may escalate to one; 2.13 CAM-EP too.
        Transition(Stage.FTL_ASSESSMENT, Stage.CASE_CONFERENCE, Move.CALL_CONFERENCE, "2.16"),
        Transition(Stage.CAM, Stage.CASE_CONFERENCE, Move.CALL_CONFERENCE, "2.9"),
        Transition(Stage.TTG, Stage.CASE_CONFERENCE, Move.CALL_CONFERENCE, "2.12"),
        Transition(Stage.CAM_EP, Stage.CASE_CONFERENCE, Move.CALL_CONFERENCE, "2.13"),
        # 2.7 "one or a series of case conference meetings".
        Transition(
            Stage.CASE_CONFERENCE, Stage.CASE_CONFERENCE, Move.CALL_CONFERENCE, "2.7 series"
        ),
        Transition(Stage.CASE_CONFERENCE, Stage.DECLARED, Move.DECLARE, "2.19-2.20"),
        # A monitored issue re-enters the ladder at CAM, which monitors live issues (2.9).
        Transition(Stage.MONITORING, Stage.CAM, Move.ESCALATE, "2.9 CAM monitors"),
    ]
    for stage in OPEN_STAGES:
        rows.append(Transition(stage, Stage.CLOSED_NFA, Move.CLOSE_NFA, "any stage"))
        rows.append(Transition(stage, Stage.LA_LED, Move.HAND_TO_LA, "2.10 LA-led"))
        if stage is not Stage.RAISED:
            rows.append(
                Transition(stage, Stage.MONITORING, Move.RETURN_TO_MONITORING, "2.9 monitor")
            )
    rows.append(Transition(Stage.MONITORING, Stage.CLOSED_NFA, Move.CLOSE_NFA, "any stage"))
    rows.append(Transition(Stage.MONITORING, Stage.LA_LED, Move.HAND_TO_LA, "2.10 LA-led"))
    return rows


TRANSITIONS: tuple[Transition, ...] = tuple(_ladder_rows())
_BY_KEY: dict[tuple[Stage, Move], Transition] = {(t.source, t.move): t for t in TRANSITIONS}

# The next rung for a plain "escalate" (a named target may be given instead).
ESCALATION_TARGETS: dict[str, Stage] = {
    "ftl": Stage.FTL_ASSESSMENT,
    "ftl_assessment": Stage.FTL_ASSESSMENT,
    "cam": Stage.CAM,
    "ttg": Stage.TTG,
    "cam-ep": Stage.CAM_EP,
    "cam_ep": Stage.CAM_EP,
    "camep": Stage.CAM_EP,
}


class TransitionRefused(ValueError):
    """A move the ladder does not allow from the current stage."""


def allowed_moves(stage: Stage) -> list[Transition]:
    return [t for t in TRANSITIONS if t.source is stage]


def transition(stage: Stage, move: Move, target: Stage | None = None) -> Transition:
    """The transition for ``move`` from ``stage`` (and to ``target`` when given), or refuse."""
    if move is Move.REOPEN:
        raise TransitionRefused("use reopen_target() for re-opening")
    if move is Move.ESCALATE and target is not None:
        matches = [t for t in TRANSITIONS if t.source is stage and t.target is target]
        if matches and matches[0].move is Move.ESCALATE:
            return matches[0]
        raise TransitionRefused(refusal(stage, target))
    found = _BY_KEY.get((stage, move))
    if found is None or (target is not None and found.target is not target):
        raise TransitionRefused(refusal(stage, target, move))
    return found


def reopen_target(stage: Stage, stage_before_parking: Stage | None) -> Stage:
    """Re-opening returns a parked issue to the rung it left (FTL assessment if unknown)."""
    if stage not in PARKED:
        raise TransitionRefused(
            f"Only a closed, LA-led or monitored issue can be re-opened; this one is at "
            f"{STAGE_LABELS[stage]}."
        )
    if stage_before_parking is None or stage_before_parking not in OPEN_STAGES:
        return Stage.FTL_ASSESSMENT
    return stage_before_parking


def refusal(stage: Stage, target: Stage | None, move: Move | None = None) -> str:
    options = ", ".join(
        sorted({STAGE_LABELS[t.target] for t in allowed_moves(stage) if t.target is not stage})
    )
    wanted = (
        STAGE_LABELS[target]
        if target is not None
        else (MOVE_LABELS[move] if move else "another stage")
    )
    if not options:
        return f"The issue is at {STAGE_LABELS[stage]}; it cannot move to {wanted}."
    return (
        f"The issue is at {STAGE_LABELS[stage]}; it cannot move to {wanted}. "
        f"From here it can go to: {options}."
    )


def is_open(stage: Stage) -> bool:
    return stage in OPEN_STAGES
