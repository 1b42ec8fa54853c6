"""Battle rhythm and sitrep cadence over the clock changes and bank holidays (pure rules)."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from itertools import islice, pairwise

import holidays as uk_holidays
import pytest

from rules.rhythm import LONDON, HolidayPolicy, Pattern, local_instant, occurrences, parse_days
from rules.sitrep import Cadence, Step, Update, collate, firings

ENG = frozenset(uk_holidays.country_holidays("GB", subdiv="ENG", years=[2026, 2027]))


def local(dt: datetime) -> str:
    return dt.astimezone(LONDON).strftime("%a %Y-%m-%d %H:%M %Z")


def test_weekly_nine_oclock_stays_at_nine_across_the_spring_change() -> None:
    daily = Pattern(days=tuple(range(7)), at=time(9, 0), holidays=HolidayPolicy.IGNORE)
    start = datetime(2026, 3, 27, 12, 0, tzinfo=UTC)
    got = [local(t) for t in islice(occurrences(daily, start), 4)]
    assert got == [
        "Sat 2026-03-28 09:00 GMT",
        "Sun 2026-03-29 09:00 BST",
        "Mon 2026-03-30 09:00 BST",
        "Tue 2026-03-31 09:00 BST",
    ]


def test_and_across_the_autumn_change() -> None:
    daily = Pattern(days=tuple(range(7)), at=time(9, 0), holidays=HolidayPolicy.IGNORE)
    start = datetime(2026, 10, 23, 12, 0, tzinfo=UTC)
    got = [local(t) for t in islice(occurrences(daily, start), 4)]
    assert got == [
        "Sat 2026-10-24 09:00 BST",
        "Sun 2026-10-25 09:00 GMT",
        "Mon 2026-10-26 09:00 GMT",
        "Tue 2026-10-27 09:00 GMT",
    ]


def test_a_time_in_the_skipped_hour_fires_once_just_after_it() -> None:
    at_0130 = Pattern(days=tuple(range(7)), at=time(1, 30), holidays=HolidayPolicy.IGNORE)
    got = list(islice(occurrences(at_0130, datetime(2026, 3, 28, 12, 0, tzinfo=UTC)), 2))
    assert [local(t) for t in got] == ["Sun 2026-03-29 02:00 BST", "Mon 2026-03-30 01:30 BST"]


def test_a_time_in_the_repeated_hour_fires_once() -> None:
    at_0130 = Pattern(days=tuple(range(7)), at=time(1, 30), holidays=HolidayPolicy.IGNORE)
    got = list(islice(occurrences(at_0130, datetime(2026, 10, 24, 12, 0, tzinfo=UTC)), 2))
    assert [local(t) for t in got] == ["Sun 2026-10-25 01:30 BST", "Mon 2026-10-26 01:30 GMT"]
    assert got[1] - got[0] == timedelta(hours=25)


def test_every_n_hours_is_elapsed_time_through_the_change() -> None:
    anchor = datetime(2026, 10, 24, 20, 0, tzinfo=UTC)
    six = Pattern(every_hours=6, anchor=anchor, holidays=HolidayPolicy.IGNORE)
    got = list(islice(occurrences(six, anchor), 4))
    assert [g - anchor for g in got] == [timedelta(hours=h) for h in (6, 12, 18, 24)]


MON_WED_FRI = Pattern(days=(0, 2, 4), at=time(10, 0))


def test_bank_holidays_are_skipped() -> None:
    # Good Friday 3 Apr and Easter Monday 6 Apr 2026.
    start = datetime(2026, 4, 1, tzinfo=UTC)
    plain = [local(t) for t in islice(occurrences(MON_WED_FRI, start), 3)]
    assert plain == [
        "Wed 2026-04-01 10:00 BST",
        "Fri 2026-04-03 10:00 BST",
        "Mon 2026-04-06 10:00 BST",
    ]
    skipped = [local(t) for t in islice(occurrences(MON_WED_FRI, start, ENG), 3)]
    assert skipped == [
        "Wed 2026-04-01 10:00 BST",
        "Wed 2026-04-08 10:00 BST",
        "Fri 2026-04-10 10:00 BST",
    ]


def test_bank_holidays_shift_to_the_next_working_day() -> None:
    shift = Pattern(days=(0, 2, 4), at=time(10, 0), holidays=HolidayPolicy.SHIFT)
    got = [local(t) for t in islice(occurrences(shift, datetime(2026, 4, 1, tzinfo=UTC), ENG), 4)]
    # Friday 3rd (holiday) and Monday 6th (holiday) both move to Tuesday 7th: one meeting.
    assert got == [
        "Wed 2026-04-01 10:00 BST",
        "Tue 2026-04-07 10:00 BST",
        "Wed 2026-04-08 10:00 BST",
        "Fri 2026-04-10 10:00 BST",
    ]


def test_scotland_has_its_own_holidays() -> None:
    sco = frozenset(uk_holidays.country_holidays("GB", subdiv="SCT", years=2026))
    assert date(2026, 1, 2) in sco and date(2026, 1, 2) not in ENG
    monday_to_friday = Pattern(days=(0, 1, 2, 3, 4), at=time(9, 0))
    first = next(occurrences(monday_to_friday, datetime(2026, 1, 1, 12, tzinfo=UTC), sco))
    assert local(first) == "Mon 2026-01-05 09:00 GMT"


def test_occurrences_are_strictly_increasing() -> None:
    shift = Pattern(days=tuple(range(7)), at=time(8, 0), holidays=HolidayPolicy.SHIFT)
    got = list(islice(occurrences(shift, datetime(2026, 12, 20, tzinfo=UTC), ENG), 20))
    assert all(a < b for a, b in pairwise(got))


def test_patterns_are_weekly_or_hourly() -> None:
    with pytest.raises(ValueError):
        Pattern()
    with pytest.raises(ValueError):
        Pattern(every_hours=0, anchor=datetime(2026, 1, 1, tzinfo=UTC))
    assert parse_days("mon, wed,fri") == (0, 2, 4) and parse_days("weekdays") == (0, 1, 2, 3, 4)
    with pytest.raises(ValueError):
        parse_days("funday")


def test_local_instant_round_trips_ordinary_times() -> None:
    assert local(local_instant(date(2026, 7, 1), time(16, 0))) == "Wed 2026-07-01 16:00 BST"


def test_sitrep_firings_prompt_chase_and_cut_off_in_order() -> None:
    cadence = Cadence(
        cutoff=time(16, 0), prompt_before=timedelta(hours=2), chase_before=timedelta(minutes=30)
    )
    start = datetime(2026, 11, 23, 9, 0, tzinfo=UTC)
    got = [(f.step, local(f.at)) for f in islice(firings(cadence, start), 4)]
    assert got == [
        (Step.PROMPT, "Mon 2026-11-23 14:00 GMT"),
        (Step.CHASE, "Mon 2026-11-23 15:30 GMT"),
        (Step.CUTOFF, "Mon 2026-11-23 16:00 GMT"),
        (Step.PROMPT, "Tue 2026-11-24 14:00 GMT"),
    ]


def test_sitrep_firings_resume_mid_cycle() -> None:
    cadence = Cadence()
    after = datetime(2026, 11, 23, 15, 0, tzinfo=UTC)  # after the prompt, before the chase
    first = next(firings(cadence, after))
    assert first.step is Step.CHASE and local(first.cutoff) == "Mon 2026-11-23 16:00 GMT"


def test_collation_lists_every_update_and_names_missing_teams() -> None:
    teams = ["Gas and Electrical", "Enforcement", "Communications"]
    updates = [
        Update("Enforcement", "Ed", {"situation": "Two suspension notices served"}),
        Update("Gas and Electrical", "Fatima", {"situation": "Testing started"}),
        Update("Gas and Electrical", "Fatima", {"situation": "Testing 50% done"}),
    ]
    as_at = datetime(2026, 11, 23, 16, 0, tzinfo=UTC)
    draft = collate(3, "INC-2026-001", as_at, teams, updates)
    assert draft.title == "SITREP 3 · INC-2026-001 · as at Mon 23 Nov 2026 16:00 GMT"
    assert [s[0] for s in draft.sections] == [
        "Gas and Electrical (from Fatima)",
        "Enforcement (from Ed)",
    ]
    assert ("Situation", "Testing 50% done") in draft.sections[0][1]
    assert draft.missing == ("Communications",)
