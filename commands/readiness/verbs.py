"""The verbs of readiness (plan section 6): the roster, exercises and the plan's review."""

from __future__ import annotations

from commands.core.registry import Line, Sub, Verb
from commands.readiness import exercises, plan_review, roster

READINESS = "Readiness: training and exercises"

VERBS: tuple[Verb, ...] = (
    Verb(
        "roster",
        run=roster.roster_verb,
        route=roster.roster_route,
        routed=(roster.ROSTER_ADD,),
        words=("add", "remove"),
        lines=(
            Line(
                READINESS,
                "roster [<role> | <user> | add <user> <role> --trained .. | remove <user> <role>]",
                "who is trained for each response role, and until when (6.3, 6.6)",
                who="IMT or an FTL add and remove",
            ),
        ),
    ),
    Verb(
        "exercise",
        run=exercises.exercise_verb,
        route=exercises.exercise_route,
        routed=(exercises.SCHEDULE,),
        subs=(
            Sub("inject", form=exercises.INJECT),
            Sub("incident", run=exercises.link_incident),
            Sub("end", run=exercises.end),
            Sub("cancel", run=exercises.cancel),
        ),
        words=("schedule",),
        lines=(
            Line(
                READINESS,
                "exercise [schedule]",
                "the exercise programme (6.8), or schedule one: scenario, date, who takes part",
                who="IMT schedule them",
            ),
            Line(
                READINESS,
                "exercise <EXR> [inject | incident <INC> | end | cancel]",
                "an exercise: its injects, posted into its EXERCISE incident at their times; "
                "the incident it is played in; ending it, then its lessons (6.11)",
                who="IMT run them",
            ),
        ),
    ),
    Verb(
        "review-plan",
        run=plan_review.review_plan,
        lines=(
            Line(
                READINESS,
                "review-plan [YYYY]",
                "the plan's annual review pack (6.2): the year's lessons and recommendations "
                "by theme, DOCX and PDF",
                who="IMT or an SCS",
            ),
        ),
    ),
)
