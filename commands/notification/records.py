"""Finding notifications and risk assessments, and the cards that show them.

Cards are shared (posted in channels): they never carry a box's value, so the box for the
national contact point only (27 on Annex II) cannot reach one.
"""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from cards.annex_forms import ANNEXES, blank_boxes
from cards.model import Action, Card
from commands.core.access import require_read
from commands.core.context import Ctx, UserError
from rules import deadlines
from rules.deadlines import DEFAULT_CLOCKS, Kind, days_left
from rules.notifications import (
    APPEAL_KINDS,
    APPEAL_NOTE,
    OCCASIONS,
    PRODUCT_TYPES,
    WITHOUT_DELAY_NOTE,
    NotificationStatus,
    home_authority_text,
    information_only_note,
    needs_chemical_data,
)
from rules.references import parse_reference
from rules.timeparse import show, show_date
from storage.models import Incident, Issue, Notification, RiskAssessment

STATUS_LABELS = {"open": "Open", "sent": "Sent"}
PRODUCT_LABELS = dict(PRODUCT_TYPES)


def find_notification(ctx: Ctx, text: str | None, verb: str) -> Notification:
    """A notification by reference; one about an incident only for those who may read the
    incident (the same rule as the incident's own content)."""
    n = notification_by_reference(ctx.session, text, verb)
    if n.incident_id is not None:
        incident = ctx.session.get(Incident, n.incident_id)
        assert incident is not None
        require_read(ctx, incident)
    return n


def notification_by_reference(session: Session, text: str | None, verb: str) -> Notification:
    if not text:
        raise UserError(f"{verb} needs a notification reference, e.g. NOT-2026-0001.")
    parsed = parse_reference(text)
    if parsed is None or parsed[0] != "notification":
        raise UserError(f"'{text}' is not a notification reference; they look like NOT-2026-0001.")
    found = session.scalar(select(Notification).where(Notification.reference == parsed[1]))
    if found is None:
        raise UserError(f"No notification {parsed[1]} is recorded. See /opss notifications.")
    return found


def subject_of(session: Session, n: Notification) -> tuple[Issue | None, Incident | None]:
    incident = session.get(Incident, n.incident_id) if n.incident_id else None
    issue = session.get(Issue, n.issue_id) if n.issue_id else None
    return issue, incident


def subject_ref(session: Session, n: Notification) -> str:
    issue, incident = subject_of(session, n)
    return incident.reference if incident else (issue.reference if issue else "")


def kind_label(kind: str) -> str:
    return DEFAULT_CLOCKS[Kind(kind)].label


def due_text(n: Notification, now_date_days: int | None = None) -> str:
    when = f"{show_date(n.due_date)}"
    left = "" if now_date_days is None else _left(now_date_days)
    return (
        f"{when}{left} · {n.clock_days} calendar days from "
        f"{show_date(n.trigger_date)} ({n.clock_source})"
    )


def _left(days: int) -> str:
    if days < 0:
        return f" (OVERDUE by {-days} day{'s' if days != -1 else ''})"
    if days == 0:
        return " (due today)"
    return f" (in {days} day{'s' if days != 1 else ''})"


def is_overdue(n: Notification, now: datetime) -> bool:
    return n.status == NotificationStatus.OPEN and now >= n.overdue_at


def latest_risk(session: Session, subject: str) -> RiskAssessment | None:
    return session.scalar(
        select(RiskAssessment)
        .where(RiskAssessment.subject == subject)
        .order_by(RiskAssessment.version.desc())
        .limit(1)
    )


def risk_fact(session: Session, subject: str) -> tuple[str, str] | None:
    """The latest product risk assessment of a subject, for its card."""
    row = latest_risk(session, subject)
    if row is None:
        return None
    return ("Product risk", f"{row.level} (v{row.version}, {row.method})")


def section6_chase_at(due: date) -> datetime:
    """When a section 6 still not sent is chased: the first instant after its timetable date
    (00:00 London the day after), as a statutory clock's overdue moment."""
    return deadlines.due(due, 0).overdue_at


def section6_owed(n: Notification) -> bool:
    """Annex IV's section 6, owed for a serious risk or a home-state-only notification (rows
    recorded before the question was asked are taken to owe it)."""
    return n.annex == "IV" and n.section6_needed is not False


def blank_count(n: Notification) -> int:
    annex = ANNEXES[n.annex]
    chemical = needs_chemical_data(Kind(n.kind), n.product_type)
    return len(blank_boxes(annex, n.values, chemical=chemical))


def notification_card(session: Session, n: Notification, now: datetime) -> Card:
    issue, incident = subject_of(session, n)
    facts: list[tuple[str, str]] = [
        ("On", incident.reference if incident else (issue.reference if issue else "")),
        (
            "Status",
            ("OVERDUE" if is_overdue(n, now) else STATUS_LABELS.get(n.status, n.status))
            + (f" on {show(n.sent_at)}" if n.sent_at else ""),
        ),
        ("Form", f"Annex {n.annex}"),
        ("Product", PRODUCT_LABELS.get(n.product_type, n.product_type)),
        (
            "Trigger",
            f"{show_date(n.trigger_date)}: {DEFAULT_CLOCKS[Kind(n.kind)].trigger}",
        ),
        (
            "Due",
            due_text(
                n, days_left(n.due_date, now) if n.status == NotificationStatus.OPEN else None
            ),
        ),
        ("Owner", n.owner.display_name),
    ]
    if n.answers_id or n.answers_text:
        answered = session.get(Notification, n.answers_id) if n.answers_id else None
        facts.append(("Answers", answered.reference if answered else n.answers_text))
    if n.changes_id or n.changes_text:
        changed = session.get(Notification, n.changes_id) if n.changes_id else None
        how = f" ({kind_label(n.changes_kind)})" if n.changes_kind else ""
        facts.append(
            ("Changes the measure of", (changed.reference if changed else n.changes_text) + how)
        )
    if n.occasion:
        facts.append(("Occasion", dict(OCCASIONS).get(n.occasion, n.occasion)))
    if n.information_only:
        facts.append(
            # The note begins with the guidance's own "For information only": not said twice.
            ("Note", information_only_note(Kind(n.kind), n.information_only))
        )
    linked = session.execute(
        select(Notification.reference, Notification.answers_id)
        .where((Notification.answers_id == n.id) | (Notification.changes_id == n.id))
        .order_by(Notification.id)
    ).all()
    reactions = [ref for ref, answers in linked if answers == n.id]
    changes = [ref for ref, answers in linked if answers != n.id]
    if reactions:
        facts.append(("Reactions", ", ".join(reactions)))
    if changes:
        facts.append(("Measure changed by", ", ".join(changes)))
    if n.annex == "IV" and not section6_owed(n):
        facts.append(("Section 6", "not owed (neither a serious risk nor home-state-only)"))
    elif n.annex == "IV":
        if n.section6_sent_at:
            facts.append(("Section 6", f"sent {show(n.section6_sent_at)}"))
        elif n.section6_due:
            facts.append(
                (
                    "Section 6",
                    f"to follow by {show_date(n.section6_due)} (timetable)",
                )
            )
    # Guidance sections 1 and 4: the home authority; section 4: the business without delay;
    # section 2: a measure is notified even if an appeal is likely.
    kind = Kind(n.kind)
    facts.append(("Home authority", home_authority_text(kind, n.home_authority)))
    if kind is Kind.PRODUCER:
        facts.append(("The business", WITHOUT_DELAY_NOTE[0].upper() + WITHOUT_DELAY_NOTE[1:]))
    if kind in APPEAL_KINDS and n.status == NotificationStatus.OPEN:
        facts.append(("Appeal likely?", APPEAL_NOTE[0].upper() + APPEAL_NOTE[1:]))
    if n.status == NotificationStatus.OPEN:
        blanks = blank_count(n)
        facts.append(("Blank boxes", str(blanks) if blanks else "none"))
    fact = risk_fact(session, n.reference)
    if fact is not None:
        facts.append(fact)
    ref = n.reference
    actions = [Action(f"Annex {n.annex} form", f"/opss notify {ref} form")]
    if n.status == NotificationStatus.OPEN:
        actions.append(Action("Mark sent", f"/opss notify {ref} sent"))
    elif section6_owed(n) and not n.section6_sent_at:
        actions.append(Action("Section 6", f"/opss notify {ref} form 3"))
        actions.append(Action("Section 6 sent", f"/opss notify {ref} section6"))
    actions += [
        Action("Export DOCX", f"/opss notify {ref} export docx"),
        Action("Export PDF", f"/opss notify {ref} export pdf"),
        Action("Risk assessment", f"/opss risk {ref}"),
    ]
    return Card(
        title=f"{ref} · {kind_label(n.kind)}",
        subtitle="Product-safety notification (GPSR 2005 guidance)",
        badges=("OVERDUE",) if is_overdue(n, now) else (),
        facts=tuple(facts),
        actions=tuple(actions),
        exercise=bool(incident and incident.exercise),
    )


def anchor(n: Notification) -> str:
    return f"notification:{n.reference}"


def area_of(session: Session, n: Notification) -> str | None:
    issue, incident = subject_of(session, n)
    if issue is None and incident is not None:
        issue = incident.issue
    return issue.functional_area if issue else None
