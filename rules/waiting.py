"""Whose move it is: what an issue is waiting for, and whether a person can make that move."""

from __future__ import annotations

from rules.lifecycle import Stage
from rules.roles import Actor, Role, may_declare, may_move, may_record_outcome


def next_step(
    actor: Actor,
    stage: Stage,
    area: str | None,
    conference_concluded: bool,
    declare_decided: bool,
) -> str | None:
    """What ``actor`` could do next for an issue at ``stage``, or None if it is not theirs."""
    if stage in {Stage.RAISED, Stage.FTL_ASSESSMENT} and may_move(actor, "cam", area):
        return "assess the impact and escalate"
    if stage is Stage.CAM and may_move(actor, "ttg", area):
        return "consider at CAM: NNC, impact, escalate to TTG or call a case conference"
    if stage is Stage.TTG and may_move(actor, "cam_ep", area):
        return "TTG: activate CAM-EP or call a case conference"
    if stage is Stage.CAM_EP and (
        actor.has(Role.DEPUTY_DIRECTOR) or actor.has(Role.HEAD_OF_IMT) or actor.is_ftl_for(area)
    ):
        return "CAM-EP: gather evidence and call a case conference"
    if stage is Stage.CASE_CONFERENCE:
        if not conference_concluded and may_record_outcome(actor):
            return "record the case conference outcome"
        if declare_decided and may_declare(actor):
            return "declare the incident"
    if stage is Stage.MONITORING and may_move(actor, "monitoring", area):
        return "monitor; re-escalate to CAM if needed"
    return None
