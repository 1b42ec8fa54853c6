"""Engagement (plan section 4): the operational partners of 4.7 and the stakeholders of 4.3.

These are defaults; ``OPSS_PARTNERS_FILE`` (TOML with ``partners`` and ``stakeholders`` lists)
replaces them, since OPSS's partners change more often than the plan.
"""

from __future__ import annotations

import tomllib
from collections.abc import Iterable

OPERATIONAL_PARTNERS: tuple[str, ...] = (
    "Cabinet Office COBR Unit",
    "Defra",
    "MHCLG",
    "DfT",
    "Home Office",
    "DVSA",
    "HSE",
    "Building Safety Regulator (BSR)",
    "HSENI",
    "MHRA",
    "Ofcom",
    "DESNZ",
    "DSIT",
    "OZEV",
    "Local authority trading standards (GB)",
    "District councils environmental health (NI)",
)
STAKEHOLDERS: tuple[str, ...] = (
    "Consumer bodies",
    "Trade associations",
    "Businesses in the supply chain",
    "International regulators",
    "DBT press office",
    "Devolved administrations",
)
CHANNELS: tuple[tuple[str, str], ...] = (
    ("email", "Email"),
    ("phone", "Phone call"),
    ("meeting", "Meeting"),
    ("letter", "Letter"),
    ("message", "Chat message"),
    ("press_office", "Through the press office"),
    ("publication", "Publication (e.g. gov.uk alert)"),
)


def load(text: str) -> tuple[tuple[str, ...], tuple[str, ...]]:
    data = tomllib.loads(text)
    partners = tuple(str(p) for p in data.get("partners", OPERATIONAL_PARTNERS))
    stakeholders = tuple(str(s) for s in data.get("stakeholders", STAKEHOLDERS))
    return partners, stakeholders


def not_yet_engaged(planned: Iterable[str], engaged: Iterable[str]) -> list[str]:
    """The partners in the engagement plan that nobody has logged telling anything yet."""
    told = {e.casefold() for e in engaged}
    return [p for p in planned if p.casefold() not in told]
