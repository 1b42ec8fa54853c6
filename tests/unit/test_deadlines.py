"""Statutory clocks: every kind's day count from the 2005 guidance, counted in London calendar
days across both clock changes, a month end and a leap day."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest

from rules import deadlines
from rules.deadlines import Kind

GUIDANCE_DAYS = {
    Kind.RAPEX: 10,
    Kind.RAPEX_EMERGENCY: 3,
    Kind.OTHER_ACTIONS: 10,
    Kind.REG33_2: 15,
    Kind.PRODUCER: 10,
    Kind.REACTION_EMERGENCY: 20,
    Kind.REACTION_SERIOUS: 45,
    Kind.REACTION_HOME_AUTHORITY: 15,
    Kind.REVOCATION: 5,
}
# Triggers around the spring change (29 Mar 2026), the autumn change (25 Oct 2026), a month
# end (31 Jan 2027) and a leap day (29 Feb 2028).
TRIGGERS = [date(2026, 3, 27), date(2026, 10, 23), date(2027, 1, 31), date(2028, 2, 27)]


def test_every_kind_has_the_guidance_default_and_its_source() -> None:
    assert {k: c.days for k, c in deadlines.DEFAULT_CLOCKS.items()} == GUIDANCE_DAYS
    for clock in deadlines.DEFAULT_CLOCKS.values():
        assert clock.source.startswith(deadlines.GUIDANCE)
        assert f"{clock.days} calendar days" in clock.source_line


@pytest.mark.parametrize("kind", list(Kind))
@pytest.mark.parametrize("trigger", TRIGGERS)
def test_due_dates_count_london_calendar_days(kind: Kind, trigger: date) -> None:
    days = GUIDANCE_DAYS[kind]
    result = deadlines.due(trigger, deadlines.DEFAULT_CLOCKS[kind].days)
    expected = date.fromordinal(trigger.toordinal() + days)
    assert result.due_date == expected
    # Overdue from London midnight at the end of the due day, whatever the offset then.
    london = result.overdue_at.astimezone(deadlines.LONDON)
    assert (london.date(), london.hour, london.minute) == (
        date.fromordinal(expected.toordinal() + 1),
        0,
        0,
    )
    reminder = result.remind_at.astimezone(deadlines.LONDON)
    assert (reminder.hour, reminder.minute) == (9, 0)
    assert trigger <= reminder.date() <= expected


def test_spring_and_autumn_changes_move_the_utc_instant_not_the_day() -> None:
    spring = deadlines.due(date(2026, 3, 27), 3)  # due Mon 30 Mar, BST by then
    assert spring.due_date == date(2026, 3, 30)
    assert spring.overdue_at == datetime(2026, 3, 30, 23, 0, tzinfo=UTC)  # 00:00 BST
    autumn = deadlines.due(date(2026, 10, 23), 3)  # due Mon 26 Oct, GMT by then
    assert autumn.overdue_at == datetime(2026, 10, 27, 0, 0, tzinfo=UTC)
    assert autumn.remind_at == datetime(2026, 10, 24, 8, 0, tzinfo=UTC)  # Sat 09:00 BST


def test_month_end_and_leap_day() -> None:
    assert deadlines.due(date(2027, 1, 31), 10).due_date == date(2027, 2, 10)
    assert deadlines.due(date(2028, 2, 27), 3).due_date == date(2028, 3, 1)  # over 29 Feb
    assert deadlines.due(date(2028, 2, 19), 10).due_date == date(2028, 2, 29)
    assert deadlines.due(date(2027, 2, 19), 10).due_date == date(2027, 3, 1)


def test_a_short_clock_is_reminded_no_earlier_than_its_trigger_day() -> None:
    result = deadlines.due(date(2026, 11, 23), 3, remind_days_before=5)
    assert result.remind_at.astimezone(deadlines.LONDON).date() == date(2026, 11, 23)


def test_configured_counts_replace_the_default_and_name_their_source() -> None:
    clocks = deadlines.configured({"reg33_4": 2}, "OPSS_NOTIFICATION_DAYS")
    assert clocks[Kind.RAPEX].days == 2
    assert clocks[Kind.RAPEX].source_line == "2 calendar days (OPSS_NOTIFICATION_DAYS)"
    assert clocks[Kind.REG33_2].days == 15
    with pytest.raises(ValueError, match="not a notification kind"):
        deadlines.configured({"rapex": 2}, "x")


def test_days_left_is_counted_on_the_london_date() -> None:
    # 23:30 UTC on 30 Mar 2026 is already 31 Mar in London (BST).
    assert deadlines.days_left(date(2026, 3, 31), datetime(2026, 3, 30, 23, 30, tzinfo=UTC)) == 0
