"""Raising a potential issue (2.1-2.2), and looking at issues and incidents."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from cards.model import Form
from commands.core.args import Args
from commands.core.context import Ctx, Reply, UserError
from commands.core.flows import FormFlow
from commands.core.lookup import find_subject
from commands.incident.card import incident_card
from commands.issue import forms
from commands.issue.card import issue_anchor, issue_card
from rules.lifecycle import Stage
from storage import repositories as repo
from storage.models import Incident, Issue

OPTION_FIELDS = {
    "products": "products",
    "product": "products",
    "hazard": "hazard",
    "source": "source",
    "area": "functional_area",
    "functional_area": "functional_area",
    "description": "description",
    "link": "link",
}


def raise_form(ctx: Ctx) -> Form:
    return forms.raise_form(ctx.options.functional_areas)


def raise_values(args: Args) -> dict[str, Any]:
    values: dict[str, Any] = {"title": args.rest()}
    for name, value in args.options.items():
        if name not in OPTION_FIELDS:
            raise UserError(
                f"raise does not take --{name}; it takes "
                + ", ".join(f"--{k}" for k in ("products", "hazard", "source", "area"))
                + ", --description and --link."
            )
        values[OPTION_FIELDS[name]] = value
    return values


@dataclass(frozen=True)
class RaiseValues:
    title: str
    products: str
    hazard: str
    source: str
    functional_area: str
    description: str | None
    link: str | None


def do_raise(ctx: Ctx, v: RaiseValues) -> Reply:
    reference = repo.next_reference(ctx.session, "issue", ctx.now.year)
    issue = Issue(
        reference=reference,
        title=v.title,
        description=v.description or "",
        products=v.products,
        hazard=v.hazard,
        source=v.source,
        functional_area=v.functional_area,
        raised_by_id=ctx.person.id,
        raised_at=ctx.now,
        surface=ctx.surface,
        origin_channel=ctx.here(),  # the conversation its card lives in
        stage=Stage.RAISED,
        stage_seq=0,
        stage_entered_at=ctx.now,
    )
    if v.link:
        issue.description = (issue.description + f"\n\nOriginal report: {v.link}").strip()
    ctx.session.add(issue)
    ctx.session.flush()
    issue.raised_by = ctx.person
    ctx.audit("issue.raised", "issue", reference, None, snapshot(issue))
    ftl = repo.ftl_for_area(ctx.session, issue.functional_area)
    card = issue_card(ctx.session, issue, ftl, new=True)
    ctx.post(
        ctx.here(),
        f"{ctx.person.display_name} raised {reference}: {issue.title}",
        card,
        anchor=issue_anchor(issue),
    )
    ctx.post(
        ctx.options.imt_conversation,
        f"New potential issue {reference} for IMT (plan 2.2): {issue.title}. "
        f"FTL for {issue.functional_area}: {ftl.display_name if ftl else 'none assigned'}.",
        card,
    )
    told = (
        "IMT has been told."
        if ctx.imt_reachable()
        else "IMT has NOT been told: no IMT channel is set up here (an administrator sets "
        f"{ctx.options.imt_settings.get(ctx.surface, 'the IMT channel')}). Tell IMT directly."
    )
    return Reply(text=f"Raised {reference}. {told}", card=card, ephemeral=False)


RAISE = FormFlow(
    "raise",
    lambda ctx, args: ({}, raise_values(args)),
    lambda ctx, context: raise_form(ctx),
    lambda ctx, context, values: do_raise(ctx, values),
    prompt="Fill in the rest to raise the issue.",
    values=RaiseValues,
)


def snapshot(issue: Issue) -> dict[str, Any]:
    return {
        "reference": issue.reference,
        "title": issue.title,
        "stage": issue.stage,
        "stage_seq": issue.stage_seq,
        "functional_area": issue.functional_area,
    }


def status(ctx: Ctx, args: Args) -> Reply:
    ref = args.first()
    if not ref:
        raise UserError("status needs a reference, e.g. /opss status ISS-2026-0001.")
    kind, subject = find_subject(ctx, ref)
    if kind == "incident":
        assert isinstance(subject, Incident)
        return Reply(card=incident_card(ctx.session, subject))
    assert isinstance(subject, Issue)
    return Reply(card=issue_card(ctx.session, subject))
