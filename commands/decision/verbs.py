"""The verb of the decision log."""

from __future__ import annotations

from commands.core.registry import Line, Verb
from commands.decision import decisions

VERBS: tuple[Verb, ...] = (
    Verb(
        "decide",
        form=decisions.DECIDE,
        lines=(
            Line(
                "Running an incident",
                "decide <INC or ISS>",
                "add to the decision log; --supersedes corrects an entry",
            ),
        ),
    ),
)
