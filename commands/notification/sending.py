"""A notification's life after it is recorded: shown, marked sent (no blank boxes), exported,
and listed in the register (overdue first)."""

from __future__ import annotations

from datetime import date

from sqlalchemy import or_, select
from sqlalchemy.orm import selectinload

from cards.annex_forms import ANNEXES, blank_boxes, confidentiality_error, describe_boxes
from cards.model import Action, Card
from commands.core.access import readable
from commands.core.args import Args
from commands.core.context import Ctx, PermissionRefused, Reply, UserError
from commands.notification.record import home_authority_value
from commands.notification.records import (
    anchor,
    find_notification,
    is_overdue,
    kind_label,
    notification_card,
    section6_chase_at,
    section6_owed,
)
from commands.records import downloads
from rules.deadlines import Kind, days_left, london_date
from rules.notifications import (
    NotificationStatus,
    home_authority_rule,
    home_authority_text,
    may_send,
    needs_chemical_data,
)
from rules.timeparse import show_date
from storage.models import Incident, Issue, Notification

REGISTER_SHOWN = 25


def show(ctx: Ctx, args: Args) -> Reply:
    n = find_notification(ctx, args.first(), "notify")
    card = notification_card(ctx.session, n, ctx.now)
    return Reply(text=f"{n.reference} · {kind_label(n.kind)}", card=card)


def mark_sent(ctx: Ctx, args: Args) -> Reply:
    n = find_notification(ctx, args.first(), "notify")
    allowed = may_send(ctx.actor, n.owner.name)
    if not allowed:
        raise PermissionRefused(f"mark {n.reference} sent", allowed.who_may, n.reference)
    if n.status != NotificationStatus.OPEN:
        raise UserError(f"{n.reference} was already marked sent.")
    annex = ANNEXES[n.annex]
    problem = confidentiality_error(annex, n.values)
    if problem is not None:
        raise UserError(f"{n.reference} cannot be marked sent: {problem[1]}.")
    blanks = blank_boxes(
        annex, n.values, chemical=needs_chemical_data(Kind(n.kind), n.product_type)
    )
    if blanks:
        raise UserError(
            f"{n.reference} cannot be marked sent: no blank boxes (guidance section 2). "
            f"Give a value, or when it is expected or why it will not come, for: "
            f"{describe_boxes(blanks)}. Fill them in with /opss notify {n.reference} form."
        )
    section6 = None
    if section6_owed(n):
        raw = args.options.get("section6_due") or args.options.get("section6")
        if not raw:
            raise UserError(
                'Section 6 timetable: Annex IV sends sections 1-5 now and section 6 later: "A '
                "timetable for collecting the missing information should be transmitted at the "
                'same time the first notification is made" (guidance section 4). Add '
                "--section6-due YYYY-MM-DD.",
                "section6_due",
            )
        try:
            section6 = date.fromisoformat(raw)
        except ValueError as exc:
            raise UserError(
                f"Section 6 timetable: '{raw}' is not a date; use YYYY-MM-DD.", "section6_due"
            ) from exc
    home = args.options.get("home_authority")
    if home is not None:
        n.home_authority = home_authority_value(home)
    sent_on = london_date(ctx.now)
    n.values = {**n.values, "date_sent": show_date(sent_on)}
    n.status = NotificationStatus.SENT
    n.sent_at = ctx.now
    n.sent_by_id = ctx.person.id
    n.section6_due = section6
    # No reminder or escalation is owed any more, but section 6's timetable is chased.
    n.next_run_at = section6_chase_at(section6) if section6 else None
    late = days_left(n.due_date, ctx.now) < 0
    ctx.audit(
        "notification.sent",
        "notification",
        n.reference,
        {"status": "open"},
        {"status": "sent", "late": late},
    )
    text = (
        f"{n.reference} marked sent by {ctx.person.display_name} on "
        f"{show_date(sent_on)}" + (" (after its due date)" if late else "") + "."
    )
    if section6:
        text += f" Section 6 to follow by {show_date(section6)}."
    if not n.home_authority:
        text += (
            f" The home authority is not recorded as informed: {home_authority_rule(Kind(n.kind))}"
            f'; record it with /opss notify {n.reference} home-authority "who, how, when".'
        )
    card = notification_card(ctx.session, n, ctx.now)
    ctx.post(n.conversation, text, surface=n.surface)
    ctx.update(n.conversation, anchor(n), n.reference, card, surface=n.surface)
    return Reply(text=text, card=card, ephemeral=n.conversation != ctx.here())


def home_authority(ctx: Ctx, args: Args) -> Reply:
    """``/opss notify NOT-… home-authority "who, how, when" | same``: the home authority told
    (guidance sections 1 and 4), before or after the notification is sent."""
    n = find_notification(ctx, args.first(), "notify")
    allowed = may_send(ctx.actor, n.owner.name)
    if not allowed:
        raise PermissionRefused(
            f"record the home authority of {n.reference}", allowed.who_may, n.reference
        )
    told = " ".join(args.words[1:]).strip() or (args.options.get("told") or "").strip()
    if not told:
        raise UserError(
            f"Home authority: say who was told, how and when, or 'same' where the authority "
            f"notifying is the home authority, e.g. /opss notify {n.reference} home-authority "
            '"Leeds Trading Standards, by email 24 Nov".',
            "home_authority",
        )
    before = n.home_authority
    n.home_authority = home_authority_value(told)
    ctx.audit(
        "notification.home_authority",
        "notification",
        n.reference,
        {"home_authority": before},
        {"home_authority": n.home_authority},
    )
    shown = home_authority_text(Kind(n.kind), n.home_authority)
    text = f"{n.reference}: home authority {shown}."
    card = notification_card(ctx.session, n, ctx.now)
    ctx.update(n.conversation, anchor(n), n.reference, card, surface=n.surface)
    return Reply(text=text, card=card)


def section6_sent(ctx: Ctx, args: Args) -> Reply:
    """Annex IV's section 6 (the rest of the supply chain), sent after sections 1-5."""
    n = find_notification(ctx, args.first(), "notify")
    allowed = may_send(ctx.actor, n.owner.name)
    if not allowed:
        raise PermissionRefused(f"mark {n.reference} sent", allowed.who_may, n.reference)
    if n.annex != "IV":
        raise UserError(f"{n.reference} is on Annex {n.annex}; only Annex IV has a section 6.")
    if not section6_owed(n):
        raise UserError(
            f"{n.reference} owes no section 6: it is owed only for a serious risk or a "
            "notification made only to the home state's authority (Annex IV)."
        )
    if n.status != NotificationStatus.SENT:
        raise UserError(f"Send sections 1-5 first: /opss notify {n.reference} sent.")
    if n.section6_sent_at is not None:
        raise UserError(f"Section 6 of {n.reference} was already marked sent.")
    blanks = [b for b in blank_boxes(ANNEXES["IV"], n.values, chemical=False, section6=True)]
    if blanks:
        raise UserError(
            f"Section 6 of {n.reference} cannot be marked sent: no blank boxes. Fill in: "
            f"{describe_boxes(blanks)} (/opss notify {n.reference} form 3)."
        )
    n.section6_sent_at = ctx.now
    n.next_run_at = None  # its timetable is met
    ctx.audit(
        "notification.section6_sent",
        "notification",
        n.reference,
        None,
        {"timetable": n.section6_due.isoformat() if n.section6_due else None},
    )
    text = f"Section 6 of {n.reference} marked sent by {ctx.person.display_name}."
    card = notification_card(ctx.session, n, ctx.now)
    ctx.post(n.conversation, text, surface=n.surface)
    ctx.update(n.conversation, anchor(n), n.reference, card, surface=n.surface)
    return Reply(text=text, card=card, ephemeral=n.conversation != ctx.here())


def export(ctx: Ctx, args: Args) -> Reply:
    n = find_notification(ctx, args.first(), "notify")
    allowed = may_send(ctx.actor, n.owner.name)
    if not allowed:  # the export holds the box for the national contact point
        raise PermissionRefused(f"export {n.reference}", allowed.who_may, n.reference)
    fmt = (args.words[1] if len(args.words) > 1 else "docx").lower()
    if fmt not in {"docx", "pdf"}:
        raise UserError(f"Format: '{fmt}' is not docx or pdf.")
    url = downloads.link(ctx, "notification", n.reference, fmt)
    ctx.audit("notification.exported", "notification", n.reference, None, {"format": fmt})
    text = f"Annex {n.annex} for {n.reference} as {fmt.upper()}: download it below."
    card = Card(
        title=f"{n.reference} · Annex {n.annex} ({fmt.upper()})",
        subtitle="This link is for you alone: it works once, within 5 minutes.",
        links=((f"Download {fmt.upper()}", url),),
    )
    return Reply(text=text, card=card)


def register_card(
    ctx: Ctx, *, include_sent: bool = False, shown: int = REGISTER_SHOWN, exercise: bool = False
) -> Card:
    """Open notifications by due date, overdue first (App Home and /opss notifications).

    Notifications about an EXERCISE incident are kept out of the live register and its count,
    as exercise incidents are kept out of live figures; ``exercise`` lists them instead.
    A fixed number of queries whatever the history: the first rows by due date (overdue ones
    are the earliest), their owners, issues and incidents loaded with ``IN``."""
    about_exercise = select(Incident.id).where(Incident.exercise.is_(True))
    query = (
        select(Notification)
        .options(selectinload(Notification.owner))
        .where(
            Notification.incident_id.in_(about_exercise)
            if exercise
            else or_(
                Notification.incident_id.is_(None),
                Notification.incident_id.not_in(about_exercise),
            )
        )
        .order_by(
            Notification.status != NotificationStatus.OPEN, Notification.due_date, Notification.id
        )
        .limit(shown * 2)
    )
    if not include_sent:
        query = query.where(Notification.status == NotificationStatus.OPEN)
    rows = list(ctx.session.scalars(query))
    incidents = {
        i.id: i
        for i in ctx.session.scalars(
            select(Incident)
            .where(Incident.id.in_({n.incident_id for n in rows if n.incident_id}))
            .options(selectinload(Incident.issue))
        )
    }
    issues = {
        i.id: i.reference
        for i in ctx.session.scalars(
            select(Issue).where(Issue.id.in_({n.issue_id for n in rows if n.issue_id}))
        )
    }
    # Notifications about an incident are as private as the incident.
    seen = {i.id for i in readable(ctx, list(incidents.values()))}
    rows = [n for n in rows if n.incident_id is None or n.incident_id in seen][:shown]
    facts = []
    for n in rows:
        left = days_left(n.due_date, ctx.now)
        state = (
            f"OVERDUE by {-left} day{'s' if left != -1 else ''}"
            if is_overdue(n, ctx.now)
            else (
                "sent"
                if n.status == NotificationStatus.SENT
                else ("due today" if left == 0 else f"{left} days")
            )
        )
        subject = (
            incidents[n.incident_id].reference if n.incident_id else issues.get(n.issue_id or 0)
        )
        facts.append(
            (
                f"{n.reference} · {state}",
                f"{kind_label(n.kind)} on {subject} · due "
                f"{show_date(n.due_date)} · {n.owner.display_name}",
            )
        )
    return Card(
        title="Notifications" + (" · EXERCISE" if exercise else ""),
        subtitle=(
            "Notifications about exercise incidents (not live), by due date"
            if exercise
            else "Open notifications by due date, overdue first "
            "(exercises apart: /opss notifications exercise)"
        ),
        facts=tuple(facts) or (("", "No notification is open."),),
        actions=(Action("All notifications", "/opss notifications all"),)
        if include_sent is False and len(rows) == shown and not exercise
        else (),
        exercise=exercise,
    )


def register(ctx: Ctx, args: Args) -> Reply:
    words = [w.lower() for w in args.words]
    card = register_card(ctx, include_sent="all" in words, exercise="exercise" in words)
    count = sum(1 for k, _ in card.facts if k)
    return Reply(text=f"{count} notification{'s' if count != 1 else ''}.", card=card)
