"""Command and control inside a declared incident (plan 2.3, 3.1-3.20, 4.1-4.8), as pure rules.

Who may mobilise groups and name their chairs, record the SCG strategy, record DBT ERCO's
engagement, escalate an issue straight to an incident, and change a declared incident's level;
who qualifies to chair the SCG (3.4) and a TCG (3.9); which battle-rhythm preset matches a
response level.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from rules.impact import Level
from rules.roles import Actor, Decision, Role


# Groups of 3.4-3.16. ``multiple``: more than one may sit at once (3.19: "one or more TCGs").
@dataclass(frozen=True)
class GroupKind:
    key: str
    label: str
    multiple: bool = False
    optional: bool = False  # one of the "other groups" of 3.16


GROUP_KINDS: tuple[GroupKind, ...] = (
    GroupKind("scg", "Strategic Coordination Group (SCG)"),
    GroupKind("tcg", "Tactical Coordination Group (TCG)", multiple=True),
    GroupKind("evidence_group", "Incident Evidence Group", multiple=True),
    GroupKind("communications_group", "Incident Communications Group"),
    GroupKind("bird_table", "Bird table / stand-up"),
    GroupKind("policy_owner_liaison", "Policy Owner Liaison Group", optional=True),
    GroupKind(
        "cross_government_cell", "Cross-Government Incident Coordination Cell", optional=True
    ),
    GroupKind("regulatory_coordination_cell", "Regulatory Coordination Cell", optional=True),
    GroupKind("expert_panel", "Incident Expert Panel", optional=True),
    GroupKind("advisory_board", "OPSS Advisory Board", optional=True),
    GroupKind("business_monitoring", "Monitoring meetings with businesses", optional=True),
)
GROUP_KIND = {k.key: k for k in GROUP_KINDS}

# Roles of 3.18-3.20 held within one incident. FTLs are held per functional area.
INCIDENT_ROLES: dict[str, str] = {
    "imt_lead": "IMT lead",
    "secretariat": "Secretariat",
    "loggist": "Loggist",
    "scg_chair": "SCG chair",
    "tcg_chair": "TCG chair",
    "ftl": "FTL",
    "senior_investigation_officer": "Senior investigation officer",
    "communications_lead": "Communications lead",
}
CHAIRED = {"scg": "scg_chair", "tcg": "tcg_chair"}

# 3.4: the SCG is chaired by the Deputy Chief Executive, Evidence, or the Deputy Director,
# Targeting. A deputy director's grant names their directorate in its area.
SCG_CHAIR_DIRECTORATES = ("Evidence", "Targeting")
SCG_CHAIR_WHO = "the Deputy Chief Executive, Evidence, or the Deputy Director, Targeting (3.4)"
TCG_CHAIR_WHO = (
    "the deputy director responsible for {area}, or the FTL for {area} as their deputy (3.9)"
)


def qualified_chair(kind: str, chair: Actor, area: str) -> tuple[bool, str]:
    """Whether ``chair`` is who the plan names to chair ``kind``; and who that is.

    Naming anyone else is allowed with a recorded justification, which becomes a decision.
    """
    if kind == "scg":
        ok = any(
            g.role is Role.DEPUTY_DIRECTOR
            and (g.area or "").casefold() in {d.casefold() for d in SCG_CHAIR_DIRECTORATES}
            for g in chair.grants
        )
        return ok, SCG_CHAIR_WHO
    if kind == "tcg":
        directs = any(
            g.role is Role.DEPUTY_DIRECTOR and (g.area or "").casefold() == area.casefold()
            for g in chair.grants
        )
        return directs or chair.is_ftl_for(area), TCG_CHAIR_WHO.format(area=area)
    return True, "anyone"  # the plan names no chair for the other groups


def _allow(who: str, basis: str) -> Decision:
    return Decision(True, who, basis)


def _refuse(who: str) -> Decision:
    return Decision(False, who)


GROUPS_WHO = "IMT (who set up the incident's meetings with the SCG, 3.20-3.22) or a deputy director"


def may_organise(actor: Actor) -> Decision:
    """Mobilise or close a group, name its chair and members, assign incident roles."""
    if actor.has(Role.IMT):
        return _allow(GROUPS_WHO, "IMT")
    if actor.has(Role.DEPUTY_DIRECTOR):
        return _allow(GROUPS_WHO, "deputy director or higher")
    return _refuse(GROUPS_WHO)


STRATEGY_WHO = "the incident's SCG chair, a deputy director, or IMT as the SCG's secretariat (3.20)"


def may_record_strategy(actor: Actor, scg_chair: str | None) -> Decision:
    """3.5-3.6: the SCG sets the strategy; IMT records it as its secretariat."""
    if scg_chair is not None and actor.name == scg_chair:
        return _allow(STRATEGY_WHO, "SCG chair")
    if actor.has(Role.DEPUTY_DIRECTOR):
        return _allow(STRATEGY_WHO, "deputy director or higher")
    if actor.has(Role.IMT):
        return _allow(STRATEGY_WHO, "IMT (secretariat)")
    return _refuse(STRATEGY_WHO)


ERCO_WHO = "IMT, the incident's SCG chair or a deputy director"


def may_record_erco(actor: Actor, scg_chair: str | None) -> Decision:
    """3.17: OPSS engages DBT ERCO; IMT or the SCG record that it was done."""
    if actor.has(Role.IMT):
        return _allow(ERCO_WHO, "IMT")
    if scg_chair is not None and actor.name == scg_chair:
        return _allow(ERCO_WHO, "SCG chair")
    if actor.has(Role.DEPUTY_DIRECTOR):
        return _allow(ERCO_WHO, "deputy director or higher")
    return _refuse(ERCO_WHO)


DIRECT_WHO = "the Head of IMT, with a deputy director (someone else) recorded as consulted (2.3)"


def may_escalate_directly(actor: Actor, consulted: Actor | None) -> Decision:
    """2.3: IMT 'reserve the right to escalate to an incident', from any rung."""
    if not actor.has(Role.HEAD_OF_IMT):
        return _refuse(DIRECT_WHO)
    if consulted is None or consulted.name == actor.name:
        return _refuse(DIRECT_WHO)
    if not consulted.has(Role.DEPUTY_DIRECTOR):
        return _refuse(DIRECT_WHO)
    return _allow(DIRECT_WHO, f"Head of IMT, having consulted {consulted.name} (deputy director)")


LEVEL_WHO = "the Head of IMT or the incident's IMT lead (3.25)"


def may_change_level(actor: Actor, imt_lead: str | None) -> Decision:
    """3.25: the IMT lead decides whether to flag an incident for escalation."""
    if actor.has(Role.HEAD_OF_IMT):
        return _allow(LEVEL_WHO, "Head of IMT")
    if imt_lead is not None and actor.name == imt_lead and actor.has(Role.IMT):
        return _allow(LEVEL_WHO, "IMT lead")
    return _refuse(LEVEL_WHO)


ENGAGEMENT_WHO = "IMT, an FTL, an SCS or a member of the incident's groups (4.3)"


def may_log_engagement(actor: Actor, members: Iterable[str]) -> Decision:
    """4.3: the TCG and the teams closest to the issue engage stakeholders."""
    if actor.has(Role.IMT) or actor.has(Role.SCS):
        return _allow(ENGAGEMENT_WHO, "role")
    if any(g.role is Role.FTL for g in actor.grants):
        return _allow(ENGAGEMENT_WHO, "FTL")
    if actor.name in set(members):
        return _allow(ENGAGEMENT_WHO, "group member")
    return _refuse(ENGAGEMENT_WHO)


def erco_needed(level: Level | None, engaged: bool) -> bool:
    """3.17: engage DBT ERCO for an incident that is, or could become, High or Critical."""
    return level is not None and level >= Level.HIGH and not engaged


# A response level and the battle-rhythm preset that matches it (3.21-3.22, 3.25).
PRESET_FOR_LEVEL: dict[Level, str] = {
    Level.CRITICAL: "escalated",
    Level.HIGH: "escalated",
    Level.MEDIUM: "standard",
    Level.LOW: "reduced",
}
