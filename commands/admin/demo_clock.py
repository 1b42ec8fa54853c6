"""``/opss clock next|+30m|+2h|+1d``: move the bot's clock forward, for demos and exercises.

Refused whenever a chat platform is configured (real incidents run on real time) and allowed
only to an administrator. The offset is stored in the database, so every process shares it
and a restart keeps it; it only grows, so stored events never see time go backwards.
"""

from __future__ import annotations

import re
from datetime import timedelta

from commands.core.args import Args
from commands.core.context import Ctx, PermissionRefused, Reply, UserError
from commands.core.due import next_due_at
from rules import roles
from rules.timeparse import show
from storage.models import ClockState

STEP = re.compile(r"^\+(\d{1,4})\s*([mhd])$")
UNITS = {"m": "minutes", "h": "hours", "d": "days"}
USAGE = (
    "clock: give how far to move forward, e.g. /opss clock +2h (m minutes, h hours, d days, "
    "up to 9999), or next."
)


def clock(ctx: Ctx, args: Args) -> Reply:
    if not ctx.options.clock_movable:
        raise UserError(
            "The clock cannot be moved here: it moves only in the local workspace's demo, and "
            "never while Slack or Teams is configured, because real incidents run on real time."
        )
    allowed = roles.may_administer(ctx.actor)
    if not allowed:
        raise PermissionRefused("move the bot's clock", allowed.who_may, "clock")
    arg = args.rest().strip().lower()
    if arg == "next":
        due = next_due_at(ctx.session)
        if due is None:
            raise UserError("Nothing is scheduled: declare an incident first (or try /opss demo).")
        delta = max(due - ctx.now, timedelta(0)) + timedelta(seconds=1)
    else:
        step = STEP.match(arg)
        if step is None:
            raise UserError(USAGE)
        delta = timedelta(**{UNITS[step.group(2)]: int(step.group(1))})
    state = ctx.session.get(ClockState, 1)
    if state is None:
        state = ClockState(id=1, offset_seconds=0, moved_by="")
        ctx.session.add(state)
    before = state.offset_seconds
    state.offset_seconds = before + int(delta.total_seconds())
    state.moved_at = ctx.now
    state.moved_by = ctx.person.name
    ctx.audit(
        "clock.moved",
        "clock",
        "clock",
        {"offset_seconds": before},
        {"offset_seconds": state.offset_seconds},
    )
    return Reply(text=f"Clock moved forward to {show(ctx.now + delta)}.")
