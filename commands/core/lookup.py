"""Finding what a reference names, with a clear message when it names nothing."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from commands.core.access import require_read
from commands.core.context import Ctx, UserError
from rules.references import parse_reference
from rules.stand_down import Status, refused_after_closure
from rules.timeparse import show
from storage import repositories as repo
from storage.models import Action, CaseConference, Incident, Issue, Notification


def find_issue(session: Session, text: str | None, verb: str) -> Issue:
    if not text:
        raise UserError(f"{verb} needs an issue reference, e.g. /opss {verb} ISS-2026-0001.")
    parsed = parse_reference(text)
    if parsed is None or parsed[0] not in {"issue", "incident"}:
        raise UserError(f"'{text}' is not an issue reference; they look like ISS-2026-0001.")
    kind, ref = parsed
    if kind == "incident":
        incident = repo.incident_by_reference(session, ref)
        if incident is None:
            raise UserError(f"No incident {ref} is recorded.")
        return incident.issue
    issue = repo.issue_by_reference(session, ref)
    if issue is None:
        raise UserError(f"No issue {ref} is recorded. Check the reference with /opss list.")
    return issue


def declared_instead(session: Session, issue: Issue, tried: str) -> str:
    """For a declared issue: why ``tried`` no longer applies, and what can be done instead."""
    incident = repo.incident_for_issue(session, issue.id)
    ref = incident.reference if incident else "its incident"
    return (
        f"{issue.reference} was declared as incident {ref}; a declared issue is not {tried}. "
        f"The incident carries on from here: /opss status {ref} for where it "
        f"stands, /opss decide {ref} to record a decision, /opss action {ref} to assign a task, "
        f"/opss sitrep {ref} for its situation reports."
    )


def require_open(incident: Incident, verb: str) -> None:
    """A closed incident takes no change but its lessons and review (the rule is in
    ``rules/stand_down.py``); every lookup of an incident for a verb passes here."""
    closed = show(incident.closed_at) if incident.closed_at else "closed"
    refusal = refused_after_closure(Status(incident.status), verb, incident.reference, closed)
    if refusal:
        raise UserError(refusal)


def find_subject(ctx: Ctx, text: str) -> tuple[str, Issue | Incident]:
    """An issue or an incident by reference; an incident only for those who may see it."""
    session = ctx.session
    parsed = parse_reference(text)
    if parsed is not None and parsed[0] == "conference":
        raise UserError(
            f"{parsed[1]} is a case conference; this takes an issue (ISS-2026-0001) or an "
            f"incident (INC-2026-001). /opss status {parsed[1]} shows the conference."
        )
    if parsed is None or parsed[0] not in {"issue", "incident"}:
        raise UserError(
            f"'{text}' is not a reference; issues look like ISS-2026-0001 and incidents like "
            "INC-2026-001."
        )
    kind, ref = parsed
    found = (
        repo.incident_by_reference(session, ref)
        if kind == "incident"
        else repo.issue_by_reference(session, ref)
    )
    if found is None:
        raise UserError(f"No {kind} {ref} is recorded. Check the reference with /opss list.")
    if isinstance(found, Incident):
        require_read(ctx, found)
    return kind, found


def find_conference(session: Session, text: str) -> CaseConference:
    """A case conference by its own reference, or the latest one of an issue."""
    parsed = parse_reference(text)
    if parsed is not None and parsed[0] == "conference":
        conference = repo.conference_by_reference(session, parsed[1])
        if conference is None:
            raise UserError(f"No case conference {parsed[1]} is recorded.")
        return conference
    issue = find_issue(session, text, "outcome")
    conference = repo.latest_conference(session, issue.id)
    if conference is None:
        raise UserError(
            f"{issue.reference} has no case conference; call one with /opss conference."
        )
    return conference


def find_issue_or_incident(
    ctx: Ctx, text: str | None, verb: str
) -> tuple[Issue | None, Incident | None]:
    """For verbs about either: the issue, and its incident once declared (or the incident)."""
    if not text:
        raise UserError(f"{verb} needs a reference, e.g. /opss {verb} INC-2026-001.")
    kind, subject = find_subject(ctx, text)
    if kind == "incident":
        assert isinstance(subject, Incident)
        require_open(subject, verb)
        return None, subject
    assert isinstance(subject, Issue)
    incident = repo.incident_for_issue(ctx.session, subject.id)
    if incident is not None:
        require_read(ctx, incident)
        require_open(incident, verb)
    return subject, incident


def find_incident(ctx: Ctx, text: str | None, verb: str, what: str) -> Incident:
    """An incident by reference; ``what`` says what belongs to incidents, for the message."""
    if not text:
        raise UserError(f"{verb} needs an incident reference, e.g. /opss {verb} INC-2026-001.")
    kind, subject = find_subject(ctx, text)
    if kind != "incident":
        raise UserError(f"{text} is an issue; {what} belong to an incident.")
    assert isinstance(subject, Incident)
    require_open(subject, verb)
    return subject


def in_exercise(session: Session, reference: str) -> bool:
    """Whether ``reference`` names an EXERCISE incident, or an action or notification of one:
    its forms carry the banner as its cards do."""
    parsed = parse_reference(reference or "")
    if parsed is None:
        return False
    kind, ref = parsed
    query = select(Incident.exercise)
    if kind == "incident":
        query = query.where(Incident.reference == ref)
    elif kind == "action":
        query = query.join(Action, Action.incident_id == Incident.id).where(Action.reference == ref)
    elif kind == "notification":
        query = query.join(Notification, Notification.incident_id == Incident.id).where(
            Notification.reference == ref
        )
    else:
        return False
    return bool(session.scalar(query))
