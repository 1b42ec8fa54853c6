"""Rules of notifications from the GPSR 2005 guidance: which form, what is excluded, who may.

- Section 8: pharmaceuticals and food/feed are excluded from RAPEX (they have their own
  notification systems), so the bot refuses them with the reason.
- Section 5: a measure on a chemical substance or preparation needs extra data.
- Which annex, for information only, revocations and Annex IV section 6: each rule below keeps
  the guidance's sentence beside it.
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


# Which form (guidance sections 2, 3, 4 and 6) ------------------------------------------------

# Section 2, 'Content of RAPEX Notifications': "RAPEX notification should be made using the form
# at Annex II." Section 2, 'Notification for Toys': "There is a separate form for notifying the
# Commission via RAPEX about dangerous toys where there has been compulsory measures adopted by
# Member States (use general notification form where voluntary measures have been adopted).
# This can be found at Annex VI." Annex VI's own types are Article 12 (RAPEX) and Article 12
# requiring emergency action, each "and under Article 7 of Directive 88/378/EEC" (safeguard).
TOY_FORM_KINDS = frozenset({Kind.RAPEX, Kind.RAPEX_EMERGENCY, Kind.OTHER_ACTIONS})
# Section 2, 'Part One': "The safeguard procedure does not apply in the case of toys which do
# not bear the CE marking or toys which are second-hand."
SAFEGUARD_SOURCE = "guidance section 2, 'Part One: Safeguard Procedure'"


def safeguard_applies(ce_marked: bool, second_hand: bool) -> bool:
    return ce_marked and not second_hand


def needs_safeguard_answer(kind: Kind, product_type: str, measures: str) -> bool:
    """A toy notified via RAPEX under compulsory measures: Annex VI only if the safeguard
    procedure applies, so the CE marking and second-hand questions must be answered."""
    return kind in TOY_FORM_KINDS and product_type == "toy" and measures == COMPULSORY


def annex_for(
    kind: Kind,
    product_type: str,
    measures: str,
    *,
    safeguard: bool = True,
    occasion: str = "",
) -> str:
    """The annex to fill.

    Annex VI (RAPEX part 2 and safeguard part 1) only for a RAPEX notification of a toy under
    compulsory measures to which the safeguard procedure applies; a serious risk notified
    before measures are decided has no measure yet, so it goes on Annex II. Section 3: Reg
    33(2) notifications "should be made using the form provided at Annex II", toy or not
    ("additional to any Safeguard obligations", which go to the Safeguard contact directly).
    """
    annex = DEFAULT_CLOCKS[kind].annex
    if (
        kind in TOY_FORM_KINDS
        and product_type == "toy"
        and measures == COMPULSORY
        and safeguard
        and occasion != BEFORE_MEASURES
    ):
        return "VI"
    return annex


# Revocations (guidance section 6: "Decisions to Revoke, Vary or Amend the Measures Adopted ...
# All such decisions must be notified to the national contact point within 5 calendar days.")
# A revocation is notified as the measure it changes was: the same form, the same type ticked.
REVOCABLE = frozenset({Kind.RAPEX, Kind.RAPEX_EMERGENCY, Kind.OTHER_ACTIONS, Kind.REG33_2})
REVOCABLE_CHOICES: tuple[tuple[str, str], ...] = (
    (Kind.REG33_2.value, "Reg 33(2) (Article 11)"),
    (Kind.RAPEX.value, "Reg 33(4) RAPEX (Article 12)"),
    (Kind.RAPEX_EMERGENCY.value, "Reg 33(4) requiring emergency action"),
    (Kind.OTHER_ACTIONS.value, "Serious risk: other actions (Article 12)"),
)


def has_measure(kind: Kind, occasion: str) -> bool:
    """Section 6 is of "the Measures Adopted": an advance notification ("serious risks before
    deciding to adopt measures", section 2 'Other Actions') has none to revoke."""
    return kind in REVOCABLE and not (kind is Kind.OTHER_ACTIONS and occasion == BEFORE_MEASURES)


def form_kind(kind: Kind, changes_kind: str = "") -> Kind:
    """The notification type the form ticks: a revocation ticks that of the measure it
    changes."""
    if kind is Kind.REVOCATION and changes_kind:
        return Kind(changes_kind)
    return kind


# For information only (guidance sections 2 and 3) --------------------------------------------

BEFORE_MEASURES = "before_measures"
UK_ONLY = "uk_only"
# Section 2, 'Other Actions': "Enforcement authorities may also inform of the existence of
# serious risks before deciding to adopt measures or take action, and of serious risks relating
# to specific batches of products that have been withdrawn from the market or decisions by
# Customs Authorities to block the import of products presenting a serious risk at the EU
# border."
OCCASIONS: tuple[tuple[str, str], ...] = (
    (BEFORE_MEASURES, "A serious risk before deciding to adopt measures"),
    ("batch_withdrawn", "A specific batch withdrawn from the market"),
    ("import_blocked", "Customs decided to block the import"),
)
# Section 2: "enforcement authorities might, if they submit any such advance notifications,
# wish to make it clear that these are for information only and not for publication prior to
# a measure in the UK having been taken." (the 'Babywalker Judgement')
BEFORE_MEASURES_NOTE = (
    "For information only and not for publication prior to a measure in the UK having been "
    "taken (an advance notification; guidance section 2, the 'Babywalker Judgement')."
)
# Section 2: "Measures and actions related to risks where the effects cannot go beyond the UK
# are excluded from the scope of RAPEX ... However, notifications can still be made on a 'for
# information only' basis in such cases where the local authority feels that the information
# could be of value to the Commission and other Member States."
UK_ONLY_RAPEX_NOTE = (
    "For information only: the effects of the risk cannot go beyond the UK, so it is excluded "
    "from the scope of RAPEX (guidance section 2); sent as the information could be of value "
    "to the Commission and other Member States."
)
# Section 3: "If the enforcement authority considers that the effects of the risk do not, or
# cannot, go beyond the UK a notification need not be made, though an authority may still feel
# that some information on the case would be of value to the Commission and to other Member
# States."
UK_ONLY_33_2_NOTE = (
    "For information only: the effects of the risk do not, or cannot, go beyond the UK, so a "
    "notification need not be made (guidance section 3); sent as some information on the case "
    "would be of value to the Commission and to other Member States."
)
UK_ONLY_KINDS = frozenset({Kind.RAPEX, Kind.RAPEX_EMERGENCY, Kind.OTHER_ACTIONS, Kind.REG33_2})


def information_only(kind: Kind, occasion: str, uk_only: bool) -> str:
    """Why a notification is for information only ("" when it is a duty)."""
    if uk_only and kind in UK_ONLY_KINDS:
        return UK_ONLY
    if kind is Kind.OTHER_ACTIONS and occasion == BEFORE_MEASURES:
        return BEFORE_MEASURES
    return ""


def information_only_note(kind: Kind, reason: str) -> str:
    if reason == BEFORE_MEASURES:
        return BEFORE_MEASURES_NOTE
    if reason == UK_ONLY:
        return UK_ONLY_33_2_NOTE if kind is Kind.REG33_2 else UK_ONLY_RAPEX_NOTE
    return ""


def owed(reason: str) -> bool:
    """A notification that "need not be made" (effects only in the UK) runs no statutory clock:
    it is neither reminded nor escalated. An advance notification keeps its 10-day clock."""
    return reason != UK_ONLY


# Annex IV section 6 (guidance Annex IV): "COMPANIES SHOULD COMPLETE AND SEND SECTION 6 IN CASE
# OF A SERIOUS RISK OR WHEN THE PRODUCER/DISTRIBUTOR OPTS TO SUBMIT THE NOTIFICATION ONLY TO THE
# AUTHORITY OF THE MEMBER STATE IN WHICH THEY ARE ESTABLISHED"
SECTION6_CASES: tuple[tuple[str, str], ...] = (
    ("serious", "Section 6 owed: a serious risk"),
    (
        "home_only",
        "Section 6 owed: notified only to the authority where the business is established",
    ),
    ("no", "No section 6: neither a serious risk nor a home-state-only notification"),
)


def section6_needed(case: str) -> bool:
    return case in {"serious", "home_only"}


# Section 4: "When an enforcement authority believes that a producer/distributor notification
# represents a serious risk and requires urgent action it should also submit a RAPEX
# notification to DTI along with the original producer/distributor notification."
SERIOUS_REG9_NOTE = (
    "A serious risk: if it requires urgent action, also submit a RAPEX notification along with "
    "the original producer/distributor notification (guidance section 4)"
)


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


# The home authority (guidance sections 1 and 4) ------------------------------------------------

# Section 1: "Additionally, the responsible enforcement authority should inform the home authority
# (where they are not one and the same)." Section 4: "In any event the Home Authority should
# always be informed when another local authority is approached in respect of a Regulation 9
# notification".
SAME_AUTHORITY = "same"
HOME_AUTHORITY_RULE = (
    "the responsible enforcement authority should inform the home authority (where they are not "
    "one and the same; guidance section 1)"
)
HOME_AUTHORITY_REG9 = (
    "the Home Authority should always be informed when another local authority is approached "
    "in respect of a Regulation 9 notification (guidance section 4)"
)


def home_authority_rule(kind: Kind) -> str:
    return HOME_AUTHORITY_REG9 if kind is Kind.PRODUCER else HOME_AUTHORITY_RULE


def home_authority_text(kind: Kind, recorded: str) -> str:
    """What the card says of the home authority: told how, the same authority, or not yet."""
    if recorded == SAME_AUTHORITY:
        return "the same authority as the one notifying"
    if recorded:
        return f"informed: {recorded}"
    return f"not recorded as informed: {home_authority_rule(kind)}"


# Section 4, 'Timetable': "Whenever possible, businesses should be reminded that they must inform
# their local authority of a safety problem without delay."
WITHOUT_DELAY_NOTE = (
    "remind the business that they must inform their local authority of a safety problem "
    "without delay (guidance section 4)"
)
# Section 2, after the list of measures which may require a RAPEX notification: "Enforcement
# authorities should notify all such measures, even if an appeal against them is likely."
APPEAL_NOTE = (
    'notify the measure even if an appeal against it is likely: "Enforcement authorities '
    'should notify all such measures, even if an appeal against them is likely." (guidance '
    "section 2)"
)
APPEAL_KINDS = frozenset({Kind.RAPEX, Kind.RAPEX_EMERGENCY})
