"""The verb of records to take away."""

from __future__ import annotations

from commands.core.registry import Line, Verb
from commands.records import export

VERBS: tuple[Verb, ...] = (
    Verb(
        "export",
        run=export.export,
        words=("all", "decisions", "timeline", "sitreps", "review", "strategy"),
        lines=(
            Line(
                "Standing an incident down",
                "export <INC> [all|decisions|timeline|sitreps|review|strategy]",
                "records to take away: CSV, DOCX and PDF files",
            ),
        ),
    ),
)
