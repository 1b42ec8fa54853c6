"""Impact assessment (Table 1, 2.4) and NNC criteria (2.10): versioned, never overwritten."""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from cards.model import Form
from commands.core.args import Args
from commands.core.context import Ctx, PermissionRefused, Reply, UserError
from commands.core.flows import Context, FormFlow
from commands.core.lookup import declared_instead, find_issue
from commands.issue import forms
from commands.issue.card import publish_issue_change
from rules import impact, nnc, roles
from rules.lifecycle import STAGE_LABELS, Stage, is_open
from storage import repositories as repo
from storage.models import ImpactAssessment, Issue, NncAssessment


def _issue_for_assessment(ctx: Ctx, reference: str | None, verb: str) -> Issue:
    issue = find_issue(ctx.session, reference, verb)
    if issue.stage is Stage.DECLARED:
        incident = repo.incident_for_issue(ctx.session, issue.id)
        # A declared incident is reassessed by changing its response level, as a decision.
        again = (
            f" To reassess it, change its level: /opss level {incident.reference}."
            if incident
            else ""
        )
        raise UserError(declared_instead(ctx.session, issue, "assessed again") + again)
    if not is_open(issue.stage):
        raise UserError(
            f"{issue.reference} is {STAGE_LABELS[issue.stage]}; re-open it "
            f"(/opss reopen {issue.reference}) before assessing it again."
        )
    allowed = roles.may_assess(ctx.actor, issue.functional_area)
    if not allowed:
        raise PermissionRefused(f"assess {issue.reference}", allowed.who_may, issue.reference)
    return issue


# Impact matrix ---------------------------------------------------------------------------


def _prepare_assess(ctx: Ctx, args: Args) -> tuple[Context, dict[str, Any]]:
    issue = _issue_for_assessment(ctx, args.first(), "assess")
    values: dict[str, Any] = {}
    for name, level in args.pairs.items():
        key = impact.indicator_key(name)
        if key is None:
            raise UserError(
                f"'{name}' is not an impact indicator; use "
                + ", ".join(i.key for i in impact.INDICATORS)
                + " (or safety, media, confidence, reputation, financial, ministerial...)."
            )
        level = level.lower()
        values[key] = impact.NOT_APPLICABLE if level in impact.NOT_APPLICABLE_WORDS else level
    if "notes" in args.options:
        values["notes"] = args.options["notes"]
    return {"reference": issue.reference}, values


def _build_assess(ctx: Ctx, context: Mapping[str, str]) -> Form:
    issue = find_issue(ctx.session, context.get("reference"), "assess")
    form = forms.impact_form(issue.reference, STAGE_LABELS[issue.stage])
    latest = repo.latest_assessment(ctx.session, issue.id)
    if latest is not None:  # start from the previous version: reassessing is the usual case
        form = form.prefilled({k: v.lower() for k, v in latest.ratings.items()})
    return form


@dataclass(frozen=True)
class AssessValues:
    # Table 1's indicators, one field per item of impact.INDICATORS.
    public_safety: str
    non_compliance: str
    remedial_action: str
    public_confidence: str
    media_interest: str
    reputational_risk: str
    financial_risk: str
    ministerial_interest: str
    notes: str | None


def _apply_assess(ctx: Ctx, context: Mapping[str, str], v: AssessValues) -> Reply:
    issue = _issue_for_assessment(ctx, context.get("reference"), "assess")
    ratings = {ind.key: getattr(v, ind.key) or "" for ind in impact.INDICATORS}
    try:
        result = impact.evaluate(ratings)
    except impact.ImpactError as exc:
        field, message = next(iter(exc.errors.items()))
        raise UserError(message, field) from exc
    version = repo.next_version(ctx.session, ImpactAssessment, issue.id)
    row = ImpactAssessment(
        issue_id=issue.id,
        version=version,
        stage=issue.stage,
        stage_seq=issue.stage_seq,
        ratings=result.stored,
        overall=int(result.overall),
        notes=v.notes or "",
        assessed_by_id=ctx.person.id,
        assessed_at=ctx.now,
    )
    ctx.session.add(row)
    ctx.audit(
        "impact.assessed",
        "issue",
        issue.reference,
        None,
        {
            "version": version,
            "overall": result.overall.label,
            "stage": issue.stage,
            "ratings": row.ratings,
        },
    )
    ctx.session.flush()
    note = (
        " Medium or above: a response is normally expected (2.4)."
        if (result.response_expected)
        else ""
    )
    if result.erco_required:
        note += " High or Critical: DBT ERCO must be engaged (3.17)."
    text = (
        f"Impact assessment v{version} for {issue.reference}: overall {result.overall.label}: "
        f"{impact.LEVEL_MEANINGS[result.overall]}.{note}"
    )
    card = publish_issue_change(ctx, issue, text)
    return Reply(text=text, card=card, ephemeral=False)


ASSESS = FormFlow(
    "assess",
    _prepare_assess,
    _build_assess,
    _apply_assess,
    prompt="Rate each indicator of the incident impact matrix.",
    permit=lambda ctx, context: _issue_for_assessment(ctx, context.get("reference"), "assess"),
    values=AssessValues,
)


# NNC ---------------------------------------------------------------------------------------


def _prepare_nnc(ctx: Ctx, args: Args) -> tuple[Context, dict[str, Any]]:
    issue = _issue_for_assessment(ctx, args.first(), "nnc")
    values: dict[str, Any] = {}
    keys = {k for k, _, _ in nnc.CRITERIA}
    aliases = {
        "national": "nationally_significant",
        "ns": "nationally_significant",
        "significant": "nationally_significant",
    }
    for name, raw in args.pairs.items():
        key = aliases.get(name, name)
        if key not in keys:
            raise UserError(
                f"'{name}' is not an NNC criterion; use nationally_significant, novel or "
                "contentious."
            )
        flag = nnc.parse_flag(raw)
        if flag is None:
            raise UserError(f"{key}: answer yes or no, not '{raw}'.", key)
        values[key] = flag
    for name, raw in args.options.items():
        key = aliases.get(name.removesuffix("_rationale"), name.removesuffix("_rationale"))
        if key in keys:
            values[f"{key}_rationale"] = raw
    return {"reference": issue.reference}, values


def _build_nnc(ctx: Ctx, context: Mapping[str, str]) -> Form:
    issue = find_issue(ctx.session, context.get("reference"), "nnc")
    return forms.nnc_form(issue.reference)


@dataclass(frozen=True)
class NncValues:
    # Each criterion of nnc.CRITERIA, then its rationale.
    nationally_significant: bool
    nationally_significant_rationale: str
    novel: bool
    novel_rationale: str
    contentious: bool
    contentious_rationale: str


def _apply_nnc(ctx: Ctx, context: Mapping[str, str], v: NncValues) -> Reply:
    issue = _issue_for_assessment(ctx, context.get("reference"), "nnc")
    try:
        result = nnc.evaluate(dataclasses.asdict(v))
    except nnc.NncError as exc:
        field, message = next(iter(exc.errors.items()))
        raise UserError(message, field) from exc
    labels = {k: label for k, label, _ in nnc.CRITERIA}
    version = repo.next_version(ctx.session, NncAssessment, issue.id)
    criteria = {
        "criteria": [
            {"key": c.key, "label": labels[c.key], "met": c.met, "rationale": c.rationale}
            for c in result.criteria
        ]
    }
    ctx.session.add(
        NncAssessment(
            issue_id=issue.id,
            version=version,
            stage=issue.stage,
            stage_seq=issue.stage_seq,
            criteria=criteria,
            any_met=result.any_met,
            assessed_by_id=ctx.person.id,
            assessed_at=ctx.now,
        )
    )
    ctx.audit(
        "nnc.assessed",
        "issue",
        issue.reference,
        None,
        {"version": version, "met": result.met_labels},
    )
    ctx.session.flush()
    met = ", ".join(result.met_labels) if result.any_met else "none"
    text = f"NNC v{version} for {issue.reference}: criteria met: {met}."
    if not result.any_met:
        text += (
            " CAM generally escalates only where one is met (2.11): escalating will need "
            "a justification."
        )
    card = publish_issue_change(ctx, issue, text)
    return Reply(text=text, card=card, ephemeral=False)


NNC = FormFlow(
    "nnc",
    _prepare_nnc,
    _build_nnc,
    _apply_nnc,
    prompt="Answer each NNC criterion with a rationale.",
    permit=lambda ctx, context: _issue_for_assessment(ctx, context.get("reference"), "nnc"),
    values=NncValues,
)
