"""The roster of trained staff (plan 6.3, 6.6, 3.4, 3.9), as pure rules.

FTLs see that staff identified for response roles are trained in role (6.6), and deputies
are identified for important personnel (6.3). Each entry of the roster is one person trained
for one response role, with the training date and when it lapses. Chairs and deputies are
drawn from the roster: naming someone not trained, or whose training has lapsed, needs a
recorded justification, as naming a chair the plan does not name does (3.4, 3.9).

Nothing here reads a clock or a database: ``today`` is given.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, timedelta

from rules.roles import Actor, Decision, Role
from rules.timeparse import show_date


@dataclass(frozen=True)
class ResponseRole:
    key: str
    label: str
    plan: str  # where the plan names it


# The response roles the plan names, in the order of its command structure.
RESPONSE_ROLES: tuple[ResponseRole, ...] = (
    ResponseRole("scg_chair", "SCG chair", "3.4"),
    ResponseRole("tcg_chair", "TCG chair", "3.9"),
    ResponseRole("ftl_deputy", "FTL deputy (to the TCG chair)", "3.9"),
    ResponseRole("bird_table_chair", "Bird table chair", "3.13-3.15"),
    ResponseRole("secretariat", "Secretariat", "3.20"),
    ResponseRole("loggist", "Loggist (keeps the decision log)", "3.20"),
    ResponseRole("communications_lead", "Communications lead", "3.12"),
    ResponseRole("senior_investigation_officer", "Senior investigation officer", "3.18"),
)
ROLE = {r.key: r for r in RESPONSE_ROLES}

# The seats of an incident that are drawn from the roster, and the training that qualifies
# for each: a group's chair by the group's kind, an incident role by its key. A TCG is chaired
# by the deputy director or their FTL deputy (3.9): either training qualifies.
CHAIR_TRAINING: dict[str, tuple[str, ...]] = {
    "scg": ("scg_chair",),
    "tcg": ("tcg_chair", "ftl_deputy"),
    "bird_table": ("bird_table_chair",),
}
ROLE_TRAINING: dict[str, tuple[str, ...]] = {
    "secretariat": ("secretariat",),
    "loggist": ("loggist",),
    "communications_lead": ("communications_lead",),
    "senior_investigation_officer": ("senior_investigation_officer",),
}

# How many people should be trained for each role: someone to hold it and a deputy (6.3).
MINIMUM_TRAINED = 2
# Training with no expiry given lapses a year after it was taken.
DEFAULT_VALIDITY_DAYS = 365
# Training that lapses within this many days is "about to lapse".
LAPSING_DAYS = 60


@dataclass(frozen=True)
class Training:
    """One entry of the roster: ``person`` (user name) trained for ``role``."""

    person: str
    shown: str  # display name
    role: str
    trained_on: date
    expires_on: date

    def current(self, today: date) -> bool:
        """Still valid today (an expiry date is the last day it counts)."""
        return self.trained_on <= today <= self.expires_on

    def days_left(self, today: date) -> int:
        return (self.expires_on - today).days


def default_expiry(trained_on: date) -> date:
    return trained_on + timedelta(days=DEFAULT_VALIDITY_DAYS)


def entry_problem(trained_on: date, expires_on: date, today: date) -> tuple[str, str] | None:
    """What is wrong with a new entry's dates, as (field, message), or None."""
    if trained_on > today:
        return "trained_on", "Trained on: the training has to have been taken (not after today)."
    if expires_on < trained_on:
        return "expires_on", "Expires on: the expiry cannot be before the training date."
    return None


def label(role: str) -> str:
    return ROLE[role].label if role in ROLE else role


def labels(roles: Sequence[str]) -> str:
    return " or ".join(label(r) for r in roles)


def untrained(entries: Iterable[Training], roles: Sequence[str], today: date) -> str | None:
    """Why a person with these roster ``entries`` may not be named to a seat needing one of
    ``roles`` without a justification, or None when they are trained and in date."""
    relevant = [e for e in entries if e.role in roles]
    if any(e.current(today) for e in relevant):
        return None
    lapsed = [e for e in relevant if e.expires_on < today]
    if lapsed:
        last = max(lapsed, key=lambda e: e.expires_on)
        return (
            f"no longer in date as {label(last.role)}: the training lapsed after "
            f"{show_date(last.expires_on)} (the roster, 6.6)"
        )
    return f"not trained as {labels(roles)} (the roster, 6.6)"


def trained_for(entries: Iterable[Training], roles: Sequence[str], today: date) -> list[Training]:
    """Who is trained and in date for any of ``roles``: one entry a person (the one lasting
    longest), soonest to lapse last, by name."""
    best: dict[str, Training] = {}
    for e in entries:
        if e.role in roles and e.current(today):
            held = best.get(e.person)
            if held is None or e.expires_on > held.expires_on:
                best[e.person] = e
    return sorted(best.values(), key=lambda e: (e.shown.casefold(), e.person))


@dataclass(frozen=True)
class Shortfall:
    role: str
    label: str
    trained: int  # trained and in date today
    wanted: int


@dataclass(frozen=True)
class Lapsing:
    person: str
    shown: str
    role: str
    label: str
    expires_on: date
    days_left: int


@dataclass(frozen=True)
class Readiness:
    """What the roster says of readiness on a day: roles with too few people trained, and
    training about to lapse (soonest first)."""

    today: date
    shortfalls: tuple[Shortfall, ...]
    lapsing: tuple[Lapsing, ...]
    counts: tuple[tuple[str, int], ...]  # every role with how many are trained today


def readiness(
    entries: Iterable[Training],
    today: date,
    *,
    minimum: int = MINIMUM_TRAINED,
    within_days: int = LAPSING_DAYS,
) -> Readiness:
    """Roles with fewer than ``minimum`` people trained and in date; entries lapsing within
    ``within_days`` (still valid today). ``entries``: the roster's current entries."""
    rows = list(entries)
    counts = []
    short = []
    for role in RESPONSE_ROLES:
        trained = len(trained_for(rows, (role.key,), today))
        counts.append((role.key, trained))
        if trained < minimum:
            short.append(Shortfall(role.key, role.label, trained, minimum))
    lapsing = sorted(
        (
            Lapsing(e.person, e.shown, e.role, label(e.role), e.expires_on, e.days_left(today))
            for e in rows
            if e.current(today) and e.days_left(today) <= within_days
        ),
        key=lambda x: (x.expires_on, x.shown.casefold(), x.role),
    )
    return Readiness(today, tuple(short), tuple(lapsing), tuple(counts))


def standing(entry: Training, today: date, within_days: int = LAPSING_DAYS) -> str:
    """An entry as the roster shows it: in date, lapsing soon, lapsed or not yet valid."""
    if entry.trained_on > today:
        return f"from {show_date(entry.trained_on)}"
    if entry.expires_on < today:
        return f"LAPSED {show_date(entry.expires_on)}"
    left = entry.days_left(today)
    if left <= within_days:
        return f"lapses {show_date(entry.expires_on)} (in {left} day{'s' if left != 1 else ''})"
    return f"to {show_date(entry.expires_on)}"


ROSTER_WHO = "IMT, the Head of IMT or an FTL, who see that staff are trained in role (6.1, 6.6)"


def may_keep_roster(actor: Actor) -> Decision:
    """Add and remove roster entries: the FTLs (6.6) and IMT for the Head of IMT (6.1)."""
    if actor.has(Role.IMT):
        return Decision(True, ROSTER_WHO, "IMT")
    if any(g.role is Role.FTL for g in actor.grants):
        return Decision(True, ROSTER_WHO, "FTL")
    return Decision(False, ROSTER_WHO)
