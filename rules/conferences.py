"""A case conference's own lifecycle (2.14-2.20): called, then held or cancelled.

Dates must make sense: a conference is not called for a time already past, and its outcome
is not recorded before it has met.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from enum import StrEnum


class ConferenceStatus(StrEnum):
    CALLED = "called"
    HELD = "held"  # its outcome is recorded
    CANCELLED = "cancelled"


CONFERENCE_STATUS_LABELS = {
    ConferenceStatus.CALLED: "Called",
    ConferenceStatus.HELD: "Held",
    ConferenceStatus.CANCELLED: "Cancelled",
}


def schedule_problem(when: datetime, now: datetime) -> str | None:
    """A time is given to the minute: the current minute ("now") is allowed, earlier is not."""
    if when + timedelta(minutes=1) <= now:
        return "that time has passed; a case conference is called for now or later"
    return None


def outcome_problem(status: ConferenceStatus, scheduled_for: datetime, now: datetime) -> str | None:
    if status is ConferenceStatus.HELD:
        return (
            "already has its outcome recorded; call a further case conference to decide again "
            "(decisions are never overwritten)"
        )
    if status is ConferenceStatus.CANCELLED:
        return "was cancelled; call a new case conference"
    if now < scheduled_for:
        return "has not met yet; record its outcome once it has met"
    return None


def cancel_problem(status: ConferenceStatus) -> str | None:
    if status is ConferenceStatus.HELD:
        return "has been held (its outcome is recorded) and cannot be cancelled"
    if status is ConferenceStatus.CANCELLED:
        return "is already cancelled"
    return None
