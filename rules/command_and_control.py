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

# 3.4: "The SCG is an OPSS body, chaired by the Deputy Chief Executive, Evidence, or the Deputy
# Director, Targeting." Two posts, each held for its directorate: a Deputy Chief Executive's
# grant (Evidence) or a deputy director's (Targeting), not any director of either directorate.
SCG_CHAIR_POSTS: tuple[tuple[Role, str], ...] = (
    (Role.DEPUTY_CHIEF_EXECUTIVE, "Evidence"),
    (Role.DEPUTY_DIRECTOR, "Targeting"),
)
SCG_CHAIR_WHO = "the Deputy Chief Executive, Evidence, or the Deputy Director, Targeting (3.4)"
TCG_CHAIR_WHO = (
    "the deputy director responsible for {area}, or the FTL for {area} as their deputy (3.9)"
)


def qualified_chair(kind: str, chair: Actor, area: str) -> tuple[bool, str]:
    """Whether ``chair`` is who the plan names to chair ``kind``; and who that is.

    Naming anyone else is allowed with a recorded justification, which becomes a decision.
    """
    if kind == "scg":
        return any(chair.holds(role, post) for role, post in SCG_CHAIR_POSTS), SCG_CHAIR_WHO
    if kind == "tcg":
        directs = chair.holds(Role.DEPUTY_DIRECTOR, area)
        return directs or chair.is_ftl_for(area), TCG_CHAIR_WHO.format(area=area)
    return True, "anyone"  # the plan names no chair for the other groups


# 3.16: "During the commissioning and establishment of other groups, OPSS will consider its exit
# strategy, including the identification of longer-term responsible persons or groups."
EXIT_STRATEGY_QUESTION = "Exit strategy: the longer-term responsible persons or groups (3.16)"


def needs_exit_strategy(kind: str) -> bool:
    """One of the 'other groups' of 3.16 is set up with its exit strategy considered."""
    found = GROUP_KIND.get(kind)
    return found is not None and found.optional


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


# 3.25: "The IMT lead decides whether to flag an incident for escalation at the appropriate
# level." 3.26: "it may be appropriate to de-escalate to a lower level ... This decision will be
# taken by IMT and the chair of the TCG in consultation with the SCG." So raising the level is
# the IMT lead's flag; lowering it takes IMT's approval and the TCG chair's, the SCG consulted
# (the same two approvals as the Incident De-escalation Plan, rules/stand_down.py).
LEVEL_WHO = "the Head of IMT or the incident's IMT lead (3.25)"
LOWER_LEVEL_WHO = (
    "IMT (the incident's IMT lead or the Head of IMT) and the TCG chair, in consultation with "
    "the SCG (3.26)"
)


def may_change_level(actor: Actor, imt_lead: str | None) -> Decision:
    """3.25: the IMT lead decides whether to flag an incident for escalation."""
    if actor.has(Role.HEAD_OF_IMT):
        return _allow(LEVEL_WHO, "Head of IMT")
    if imt_lead is not None and actor.name == imt_lead and actor.has(Role.IMT):
        return _allow(LEVEL_WHO, "IMT lead")
    return _refuse(LEVEL_WHO)


def is_lowering(current: Level | None, new: Level) -> bool:
    return current is not None and new < current


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


# 3.17: "OPSS will engage with DBT ERCO in the case of an incident that is, or could develop
# to be, risk assessed as High or Critical." Two cases: the level, and a recorded judgement.
def erco_needed(level: Level | None, engaged: bool, could_develop: bool = False) -> bool:
    """3.17: engage DBT ERCO for an incident that is, or could develop to be, High or
    Critical, until its engagement is recorded."""
    if engaged:
        return False
    return could_develop or (level is not None and level >= Level.HIGH)


def erco_question_due(level: Level | None, engaged: bool, could_develop: bool) -> bool:
    """Below High, nobody has yet said whether it could develop to be High or Critical: ask."""
    return not engaged and not could_develop and (level is None or level < Level.HIGH)


# 3.17: "Strategic functions will be kept informed and depending on the nature of the incident,
# may become directly involved." The functions the plan names (DBT ERCO has its own record).
STRATEGIC_FUNCTIONS: tuple[str, ...] = (
    "Ministerial team",
    "Permanent Secretary and departmental director generals with relevant policy responsibilities",
    "OPSS Chief Executive Officer (CEO)",
    "OPSS Deputy Chief Executive Officer (DCEOs) and Deputy Directors (DDs)",
)


def not_yet_informed(told: Iterable[str]) -> list[str]:
    seen = {t.casefold() for t in told}
    return [f for f in STRATEGIC_FUNCTIONS if f.casefold() not in seen]


# The schedule of events (battle rhythm): 3.22 "developed and maintained by IMT in agreement with
# the SCG"; 3.9 the TCG will "decide the schedule of events". A change records which.
RHYTHM_AGREEMENTS: tuple[tuple[str, str], ...] = (
    ("scg", "Agreed with the SCG (3.22)"),
    ("tcg", "Decided by the TCG (3.9)"),
)
RHYTHM_AGREEMENT_HINT = (
    "the schedule of events is maintained by IMT in agreement with the SCG (3.22) and decided "
    "by the TCG (3.9)"
)


# A response level and the battle-rhythm preset that matches it (3.21-3.22, 3.25).
PRESET_FOR_LEVEL: dict[Level, str] = {
    Level.CRITICAL: "escalated",
    Level.HIGH: "escalated",
    Level.MEDIUM: "standard",
    Level.LOW: "reduced",
}
