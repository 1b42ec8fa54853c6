"""Calendar invitations (.ics): each battle-rhythm meeting and case conference, parsed back
with icalendar, its UID kept when the rhythm changes, SEQUENCE raised, and cancelled when a
meeting goes or the incident closes; the rules of SEQUENCE and of the dates calendars would
get wrong (bank holidays, the spring-forward gap) on their own."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta

import holidays as uk_holidays
import icalendar
import pytest

from commands.core.context import Reply
from commands.records import downloads
from rules import calendar as rules
from rules.rhythm import LONDON, HolidayPolicy, Pattern
from storage.unit_of_work import Database
from tests.conftest import Driver
from tests.fakes.stand_down import de_escalate, open_actions
from tests.fakes.steps import INC, call_conference, declare, ok, to_stage

ENG = frozenset(uk_holidays.country_holidays("GB", subdiv="ENG", years=[2026, 2027]))


def fetch(bot: Driver, db: Database, url: str) -> icalendar.Calendar:
    """Redeem a link as the bot's download door does, and parse what it serves."""
    token = url.rsplit(downloads.PATH, 1)[1]
    grant = downloads.redeem(
        db, token, bot.engine.clock.now(), requester=None, session_required=False
    )
    made = bot.engine.read_invitation("local", grant.person_name, grant.subject)
    assert made is not None
    filename, media_type, body = made
    assert filename.endswith(".ics") and media_type == "text/calendar"
    return icalendar.Calendar.from_ical(body)


def links(reply: Reply) -> dict[str, str]:
    assert reply.card is not None
    return {label: url for label, url in reply.card.links}


def event(cal: icalendar.Calendar) -> icalendar.Event:
    (only,) = cal.walk("VEVENT")
    return only


def test_each_meeting_is_an_invitation_kept_up_to_date_and_cancelled_at_closure(
    bot: Driver, db: Database
) -> None:
    declare(bot, "--tcg-chair fatima")
    first = links(ok(bot.cmd("ian", f"calendar {INC}")))
    assert list(first) == [
        "SCG: Mon, Thu 09:00",
        "TCG: weekdays 10:30",
        "Bird table: weekdays 08:30",
    ]
    scg = fetch(bot, db, first["SCG: Mon, Thu 09:00"])
    assert scg["METHOD"] == "REQUEST"
    assert scg.walk("VTIMEZONE")[0]["TZID"] == "Europe/London"
    ev = event(scg)
    start = ev.decoded("DTSTART")
    assert str(start.tzinfo) == "Europe/London" and start.time() == time(9, 0)
    assert ev["DTSTART"].params["TZID"] == "Europe/London"
    assert start.weekday() in (0, 3)
    assert dict(ev["RRULE"]) == {"FREQ": ["WEEKLY"], "BYDAY": ["MO", "TH"]}
    assert ev.decoded("DURATION") == timedelta(minutes=60)
    assert str(ev["SUMMARY"]).startswith(f"SCG · {INC} ")
    assert ev["SEQUENCE"] == 0 and ev["STATUS"] == "CONFIRMED"
    uid = str(ev["UID"])

    # A link is spent by its first use: the same person asks again for the update.
    token = first["SCG: Mon, Thu 09:00"].rsplit(downloads.PATH, 1)[1]
    with pytest.raises(downloads.Refused):
        downloads.redeem(db, token, bot.engine.clock.now(), requester=None, session_required=False)

    ok(bot.cmd("ian", f'rhythm {INC} replace escalated --scg "Hana Patel, 23 Nov"'))
    after = links(ok(bot.cmd("ian", f"calendar {INC}")))
    changed = event(fetch(bot, db, after["SCG: daily 09:00"]))
    assert str(changed["UID"]) == uid and changed["SEQUENCE"] == 1
    assert dict(changed["RRULE"])["BYDAY"] == ["MO", "TU", "WE", "TH", "FR", "SA", "SU"]
    gone = fetch(bot, db, after["Cancel: Bird table"])
    assert gone["METHOD"] == "CANCEL"
    assert event(gone)["STATUS"] == "CANCELLED" and event(gone)["SEQUENCE"] == 1
    morning = event(fetch(bot, db, after["Bird table (morning): daily 08:00"]))
    assert morning["SEQUENCE"] == 0 and str(morning["UID"]) != uid

    # The same rhythm applied again changes nothing a calendar sees: no new SEQUENCE.
    ok(bot.cmd("ian", f'rhythm {INC} replace escalated --scg "Hana Patel, 23 Nov"'))
    again = links(ok(bot.cmd("ian", f"calendar {INC} SCG")))
    assert event(fetch(bot, db, again["SCG: daily 09:00"]))["SEQUENCE"] == 1

    de_escalate(bot, to="normal")  # closing follows the return to normal operations (3.26)
    for done in open_actions(db):
        ok(bot.cmd("fatima", f"done {done}"))
    ok(bot.cmd("hana", f'close {INC} --reason "Back to normal" --review "2026-12-15 10:00"'))
    closed = ok(bot.cmd("ian", f"calendar {INC}"))
    assert "cancellations" in closed.text
    for label, url in links(closed).items():
        assert label.startswith("Cancel: ")
        cal = fetch(bot, db, url)
        assert cal["METHOD"] == "CANCEL" and event(cal)["STATUS"] == "CANCELLED"
        if label == "Cancel: SCG":
            # 1: the escalated rhythm; 2: the reduced one of the return to normal; 3: closed.
            assert str(event(cal)["UID"]) == uid and event(cal)["SEQUENCE"] == 3


def test_only_those_who_may_read_the_incident_have_its_invitations(
    bot: Driver, db: Database
) -> None:
    declare(bot)
    refused = bot.cmd("tom", f"calendar {INC}")
    assert not refused.ok and refused.card is None
    url = links(ok(bot.cmd("ian", f"calendar {INC} 1")))["SCG: Mon, Thu 09:00"]
    token = url.rsplit(downloads.PATH, 1)[1]
    grant = downloads.redeem(
        db, token, bot.engine.clock.now(), requester=None, session_required=False
    )
    # Made for ian; checked again, as tom, when it is made.
    assert bot.engine.read_invitation("local", "tom", grant.subject) is None
    unknown = bot.cmd("ian", f"calendar {INC} Evidence group")
    assert not unknown.ok and "has no meeting 'Evidence group'" in unknown.text


def test_a_case_conference_is_invited_and_cancelled(bot: Driver, db: Database) -> None:
    ref = to_stage(bot, "cam_ep")
    cc = call_conference(bot, ref)
    called = ok(bot.cmd("olly", f"calendar {cc}"))
    ((label, url),) = links(called).items()
    assert label == f"Case conference {cc}"
    ev = event(fetch(bot, db, url))
    assert ev["SEQUENCE"] == 0 and ev["STATUS"] == "CONFIRMED"
    assert ev["DTSTART"].params["TZID"] == "Europe/London"
    assert str(ev["SUMMARY"]).startswith(f"Case conference {cc} · {ref}")
    ok(bot.cmd("hana", f'cancel {cc} --reason "Resolved by the business"'))
    cancelled = fetch(
        bot, db, links(ok(bot.cmd("olly", f"calendar {cc}")))[f"Cancel: Case conference {cc}"]
    )
    assert cancelled["METHOD"] == "CANCEL"
    gone = event(cancelled)
    assert gone["SEQUENCE"] == 1 and gone["STATUS"] == "CANCELLED"
    assert str(gone["UID"]) == str(ev["UID"])


# The rules on their own -------------------------------------------------------------------

T0 = datetime(2026, 11, 23, 9, tzinfo=UTC)


def v(began: int, ended: int | None, says: str) -> rules.Version:
    at = T0 + timedelta(hours=began)
    return rules.Version(at, T0 + timedelta(hours=ended) if ended is not None else None, says)


@pytest.mark.parametrize(
    ("versions", "closed", "sequence", "cancelled", "current"),
    [
        ([v(0, None, "a")], False, 0, False, 0),
        ([v(0, 1, "a"), v(1, None, "a")], False, 0, False, 1),  # the same again: no change
        ([v(0, 1, "a"), v(1, None, "b")], False, 1, False, 1),  # changed
        ([v(0, 1, "a")], False, 1, True, 0),  # removed
        ([v(0, 1, "a"), v(2, None, "a")], False, 2, False, 1),  # removed, then back
        ([v(0, 1, "a"), v(1, 2, "b"), v(2, None, "c")], True, 3, True, 2),  # changes, closed
        # Replaced in the instant it began (a frozen demo clock): still a change.
        ([v(0, 0, "x"), v(0, None, "a")], False, 1, False, 1),
    ],
)
def test_sequence_counts_what_calendars_see_change(
    versions: list[rules.Version], closed: bool, sequence: int, cancelled: bool, current: int
) -> None:
    got = rules.state(versions, closed=closed)
    assert (got.sequence, got.cancelled, got.current) == (sequence, cancelled, current)


def test_bank_holidays_skipped_are_left_out_and_those_moved_are_added() -> None:
    # Good Friday 3 Apr and Easter Monday 6 Apr 2026.
    start = datetime(2026, 3, 30, 9, tzinfo=UTC)
    until = datetime(2026, 4, 12, tzinfo=UTC)
    skip = Pattern(days=(0, 4), at=time(10, 0), holidays=HolidayPolicy.SKIP)
    left_out, added = rules.exceptions(skip, start, until, ENG)
    assert [d.astimezone(LONDON).date() for d in left_out] == [date(2026, 4, 3), date(2026, 4, 6)]
    assert added == []
    shift = Pattern(days=(4,), at=time(10, 0), holidays=HolidayPolicy.SHIFT)
    left_out, added = rules.exceptions(shift, start, until, ENG)
    assert [d.astimezone(LONDON).date() for d in left_out] == [date(2026, 4, 3)]
    assert [d.astimezone(LONDON).date() for d in added] == [date(2026, 4, 7)]
    assert added[0].astimezone(LONDON).time() == time(10, 0)


def test_a_time_in_the_spring_gap_is_moved_where_the_bot_holds_it() -> None:
    # A calendar reads 01:30 on 29 Mar 2026 as 02:30 BST (RFC 5545); the bot meets at 02:00.
    at_0130 = Pattern(days=tuple(range(7)), at=time(1, 30), holidays=HolidayPolicy.IGNORE)
    start = datetime(2026, 3, 28, 1, 30, tzinfo=UTC)
    left_out, added = rules.exceptions(at_0130, start, datetime(2026, 4, 1, tzinfo=UTC), ENG)
    assert [d.astimezone(LONDON).strftime("%d %H:%M %Z") for d in left_out] == ["29 02:30 BST"]
    assert [d.astimezone(LONDON).strftime("%d %H:%M %Z") for d in added] == ["29 02:00 BST"]
