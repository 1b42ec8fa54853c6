"""The incident impact matrix (plan Table 1, 2.4, 3.17)."""

from __future__ import annotations

import pytest

from commands.issue.forms import impact_form
from rules import impact
from rules.impact import INDICATORS, ImpactError, Level, evaluate
from tests.conftest import ALL_INDICATORS, ratings


def test_eight_indicators_in_the_plans_order() -> None:
    assert tuple(i.key for i in INDICATORS) == ALL_INDICATORS


def test_non_compliance_has_no_critical_and_the_rest_do() -> None:
    for ind in INDICATORS:
        expected = [Level.LOW, Level.MEDIUM, Level.HIGH]
        if ind.key != "non_compliance":
            expected.append(Level.CRITICAL)
        assert ind.levels == expected


def test_the_plans_cell_texts_are_shown_in_the_form() -> None:
    form = impact_form("ISS-2026-0001", "CAM")
    safety = form.field("public_safety")
    titles = [c.full_title for c in safety.choices]
    assert titles[3] == (
        "Critical: Severe harm to large numbers of the public has been caused or is highly "
        "likely to be caused."
    )
    assert [c.value for c in form.field("non_compliance").choices] == [
        "low",
        "medium",
        "high",
        "not_applicable",  # Table 1 heads it "(no public safety issues)"
    ]
    assert "not_applicable" not in [c.value for c in form.field("public_safety").choices]


def test_non_compliance_may_be_not_applicable_and_stays_out_of_the_overall() -> None:
    result = evaluate(ratings("low", non_compliance="not_applicable"))
    assert result.overall is Level.LOW and "non_compliance" not in result.ratings
    assert result.stored["non_compliance"] == "NOT_APPLICABLE"
    assert evaluate(ratings("medium", non_compliance="n/a")).overall is Level.MEDIUM
    with pytest.raises(ImpactError) as refused:
        evaluate(ratings("low", public_safety="not_applicable"))
    assert "public_safety" in refused.value.errors


@pytest.mark.parametrize("worst", ["low", "medium", "high", "critical"])
def test_overall_is_the_highest_indicator(worst: str) -> None:
    result = evaluate(ratings("low", media_interest=worst))
    assert result.overall is Level[worst.upper()]


def test_medium_or_above_expects_a_response_and_high_needs_erco() -> None:
    low, medium, high = (evaluate(ratings(x)) for x in ("low", "medium", "high"))
    assert (low.response_expected, medium.response_expected, high.response_expected) == (
        False,
        True,
        True,
    )
    assert (low.erco_required, medium.erco_required, high.erco_required) == (False, False, True)


def test_critical_non_compliance_is_refused_by_name() -> None:
    with pytest.raises(impact.ImpactError) as err:
        evaluate(ratings("low", non_compliance="critical"))
    assert "non_compliance" in err.value.errors
    assert "N/A" in err.value.errors["non_compliance"]


def test_every_indicator_must_be_rated() -> None:
    partial = ratings("low")
    del partial["financial_risk"]
    with pytest.raises(impact.ImpactError) as err:
        evaluate(partial)
    assert list(err.value.errors) == ["financial_risk"]


def test_unknown_level_names_the_indicator() -> None:
    with pytest.raises(impact.ImpactError) as err:
        evaluate(ratings("low", media_interest="huge"))
    assert "'huge' is not a level" in err.value.errors["media_interest"]


def test_short_names_are_accepted() -> None:
    assert impact.indicator_key("media") == "media_interest"
    assert impact.indicator_key("Public safety") == "public_safety"
    assert impact.indicator_key("weather") is None
