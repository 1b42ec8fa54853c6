"""DBT Emergency Response Coordination (plan 3.17): engaged "in the case of an incident that is,
or could develop to be, risk assessed as High or Critical".

``/opss erco INC`` records who engaged ERCO, when, whether it set up an Emergency Response
Team, and a policy owner outside DBT whose equivalent body is likely to coordinate instead. It
is a decision; the incident card's banner goes, and the prompts stop. ``/opss erco INC
could-develop`` records the second case: an incident below High that could develop to be High
or Critical, which is then prompted for ERCO as a High one is.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date
from typing import Any

from cards.model import Action as Button
from cards.model import Card, Field, Form
from commands.core.args import Args
from commands.core.context import Ctx, PermissionRefused, Reply, UserError
from commands.core.flows import Context, FormFlow
from commands.decision.log import record_decision
from commands.incident.card import refresh_incident_card
from commands.incident.command_and_control import (
    chair_of,
    incident_for,
    posted_reply,
)
from rules.command_and_control import erco_needed, may_record_erco
from rules.impact import Level
from rules.timeparse import WhenError, parse_when, show
from storage.models import Incident

# 3.17, as the plan words it.
ERCO_RULE = (
    "OPSS will engage with DBT ERCO in the case of an incident that is, or could develop to be, "
    "risk assessed as High or Critical (3.17)."
)
# 3.17: "For incidents where the policy owner is outside of DBT, the relevant policy owner's
# equivalent body is likely to fulfil this central government response coordination role."
POLICY_OWNER_NOTE = (
    "the policy owner is outside DBT, so its equivalent body is likely to fulfil the central "
    "government response coordination role (3.17)"
)


def _level(incident: Incident) -> Level | None:
    return Level(incident.overall_impact) if incident.overall_impact else None


def erco_needed_for(incident: Incident) -> bool:
    return erco_needed(_level(incident), incident.erco_engaged, incident.erco_could_develop)


def erco_question(incident: Incident) -> tuple[str, Button]:
    """Below High, the plan's second case is a judgement: ask it, with the way to record it."""
    level = _level(incident)
    label = level.label if level else "not rated"
    text = (
        f"{incident.reference} is {label}. Could it develop to be High or Critical? If so, "
        f"record why with /opss erco {incident.reference} could-develop: {ERCO_RULE}"
    )
    return text, Button(
        "It could develop to High or Critical", f"/opss erco {incident.reference} could-develop"
    )


def erco_prompt(incident: Incident, occasion: str = "") -> tuple[str, Card]:
    """The ask to engage DBT ERCO; ``occasion`` says which rhythm cycle asks again."""
    level = _level(incident)
    label = level.label if level else "not rated"
    high = level is not None and level >= Level.HIGH
    case = (
        f"is {label} and"
        if high
        else f"is {label} but could develop to be High or Critical ("
        f"{incident.erco_could_develop_why or 'recorded'}), and"
    )
    text = (
        (f"{occasion}: " if occasion else "")
        + f"{incident.reference} {case} DBT Emergency Response Coordination (ERCO) is "
        "not recorded as engaged. Engage ERCO (plan 3.17) and record it."
    )
    facts = [("Response level", label)]
    if not high:
        facts.append(("Could develop", "to be High or Critical (3.17)"))
    facts.append(("ERCO", "not yet recorded as engaged"))
    card = Card(
        title=f"Engage DBT ERCO · {incident.reference}",
        subtitle="Asked at each battle-rhythm cycle until ERCO's engagement is recorded",
        facts=tuple(facts),
        actions=(Button("Record ERCO engagement", f"/opss erco {incident.reference}"),),
        exercise=incident.exercise,
        warning=ERCO_RULE
        + " Where the policy owner is outside DBT, its equivalent body is likely to coordinate "
        "the central government response instead.",
    )
    return text, card


@dataclass(frozen=True)
class ErcoValues:
    """What the ERCO form gives back, validated."""

    engaged_by: str
    date: date | None
    time: str | None  # "HH:MM"
    ert: bool
    policy_owner: str | None
    notes: str | None


def erco_form(reference: str) -> Form:
    return Form(
        id="erco",
        title=f"DBT ERCO · {reference}",
        intro=ERCO_RULE,
        submit_label="Record ERCO engagement",
        fields=(
            Field("engaged_by", "Engaged by (who contacted ERCO)", required=True, max_length=200),
            Field("date", "Date engaged (blank: today)", "date"),
            Field("time", "Time engaged (blank: now)", "time"),
            Field("ert", "ERCO set up an Emergency Response Team (ERT)", "toggle", value=False),
            Field(
                "policy_owner",
                "Policy owner outside DBT, if so: the department whose equivalent body is likely "
                "to coordinate the central government response (3.17)",
                max_length=200,
            ),
            Field("notes", "Notes (contact, what was agreed)", "multiline", max_length=2000),
        ),
        context={"reference": reference},
    )


def _check(ctx: Ctx, incident: Incident) -> None:
    allowed = may_record_erco(ctx.actor, chair_of(ctx.session, incident.id, "scg"))
    if not allowed:
        raise PermissionRefused(
            f"record DBT ERCO's engagement for {incident.reference}",
            allowed.who_may,
            incident.reference,
        )


def _prepare(ctx: Ctx, args: Args) -> tuple[Context, dict[str, Any]]:
    incident = incident_for(ctx, args.first(), "erco", "ERCO records")
    _check(ctx, incident)
    values: dict[str, Any] = {}
    for name, value in args.options.items():
        if name == "by":
            values["engaged_by"] = value
        elif name == "when":
            try:
                when = parse_when(value, ctx.now)
            except WhenError as exc:
                raise UserError(f"Date engaged: {exc}", "date") from exc
            values["date"], values["time"] = when.strftime("%Y-%m-%d"), when.strftime("%H:%M")
        elif name in {"ert", "notes", "policy_owner"}:
            values[name] = value
        else:
            raise UserError(
                f"erco does not take --{name}; it takes --by, --when, --ert, --policy-owner, "
                "--notes."
            )
    return {"reference": incident.reference}, values


def _build(ctx: Ctx, context: Mapping[str, str]) -> Form:
    return erco_form(context.get("reference", "")).prefilled(
        {"engaged_by": ctx.person.display_name}
    )


def _apply(ctx: Ctx, context: Mapping[str, str], v: ErcoValues) -> Reply:
    incident = incident_for(ctx, context.get("reference"), "erco", "ERCO records")
    _check(ctx, incident)
    when = ctx.now
    if v.date is not None:
        try:
            when = parse_when(f"{v.date.isoformat()} {v.time or '00:00'}", ctx.now)
        except WhenError as exc:
            raise UserError(f"Date engaged: {exc}", "date") from exc
        if when > ctx.now:
            raise UserError(
                "Date engaged: that is in the future; record ERCO once it has been engaged.",
                "date",
            )
    before = {
        "erco_engaged": incident.erco_engaged,
        "by": incident.erco_engaged_by,
        "ert": incident.erco_ert,
    }
    incident.erco_engaged = True
    incident.erco_engaged_by = v.engaged_by
    incident.erco_engaged_at = when
    incident.erco_ert = v.ert
    incident.erco_policy_owner = (v.policy_owner or "").strip()
    ert = "an Emergency Response Team was set up" if incident.erco_ert else "no ERT was set up"
    owner = (
        f"; policy owner {incident.erco_policy_owner}: {POLICY_OWNER_NOTE}"
        if incident.erco_policy_owner
        else ""
    )
    level = _level(incident)
    case = (
        "Incident risk assessed as High or Critical"
        if level is not None and level >= Level.HIGH
        else "The incident could develop to be High or Critical"
    )
    decision = record_decision(
        ctx,
        kind="erco",
        what=f"DBT ERCO engaged by {v.engaged_by} at {show(when)}; {ert}{owner}",
        rationale=f"{case}: OPSS engages DBT ERCO (3.17)." + (f" {v.notes}" if v.notes else ""),
        decided_by=ctx.person.display_name,
        group="imt",
        incident=incident,
        decided_at=when,
    )
    ctx.audit(
        "incident.erco_engaged",
        "incident",
        incident.reference,
        before,
        {
            "erco_engaged": True,
            "by": v.engaged_by,
            "ert": incident.erco_ert,
            "policy_owner": incident.erco_policy_owner,
        },
    )
    text = (
        f"DBT ERCO engagement recorded for {incident.reference}: engaged by {v.engaged_by} "
        f"at {show(when)}; {ert}{owner} ({decision.reference})."
    )
    card = Card(
        title=f"DBT ERCO engaged · {incident.reference}",
        subtitle="Recorded in the decision log (3.17)",
        facts=(
            ("Engaged by", v.engaged_by),
            ("When", show(when)),
            ("Emergency Response Team", "set up" if incident.erco_ert else "not set up"),
            *(
                (
                    (
                        "Policy owner outside DBT",
                        f"{incident.erco_policy_owner}: {POLICY_OWNER_NOTE}",
                    ),
                )
                if incident.erco_policy_owner
                else ()
            ),
            ("Decision", decision.reference),
        ),
        exercise=incident.exercise,
    )
    ctx.post(incident.channel_key, text, card)
    refresh_incident_card(ctx, incident)
    return posted_reply(ctx, incident, text, card)


def _permit(ctx: Ctx, context: Mapping[str, str]) -> None:
    _check(ctx, incident_for(ctx, context.get("reference"), "erco", "ERCO records"))


ERCO = FormFlow(
    "erco",
    _prepare,
    _build,
    _apply,
    prompt="Record DBT ERCO's engagement.",
    permit=_permit,
    values=ErcoValues,
)


# The second case of 3.17: "could develop to be" High or Critical ------------------------------


@dataclass(frozen=True)
class CouldDevelopValues:
    rationale: str


def could_develop_form(reference: str) -> Form:
    return Form(
        id="erco_could_develop",
        title=f"Could develop to High or Critical · {reference}",
        intro=ERCO_RULE
        + " Record why this incident could develop to be High or Critical; DBT ERCO is then "
        "asked for as for a High one.",
        submit_label="Record",
        fields=(
            Field(
                "rationale",
                "Why it could develop to be High or Critical",
                "multiline",
                required=True,
                max_length=3000,
            ),
        ),
        context={"reference": reference},
    )


def _prepare_could(ctx: Ctx, args: Args) -> tuple[Context, dict[str, Any]]:
    incident = incident_for(ctx, args.first(), "erco", "ERCO records")
    _check(ctx, incident)
    values: dict[str, Any] = {}
    for name, value in args.options.items():
        if name not in {"rationale", "why"}:
            raise UserError(f"erco could-develop does not take --{name}; it takes --rationale.")
        values["rationale"] = value
    return {"reference": incident.reference}, values


def _build_could(ctx: Ctx, context: Mapping[str, str]) -> Form:
    return could_develop_form(context.get("reference", ""))


def _apply_could(ctx: Ctx, context: Mapping[str, str], v: CouldDevelopValues) -> Reply:
    incident = incident_for(ctx, context.get("reference"), "erco", "ERCO records")
    _check(ctx, incident)
    level = _level(incident)
    if level is not None and level >= Level.HIGH:
        raise UserError(
            f"{incident.reference} is already {level.label}: DBT ERCO is engaged for it as it "
            "is (3.17); record the engagement with /opss erco " + incident.reference + "."
        )
    if incident.erco_could_develop:
        raise UserError(
            f"{incident.reference} is already recorded as able to develop to be High or "
            f"Critical ({incident.erco_could_develop_why})."
        )
    incident.erco_could_develop = True
    incident.erco_could_develop_why = v.rationale
    decision = record_decision(
        ctx,
        kind="erco.could_develop",
        what=f"{incident.reference} could develop to be High or Critical: OPSS engages DBT ERCO",
        rationale=v.rationale,
        decided_by=ctx.person.display_name,
        group="imt",
        incident=incident,
    )
    ctx.audit(
        "incident.erco_could_develop",
        "incident",
        incident.reference,
        {"erco_could_develop": False},
        {"erco_could_develop": True, "decision": decision.reference},
    )
    text = (
        f"{incident.reference} is recorded as able to develop to be High or Critical "
        f"({decision.reference})."
    )
    if incident.erco_engaged:
        text += " DBT ERCO is already recorded as engaged."
        ctx.post(incident.channel_key, text)
        refresh_incident_card(ctx, incident)
        return Reply(text=text)
    prompt_text, prompt_card = erco_prompt(incident)
    ctx.post(incident.channel_key, f"{text} {prompt_text}", prompt_card)
    refresh_incident_card(ctx, incident)
    return posted_reply(ctx, incident, f"{text} {prompt_text}", prompt_card)


COULD_DEVELOP = FormFlow(
    "erco_could_develop",
    _prepare_could,
    _build_could,
    _apply_could,
    prompt="Why it could develop to be High or Critical.",
    permit=_permit,
    values=CouldDevelopValues,
)
