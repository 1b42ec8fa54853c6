"""NNC criteria (plan 2.10-2.11): Nationally significant, Novel, Contentious.

Each is yes/no with a rationale. CAM generally escalates product-safety issues only where at
least one is met; where none is met, escalation needs a recorded justification.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

CRITERIA: tuple[tuple[str, str, str], ...] = (
    (
        "nationally_significant",
        "Nationally significant",
        "The resourcing and/or expertise needed to investigate is beyond the capacity of an LA, "
        "there is a high level of public concern and national interest.",
    ),
    (
        "novel",
        "Novel",
        "The risks of the usage of a product are unknown and unquantified.",
    ),
    (
        "contentious",
        "Contentious",
        "A single, centrally delivered answer is required to minimise the potential for dispute "
        "between industry, regulator, and other stakeholders.",
    ),
)

MAX_RATIONALE = 2000


@dataclass(frozen=True)
class Criterion:
    key: str
    met: bool
    rationale: str


@dataclass(frozen=True)
class NncResult:
    criteria: tuple[Criterion, ...]

    @property
    def any_met(self) -> bool:
        return any(c.met for c in self.criteria)

    @property
    def met_labels(self) -> list[str]:
        names = {k: label for k, label, _ in CRITERIA}
        return [names[c.key] for c in self.criteria if c.met]


class NncError(ValueError):
    def __init__(self, errors: dict[str, str]) -> None:
        super().__init__("; ".join(errors.values()))
        self.errors = errors


_YES = {"yes", "y", "true", "1", "met", "on"}
_NO = {"no", "n", "false", "0", "not met", "off", ""}


def parse_flag(value: object) -> bool | None:
    if isinstance(value, bool):
        return value
    text = str(value).strip().lower()
    if text in _YES:
        return True
    if text in _NO:
        return False
    return None


def evaluate(values: Mapping[str, object]) -> NncResult:
    """``values`` holds ``<key>`` (yes/no) and ``<key>_rationale`` for each criterion."""
    errors: dict[str, str] = {}
    out: list[Criterion] = []
    for key, label, _ in CRITERIA:
        met = parse_flag(values.get(key, False))
        if met is None:
            errors[key] = f"{label}: answer yes or no"
            continue
        rationale = str(values.get(f"{key}_rationale", "") or "").strip()
        if not rationale:
            errors[f"{key}_rationale"] = f"{label}: give the rationale for your answer"
        elif len(rationale) > MAX_RATIONALE:
            errors[f"{key}_rationale"] = f"{label}: rationale is over {MAX_RATIONALE} characters"
        out.append(Criterion(key, met, rationale))
    if errors:
        raise NncError(errors)
    return NncResult(tuple(out))
