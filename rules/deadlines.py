"""Statutory clocks of product-safety notifications: kinds, triggers, day counts, due times.

The day counts are those of the GPSR 2005 notification guidance for local authorities (its
sections 2, 3, 4 and 6). Current GB law words most of these duties as "immediately" or
"forthwith", so the counts are configuration with the guidance's values as defaults, and every
due date says which source it came from. Days are calendar days counted in Europe/London: a
notification triggered on a date is due by the end of the London day ``days`` later, whatever
the clocks did in between.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, replace
from datetime import UTC, date, datetime, time, timedelta
from enum import StrEnum
from zoneinfo import ZoneInfo

LONDON = ZoneInfo("Europe/London")
GUIDANCE = "GPSR 2005 notification guidance for local authorities"


class Kind(StrEnum):
    RAPEX = "reg33_4"
    RAPEX_EMERGENCY = "reg33_4_emergency"
    OTHER_ACTIONS = "other_actions"
    REG33_2 = "reg33_2"
    PRODUCER = "reg9"
    REACTION_EMERGENCY = "reaction_emergency"
    REACTION_SERIOUS = "reaction_serious"
    REACTION_HOME_AUTHORITY = "reaction_home"
    REVOCATION = "revocation"


@dataclass(frozen=True)
class Clock:
    kind: Kind
    label: str
    trigger: str  # what starts the clock
    days: int
    annex: str  # the form to fill: "II", "III", "IV" or "VI" (toys use VI instead of II)
    source: str  # where the day count comes from
    short: str = ""  # for choice lists (Slack stops option labels at 75 characters)

    @property
    def source_line(self) -> str:
        return f"{self.days} calendar days ({self.source})"


DEFAULT_CLOCKS: dict[Kind, Clock] = {
    c.kind: c
    for c in (
        Clock(
            Kind.RAPEX,
            "Reg 33(4) RAPEX notification (serious risk)",
            "LA decision to take measures, or agreed voluntary action, whichever is sooner",
            10,
            "II",
            f"{GUIDANCE}, section 2 'Timetable'",
            short="Reg 33(4) RAPEX (serious risk)",
        ),
        Clock(
            Kind.RAPEX_EMERGENCY,
            "Reg 33(4) notification requiring emergency action",
            "measure adopted",
            3,
            "II",
            f"{GUIDANCE}, section 2 'Timetable'",
            short="Reg 33(4) requiring emergency action",
        ),
        Clock(
            Kind.OTHER_ACTIONS,
            "Serious risk before measures, batch withdrawn or import blocked",
            "risk or event identified",
            10,
            "II",
            f"{GUIDANCE}, section 2 'Other Actions'",
            short="Serious risk: other actions",
        ),
        Clock(
            Kind.REG33_2,
            "Reg 33(2) notification (non-serious risk)",
            "decision to adopt measures",
            15,
            "II",
            f"{GUIDANCE}, section 3",
            short="Reg 33(2) (non-serious risk)",
        ),
        Clock(
            Kind.PRODUCER,
            "Reg 9 producer/distributor notification to the national contact point",
            "notifiable information available",
            10,
            "IV",
            f"{GUIDANCE}, section 4 'Timetable'",
            short="Reg 9 producer/distributor",
        ),
        Clock(
            Kind.REACTION_EMERGENCY,
            "Reaction to a RAPEX notification requiring emergency action",
            "RAPEX notification communicated",
            20,
            "III",
            f"{GUIDANCE}, section 2 'Reactions'",
            short="Reaction (emergency action)",
        ),
        Clock(
            Kind.REACTION_SERIOUS,
            "Reaction to a RAPEX notification (serious risk)",
            "RAPEX notification communicated",
            45,
            "III",
            f"{GUIDANCE}, section 2 'Reactions'",
            short="Reaction (serious risk)",
        ),
        Clock(
            Kind.REACTION_HOME_AUTHORITY,
            "Reaction by the home authority of a UK manufacturer",
            "RAPEX notification communicated",
            15,
            "III",
            f"{GUIDANCE}, section 2 'Reactions'",
            short="Reaction (home authority, UK maker)",
        ),
        Clock(
            Kind.REVOCATION,
            "Decision to revoke, vary or amend a measure",
            "the decision",
            5,
            "II",
            f"{GUIDANCE}, section 6",
            short="Revoke, vary or amend a measure",
        ),
    )
}
REACTIONS = frozenset(
    {Kind.REACTION_EMERGENCY, Kind.REACTION_SERIOUS, Kind.REACTION_HOME_AUTHORITY}
)


def configured(overrides: Mapping[str, int], source: str) -> dict[Kind, Clock]:
    """The default clocks with some day counts replaced; ``source`` names the configuration."""
    clocks = dict(DEFAULT_CLOCKS)
    for key, days in overrides.items():
        try:
            kind = Kind(key)
        except ValueError as exc:
            names = ", ".join(k.value for k in Kind)
            raise ValueError(f"'{key}' is not a notification kind; use one of {names}") from exc
        if not isinstance(days, int) or days < 0:
            raise ValueError(f"{key}: the day count must be a whole number of days, not {days!r}")
        clocks[kind] = replace(clocks[kind], days=days, source=source)
    return clocks


@dataclass(frozen=True)
class Due:
    due_date: date  # the last London day on which it is in time
    overdue_at: datetime  # the first instant it is late: 00:00 London the day after (UTC)
    remind_at: datetime  # when the owner is reminded (UTC)


def london_date(at: datetime) -> date:
    return at.astimezone(LONDON).date()


def _london_instant(day: date, at: time) -> datetime:
    # 00:00 and 09:00 exist on every London day (the clocks change at 01:00 or 02:00).
    return datetime.combine(day, at, tzinfo=LONDON).astimezone(UTC)


def due(
    trigger: date,
    days: int,
    *,
    remind_days_before: int = 2,
    remind_at: time = time(9, 0),
) -> Due:
    """The deadline of a clock started on ``trigger`` (a London date).

    The reminder is at ``remind_at`` London, ``remind_days_before`` days before the due date,
    but never before the trigger day (a three-day clock is reminded on its first day).
    """
    due_date = trigger + timedelta(days=days)
    remind_day = max(due_date - timedelta(days=remind_days_before), trigger)
    return Due(
        due_date=due_date,
        overdue_at=_london_instant(due_date + timedelta(days=1), time(0, 0)),
        remind_at=_london_instant(remind_day, remind_at),
    )


def days_left(due_date: date, now: datetime) -> int:
    """Calendar days left in London (0: due today; negative: overdue by that many days)."""
    return (due_date - london_date(now)).days
