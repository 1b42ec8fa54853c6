"""Management information (plan 3.20: IMT "collates management information"; 6.4): who sees
it across every live issue and incident, the periods its measures of time cover, how the
statutory clocks' days left are grouped, and when the weekly summary falls due.

Pure: no clock is read here; every time is given.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

from rules.firing import FireStatus
from rules.rhythm import DAY_NAMES, HolidayPolicy, Pattern, occurrences
from rules.roles import Actor, Decision, Role

MI_WHO = "IMT, the Head of IMT and senior civil servants (SCS: deputy directors and above)"


def may_see_mi(actor: Actor) -> Decision:
    """3.20: IMT collates management information; the Head of IMT leads IMT, and the SCS
    (deputy directors and above among them) set the strategic direction it informs (3.17)."""
    if actor.has(Role.IMT):  # the Head of IMT too
        return Decision(True, MI_WHO, "Head of IMT" if actor.has(Role.HEAD_OF_IMT) else "IMT")
    if actor.has(Role.SCS):  # deputy directors too
        return Decision(True, MI_WHO, "SCS")
    return Decision(False, MI_WHO)


# The periods the measures of time cover (time in each stage, raised to declared, what was
# raised and declared): at most a year back, so what a page reads is bounded by a year of
# activity however long the bot has run.
PERIODS: dict[str, tuple[int, str]] = {
    "7d": (7, "the last 7 days"),
    "30d": (30, "the last 30 days"),
    "90d": (90, "the last 90 days"),
    "365d": (365, "the last 12 months"),
}
DEFAULT_PERIOD = "30d"
WEEK = timedelta(days=7)  # "due this week": within the next seven days


def period_start(period: str, now: datetime) -> datetime:
    return now - timedelta(days=PERIODS[period][0])


@dataclass(frozen=True)
class Bucket:
    """Open notifications whose days left on their clock fall within [low, high]."""

    label: str
    low: int | None  # None: no lower bound (overdue)
    high: int | None  # None: no upper bound


# Days left, as rules.deadlines.days_left counts them (London calendar days; negative overdue).
BUCKETS: tuple[Bucket, ...] = (
    Bucket("Overdue", None, -1),
    Bucket("Due today", 0, 0),
    Bucket("1-2 days", 1, 2),
    Bucket("3-7 days", 3, 7),
    Bucket("8-14 days", 8, 14),
    Bucket("15 days or more", 15, None),
)


def bucket_dates(today: date) -> list[tuple[Bucket, date | None, date | None]]:
    """Each bucket as the due dates it holds (first, last; None: open-ended), for a query."""
    out = []
    for b in BUCKETS:
        first = today + timedelta(days=b.low) if b.low is not None else None
        last = today + timedelta(days=b.high) if b.high is not None else None
        out.append((b, first, last))
    return out


@dataclass(frozen=True)
class Weekly:
    """When the weekly MI summary is posted to IMT: a weekday and a London wall time."""

    weekday: int  # 0 = Monday
    at: time

    @property
    def text(self) -> str:
        return f"{DAY_NAMES[self.weekday]} {self.at:%H:%M}"

    def next_after(self, after: datetime) -> datetime:
        """The first such moment strictly after ``after`` (UTC), bank holidays included:
        a summary is for IMT's week, not a meeting."""
        pattern = Pattern(days=(self.weekday,), at=self.at, holidays=HolidayPolicy.IGNORE)
        return next(occurrences(pattern, after))


DEFAULT_WEEKLY = Weekly(0, time(9, 0))  # Monday 09:00 London


def parse_weekly(text: str) -> Weekly | None:
    """``mon 09:00`` (a weekday and a 24-hour London time), or ``off`` (None)."""
    words = text.strip().lower().split()
    if words == ["off"]:
        return None
    if len(words) == 2 and words[0][:3] in DAY_NAMES:
        hours, _, minutes = words[1].partition(":")
        digits = hours.isdigit() and minutes.isdigit() and len(minutes) == 2
        if digits and int(hours) < 24 and int(minutes) < 60:
            return Weekly(DAY_NAMES.index(words[0][:3]), time(int(hours), int(minutes)))
    raise ValueError(
        f"'{text}' is not a weekday and a time: use e.g. 'mon 09:00' (London time), or 'off'"
    )


# A summary found due after the bot was down is still posted, marked late, within a day; a
# later one would describe a week that has moved on, so it is recorded as missed and the next
# falls due as usual.
SUMMARY_STALE = timedelta(days=1)


def summary_status(lateness: timedelta, late_after: timedelta) -> FireStatus:
    if lateness > SUMMARY_STALE:
        return FireStatus.MISSED
    return FireStatus.LATE if lateness > late_after else FireStatus.ON_TIME


def days_between(began: datetime, ended: datetime) -> float:
    """How long a stay lasted, in days and parts of a day, as the dashboard measures it."""
    return (ended - began).total_seconds() / 86400
