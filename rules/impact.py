"""Incident impact matrix (plan Table 1, 2.4): eight indicators rated Low to Critical.

The overall rating is the highest indicator rating; Medium or above "would normally generate
some type of response" (2.4). High or Critical means DBT ERCO must be engaged (3.17).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from enum import IntEnum


class Level(IntEnum):
    LOW = 1
    MEDIUM = 2
    HIGH = 3
    CRITICAL = 4

    @property
    def label(self) -> str:
        return self.name.capitalize()

    @classmethod
    def parse(cls, text: str) -> Level:
        key = text.strip().upper()
        if key in cls.__members__:
            return cls[key]
        raise ValueError(text)


LEVEL_MEANINGS: dict[Level, str] = {
    Level.CRITICAL: "the potential consequences are such that strategies should immediately "
    "be developed to reduce or eliminate them",
    Level.HIGH: "the potential consequences are such that consideration should be given to "
    "strategies to reduce or eliminate them",
    Level.MEDIUM: "the potential consequences are less significant but should be monitored to "
    "ensure that they are being appropriately managed",
    Level.LOW: "the potential consequences may not be significant so require minimal "
    "monitoring and control",
}


NOT_APPLICABLE = "not_applicable"
NOT_APPLICABLE_WORDS = {NOT_APPLICABLE, "not applicable", "n/a", "na", "none"}


@dataclass(frozen=True)
class Indicator:
    key: str
    title: str
    cells: Mapping[Level, str]  # the plan's description for each level it allows
    # When the plan's heading implies the indicator may not apply, why (else empty).
    not_applicable: str = ""

    @property
    def levels(self) -> list[Level]:
        return sorted(self.cells)


INDICATORS: tuple[Indicator, ...] = (
    Indicator(
        "public_safety",
        "Nature and potential impact of the issue to the safety of the public",
        {
            Level.LOW: "A safety risk to the public exists, isolated examples of harm may have "
            "occurred, but this risk can be mitigated effectively.",
            Level.MEDIUM: "A member or members of the public have experienced moderate harm, or "
            "several related cases of more serious harm have occurred, or it is possible that "
            "it may be caused.",
            Level.HIGH: "A number of the public have been severely harmed or are likely to be "
            "severely harmed.",
            Level.CRITICAL: "Severe harm to large numbers of the public has been caused or is "
            "highly likely to be caused.",
        },
    ),
    Indicator(
        "non_compliance",
        "Nature and potential impact of non-compliance (no public safety issues)",
        {
            Level.LOW: "There has been/likely to be no or limited consumer detriment, "
            "environmental detriment and/or adverse impact on other businesses.",
            Level.MEDIUM: "There has been/likely to be a low level of consumer detriment, "
            "environmental detriment and/or adverse impact on other businesses.",
            Level.HIGH: "There has been/likely to be a significant level of consumer detriment, "
            "environmental detriment and/or adverse impact on other businesses.",
            # Critical is N/A in Table 1.
        },
        # Table 1 heads it "(no public safety issues)": for a safety issue it does not apply.
        not_applicable="A public safety issue: this indicator is for non-compliance with no "
        "public safety issue (Table 1).",
    ),
    Indicator(
        "remedial_action",
        "Remedial action (complexity)",
        {
            Level.LOW: "Remedial action is underway and is being well managed by the business, "
            "overseen by OPSS and/or other regulators.",
            Level.MEDIUM: "Remedial action is required that may be complex, require action by "
            "multiple businesses or where a business is not conducting the necessary urgent "
            "actions.",
            Level.HIGH: "Urgent remedial action is required that may necessitate action from a "
            "large number of businesses. Remedial action to reduce the risk being targeted may "
            "impact adversely on other types of risk.",
            Level.CRITICAL: "Urgent cross-government action required to make the necessary "
            "remedial action effective in reducing the risk.",
        },
    ),
    Indicator(
        "public_confidence",
        "Public confidence",
        {
            Level.LOW: "Short-term or low level of public concern.",
            Level.MEDIUM: "Increased concern and loss of public confidence.",
            Level.HIGH: "Significant national loss of confidence in the regulatory protection "
            "provided.",
            Level.CRITICAL: "Widespread loss of confidence in the regulatory protection provided "
            "and/or the integrity of the UK supply chain.",
        },
    ),
    Indicator(
        "media_interest",
        "Media interest",
        {
            Level.LOW: "None or short-lived interest requiring brief statement.",
            Level.MEDIUM: "Increasing interest requiring coordinated briefings and statements.",
            Level.HIGH: "Prolonged interest requiring significant media monitoring and frequent "
            "briefings and statements.",
            Level.CRITICAL: "Sustained national and/or international interest requiring clearance "
            "of statements beyond the government department with policy responsibility.",
        },
    ),
    Indicator(
        "reputational_risk",
        "Reputational risk to the policy owner",
        {
            Level.LOW: "No, or extremely limited risk to reputation.",
            Level.MEDIUM: "Potential for some impact to reputation.",
            Level.HIGH: "Serious impact to reputation.",
            Level.CRITICAL: "Sustained serious impact to reputation.",
        },
    ),
    Indicator(
        "financial_risk",
        "Financial risk to the policy owner",
        {
            Level.LOW: "Can be managed with no additional financial impact.",
            Level.MEDIUM: "Likely to involve limited additional expenditure within budget.",
            Level.HIGH: "Likely to involve large scale expenditure requiring additional funding.",
            Level.CRITICAL: "Likely to require significant additional funding.",
        },
    ),
    Indicator(
        "ministerial_interest",
        "Ministerial / Parliamentary interest",
        {
            Level.LOW: "None or short-lived interest requiring brief update or statement.",
            Level.MEDIUM: "Increasing interest requiring coordinated briefings.",
            Level.HIGH: "Prolonged interest requiring frequent briefings and potentially "
            "statements by Ministers and/or other Parliamentary business.",
            Level.CRITICAL: "Sustained interest requiring briefings and Parliamentary business "
            "beyond the government department with policy responsibility.",
        },
    ),
)

BY_KEY: dict[str, Indicator] = {i.key: i for i in INDICATORS}

# Short names accepted on the command line, e.g. ``media=high``.
ALIASES: dict[str, str] = {
    "safety": "public_safety",
    "noncompliance": "non_compliance",
    "non-compliance": "non_compliance",
    "remedial": "remedial_action",
    "confidence": "public_confidence",
    "media": "media_interest",
    "reputation": "reputational_risk",
    "reputational": "reputational_risk",
    "financial": "financial_risk",
    "finance": "financial_risk",
    "ministerial": "ministerial_interest",
    "parliamentary": "ministerial_interest",
}


@dataclass(frozen=True)
class ImpactResult:
    ratings: Mapping[str, Level]
    overall: Level  # the highest rating; an indicator that does not apply has none
    not_applicable: tuple[str, ...] = ()

    @property
    def stored(self) -> dict[str, str]:
        """The ratings as kept: a level's name, or NOT_APPLICABLE."""
        return {k: lv.name for k, lv in self.ratings.items()} | {
            k: NOT_APPLICABLE.upper() for k in self.not_applicable
        }

    @property
    def response_expected(self) -> bool:
        """2.4: Medium or above would normally generate some type of response."""
        return self.overall >= Level.MEDIUM

    @property
    def erco_required(self) -> bool:
        """3.17: engage DBT ERCO where the incident is, or could be, High or Critical."""
        return self.overall >= Level.HIGH


class ImpactError(ValueError):
    def __init__(self, errors: dict[str, str]) -> None:
        super().__init__("; ".join(f"{k}: {v}" for k, v in errors.items()))
        self.errors = errors


def indicator_key(name: str) -> str | None:
    key = name.strip().lower().replace(" ", "_")
    key = ALIASES.get(key, key)
    return key if key in BY_KEY else None


def evaluate(ratings: Mapping[str, str | Level]) -> ImpactResult:
    """Validate a full set of eight ratings and compute the overall rating."""
    errors: dict[str, str] = {}
    parsed: dict[str, Level] = {}
    not_applicable: list[str] = []
    for unknown in sorted(set(ratings) - set(BY_KEY)):
        errors[unknown] = "is not an indicator of the impact matrix"
    for indicator in INDICATORS:
        raw = ratings.get(indicator.key)
        na = " or not applicable" if indicator.not_applicable else ""
        if raw is None or raw == "":
            errors[indicator.key] = f"{indicator.title}: choose Low, Medium, High or Critical{na}"
            continue
        if not isinstance(raw, Level) and str(raw).strip().lower() in NOT_APPLICABLE_WORDS:
            if indicator.not_applicable:
                not_applicable.append(indicator.key)
            else:
                errors[indicator.key] = f"{indicator.title}: applies to every issue; choose a level"
            continue
        try:
            level = raw if isinstance(raw, Level) else Level.parse(str(raw))
        except ValueError:
            errors[indicator.key] = (
                f"{indicator.title}: '{raw}' is not a level; choose "
                + ", ".join(lv.label for lv in indicator.levels)
            )
            continue
        if level not in indicator.cells:
            errors[indicator.key] = f"{indicator.title}: Critical is N/A for this indicator"
            continue
        parsed[indicator.key] = level
    if errors:
        raise ImpactError(errors)
    return ImpactResult(
        ratings=parsed, overall=max(parsed.values()), not_applicable=tuple(not_applicable)
    )
