"""The seed documents, read by tests that quote them: a quoted sentence must be in the seed
word for word (whitespace aside), so a test's expected values come from the text it cites."""

from __future__ import annotations

import re
from functools import cache
from pathlib import Path

SEEDS = Path(__file__).resolve().parents[3] / "shared" / "seeds"
GUIDANCE = "gpsr-2005-notification-guidance-for-local-authorities.txt"
PLAN = "opss-incident-management-plan-v5-2024.txt"
RISK_TABLES = "../RISK-TABLES.md"
DOMAIN = "../DOMAIN.md"


@cache
def _text(name: str) -> str:
    path = SEEDS / name
    if not path.exists():
        from tests.conftest import missing

        missing(f"the seed {name} is not at {path} (shared/ beside the clone)")
    return _squash(path.read_text(encoding="utf-8"))


def _squash(text: str) -> str:
    return re.sub(r"\s+", " ", text.replace("*", "")).strip()


def guidance_says(sentence: str) -> str:
    """The sentence, after checking the guidance holds it verbatim."""
    assert _squash(sentence) in _text(GUIDANCE), f"not in the guidance: {sentence!r}"
    return sentence


def plan_says(sentence: str) -> str:
    assert _squash(sentence) in _text(PLAN), f"not in the plan: {sentence!r}"
    return sentence


def domain_says(sentence: str) -> str:
    """DOMAIN.md, the team's summary, where a rule has no seed sentence of its own."""
    assert _squash(sentence) in _text(DOMAIN), f"not in DOMAIN.md: {sentence!r}"
    return sentence


def risk_tables_say(sentence: str) -> str:
    """RISK-TABLES.md (beside the seeds) holds PRISM, which the seeds only name."""
    assert _squash(sentence) in _text(RISK_TABLES), f"not in RISK-TABLES.md: {sentence!r}"
    return sentence
