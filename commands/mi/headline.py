"""``/opss mi``: the dashboard's headline figures as a card, for the roles that see it."""

from __future__ import annotations

from commands.core.args import Args
from commands.core.context import Ctx, Reply, UserError
from commands.mi.card import dashboard_link, mi_card
from commands.mi.figures import dashboard, parse_filters, require_mi

OPTIONS = ("area", "period")


def mi_verb(ctx: Ctx, args: Args) -> Reply:
    require_mi(ctx)  # refused before the words are even read
    unknown = [o for o in args.options if o not in OPTIONS]
    if args.words or args.pairs or unknown or args.flags - {"exercise"}:
        raise UserError(
            "mi takes only options: --area <functional area>, --period 7d|30d|90d|365d and "
            "--exercise (to include EXERCISE records)."
        )
    filters = parse_filters(
        ctx.options.functional_areas,
        args.options.get("area"),
        args.options.get("period"),
        "exercise" in args.flags,
    )
    figures = dashboard(ctx, filters)
    link = dashboard_link(ctx.options, ctx.surface, filters)
    card = mi_card(figures, filters, link)
    return Reply(text=f"Management information: {figures.scope}.", card=card)
