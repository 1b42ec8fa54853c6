"""The management-information figures (plan 3.20): every live issue and incident at once,
for IMT, the Head of IMT and the SCS (``rules/mi.py``).

Each panel is one function of a ``Reader`` that asks the database for its figures already
counted, summed or averaged, so the page costs the same number of statements after years of
history as on the first day, and what each statement reads is the live records (through the
indexes of ``storage/models.py``'s ``MI_READS``) or, for the measures of time, one period of at
most a year. Who may read an incident is ``rules/roles.py``'s rule in SQL, as lists use it
(``commands/overview/listing.py``: ``may_read``). EXERCISE records are left out unless asked
for, and then counted in series of their own, marked.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import (
    ColumnElement,
    Integer,
    Select,
    Text,
    and_,
    case,
    cast,
    false,
    func,
    literal,
    or_,
    select,
)
from sqlalchemy.orm import Session

from commands.core.context import Ctx, PermissionRefused, UserError
from commands.mi.panels import EXERCISE, Dashboard, Headline, Panel, Series, Table, figure
from commands.mi.roster_panel import roster_panel
from commands.overview.listing import may_read
from rules.action_chasing import ActionStatus
from rules.command_and_control import erco_needed
from rules.deadlines import DEFAULT_CLOCKS, Kind, london_date
from rules.impact import Level
from rules.lifecycle import LADDER, STAGE_LABELS, Stage
from rules.mi import (
    BUCKETS,
    DEFAULT_PERIOD,
    PERIODS,
    WEEK,
    bucket_dates,
    may_see_mi,
    period_start,
)
from rules.notifications import UK_ONLY, NotificationStatus
from rules.stand_down import Status
from rules.timeparse import show, show_date
from storage.durations import day_number
from storage.models import (
    Action,
    Escalation,
    Incident,
    Issue,
    Notification,
    Person,
    Sitrep,
    UTCDateTime,
)

# Open incidents, named (not "not closed"), so an index finds them without reading the closed.
OPEN_INCIDENTS = tuple(s for s in Status if s is not Status.CLOSED)
# Live issues are on the ladder below a declared incident (OPEN_STAGES, in the ladder's order).
LIVE_STAGES: tuple[Stage, ...] = tuple(s for s in LADDER if s is not Stage.DECLARED)
# Open actions: not done and not handed over to business as usual.
OPEN_ACTIONS = (ActionStatus.OPEN, ActionStatus.STARTED, ActionStatus.BLOCKED)
OWNERS_SHOWN = 10
LISTED = 10  # records listed beneath a panel (soonest due, latest cut-off first)
# The response levels at which DBT ERCO is to be engaged, asked of the rule itself (3.17).
ERCO_LEVELS = tuple(level for level in Level if erco_needed(level, engaged=False))


@dataclass(frozen=True)
class Filters:
    area: str | None = None
    period: str = DEFAULT_PERIOD
    exercises: bool = False  # EXERCISE records shown (marked) rather than left out

    def words(self) -> str:
        return ", ".join(
            (
                self.area or "all functional areas",
                PERIODS[self.period][1] + " for measures of time",
                "EXERCISE records included, marked"
                if self.exercises
                else "EXERCISE records left out",
            )
        )

    def as_json(self) -> dict[str, Any]:
        return {"area": self.area or "", "period": self.period, "exercises": self.exercises}


def parse_filters(
    areas: tuple[str, ...], area: str | None, period: str | None, exercises: bool
) -> Filters:
    """The filters as asked for (a command's options, the page's query); a bad one is named."""
    chosen = None
    if area and area.strip():
        known = {a.casefold(): a for a in areas}
        if area.strip().casefold() not in known:
            raise UserError(
                f"Area: '{area.strip()[:80]}' is not a functional area; use one of "
                + ", ".join(areas)
                + ".",
                "area",
            )
        chosen = known[area.strip().casefold()]
    wanted = (period or DEFAULT_PERIOD).strip().lower()
    if wanted not in PERIODS:
        raise UserError(
            f"Period: '{wanted[:20]}' is not a period; use one of " + ", ".join(PERIODS) + ".",
            "period",
        )
    return Filters(chosen, wanted, exercises)


class Reader:
    """What every panel asks with: the session, the time, the filters as SQL."""

    def __init__(self, ctx: Ctx, filters: Filters) -> None:
        self.ctx = ctx
        self.session: Session = ctx.session
        self.now: datetime = ctx.now
        self.filters = filters
        self.start = period_start(filters.period, ctx.now)
        self.period_words = PERIODS[filters.period][1]
        self._readable = may_read(ctx)
        self.live: dict[Stage, tuple[int, float | None]] | None = None
        self.live_drills: dict[Stage, tuple[int, float | None]] = {}

    def area(self, column: Any) -> list[ColumnElement[bool]]:
        if self.filters.area is None:
            return []
        return [func.lower(column) == self.filters.area.casefold()]

    def in_area(self, query: Select[Any], issue_id: Any) -> Select[Any]:
        """``query`` narrowed to the area's issues (joined only when an area is chosen)."""
        if self.filters.area is None:
            return query
        return query.join(Issue, Issue.id == issue_id).where(*self.area(Issue.functional_area))

    def incidents(self) -> ColumnElement[bool]:
        """Incidents the reader may read, EXERCISES only when asked for."""
        shown = [self._readable]
        if not self.filters.exercises:
            shown.append(Incident.exercise == false())
        return and_(*shown)

    def any_incident(self) -> ColumnElement[bool]:
        """A record of an issue (open to everyone in OPSS) or of an incident as above; the
        record's issue's incident is joined, as an outer join, beforehand."""
        return or_(Incident.id.is_(None), self.incidents())

    def exercise_shown(self) -> list[bool]:
        """The values of a record's kept EXERCISE flag that are shown."""
        return [False, True] if self.filters.exercises else [False]

    def exercise(self) -> ColumnElement[bool]:
        """Whether the joined incident (if any) is an EXERCISE, as a grouping column."""
        return func.coalesce(Incident.exercise, false())

    def now_day(self) -> ColumnElement[float]:
        return day_number(literal(self.now, UTCDateTime()))


def _split(rows: list[Any], key: Callable[[Any], Any]) -> tuple[dict[Any, Any], dict[Any, Any]]:
    """Rows keyed by ``key``, apart for real records and for EXERCISE ones (the last column
    of each row says which)."""
    real: dict[Any, Any] = {}
    drill: dict[Any, Any] = {}
    for row in rows:
        (drill if row[-1] else real)[key(row)] = row
    return real, drill


def _total(values: tuple[float | None, ...]) -> int:
    return int(sum(v or 0 for v in values))


def _plural(n: int, word: str, many: str | None = None) -> str:
    return f"{n} {word if n == 1 else (many or word + 's')}"


def _pairs(labels: tuple[str, ...], values: tuple[float | None, ...]) -> str:
    shown = [f"{figure(v)} {label}" for label, v in zip(labels, values, strict=True) if v]
    return ", ".join(shown) if shown else "none"


def _exercise_series(r: Reader, label: str, values: tuple[float | None, ...]) -> list[Series]:
    return [Series(f"{label} · {EXERCISE}", values, exercise=True)] if r.filters.exercises else []


# Live issues by stage ---------------------------------------------------------------------


def _live(r: Reader) -> dict[Stage, tuple[int, float | None]]:
    """Live issues at each stage: how many, and their average days at it so far (read once
    for the two panels that show them). An issue back on the ladder after its incident was
    de-escalated belongs to that incident: an EXERCISE one is counted apart, by the flag the
    issue keeps, from the index alone (ix_issues_live)."""
    if r.live is not None:
        return r.live
    rows = r.session.execute(
        select(
            Issue.stage,
            func.count(),
            func.avg(r.now_day() - day_number(Issue.stage_entered_at)),
            Issue.exercise,
        )
        .where(
            Issue.stage.in_([s.value for s in LIVE_STAGES]),
            Issue.exercise.in_(r.exercise_shown()),
            *r.area(Issue.functional_area),
        )
        .group_by(Issue.stage, Issue.exercise)
    ).tuples()
    r.live, r.live_drills = {}, {}
    for stage, count, days, exercise in rows:
        (r.live_drills if exercise else r.live)[Stage(stage)] = (count, days)
    return r.live


def stages_panel(r: Reader) -> tuple[Panel, tuple[Headline, ...]]:
    live = _live(r)
    raised = r.session.scalar(
        select(func.count())
        .select_from(Issue)
        .outerjoin(Incident, Incident.issue_id == Issue.id)
        .where(Issue.raised_at >= r.start, r.any_incident(), *r.area(Issue.functional_area))
    )
    labels = tuple(STAGE_LABELS[s] for s in LIVE_STAGES)
    counts = tuple(float(live.get(s, (0, None))[0]) for s in LIVE_STAGES)
    drills = tuple(float(r.live_drills.get(s, (0, None))[0]) for s in LIVE_STAGES)
    total = _total(counts)
    words = f"{_plural(total, 'live issue')} on the ladder: {_pairs(labels, counts)}"
    if r.filters.exercises:
        words += f"; and {_plural(_total(drills), f'{EXERCISE} issue')}"
    panel = Panel(
        "stages",
        "Live issues by stage",
        words + ".",
        "Stage",
        labels,
        (Series("Live issues", counts), *_exercise_series(r, "Live issues", drills)),
        unit="issues",
        stacked=True,
        note="Live now (the period does not apply). Declared issues are counted as incidents.",
    )
    return panel, (
        Headline("Live issues", str(total)),
        Headline(f"Issues raised in {r.period_words}", str(raised or 0)),
    )


# Incidents by level -----------------------------------------------------------------------

LEVEL_ORDER: tuple[Level | None, ...] = (
    Level.CRITICAL,
    Level.HIGH,
    Level.MEDIUM,
    Level.LOW,
    None,
)


def _level_label(level: Level | None) -> str:
    return level.label if level is not None else "Not rated"


def levels_panel(r: Reader) -> tuple[Panel, tuple[Headline, ...]]:
    rows = list(
        r.session.execute(
            r.in_area(
                select(Incident.overall_impact, func.count(), Incident.exercise).where(
                    Incident.status.in_(OPEN_INCIDENTS), r.incidents()
                ),
                Incident.issue_id,
            ).group_by(Incident.overall_impact, Incident.exercise)
        ).tuples()
    )
    real, drill = _split(rows, lambda row: Level(row[0]) if row[0] else None)
    labels = tuple(_level_label(lv) for lv in LEVEL_ORDER)
    counts = tuple(float(real[lv][1]) if lv in real else 0.0 for lv in LEVEL_ORDER)
    drills = tuple(float(drill[lv][1]) if lv in drill else 0.0 for lv in LEVEL_ORDER)
    total = _total(counts)
    words = f"{_plural(total, 'open incident')} by response level: {_pairs(labels, counts)}"
    if r.filters.exercises:
        words += f"; and {_plural(_total(drills), f'{EXERCISE} incident')}"
    panel = Panel(
        "levels",
        "Open incidents by response level",
        words + ".",
        "Response level",
        labels,
        (Series("Open incidents", counts), *_exercise_series(r, "Open incidents", drills)),
        unit="incidents",
        stacked=True,
        note="Open now: active, de-escalated or re-escalating (the period does not apply).",
    )
    worst = [f"{figure(c)} {lb}" for lb, c in zip(labels[:2], counts[:2], strict=True) if c]
    return panel, (
        Headline("Open incidents", str(total), ", ".join(worst)),
        *(
            (Headline(f"{EXERCISE} incidents open", str(_total(drills))),)
            if r.filters.exercises
            else ()
        ),
    )


# Actions overdue and due this week, by owner ----------------------------------------------


def actions_panel(r: Reader) -> tuple[Panel, tuple[Headline, ...]]:
    soon = r.now + WEEK
    late = case((Action.due_at < r.now, 1), else_=0)
    counted = (
        Action.status.in_(OPEN_ACTIONS),
        Action.exercise.in_(r.exercise_shown()),
        Action.due_at < soon,
    )
    # Open actions due within the week, counted per owner (real and EXERCISE apart, by the flag
    # each action keeps) in the order of ix_actions_open_by_owner: no sort, and no lookup of
    # each action's issue and incident, which is what made this panel grow with the work.
    # Only the flag is needed to leave records out: whoever may see the dashboard may read
    # every incident (``require_mi``; a test holds the two rules together).
    every = (
        r.in_area(
            select(
                Action.owner_id.label("owner_id"),
                func.sum(late).label("overdue"),
                func.count().label("soon"),
                Action.exercise.label("exercise"),
            ).where(*counted),
            Action.issue_id,
        )
        .group_by(Action.status, Action.exercise, Action.owner_id)
        .subquery()
    )
    rows = r.session.execute(
        select(
            every.c.owner_id,
            Person.display_name,
            every.c.overdue,
            every.c.soon,
            every.c.exercise,
        ).join(Person, Person.id == every.c.owner_id)
    ).tuples()
    people: dict[int, list[Any]] = {}  # owner -> [name, overdue, due, overdue EX, due EX]
    for owner, name, overdue, count, exercise in rows:
        entry = people.setdefault(owner, [name, 0, 0, 0, 0])
        entry[3 if exercise else 1] += int(overdue or 0)
        entry[4 if exercise else 2] += int(count) - int(overdue or 0)
    ranked = sorted(people.values(), key=lambda e: (-(e[1] + e[3]), -(e[2] + e[4]), e[0]))
    shown, rest = ranked[:OWNERS_SHOWN], ranked[OWNERS_SHOWN:]
    if rest:
        others = [
            f"Everyone else ({len(rest)} people)",
            *(sum(e[k] for e in rest) for k in (1, 2, 3, 4)),
        ]
        shown = [*shown, others]
    labels = tuple(str(e[0]) for e in shown)

    def column(k: int) -> tuple[float | None, ...]:
        return tuple(float(e[k]) for e in shown)

    overdue_total, due_total = sum(e[1] for e in ranked), sum(e[2] for e in ranked)
    words = (
        f"{_plural(overdue_total, 'action')} overdue and {due_total} due in the next 7 days, "
        f"across {_plural(len(ranked), 'owner')}"
    )
    series = [Series("Overdue", column(1)), Series("Due in the next 7 days", column(2))]
    if r.filters.exercises:
        series += [
            Series(f"Overdue · {EXERCISE}", column(3), exercise=True),
            Series(f"Due in the next 7 days · {EXERCISE}", column(4), exercise=True),
        ]
        words += f"; {_plural(sum(e[3] for e in ranked), f'{EXERCISE} action')} overdue"
    panel = Panel(
        "actions",
        "Actions overdue and due this week, by owner",
        words + ".",
        "Owner",
        labels,
        tuple(series),
        unit="actions",
        horizontal=True,
        stacked=True,
        note=f"Open actions (not done or handed over); the {OWNERS_SHOWN} owners with most "
        "overdue first. Live now (the period does not apply).",
    )
    return panel, (
        Headline("Actions overdue", str(overdue_total)),
        Headline("Actions due in the next 7 days", str(due_total)),
    )


# Notifications by days left on their statutory clock --------------------------------------


def notifications_panel(r: Reader) -> tuple[Panel, tuple[Headline, ...]]:
    today = london_date(r.now)
    branches = []
    for index, (_, first, last) in enumerate(bucket_dates(today)):
        within = [
            *([Notification.due_date >= first] if first is not None else []),
            *([Notification.due_date <= last] if last is not None else []),
        ]
        branches.append((and_(*within), index))
    bucket = case(*branches, else_=len(BUCKETS) - 1)
    on_clock = and_(
        Notification.status == NotificationStatus.OPEN,
        Notification.information_only != UK_ONLY,  # runs no statutory clock
    )
    # By the EXERCISE flag each notification keeps, from an index alone
    # (ix_notifications_open_exercise): no lookup of each one's incident.
    real = [0] * len(BUCKETS)
    drill = [0] * len(BUCKETS)
    for index, count, exercise in r.session.execute(
        r.in_area(
            select(bucket, func.count(), Notification.exercise).where(
                on_clock, Notification.exercise.in_(r.exercise_shown())
            ),
            Notification.issue_id,
        ).group_by(bucket, Notification.exercise)
    ).tuples():
        (drill if exercise else real)[index] += count
    labels = tuple(b.label for b in BUCKETS)
    counts = tuple(float(n) for n in real)
    drills = tuple(float(n) for n in drill)
    soonest = r.session.execute(
        select(
            Notification.reference,
            Notification.kind,
            Notification.due_date,
            Person.display_name,
            Issue.reference,
            Incident.reference,
            r.exercise(),
        )
        .join(Issue, Issue.id == Notification.issue_id)
        .join(Person, Person.id == Notification.owner_id)
        .outerjoin(Incident, Incident.issue_id == Notification.issue_id)
        .where(on_clock, r.any_incident(), *r.area(Issue.functional_area))
        .order_by(Notification.due_date, Notification.id)
        .limit(LISTED)
    ).tuples()
    listed: list[tuple[str, ...]] = []
    marked: list[int] = []
    for ref, kind, due, owner, issue_ref, incident_ref, exercise in soonest:
        left = (due - today).days
        if exercise:
            marked.append(len(listed))
        listed.append(
            (
                f"{EXERCISE} · {ref}" if exercise else ref,
                _kind(kind),
                incident_ref or issue_ref,
                owner,
                f"{show_date(due)}",
                f"overdue by {-left}" if left < 0 else str(left),
            )
        )
    overdue, within_week = int(counts[0]), int(sum(counts[1:4]))
    words = (
        f"{_plural(_total(counts), 'notification')} on a statutory clock: {overdue} overdue, "
        f"{within_week} due within 7 days"
    )
    if r.filters.exercises:
        words += f"; and {_plural(_total(drills), f'{EXERCISE} notification')}"
    panel = Panel(
        "notifications",
        "Notifications by days left on their statutory clock",
        words + ".",
        "Days left",
        labels,
        (
            Series("Open notifications", counts),
            *_exercise_series(r, "Open notifications", drills),
        ),
        unit="notifications",
        stacked=True,
        note="Open notifications owed on a clock (London calendar days, as their reminders "
        "count); those for information only in the UK run no clock. Live now.",
        details=(
            Table(
                f"The {LISTED} soonest due",
                ("Notification", "Kind", "On", "Owner", "Due", "Days left"),
                tuple(listed),
                "No notification is open.",
                tuple(marked),
            ),
        ),
    )
    return panel, (
        Headline("Notifications overdue", str(overdue)),
        Headline("Notifications due within 7 days", str(within_week)),
    )


def _kind(kind: str) -> str:
    clock = DEFAULT_CLOCKS[Kind(kind)]
    return clock.short or clock.label


# Sitreps missing at the last cut-off, by incident and team -------------------------------

# A sitrep's teams missing, as stored when none was (the JSON of an empty list, or of None).
EMPTY_JSON = ("[]", "null")


def sitreps_panel(r: Reader) -> tuple[Panel, tuple[Headline, ...]]:
    last = (
        select(func.max(Sitrep.number))
        .where(Sitrep.incident_id == Incident.id)
        .correlate(Incident)
        .scalar_subquery()
    )

    def latest(*columns: Any) -> Select[Any]:
        """Each open incident's latest collated sitrep, as the reader may see it."""
        return r.in_area(
            select(*columns)
            .select_from(Incident)
            .join(Sitrep, and_(Sitrep.incident_id == Incident.id, Sitrep.number == last))
            .where(Incident.status.in_(OPEN_INCIDENTS), r.incidents()),
            Incident.issue_id,
        )

    # Counted by the list of teams missing as the database holds it, so each distinct list is
    # decoded once, however many incidents share it; only the listed ones are read as rows.
    missing_text = cast(Sitrep.missing, Text)
    groups = r.session.execute(
        latest(missing_text, Incident.exercise, func.count()).group_by(
            missing_text, Incident.exercise
        )
    ).tuples()
    teams: dict[str, list[int]] = {}  # team -> [incidents missing it, EXERCISE ones]
    incidents_missing = 0
    for text, exercise, n in groups:
        missing = json.loads(text) if text else None
        if not missing:
            continue
        incidents_missing += 0 if exercise else n
        for team in missing:
            teams.setdefault(str(team), [0, 0])[1 if exercise else 0] += n
    rows = r.session.execute(
        latest(Incident.reference, Incident.title, Sitrep.as_at, Sitrep.missing, Incident.exercise)
        .where(missing_text.not_in(EMPTY_JSON))
        .order_by(Sitrep.as_at.desc(), Incident.id.desc())
        .limit(LISTED)
    ).tuples()
    listed: list[tuple[str, ...]] = []
    marked: list[int] = []
    for ref, title, as_at, missing, exercise in rows:
        if not missing:
            continue
        if exercise:
            marked.append(len(listed))
        listed.append(
            (
                f"{EXERCISE} · {ref}" if exercise else ref,
                title,
                show(as_at),
                ", ".join(str(t) for t in missing),
            )
        )
    labels = tuple(sorted(teams, key=lambda t: (-sum(teams[t]), t)))
    counts = tuple(float(teams[t][0]) for t in labels)
    drills = tuple(float(teams[t][1]) for t in labels)
    gaps = _total(counts)
    words = (
        f"At their last cut-off, {_plural(incidents_missing, 'open incident')} lacked "
        f"{_plural(gaps, 'team update')}" + (f": {_pairs(labels, counts)}" if gaps else "")
    )
    panel = Panel(
        "sitreps",
        "Sitrep updates missing at the last cut-off, by team",
        words + ".",
        "Team",
        labels,
        (
            Series("Open incidents missing it", counts),
            *_exercise_series(r, "Open incidents missing it", drills),
        ),
        unit="incidents",
        horizontal=True,
        stacked=True,
        note="Each open incident's latest collated sitrep: the contributing teams that sent no "
        "update by its cut-off.",
        details=(
            Table(
                "By incident, latest cut-off first",
                ("Incident", "Title", "Cut-off", "No update from"),
                tuple(listed),
                "No open incident lacked an update at its last cut-off.",
                tuple(marked),
            ),
        ),
    )
    return panel, (
        Headline(
            "Sitrep updates missing at the last cut-off",
            str(gaps),
            f"over {_plural(incidents_missing, 'incident')}" if gaps else "",
        ),
    )


# Time in each stage of the ladder, and from raised to declared ----------------------------


def timings_panel(r: Reader) -> tuple[Panel, tuple[Headline, ...]]:
    # Each move in the period ends a stay at its from-stage, begun by the issue's move before
    # it or by its raising: its length is kept on the move when it was made (``stay_days``),
    # with its EXERCISE flag, so each move is read once, from an index alone.
    stay = Escalation.stay_days
    ladder = [s.value for s in LIVE_STAGES]
    rows = list(
        r.session.execute(
            r.in_area(
                select(
                    Escalation.from_stage,
                    func.count(),
                    func.avg(stay),
                    func.max(stay),
                    Escalation.exercise,
                ).where(
                    Escalation.moved_at >= r.start,
                    Escalation.from_stage.in_(ladder),
                    Escalation.exercise.in_(r.exercise_shown()),
                ),
                Escalation.issue_id,
            ).group_by(Escalation.from_stage, Escalation.exercise)
        ).tuples()
    )
    real, drill = _split(rows, lambda row: Stage(row[0]))
    took = day_number(Incident.declared_at) - day_number(Issue.raised_at)
    declared = list(
        r.session.execute(
            select(func.count(), func.avg(took), func.max(took), Incident.exercise)
            .join(Issue, Issue.id == Incident.issue_id)
            .where(Incident.declared_at >= r.start, r.incidents(), *r.area(Issue.functional_area))
            .group_by(Incident.exercise)
        ).tuples()
    )
    declared_real = next((d for d in declared if not d[-1]), (0, None, None, False))
    declared_drill = next((d for d in declared if d[-1]), (0, None, None, True))
    live = _live(r)
    labels = (*(STAGE_LABELS[s] for s in LIVE_STAGES), "Raised to declared")

    def ended(found: dict[Any, Any], whole: tuple[Any, ...], k: int) -> tuple[float | None, ...]:
        return (*(found[s][k] if s in found else None for s in LIVE_STAGES), whole[k - 1])

    averages = ended(real, declared_real, 2)
    so_far = (*(live[s][1] if s in live else None for s in LIVE_STAGES), None)
    series = [
        Series(f"Average days, stays ended in {r.period_words}", averages),
        Series("Average days so far, live issues", so_far),
    ]
    if r.filters.exercises:
        series.append(
            Series(f"Average days, {EXERCISE} stays ended", ended(drill, declared_drill, 2), True)
        )
    counts = ended(real, declared_real, 1)
    longest = ended(real, declared_real, 3)
    now_there = (*(str(live[s][0]) if s in live else "0" for s in LIVE_STAGES), "–")
    detail_rows = tuple(
        (label, figure(counts[i] or 0), figure(longest[i], 1), now_there[i])
        for i, label in enumerate(labels)
    )
    n_declared = int(declared_real[0] or 0)
    words = f"In {r.period_words}, {_plural(n_declared, 'incident')} declared, " + (
        f"{figure(declared_real[1], 1)} days on average from raised to declared"
        if n_declared
        else "so no time from raised to declared to measure"
    )
    panel = Panel(
        "timings",
        "Time in each stage of the ladder, and from raised to declared",
        words + ".",
        "Stage",
        labels,
        tuple(series),
        unit="days",
        decimals=1,
        horizontal=True,
        note=f"A stay ends when the issue moves on; stays that ended in {r.period_words} are "
        "averaged. Live issues: their days at the stage they are at now.",
        details=(
            Table(
                "How many, and the longest",
                (
                    "Stage",
                    f"Stays ended in {r.period_words}",
                    "Longest (days)",
                    "Live issues there now",
                ),
                detail_rows,
            ),
        ),
    )
    return panel, (
        Headline(
            f"Raised to declared, average over {r.period_words}",
            f"{figure(declared_real[1], 1)} days" if n_declared else "–",
            _plural(n_declared, "incident") + " declared",
        ),
    )


# DBT ERCO engagement outstanding ----------------------------------------------------------


def erco_panel(r: Reader) -> tuple[Panel, tuple[Headline, ...]]:
    high = and_(
        Incident.status.in_(OPEN_INCIDENTS),
        Incident.overall_impact.in_([int(level) for level in ERCO_LEVELS]),
        r.incidents(),
    )
    rows = list(
        r.session.execute(
            r.in_area(
                select(cast(Incident.erco_engaged, Integer), func.count(), Incident.exercise).where(
                    high
                ),
                Incident.issue_id,
            ).group_by(cast(Incident.erco_engaged, Integer), Incident.exercise)
        ).tuples()
    )
    real, drill = _split(rows, lambda row: bool(row[0]))
    labels = ("Engaged", "Not engaged: outstanding")
    counts = tuple(float(real[k][1]) if k in real else 0.0 for k in (True, False))
    drills = tuple(float(drill[k][1]) if k in drill else 0.0 for k in (True, False))
    waiting = r.session.execute(
        r.in_area(
            select(
                Incident.reference,
                Incident.title,
                Incident.overall_impact,
                Incident.declared_at,
                Incident.exercise,
            ).where(high, Incident.erco_engaged == false()),
            Incident.issue_id,
        )
        .order_by(Incident.overall_impact.desc(), Incident.declared_at)
        .limit(LISTED)
    ).tuples()
    listed: list[tuple[str, ...]] = []
    marked: list[int] = []
    for ref, title, level, declared_at, exercise in waiting:
        if exercise:
            marked.append(len(listed))
        listed.append(
            (
                f"{EXERCISE} · {ref}" if exercise else ref,
                title,
                Level(level).label if level else "not rated",
                show(declared_at),
            )
        )
    outstanding = int(counts[1])
    words = (
        f"{_plural(_total(counts), 'open incident')} rated "
        + " or ".join(level.label for level in ERCO_LEVELS)
        + f": DBT ERCO engaged for {int(counts[0])}, outstanding for {outstanding}"
    )
    panel = Panel(
        "erco",
        "DBT ERCO engagement (3.17)",
        words + ".",
        "DBT ERCO",
        labels,
        (Series("Open incidents", counts), *_exercise_series(r, "Open incidents", drills)),
        unit="incidents",
        stacked=True,
        note="OPSS engages DBT ERCO for an incident that is, or could become, High or Critical "
        "(3.17). Live now.",
        details=(
            Table(
                "Outstanding, highest level first",
                ("Incident", "Title", "Response level", "Declared"),
                tuple(listed),
                "None outstanding.",
                tuple(marked),
            ),
        ),
    )
    return panel, (Headline("DBT ERCO engagement outstanding", str(outstanding)),)


# The dashboard ----------------------------------------------------------------------------

PanelSource = Callable[[Reader], tuple[Panel, tuple[Headline, ...]]]

PANELS: tuple[PanelSource, ...] = (
    stages_panel,
    levels_panel,
    actions_panel,
    notifications_panel,
    sitreps_panel,
    timings_panel,
    erco_panel,
)
# Further panels, each a function of the Reader like those above, shown after them: the
# trained roster's (roles with too few trained people, training about to lapse).
FURTHER_PANELS: tuple[PanelSource, ...] = (roster_panel,)


def require_mi(ctx: Ctx) -> None:
    """Only IMT and the SCS, who may read every incident (``reads_every_incident``), which is
    why an action's EXERCISE flag alone decides whether it is shown."""
    allowed = may_see_mi(ctx.actor)
    if not allowed:
        raise PermissionRefused("see management information", allowed.who_may, "mi")


def dashboard(ctx: Ctx, filters: Filters) -> Dashboard:
    """Every panel's figures as the reader may read them (refused unless their role gives
    them this view)."""
    require_mi(ctx)
    reader = Reader(ctx, filters)
    panels: list[Panel] = []
    headline: list[Headline] = []
    for source in (*PANELS, *FURTHER_PANELS):
        panel, figures = source(reader)
        panels.append(panel)
        headline.extend(figures)
    return Dashboard(
        as_at=show(ctx.now),
        filters=filters.as_json(),
        scope=filters.words(),
        headline=tuple(headline),
        panels=tuple(panels),
    )
