"""The exercise programme (plan 6.2, 6.7-6.11), as pure rules.

OPSS coordinates exercises (6.8): each is scheduled with a scenario, a date and the people
taking part, and played in an EXERCISE incident, into whose conversation the scheduler posts
the exercise's injects at their set times. An inject is posted once, however late the bot
finds it (after a restart it is marked late): a scenario's messages are its sequence, and
dropping one would break the play. Lessons are then recorded as for incidents (5.1, 6.11),
and feed the plan's annual review (6.2).
"""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from rules.roles import Actor, Decision, Role


class ExerciseStatus(StrEnum):
    SCHEDULED = "scheduled"
    ENDED = "ended"
    CANCELLED = "cancelled"


class InjectStatus(StrEnum):
    PENDING = "pending"
    POSTED = "posted"
    WITHDRAWN = "withdrawn"  # the exercise ended or was cancelled first


EXERCISE_LABELS: dict[ExerciseStatus, str] = {
    ExerciseStatus.SCHEDULED: "Scheduled",
    ExerciseStatus.ENDED: "Ended",
    ExerciseStatus.CANCELLED: "Cancelled",
}


def inject_armed(
    exercise: ExerciseStatus, inject: InjectStatus, has_incident: bool, due_at: datetime
) -> datetime | None:
    """When the scheduler should post an inject (None: not now, or never): a pending inject
    of a scheduled exercise whose EXERCISE incident is named, at its set time."""
    if exercise is ExerciseStatus.SCHEDULED and inject is InjectStatus.PENDING and has_incident:
        return due_at
    return None


def schedule_problem(when: datetime, now: datetime) -> str | None:
    """Why an exercise or an inject cannot be set for ``when``, or None."""
    if when <= now:
        return "the time has passed"
    return None


EXERCISE_WHO = "IMT, who coordinate the exercise programme for the Head of IMT (6.1, 6.8)"


def may_run_exercises(actor: Actor) -> Decision:
    """Schedule, change, end or cancel exercises, and read their injects before they post."""
    if actor.has(Role.IMT):
        return Decision(True, EXERCISE_WHO, "IMT")
    return Decision(False, EXERCISE_WHO)


PLAN_REVIEW_WHO = "IMT or a senior civil servant (they may read every incident; 6.1-6.2)"


def may_review_plan(actor: Actor) -> Decision:
    """The annual plan review pack gathers every incident's lessons: for those who may read
    every incident (IMT, SCS)."""
    if actor.has(Role.IMT):
        return Decision(True, PLAN_REVIEW_WHO, "IMT")
    if actor.has(Role.SCS):
        return Decision(True, PLAN_REVIEW_WHO, "SCS")
    return Decision(False, PLAN_REVIEW_WHO)
