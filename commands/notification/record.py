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
from rules.deadlines import DEFAULT_CLOCKS, Kind
from rules.notifications import (
    COMPULSORY,
    OCCASIONS,
    PRODUCT_TYPES,
    REVOCABLE,
    REVOCABLE_CHOICES,
    SAFEGUARD_SOURCE,
    SAME_AUTHORITY,
    SECTION6_CASES,
    SERIOUS_REG9_NOTE,
    UK_ONLY_KINDS,
    VOLUNTARY,
    WITHOUT_DELAY_NOTE,
    NotificationStatus,
    annex_for,
    exclusion,
    has_measure,
    home_authority_rule,
    information_only,
    information_only_note,
    may_record,
    needs_answer,
    needs_measure,
    needs_safeguard_answer,
    owed,
    safeguard_applies,
    section6_needed,
)
from rules.references import parse_reference
from rules.timeparse import show_date
from storage import repositories as repo
from storage.models import Incident, Issue, Notification

DEFAULT_LABELS = {k: c.label for k, c in DEFAULT_CLOCKS.items()}
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


_YES_NO = (Choice("no", "No"), Choice("yes", "Yes"))
OPTIONS = (
    "trigger",
    "product_type",
    "measures",
    "owner",
    "answers",
    "changes",
    "changes_kind",
    "occasion",
    "uk_only",
    "ce_marked",
    "second_hand",
    "section6",
    "home_authority",
)


@dataclass(frozen=True)
class NotifyValues:
    kind: str
    trigger: date
    product_type: str
    measures: str | None
    owner: str | None
    answers: str | None
    changes: str | None
    changes_kind: str | None
    occasion: str | None
    uk_only: str | None
    ce_marked: str | None
    second_hand: str | None
    section6: str | None
    home_authority: str | None  # guidance sections 1 and 4: told, or who it is


def notify_form(ctx: Ctx, ref: str) -> Form:
    clocks = ctx.options.notification_clocks
    return Form(
        id="notify",
        title=f"Record a notification · {ref}",
        intro=(
            "A notification owed on a statutory clock (GPSR 2005 guidance). The due date is "
            "counted in calendar days from the trigger, in London. Measures are notified even "
            "if an appeal against them is likely (guidance section 2)."
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
                "For a revocation or variation: the notification whose measure it changes "
                "(NOT-…, or the reference of one notified outside the bot)",
                max_length=200,
            ),
            Field(
                "changes_kind",
                "For a revocation of a measure notified outside the bot: how it was notified",
                "choice",
                choices=tuple(Choice(k, v) for k, v in REVOCABLE_CHOICES),
            ),
            Field(
                "occasion",
                "For serious risk, other actions: which",
                "choice",
                choices=tuple(Choice(k, v) for k, v in OCCASIONS),
            ),
            Field(
                "uk_only",
                "The effects of the risk cannot go beyond the UK (then for information only)",
                "choice",
                value="no",
                choices=_YES_NO,
            ),
            Field(
                "ce_marked",
                "A toy under compulsory measures: does it bear the CE marking?",
                "choice",
                choices=_YES_NO,
            ),
            Field(
                "second_hand",
                "A toy under compulsory measures: is it second-hand?",
                "choice",
                choices=_YES_NO,
            ),
            Field(
                "section6",
                "For a Reg 9 notification (Annex IV): is section 6 owed?",
                "choice",
                choices=tuple(Choice(k, v) for k, v in SECTION6_CASES),
            ),
            Field(
                "home_authority",
                "The home authority: who was told, how and when ('same' if it is the "
                "authority notifying; guidance sections 1 and 4)",
                max_length=500,
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
        if key not in OPTIONS:
            raise UserError(
                f"notify does not take --{name}; it takes --trigger, --product-type, "
                "--measures, --owner, --answers, --changes, --changes-kind, --occasion, "
                "--uk-only, --ce-marked, --second-hand, --section6 and --home-authority."
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


def _revoked(ctx: Ctx, kind: Kind, v: NotifyValues) -> tuple[Notification | None, str, str]:
    """What a revocation changes: (ours, or None; the outside reference; how the measure was
    notified). A revocation follows the measure it revokes (guidance section 6)."""
    if not needs_measure(kind):
        return None, "", ""
    changes = (v.changes or "").strip()
    if not changes:
        raise UserError(
            "Changes: a revocation or variation names the notification whose measure it "
            "changes (NOT-…, or the reference of one notified outside the bot).",
            "changes",
        )
    if parse_reference(changes):
        changed = _find_ours(ctx, changes)
        if changed is None:
            raise UserError(f"Changes: no notification {changes} is recorded.", "changes")
        measure = Kind(changed.kind)
        if measure is Kind.REVOCATION:  # varying a variation: still the first measure's kind
            measure = Kind(changed.changes_kind)
        if measure not in REVOCABLE:
            raise UserError(
                f"Changes: {changed.reference} is a {DEFAULT_LABELS[measure]}, not a measure "
                "notified under Reg 33(2) or Reg 33(4).",
                "changes",
            )
        if not has_measure(measure, changed.occasion):
            raise UserError(
                f"Changes: {changed.reference} told of a serious risk before measures were "
                "decided, so it has no measure to revoke, vary or amend (guidance section 6 "
                "is of the measures adopted); a measure adopted since is notified under Reg "
                "33(4).",
                "changes",
            )
        return changed, "", measure.value
    chosen = v.changes_kind or ""
    if chosen not in {k.value for k in REVOCABLE}:
        raise UserError(
            f"Changes kind: {changes} was notified outside the bot, so say how (reg33_2, "
            "reg33_4, reg33_4_emergency or other_actions): the revocation is notified the same "
            "way.",
            "changes_kind",
        )
    return None, changes, chosen


def _occasion(kind: Kind, v: NotifyValues) -> str:
    if kind is not Kind.OTHER_ACTIONS:
        return ""
    occasion = v.occasion or ""
    if occasion not in dict(OCCASIONS):
        raise UserError(
            "Occasion: say which other action it is (before_measures, batch_withdrawn or "
            "import_blocked): a notification before measures is for information only.",
            "occasion",
        )
    return occasion


def _apply(ctx: Ctx, context: Mapping[str, str], v: NotifyValues) -> Reply:
    about = _subject(ctx, context.get("reference"))
    _check(ctx, about)
    issue, incident, subject = about.issue, about.incident, about.reference
    kind = Kind(v.kind)
    product_type = v.product_type or "consumer"
    refused = exclusion(kind, product_type)
    if refused is not None:
        raise UserError(refused.reason, refused.field)
    answers = (v.answers or "").strip()
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
    measures = v.measures or VOLUNTARY
    changed, changes_text, changes_kind = _revoked(ctx, kind, v)
    occasion = _occasion(kind, v)
    uk_only = v.uk_only == "yes"
    if uk_only and kind not in UK_ONLY_KINDS:
        raise UserError(
            "Effects beyond the UK: only a Reg 33(4) or Reg 33(2) notification can be for "
            "information only because its effects stay in the UK.",
            "uk_only",
        )
    info = information_only(kind, occasion, uk_only)
    # A revocation of a measure notified outside the bot is routed as that measure was, so a
    # toy's is asked the safeguard questions too (ours keeps its measure's annex).
    routed = Kind(changes_kind) if kind is Kind.REVOCATION and changed is None else kind
    asks_safeguard = needs_safeguard_answer(routed, product_type, measures)
    safeguard = True
    if asks_safeguard:
        for name, answer, label, question in (
            ("ce_marked", v.ce_marked, "CE marked", "whether it bears the CE marking"),
            ("second_hand", v.second_hand, "Second-hand", "whether it is second-hand"),
        ):
            if answer not in {"yes", "no"}:
                raise UserError(
                    f"{label}: a toy under compulsory measures goes on Annex VI only if the "
                    f"safeguard procedure applies, so say {question} (yes or no; "
                    f"{SAFEGUARD_SOURCE}).",
                    name,
                )
        safeguard = safeguard_applies(v.ce_marked == "yes", v.second_hand == "yes")
    section6 = None
    if kind is Kind.PRODUCER:
        if not v.section6:
            raise UserError(
                "Section 6: Annex IV's section 6 is owed \"in case of a serious risk or when the "
                "producer/distributor opts to submit the notification only to the authority of "
                'the Member State in which they are established"; say which (serious, '
                "home_only or no).",
                "section6",
            )
        section6 = section6_needed(v.section6)
    if changed is not None:
        annex = changed.annex
    elif kind is Kind.REVOCATION:
        annex = annex_for(routed, product_type, measures, safeguard=safeguard)
    else:
        annex = annex_for(kind, product_type, measures, safeguard=safeguard, occasion=occasion)
    owner = ctx.person
    if v.owner:
        found = repo.person_by_name(ctx.session, v.owner)
        if found is None:
            raise UserError(f"Owner: nobody called '{v.owner}' is known to the bot.", "owner")
        owner = found
    trigger = v.trigger
    clock = ctx.options.notification_clocks[kind]
    due = deadlines.due(
        trigger, clock.days, remind_days_before=ctx.options.notification_remind_days
    )
    reference = repo.next_reference(ctx.session, "notification", ctx.now.year)
    conversation = incident.channel_key if incident else ctx.here()
    n = Notification(
        reference=reference,
        kind=kind.value,
        annex=annex,
        product_type=product_type,
        issue_id=issue.id,
        incident_id=incident.id if incident else None,
        answers_id=answered.id if answered else None,
        answers_text=answers if answered is None else "",
        changes_id=changed.id if changed else None,
        changes_text=changes_text,
        changes_kind=changes_kind,
        occasion=occasion,
        information_only=info,
        section6_needed=section6,
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
        home_authority=home_authority_value(v.home_authority),
        # A reaction's box 3 is the notification it answers.
        values={"f3": answered.reference if answered else answers} if needs_answer(kind) else {},
        # One that "need not be made" is neither reminded nor escalated.
        next_run_at=min(due.remind_at, due.overdue_at) if owed(info) else None,
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
            "annex": annex,
            **({"information_only": info} if info else {}),
            **({"changes_kind": changes_kind} if changes_kind else {}),
            **({"safeguard": safeguard} if asks_safeguard else {}),
        },
    )
    text = (
        f"{reference} recorded: {clock.label} on {subject}, due "
        f"{show_date(due.due_date)} ({clock.source_line}, from "
        f"{show_date(trigger)}). Owner: {owner.display_name}. "
        f"Fill in Annex {n.annex}: /opss notify {reference} form."
    )
    note = information_only_note(kind, info)
    if note:
        text += f" {note}" + ("" if owed(info) else " It is not reminded or escalated.")
    if not safeguard:
        text += (
            " The safeguard procedure does not apply to toys which do not bear the CE marking "
            "or are second-hand, so it goes on Annex II."
        )
    if kind is Kind.PRODUCER:
        text += f" Whenever possible, {WITHOUT_DELAY_NOTE}."
        if v.section6 == "serious":
            text += f" {SERIOUS_REG9_NOTE}: /opss notify {subject} reg33_4."
    if not n.home_authority:
        text += (
            f" The home authority: {home_authority_rule(kind)}; record it with --home-authority."
        )
    card = notification_card(ctx.session, n, ctx.now)
    ctx.post(conversation, text, card, anchor=anchor(n))
    return Reply(text=text, card=card, ephemeral=conversation != ctx.here())


def home_authority_value(raw: Any) -> str:
    """'same' (the authority notifying is the home authority), or how it was told."""
    text = str(raw or "").strip()
    return SAME_AUTHORITY if text.casefold() in {"same", "the same", "yes: same"} else text


NOTIFY = FormFlow(
    "notify",
    _prepare,
    _build,
    _apply,
    prompt="Record the notification and its trigger date.",
    permit=_permit,
    values=NotifyValues,
)
