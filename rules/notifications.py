"""Rules of notifications from the GPSR 2005 guidance: which form, what is excluded, who may.

- Section 8: pharmaceuticals and food/feed are excluded from RAPEX (they have their own
  notification systems), so the bot refuses them with the reason.
- Section 5: a measure on a chemical substance or preparation needs extra data.
- Section 2 'Notification for Toys': toys with compulsory measures use Annex VI (safeguard
  part 1 and RAPEX part 2); with voluntary measures, the general form (Annex II).
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from rules.deadlines import DEFAULT_CLOCKS, Kind
from rules.roles import Actor, Decision, Role

PRODUCT_TYPES: tuple[tuple[str, str], ...] = (
    ("consumer", "Consumer product"),
    ("toy", "Toy"),
    ("chemical", "Chemical substance or preparation"),
    ("pharmaceutical", "Pharmaceutical"),
    ("food", "Food or feed"),
)
EXCLUDED: dict[str, str] = {
    "pharmaceutical": (
        "Pharmaceuticals are excluded from RAPEX: they are covered by their own notification "
        "mechanism (Directives 75/319/EC and 81/851/EEC; guidance section 8)."
    ),
    "food": (
        "Food and feed are excluded from RAPEX: they are covered by their own notification "
        "mechanism (Regulation (EC) No 178/2002; guidance section 8)."
    ),
}


# Notifications on the RAPEX system (the annexes the guidance sends to the Commission).
class NotificationStatus(StrEnum):
    OPEN = "open"  # its clock runs
    SENT = "sent"


RAPEX_KINDS = frozenset(Kind) - {Kind.PRODUCER}
COMPULSORY = "compulsory"
VOLUNTARY = "voluntary"


@dataclass(frozen=True)
class Refusal:
    field: str
    reason: str


def exclusion(kind: Kind, product_type: str) -> Refusal | None:
    if product_type in EXCLUDED and kind in RAPEX_KINDS:
        return Refusal("product_type", EXCLUDED[product_type])
    return None


def annex_for(kind: Kind, product_type: str, measures: str) -> str:
    """The annex to fill: Annex VI for toys under compulsory measures (guidance section 2)."""
    annex = DEFAULT_CLOCKS[kind].annex
    if annex == "II" and product_type == "toy" and measures == COMPULSORY:
        return "VI"
    return annex


def needs_chemical_data(kind: Kind, product_type: str) -> bool:
    return product_type == "chemical" and kind in {
        Kind.RAPEX,
        Kind.RAPEX_EMERGENCY,
        Kind.OTHER_ACTIONS,
        Kind.REG33_2,
    }


def needs_answer(kind: Kind) -> bool:
    return kind in {Kind.REACTION_EMERGENCY, Kind.REACTION_SERIOUS, Kind.REACTION_HOME_AUTHORITY}


def needs_measure(kind: Kind) -> bool:
    return kind is Kind.REVOCATION


# Who may --------------------------------------------------------------------------------------

RECORDERS = "IMT, the FTL for the area, or an SCS"
CONFIDANTS = "the notification's owner (the notifying authority) and IMT (the national contact)"


def may_record(actor: Actor, area: str | None) -> Decision:
    if actor.has(Role.IMT):
        return Decision(True, RECORDERS, "IMT")
    if actor.is_ftl_for(area):
        return Decision(True, RECORDERS, f"FTL for {area}")
    if actor.has(Role.SCS):
        return Decision(True, RECORDERS, "SCS")
    return Decision(False, RECORDERS)


def may_send(actor: Actor, owner: str) -> Decision:
    who = "the notification's owner or IMT"
    if actor.name == owner:
        return Decision(True, who, "owner")
    if actor.has(Role.IMT):
        return Decision(True, who, "IMT")
    return Decision(False, who)


def may_see_confidential(actor: Actor, owner: str) -> bool:
    """Box 27 (11 on Annex III, 26 on Annex VI) is for the notifying authority and the
    national contact point only."""
    return actor.name == owner or actor.has(Role.IMT)
