"""Who may take an incident's records away (exports and downloads).

The incident's content is for those in it: its command team, its channel's members, IMT, the
FTL for its area, and senior civil servants. (A project-wide read rule for incident content
supersedes this one where it exists.)
"""

from __future__ import annotations

from collections.abc import Iterable

from rules.roles import Actor, Decision, Role

RECORDS_WHO = (
    "people in the incident: its command team, its channel's members, IMT, the FTL for "
    "{area} and senior civil servants"
)


def may_take_records(
    actor: Actor, team: Iterable[str], area: str | None, *, in_channel: bool
) -> Decision:
    who = RECORDS_WHO.format(area=area or "its functional area")
    if actor.has(Role.IMT):
        return Decision(True, who, "IMT")
    if actor.has(Role.SCS):
        return Decision(True, who, "SCS")
    if actor.is_ftl_for(area):
        return Decision(True, who, f"FTL ({area})")
    if actor.name in set(team):
        return Decision(True, who, "command team")
    if in_channel:
        return Decision(True, who, "channel member")
    return Decision(False, who)
