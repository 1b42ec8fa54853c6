"""The verb of the battle rhythm (3.21-3.22)."""

from __future__ import annotations

from commands.core.registry import Line, Sub, Verb
from commands.rhythm import battle_rhythm, invitations

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
    Verb(
        "calendar",
        run=invitations.calendar,
        lines=(
            Line(
                "Running an incident",
                "calendar <INC> [<meeting>] | calendar <CC>",
                "calendar invitations (.ics) to the battle rhythm's meetings or a case "
                "conference: a link for you, updated when the rhythm changes, cancelled at closure",
            ),
        ),
    ),
)
