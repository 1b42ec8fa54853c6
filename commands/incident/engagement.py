"""Engagement (plan 4.1-4.8): the stakeholder engagement plan and the log of who was told what.

``/opss engage INC plan`` is the stakeholder engagement plan (4.1), versioned; it names the
partners to engage and, where another department leads the response (4.5), that department
and OPSS's supporting role. ``/opss engage INC`` logs one engagement: who was told what, when,
by whom, and through which channel. Each sitrep lists the engagements since the last one and
the partners in the plan not yet engaged.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from cards.model import Action as Button
from cards.model import Card, Choice, Field, Form
from commands.core.args import Args
from commands.core.context import Ctx, PermissionRefused, Reply, UserError
from commands.core.flows import Context, FormFlow
from commands.incident.card import refresh_incident_card
from commands.incident.command_and_control import (
    incident_for,
    members_of_groups,
    posted_reply,
)
from commands.incident.plans import latest_plan, outstanding
from rules.command_and_control import STRATEGIC_FUNCTIONS, may_log_engagement, may_organise
from rules.engagement import CHANNELS, not_yet_engaged
from rules.timeparse import WhenError, parse_when, show
from storage.models import Engagement, EngagementPlan, Incident, Sitrep

OTHER = "Other (name it below)"
CHANNEL_CHOICES = tuple(Choice(k, v) for k, v in CHANNELS)
CHANNEL_LABELS = dict(CHANNELS)


def _everyone(ctx: Ctx) -> tuple[str, ...]:
    """Who may be told: the strategic functions the plan keeps informed (3.17), then the
    operational partners (4.7) and stakeholders (4.3)."""
    return (*STRATEGIC_FUNCTIONS, *ctx.options.partners, *ctx.options.stakeholders)


@dataclass(frozen=True)
class EngageValues:
    partner: str
    other: str | None
    what: str
    via: str
    told_by: str
    date: date | None
    time: str | None  # "HH:MM"


@dataclass(frozen=True)
class EngagementPlanValues:
    partners: list[str]
    aims: str | None
    reach: str | None
    publication: str | None
    government: str | None
    lead_department: str | None
    opss_role: str | None


def engage_form(reference: str, names: tuple[str, ...]) -> Form:
    return Form(
        id="engage",
        title=f"Engagement · {reference}",
        intro="Log who was told what, when, by whom and how: the strategic functions, which "
        '"will be kept informed" (3.17), and partners and stakeholders outside OPSS (4.1-4.7).',
        submit_label="Log engagement",
        fields=(
            Field(
                "partner",
                "Partner or stakeholder",
                "choice",
                required=True,
                choices=(*(Choice(n, n) for n in names), Choice(OTHER, OTHER)),
            ),
            Field("other", "Other partner or stakeholder", max_length=200),
            Field("what", "What they were told", "multiline", required=True, max_length=3000),
            Field("via", "Channel", "choice", required=True, choices=CHANNEL_CHOICES),
            Field("told_by", "Told by", required=True, max_length=200),
            Field("date", "Date (blank: today)", "date"),
            Field("time", "Time (blank: now)", "time"),
        ),
        context={"reference": reference},
    )


def plan_form(reference: str, names: tuple[str, ...]) -> Form:
    return Form(
        id="engagement_plan",
        title=f"Engagement plan · {reference}",
        intro="The stakeholder engagement plan (4.1): who we engage, what they need from us, "
        "and how safety messages reach everyone who needs them.",
        submit_label="Record plan",
        fields=(
            Field(
                "partners",
                "Partners and stakeholders to engage (4.3, 4.7)",
                "multichoice",
                required=True,
                choices=tuple(Choice(n, n) for n in names),
            ),
            Field("aims", "What we seek from and tell them", "multiline", max_length=3000),
            Field(
                "reach",
                "Reaching hard-to-reach and vulnerable groups (4.1, 1.7-1.8)",
                "multiline",
                max_length=3000,
            ),
            Field(
                "publication",
                "Information for consumers and businesses (e.g. gov.uk recalls and alerts)",
                "multiline",
                max_length=3000,
            ),
            Field(
                "government",
                "DBT, other departments and devolved administrations to keep informed",
                "multiline",
                max_length=3000,
            ),
            Field(
                "lead_department",
                "Lead department, if another department leads the response (4.5)",
                max_length=200,
            ),
            Field(
                "opss_role",
                "OPSS's supporting role (required when another department leads)",
                "multiline",
                max_length=3000,
            ),
        ),
        context={"reference": reference},
    )


# /opss engage INC ------------------------------------------------------------------------------


def _check_log(ctx: Ctx, incident: Incident) -> None:
    members = set((incident.command_team or {}).values()) | members_of_groups(
        ctx.session, incident.id
    )
    allowed = may_log_engagement(ctx.actor, members)
    if not allowed:
        raise PermissionRefused(
            f"log engagement for {incident.reference}", allowed.who_may, incident.reference
        )


ENGAGE_OPTIONS = {"partner", "what", "via", "by", "when"}


def _prepare(ctx: Ctx, args: Args) -> tuple[Context, dict[str, Any]]:
    incident = incident_for(ctx, args.first(), "engage", "engagement records")
    _check_log(ctx, incident)
    values: dict[str, Any] = {}
    for name, value in args.options.items():
        if name not in ENGAGE_OPTIONS:
            raise UserError(
                f"engage does not take --{name}; it takes --partner, --what, --via, --by, --when."
            )
        if name == "partner":
            known = {n.casefold(): n for n in _everyone(ctx)}
            if value.casefold() in known:
                values["partner"] = known[value.casefold()]
            else:
                values["partner"], values["other"] = OTHER, value
        elif name == "by":
            values["told_by"] = value
        elif name == "when":
            try:
                when = parse_when(value, ctx.now)
            except WhenError as exc:
                raise UserError(f"Date: {exc}", "date") from exc
            values["date"], values["time"] = when.strftime("%Y-%m-%d"), when.strftime("%H:%M")
        else:
            values[name] = value
    return {"reference": incident.reference}, values


def _build(ctx: Ctx, context: Mapping[str, str]) -> Form:
    return engage_form(context.get("reference", ""), _everyone(ctx)).prefilled(
        {"told_by": ctx.person.display_name}
    )


def _apply(ctx: Ctx, context: Mapping[str, str], v: EngageValues) -> Reply:
    incident = incident_for(ctx, context.get("reference"), "engage", "engagement records")
    _check_log(ctx, incident)
    partner = v.partner
    if partner == OTHER:
        partner = (v.other or "").strip()
        if not partner:
            raise UserError("Other partner or stakeholder: name who was told.", "other")
    told_at: datetime = ctx.now
    if v.date:
        try:
            told_at = parse_when(f"{v.date.isoformat()} {v.time or '00:00'}", ctx.now)
        except WhenError as exc:
            raise UserError(f"Date: {exc}", "date") from exc
        if told_at > ctx.now:
            raise UserError("Date: an engagement is logged once it has happened.", "date")
    row = Engagement(
        incident_id=incident.id,
        partner=partner,
        what=v.what,
        via=v.via,
        told_at=told_at,
        told_by=v.told_by,
        recorded_by_id=ctx.person.id,
        recorded_at=ctx.now,
    )
    ctx.session.add(row)
    ctx.session.flush()
    ctx.audit(
        "engagement.logged",
        "incident",
        incident.reference,
        None,
        {"partner": partner, "via": row.via, "told_by": row.told_by, "at": told_at.isoformat()},
    )
    text = (
        f"{partner} told by {row.told_by} ({CHANNEL_LABELS.get(row.via, row.via)}, "
        f"{show(told_at)}): {row.what}"
    )
    left = outstanding(ctx.session, incident)
    facts = [
        ("Partner", partner),
        ("Told by", row.told_by),
        ("Channel", CHANNEL_LABELS.get(row.via, row.via)),
        ("When", show(told_at)),
    ]
    if left is not None:
        facts.append(("Not yet engaged", ", ".join(left) or "none: everyone in the plan"))
    card = Card(
        title=f"Engagement · {incident.reference}",
        subtitle=f"{partner} told by {row.told_by}",
        facts=tuple(facts),
        sections=(("What they were told", row.what),),
        exercise=incident.exercise,
    )
    ctx.post(incident.channel_key, f"Engagement logged for {incident.reference}: {text}", card)
    refresh_incident_card(ctx, incident)
    return posted_reply(ctx, incident, f"Engagement logged: {text}", card)


def _permit(ctx: Ctx, context: Mapping[str, str]) -> None:
    _check_log(ctx, incident_for(ctx, context.get("reference"), "engage", "engagement records"))


ENGAGE = FormFlow(
    "engage",
    _prepare,
    _build,
    _apply,
    prompt="Log the engagement.",
    permit=_permit,
    values=EngageValues,
)


# /opss engage INC plan -------------------------------------------------------------------------


def _check_plan(ctx: Ctx, incident: Incident) -> None:
    allowed = may_organise(ctx.actor)
    if not allowed:
        raise PermissionRefused(
            f"record the engagement plan of {incident.reference}",
            allowed.who_may,
            incident.reference,
        )


def _plan_prepare(ctx: Ctx, args: Args) -> tuple[Context, dict[str, Any]]:
    incident = incident_for(ctx, args.first(), "engage", "engagement plans")
    _check_plan(ctx, incident)
    values: dict[str, Any] = {}
    for name, value in args.options.items():
        if name not in {"partners", "lead_department", "opss_role"}:
            raise UserError(
                f"engage … plan does not take --{name}; it takes --partners, "
                "--lead-department, --opss-role."
            )
        values[name] = value
    return {"reference": incident.reference}, values


def _plan_build(ctx: Ctx, context: Mapping[str, str]) -> Form:
    form = plan_form(context.get("reference", ""), _everyone(ctx))
    incident = incident_for(ctx, context.get("reference"), "engage", "engagement plans")
    plan = latest_plan(ctx.session, incident.id)
    if plan is None:
        return form
    return form.prefilled({"partners": ",".join(plan.partners), **plan.fields})


def _plan_apply(ctx: Ctx, context: Mapping[str, str], v: EngagementPlanValues) -> Reply:
    incident = incident_for(ctx, context.get("reference"), "engage", "engagement plans")
    _check_plan(ctx, incident)
    if (v.lead_department or "").strip() and not (v.opss_role or "").strip():
        raise UserError(
            "OPSS's supporting role: say what OPSS does when another department leads (4.5).",
            "opss_role",
        )
    version = (
        ctx.session.scalar(
            select(func.max(EngagementPlan.version)).where(
                EngagementPlan.incident_id == incident.id
            )
        )
        or 0
    ) + 1
    keys = ("aims", "reach", "publication", "government", "lead_department", "opss_role")
    row = EngagementPlan(
        incident_id=incident.id,
        version=version,
        partners=list(v.partners),
        fields={k: (getattr(v, k) or "") for k in keys},
        recorded_by_id=ctx.person.id,
        recorded_at=ctx.now,
    )
    ctx.session.add(row)
    ctx.session.flush()
    ctx.audit(
        "engagement_plan.recorded",
        "incident",
        incident.reference,
        None,
        {"version": version, "partners": row.partners, "lead": row.fields["lead_department"]},
    )
    left = outstanding(ctx.session, incident) or []
    text = (
        f"Engagement plan v{version} recorded for {incident.reference}: "
        f"{len(row.partners)} partners, {len(left)} not yet engaged."
    )
    facts = [("Partners", ", ".join(row.partners)), ("Not yet engaged", ", ".join(left) or "none")]
    if row.fields["lead_department"]:
        facts.insert(0, ("Lead department (4.5)", row.fields["lead_department"]))
        facts.insert(1, ("OPSS's role", row.fields["opss_role"]))
    sections = tuple(
        (label, row.fields[key])
        for key, label in (
            ("aims", "What we seek and tell"),
            ("reach", "Hard-to-reach and vulnerable groups"),
            ("publication", "Consumers and businesses"),
            ("government", "Government"),
        )
        if row.fields[key]
    )
    card = Card(
        title=f"Engagement plan v{version} · {incident.reference}",
        subtitle="The stakeholder engagement plan (4.1)",
        facts=tuple(facts),
        sections=sections,
        actions=(Button("Log an engagement", f"/opss engage {incident.reference}"),),
        exercise=incident.exercise,
    )
    ctx.post(incident.channel_key, text, card)
    refresh_incident_card(ctx, incident)
    return posted_reply(ctx, incident, text, card)


def _plan_permit(ctx: Ctx, context: Mapping[str, str]) -> None:
    _check_plan(ctx, incident_for(ctx, context.get("reference"), "engage", "engagement plans"))


ENGAGEMENT_PLAN = FormFlow(
    "engagement_plan",
    _plan_prepare,
    _plan_build,
    _plan_apply,
    prompt="Record the plan.",
    permit=_plan_permit,
    values=EngagementPlanValues,
)


# Sitreps and the incident card ----------------------------------------------------------------


def sitrep_sections_for(
    session: Session, wanted: list[tuple[int, datetime]]
) -> dict[tuple[int, datetime], list[list[str]]]:
    """What each sitrep (incident, cut-off) says of engagement: who was told what since the
    last sitrep, and the partners in the plan not yet engaged. Four queries for the lot."""
    out: dict[tuple[int, datetime], list[list[str]]] = {}
    if not wanted:
        return out
    ids = {i for i, _ in wanted}
    last: dict[int, datetime | None] = {
        incident_id: as_at
        for incident_id, as_at in session.execute(
            select(Sitrep.incident_id, func.max(Sitrep.as_at))
            .where(Sitrep.incident_id.in_(ids))
            .group_by(Sitrep.incident_id)
        ).tuples()
    }
    earliest = min([t for t in last.values() if t is not None], default=None)
    query = select(Engagement).where(
        Engagement.incident_id.in_(ids), Engagement.told_at <= max(c for _, c in wanted)
    )
    if earliest is not None and len(last) == len(ids):
        query = query.where(Engagement.told_at > earliest)
    told = list(session.scalars(query.order_by(Engagement.told_at)))
    newest = (
        select(EngagementPlan.incident_id, func.max(EngagementPlan.version).label("version"))
        .where(EngagementPlan.incident_id.in_(ids))
        .group_by(EngagementPlan.incident_id)
        .subquery()
    )
    plans = {
        p.incident_id: p
        for p in session.scalars(
            select(EngagementPlan).join(
                newest,
                (newest.c.incident_id == EngagementPlan.incident_id)
                & (newest.c.version == EngagementPlan.version),
            )
        )
    }
    engaged: dict[int, list[str]] = {}
    for incident_id, partner in session.execute(
        select(Engagement.incident_id, Engagement.partner)
        .where(Engagement.incident_id.in_(ids))
        .distinct()
    ).tuples():
        engaged.setdefault(incident_id, []).append(partner)
    for incident_id, cutoff in sorted(wanted, key=lambda w: w[1]):
        previous = last.get(incident_id)
        rows = [
            r
            for r in told
            if r.incident_id == incident_id
            and r.told_at <= cutoff
            and (previous is None or r.told_at > previous)
        ]
        last[incident_id] = cutoff  # a later cut-off in the same batch starts from this one
        sections: list[list[str]] = []
        if rows:
            sections.append(
                [
                    "Engagement since the last sitrep",
                    "\n".join(
                        f"{r.partner} · {show(r.told_at)} · {r.told_by}, "
                        f"{CHANNEL_LABELS.get(r.via, r.via).lower()}: {r.what}"
                        for r in rows
                    ),
                ]
            )
        plan = plans.get(incident_id)
        if plan is not None:
            left = not_yet_engaged(plan.partners, engaged.get(incident_id, []))
            sections.append(
                [
                    "Partners in the engagement plan not yet engaged",
                    ", ".join(left) or "none: every partner in the plan has been engaged",
                ]
            )
        out[(incident_id, cutoff)] = sections
    return out
