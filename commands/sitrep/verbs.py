"""The verb of situation reports (3.23)."""

from __future__ import annotations

from commands.core.registry import Line, Sub, Verb
from commands.sitrep import sitreps

VERBS: tuple[Verb, ...] = (
    Verb(
        "sitrep",
        run=sitreps.sitrep_verb,
        subs=(
            Sub("update", form=sitreps.SITREP_UPDATE),
            Sub("amend", form=sitreps.SITREP_AMEND),
        ),
        words=("list", "show", "approve", "set", "cobr", "crip"),
        lines=(
            Line(
                "Running an incident",
                "sitrep <INC> [update | list | show <n> | approve <n> | amend <n> "
                "| set --teams .. | cobr --crip HH:MM --agreed .. | crip <n>]",
                "situation reports (3.23): team updates, the collated sitrep, IMT's approval; "
                "COBR's timings for the CRIP, which the cut-off follows (3.24)",
            ),
        ),
    ),
)
