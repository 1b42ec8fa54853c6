"""The management information's panel of the roster of trained staff (plan 6.3, 6.6): the
response roles with too few people trained and in date, and the training about to lapse.

The roster is OPSS's, not an incident's: the functional area and the period do not narrow it,
and EXERCISE records play no part in it. It is read as on the day in London, in one
statement (``commands/readiness/roster.py``: ``roster_readiness``), whatever its history.
"""

from __future__ import annotations

from datetime import datetime
from typing import Protocol

from sqlalchemy.orm import Session

from commands.mi.panels import Headline, Panel, Series, Table
from commands.readiness.roster import roster_readiness
from rules import roster
from rules.roster import RESPONSE_ROLES
from rules.timeparse import show_date


class Reader(Protocol):
    """What the panel reads of the dashboard's reader (``commands/mi/figures.py``), named
    here so that the panel does not import the module that lists it."""

    @property
    def session(self) -> Session: ...

    @property
    def now(self) -> datetime: ...


LISTED = 10  # training about to lapse listed beneath the chart, soonest first


def roster_panel(r: Reader) -> tuple[Panel, tuple[Headline, ...]]:
    state = roster_readiness(r.session, r.now)
    counts = dict(state.counts)
    lapsing_people = {(x.person, x.role) for x in state.lapsing}
    labels = tuple(role.label for role in RESPONSE_ROLES)
    trained = tuple(float(counts.get(role.key, 0)) for role in RESPONSE_ROLES)
    lapsing = tuple(
        float(sum(1 for _, held in lapsing_people if held == role.key)) for role in RESPONSE_ROLES
    )
    within = roster.LAPSING_DAYS
    wanted = roster.MINIMUM_TRAINED
    short = state.shortfalls
    words = (
        f"{len(short)} of {len(RESPONSE_ROLES)} response roles have fewer than {wanted} people "
        f"trained and in date; {len(state.lapsing)} "
        + ("training lapses" if len(state.lapsing) == 1 else "trainings lapse")
        + f" within {within} days."
    )
    listed = tuple(
        (x.shown, x.label, show_date(x.expires_on), str(x.days_left))
        for x in state.lapsing[:LISTED]
    )
    more = len(state.lapsing) - len(listed)
    panel = Panel(
        "roster",
        "Trained staff: roles with too few, and training about to lapse (6.3, 6.6)",
        words,
        "Response role",
        labels,
        (
            Series("Trained and in date", trained),
            Series(f"Of them, lapsing within {within} days", lapsing),
        ),
        unit="people",
        horizontal=True,
        note=f"Each role wants at least {wanted} people trained and in date: one to hold it and "
        f"a deputy (6.3). As on {show_date(state.today)}, for all of OPSS: the functional area and "
        "the period do not narrow the roster. Keep it with /opss roster.",
        details=(
            Table(
                f"Roles with fewer than {wanted} trained and in date",
                ("Response role", "Plan", "Trained and in date", "Wanted"),
                tuple(
                    (s.label, roster.ROLE[s.role].plan, str(s.trained), str(s.wanted))
                    for s in short
                ),
                f"None: every role has at least {wanted}.",
            ),
            Table(
                f"Training that lapses within {within} days, soonest first"
                + (f" (the first {LISTED}; {more} more in /opss roster)" if more > 0 else ""),
                ("Person", "Response role", "Lapses after", "Days left"),
                listed,
                f"None lapses within {within} days.",
            ),
        ),
    )
    return panel, (
        Headline(
            "Roles with too few trained",
            str(len(short)),
            ", ".join(s.label for s in short),
        ),
        Headline(f"Training lapsing within {within} days", str(len(state.lapsing))),
    )
