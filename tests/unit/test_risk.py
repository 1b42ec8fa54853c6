"""The risk tables against RISK-TABLES.md, cell by cell (the grids below are copied from that
file as text, independently of the code's tables), the seed's worked example and rules."""

from __future__ import annotations

from fractions import Fraction

import pytest
from hypothesis import given
from hypothesis import strategies as st

from rules import risk

OVERALL = """
likely     | Medium   | High   | Very high
possible   | Low      | Medium | High
improbable | Very low | Low    | Medium
"""
TABLE_A = """
Very high | High     | Very high | Very high
High      | Moderate | High      | Very high
Medium    | Low      | Moderate  | High
Low       | Very low | Low       | Moderate
Very low  | Very low | Very low  | Low
"""
TABLE_B = """
Very high | Serious  | Serious  | Serious  | Serious  | Serious  | Serious
High      | Serious  | Serious  | Serious  | Serious  | Serious  | Moderate
Moderate  | Serious  | Serious  | Serious  | Moderate | Moderate | Low
Low       | Serious  | Moderate | Moderate | Low      | Low      | Low
Very low  | Moderate | Low      | Low      | Low      | Low      | Low
"""
PRISM = """
> 50%         | High   | Serious | Serious | Serious
> 1/10        | Medium | Serious | Serious | Serious
> 1/100       | Medium | Serious | Serious | Serious
> 1/1,000     | Low    | High    | Serious | Serious
> 1/10,000    | Low    | Medium  | High    | Serious
> 1/100,000   | Low    | Low     | Medium  | High
> 1/1,000,000 | Low    | Low     | Low     | Medium
≤ 1/1,000,000 | Low    | Low     | Low     | Low
"""
SHARES = ("1", "10", "100")
SEVERITIES = ("slight", "serious", "very_serious")
COLUMNS = [k for k, _ in risk.EXPOSED]


def grid(text: str) -> list[list[str]]:
    return [[c.strip() for c in line.split("|")] for line in text.strip().splitlines()]


def cases(text: str, columns: list[str]) -> list[tuple[str, str, str]]:
    return [
        (row[0], col, cell)
        for row in grid(text)
        for col, cell in zip(columns, row[1:], strict=True)
    ]


@pytest.mark.parametrize(("exposure", "share", "expected"), cases(OVERALL, list(SHARES)))
def test_overall_probability_every_cell(exposure: str, share: str, expected: str) -> None:
    assert risk.OVERALL_PROBABILITY[(exposure, share)].label == expected


@pytest.mark.parametrize(("probability", "severity", "expected"), cases(TABLE_A, list(SEVERITIES)))
def test_table_a_every_cell(probability: str, severity: str, expected: str) -> None:
    p = risk.Probability[probability.upper().replace(" ", "_")]
    s = risk.Severity[severity.upper()]
    assert risk.TABLE_A[(p, s)].label == expected
    assert risk.TABLE_A[(p, s)] == max(0, min(4, p + s - 1))  # the stated rule


@pytest.mark.parametrize(("gravity", "column", "expected"), cases(TABLE_B, COLUMNS))
def test_table_b_every_cell(gravity: str, column: str, expected: str) -> None:
    g = risk.Gravity[gravity.upper().replace(" ", "_")]
    assert risk.TABLE_B[(g, column)].label == f"{expected} risk"


@pytest.mark.parametrize(("row", "column", "expected"), cases(PRISM, ["1", "2", "3", "4"]))
def test_prism_matrix_every_cell(row: str, column: str, expected: str) -> None:
    assert risk.PRISM_MATRIX[row][int(column) - 1].label == expected


def test_chain_saw_example_is_a_serious_risk() -> None:
    # Hazard on all products, may occur under certain conditions; severity Serious; adult,
    # obvious hazard, inadequate guard.
    result = risk.annex_i("100", "possible", "serious", "adult_inadequate_obvious")
    assert [s.result for s in result.path] == ["High", "gravity High", "Serious risk"]
    assert result.serious
    assert "Reg 33(4)" in result.meaning
    assert result.method == "GPSR 2005 Annex I"


def test_moderate_gravity_without_safeguards_and_not_obvious_is_serious() -> None:
    assert (
        risk.TABLE_B[(risk.Gravity.MODERATE, "adult_inadequate_not_obvious")] is risk.Grade.SERIOUS
    )


def test_high_gravity_with_safeguards_and_obvious_is_not_serious() -> None:
    assert risk.TABLE_B[(risk.Gravity.HIGH, "adult_adequate_obvious")] is not risk.Grade.SERIOUS


def test_unknown_input_names_the_field() -> None:
    with pytest.raises(risk.RiskError) as caught:
        risk.annex_i("50", "possible", "serious", "vulnerable")
    assert caught.value.field == "hazardous"
    assert "1, 10, 100" in caught.value.message


# Worse inputs, in order from best to worst, for monotonicity.
WORSE_EXPOSED = [
    "adult_adequate_obvious",
    "adult_adequate_not_obvious",
    "adult_inadequate_obvious",
    "adult_inadequate_not_obvious",
    "vulnerable",
    "very_vulnerable",
]


@given(
    st.integers(0, 2),
    st.integers(0, 2),
    st.integers(0, 2),
    st.integers(0, 5),
    st.sampled_from(["share", "exposure", "severity", "exposed"]),
)
def test_a_worse_input_never_gives_a_lower_grade(
    share: int, exposure: int, severity: int, exposed: int, worse: str
) -> None:
    exposures = ["improbable", "possible", "likely"]

    def grade(sh: int, ex: int, sv: int, ed: int) -> risk.Grade:
        result = risk.annex_i(SHARES[sh], exposures[ex], SEVERITIES[sv], WORSE_EXPOSED[ed])
        return risk.Grade[result.level.split()[0].upper()]

    base = grade(share, exposure, severity, exposed)
    bumped = {
        "share": (min(share + 1, 2), exposure, severity, exposed),
        "exposure": (share, min(exposure + 1, 2), severity, exposed),
        "severity": (share, exposure, min(severity + 1, 2), exposed),
        "exposed": (share, exposure, severity, min(exposed + 1, 5)),
    }[worse]
    assert grade(*bumped) >= base


def test_table_b_adequacy_and_obviousness_are_monotone_separately() -> None:
    for g in risk.Gravity:
        b = risk.TABLE_B
        # Less adequate safeguards never lower the grade, nor does a less obvious hazard.
        assert b[(g, "adult_inadequate_obvious")] >= b[(g, "adult_adequate_obvious")]
        assert b[(g, "adult_inadequate_not_obvious")] >= b[(g, "adult_adequate_not_obvious")]
        assert b[(g, "adult_adequate_not_obvious")] >= b[(g, "adult_adequate_obvious")]
        assert b[(g, "adult_inadequate_not_obvious")] >= b[(g, "adult_inadequate_obvious")]


@given(st.integers(1, 4), st.integers(1, 4), st.fractions(Fraction(1, 10**8), 1))
def test_prism_higher_severity_or_probability_never_lowers(s1: int, s2: int, p: Fraction) -> None:
    lo, hi = sorted((s1, s2))

    def level(sev: int, prob: Fraction) -> risk.PrismLevel:
        return risk.PRISM_MATRIX[risk.band(prob)][sev - 1]

    assert level(hi, p) >= level(lo, p)
    assert level(lo, min(Fraction(1), p * 2)) >= level(lo, p)


@pytest.mark.parametrize(
    ("probability", "row"),
    [
        (Fraction(1, 1_000_000), "≤ 1/1,000,000"),  # exactly one in a million: the last row
        (Fraction(1, 999_999), "> 1/1,000,000"),
        (Fraction(1, 100_000), "> 1/1,000,000"),
        (Fraction(1, 99_999), "> 1/100,000"),
        (Fraction(1, 10_000), "> 1/100,000"),
        (Fraction(1, 1_000), "> 1/10,000"),
        (Fraction(1, 100), "> 1/1,000"),
        (Fraction(1, 10), "> 1/100"),
        (Fraction(1, 2), "> 1/10"),  # exactly 50% is not "> 50%"
        (Fraction(1, 2) + Fraction(1, 10**9), "> 50%"),
        (Fraction(1), "> 50%"),
    ],
)
def test_prism_band_edges_are_strict(probability: Fraction, row: str) -> None:
    assert risk.band(probability) == row


def test_prism_multiplies_the_steps_and_takes_the_highest_scenario() -> None:
    steps = tuple(
        (what, risk.parse_probability(p))
        for what, p in (
            ("faulty joint", "1 in 100"),
            ("gas escapes", "1 in 10"),
            ("ignition", "10%"),
        )
    )
    first = risk.Scenario(4, steps)  # 1 in 10,000 exactly: band > 1/100,000, severity 4: High
    second = risk.Scenario(2, ((("burn", risk.parse_probability("1/50"))),))  # Serious
    result = risk.prism([first, second])
    assert result.path[0].row.startswith("1 in 100 × 1 in 10 × 1 in 10 = 1 in 10,000")
    assert result.path[0].result == "High"
    assert result.path[1].result == "Serious"
    assert result.level == "Serious" and result.serious
    assert "PRISM" in result.method


@pytest.mark.parametrize("text", ["", "2", "1 in 0", "-5%", "a lot"])
def test_bad_probabilities_are_refused(text: str) -> None:
    with pytest.raises(ValueError):
        risk.parse_probability(text)
