"""Records made for the management-information tests, through the engine as people make them,
with the clock moved between the steps; and the figures they must give, worked out here by
hand from the steps (not read back from the database).

From Monday 23 Nov 2026 09:30 (``START``) to Wednesday 2 Dec 2026 09:30 (``NOW``):

- ISS-2026-0001 (Gas and Electrical) climbs a rung every day or two and is declared on Mon 30
  Nov: INC-2026-001, Critical, DBT ERCO engaged. Its stays: raised 1 day, FTL assessment 2,
  CAM 1, TTG 2, CAM-EP 1, case conference 0; raised to declared 7 days.
- ISS-2026-0002 is walked up and declared the same Monday in no time: INC-2026-002, Critical,
  ERCO not engaged (outstanding). ISS-2026-0003 likewise, as an EXERCISE: INC-2026-003 (ERCO
  engaged).
- Live: ISS-2026-0004 (Toys and Childcare, raised), ISS-2026-0005 (Gas and Electrical, CAM,
  reached in no time), both since Mon 30 Nov 09:30.
- Actions: Ian's on INC-001 and INC-002 due Tue 1 Dec (overdue), Fatima's on INC-001 due Fri
  4 Dec and Tom's on ISS-0005 due Thu 3 Dec (due this week), Fatima's on INC-002 due 20 Dec
  (later), Sara's on INC-002 done, Tom's on the EXERCISE due Tue 1 Dec (overdue, EXERCISE).
- Notifications, on Wed 2 Dec: INC-001 due 30 Nov (overdue), ISS-0004 due 3 Dec (1 day),
  INC-002 due 4 Dec (2 days) and 5 Dec (3 days), the EXERCISE due 1 Dec (overdue).
- Sitreps (Mondays, 16:00): INC-001 from Gas and Electrical (sent) and Toys and Childcare
  (missing), INC-002 from Gas and Electrical (missing), the EXERCISE from Toys and Childcare
  (missing): collated at Mon 30 Nov 16:00.
- The roster: the demo people's training (in date to 2030: David SCG chair, Fatima TCG chair,
  FTL deputy, bird table chair and communications lead, Tom FTL deputy, Ian secretariat and
  loggist, Olly senior investigation officer), and, added by Ian on Wed 2 Dec: Sara as SCG
  chair to Sun 20 Dec 2026 (18 days left) and secretariat to 30 Jun 2027, Rachel as TCG chair
  to 15 Jan 2027 (44 days left), Tom as loggist to 30 Nov 2026 (lapsed).
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import select

from bot.app import GENERAL_CHANNEL
from bot.config import Settings
from commands.core.clock import ManualClock
from commands.core.due import tick
from storage import seed
from storage.models import LocalChannel
from storage.unit_of_work import Database
from tests.conftest import AREAS, PEOPLE, START, Driver
from tests.fakes.server import running
from tests.fakes.steps import assess, call_conference, declare, nnc, ok, to_stage

NOW = datetime(2026, 12, 2, 9, 30, tzinfo=UTC)
G_E, TOYS = "Gas and Electrical", "Toys and Childcare"

# What the dashboard must show at NOW, EXERCISE records left out (and, where given, their
# own figures when shown). Averages to one decimal, as the tables show them.
LIVE = {"Raised": 1, "FTL assessment": 0, "CAM": 1, "TTG": 0, "CAM-EP": 0, "Case conference": 0}
LEVELS = {"Critical": 2, "High": 0, "Medium": 0, "Low": 0, "Not rated": 0}
LEVELS_EXERCISE = {"Critical": 1, "High": 0, "Medium": 0, "Low": 0, "Not rated": 0}
# owner (their user name) -> (overdue, due in the next 7 days)
ACTIONS = {"ian": (2, 0), "fatima": (0, 1), "tom": (0, 1)}
ACTIONS_EXERCISE = {"tom": (1, 0)}
NOTIFICATIONS = {
    "Overdue": 1,
    "Due today": 0,
    "1-2 days": 2,
    "3-7 days": 1,
    "8-14 days": 0,
    "15 days or more": 0,
}
NOTIFICATIONS_EXERCISE = {"Overdue": 1}
MISSING = {TOYS: 1, G_E: 1}  # team -> open incidents that lacked its update
MISSING_EXERCISE = {TOYS: 1}
# stage -> average days of the stays ended in the last 30 days, and how many
STAYS = {
    "Raised": ("0.3", 3),  # ISS-0001 1 day, 0002 and 0005 none
    "FTL assessment": ("0.7", 3),
    "CAM": ("0.5", 2),
    "TTG": ("1.0", 2),
    "CAM-EP": ("0.5", 2),
    "Case conference": ("0.0", 2),
    "Raised to declared": ("3.5", 2),
}
SO_FAR = {"Raised": "2.0", "CAM": "2.0"}  # live issues' days at their stage now
ERCO = {"Engaged": 1, "Not engaged: outstanding": 1}
ERCO_EXERCISE = {"Engaged": 1, "Not engaged: outstanding": 0}
# response role -> people trained and in date at NOW; and those lapsing within 60 days
TRAINED = {
    "SCG chair": 2,
    "TCG chair": 2,
    "FTL deputy (to the TCG chair)": 2,
    "Bird table chair": 1,
    "Secretariat": 2,
    "Loggist (keeps the decision log)": 1,
    "Communications lead": 1,
    "Senior investigation officer": 1,
}
LAPSING = {role: 1 if role in {"SCG chair", "TCG chair"} else 0 for role in TRAINED}
SHORT = [role for role, n in TRAINED.items() if n < 2]
# (person's user name, role, lapses after, days left), soonest first
LAPSING_LISTED = [
    ("sara", "SCG chair", "Sun 20 Dec 2026", "18"),
    ("rachel", "TCG chair", "Fri 15 Jan 2027", "44"),
]


def _step(clock: ManualClock, db: Database, bot: Driver, days: float) -> None:
    clock.advance(timedelta(days=days))
    tick(db, clock, bot.engine.options)


def build(bot: Driver, db: Database, clock: ManualClock) -> None:
    """Make the records, leaving the clock at ``NOW``."""
    assert clock.now() == START
    # ISS-2026-0001 up the ladder, a rung every day or two.
    ref = (
        ok(
            bot.cmd(
                "olly",
                'raise Gas hob elbow joints leaking --products "Elbow joint, batch 7" '
                f'--hazard "Gas escape" --source business --area "{G_E}"',
            )
        )
        .text.split()[1]
        .rstrip(".")
    )
    assert ref == "ISS-2026-0001", ref
    for days, user, word in (
        (1, "fatima", ""),
        (2, "fatima", ""),
        (1, "ian", " ttg"),
        (2, "rachel", " cam-ep --lead sara"),
    ):
        _step(clock, db, bot, days)
        assess(bot, ref)
        if word == " ttg":
            nnc(bot, ref)
        ok(bot.cmd(user, f"escalate {ref}{word}"))
    _step(clock, db, bot, 1)  # Mon 30 Nov 09:30
    conference = call_conference(bot, ref)
    ok(
        bot.submit(
            "ian",
            {
                "form": "outcome",
                "conference": conference,
                "outcomes": "declare_incident",
                "rationale": "Leaks confirmed",
                "decided_by": "David",
            },
        )
    )
    ok(bot.cmd("hana", f"declare {ref} --level tactical --erco yes"))  # INC-2026-001
    declare(bot, "--level tactical")  # ISS-0002, INC-2026-002: ERCO outstanding
    declare(bot, "--exercise --level tactical --erco yes")  # ISS-0003, INC-2026-003
    ok(
        bot.cmd(
            "olly",
            "raise Pram brake fails --products Pram --hazard Injury --source public "
            f'--area "{TOYS}"',
        )
    )  # ISS-2026-0004
    to_stage(bot, "cam")  # ISS-2026-0005
    actions = (
        ("INC-2026-001", "ian", "2026-12-01"),
        ("INC-2026-001", "fatima", "2026-12-04"),
        ("INC-2026-002", "ian", "2026-12-01"),
        ("INC-2026-002", "fatima", "2026-12-20"),
        ("INC-2026-002", "sara", "2026-12-01"),
        ("INC-2026-003", "tom", "2026-12-01"),
        ("ISS-2026-0005", "tom", "2026-12-03"),
    )
    for subject, owner, due in actions:
        ok(bot.cmd("hana", f"action {subject} Collect samples --owner {owner} --due {due}"))
    ok(bot.cmd("sara", "done ACT-2026-0005 --note Samples sent"))
    teams = (("INC-2026-001", f"{G_E}, {TOYS}"), ("INC-2026-002", G_E), ("INC-2026-003", TOYS))
    for incident, names in teams:
        ok(bot.cmd("ian", f'sitrep {incident} set --teams "{names}" --days mon'))
    ok(
        bot.submit(
            "fatima",
            {
                "form": "sitrep_update",
                "reference": "INC-2026-001",
                "team": G_E,
                "situation": "Samples at the lab",
                "next_steps": "Test them",
            },
        )
    )
    _step(clock, db, bot, 6.6 / 24)  # Mon 30 Nov 16:06: each sitrep collated
    _step(clock, db, bot, 2 - 6.6 / 24)  # Wed 2 Dec 09:30
    assert clock.now() == NOW
    notifications = (
        ("INC-2026-001", "reg33_4", "2026-11-20"),  # due 30 Nov
        ("ISS-2026-0004", "reg33_4", "2026-11-23"),  # due 3 Dec
        ("INC-2026-002", "reg33_4_emergency", "2026-12-01"),  # due 4 Dec
        ("INC-2026-002", "reg33_4", "2026-11-25"),  # due 5 Dec
        ("INC-2026-003", "reg33_4", "2026-11-21"),  # due 1 Dec
    )
    for subject, kind, trigger in notifications:
        ok(bot.cmd("ian", f"notify {subject} {kind} --trigger {trigger} --owner fatima"))
    for person, role, trained, expires in (
        ("sara", "scg_chair", "2026-01-05", "2026-12-20"),
        ("sara", "secretariat", "2026-02-01", "2027-06-30"),
        ("rachel", "tcg_chair", "2025-12-01", "2027-01-15"),
        ("tom", "loggist", "2025-11-01", "2026-11-30"),
    ):
        ok(bot.cmd("ian", f"roster add {person} {role} --trained {trained} --expires {expires}"))


@contextmanager
def served(folder: Path) -> Iterator[tuple[str, Any]]:
    """The bot with its pick-a-name workspace on a loopback port, the records above made in
    it (the demo people, and Tom of ``tests/conftest.py``'s): (url, bot), the clock at NOW."""
    settings = Settings(
        database_url=f"sqlite:///{folder / 'mi.sqlite3'}",
        local_workspace=True,
        outbox_pace_seconds=0,
        functional_areas=list(AREAS),
    )
    clock = ManualClock(START)
    with running(settings, clock) as (url, bot):
        seed.apply(bot.db, PEOPLE, START)  # Tom, who is not among the demo people
        with bot.db.read() as s:
            general = s.scalar(select(LocalChannel.id).where(LocalChannel.name == GENERAL_CHANNEL))
        build(Driver(bot.engine, channel=str(general)), bot.db, clock)
        yield url, bot
