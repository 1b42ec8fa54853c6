"""The verbs that list issues, incidents and actions, and show a person's overview."""

from __future__ import annotations

from commands.core.registry import Line, Verb
from commands.overview import home, listing

VERBS: tuple[Verb, ...] = (
    Verb(
        "list",
        run=listing.list_verb,
        lines=(
            Line(
                "Finding things",
                "list [--mine --waiting --incidents --actions --closed --area .. --stage .. "
                "--page n]",
                "a page of issues (newest first), incidents or your actions (soonest due), "
                "with More",
            ),
            Line(
                "Finding things",
                "list --actions <INC> [--mine --closed --page n]",
                "all of an incident's actions, by owner and soonest due (whoever may read it)",
            ),
        ),
    ),
    Verb(
        "home",
        run=home.home_verb,
        lines=(
            Line(
                "Finding things",
                "home",
                "your overview, as App Home shows it: what waits on you, your actions, your "
                "incident roles, open incidents and notifications",
            ),
        ),
    ),
)
