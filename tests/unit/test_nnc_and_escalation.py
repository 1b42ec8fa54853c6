"""NNC criteria (2.10-2.11) and the preconditions of an escalation (2.4)."""

from __future__ import annotations

import pytest

from rules import nnc
from rules.escalation import Evidence, check
from rules.lifecycle import Stage


def answers(**met: bool) -> dict[str, object]:
    out: dict[str, object] = {}
    for key, _, _ in nnc.CRITERIA:
        out[key] = met.get(key, False)
        out[f"{key}_rationale"] = f"because {key}"
    return out


def test_any_criterion_met() -> None:
    assert not nnc.evaluate(answers()).any_met
    result = nnc.evaluate(answers(novel=True))
    assert result.any_met and result.met_labels == ["Novel"]


def test_each_answer_needs_a_rationale() -> None:
    values = answers(contentious=True)
    values["contentious_rationale"] = "  "
    with pytest.raises(nnc.NncError) as err:
        nnc.evaluate(values)
    assert list(err.value.errors) == ["contentious_rationale"]


def test_yes_no_words() -> None:
    assert nnc.parse_flag("Yes") is True and nnc.parse_flag("no") is False
    assert nnc.parse_flag("perhaps") is None


def ev(
    seq: int,
    assessed: int | None,
    nnc_met: bool | None,
    stage: Stage = Stage.CAM,
    justification: str = "",
) -> Evidence:
    return Evidence(stage, seq, assessed, nnc_met, justification)


def test_escalation_needs_an_assessment_at_the_current_rung() -> None:
    assert not check(ev(2, None, True), Stage.TTG).ok
    stale = check(ev(2, 1, True), Stage.TTG)
    assert not stale.ok and "before the issue reached CAM" in stale.message
    assert check(ev(2, 2, True), Stage.TTG).ok


def test_cam_needs_nnc_and_a_justification_when_none_is_met() -> None:
    assert "No NNC" in check(ev(2, 2, None), Stage.TTG).message
    refused = check(ev(2, 2, False), Stage.TTG)
    assert not refused.ok and refused.needs_justification
    assert check(ev(2, 2, False, justification="Ministers asked"), Stage.TTG).ok


def test_nnc_is_not_asked_below_cam() -> None:
    assert check(ev(1, 1, None, stage=Stage.FTL_ASSESSMENT), Stage.CAM).ok
