"""Risk assessment of a product: the two methods OPSS uses, as tables (data, not ``if`` chains).

- **Annex I** of the GPSR 2005 notification guidance: overall probability, Table A (gravity of
  outcome), Table B (grading of risk by who is exposed). The seed's Tables A and B were
  damaged in conversion; the grids here are the ones fixed in ``RISK-TABLES.md`` from the
  surviving columns and the three rules the seed states.
- **PRISM** (the current UK method, the same matrix as EU Decision 2019/417): severity 1-4,
  the probability of each step of a harm scenario multiplied into one, then the matrix.

Each table carries its source line, shown with every result so a reader can check it.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import IntEnum
from fractions import Fraction

# Annex I ----------------------------------------------------------------------------------


class Probability(IntEnum):
    VERY_LOW = 0
    LOW = 1
    MEDIUM = 2
    HIGH = 3
    VERY_HIGH = 4

    @property
    def label(self) -> str:
        return self.name.replace("_", " ").capitalize()


class Gravity(IntEnum):
    VERY_LOW = 0
    LOW = 1
    MODERATE = 2
    HIGH = 3
    VERY_HIGH = 4

    @property
    def label(self) -> str:
        return self.name.replace("_", " ").capitalize()


class Severity(IntEnum):
    SLIGHT = 0
    SERIOUS = 1
    VERY_SERIOUS = 2

    @property
    def label(self) -> str:
        return self.name.replace("_", " ").capitalize()


class Grade(IntEnum):
    LOW = 0
    MODERATE = 1
    SERIOUS = 2

    @property
    def label(self) -> str:
        return {0: "Low risk", 1: "Moderate risk", 2: "Serious risk"}[int(self)]


# The probability that a product is hazardous (columns of the overall-probability table).
HAZARDOUS_SHARES: tuple[tuple[str, str], ...] = (
    ("1", "1% of products"),
    ("10", "10% of products"),
    ("100", "100% (all products)"),
)
# The probability of damage under regular exposure to a hazardous product (its rows).
EXPOSURES: tuple[tuple[str, str], ...] = (
    ("likely", "Hazard always present; damage likely in foreseeable use"),
    ("possible", "Hazard occurs under one improbable or two possible conditions"),
    ("improbable", "Hazard occurs only if several improbable conditions are met"),
)
# Annex I: "A grading should be established specifically for each type of hazard", and its
# footnote gives one only "As an example, for certain mechanical risks": the labels say so.
SEVERITY_HELP = (
    "A grading should be established specifically for each type of hazard (Annex I); the "
    "examples are the guidance's for certain mechanical risks."
)
SEVERITIES: tuple[tuple[str, str], ...] = (
    ("slight", "Slight (e.g. mechanical: minor cuts; <2% incapacity, usually reversible)"),
    ("serious", "Serious (e.g. mechanical: fractures, serious cuts; 2-15% incapacity)"),
    ("very_serious", "Very serious (e.g. mechanical: loss of limbs or sight; >15% incapacity)"),
)
# Table B's columns: who is exposed and, for adults, warnings/safeguards and obviousness.
EXPOSED: tuple[tuple[str, str], ...] = (
    ("very_vulnerable", "Very vulnerable (blind, severely disabled, very old, under 3)"),
    ("vulnerable", "Vulnerable (partially sighted or disabled, elderly, aged 3-11)"),
    ("adult_inadequate_not_obvious", "Adult; warnings/safeguards not adequate; not obvious"),
    ("adult_inadequate_obvious", "Adult; warnings/safeguards not adequate; hazard obvious"),
    ("adult_adequate_not_obvious", "Adult; warnings/safeguards adequate; not obvious"),
    ("adult_adequate_obvious", "Adult; warnings/safeguards adequate; hazard obvious"),
)

P, G, R = Probability, Gravity, Grade

OVERALL_PROBABILITY_SOURCE = (
    "GPSR 2005 notification guidance, Annex I, 'Overall Probability' table (verbatim)"
)
OVERALL_PROBABILITY: dict[tuple[str, str], Probability] = {
    ("likely", "1"): P.MEDIUM,
    ("likely", "10"): P.HIGH,
    ("likely", "100"): P.VERY_HIGH,
    ("possible", "1"): P.LOW,
    ("possible", "10"): P.MEDIUM,
    ("possible", "100"): P.HIGH,
    ("improbable", "1"): P.VERY_LOW,
    ("improbable", "10"): P.LOW,
    ("improbable", "100"): P.MEDIUM,
}

TABLE_A_SOURCE = (
    "GPSR 2005 guidance, Annex I, Table A, as restored in RISK-TABLES.md "
    "(gravity = clamp(probability + severity - 1, 0, 4))"
)
TABLE_A: dict[tuple[Probability, Severity], Gravity] = {
    (P.VERY_HIGH, Severity.SLIGHT): G.HIGH,
    (P.VERY_HIGH, Severity.SERIOUS): G.VERY_HIGH,
    (P.VERY_HIGH, Severity.VERY_SERIOUS): G.VERY_HIGH,
    (P.HIGH, Severity.SLIGHT): G.MODERATE,
    (P.HIGH, Severity.SERIOUS): G.HIGH,
    (P.HIGH, Severity.VERY_SERIOUS): G.VERY_HIGH,
    (P.MEDIUM, Severity.SLIGHT): G.LOW,
    (P.MEDIUM, Severity.SERIOUS): G.MODERATE,
    (P.MEDIUM, Severity.VERY_SERIOUS): G.HIGH,
    (P.LOW, Severity.SLIGHT): G.VERY_LOW,
    (P.LOW, Severity.SERIOUS): G.LOW,
    (P.LOW, Severity.VERY_SERIOUS): G.MODERATE,
    (P.VERY_LOW, Severity.SLIGHT): G.VERY_LOW,
    (P.VERY_LOW, Severity.SERIOUS): G.VERY_LOW,
    (P.VERY_LOW, Severity.VERY_SERIOUS): G.LOW,
}

TABLE_B_SOURCE = (
    "GPSR 2005 guidance, Annex I, Table B, as built in RISK-TABLES.md from the seed's three "
    "stated rules (score = gravity + column weight; 3+ Serious, 2 Moderate, 1 or less Low)"
)
_B_COLUMNS = tuple(key for key, _ in EXPOSED)
_B_ROWS: dict[Gravity, tuple[Grade, ...]] = {
    G.VERY_HIGH: (R.SERIOUS, R.SERIOUS, R.SERIOUS, R.SERIOUS, R.SERIOUS, R.SERIOUS),
    G.HIGH: (R.SERIOUS, R.SERIOUS, R.SERIOUS, R.SERIOUS, R.SERIOUS, R.MODERATE),
    G.MODERATE: (R.SERIOUS, R.SERIOUS, R.SERIOUS, R.MODERATE, R.MODERATE, R.LOW),
    G.LOW: (R.SERIOUS, R.MODERATE, R.MODERATE, R.LOW, R.LOW, R.LOW),
    G.VERY_LOW: (R.MODERATE, R.LOW, R.LOW, R.LOW, R.LOW, R.LOW),
}
TABLE_B: dict[tuple[Gravity, str], Grade] = {
    (gravity, column): grade
    for gravity, grades in _B_ROWS.items()
    for column, grade in zip(_B_COLUMNS, grades, strict=True)
}

# What a grade means for an authority. Annex I "is presented here in order to assist companies
# in assessing the level of a risk and deciding whether a notification to the authorities is
# necessary": its "Notification required" / "Notification unlikely" are a business's (Reg 9).
# An authority's duties are in the guidance's sections 2 and 3:
# - section 2: a RAPEX notification when a product "presents a serious risk to consumers";
#   "Measures and actions related to risks where the effects cannot go beyond the UK are
#   excluded from the scope of RAPEX (though may still require some Safeguard action). However,
#   notifications can still be made on a 'for information only' basis in such cases ...";
# - section 3: "Where measures are taken to restrict the placing on the market of products, or
#   require their withdrawal or recall, but the risk is not considered to be serious, there is
#   a requirement to notify the measures" (Reg 33(2)); "If the enforcement authority considers
#   that the effects of the risk do not, or cannot, go beyond the UK a notification need not be
#   made".
SERIOUS_BEYOND_UK = (
    "For an authority: a Reg 33(4) (RAPEX) notification is required once measures are decided "
    "or voluntary action agreed (10 calendar days; 3 if emergency action is required); before "
    "measures it may be notified as an 'other action', for information only (guidance "
    "section 2)."
)
SERIOUS_UK_ONLY = (
    "For an authority: its effects cannot go beyond the UK, so it is excluded from the scope of "
    "RAPEX (though may still require some Safeguard action); a notification can still be made "
    "'for information only' where the information could be of value to the Commission and "
    "other Member States (guidance section 2)."
)
NOT_SERIOUS_BEYOND_UK = (
    "For an authority: not a serious risk, so measures that restrict the placing on the market, "
    "or require withdrawal or recall, are notified under Reg 33(2) within 15 calendar days of "
    "the decision (guidance section 3)."
)
NOT_SERIOUS_UK_ONLY = (
    "For an authority: not a serious risk and its effects do not, or cannot, go beyond the UK, "
    "so a Reg 33(2) notification need not be made, though some information on the case may be "
    "of value to the Commission and other Member States (guidance section 3)."
)
# Table B's own words, for businesses deciding whether to notify the authorities.
BUSINESS_WORDS: dict[Grade, str] = {
    R.SERIOUS: "SERIOUS RISK – Notification required",
    R.MODERATE: "Moderate risk – Notification required",
    R.LOW: "Low risk – Notification unlikely",
}


def authority_meaning(serious: bool, beyond_uk: bool) -> str:
    if serious:
        return SERIOUS_BEYOND_UK if beyond_uk else SERIOUS_UK_ONLY
    return NOT_SERIOUS_BEYOND_UK if beyond_uk else NOT_SERIOUS_UK_ONLY


def annex_i_meaning(grade: Grade, beyond_uk: bool) -> str:
    return (
        f"{authority_meaning(grade is R.SERIOUS, beyond_uk)} For a business, Annex I's Table B "
        f"reads: {BUSINESS_WORDS[grade]}."
    )


@dataclass(frozen=True)
class Step:
    """One step of the path through the tables: which table, row and column, and the result."""

    table: str
    row: str
    column: str
    result: str
    source: str


@dataclass(frozen=True)
class Result:
    method: str
    level: str  # the method's own level name: "Serious risk", "High" ...
    serious: bool  # serious risk: RAPEX / Reg 33(4)
    path: tuple[Step, ...]
    meaning: str

    def describe(self) -> str:
        steps = "; ".join(f"{s.table}: {s.row} × {s.column} → {s.result}" for s in self.path)
        return f"{self.method}: {self.level}. {steps}. {self.meaning}"


class RiskError(ValueError):
    """An input is not one of the table's values: ``field`` names it."""

    def __init__(self, field: str, message: str) -> None:
        super().__init__(message)
        self.field = field
        self.message = message


ANNEX_I = "GPSR 2005 Annex I"
PRISM = "PRISM (EU 2019/417)"


def _label(options: tuple[tuple[str, str], ...], key: str) -> str:
    return dict(options)[key]


OBVIOUS_TO_NOT_OBVIOUS = {
    "adult_inadequate_obvious": "adult_inadequate_not_obvious",
    "adult_adequate_obvious": "adult_adequate_not_obvious",
}
ANNEX_I_TEXT = "GPSR 2005 guidance, Annex I"


def annex_i(
    hazardous: str,
    exposure: str,
    severity: str,
    exposed: str,
    *,
    beyond_uk: bool = True,
    several: bool = False,
    identifiable: bool = False,
    necessary: bool = True,
) -> Result:
    """Overall probability, then Table A, then Table B, with Annex I's adjustments:

    - ``identifiable``: "Where the guide refers to the probability of a product being
      defective, this should not be applied if it is possible to identify each one of the
      defective samples. In this situation, the users of the defective products are exposed to
      the full risk and the users of the other products to no risk." (Overall Probability)
    - ``several``: "the risk from a product which could pose a risk to more than one person at
      a time (e.g. fire or gas poisoning from a gas appliance) should be classified as more
      severe than a hazard which can only affect one person." (Severity of injury)
    - ``necessary``: "The adjustment of the seriousness of risk for non-vulnerable adults
      should only apply if the hazard is obvious and necessary for the function of the
      product." (Normal adults): an obvious hazard not necessary for the function is graded as
      one that is not obvious.
    - ``beyond_uk``: whether the effects of the risk can go beyond the UK (what it means for an
      authority; guidance sections 2 and 3).
    """
    checks = (
        ("hazardous", hazardous, HAZARDOUS_SHARES, "the share of products that are hazardous"),
        ("exposure", exposure, EXPOSURES, "the probability of damage under regular exposure"),
        ("severity", severity, SEVERITIES, "the severity"),
        ("exposed", exposed, EXPOSED, "who is exposed"),
    )
    for field, value, options, what in checks:
        if value not in dict(options):
            allowed = ", ".join(k for k, _ in options)
            raise RiskError(field, f"{what.capitalize()}: '{value}' is not one of {allowed}")
    path: list[Step] = []
    share = hazardous
    if identifiable and hazardous != "100":
        share = "100"
        path.append(
            Step(
                "Defective samples identifiable",
                _label(HAZARDOUS_SHARES, hazardous),
                "users of the defective products exposed to the full risk",
                _label(HAZARDOUS_SHARES, share),
                f"{ANNEX_I_TEXT}, 'Overall Probability'",
            )
        )
    probability = OVERALL_PROBABILITY[(exposure, share)]
    given = Severity[severity.upper()]
    sev = Severity(min(given + 1, Severity.VERY_SERIOUS)) if several else given
    if sev is not given:
        path.append(
            Step(
                "More than one person at a time",
                f"severity {given.label}",
                "classified as more severe",
                f"severity {sev.label}",
                f"{ANNEX_I_TEXT}, 'Severity of injury'",
            )
        )
    column = exposed
    if not necessary and exposed in OBVIOUS_TO_NOT_OBVIOUS:
        column = OBVIOUS_TO_NOT_OBVIOUS[exposed]
        path.append(
            Step(
                "Hazard not necessary for the function",
                _label(EXPOSED, exposed),
                "no adjustment for an obvious hazard",
                _label(EXPOSED, column),
                f"{ANNEX_I_TEXT}, 'Normal adults'",
            )
        )
    gravity = TABLE_A[(probability, sev)]
    grade = TABLE_B[(gravity, column)]
    path += [
        Step(
            "Overall probability",
            _label(EXPOSURES, exposure),
            _label(HAZARDOUS_SHARES, share),
            probability.label,
            OVERALL_PROBABILITY_SOURCE,
        ),
        Step(
            "Table A",
            f"probability {probability.label}",
            f"severity {sev.label}",
            f"gravity {gravity.label}",
            TABLE_A_SOURCE,
        ),
        Step(
            "Table B",
            f"gravity {gravity.label}",
            _label(EXPOSED, column),
            grade.label,
            TABLE_B_SOURCE,
        ),
    ]
    return Result(
        ANNEX_I, grade.label, grade is R.SERIOUS, tuple(path), annex_i_meaning(grade, beyond_uk)
    )


# PRISM / EU 2019/417 ----------------------------------------------------------------------


class PrismLevel(IntEnum):
    LOW = 0
    MEDIUM = 1
    HIGH = 2
    SERIOUS = 3

    @property
    def label(self) -> str:
        return self.name.capitalize()


PRISM_SOURCE = (
    "PRISM / Commission Implementing Decision (EU) 2019/417, risk matrix (RISK-TABLES.md B)"
)
PRISM_SEVERITIES: tuple[tuple[str, str], ...] = (
    ("1", "1: first aid, reversible"),
    ("2", "2: A&E may be needed; recovery within about six months"),
    ("3", "3: hospitalised; effects beyond six months or permanent loss of function"),
    ("4", "4: could be fatal; affects reproduction; more than about 10% disability"),
)
# Each band is "probability greater than" its bound (strict); below the last, the last row.
PRISM_BANDS: tuple[tuple[Fraction, str], ...] = (
    (Fraction(1, 2), "> 50%"),
    (Fraction(1, 10), "> 1/10"),
    (Fraction(1, 100), "> 1/100"),
    (Fraction(1, 1_000), "> 1/1,000"),
    (Fraction(1, 10_000), "> 1/10,000"),
    (Fraction(1, 100_000), "> 1/100,000"),
    (Fraction(1, 1_000_000), "> 1/1,000,000"),
)
LAST_BAND = "≤ 1/1,000,000"
_L, _M, _H, _S = PrismLevel.LOW, PrismLevel.MEDIUM, PrismLevel.HIGH, PrismLevel.SERIOUS
PRISM_MATRIX: dict[str, tuple[PrismLevel, PrismLevel, PrismLevel, PrismLevel]] = {
    "> 50%": (_H, _S, _S, _S),
    "> 1/10": (_M, _S, _S, _S),
    "> 1/100": (_M, _S, _S, _S),
    "> 1/1,000": (_L, _H, _S, _S),
    "> 1/10,000": (_L, _M, _H, _S),
    "> 1/100,000": (_L, _L, _M, _H),
    "> 1/1,000,000": (_L, _L, _L, _M),
    LAST_BAND: (_L, _L, _L, _L),
}


def prism_meaning(level: PrismLevel, beyond_uk: bool) -> str:
    return authority_meaning(level is _S, beyond_uk)


def band(probability: Fraction) -> str:
    for bound, label in PRISM_BANDS:
        if probability > bound:
            return label
    return LAST_BAND


def parse_probability(text: str) -> Fraction:
    """'1 in 20', '1/20', '5%', '0.05' or '1' as an exact fraction in (0, 1]."""
    raw = text.strip().lower().replace(",", "")
    try:
        if " in " in raw:
            top, bottom = raw.split(" in ", 1)
            value = Fraction(top.strip()) / Fraction(bottom.strip())
        elif raw.endswith("%"):
            value = Fraction(raw[:-1].strip()) / 100
        else:
            value = Fraction(raw)
    except (ValueError, ZeroDivisionError) as exc:
        raise ValueError(f"'{text}' is not a probability; write '1 in 20', '5%' or 0.05") from exc
    if not 0 < value <= 1:
        raise ValueError(f"'{text}' is not a probability between 0 and 1")
    return value


def scenario_probability(steps: list[Fraction]) -> Fraction:
    out = Fraction(1)
    for step in steps:
        out *= step
    return out


def one_in(probability: Fraction) -> str:
    """A step's probability as people say it: "1 in 20"; above one half as a percentage
    ("75%", not "1 in 1"); "1 in 2.5" rather than a rounding that changes the band."""
    if probability > Fraction(1, 2):  # PRISM's top band, "> 50%": 1 (certain) is "100%"
        return f"{float(probability) * 100:.3g}%"
    n = 1 / probability
    if n.denominator == 1:
        return f"1 in {n.numerator:,}"
    if n < 100:
        return f"1 in {float(n):.3g}"
    return f"1 in {round(float(n)):,}"


@dataclass(frozen=True)
class Scenario:
    severity: int  # 1-4
    steps: tuple[tuple[str, Fraction], ...]  # (what happens, its probability)


def prism(scenarios: list[Scenario], *, beyond_uk: bool = True) -> Result:
    """Each scenario's steps multiplied, its band and level; the highest risk wins."""
    if not scenarios:
        raise RiskError("steps_1", "Give at least one harm scenario with its steps")
    best: tuple[PrismLevel, int, Step, Fraction] | None = None
    path: list[Step] = []
    for number, scenario in enumerate(scenarios, start=1):
        if scenario.severity not in (1, 2, 3, 4):
            raise RiskError(f"severity_{number}", f"Severity: '{scenario.severity}' is not 1-4")
        if not scenario.steps:
            raise RiskError(f"steps_{number}", f"Scenario {number}: give at least one step")
        probability = scenario_probability([p for _, p in scenario.steps])
        row = band(probability)
        level = PRISM_MATRIX[row][scenario.severity - 1]
        steps = " × ".join(one_in(p) for _, p in scenario.steps)
        path.append(
            Step(
                f"Scenario {number}",
                f"{steps} = {one_in(probability)} (band {row})",
                f"severity {scenario.severity}",
                level.label,
                PRISM_SOURCE,
            )
        )
        if best is None or level > best[0]:
            best = (level, number, path[-1], probability)
    assert best is not None
    level = best[0]
    if len(scenarios) > 1:
        path.append(
            Step("Highest risk", f"scenario {best[1]}", "of the scenarios", level.label, "")
        )
    return Result(PRISM, level.label, level is _S, tuple(path), prism_meaning(level, beyond_uk))
