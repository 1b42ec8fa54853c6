"""The battle rhythm (plan 3.21-3.22): an incident's schedule of meetings, kept by IMT.

Declaring applies the "standard" preset; ``/opss rhythm`` shows it, adds or removes a meeting,
or replaces it wholesale with another preset when the incident is escalated or de-escalated.
The schedule is "developed and maintained by IMT in agreement with the SCG" (3.22), and the TCG
"decide[s] the schedule of events" (3.9): each change names which, and is a decision.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from itertools import islice
from typing import Any

from sqlalchemy import select

from cards.model import Action, Card, Choice, Field, Form
from commands.core.args import Args
from commands.core.context import Ctx, EventSpec, PermissionRefused, Reply, UserError
from commands.core.flows import Context, FormFlow
from commands.core.lookup import find_incident
from commands.decision.log import record_decision
from commands.incident import forms
from commands.incident.card import refresh_card_and_log
from commands.rhythm import invitations
from commands.rhythm.invitations import pattern_of
from rules import roles
from rules.command_and_control import RHYTHM_AGREEMENT_HINT, RHYTHM_AGREEMENTS
from rules.rhythm import DAY_NAMES, HolidayPolicy, occurrences, parse_days
from rules.timeparse import show
from storage.models import Incident, RhythmEvent

STANDARD = "standard"
DEFAULT_RHYTHMS: dict[str, tuple[EventSpec, ...]] = {
    # A weekly programme like the plan's (3.21): strategic twice a week, tactical and the
    # bird table every working day.
    STANDARD: (
        EventSpec(
            "SCG",
            "scg",
            "mon,thu",
            "09:00",
            60,
            30,
            "Situation; strategy (3.6); decisions needed; exit strategy",
        ),
        EventSpec(
            "TCG",
            "tcg",
            "weekdays",
            "10:30",
            60,
            30,
            "Actions review; evidence and risks; communications; resources",
        ),
        EventSpec(
            "Bird table",
            "bird_table",
            "weekdays",
            "08:30",
            15,
            15,
            "Strategic overview; team updates; issues; schedule of events (3.13-3.15)",
        ),
    ),
    "escalated": (
        EventSpec(
            "SCG",
            "scg",
            "daily",
            "09:00",
            60,
            30,
            "Situation; strategy; decisions",
            holidays="ignore",
        ),
        EventSpec(
            "TCG",
            "tcg",
            "daily",
            "11:00",
            60,
            30,
            "Actions; evidence; communications",
            holidays="ignore",
        ),
        EventSpec(
            "Bird table (morning)",
            "bird_table",
            "daily",
            "08:00",
            15,
            15,
            "Overview; team updates",
            holidays="ignore",
        ),
        EventSpec(
            "Bird table (afternoon)",
            "bird_table",
            "daily",
            "15:00",
            15,
            15,
            "Overview; team updates",
            holidays="ignore",
        ),
    ),
    "reduced": (
        EventSpec("SCG", "scg", "mon", "09:00", 60, 60, "Situation; exit strategy"),
        EventSpec("TCG", "tcg", "mon,wed,fri", "10:30", 45, 30, "Actions; residual risks"),
    ),
}

WHO = "IMT, who keep the schedule of events with the SCG (3.22)"
HOLIDAY_CHOICES = tuple(Choice(p.value, p.value.capitalize()) for p in HolidayPolicy)
AGREEMENT_CHOICES = tuple(Choice(k, v) for k, v in RHYTHM_AGREEMENTS)
AGREEMENT_LABELS = dict(RHYTHM_AGREEMENTS)
AGREEMENT_HELP = 'e.g. "David Osei (SCG chair), by phone 24 Nov" or "TCG of 24 Nov, item 3"'


def agreement_fields() -> tuple[Field, ...]:
    """Whose agreement a change of the schedule carries (3.22, 3.9), and its details."""
    return (
        Field(
            "agreed",
            "Agreed with the SCG, or decided by the TCG",
            "choice",
            required=True,
            choices=AGREEMENT_CHOICES,
            value="scg",
        ),
        Field(
            "agreement",
            "Who agreed or decided it, and when",
            "multiline",
            required=True,
            max_length=1000,
            placeholder=AGREEMENT_HELP,
            help=AGREEMENT_HELP,
        ),
    )


def agreement_options(options: Mapping[str, str]) -> dict[str, str]:
    """``--scg "who, when"`` or ``--tcg "which meeting"``: the form's two agreement fields."""
    given = {k: options[k] for k in ("scg", "tcg") if k in options}
    if len(given) > 1:
        raise UserError("Agreement: give --scg or --tcg, not both.", "agreement")
    if not given:
        return {}
    [(agreed, agreement)] = given.items()
    return {"agreed": agreed, "agreement": agreement}


def require_agreement(values: Mapping[str, Any]) -> tuple[str, str]:
    agreed = str(values.get("agreed") or "")
    agreement = str(values.get("agreement") or "").strip()
    if agreed not in AGREEMENT_LABELS or not agreement:
        raise UserError(
            f'Agreement: {RHYTHM_AGREEMENT_HINT}. Say whose, with --scg "who agreed, when" or '
            '--tcg "the TCG meeting that decided it".',
            "agreement",
        )
    return agreed, agreement


def record_change(ctx: Ctx, incident: Incident, what: str, agreed: str, agreement: str) -> str:
    """The change of the schedule as a decision, the SCG's agreement or the TCG's decision
    named; returns the decision's reference."""
    decision = record_decision(
        ctx,
        kind="rhythm",
        what=f"Battle rhythm of {incident.reference}: {what}",
        rationale=f"{AGREEMENT_LABELS[agreed]}: {agreement}",
        decided_by=(
            f"{ctx.person.display_name} for IMT, in agreement with the SCG"
            if agreed == "scg"
            else f"The TCG, recorded by {ctx.person.display_name} for IMT"
        ),
        group=agreed,
        incident=incident,
    )
    refresh_card_and_log(ctx, incident)
    return decision.reference


def _incident(ctx: Ctx, reference: str | None) -> Incident:
    return find_incident(ctx, reference, "rhythm", "the battle rhythm's meetings")


def _require_imt(ctx: Ctx, incident: Incident) -> None:
    if not ctx.actor.has(roles.Role.IMT):
        raise PermissionRefused(
            f"change the battle rhythm of {incident.reference}", WHO, incident.reference
        )


def next_reminder(ctx_holidays: frozenset[date], event: RhythmEvent, after: datetime) -> datetime:
    """When the next reminder after ``after`` is due (its meeting's start less the lead)."""
    lead = timedelta(minutes=event.reminder_minutes)
    start = next(occurrences(pattern_of(event), after + lead, ctx_holidays))
    return start - lead


def add_event(
    ctx: Ctx, incident: Incident, spec: EventSpec, every_hours: int | None = None
) -> RhythmEvent:
    """A weekly meeting from ``spec``, or (``every_hours``) one every N hours from now."""
    hour, minute = (int(x) for x in spec.at.split(":")) if spec.at else (0, 0)
    event = RhythmEvent(
        incident_id=incident.id,
        name=spec.name,
        group=spec.group,
        days=None if every_hours else list(parse_days(spec.days)),
        at_local=None if every_hours else f"{hour:02d}:{minute:02d}",
        every_hours=every_hours,
        anchor_at=ctx.now if every_hours else None,
        duration_minutes=spec.duration_minutes,
        reminder_minutes=spec.reminder_minutes,
        agenda=spec.agenda,
        holidays=HolidayPolicy(spec.holidays).value,
        active=True,
        created_at=ctx.now,
        last_run_at=ctx.now,
    )
    event.next_run_at = next_reminder(ctx.options.holidays, event, ctx.now)
    ctx.session.add(event)
    ctx.session.flush()
    return event


def active_events(ctx: Ctx, incident: Incident) -> list[RhythmEvent]:
    return list(
        ctx.session.scalars(
            select(RhythmEvent)
            .where(RhythmEvent.incident_id == incident.id, RhythmEvent.active)
            .order_by(RhythmEvent.id)
        )
    )


def apply_preset(ctx: Ctx, incident: Incident, scale: str) -> list[RhythmEvent]:
    presets = ctx.options.rhythms or DEFAULT_RHYTHMS
    if scale not in presets:
        raise UserError(f"Scale: '{scale}' is not a rhythm; use " + ", ".join(presets) + ".")
    for old in active_events(ctx, incident):
        old.active = False
        old.replaced_at = ctx.now
        old.next_run_at = None
    events = [add_event(ctx, incident, spec) for spec in presets[scale]]
    ctx.audit(
        "rhythm.applied",
        "incident",
        incident.reference,
        None,
        {"scale": scale, "events": [e.name for e in events]},
    )
    return events


def rhythm_card(ctx: Ctx, incident: Incident) -> Card:
    facts = []
    # Numbered as shown (1, 2, 3 …), which is what "/opss rhythm … remove <#>" takes.
    for number, e in enumerate(active_events(ctx, incident), start=1):
        when = invitations.when_text(e)
        upcoming = list(islice(occurrences(pattern_of(e), ctx.now, ctx.options.holidays), 1))
        nxt = f"; next {show(upcoming[0])}" if upcoming else ""
        facts.append(
            (
                f"#{number} {e.name}",
                f"{when}, {e.duration_minutes} min, reminder {e.reminder_minutes} min before{nxt}",
            )
        )
    return Card(
        title=f"Battle rhythm · {incident.reference}",
        subtitle="Schedule of events (plan 3.21-3.22), London time",
        facts=tuple(facts) or (("", "No meetings scheduled."),),
        actions=(
            Action("Add a meeting", f"/opss rhythm {incident.reference} add"),
            invitations.calendar_action(incident.reference),
        ),
        exercise=incident.exercise,
    )


def rhythm(ctx: Ctx, args: Args) -> Reply:
    incident = _incident(ctx, args.first())
    action = args.words[1].lower() if len(args.words) > 1 else "show"
    if action == "show":
        return Reply(card=rhythm_card(ctx, incident))
    _require_imt(ctx, incident)
    if action == "remove":
        number = " ".join(args.words[2:]).lstrip("#").strip()
        events = active_events(ctx, incident)
        event = next(
            (
                e
                for n, e in enumerate(events, start=1)
                if number == str(n) or number.casefold() == e.name.casefold()
            ),
            None,
        )
        if event is None:
            raise UserError(
                f"Meeting: no meeting #{number} in this rhythm; the meetings are numbered 1 to "
                f"{len(events)} as /opss rhythm {incident.reference} shows them."
            )
        agreed, agreement = require_agreement(agreement_options(args.options))
        event.active = False
        event.replaced_at = ctx.now
        event.next_run_at = None
        ref = record_change(ctx, incident, f"{event.name} removed", agreed, agreement)
        ctx.audit(
            "rhythm.removed",
            "incident",
            incident.reference,
            {"event": event.name},
            {"decision": ref},
        )
        text = f"{event.name} removed from the battle rhythm of {incident.reference} ({ref})."
        ctx.post(incident.channel_key, text)
        return Reply(text=text)
    raise UserError(
        "rhythm: use show, add, remove <#> --scg|--tcg .. or replace <"
        + "|".join(ctx.options.rhythms or DEFAULT_RHYTHMS)
        + ">."
    )


# Adding a meeting, with a form ---------------------------------------------------------------

WEEKDAYS = tuple(Choice(str(i), name.capitalize()) for i, name in enumerate(DAY_NAMES))


@dataclass(frozen=True)
class RhythmAddValues:
    name: str
    group: str
    days: list[str]  # weekday numbers, "0" for Monday
    time: str | None  # "HH:MM"
    every_hours: str | None
    duration: str
    reminder: str
    holidays: str
    location: str | None
    agenda: str | None
    attendees: str | None
    agreed: str  # "scg" (3.22) or "tcg" (3.9)
    agreement: str  # who agreed or decided it, and when


def meeting_form(reference: str) -> Form:
    return Form(
        id="rhythm_add",
        title=f"Add a meeting · {reference}",
        intro="A regular meeting in the battle rhythm; the bot reminds the channel before it.",
        submit_label="Add meeting",
        fields=(
            Field("name", "Name", required=True, max_length=120, placeholder="e.g. Evidence group"),
            Field("group", "Group", "choice", required=True, choices=forms.GROUPS),
            Field("days", "Days (weekly meetings)", "multichoice", choices=WEEKDAYS, expanded=True),
            Field("time", "Time (London; weekly meetings)", "time"),
            Field(
                "every_hours",
                "Or: every N hours from now",
                max_length=3,
                help="Leave the days and time empty for a meeting every N hours.",
            ),
            Field("duration", "Duration in minutes", required=True, max_length=4, value="60"),
            Field(
                "reminder",
                "Remind this many minutes before",
                required=True,
                max_length=4,
                value="30",
            ),
            Field(
                "holidays",
                "On a bank holiday",
                "choice",
                required=True,
                choices=HOLIDAY_CHOICES,
                value="skip",
            ),
            Field("location", "Location or link", max_length=500),
            Field("agenda", "Agenda", "multiline", max_length=2000),
            Field("attendees", "Who attends", max_length=1000),
            *agreement_fields(),
        ),
        context={"reference": reference},
    )


def _prepare(ctx: Ctx, args: Args) -> tuple[Context, dict[str, Any]]:
    incident = _incident(ctx, args.first())
    _require_imt(ctx, incident)
    values: dict[str, Any] = agreement_options(args.options)
    for name, value in args.options.items():
        if name in {"scg", "tcg"}:
            continue
        if name == "days":
            try:
                values["days"] = [str(d) for d in parse_days(value)]
            except ValueError as exc:
                raise UserError(f"Days: {exc}", "days") from exc
        elif name in {"at", "time"}:
            values["time"] = value
        elif name in {"every", "every_hours"}:
            values["every_hours"] = value
        elif name in {
            "name",
            "group",
            "duration",
            "reminder",
            "holidays",
            "location",
            "agenda",
            "attendees",
        }:
            values[name] = value
        else:
            raise UserError(
                f"rhythm add does not take --{name}; it takes --name, --group, --days, --at, "
                "--every, --duration, --reminder, --holidays, --location, --agenda, --attendees, "
                "--scg and --tcg."
            )
    return {"reference": incident.reference}, values


def _whole_minutes(label: str, raw: str, field: str, top: int) -> int:
    if not raw.isdigit() or not 1 <= int(raw) <= top:
        raise UserError(f"{label}: give a whole number of minutes from 1 to {top}.", field)
    return int(raw)


def _apply(ctx: Ctx, context: Mapping[str, str], v: RhythmAddValues) -> Reply:
    incident = _incident(ctx, context.get("reference"))
    _require_imt(ctx, incident)
    every = (v.every_hours or "").strip()
    if every:
        if v.days or v.time:
            raise UserError(
                "Every N hours: give either days and a time, or every N hours, not both.",
                "every_hours",
            )
        if not every.isdigit() or not 1 <= int(every) <= 168:
            raise UserError("Every N hours: a whole number of hours from 1 to 168.", "every_hours")
    elif not v.days or not v.time:
        field = "days" if not v.days else "time"
        raise UserError(
            "Days and time: a weekly meeting needs its days and a time (or give every N hours).",
            field,
        )
    spec = EventSpec(
        name=v.name,
        group=v.group,
        days=",".join(DAY_NAMES[int(d)] for d in v.days),
        at=v.time or "",
        duration_minutes=_whole_minutes("Duration", v.duration, "duration", 1440),
        reminder_minutes=_whole_minutes("Reminder", v.reminder, "reminder", 1440),
        agenda=v.agenda or "",
        holidays=v.holidays,
    )
    agreed, agreement = require_agreement({"agreed": v.agreed, "agreement": v.agreement})
    event = add_event(ctx, incident, spec, int(every) if every else None)
    event.location = v.location or ""
    event.attendees = v.attendees or ""
    ref = record_change(ctx, incident, f"{event.name} added", agreed, agreement)
    ctx.audit(
        "rhythm.added",
        "incident",
        incident.reference,
        None,
        {"event": event.name, "days": event.days, "at": event.at_local, "decision": ref},
    )
    text = f"{event.name} added to the battle rhythm of {incident.reference} ({ref})."
    card = rhythm_card(ctx, incident)
    ctx.post(incident.channel_key, text, card)
    return Reply(text=text, card=card)


def _build(ctx: Ctx, context: Mapping[str, str]) -> Form:
    return meeting_form(context.get("reference", ""))


def _permit(ctx: Ctx, context: Mapping[str, str]) -> None:
    _require_imt(ctx, _incident(ctx, context.get("reference")))


RHYTHM_ADD = FormFlow(
    "rhythm_add",
    _prepare,
    _build,
    _apply,
    prompt="Describe the meeting.",
    permit=_permit,
    values=RhythmAddValues,
)


# Replacing the whole rhythm with a preset, with a form for the agreement --------------------


def replace_form(ctx: Ctx, reference: str) -> Form:
    presets = ctx.options.rhythms or DEFAULT_RHYTHMS
    return Form(
        id="rhythm_replace",
        title=f"Replace the battle rhythm · {reference}",
        intro="Replaces every meeting of the schedule of events with a preset's. "
        + RHYTHM_AGREEMENT_HINT[0].upper()
        + RHYTHM_AGREEMENT_HINT[1:]
        + ": say which.",
        submit_label="Replace the rhythm",
        fields=(
            Field(
                "scale",
                "Rhythm",
                "choice",
                required=True,
                choices=tuple(Choice(k, k.capitalize()) for k in presets),
            ),
            *agreement_fields(),
        ),
        context={"reference": reference},
    )


def _prepare_replace(ctx: Ctx, args: Args) -> tuple[Context, dict[str, Any]]:
    incident = _incident(ctx, args.first())
    _require_imt(ctx, incident)
    values: dict[str, Any] = agreement_options(args.options)
    if len(args.words) > 1:  # the engine has taken "replace" out of the words
        values["scale"] = args.words[1].lower()
    for name in args.options:
        if name not in {"scg", "tcg"}:
            raise UserError(f"rhythm replace does not take --{name}; it takes --scg and --tcg.")
    return {"reference": incident.reference}, values


def _build_replace(ctx: Ctx, context: Mapping[str, str]) -> Form:
    return replace_form(ctx, context.get("reference", ""))


@dataclass(frozen=True)
class RhythmReplaceValues:
    scale: str  # a preset's name
    agreed: str  # "scg" (3.22) or "tcg" (3.9)
    agreement: str  # who agreed or decided it, and when


def _apply_replace(ctx: Ctx, context: Mapping[str, str], v: RhythmReplaceValues) -> Reply:
    incident = _incident(ctx, context.get("reference"))
    _require_imt(ctx, incident)
    agreed, agreement = require_agreement({"agreed": v.agreed, "agreement": v.agreement})
    scale = v.scale
    events = apply_preset(ctx, incident, scale)
    ref = record_change(ctx, incident, f"replaced with '{scale}'", agreed, agreement)
    text = (
        f"Battle rhythm of {incident.reference} replaced with '{scale}' ({ref}): "
        + ", ".join(e.name for e in events)
        + "."
    )
    ctx.post(incident.channel_key, text, rhythm_card(ctx, incident))
    return Reply(text=text, card=rhythm_card(ctx, incident))


RHYTHM_REPLACE = FormFlow(
    "rhythm_replace",
    _prepare_replace,
    _build_replace,
    _apply_replace,
    prompt="Whose agreement replaces the rhythm.",
    permit=_permit,
    values=RhythmReplaceValues,
)


def load_presets(text: str) -> dict[str, tuple[EventSpec, ...]]:
    """Presets from TOML: one array of tables per scale, ``[[standard]]`` first.

    [[standard]]
    name = "SCG"
    group = "scg"
    days = "mon,thu"
    at = "09:00"
    duration_minutes = 60
    reminder_minutes = 30
    agenda = "Situation; strategy; decisions"
    holidays = "skip"
    """
    import tomllib

    data = tomllib.loads(text)
    presets: dict[str, tuple[EventSpec, ...]] = {}
    for scale, rows in data.items():
        if not isinstance(rows, list):
            raise ValueError(f"rhythm file: '{scale}' must be an array of tables ([[{scale}]])")
        specs = []
        for row in rows:
            try:
                spec = EventSpec(**row)
                parse_days(spec.days)
                time.fromisoformat(spec.at.zfill(5))
                HolidayPolicy(spec.holidays)
            except (TypeError, ValueError) as exc:
                raise ValueError(f"rhythm file, {scale}: {exc}") from exc
            specs.append(spec)
        presets[scale] = tuple(specs)
    if STANDARD not in presets:
        raise ValueError(f"rhythm file: a [[{STANDARD}]] rhythm is needed (applied on declaring)")
    return presets
