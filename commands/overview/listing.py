"""``/opss list``: one page of issues, incidents or actions at a time, newest or most urgent
first, with a *More* button for the next page; and the first items of each list for App Home.

A page costs a constant number of SQL statements whatever the history: a count and a
``LIMIT``/``OFFSET`` query per list, the filters in SQL. "Waiting on you" is the rule of
``rules/waiting.py`` turned into an SQL condition by asking the rule itself about every
stage, for the actor's own areas and for any other area (the rule depends on nothing else).

A page holds at most ``PAGE`` items of at most a few hundred characters each, so the card
stays well inside every surface's limits (Slack: 50 blocks, 3,000 characters a text block;
Teams: 28 KB a card). Item text is plain: each surface's renderer escapes it.
"""

from __future__ import annotations

import functools
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import (
    ColumnElement,
    Select,
    String,
    Text,
    and_,
    cast,
    exists,
    false,
    func,
    or_,
    select,
    type_coerce,
)
from sqlalchemy.orm import Session, aliased, contains_eager

from cards.model import Action as Button
from cards.model import Card
from commands.action.card import STATUS_LABELS
from commands.core.args import Args
from commands.core.context import Ctx, Reply, UserError
from commands.core.lookup import find_subject
from rules.action_chasing import ActionStatus
from rules.conferences import ConferenceStatus
from rules.lifecycle import OPEN_STAGES, PARKED, STAGE_LABELS, Stage
from rules.roles import Actor, Grant, Role
from rules.stand_down import Status
from rules.timeparse import show
from rules.waiting import next_step
from storage.models import (
    Action,
    CaseConference,
    ChannelBinding,
    Incident,
    Issue,
    Person,
    SitrepSchedule,
)
from storage.whose import names_person

PAGE = 20
# Counts stop this far past the page shown ("1-20 of 200+").
COUNT_AHEAD = 200
MAX_PAGE = 10_000
WAITING_STAGES = OPEN_STAGES | {Stage.MONITORING}
FLAGS = ("mine", "waiting", "incidents", "actions", "closed")
OPTIONS = ("area", "stage", "page")
# Stands for "an area the actor is not FTL for": the rule answers the same for all of them.
_OTHER_AREA = "\x00another area"


@dataclass(frozen=True)
class Listing:
    """What ``/opss list`` was asked for; ``command`` rebuilds it for the *More* button."""

    kind: str = "issues"  # issues, incidents, actions
    mine: bool = False
    waiting: bool = False
    closed: bool = False
    area: str | None = None
    stage: Stage | None = None
    page: int = 1
    incident: Incident | None = None  # ``--actions INC-…``: all of its actions

    def command(self, page: int) -> str:
        parts = ["/opss list"]
        if self.kind != "issues":
            parts.append(f"--{self.kind}")
        if self.incident is not None:
            parts.append(self.incident.reference)
        parts += [f"--{name}" for name in ("mine", "waiting", "closed") if getattr(self, name)]
        if self.area:
            parts.append(f'--area "{self.area}"')
        if self.stage:
            parts.append(f"--stage {self.stage.value}")
        if page > 1:
            parts.append(f"--page {page}")
        return " ".join(parts)


# Reading the command ----------------------------------------------------------------------


def parse_listing(ctx: Ctx, args: Args) -> Listing:
    actions_of = "actions" in args.flags or "actions" in args.options
    if args.pairs or (args.words and not (actions_of and len(args.words) == 1)):
        raise UserError(
            "list takes only options: --mine, --waiting, --incidents, --actions, --closed, "
            "--area <area>, --stage <stage>, --page <n>; and an incident's reference after "
            "--actions for all of its actions (/opss list --actions INC-2026-001)."
        )
    incident = _incident_named(ctx, args.words[0]) if args.words else None
    unknown = [o for o in args.options if o not in OPTIONS and o not in FLAGS]
    if unknown:
        raise UserError(
            f"list does not take --{unknown[0]}; it takes --mine, --waiting, --incidents, "
            "--actions, --closed, --area, --stage and --page."
        )
    flags = set(args.flags) | {o for o in args.options if o in FLAGS}
    if "incidents" in flags and "actions" in flags:
        raise UserError("list: choose --incidents or --actions, not both.")
    kind = "incidents" if "incidents" in flags else "actions" if "actions" in flags else "issues"
    area = args.options.get("area")
    if area is not None:
        known = {a.casefold(): a for a in ctx.options.functional_areas}
        if area.casefold() not in known:
            raise UserError(
                f"Area: '{area}' is not a functional area; use one of "
                + ", ".join(ctx.options.functional_areas)
                + ".",
                "area",
            )
        area = known[area.casefold()]
    stage = None
    if "stage" in args.options:
        raw = args.options["stage"].strip().lower().replace("-", "_").replace(" ", "_")
        try:
            stage = Stage(raw)
        except ValueError as exc:
            raise UserError(
                f"Stage: '{args.options['stage']}' is not a stage; use one of "
                + ", ".join(s.value for s in Stage)
                + ".",
                "stage",
            ) from exc
    page = 1
    if "page" in args.options:
        raw_page = args.options["page"]
        if not raw_page.isdigit() or not 1 <= int(raw_page) <= MAX_PAGE:
            raise UserError(f"Page: a number from 1 to {MAX_PAGE}.", "page")
        page = int(raw_page)
    return Listing(
        kind=kind,
        mine="mine" in flags,
        waiting="waiting" in flags,
        closed="closed" in flags,
        area=area,
        stage=stage,
        page=page,
        incident=incident,
    )


def _incident_named(ctx: Ctx, text: str) -> Incident:
    """The incident whose actions are listed: for those who may read it (a refusal names
    them), open or closed."""
    _, subject = find_subject(ctx, text)
    if not isinstance(subject, Incident):
        raise UserError(
            f"{text} is an issue; list --actions takes an incident's reference, e.g. "
            "/opss list --actions INC-2026-001."
        )
    return subject


# "Waiting on you" as SQL ------------------------------------------------------------------


def _latest_conference() -> Any:
    earlier = aliased(CaseConference)
    return (
        select(earlier.id)
        .where(earlier.issue_id == Issue.id)
        .order_by(earlier.id.desc())
        .limit(1)
        .correlate(Issue)
        .scalar_subquery()
    )


def waiting_on(actor: Actor) -> ColumnElement[bool]:
    """Issues whose next move is ``actor``'s, exactly as ``rules.waiting.next_step`` says."""
    return _waiting_for(actor.grants)


@functools.lru_cache(maxsize=256)
def _waiting_for(grants: frozenset[Grant]) -> ColumnElement[bool]:
    # The rule depends on the roles held, not on who holds them: one condition per set of
    # grants, built once (it is a large expression) and shared by every request.
    actor = Actor("", grants)
    ftl_areas = sorted({g.area.casefold() for g in grants if g.role is Role.FTL and g.area})
    area = func.lower(Issue.functional_area)
    # ``stage || ''`` keeps SQLite from gathering every matching issue through the stage index
    # and sorting them: it walks the newest first and stops when the page is full.
    # (Read as text: the column's enum type would take the '' for a stage.)
    stage_of = type_coerce(Issue.stage, String).concat("")
    latest = _latest_conference()
    concluded = exists().where(
        CaseConference.id == latest, CaseConference.status == ConferenceStatus.HELD
    )
    decided = exists().where(
        CaseConference.id == latest,
        cast(CaseConference.outcomes, Text).like('%"declare_incident"%'),
    )

    def where_area(stage: Stage, was_concluded: bool, was_decided: bool) -> tuple[Any, Any]:
        """Where the move is the actor's, with a key naming it: None for nowhere, True for
        any area, else a condition on the issue's area."""
        yes = [a for a in ftl_areas if next_step(actor, stage, a, was_concluded, was_decided)]
        anywhere = next_step(actor, stage, _OTHER_AREA, was_concluded, was_decided) is not None
        key = (tuple(yes), anywhere)
        if anywhere and len(yes) == len(ftl_areas):
            return key, True
        parts = [area.in_(yes)] if yes else []
        if anywhere:
            parts.append(area.not_in(ftl_areas))
        return key, (or_(*parts) if parts else None)

    # Stages that wait on the actor in the same areas share one ``stage IN (...)`` branch.
    by_areas: dict[tuple[Any, ...], tuple[Any, list[str]]] = {}
    conditions: list[ColumnElement[bool]] = []
    for stage in sorted(WAITING_STAGES - {Stage.CASE_CONFERENCE}):
        key, where = where_area(stage, False, False)
        if where is not None:
            by_areas.setdefault(key, (where, []))[1].append(stage.value)
    for where, stages in by_areas.values():
        branch = stage_of.in_(stages)
        conditions.append(branch if where is True else and_(branch, where))
    for was_concluded in (False, True):
        for was_decided in (False, True):
            _, where = where_area(Stage.CASE_CONFERENCE, was_concluded, was_decided)
            if where is None:
                continue
            parts = [
                stage_of == Stage.CASE_CONFERENCE.value,
                concluded if was_concluded else ~concluded,
                decided if was_decided else ~decided,
            ]
            conditions.append(and_(*parts) if where is True else and_(*parts, where))
    return or_(*conditions) if conditions else false()


def latest_conferences(session: Session, issue_ids: Sequence[int]) -> dict[int, CaseConference]:
    """Each issue's latest case conference, in one query."""
    if not issue_ids:
        return {}
    latest = (
        select(func.max(CaseConference.id))
        .where(CaseConference.issue_id.in_(issue_ids))
        .group_by(CaseConference.issue_id)
    )
    rows = session.scalars(select(CaseConference).where(CaseConference.id.in_(latest)))
    return {c.issue_id: c for c in rows}


def waiting_steps(ctx: Ctx, issues: Sequence[Issue]) -> dict[int, str]:
    """What the caller could do next for each of ``issues`` (one query for them all)."""
    conferences = latest_conferences(ctx.session, [i.id for i in issues])
    out = {}
    for issue in issues:
        conference = conferences.get(issue.id)
        step = next_step(
            ctx.actor,
            issue.stage,
            issue.functional_area,
            conference_concluded=bool(conference and conference.status == ConferenceStatus.HELD),
            declare_decided=bool(conference and "declare_incident" in (conference.outcomes or [])),
        )
        if step is not None:
            out[issue.id] = step
    return out


# The queries ------------------------------------------------------------------------------


def _count(session: Session, query: Select[Any], upto: int) -> int:
    """How many rows ``query`` has, counting no further than ``upto`` (so a count costs the
    same after a year as on the first day; beyond it a page says "200+")."""
    # Only the key is selected, so an index can answer without reading the rows.
    key = query.column_descriptions[0]["entity"].id
    counted = query.with_only_columns(key).order_by(None).limit(upto + 1).subquery()
    return session.scalar(select(func.count()).select_from(counted)) or 0


@dataclass(frozen=True)
class Window:
    rows: list[Any]
    total: int  # at most ``known + 1``: more than ``known`` when ``capped``
    capped: bool

    def describe(self) -> str:
        return f"{self.total - 1}+" if self.capped else str(self.total)


def _window(session: Session, query: Select[Any], page: int, size: int) -> Window:
    offset = (page - 1) * size
    upto = offset + COUNT_AHEAD
    total = _count(session, query, upto)
    rows = list(session.scalars(query.limit(size).offset(offset)))
    return Window(rows, total, total > upto)


def issues_query(ctx: Ctx, listing: Listing) -> Select[Any]:
    if listing.stage is not None:
        query = select(Issue).where(Issue.stage == listing.stage.value)
    else:
        # "Not in the others" rather than "in these": SQLite then walks the newest first
        # and stops at the page, instead of sorting every open issue by age.
        stages = PARKED if listing.closed else OPEN_STAGES
        query = select(Issue).where(Issue.stage.not_in([s.value for s in Stage if s not in stages]))
    if listing.area:
        query = query.where(func.lower(Issue.functional_area) == listing.area.casefold())
    if listing.waiting:
        query = query.where(waiting_on(ctx.actor))
    if listing.mine:
        query = query.where(
            or_(names_person(Issue.raised_by_id, ctx.person), waiting_on(ctx.actor))
        )
    return query.order_by(Issue.id.desc())


def _names(column: Any, name: str) -> ColumnElement[bool]:
    """A JSON list or object column names ``name`` (as a quoted string value)."""
    return cast(column, Text).like('%"' + _like_escape(name) + '"%', escape="\\")


def reads_every_incident(actor: Actor) -> bool:
    """IMT and the SCS may read every incident (``may_read``)."""
    return actor.has(Role.IMT) or actor.has(Role.SCS)


def may_read(ctx: Ctx) -> ColumnElement[bool]:
    """The incidents the caller may see, as SQL: ``rules.roles.may_read_incident`` (members
    and command team, IMT, SCS, the FTL of the issue's area or of a contributing team, or a
    request made in the incident's own channel). A test holds it to ``access.readable``."""
    actor = ctx.actor
    if reads_every_incident(actor):
        return Incident.id.is_not(None)
    allowed: list[ColumnElement[bool]] = [
        _names(Incident.members, actor.name),
        _names(Incident.command_team, actor.name),
    ]
    if ctx.channel:
        allowed.append(
            Incident.channel_key.in_(
                select(ChannelBinding.conversation).where(
                    ChannelBinding.surface == ctx.surface,
                    ChannelBinding.external_id == ctx.channel,
                )
            )
        )
    its_issue = aliased(Issue)  # not the outer query's Issue (``--area`` joins it)
    for area in sorted({g.area for g in actor.grants if g.role is Role.FTL and g.area}):
        allowed.append(
            exists().where(
                its_issue.id == Incident.issue_id,
                func.lower(its_issue.functional_area) == area.casefold(),
            )
        )
        allowed.append(
            exists().where(
                SitrepSchedule.incident_id == Incident.id,
                func.lower(cast(SitrepSchedule.teams, Text)).like(
                    '%"' + _like_escape(area.casefold()) + '"%', escape="\\"
                ),
            )
        )
    return or_(*allowed)


def incidents_query(ctx: Ctx, listing: Listing) -> Select[Any]:
    query = select(Incident).where(
        Incident.status == Status.CLOSED if listing.closed else Incident.status != Status.CLOSED,
        may_read(ctx),  # incidents are private
    )
    if listing.mine:
        query = query.where(
            or_(
                names_person(Incident.declared_by_id, ctx.person),
                _names(Incident.command_team, ctx.person.name),
                _names(Incident.members, ctx.person.name),
            )
        )
    if listing.area:
        query = query.join(Issue, Issue.id == Incident.issue_id).where(
            func.lower(Issue.functional_area) == listing.area.casefold()
        )
    return query.order_by(Incident.id.desc())


def actions_query(ctx: Ctx, listing: Listing) -> Select[Any]:
    # Open means not done: started and blocked actions are still open (3.10).
    done = Action.status == ActionStatus.DONE
    order = Action.done_at.desc() if listing.closed else Action.due_at
    query = select(Action).where(done if listing.closed else ~done)
    if listing.incident is None:
        return query.where(names_person(Action.owner_id, ctx.person)).order_by(order, Action.id)
    # An incident's actions, everyone's: by owner, then as the caller's own are ordered.
    query = (
        query.join(Person, Person.id == Action.owner_id)
        .options(contains_eager(Action.owner))  # each item names its owner: no query apiece
        .where(Action.incident_id == listing.incident.id)
    )
    if listing.mine:
        query = query.where(names_person(Action.owner_id, ctx.person))
    return query.order_by(Person.display_name, order, Action.id)


def _like_escape(text: str) -> str:
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


# Items ------------------------------------------------------------------------------------


def issue_item(issue: Issue, step: str | None = None) -> tuple[str, str]:
    """The reference alone as the key keeps the first column narrow on every surface."""
    stage = STAGE_LABELS[issue.stage]
    if step:
        return issue.reference, f"{stage} · {issue.title}: {step}"
    return issue.reference, f"{stage} · {issue.title} · {issue.functional_area}"


def incident_item(incident: Incident) -> tuple[str, str]:
    return (
        f"{'EXERCISE · ' if incident.exercise else ''}{incident.reference}",
        incident.title,  # its conversation's name is the platform's to give (status)
    )


def action_item(action: Action, ctx: Ctx, *, owner: bool = False) -> tuple[str, str]:
    late = action.status != ActionStatus.DONE and action.due_at < ctx.now
    what = f"{action.what} (due {show(action.due_at)})"
    if owner:  # an incident's actions: whose, and where it stands
        state = STATUS_LABELS.get(action.status, action.status)
        what = f"{action.owner.display_name} · {state} · {what}"
    return f"{action.reference}{' · OVERDUE' if late else ''}", what


# /opss list -------------------------------------------------------------------------------

TITLES = {
    ("issues", False): "Open issues",
    ("issues", True): "Closed, LA-led and monitored issues",
    ("incidents", False): "Open incidents",
    ("incidents", True): "Closed incidents",
    ("actions", False): "Your open actions",
    ("actions", True): "Your completed actions",
}
ORDER = {"issues": "newest first", "incidents": "newest first", "actions": "soonest due first"}
BY_OWNER = "by owner, soonest due first"


def list_verb(ctx: Ctx, args: Args) -> Reply:
    listing = parse_listing(ctx, args)
    if listing.kind == "incidents":
        window = _window(ctx.session, incidents_query(ctx, listing), listing.page, PAGE)
        items = [incident_item(i) for i in window.rows]
    elif listing.kind == "actions":
        window = _window(ctx.session, actions_query(ctx, listing), listing.page, PAGE)
        whose = listing.incident is not None
        items = [action_item(a, ctx, owner=whose) for a in window.rows]
    else:
        window = _window(ctx.session, issues_query(ctx, listing), listing.page, PAGE)
        steps = waiting_steps(ctx, window.rows) if listing.waiting or listing.mine else {}
        items = [issue_item(i, steps.get(i.id)) for i in window.rows]
    total = window.total
    title = TITLES[(listing.kind, listing.closed)]
    if listing.incident is not None:
        done = "Completed" if listing.closed else "Open"
        title = f"{done} actions of {listing.incident.reference}"
    if listing.waiting and listing.kind == "issues":
        title = "Issues waiting on you"
    elif listing.mine:
        title += " (yours)"
    filters = [f"area {listing.area}" if listing.area else ""]
    filters.append(f"stage {STAGE_LABELS[listing.stage]}" if listing.stage else "")
    filters = [f for f in filters if f]
    first = (listing.page - 1) * PAGE + 1
    last = first + len(items) - 1
    if items:
        order = BY_OWNER if listing.incident is not None else ORDER[listing.kind]
        if listing.incident is not None and listing.closed:
            order = "by owner, latest done first"
        shown = f"{first}-{last} of {window.describe()}, {order}"
    elif total:
        shown = f"no more: there are {window.describe()}"
    else:
        shown = "none"
    subtitle = shown + (f" · {', '.join(filters)}" if filters else "")
    buttons: list[Button] = []
    if last < total:
        buttons.append(
            Button(
                f"More ({last + 1}-{min(last + PAGE, total)})", listing.command(listing.page + 1)
            )
        )
    if listing.kind != "incidents":
        buttons.append(Button("Open incidents", "/opss list --incidents"))
    if listing.kind != "issues" or listing.closed or listing.mine or listing.waiting:
        buttons.append(Button("Open issues", "/opss list"))
    card = Card(
        title=title,
        subtitle=subtitle,
        facts=tuple(items) or (("", "Nothing matches."),),
        actions=tuple(buttons),
    )
    return Reply(text=f"{title}: {subtitle}.", card=card)


# App Home ---------------------------------------------------------------------------------


def glance(session: Session, query: Select[Any], shown: int) -> Window:
    """The first ``shown`` items of a list and how many there are (App Home)."""
    return _window(session, query, 1, shown)
