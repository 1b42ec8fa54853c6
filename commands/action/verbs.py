"""The verbs of actions: assigning one and reporting its progress."""

from __future__ import annotations

from commands.action import actions, progress
from commands.core.registry import Line, Verb

RUNNING = "Running an incident"

VERBS: tuple[Verb, ...] = (
    Verb(
        "action",
        form=actions.ACTION,
        lines=(
            Line(
                RUNNING,
                "action <INC or ISS> <what> --owner <user> --due YYYY-MM-DD [--standard ..]",
                "assign a task with an owner, timescale and quality standard (3.10)",
            ),
        ),
    ),
    Verb(
        "started",
        run=progress.started,
        lines=(
            Line(
                RUNNING,
                "started <ACT> | blocked <ACT> [--reason ..] | done <ACT> [--note ..]",
                "an action's progress (also its card's buttons); it is reminded and, once "
                "overdue, escalated",
            ),
        ),
    ),
    # ``started``'s line shows these two as well: one line for an action's progress.
    Verb("blocked", form=progress.BLOCKED, lines=()),
    Verb("done", run=actions.done, lines=()),
)
