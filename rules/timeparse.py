"""Dates and times as people type and read them (Europe/London wall time), and as machines
read them.

The one format for people, everywhere the bot writes to them (replies, cards, documents):
``show`` for a time, "Tue 1 Dec 2026 09:00 GMT"; ``show_date`` for a day, "Tue 1 Dec 2026".
Machine-readable exports (CSV) use ``machine``, ISO 8601 in UTC: "2026-12-01T09:00:00+00:00".
``tests/unit/test_date_formats.py`` scans what a lifecycle says for any other shape."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

LONDON = ZoneInfo("Europe/London")

FORMATS = ("%Y-%m-%d %H:%M", "%Y-%m-%dT%H:%M", "%Y-%m-%d")
HINT = "use YYYY-MM-DD HH:MM (Europe/London), for example 2026-11-24 10:00"


class WhenError(ValueError):
    pass


def parse_when(text: str, now: datetime) -> datetime:
    """A wall time in London as an aware datetime. ``now`` resolves 'today'/'tomorrow'."""
    raw = text.strip()
    lowered = raw.lower()
    local_now = now.astimezone(LONDON)
    if lowered == "now":
        return local_now.replace(second=0, microsecond=0)
    for word, days in (("today", 0), ("tomorrow", 1)):
        if lowered.startswith(word):
            rest = lowered[len(word) :].strip() or "09:00"
            try:
                t = datetime.strptime(rest, "%H:%M").time()
            except ValueError as exc:
                raise WhenError(f"'{raw}' is not a date and time; {HINT}") from exc
            day = (local_now + timedelta(days=days)).date()
            return _localise(datetime.combine(day, t))
    for fmt in FORMATS:
        try:
            naive = datetime.strptime(raw, fmt)
        except ValueError:
            continue
        return _localise(naive)
    raise WhenError(f"'{raw}' is not a date and time; {HINT}")


def _localise(naive: datetime) -> datetime:
    aware = naive.replace(tzinfo=LONDON)
    # A wall time inside the spring-forward gap does not exist: refuse rather than guess.
    round_trip = aware.astimezone(ZoneInfo("UTC")).astimezone(LONDON)
    if round_trip.replace(tzinfo=None) != naive:
        raise WhenError(
            f"{naive:%Y-%m-%d %H:%M} does not exist in London (the clocks go forward then)"
        )
    return aware


def show(dt: datetime) -> str:
    """How a time is shown to people: London wall time with its zone abbreviation."""
    local = dt.astimezone(LONDON)
    return f"{show_date(local.date())} {local:%H:%M %Z}"


def show_date(day: date) -> str:
    """How a day is shown to people (a statutory due date, a training's expiry): the day of
    the week, the day without a leading zero, the month's short name, the year."""
    return f"{day:%a} {day.day} {day:%b %Y}"


def machine(dt: datetime) -> str:
    """A time in a machine-readable export: ISO 8601, in UTC, to the second."""
    return dt.astimezone(UTC).isoformat(timespec="seconds")
