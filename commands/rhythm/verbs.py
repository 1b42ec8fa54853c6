"""The verb of the battle rhythm (3.21-3.22)."""

from __future__ import annotations

from commands.core.registry import Line, Sub, Verb
from commands.rhythm import battle_rhythm

VERBS: tuple[Verb, ...] = (
    Verb(
        "rhythm",
        run=battle_rhythm.rhythm,
        subs=(
            Sub("add", form=battle_rhythm.RHYTHM_ADD),
            Sub("replace", form=battle_rhythm.RHYTHM_REPLACE),
        ),
        words=("remove",),
        lines=(
            Line(
                "Running an incident",
                "rhythm <INC> [add | remove <#> | replace standard|escalated|reduced] "
                "[--scg .. | --tcg ..]",
                "the battle rhythm (3.21-3.22): meetings the bot reminds the channel of; a "
                "change names the SCG's agreement (3.22) or the TCG's decision (3.9)",
                who="IMT",
            ),
        ),
    ),
)
