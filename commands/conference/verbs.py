"""The verbs of case conferences (2.14-2.19)."""

from __future__ import annotations

from commands.conference import conferences
from commands.core.registry import Line, Verb

VERBS: tuple[Verb, ...] = (
    Verb(
        "conference",
        form=conferences.CONFERENCE,
        lines=(
            Line(
                "Issues up the ladder",
                "conference <ISS> [--when 'YYYY-MM-DD HH:MM' --scs <user> --grounds ..]",
                "call a case conference (2.14-2.18) on the grounds of 2.15",
            ),
        ),
    ),
    Verb(
        "outcome",
        form=conferences.OUTCOME,
        lines=(
            Line(
                "Issues up the ladder",
                "outcome <CC or ISS>",
                "record a case conference outcome as decisions (2.19)",
            ),
        ),
    ),
    Verb(
        "cancel",
        run=conferences.cancel,
        lines=(
            Line(
                "Standing an incident down",
                "cancel <CC> --reason ..",
                "cancel a case conference that has not met",
                who="its requester, IMT or a deputy director",
            ),
        ),
    ),
)
