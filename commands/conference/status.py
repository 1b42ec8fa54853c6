"""``/opss status`` of any reference: a case conference's card (``CC-2026-0001``), else the
issue's or the incident's summary card. Here, apart from both, so neither imports the other."""

from __future__ import annotations

from commands.conference import conferences
from commands.core.args import Args
from commands.core.context import Ctx, Reply
from commands.core.lookup import find_conference
from commands.issue import issues
from rules.references import parse_reference


def status(ctx: Ctx, args: Args) -> Reply:
    ref = args.first()
    parsed = parse_reference(ref) if ref else None
    if ref and parsed is not None and parsed[0] == "conference":
        return conferences.status(ctx, find_conference(ctx.session, ref))
    return issues.status(ctx, args)
