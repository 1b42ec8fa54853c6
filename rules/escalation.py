"""Preconditions of an escalation (2.4, 2.9, 2.11), separate from who may do it.

2.4: at each escalation stage the issue is evaluated against the impact matrix, so an
escalation needs an impact assessment made at the current rung (``stage_seq`` counts the
issue's moves; an assessment records the count it was made at). 2.11: CAM escalates
product-safety issues only where an NNC criterion is met; otherwise a justification is
recorded.
"""

from __future__ import annotations

from dataclasses import dataclass

from rules.lifecycle import STAGE_LABELS, Stage

NNC_CHECKED_FROM: frozenset[Stage] = frozenset({Stage.CAM})
MAX_JUSTIFICATION = 2000


@dataclass(frozen=True)
class Evidence:
    stage: Stage
    stage_seq: int
    latest_assessment_seq: int | None  # stage_seq at which the latest assessment was made
    nnc_any_met: bool | None  # None: no NNC recorded yet
    justification: str = ""


@dataclass(frozen=True)
class Check:
    ok: bool
    message: str = ""
    needs_justification: bool = False


def check(evidence: Evidence, target: Stage) -> Check:
    label = STAGE_LABELS[evidence.stage]
    if evidence.latest_assessment_seq is None or (
        evidence.latest_assessment_seq < evidence.stage_seq
    ):
        when = (
            "No impact assessment has been recorded"
            if evidence.latest_assessment_seq is None
            else f"The latest impact assessment was made before the issue reached {label}"
        )
        return Check(
            False,
            f"{when}. The plan (2.4) evaluates the issue against the incident impact matrix at "
            f"each escalation stage: assess it at {label} first (/opss assess), then escalate "
            f"to {STAGE_LABELS[target]}.",
        )
    if evidence.stage in NNC_CHECKED_FROM and target is not Stage.MONITORING:
        if evidence.nnc_any_met is None:
            return Check(
                False,
                "No NNC assessment has been recorded. CAM considers whether the issue is "
                "nationally significant, novel or contentious before escalating (2.10-2.11): "
                "record it with /opss nnc.",
            )
        if not evidence.nnc_any_met:
            text = evidence.justification.strip()
            if not text:
                return Check(
                    False,
                    "None of the NNC criteria is met, and CAM generally escalates only where "
                    "one is (2.11). To escalate anyway, give a justification: "
                    '--justification "why".',
                    needs_justification=True,
                )
            if len(text) > MAX_JUSTIFICATION:
                return Check(
                    False,
                    f"Justification is over {MAX_JUSTIFICATION} characters.",
                    needs_justification=True,
                )
    return Check(True)
