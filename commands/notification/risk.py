"""``/opss risk``: a product risk assessment by Annex I or PRISM, attached to an issue, an
incident or a notification, versioned, and shown on their cards."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from sqlalchemy import func, select

from cards.model import Action as Button
from cards.model import Card, Choice, Field, Form
from commands.core.args import Args
from commands.core.context import Ctx, PermissionRefused, Reply, UserError
from commands.core.flows import Context, FormFlow
from commands.core.lookup import find_subject
from commands.incident.card import incident_card
from commands.issue.card import publish_issue_change
from commands.notification.records import (
    anchor,
    area_of,
    find_notification,
    notification_card,
)
from rules import risk
from rules.notifications import may_record
from rules.references import parse_reference
from storage.models import Incident, Issue, Notification, RiskAssessment

MAX_STEPS = 2000
YES_VALUES = {"yes", "no"}


def _subject(ctx: Ctx, text: str | None) -> tuple[str, Issue | Incident | Notification, str]:
    """(reference, subject, functional area)."""
    if not text:
        raise UserError("risk needs a reference, e.g. /opss risk ISS-2026-0001 annex.")
    parsed = parse_reference(text)
    if parsed is not None and parsed[0] == "notification":
        n = find_notification(ctx, text, "risk")
        return n.reference, n, area_of(ctx.session, n) or ""
    _, found = find_subject(ctx, text)
    issue = found.issue if isinstance(found, Incident) else found
    return found.reference, found, issue.functional_area


def _permit(ctx: Ctx, context: Mapping[str, str]) -> None:
    ref, _, area = _subject(ctx, context.get("reference"))
    _check(ctx, ref, area)


def _check(ctx: Ctx, ref: str, area: str) -> None:
    allowed = may_record(ctx.actor, area)
    if not allowed:
        raise PermissionRefused(f"assess the product risk of {ref}", allowed.who_may, ref)


def choose(ctx: Ctx, args: Args) -> Reply:
    """``/opss risk REF``: which method."""
    ref, _, area = _subject(ctx, args.first())
    _check(ctx, ref, area)
    card = Card(
        title=f"Product risk assessment · {ref}",
        subtitle="Choose the method",
        sections=(
            (risk.ANNEX_I, "Overall probability, then Table A (gravity), then Table B (grade)."),
            (risk.PRISM, "Severity 1-4; the harm scenario's steps multiplied; the matrix."),
        ),
        actions=(
            Button("Annex I", f"/opss risk {ref} annex"),
            Button("PRISM", f"/opss risk {ref} prism"),
        ),
    )
    return Reply(text=f"Assess the product risk of {ref}: choose the method.", card=card)


def _choices(options: tuple[tuple[str, str], ...]) -> tuple[Choice, ...]:
    return tuple(Choice(k, v) for k, v in options)


YES_NO = (Choice("yes", "Yes"), Choice("no", "No"))
# Guidance section 2: "Measures and actions related to risks where the effects cannot go beyond
# the UK are excluded from the scope of RAPEX"; section 3: for them "a notification need not
# be made". Asked with every assessment, so its meaning for an authority can be said.
BEYOND_UK = Field(
    "beyond_uk",
    "Can the effects of the risk go beyond the UK?",
    "choice",
    required=True,
    expanded=True,
    choices=(
        Choice("yes", "Yes, or not known (e.g. sold elsewhere, online, or made in the UK)"),
        Choice("no", "No: the effects cannot go beyond the UK"),
    ),
)


@dataclass(frozen=True)
class RiskAnnexValues:
    hazardous: str
    exposure: str
    severity: str
    several: str | None
    identifiable: str | None
    exposed: str
    necessary: str | None
    beyond_uk: str
    notes: str | None


@dataclass(frozen=True)
class RiskPrismValues:
    severity_1: str
    steps_1: str
    severity_2: str | None
    steps_2: str | None
    beyond_uk: str
    notes: str | None


def annex_form(ref: str) -> Form:
    return Form(
        id="risk_annex",
        title=f"Risk: Annex I · {ref}",
        intro=(
            "GPSR 2005 guidance, Annex I: the overall probability (share of products that are "
            "hazardous × damage under regular exposure), then Table A with the severity, then "
            "Table B by who is exposed."
        ),
        submit_label="Assess",
        fields=(
            Field(
                "hazardous",
                "Share of products that are hazardous",
                "choice",
                required=True,
                expanded=True,
                choices=_choices(risk.HAZARDOUS_SHARES),
            ),
            Field(
                "exposure",
                "Damage under regular exposure",
                "choice",
                required=True,
                expanded=True,
                choices=_choices(risk.EXPOSURES),
            ),
            Field(
                "severity",
                "Severity of injury",
                "choice",
                required=True,
                expanded=True,
                choices=_choices(risk.SEVERITIES),
                help=risk.SEVERITY_HELP,
            ),
            Field(
                "several",
                "Could it harm more than one person at a time (e.g. fire, gas poisoning)?",
                "choice",
                value="no",
                choices=YES_NO,
                help="Then it is classified as more severe (Annex I, 'Severity of injury').",
            ),
            Field(
                "identifiable",
                "Can each defective product be identified (e.g. by batch or serial number)?",
                "choice",
                value="no",
                choices=YES_NO,
                help="Then the share that is defective is not applied: the users of the "
                "defective products are exposed to the full risk (Annex I).",
            ),
            Field(
                "exposed",
                "Who is exposed (Table B)",
                "choice",
                required=True,
                expanded=True,
                choices=_choices(risk.EXPOSED),
            ),
            Field(
                "necessary",
                "For an adult and an obvious hazard: is the hazard necessary for the function "
                "of the product?",
                "choice",
                expanded=True,
                choices=YES_NO,
                help="The adjustment for non-vulnerable adults applies only if the hazard is "
                "obvious and necessary for the function of the product (Annex I).",
            ),
            BEYOND_UK,
            Field("notes", "Evidence and notes", "multiline", max_length=3000),
        ),
        context={"reference": ref},
    )


def prism_form(ref: str) -> Form:
    steps_help = (
        "One step per line: its probability, a colon, what happens (1 in 100: joint cracks)"
    )
    return Form(
        id="risk_prism",
        title=f"Risk: PRISM · {ref}",
        intro=(
            "PRISM / EU 2019/417: for each harm scenario, the severity and the probability of "
            "each step; the steps are multiplied and the matrix gives the risk. With two "
            "scenarios the higher risk counts."
        ),
        submit_label="Assess",
        fields=(
            Field(
                "severity_1",
                "Scenario 1: severity",
                "choice",
                required=True,
                expanded=True,
                choices=_choices(risk.PRISM_SEVERITIES),
            ),
            Field(
                "steps_1",
                "Scenario 1: steps",
                "multiline",
                required=True,
                max_length=MAX_STEPS,
                help=steps_help,
            ),
            Field(
                "severity_2",
                "Scenario 2 (optional): severity",
                "choice",
                expanded=True,
                choices=_choices(risk.PRISM_SEVERITIES),
            ),
            Field("steps_2", "Scenario 2: steps", "multiline", max_length=MAX_STEPS),
            BEYOND_UK,
            Field("notes", "Evidence and notes", "multiline", max_length=3000),
        ),
        context={"reference": ref},
    )


def _prepare_annex(ctx: Ctx, args: Args) -> tuple[Context, dict[str, Any]]:
    ref, _, area = _subject(ctx, args.first())
    _check(ctx, ref, area)
    return {"reference": ref}, dict(args.pairs) | {k: v for k, v in args.options.items()}


def _prepare_prism(ctx: Ctx, args: Args) -> tuple[Context, dict[str, Any]]:
    return _prepare_annex(ctx, args)


def _steps(text: str, field: str) -> tuple[tuple[str, Any], ...]:
    out = []
    for number, line in enumerate(l.strip() for l in text.splitlines() if l.strip()):  # noqa: E741
        probability, _, what = line.partition(":")
        try:
            out.append((what.strip(), risk.parse_probability(probability)))
        except ValueError as exc:
            raise UserError(f"Steps, line {number + 1}: {exc}.", field) from exc
    if not out:
        raise UserError("Steps: give at least one step, e.g. '1 in 100: joint cracks'.", field)
    return tuple(out)


def _apply(ctx: Ctx, context: Mapping[str, str], result: risk.Result, inputs: dict) -> Reply:
    ref, subject, area = _subject(ctx, context.get("reference"))
    _check(ctx, ref, area)
    version = (
        ctx.session.scalar(
            select(func.max(RiskAssessment.version)).where(RiskAssessment.subject == ref)
        )
        or 0
    ) + 1
    path = [[s.table, s.row, s.column, s.result, s.source] for s in result.path]
    ctx.session.add(
        RiskAssessment(
            subject=ref,
            version=version,
            method=result.method,
            inputs=inputs,
            level=result.level,
            serious=result.serious,
            path=path,
            meaning=result.meaning,
            assessed_by_id=ctx.person.id,
            assessed_at=ctx.now,
        )
    )
    ctx.audit(
        "risk.assessed",
        "risk",
        ref,
        None,
        {"version": version, "method": result.method, "level": result.level},
    )
    ctx.session.flush()
    route = "; ".join(f"{s.table}: {s.row} × {s.column} → {s.result}" for s in result.path)
    text = (
        f"Risk assessment v{version} for {ref} ({result.method}): {result.level}. {route}. "
        f"{result.meaning}"
    )
    card = Card(
        title=f"Product risk · {ref} · v{version}",
        subtitle=result.method,
        badges=(result.level,),
        facts=tuple((s.table, f"{s.row} × {s.column} → {s.result}") for s in result.path),
        sections=(
            ("What it means for notification", result.meaning),
            ("Sources", "\n".join(sorted({s.source for s in result.path if s.source}))),
        ),
        actions=(Button("Record a notification", f"/opss notify {ref}"),)
        if not isinstance(subject, Notification)
        else (),
    )
    if isinstance(subject, Issue):
        publish_issue_change(ctx, subject, text)
    elif isinstance(subject, Incident):
        ctx.post(subject.channel_key, text, card)
        ctx.update(
            subject.channel_key,
            f"incident:{subject.reference}",
            f"Incident {subject.reference}",
            incident_card(ctx.session, subject),
        )
    else:
        ctx.post(subject.conversation, text, surface=subject.surface)
        ctx.update(
            subject.conversation,
            anchor(subject),
            f"{subject.reference}",
            notification_card(ctx.session, subject, ctx.now),
            surface=subject.surface,
        )
    return Reply(text=text, card=card)


ANNEX_INPUTS = (
    "hazardous",
    "exposure",
    "severity",
    "several",
    "identifiable",
    "exposed",
    "necessary",
    "beyond_uk",
    "notes",
)


def _apply_annex(ctx: Ctx, context: Mapping[str, str], v: RiskAnnexValues) -> Reply:
    if v.exposed in risk.OBVIOUS_TO_NOT_OBVIOUS and v.necessary not in YES_VALUES:
        raise UserError(
            "Necessary for the function: for an adult and an obvious hazard, say whether the "
            "hazard is necessary for the function of the product (yes or no): only then is the "
            "risk graded lower for an obvious hazard (Annex I, 'Normal adults').",
            "necessary",
        )
    try:
        result = risk.annex_i(
            v.hazardous,
            v.exposure,
            v.severity,
            v.exposed,
            beyond_uk=v.beyond_uk == "yes",
            several=v.several == "yes",
            identifiable=v.identifiable == "yes",
            necessary=v.necessary != "no",
        )
    except risk.RiskError as exc:
        raise UserError(exc.message, exc.field) from exc
    inputs = {k: getattr(v, k) for k in ANNEX_INPUTS}
    return _apply(ctx, context, result, inputs)


def _apply_prism(ctx: Ctx, context: Mapping[str, str], v: RiskPrismValues) -> Reply:
    scenarios = [risk.Scenario(int(v.severity_1), _steps(v.steps_1, "steps_1"))]
    if v.steps_2 or v.severity_2:
        if not v.severity_2:
            raise UserError(
                "Scenario 2: severity: choose 1-4 for the second scenario.", "severity_2"
            )
        scenarios.append(risk.Scenario(int(v.severity_2), _steps(v.steps_2 or "", "steps_2")))
    result = risk.prism(scenarios, beyond_uk=v.beyond_uk == "yes")
    names = ("severity_1", "steps_1", "severity_2", "steps_2", "beyond_uk", "notes")
    inputs = {k: getattr(v, k) for k in names}
    return _apply(ctx, context, result, inputs)


RISK_ANNEX = FormFlow(
    "risk_annex",
    _prepare_annex,
    lambda ctx, context: annex_form(_subject(ctx, context.get("reference"))[0]),
    _apply_annex,
    prompt="Assess the product risk with the Annex I tables.",
    permit=_permit,
    values=RiskAnnexValues,
)
RISK_PRISM = FormFlow(
    "risk_prism",
    _prepare_prism,
    lambda ctx, context: prism_form(_subject(ctx, context.get("reference"))[0]),
    _apply_prism,
    prompt="Assess the product risk with PRISM.",
    permit=_permit,
    values=RiskPrismValues,
)
