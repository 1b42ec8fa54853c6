"""``/opss help``, generated from the registry (and held to docs/commands.md by a test)."""

from __future__ import annotations

from cards import text as t
from cards.model import Card
from commands.core.args import Args
from commands.core.context import Ctx, Reply
from commands.core.registry import Handler, Line, Registry


def _row(line: Line) -> t.Line:
    who = f" ({line.who})" if line.who else ""
    return t.bullet(t.code(f"/opss {line.usage}"), f" · {line.what}{who}")


def help_card(registry: Registry, surface: str | None = None) -> Card:
    """Every verb this surface offers, grouped as a newcomer meets them."""
    groups = registry.lines(surface)
    sections = tuple((title, t.Text(tuple(_row(ln) for ln in rows))) for title, rows in groups)
    return Card(
        title="OPSS incident bot commands",
        subtitle=f"{len(registry.names(surface))} commands; type /opss <command>",
        sections=sections,
    )


def help_handler(registry: Registry) -> Handler:
    def show_help(ctx: Ctx, args: Args) -> Reply:
        return Reply(card=help_card(registry, ctx.surface))

    return show_help
