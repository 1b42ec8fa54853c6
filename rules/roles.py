"""Who may do what. Roles are held in the database; these rules only read them.

Plan references: 2.3 (FTL first), 2.9 (CAM chaired by IMT), 2.12-2.13 (TTG chaired by the
Deputy Chief Executive, Regulation, activates CAM-EP led by an SCS), 2.16 (who may request a
case conference), 2.19-2.20 (a case conference decides to declare), and who decides to close
an issue where TTG, CAM-EP or a case conference holds it (2.12, 2.13, 2.19).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from enum import StrEnum

from rules.lifecycle import Stage


class Role(StrEnum):
    ADMIN = "admin"
    IMT = "imt"
    HEAD_OF_IMT = "head_of_imt"
    FTL = "ftl"  # scoped to a functional area
    SCS = "scs"
    DEPUTY_DIRECTOR = "deputy_director"  # deputy director or higher (DD, CEO); area: directorate
    # A Deputy Chief Executive (DCEO), held for a directorate: "Regulation" chairs TTG (2.12),
    # "Evidence" chairs the SCG (3.4). Counts as a deputy director or higher, and an SCS.
    DEPUTY_CHIEF_EXECUTIVE = "deputy_chief_executive"


ROLE_LABELS: dict[Role, str] = {
    Role.ADMIN: "bot administrator",
    Role.IMT: "IMT member",
    Role.HEAD_OF_IMT: "Head of IMT",
    Role.FTL: "Functional Team Leader",
    Role.SCS: "senior civil servant (SCS)",
    Role.DEPUTY_DIRECTOR: "deputy director or higher",
    Role.DEPUTY_CHIEF_EXECUTIVE: "Deputy Chief Executive",
}
# Roles held for an area: an FTL's functional area, a director's directorate.
AREA_ROLES = frozenset({Role.FTL, Role.DEPUTY_DIRECTOR, Role.DEPUTY_CHIEF_EXECUTIVE})


@dataclass(frozen=True)
class Grant:
    role: Role
    area: str | None = None  # only for FTL


@dataclass(frozen=True)
class Actor:
    name: str
    grants: frozenset[Grant] = field(default_factory=frozenset)
    # The person's name as people read it (a reason names them by it); not part of identity.
    shown: str = field(default="", compare=False)

    @property
    def called(self) -> str:
        return self.shown or self.name

    def has(self, role: Role) -> bool:
        senior = {Role.DEPUTY_DIRECTOR, Role.DEPUTY_CHIEF_EXECUTIVE}
        if role is Role.SCS and any(g.role in senior for g in self.grants):
            return True  # deputy directors and above are SCS
        if role is Role.DEPUTY_DIRECTOR and any(g.role in senior for g in self.grants):
            return True  # a Deputy Chief Executive is a deputy director "or higher"
        if role is Role.IMT and any(g.role is Role.HEAD_OF_IMT for g in self.grants):
            return True  # the Head of IMT is part of IMT
        return any(g.role is role for g in self.grants)

    def holds(self, role: Role, area: str) -> bool:
        """Holds exactly ``role`` for ``area`` (a directorate): the post the plan names."""
        return any(
            g.role is role and (g.area or "").casefold() == area.casefold() for g in self.grants
        )

    def is_ftl_for(self, area: str | None) -> bool:
        return area is not None and any(
            g.role is Role.FTL and (g.area or "").casefold() == area.casefold() for g in self.grants
        )

    def describe(self) -> str:
        if not self.grants:
            return "no roles"
        return ", ".join(
            sorted(ROLE_LABELS[g.role] + (f" ({g.area})" if g.area else "") for g in self.grants)
        )


@dataclass(frozen=True)
class Decision:
    allowed: bool
    who_may: str  # always filled, so a refusal can say who may act
    basis: str = ""  # on what footing it was allowed, recorded with the act
    # A refusal of someone who holds the role but may not act now (they gave the other
    # approval already): the sentence that says why, said instead of who may.
    why: str = ""

    def __bool__(self) -> bool:
        return self.allowed


def _allow(who: str, basis: str) -> Decision:
    return Decision(True, who, basis)


def _refuse(who: str) -> Decision:
    return Decision(False, who)


def may_assess(actor: Actor, area: str | None) -> Decision:
    """Impact matrix and NNC: IMT, the issue's FTL, an SCS or a deputy director (2.3, 2.9)."""
    who = f"IMT, the FTL for {area or 'the functional area'}, an SCS or a deputy director"
    if actor.has(Role.IMT):
        return _allow(who, "IMT")
    if actor.is_ftl_for(area):
        return _allow(who, f"FTL for {area}")
    if actor.has(Role.SCS):
        return _allow(who, "SCS")
    return _refuse(who)


# 2.12: "Chaired by the Deputy Chief Executive, Regulation, TTG meetings take place routinely";
# 2.13: CAM-EP "is activated by TTG". The chair records TTG's decisions in the bot.
TTG_DIRECTORATE = "Regulation"
TTG_CHAIR_WHO = "the Deputy Chief Executive, Regulation, who chairs TTG (2.12)"


def is_ttg_chair(actor: Actor) -> bool:
    return actor.holds(Role.DEPUTY_CHIEF_EXECUTIVE, TTG_DIRECTORATE)


ESCALATION_AUTHORITY: dict[str, str] = {
    # target stage -> who may move an issue there
    "ftl_assessment": "IMT or the FTL for the functional area (2.3)",
    "cam": "IMT or the FTL for the functional area (2.3, 2.5)",
    "ttg": "IMT, who chair CAM (2.6, 2.9)",
    "cam_ep": f"{TTG_CHAIR_WHO}, for TTG, which activates CAM-EP (2.13)",
    "monitoring": "IMT (2.9)",
    "la_led": "IMT or the FTL for the functional area (2.10)",
    "closed_nfa": "IMT or the FTL for the functional area (2.3)",
    "reopen": "IMT or the FTL for the functional area",
}


def may_move(actor: Actor, target: str, area: str | None) -> Decision:
    who = ESCALATION_AUTHORITY[target]
    if target == "cam_ep":
        return _allow(who, "TTG (its chair)") if is_ttg_chair(actor) else _refuse(who)
    if actor.has(Role.IMT):
        return _allow(who, "IMT")
    if target in {"ttg", "monitoring"}:
        return _refuse(who)
    if actor.is_ftl_for(area):
        return _allow(who, f"FTL for {area}")
    return _refuse(who)


# Where TTG, CAM-EP or a case conference holds an issue, that body decides whether it goes no
# further (2.12: TTG; 2.13: CAM-EP "can ... recommend that no further action and/or the
# de-escalation of an issue is taken"; 2.19: a case conference may "record that OPSS take no
# further action and make arrangements to feedback the outcome to the originator").
HELD_BY: dict[Stage, str] = {
    Stage.TTG: "TTG",
    Stage.CAM_EP: "CAM-EP",
    Stage.CASE_CONFERENCE: "the case conference",
}
FEEDBACK_SOURCE = "make arrangements to feedback the outcome to the originator (plan 2.19)"


def parking_who(stage: Stage, cam_ep_lead: str | None) -> str:
    """Who decides that an issue at ``stage`` goes no further (closed, LA-led, monitored)."""
    if stage is Stage.TTG:
        return f"{TTG_CHAIR_WHO}, for TTG, which holds the issue"
    if stage is Stage.CAM_EP:
        lead = f" ({cam_ep_lead})" if cam_ep_lead else ""
        return (
            f"the senior civil servant who leads CAM-EP{lead}, for CAM-EP, which holds the "
            f"issue (2.13), or {TTG_CHAIR_WHO}, for TTG, which activated it"
        )
    return ESCALATION_AUTHORITY["closed_nfa"]


def may_park(
    actor: Actor, stage: Stage, target: str, area: str | None, cam_ep_lead: str | None = None
) -> Decision:
    """Closing an issue as no further action, handing it to the LA or returning it to
    monitoring. At TTG and CAM-EP the body holding it decides; at a case conference its
    outcome does (``rules.lifecycle``: the command routes it to /opss outcome)."""
    if stage is Stage.TTG:
        who = parking_who(stage, None)
        return _allow(who, "TTG (its chair)") if is_ttg_chair(actor) else _refuse(who)
    if stage is Stage.CAM_EP:
        who = parking_who(stage, cam_ep_lead)
        if cam_ep_lead and actor.name == cam_ep_lead and actor.has(Role.SCS):
            return _allow(who, "CAM-EP (its lead SCS)")
        if is_ttg_chair(actor):
            return _allow(who, "TTG (its chair)")
        return _refuse(who)
    return may_move(actor, target, area)


def needs_feedback(stage: Stage) -> bool:
    """Closing or handing on an issue a body holds feeds the outcome back to the originator."""
    return stage in HELD_BY


CAM_EP_LEAD_WHO = "the relevant senior civil servant (SCS), who leads CAM-EP (2.13)"


def may_lead_cam_ep(lead: Actor) -> Decision:
    """2.13: "Led by the relevant senior civil servant (SCS), CAM-EP is activated by TTG"."""
    return _allow(CAM_EP_LEAD_WHO, "SCS") if lead.has(Role.SCS) else _refuse(CAM_EP_LEAD_WHO)


CONFERENCE_WHO = (
    "a deputy director or higher; the Head of IMT in consultation with an SCS; or the FTL for "
    "{area} in consultation with an SCS (plan 2.16)"
)


def may_request_case_conference(
    actor: Actor, area: str | None, consulted_scs: Actor | None
) -> Decision:
    """2.16. The 'with an SCS' cases must name an SCS other than the requester."""
    who = CONFERENCE_WHO.format(area=area or "the functional area")
    if actor.has(Role.DEPUTY_DIRECTOR):
        return _allow(who, "deputy director or higher")
    scs_ok = (
        consulted_scs is not None
        and consulted_scs.has(Role.SCS)
        and consulted_scs.name != actor.name
    )
    if actor.has(Role.HEAD_OF_IMT) and scs_ok:
        assert consulted_scs is not None
        return _allow(who, f"Head of IMT, in consultation with the SCS {consulted_scs.called}")
    if actor.is_ftl_for(area) and scs_ok:
        assert consulted_scs is not None
        return _allow(who, f"FTL for {area}, in consultation with the SCS {consulted_scs.called}")
    return _refuse(who)


def needs_consulted_scs(actor: Actor, area: str | None) -> bool:
    """True when the actor could request a conference only by naming a consulted SCS."""
    return not actor.has(Role.DEPUTY_DIRECTOR) and (
        actor.has(Role.HEAD_OF_IMT) or actor.is_ftl_for(area)
    )


DECLARE_WHO = "the Head of IMT or a deputy director or higher, after a case conference (2.19)"


def may_declare(actor: Actor) -> Decision:
    if actor.has(Role.DEPUTY_DIRECTOR):
        return _allow(DECLARE_WHO, "deputy director or higher")
    if actor.has(Role.HEAD_OF_IMT):
        return _allow(DECLARE_WHO, "Head of IMT")
    return _refuse(DECLARE_WHO)


def may_record_outcome(actor: Actor) -> Decision:
    who = "IMT (the case conference secretariat, 3.20) or a deputy director or higher"
    if actor.has(Role.IMT):
        return _allow(who, "IMT")
    if actor.has(Role.DEPUTY_DIRECTOR):
        return _allow(who, "deputy director or higher")
    return _refuse(who)


def may_record_decision(actor: Actor, command_team: Iterable[str] = ()) -> Decision:
    who = "IMT, an SCS, an FTL or a member of the incident's command team"
    if actor.has(Role.IMT) or actor.has(Role.SCS) or any(g.role is Role.FTL for g in actor.grants):
        return _allow(who, "role")
    if actor.name in set(command_team):
        return _allow(who, "command team")
    return _refuse(who)


def may_administer(actor: Actor) -> Decision:
    who = "a bot administrator"
    return _allow(who, "admin") if actor.has(Role.ADMIN) else _refuse(who)


def may_assign_action(actor: Actor, command_team: Iterable[str] = ()) -> Decision:
    """3.10: FTLs assign tasks; IMT, SCS and the command team also set them (3.7, 3.20)."""
    who = "an FTL, IMT, an SCS or a member of the incident's command team"
    if any(g.role is Role.FTL for g in actor.grants):
        return _allow(who, "FTL")
    if actor.has(Role.IMT) or actor.has(Role.SCS):
        return _allow(who, "role")
    if actor.name in set(command_team):
        return _allow(who, "command team")
    return _refuse(who)


def may_complete_action(actor: Actor, owner: str, assigner: str) -> Decision:
    who = "the action's owner, whoever assigned it, or IMT"
    if actor.name in {owner, assigner} or actor.has(Role.IMT):
        return _allow(who, "owner" if actor.name == owner else "role")
    return _refuse(who)


READ_INCIDENT_WHO = (
    "members of the incident's channel, its command team, the FTLs of its functional area "
    "and of the teams contributing to its sitreps, IMT, and senior civil servants"
)


def may_read_incident(
    actor: Actor,
    *,
    members: Iterable[str],
    areas: Iterable[str],
    in_its_channel: bool,
) -> Decision:
    """Incidents are private (their channels are): who may see their status, sitreps,
    rhythm and log. ``in_its_channel``: the platform placed the request in the incident's
    own channel, which only its members can post in."""
    who = READ_INCIDENT_WHO
    if in_its_channel:
        return _allow(who, "channel member")
    if actor.name in set(members):
        return _allow(who, "member")
    if actor.has(Role.IMT):
        return _allow(who, "IMT")
    if actor.has(Role.SCS):
        return _allow(who, "SCS")
    for area in areas:
        if actor.is_ftl_for(area):
            return _allow(who, f"FTL for {area}")
    return _refuse(who)


SITREP_UPDATE_WHO = (
    "the team's FTL, members of the incident's channel, its command team, or IMT (3.23)"
)


def may_submit_sitrep_update(
    actor: Actor, team: str, *, members: Iterable[str], in_its_channel: bool
) -> Decision:
    """A team's update comes from the team: its FTL, or the incident's own people (its
    channel, where the prompt is posted, and its command team); IMT may enter any team's."""
    who = SITREP_UPDATE_WHO
    if actor.has(Role.IMT):
        return _allow(who, "IMT")
    if actor.is_ftl_for(team):
        return _allow(who, f"FTL for {team}")
    if in_its_channel or actor.name in set(members):
        return _allow(who, "incident member")
    return _refuse(who)
