"""When an action is chased (3.7, 3.10): reminders before it is due, then overdue, once each.

Pure: the steps of one action between two instants. The scheduler keeps a cursor per action
(``chased_until``) and asks for the steps after it.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum


class ActionStatus(StrEnum):
    OPEN = "open"
    STARTED = "started"
    BLOCKED = "blocked"
    DONE = "done"
    HANDED_OVER = "handed_over"  # to business as usual when its incident closed (3.28)


DEFAULT_LEADS = (timedelta(hours=24), timedelta(hours=2))
OVERDUE = "overdue"


@dataclass(frozen=True)
class Step:
    at: datetime
    name: str  # "remind_1440" (minutes before due) or "overdue"
    lead: timedelta | None = None


def steps(due: datetime, leads: Iterable[timedelta]) -> list[Step]:
    """Every step of an action due at ``due``, in time order."""
    out = [
        Step(due - lead, f"remind_{int(lead.total_seconds() // 60)}", lead)
        for lead in sorted(set(leads), reverse=True)
        if lead > timedelta(0)
    ]
    out.append(Step(due, OVERDUE))
    return out


def due_between(
    due: datetime, leads: Iterable[timedelta], after: datetime, until: datetime
) -> list[Step]:
    """The steps in (after, until]: what a tick at ``until`` handles."""
    return [s for s in steps(due, leads) if after < s.at <= until]


def next_after(due: datetime, leads: Iterable[timedelta], after: datetime) -> datetime | None:
    """When the next step after ``after`` falls due (None: the action has been chased out)."""
    return next((s.at for s in steps(due, leads) if s.at > after), None)


def parse_leads(text: str) -> tuple[timedelta, ...]:
    """``"24h,2h"`` or ``"90m"``: the reminder leads, as configured."""
    leads = []
    for part in text.split(","):
        part = part.strip().lower()
        if not part:
            continue
        unit = part[-1]
        try:
            number = float(part[:-1])
        except ValueError as exc:
            raise ValueError(f"'{part}' is not a lead like 24h or 90m") from exc
        if unit == "h":
            leads.append(timedelta(hours=number))
        elif unit == "m":
            leads.append(timedelta(minutes=number))
        elif unit == "d":
            leads.append(timedelta(days=number))
        else:
            raise ValueError(f"'{part}' is not a lead like 24h or 90m")
    return tuple(leads)
