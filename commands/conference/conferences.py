"""Case conferences (2.14-2.20): who may call one, its agenda, and its outcome as decisions."""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from cards.model import Action, Card, Form
from commands.conference import forms
from commands.core.access import require_read
from commands.core.args import Args
from commands.core.context import Ctx, PermissionRefused, Reply, UserError
from commands.core.flows import Context, FormFlow
from commands.core.lookup import find_conference, find_issue
from commands.core.people import as_recorded, named_in, named_words, reachable
from commands.decision.log import record_decision
from commands.incident import reescalation
from commands.issue.card import publish_issue_change
from commands.issue.ladder import move_issue, require_preconditions
from commands.rhythm import invitations
from rules import conferences, lifecycle, roles
from rules.conferences import CONFERENCE_STATUS_LABELS, ConferenceStatus
from rules.lifecycle import STAGE_LABELS, Move, Stage
from rules.roles import Role
from rules.timeparse import HINT, WhenError, parse_when, show
from storage import repositories as repo
from storage.models import CaseConference, Issue, OutboxMessage, Person
from storage.whose import is_person

DATE_ONLY = re.compile(r"^\d{4}-\d{2}-\d{2}$")
AFTER_NFA_STAGES = {
    "closed": Stage.CLOSED_NFA,
    "la": Stage.LA_LED,
    "monitoring": Stage.MONITORING,
}

# Invitees are reminded this long before a conference meets (``conference/reminders.py``).
REMINDER_LEAD = timedelta(minutes=30)

AGENDA_OPTIONS = {key: f"agenda_{key}" for key, _ in forms.CONFERENCE_AGENDA}


def _issue(ctx: Ctx, reference: str | None) -> Issue:
    issue = find_issue(ctx.session, reference, "conference")
    stage = issue.stage
    try:
        lifecycle.transition(stage, Move.CALL_CONFERENCE)
    except lifecycle.TransitionRefused as exc:
        raise UserError(
            f"{exc} A case conference follows the FTL's assessment (requested per 2.16), CAM, "
            "TTG or CAM-EP (plan 2.6-2.16)."
        ) from exc
    # Somebody who could never request one is told before filling in the form.
    if not (
        ctx.actor.has(Role.DEPUTY_DIRECTOR)
        or ctx.actor.has(Role.HEAD_OF_IMT)
        or ctx.actor.is_ftl_for(issue.functional_area)
    ):
        who = roles.CONFERENCE_WHO.format(area=issue.functional_area)
        raise PermissionRefused(
            f"request a case conference on {issue.reference}", who, issue.reference
        )
    return issue


def _prepare(ctx: Ctx, args: Args) -> tuple[Context, dict[str, Any]]:
    issue = _issue(ctx, args.first())
    values: dict[str, Any] = {}
    for name, value in args.options.items():
        if name == "when":
            day = value.strip().lower()
            try:
                if DATE_ONLY.match(day) or day in {"today", "tomorrow"}:
                    # No time given: ask for it rather than assume midnight (or 09:00).
                    values["date"] = parse_when(f"{day} 00:00", ctx.now).strftime("%Y-%m-%d")
                    continue
                when = parse_when(value, ctx.now)
            except WhenError as exc:
                raise UserError(f"When: '{value}' is not a date and time; {HINT}", "date") from exc
            values["date"], values["time"] = when.strftime("%Y-%m-%d"), when.strftime("%H:%M")
        elif name in {"scs", "consulted_scs", "with"}:
            values["consulted_scs"] = value.lstrip("@")
        elif name in AGENDA_OPTIONS:
            values[AGENDA_OPTIONS[name]] = value
        elif name in {"attendees", "justification"}:
            values[name] = value
        elif name == "grounds":
            values["grounds"] = value
        else:
            raise UserError(
                f"conference does not take --{name}; it takes --when, --scs, --grounds, "
                "--attendees, --justification and "
                "the agenda items --" + ", --".join(AGENDA_OPTIONS) + "."
            )
    return {"reference": issue.reference}, values


def _build(ctx: Ctx, context: Mapping[str, str]) -> Form:
    issue = find_issue(ctx.session, context.get("reference"), "conference")
    scs = [
        (p.name, p.display_name)
        for p in repo.people_with_role(ctx.session, Role.SCS)
        if not is_person(p.id, ctx.person)
    ]
    return forms.conference_form(issue.reference, scs)


@dataclass(frozen=True)
class ConferenceValues:
    date: date
    time: str  # "HH:MM"
    consulted_scs: str | None
    grounds: list[str]  # keys of forms.GROUNDS (2.15)
    # The agenda of 2.18, one field per item of forms.CONFERENCE_AGENDA.
    agenda_background: str
    agenda_enquiries_testing: str | None
    agenda_science_technical: str | None
    agenda_intelligence: str | None
    agenda_risk_assessments: str | None
    agenda_stakeholder_comms: str | None
    agenda_recommendations: str | None
    attendees: str | None
    justification: str | None


def _apply(ctx: Ctx, context: Mapping[str, str], v: ConferenceValues) -> Reply:
    issue = _issue(ctx, context.get("reference"))
    if not v.time.strip():
        raise UserError("Time (London): give the time the conference meets.", "time")
    try:
        when = parse_when(f"{v.date.isoformat()} {v.time}", ctx.now)
    except WhenError as exc:
        raise UserError(f"Date and time: {exc}", "date") from exc
    problem = conferences.schedule_problem(when, ctx.now)
    if problem:
        raise UserError(f"Date and time: {show(when)}: {problem} (it is {show(ctx.now)}).", "date")
    scs_person = None
    if v.consulted_scs:
        scs_person = repo.person_by_name(ctx.session, v.consulted_scs)
        if scs_person is None:
            raise UserError(
                f"SCS consulted: no user '{v.consulted_scs}' is known.", "consulted_scs"
            )
    scs_actor = repo.actor_for(ctx.session, scs_person) if scs_person else None
    allowed = roles.may_request_case_conference(ctx.actor, issue.functional_area, scs_actor)
    if not allowed:
        if scs_person is None and roles.needs_consulted_scs(ctx.actor, issue.functional_area):
            raise UserError(
                "SCS consulted: name the senior civil servant you consulted (plan 2.16).",
                "consulted_scs",
            )
        raise PermissionRefused(
            f"request a case conference on {issue.reference}", allowed.who_may, issue.reference
        )
    stage = issue.stage
    if stage is not Stage.CASE_CONFERENCE:
        require_preconditions(ctx, issue, Stage.CASE_CONFERENCE, v.justification or "")
    reference = repo.next_reference(ctx.session, "conference", ctx.now.year)
    agenda = {key: getattr(v, f"agenda_{key}") or "" for key, _ in forms.CONFERENCE_AGENDA}
    conference = CaseConference(
        reference=reference,
        issue_id=issue.id,
        requested_by_id=ctx.person.id,
        consulted_scs_id=scs_person.id if scs_person else None,
        basis=allowed.basis,
        scheduled_for=when,
        agenda=agenda,
        attendees=v.attendees or "",
        grounds=list(v.grounds),
        status=ConferenceStatus.CALLED,
        called_at=ctx.now,
    )
    remind_at = when - REMINDER_LEAD
    conference.next_run_at = remind_at if remind_at > ctx.now else None
    ctx.session.add(conference)
    ctx.session.flush()
    if stage is not Stage.CASE_CONFERENCE:
        move_issue(
            ctx,
            issue,
            Stage.CASE_CONFERENCE,
            basis=allowed.basis,
            justification=v.justification or "",
        )
    ctx.audit(
        "conference.called",
        "conference",
        reference,
        None,
        {"issue": issue.reference, "scheduled_for": when.isoformat(), "basis": allowed.basis},
    )
    card = conference_card(conference, issue, ctx.person.display_name)
    text = (
        f"Case conference {reference} on {issue.reference} called for {show(when)} "
        f"by {ctx.person.display_name} ({allowed.basis})."
    )
    # Where the surface makes online meetings (Teams), the card carries the join link.
    online = invitations.conference_online(ctx.options, conference, issue)
    # IMT's copy first, under its anchor: called from IMT's channel, it is the one post there
    # (the second is the same, and dropped), and so the one edited when the conference is held.
    ctx.post(
        ctx.options.imt_conversation,
        text,
        card,
        anchor=conference_anchor(conference),
        meeting=online,
    )
    here = ctx.here()
    if here != ctx.options.imt_conversation:  # the channel it was called in: edited as well
        ctx.post(here, text, card, anchor=here_anchor(conference), meeting=online)
    publish_issue_change(ctx, issue, text)
    _tell_invitees(ctx, conference, f"{text} You are invited.", card)
    return Reply(text=text, card=card, ephemeral=False)


def load_people(
    session: Session, conferences: Iterable[CaseConference]
) -> tuple[dict[int, Person], dict[str, Person]]:
    """The requesters and SCS of these conferences by id, and those their attendees name
    (two queries for them all)."""
    rows = list(conferences)
    ids = {i for c in rows for i in (c.requested_by_id, c.consulted_scs_id) if i}
    people = {p.id: p for p in session.scalars(select(Person).where(Person.id.in_(ids)))}
    return people, named_in(session, [c.attendees or "" for c in rows])


def invited(
    conference: CaseConference, people: dict[int, Person], named: dict[str, Person]
) -> list[Person]:
    """Who is invited: who asked for it, the SCS consulted, the people its attendees name."""
    ids = (conference.requested_by_id, conference.consulted_scs_id)
    found = [people.get(i) for i in ids if i is not None]
    found += [named.get(w) for w in named_words(conference.attendees or "")]
    out: list[Person] = []
    for person in found:
        if person is not None and person not in out:
            out.append(person)
    return out


def _tell_invitees(ctx: Ctx, conference: CaseConference, text: str, card: Card) -> None:
    """Each invitee but the caller, directly, where they have an account on this surface."""
    people, named = load_people(ctx.session, [conference])
    everyone = [p for p in invited(conference, people, named) if not is_person(p.id, ctx.person)]
    reach = reachable(ctx.session, [p.id for p in everyone])
    for person in everyone:
        if (person.id, ctx.surface) in reach:
            ctx.tell(person.id, text, card)


def conference_anchor(conference: CaseConference) -> str:
    return f"conference:{conference.reference}"


def here_anchor(conference: CaseConference) -> str:
    """The copy of the conference's card posted where it was called, outside IMT's channel."""
    return f"conference:{conference.reference}:here"


def refresh_conference(ctx: Ctx, conference: CaseConference, issue: Issue) -> Card:
    """Edit each copy of the conference's card (IMT's, and the one where it was called), so
    that none still says "Called" once it is held or cancelled."""
    card = card_of(ctx.session, conference, issue)
    called = conference.status == ConferenceStatus.CALLED
    meeting = invitations.conference_online(ctx.options, conference, issue) if called else None
    text = f"Case conference {conference.reference}"
    ctx.update(
        ctx.options.imt_conversation, conference_anchor(conference), text, card, meeting=meeting
    )
    here = ctx.session.execute(
        select(OutboxMessage.surface, OutboxMessage.conversation)
        .where(OutboxMessage.anchor == here_anchor(conference), OutboxMessage.op == "post")
        .order_by(OutboxMessage.id.desc())
        .limit(1)
    ).first()
    if here is not None:
        surface, conversation = here
        ctx.update(
            conversation, here_anchor(conference), text, card, surface=surface, meeting=meeting
        )
    return card


def card_of(session: Session, conference: CaseConference, issue: Issue) -> Card:
    requester = session.get(Person, conference.requested_by_id)
    return conference_card(conference, issue, requester.display_name if requester else "")


def status(ctx: Ctx, conference: CaseConference) -> Reply:
    """``/opss status CC-2026-0001``: the conference's card as it stands (held, with its
    outcome, once recorded). A conference of a declared incident is seen by those who may
    see the incident."""
    issue = ctx.session.get(Issue, conference.issue_id)
    assert issue is not None
    incident = repo.incident_for_issue(ctx.session, issue.id)
    if incident is not None:
        require_read(ctx, incident)
    return Reply(card=card_of(ctx.session, conference, issue))


def conference_card(conference: CaseConference, issue: Issue, requested_by: str) -> Card:
    sections = tuple(
        (label, conference.agenda.get(key) or "—") for key, label in forms.CONFERENCE_AGENDA
    )
    facts = [
        ("Issue", f"{issue.reference} · {issue.title}"),
        ("When", show(conference.scheduled_for)),
        ("Requested by", f"{requested_by} ({conference.basis})"),
        ("Grounds (2.15)", conferences.grounds_text(conference.grounds)),
        ("Status", CONFERENCE_STATUS_LABELS[conference.status]),
    ]
    if conference.status == ConferenceStatus.CANCELLED and conference.cancelled_at is not None:
        facts.append(("Cancelled", f"{show(conference.cancelled_at)}: {conference.cancel_reason}"))
    if conference.concluded_at is not None:
        facts.append(("Held", f"outcome recorded {show(conference.concluded_at)}"))
    if conference.attendees:
        facts.append(("Attendees", conference.attendees))
    if conference.outcomes:
        facts.append(("Outcome", "; ".join(forms.OUTCOME_LABELS[o] for o in conference.outcomes)))
    actions: tuple[Action, ...] = ()
    if conference.status in (ConferenceStatus.CALLED, ConferenceStatus.CANCELLED):
        cancelled = conference.status == ConferenceStatus.CANCELLED
        actions = (invitations.calendar_action(conference.reference, cancelled=cancelled),)
    return Card(
        title=f"Case conference {conference.reference}",
        subtitle="Agenda (plan 2.18)",
        facts=tuple(facts),
        sections=sections,
        actions=actions,
    )


CONFERENCE = FormFlow(
    "conference",
    _prepare,
    _build,
    _apply,
    prompt="Set the time and agenda of the conference.",
    permit=lambda ctx, context: _issue(ctx, context.get("reference")),
    values=ConferenceValues,
)


# Outcome ------------------------------------------------------------------------------------


def _conference(ctx: Ctx, reference: str | None) -> CaseConference:
    if not reference:
        raise UserError("outcome needs a conference or issue reference, e.g. CC-2026-0001.")
    conference = find_conference(ctx.session, reference)
    allowed = roles.may_record_outcome(ctx.actor)
    if not allowed:
        raise PermissionRefused(
            f"record the outcome of {conference.reference}",
            allowed.who_may,
            conference.reference,
        )
    problem = conferences.outcome_problem(conference.status, conference.scheduled_for, ctx.now)
    if problem:
        when = show(conference.scheduled_for)
        raise UserError(f"{conference.reference} (called for {when}) {problem}.")
    return conference


def _prepare_outcome(ctx: Ctx, args: Args) -> tuple[Context, dict[str, Any]]:
    conference = _conference(ctx, args.first())
    values: dict[str, Any] = {}
    names = {
        "outcomes": "outcomes",
        "outcome": "outcomes",
        "rationale": "rationale",
        "options": "options_considered",
        "by": "decided_by",
        "chair": "decided_by",
        "actions": "actions",
        "feedback": "feedback",
        "then": "after_nfa",
    }
    for name, value in args.options.items():
        if name not in names:
            raise UserError(
                f"outcome does not take --{name}; it takes --outcome, --rationale, --options, "
                "--chair, --actions, --feedback and --then."
            )
        values[names[name]] = value
    return {"conference": conference.reference}, values


def _build_outcome(ctx: Ctx, context: Mapping[str, str]) -> Form:
    return forms.outcome_form(context.get("conference", ""))


@dataclass(frozen=True)
class OutcomeValues:
    outcomes: list[str]
    rationale: str
    options_considered: str | None
    decided_by: str
    actions: str | None
    feedback: str | None
    after_nfa: str | None  # a value of forms.AFTER_NFA: where a no-further-action issue goes


def _apply_outcome(ctx: Ctx, context: Mapping[str, str], v: OutcomeValues) -> Reply:
    conference = _conference(ctx, context.get("conference"))
    outcomes: list[str] = v.outcomes
    if "no_further_action" in outcomes and "declare_incident" in outcomes:
        raise UserError(
            "Outcome: no further action cannot be combined with declaring an incident.",
            "outcomes",
        )
    if "no_further_action" in outcomes and not v.feedback:
        raise UserError(
            "Feedback to the originator: with no further action, record how and when the "
            "outcome was fed back to the originator (plan 2.19).",
            "feedback",
        )
    issue = ctx.session.get(Issue, conference.issue_id)
    assert issue is not None
    before = {"status": conference.status}
    conference.status = ConferenceStatus.HELD
    conference.next_run_at = None
    conference.outcomes = outcomes
    conference.concluded_at = ctx.now
    decision_refs = []
    for outcome in outcomes:
        what = forms.OUTCOME_LABELS[outcome]
        if outcome == "further_information" and v.actions:
            what += f": {v.actions}"
        if outcome == "no_further_action":
            what += f". Feedback to originator: {v.feedback}"
            after = v.after_nfa or "closed"
            if after != "closed":
                title = next(c.title for c in forms.AFTER_NFA if c.value == after)
                what += f". The issue is {title[0].lower()}{title[1:]}"
        row = record_decision(
            ctx,
            kind=f"case_conference.{outcome}",
            what=what,
            rationale=v.rationale,
            options_considered=v.options_considered or "",
            decided_by=as_recorded(ctx.session, v.decided_by),
            group="case_conference",
            meeting=f"{conference.reference}, {show(conference.scheduled_for)}",
            decided_at=ctx.now,
            issue=issue,
            conference_id=conference.id,
        )
        decision_refs.append(row.reference)
    ctx.audit(
        "conference.held",
        "conference",
        conference.reference,
        before,
        {"status": "held", "outcomes": outcomes, "decisions": decision_refs},
    )
    refresh_conference(ctx, conference, issue)
    parked = None
    if "no_further_action" in outcomes:
        parked = AFTER_NFA_STAGES[v.after_nfa or "closed"]
        move_issue(ctx, issue, parked, basis="case conference", justification=v.rationale)
    labels = "; ".join(forms.OUTCOME_LABELS[o] for o in outcomes)
    text = (
        f"Outcome of {conference.reference} ({issue.reference}): {labels}. "
        f"Recorded as {', '.join(decision_refs)}."
    )
    incident = repo.incident_for_issue(ctx.session, issue.id)
    if "declare_incident" in outcomes and incident is not None:
        # Section 2 followed again for a re-escalation (3.27): the incident comes back.
        text += " " + reescalation.re_declare(ctx, incident, conference)
    elif "declare_incident" in outcomes:
        text += f" Declare it with /opss declare {issue.reference}."
    card = publish_issue_change(ctx, issue, text, tell_imt=True)
    if parked is not None:
        text += f" {issue.reference} is now {STAGE_LABELS[parked]}."
    return Reply(text=text, card=card, ephemeral=False)


OUTCOME = FormFlow(
    "outcome",
    _prepare_outcome,
    _build_outcome,
    _apply_outcome,
    prompt="Record the case conference's outcome.",
    permit=lambda ctx, context: _conference(ctx, context.get("conference")),
    values=OutcomeValues,
)


# Cancelling ---------------------------------------------------------------------------------


def cancel(ctx: Ctx, args: Args) -> Reply:
    """``/opss cancel CC-2026-0001 --reason ..``: a called conference that will not meet."""
    reference = args.first()
    if not reference:
        raise UserError("cancel needs a case conference reference, e.g. /opss cancel CC-2026-0001.")
    conference = find_conference(ctx.session, reference)
    requester = ctx.session.get(Person, conference.requested_by_id)
    allowed = roles.may_record_outcome(ctx.actor)
    if not allowed and not (requester is not None and is_person(requester.id, ctx.person)):
        raise PermissionRefused(
            f"cancel {conference.reference}",
            f"whoever requested it, or {allowed.who_may}",
            conference.reference,
        )
    problem = conferences.cancel_problem(conference.status)
    if problem:
        raise UserError(f"{conference.reference} {problem}.")
    reason = (args.options.get("reason") or "").strip()
    if not reason:
        raise UserError("Reason: say why the conference is cancelled, with --reason.", "reason")
    conference.status = ConferenceStatus.CANCELLED
    conference.next_run_at = None
    conference.cancelled_at = ctx.now
    conference.cancel_reason = reason
    ctx.audit(
        "conference.cancelled",
        "conference",
        conference.reference,
        {"status": "called"},
        {"status": "cancelled", "reason": reason},
    )
    issue = ctx.session.get(Issue, conference.issue_id)
    assert issue is not None
    card = refresh_conference(ctx, conference, issue)
    text = f"Case conference {conference.reference} on {issue.reference} cancelled: {reason}"
    publish_issue_change(ctx, issue, text, tell_imt=True)
    return Reply(text=text, card=card)
