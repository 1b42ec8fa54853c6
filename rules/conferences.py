"""A case conference's own lifecycle (2.14-2.20): called, then held or cancelled.

Dates must make sense: a conference is not called for a time already past, and its outcome
is not recorded before it has met.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from enum import StrEnum

# 2.15: "They take place when:" one of three grounds, each with a short name and the plan's words.
GROUNDS: tuple[tuple[str, str, str], ...] = (
    (
        "enforcement_impact",
        "Enforcement action with significant impacts",
        "Initial activities have concluded with a recommendation on enforcement action with "
        "potentially significant impacts on the business and/or OPSS or wider population (e.g. "
        "legal, business continuity, multi/national company)",
    ),
    (
        "could_become_incident",
        "Could become an incident",
        "grounds exist to suggest that the current case could become an incident",
    ),
    ("resources", "Impact on resources", "there may be a significant impact on resources"),
)
GROUND_LABELS = {key: words for key, _, words in GROUNDS}


def grounds_text(keys: list[str] | None) -> str:
    """The grounds as the card shows them (2.15), or a note that none was recorded."""
    shown = [GROUND_LABELS[k] for k in keys or [] if k in GROUND_LABELS]
    if not shown:
        return "not recorded (plan 2.15 names when a case conference takes place)"
    return "; ".join(s[0].upper() + s[1:] for s in shown)


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
