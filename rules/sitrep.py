"""Situation reports (plan 3.23-3.24): the cadence's firings and the collation, pure.

For each cut-off the bot prompts the contributing teams, chases the ones that have not
submitted, and at the cut-off collates a numbered sitrep for IMT to approve.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from enum import StrEnum

from rules.rhythm import LONDON, HolidayPolicy, Pattern, occurrences
from rules.timeparse import show

FIELDS: tuple[tuple[str, str], ...] = (
    ("situation", "Situation"),
    ("actions_since", "Actions since the last report"),
    ("next_steps", "Next steps"),
    ("issues_risks", "Issues and risks"),
    ("resources", "Resources needed"),
)


class SitrepStatus(StrEnum):
    DRAFT = "draft"  # collated at the cut-off, awaiting IMT's approval
    PUBLISHED = "published"


class Step(StrEnum):
    PROMPT = "sitrep_prompt"
    CHASE = "sitrep_chase"
    CUTOFF = "sitrep_cutoff"


@dataclass(frozen=True)
class Cadence:
    cutoff: time = time(16, 0)
    days: tuple[int, ...] = (0, 1, 2, 3, 4, 5, 6)
    prompt_before: timedelta = timedelta(hours=2)
    chase_before: timedelta = timedelta(minutes=30)
    holidays: HolidayPolicy = HolidayPolicy.IGNORE  # incidents do not stop for bank holidays

    def pattern(self) -> Pattern:
        return Pattern(days=self.days, at=self.cutoff, holidays=self.holidays)


@dataclass(frozen=True)
class Firing:
    step: Step
    at: datetime
    cutoff: datetime


def firings(
    cadence: Cadence,
    after: datetime,
    holidays: frozenset[date] = frozenset(),
    started: datetime | None = None,
) -> Iterator[Firing]:
    """Prompts, chases and cut-offs strictly after ``after``, in time order.

    ``started``: when the cadence began. A first cycle begun after its prompt time still
    opens with a prompt, at once; one begun after its chase time is too short to be fair
    to the teams, and the first cycle is the next cut-off's.
    """
    start = after - cadence.prompt_before
    # A cut-off's prompt can fall after ``after`` even when an earlier cut-off has not.
    for cutoff in occurrences(cadence.pattern(), start, holidays):
        steps = [
            (Step.PROMPT, cutoff - cadence.prompt_before),
            (Step.CHASE, cutoff - cadence.chase_before),
            (Step.CUTOFF, cutoff),
        ]
        if started is not None and steps[0][1] < started:
            if started > steps[1][1]:
                continue  # not this cut-off: too little time before it
            steps[0] = (Step.PROMPT, started)
        for step, at in steps:
            if at > after:
                yield Firing(step, at, cutoff)


@dataclass(frozen=True)
class Update:
    team: str
    by: str
    fields: Mapping[str, str]


@dataclass(frozen=True)
class Draft:
    number: int
    title: str
    # (team heading, ((field label, what the team wrote), ...)), in the teams' order
    sections: tuple[tuple[str, tuple[tuple[str, str], ...]], ...]
    missing: tuple[str, ...]


def title(number: int, incident: str, as_at: datetime, exercise: bool = False) -> str:
    local = as_at.astimezone(LONDON)
    prefix = "EXERCISE · " if exercise else ""
    return f"{prefix}SITREP {number} · {incident} · as at {show(local)}"


def collate(
    number: int,
    incident: str,
    as_at: datetime,
    teams: Sequence[str],
    updates: Sequence[Update],
    exercise: bool = False,
) -> Draft:
    """Every team's update in the teams' order; the teams with none are named as missing."""
    latest = {u.team: u for u in updates}  # a later update from a team replaces its earlier one
    sections: list[tuple[str, tuple[tuple[str, str], ...]]] = []
    for team in teams:
        update = latest.get(team)
        if update is None:
            continue
        answers = tuple((label, update.fields.get(key) or "—") for key, label in FIELDS)
        sections.append((f"{team} (from {update.by})", answers))
    missing = tuple(t for t in teams if t not in latest)
    return Draft(number, title(number, incident, as_at, exercise), tuple(sections), missing)
