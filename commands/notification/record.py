"""``/opss notify``: record a notification owed on a statutory clock, with its trigger date."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date
from typing import Any

from sqlalchemy import select

from cards.model import Choice, Field, Form
from commands.core.args import Args
from commands.core.context import Ctx, PermissionRefused, Reply, UserError
from commands.core.flows import Context, FormFlow
from commands.core.lookup import find_issue_or_incident
from commands.notification.records import anchor, notification_card
from rules import deadlines
from rules.deadlines import Kind
from rules.notifications import (
    COMPULSORY,
    PRODUCT_TYPES,
    VOLUNTARY,
    NotificationStatus,
    annex_for,
    exclusion,
    may_record,
    needs_answer,
    needs_measure,
)
from rules.references import parse_reference
from storage import repositories as repo
from storage.models import Incident, Issue, Notification

ALIASES = {
    "rapex": Kind.RAPEX,
    "33(4)": Kind.RAPEX,
    "reg33(4)": Kind.RAPEX,
    "emergency": Kind.RAPEX_EMERGENCY,
    "33(2)": Kind.REG33_2,
    "reg33(2)": Kind.REG33_2,
    "producer": Kind.PRODUCER,
    "reg9": Kind.PRODUCER,
    "revoke": Kind.REVOCATION,
    "vary": Kind.REVOCATION,
    "amend": Kind.REVOCATION,
}


def parse_kind(text: str) -> Kind | None:
    key = text.strip().lower().replace(" ", "")
    if key in ALIASES:
        return ALIASES[key]
    try:
        return Kind(key)
    except ValueError:
        return None


@dataclass(frozen=True)
class Subject:
    """What a notification is about: always an issue; its incident once declared."""

    issue: Issue
    incident: Incident | None

    @property
    def reference(self) -> str:
        return self.incident.reference if self.incident else self.issue.reference


def _subject(ctx: Ctx, text: str | None) -> Subject:
    issue, incident = find_issue_or_incident(ctx, text, "notify")
    if issue is None:
        assert incident is not None
        issue = incident.issue
    return Subject(issue, incident)


def _check(ctx: Ctx, subject: Subject) -> None:
    allowed = may_record(ctx.actor, subject.issue.functional_area)
    if not allowed:
        ref = subject.reference
        raise PermissionRefused(f"record notifications on {ref}", allowed.who_may, ref)


def notify_form(ctx: Ctx, ref: str) -> Form:
    clocks = ctx.options.notification_clocks
    return Form(
        id="notify",
        title=f"Record a notification · {ref}",
        intro=(
            "A notification owed on a statutory clock (GPSR 2005 guidance). The due date is "
            "counted in calendar days from the trigger, in London."
        ),
        submit_label="Record notification",
        fields=(
            Field(
                "kind",
                "Kind",
                "choice",
                required=True,
                choices=tuple(
                    Choice(k.value, f"{c.short or c.label} · {c.days} days")
                    for k, c in clocks.items()
                ),
            ),
            Field(
                "trigger", "Trigger date (the event that starts the clock)", "date", required=True
            ),
            Field(
                "product_type",
                "Product",
                "choice",
                required=True,
                value="consumer",
                choices=tuple(Choice(k, v) for k, v in PRODUCT_TYPES),
            ),
            Field(
                "measures",
                "Measures (toys under compulsory measures use Annex VI)",
                "choice",
                value=VOLUNTARY,
                choices=(Choice(VOLUNTARY, "Voluntary"), Choice(COMPULSORY, "Compulsory")),
            ),
            Field(
                "owner",
                "Owner (who sends it; blank: you)",
                "person",
                max_length=200,
                placeholder="user name",
            ),
            Field(
                "answers",
                "For a reaction: the notification answered (NOT-… or number and country)",
                max_length=200,
            ),
            Field(
                "changes",
                "For a revocation or variation: the notification whose measure it changes (NOT-…)",
                max_length=20,
            ),
        ),
        context={"reference": ref},
    )


def _prepare(ctx: Ctx, args: Args) -> tuple[Context, dict[str, Any]]:
    first = args.first()
    if first and (parse_reference(first) or ("", ""))[0] == "notification":
        raise UserError(f"For {first}: /opss notify {first} show | form | sent | export docx|pdf.")
    subject = _subject(ctx, first)
    _check(ctx, subject)
    values: dict[str, Any] = {}
    if len(args.words) > 1:
        kind = parse_kind(args.words[1])
        if kind is None:
            names = ", ".join(k.value for k in Kind)
            raise UserError(
                f"Kind: '{args.words[1]}' is not a notification kind; use {names}.", "kind"
            )
        values["kind"] = kind.value
    for name, value in args.options.items():
        key = {"product": "product_type", "type": "product_type"}.get(name, name)
        if key not in {"trigger", "product_type", "measures", "owner", "answers", "changes"}:
            raise UserError(
                f"notify does not take --{name}; it takes --trigger, --product-type, "
                "--measures, --owner, --answers and --changes."
            )
        values[key] = value.lstrip("@") if key == "owner" else value
    return {"reference": subject.reference}, values


def _permit(ctx: Ctx, context: Mapping[str, str]) -> None:
    _check(ctx, _subject(ctx, context.get("reference")))


def _build(ctx: Ctx, context: Mapping[str, str]) -> Form:
    return notify_form(ctx, _subject(ctx, context.get("reference")).reference)


def _find_ours(ctx: Ctx, text: str) -> Notification | None:
    parsed = parse_reference(text)
    if parsed is None or parsed[0] != "notification":
        return None
    return ctx.session.scalar(select(Notification).where(Notification.reference == parsed[1]))


def _apply(ctx: Ctx, context: Mapping[str, str], v: dict[str, Any]) -> Reply:
    about = _subject(ctx, context.get("reference"))
    _check(ctx, about)
    issue, incident, subject = about.issue, about.incident, about.reference
    kind = Kind(v["kind"])
    product_type = v.get("product_type") or "consumer"
    refused = exclusion(kind, product_type)
    if refused is not None:
        raise UserError(refused.reason, refused.field)
    answers = (v.get("answers") or "").strip()
    answered = _find_ours(ctx, answers) if answers else None
    if needs_answer(kind):
        if not answers:
            raise UserError(
                "Answers: a reaction names the notification it answers (NOT-… or its number "
                "and country).",
                "answers",
            )
        if parse_reference(answers) and answered is None:
            raise UserError(f"Answers: no notification {answers} is recorded.", "answers")
    changed = None
    if needs_measure(kind):
        changes = (v.get("changes") or "").strip()
        changed = _find_ours(ctx, changes) if changes else None
        if changed is None:
            raise UserError(
                "Changes: a revocation or variation names the notification whose measure it "
                "changes (NOT-…)"
                + (f"; no notification {changes} is recorded." if changes else "."),
                "changes",
            )
    owner = ctx.person
    if v.get("owner"):
        found = repo.person_by_name(ctx.session, str(v["owner"]))
        if found is None:
            raise UserError(f"Owner: nobody called '{v['owner']}' is known to the bot.", "owner")
        owner = found
    trigger = date.fromisoformat(v["trigger"])
    clock = ctx.options.notification_clocks[kind]
    due = deadlines.due(
        trigger, clock.days, remind_days_before=ctx.options.notification_remind_days
    )
    reference = repo.next_reference(ctx.session, "notification", ctx.now.year)
    conversation = incident.channel_key if incident else ctx.here()
    n = Notification(
        reference=reference,
        kind=kind.value,
        annex=annex_for(kind, product_type, v.get("measures") or VOLUNTARY),
        product_type=product_type,
        issue_id=issue.id,
        incident_id=incident.id if incident else None,
        answers_id=answered.id if answered else None,
        answers_text=answers if answered is None else "",
        changes_id=changed.id if changed else None,
        trigger_date=trigger,
        due_date=due.due_date,
        clock_days=clock.days,
        clock_source=clock.source,
        remind_at=due.remind_at,
        overdue_at=due.overdue_at,
        owner_id=owner.id,
        recorded_by_id=ctx.person.id,
        recorded_at=ctx.now,
        surface=ctx.surface,
        conversation=conversation,
        status=NotificationStatus.OPEN,
        # A reaction's box 3 is the notification it answers.
        values={"f3": answered.reference if answered else answers} if needs_answer(kind) else {},
        next_run_at=min(due.remind_at, due.overdue_at),
    )
    ctx.session.add(n)
    ctx.session.flush()
    ctx.session.refresh(n)
    ctx.audit(
        "notification.recorded",
        "notification",
        reference,
        None,
        {
            "kind": kind.value,
            "subject": subject,
            "trigger": trigger.isoformat(),
            "due": due.due_date.isoformat(),
            "owner": owner.name,
            "source": clock.source,
        },
    )
    text = (
        f"{reference} recorded: {clock.label} on {subject}, due "
        f"{due.due_date.day} {due.due_date:%b %Y} ({clock.source_line}, from "
        f"{trigger.day} {trigger:%b %Y}). Owner: {owner.display_name}. "
        f"Fill in Annex {n.annex}: /opss notify {reference} form"
    )
    card = notification_card(ctx.session, n, ctx.now)
    ctx.post(conversation, text, card, anchor=anchor(n))
    return Reply(text=text, card=card, ephemeral=conversation != ctx.here())


NOTIFY = FormFlow(
    "notify",
    _prepare,
    _build,
    _apply,
    prompt="Record the notification and its trigger date.",
    permit=_permit,
)
