"""Invitations people put in their calendars: each meeting of an incident's battle rhythm
(3.21-3.22) and each case conference (2.14-2.20) as an iCalendar (.ics) file.

/opss calendar INC-2026-001 [meeting]      one link per meeting of the rhythm
/opss calendar CC-2026-0001                the case conference

An invitation is not stored: it is made when its link is fetched, from the rows the meetings
keep, so it is always the latest (``rules/calendar.py`` derives its UID's SEQUENCE). A link is
the one-door download (``commands/records/downloads.py``): for the person who asked, once,
within minutes, for someone who may read the incident; the same person may ask again, and
gets the update, or the cancellation once the meeting is removed or the incident closed.
"""

from __future__ import annotations

import re
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime, time, timedelta
from urllib.parse import urlsplit

from icalendar import (
    Calendar,
    Event,
    Timezone,
    TimezoneDaylight,
    TimezoneStandard,
    vCalAddress,
    vText,
)
from sqlalchemy import select
from sqlalchemy.orm import Session

from cards.model import Action, Card
from commands.core import outbox
from commands.core.access import require_read
from commands.core.args import Args
from commands.core.context import Ctx, Options, Reply, UserError
from commands.core.lookup import find_conference, find_subject
from commands.records import downloads
from rules import calendar as rules
from rules.conferences import ConferenceStatus
from rules.references import parse_reference
from rules.rhythm import DAY_NAMES, LONDON, HolidayPolicy, Pattern
from rules.stand_down import Status
from rules.timeparse import show
from storage.models import CaseConference, Incident, Issue, RhythmEvent

MEDIA_TYPE = "text/calendar"
KIND = "invitation"
PRODID = "-//OPSS//Incident bot//EN"
CONFERENCE_MINUTES = 60  # the plan gives a case conference no length; an hour is held
AHEAD = timedelta(days=366)  # exceptions (bank holidays) are listed this far ahead
SHOWN = 12  # meetings listed on the card, live ones first
RBYDAY = ("MO", "TU", "WE", "TH", "FR", "SA", "SU")


def pattern_of(event: RhythmEvent) -> Pattern:
    """The rule a rhythm row keeps: weekly at a London time, or every N hours."""
    if event.every_hours:
        return Pattern(
            every_hours=event.every_hours,
            anchor=event.anchor_at,
            holidays=HolidayPolicy(event.holidays),
        )
    hour, minute = (int(x) for x in (event.at_local or "09:00").split(":"))
    return Pattern(
        days=tuple(event.days or ()),
        at=time(hour, minute),
        holidays=HolidayPolicy(event.holidays),
    )


def days_text(days: list[int]) -> str:
    if sorted(days) == [0, 1, 2, 3, 4]:
        return "weekdays"
    if sorted(days) == list(range(7)):
        return "daily"
    return ", ".join(DAY_NAMES[d].capitalize() for d in sorted(days))


def when_text(event: RhythmEvent) -> str:
    if event.every_hours:
        return f"every {event.every_hours} h"
    return f"{days_text(event.days or [])} {event.at_local}"


# A meeting series: every row of one incident with one name -----------------------------------


@dataclass(frozen=True)
class Series:
    incident: Incident
    name: str
    event: RhythmEvent  # the version the invitation shows
    first_id: int  # the series' first row: what a link names
    state: rules.State


def _says(event: RhythmEvent) -> tuple[object, ...]:
    """What a calendar shows of a row: a change of any of these is a new SEQUENCE."""
    return (
        tuple(sorted(event.days or ())),
        event.at_local,
        event.every_hours,
        event.anchor_at if event.every_hours else None,
        event.duration_minutes,
        event.holidays,
        event.agenda,
        event.location,
        event.attendees,
    )


def _key(name: str) -> str:
    return " ".join(name.split()).casefold()


def series_of(session: Session, incident: Incident) -> list[Series]:
    """The incident's meeting series, live ones first, each in the order it was first set."""
    rows = session.scalars(
        select(RhythmEvent)
        .where(RhythmEvent.incident_id == incident.id)
        .order_by(RhythmEvent.created_at, RhythmEvent.id)
    ).all()
    grouped: dict[str, list[RhythmEvent]] = {}
    for row in rows:
        grouped.setdefault(_key(row.name), []).append(row)
    closed = incident.status == Status.CLOSED
    out = []
    for versions in grouped.values():
        state = rules.state(
            [rules.Version(r.created_at, r.replaced_at, _says(r)) for r in versions],
            closed=closed,
        )
        event = versions[state.current]
        out.append(Series(incident, event.name, event, versions[0].id, state))
    return sorted(out, key=lambda s: (s.state.cancelled, s.first_id))


def _uid(options: Options, *parts: str) -> str:
    """Stable for the series on this deployment: the same meeting, the same UID."""
    host = urlsplit(options.public_url or "").hostname or "opss.invalid"
    name = "/".join((options.public_url or "opss", *parts))
    return f"{uuid.uuid5(uuid.NAMESPACE_URL, name)}@{host}"


def _organizer(options: Options) -> vCalAddress:
    host = urlsplit(options.public_url or "").hostname or "opss.invalid"
    address = vCalAddress(f"mailto:{options.calendar_organizer or f'incidents@{host}'}")
    address.params["cn"] = vText("OPSS incident bot")
    return address


def _calendar(cancelled: bool, event: Event) -> bytes:
    cal = Calendar()
    cal.add("prodid", PRODID)
    cal.add("version", "2.0")
    cal.add("calscale", "GREGORIAN")
    # A request people add; the same UID with METHOD:CANCEL takes it out again.
    cal.add("method", "CANCEL" if cancelled else "REQUEST")
    cal.add_component(event)
    cal.add_component(_london())
    return bytes(cal.to_ical())


def _london() -> Timezone:
    """Europe/London as the rule it has kept since 1996 (last Sunday of March and of October,
    at 01:00 UTC), which holds for any year, rather than a list of dates that ends."""
    zone = Timezone()
    zone.add("tzid", "Europe/London")
    for part, month, start, before, after, name in (
        (TimezoneDaylight(), 3, datetime(1996, 3, 31, 1), "+0000", "+0100", "BST"),
        (TimezoneStandard(), 10, datetime(1996, 10, 27, 2), "+0100", "+0000", "GMT"),
    ):
        part.add("dtstart", start)
        part.add("rrule", {"freq": "yearly", "bymonth": month, "byday": "-1SU"})
        part.add("tzoffsetfrom", timedelta(hours=int(before[:3])))
        part.add("tzoffsetto", timedelta(hours=int(after[:3])))
        part.add("tzname", name)
        zone.add_component(part)
    return zone


def _slug(text: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-")[:40] or "meeting"


def _filename(incident: Incident | None, stem: str) -> str:
    prefix = "EXERCISE-" if incident is not None and incident.exercise else ""
    return f"{prefix}{stem}.ics"


def meeting_ics(options: Options, series: Series, now: datetime) -> tuple[str, bytes]:
    incident, event, state = series.incident, series.event, series.state
    pattern = pattern_of(event)
    start = rules.first_start(pattern, event.created_at)
    ev = Event()
    ev.add("uid", _uid(options, incident.reference, "meeting", _key(series.name)))
    ev.add("sequence", state.sequence)
    ev.add("dtstamp", now.astimezone(UTC))
    ev.add("last-modified", state.changed_at.astimezone(UTC))
    exercise = "EXERCISE · " if incident.exercise else ""
    ev.add("summary", f"{exercise}{event.name} · {incident.reference} {incident.title}")
    if event.every_hours:
        ev.add("dtstart", start.astimezone(UTC))  # every N hours is not a wall time
        ev.add("rrule", {"freq": "hourly", "interval": event.every_hours})
    else:
        ev.add("dtstart", start.astimezone(LONDON))
        ev.add("rrule", {"freq": "weekly", "byday": [RBYDAY[d] for d in sorted(event.days or [])]})
    ev.add("duration", timedelta(minutes=event.duration_minutes))
    until = max(now, start) + AHEAD
    skipped, added = rules.exceptions(pattern, start, until, options.holidays)
    zone = UTC if event.every_hours else LONDON
    if skipped:
        ev.add("exdate", [d.astimezone(zone) for d in skipped])
    if added:
        ev.add("rdate", [d.astimezone(zone) for d in added])
    lines = [
        f"Battle rhythm of {incident.reference} (plan 3.21-3.22), {when_text(event)}, London "
        "time; reminders are posted in the incident's channel.",
    ]
    if event.agenda:
        lines.append(f"Agenda: {event.agenda}")
    if event.attendees:
        lines.append(f"Attending: {event.attendees}")
    if state.cancelled:
        lines.insert(0, "Cancelled: this meeting is no longer in the battle rhythm.")
    ev.add("description", "\n".join(lines))
    if event.location:
        ev.add("location", event.location)
    ev.add("organizer", _organizer(options))
    ev.add("status", "CANCELLED" if state.cancelled else "CONFIRMED")
    ev.add("transp", "OPAQUE")
    stem = f"{incident.reference}-{_slug(event.name)}"
    return _filename(incident, stem), _calendar(state.cancelled, ev)


def conference_ics(
    options: Options,
    conference: CaseConference,
    issue: Issue,
    incident: Incident | None,
    now: datetime,
) -> tuple[str, bytes]:
    closed_first = (
        incident is not None
        and incident.status == Status.CLOSED
        and conference.status == ConferenceStatus.CALLED
    )
    sequence, cancelled = rules.conference_state(
        conference.status == ConferenceStatus.CANCELLED, closed_first
    )
    ev = Event()
    ev.add("uid", _uid(options, conference.reference, "conference"))
    ev.add("sequence", sequence)
    ev.add("dtstamp", now.astimezone(UTC))
    changed = conference.cancelled_at or conference.called_at
    ev.add("last-modified", changed.astimezone(UTC))
    exercise = "EXERCISE · " if incident is not None and incident.exercise else ""
    ev.add(
        "summary",
        f"{exercise}Case conference {conference.reference} · {issue.reference} {issue.title}",
    )
    ev.add("dtstart", conference.scheduled_for.astimezone(LONDON))
    ev.add("duration", timedelta(minutes=CONFERENCE_MINUTES))
    lines = [
        f"Case conference on {issue.reference} (plan 2.14-2.20), {show(conference.scheduled_for)}."
    ]
    if cancelled:
        why = conference.cancel_reason or f"{incident.reference if incident else ''} closed"
        lines.insert(0, f"Cancelled: {why}.")
    agenda = [str(v) for v in (conference.agenda or {}).values() if v]
    if agenda:
        lines.append("Agenda: " + "; ".join(agenda))
    if conference.attendees:
        lines.append(f"Attending: {conference.attendees}")
    ev.add("description", "\n".join(lines))
    ev.add("organizer", _organizer(options))
    ev.add("status", "CANCELLED" if cancelled else "CONFIRMED")
    ev.add("transp", "OPAQUE")
    return _filename(incident, conference.reference), _calendar(cancelled, ev)


# Online meetings: one per occurrence, where the surface makes them ------------------------


def meeting_online(
    options: Options, incident: Incident, event: RhythmEvent, start: datetime
) -> outbox.Meeting:
    """The Teams meeting a reminder carries the join link of (where Graph makes them): one
    per occurrence, its key derived from the series and the start, so each member's copy and
    every retry get the same meeting."""
    exercise = "EXERCISE · " if incident.exercise else ""
    return outbox.Meeting(
        key=_uid(options, incident.reference, "meeting", _key(event.name), start.isoformat()),
        subject=f"{exercise}{event.name} · {incident.reference} {incident.title}",
        start=start.astimezone(UTC),
        end=(start + timedelta(minutes=event.duration_minutes)).astimezone(UTC),
    )


def conference_online(
    options: Options, conference: CaseConference, issue: Issue, exercise: bool = False
) -> outbox.Meeting:
    return outbox.Meeting(
        key=_uid(options, conference.reference, "conference", conference.scheduled_for.isoformat()),
        subject=f"{'EXERCISE · ' if exercise else ''}Case conference {conference.reference} · "
        f"{issue.reference} {issue.title}",
        start=conference.scheduled_for.astimezone(UTC),
        end=(conference.scheduled_for + timedelta(minutes=CONFERENCE_MINUTES)).astimezone(UTC),
    )


# The verb, its buttons, and a link redeemed ------------------------------------------------


def calendar_action(reference: str, meeting: str = "", *, cancelled: bool = False) -> Action:
    """The button on a card about meetings: links to the invitations, for whoever presses
    (the cancellations once the meetings are cancelled)."""
    title = "Remove from my calendar" if cancelled else "Add to calendar"
    return Action(title, f"/opss calendar {reference} {meeting}".rstrip())


def _incident_of_issue(session: Session, issue_id: int) -> Incident | None:
    return session.scalar(select(Incident).where(Incident.issue_id == issue_id))


def calendar(ctx: Ctx, args: Args) -> Reply:
    text = args.first()
    if not text:
        raise UserError(
            "calendar needs an incident or a case conference, e.g. /opss calendar INC-2026-001."
        )
    parsed = parse_reference(text)
    if parsed is not None and parsed[0] == "conference":
        return _conference_links(ctx, find_conference(ctx.session, text))
    kind, subject = find_subject(ctx, text)  # an incident only for those who may read it
    if kind != "incident":
        raise UserError(
            f"{text} is an issue; its case conference has the invitation (/opss calendar CC-…)."
        )
    assert isinstance(subject, Incident)
    incident = subject
    require_read(ctx, incident)
    series = series_of(ctx.session, incident)
    wanted = " ".join(args.words[1:]).strip().lstrip("#").strip()
    if wanted:
        live = [s for s in series if not s.state.cancelled]
        chosen = [
            s
            for n, s in enumerate(live, start=1)
            if (wanted.isdigit() and int(wanted) == n) or _key(wanted) == _key(s.name)
        ] or [s for s in series if _key(wanted) == _key(s.name)]
        if not chosen:
            raise UserError(
                f"Meeting: {incident.reference} has no meeting '{wanted}'; /opss rhythm "
                f"{incident.reference} lists them."
            )
        series = chosen[:1]
    if not series:
        return Reply(text=f"{incident.reference} has no meetings in its battle rhythm.")
    links = []
    for s in series[:SHOWN]:
        url = downloads.link(ctx, KIND, f"meeting:{s.first_id}")
        label = f"Cancel: {s.name}" if s.state.cancelled else f"{s.name}: {when_text(s.event)}"
        links.append((label, url))
    cancelled = all(s.state.cancelled for s in series)
    text = (
        f"Calendar invitations for {incident.reference}: "
        + (
            "the cancellations of its meetings"
            if cancelled
            else f"{len(links)} meeting{'s' if len(links) != 1 else ''}"
        )
        + ", below."
    )
    card = Card(
        title=f"Calendar · {incident.reference}",
        subtitle=(
            "Open each file to put the meeting in your calendar (London time); a later file for "
            "the same meeting replaces it, and a cancellation removes it. Each link is for you "
            "alone: it works once, within 5 minutes."
        ),
        facts=tuple(
            (s.name, "cancelled" if s.state.cancelled else when_text(s.event))
            for s in series[:SHOWN]
        ),
        links=tuple(links),
        exercise=incident.exercise,
    )
    return Reply(text=text, card=card)


def _conference_links(ctx: Ctx, conference: CaseConference) -> Reply:
    issue = ctx.session.get(Issue, conference.issue_id)
    assert issue is not None
    incident = _incident_of_issue(ctx.session, issue.id)
    if incident is not None:
        require_read(ctx, incident)
    _, body = conference_ics(ctx.options, conference, issue, incident, ctx.now)
    cancelled = b"METHOD:CANCEL" in body
    url = downloads.link(ctx, KIND, f"conference:{conference.reference}")
    label = f"{'Cancel: ' if cancelled else ''}Case conference {conference.reference}"
    text = f"Calendar invitation for case conference {conference.reference}, below."
    card = Card(
        title=f"Calendar · {conference.reference}",
        subtitle=(
            f"{show(conference.scheduled_for)}. Open the file to put it in your calendar. The "
            "link is for you alone: it works once, within 5 minutes."
        ),
        links=((label, url),),
        exercise=incident is not None and incident.exercise,
    )
    return Reply(text=text, card=card)


def fetch(ctx: Ctx, subject: str) -> tuple[str, str, bytes] | None:
    """The invitation a redeemed link names, made now, for a reader who may still see it
    (refused and audited otherwise); None when it names nothing."""
    kind, _, rest = subject.partition(":")
    if kind == "meeting" and rest.isdigit():
        row = ctx.session.get(RhythmEvent, int(rest))
        if row is None:
            return None
        incident = ctx.session.get(Incident, row.incident_id)
        assert incident is not None
        require_read(ctx, incident)
        wanted = _key(row.name)
        found = next((s for s in series_of(ctx.session, incident) if _key(s.name) == wanted), None)
        if found is None:
            return None
        filename, body = meeting_ics(ctx.options, found, ctx.now)
        return filename, MEDIA_TYPE, body
    if kind == "conference":
        conference = ctx.session.scalar(
            select(CaseConference).where(CaseConference.reference == rest)
        )
        if conference is None:
            return None
        issue = ctx.session.get(Issue, conference.issue_id)
        assert issue is not None
        incident = _incident_of_issue(ctx.session, issue.id)
        if incident is not None:
            require_read(ctx, incident)
        filename, body = conference_ics(ctx.options, conference, issue, incident, ctx.now)
        return filename, MEDIA_TYPE, body
    return None
