"""The verb that gives the management-information headline figures."""

from __future__ import annotations

from commands.core.registry import Line, Verb
from commands.mi import headline

VERBS: tuple[Verb, ...] = (
    Verb(
        "mi",
        run=headline.mi_verb,
        lines=(
            Line(
                "Finding things",
                "mi [--area .. --period 7d|30d|90d|365d --exercise]",
                "management information across every live issue and incident (3.20): the "
                "headline figures, with a link to the dashboard",
                "IMT, the Head of IMT and SCS",
            ),
        ),
    ),
)
