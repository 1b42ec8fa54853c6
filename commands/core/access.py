"""Who may read an incident, applied where every verb finds one (``commands/core/lookup.py``)
and where lists show them, on every surface alike."""

from __future__ import annotations

from collections.abc import Iterable, Sequence

from sqlalchemy import select

from commands.core.context import Ctx, PermissionRefused
from rules import roles
from storage.models import ChannelBinding, Incident, SitrepSchedule


def members_of(incident: Incident) -> set[str]:
    people = {*(incident.members or []), *(incident.command_team or {}).values()}
    return {str(name) for name in people}


def require_read(ctx: Ctx, incident: Incident) -> None:
    allowed = _decide(ctx, incident, _channels_here(ctx, [incident]), _teams(ctx, [incident]))
    if not allowed:
        raise PermissionRefused(f"see {incident.reference}", allowed.who_may, incident.reference)


def readable(ctx: Ctx, incidents: Sequence[Incident]) -> list[Incident]:
    """The incidents the caller may see (two queries for the lot, whatever their number)."""
    here, teams = _channels_here(ctx, incidents), _teams(ctx, incidents)
    return [i for i in incidents if _decide(ctx, i, here, teams)]


def in_its_channel(ctx: Ctx, incident: Incident) -> bool:
    return incident.channel_key in _channels_here(ctx, [incident])


def _decide(
    ctx: Ctx, incident: Incident, here: set[str], teams: dict[int, list[str]]
) -> roles.Decision:
    area = incident.issue.functional_area if incident.issue else None
    return roles.may_read_incident(
        ctx.actor,
        members=members_of(incident),
        areas=[*([area] if area else []), *teams.get(incident.id, [])],
        in_its_channel=incident.channel_key in here,
    )


def _teams(ctx: Ctx, incidents: Sequence[Incident]) -> dict[int, list[str]]:
    """The teams contributing to each incident's sitreps."""
    if not ctx.actor.grants:  # only FTLs are let in by their team
        return {}
    rows = ctx.session.execute(
        select(SitrepSchedule.incident_id, SitrepSchedule.teams).where(
            SitrepSchedule.incident_id.in_([i.id for i in incidents])
        )
    )
    out: dict[int, list[str]] = {}
    for incident_id, teams in rows:
        out.setdefault(incident_id, []).extend(str(t) for t in teams or [])
    return out


def _channels_here(ctx: Ctx, incidents: Iterable[Incident]) -> set[str]:
    """Which of these incidents' channels the request was made in (bound to ctx.channel)."""
    keys = [i.channel_key for i in incidents]
    if not keys or not ctx.channel:
        return set()
    return set(
        ctx.session.scalars(
            select(ChannelBinding.conversation).where(
                ChannelBinding.surface == ctx.surface,
                ChannelBinding.external_id == ctx.channel,
                ChannelBinding.conversation.in_(keys),
            )
        )
    )
