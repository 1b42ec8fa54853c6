"""IMT's reserved right (plan 2.3): escalate an issue straight to an incident from any rung,
without a case conference.

``/opss escalate ISS incident`` (a form) is for the Head of IMT, with a deputy director
recorded as consulted. The rationale is recorded as a decision; the originator and the deputy
director are told (directly where they have an account on this surface, and in the issue's
channel and the IMT channel); the escalation is audited.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from cards.model import Choice, Field, Form
from commands.core.args import Args
from commands.core.context import Ctx, PermissionRefused, Reply, UserError
from commands.core.flows import Context, FormFlow
from commands.core.lookup import find_issue
from commands.core.people import reachable
from commands.incident.forms import LEVELS
from commands.incident.incidents import DeclareValues, open_incident
from commands.issue.forms import TITLE_MAX
from rules import roles
from rules.command_and_control import may_escalate_directly
from rules.lifecycle import OPEN_STAGES, STAGE_LABELS, Stage
from storage import repositories as repo
from storage.models import Issue
from storage.whose import is_person

FROM_STAGES = OPEN_STAGES | {Stage.MONITORING}


@dataclass(frozen=True)
class DirectEscalationValues:
    title: str
    consulted: str
    rationale: str
    level: str
    exercise: bool
    erco_engaged: bool


def direct_form(reference: str, title: str, deputies: list[tuple[str, str]]) -> Form:
    return Form(
        id="direct_escalation",
        title=f"Escalate to incident · {reference}",
        intro="IMT reserve the right to escalate an issue to an incident (2.3), from any rung "
        "and without a case conference. For the Head of IMT, having consulted a deputy "
        "director; the rationale is recorded as a decision.",
        submit_label="Escalate to incident",
        fields=(
            Field("title", "Incident title", required=True, max_length=TITLE_MAX, value=title),
            Field(
                "consulted",
                "Deputy director consulted",
                "choice",
                required=True,
                choices=tuple(Choice(n, d) for n, d in deputies),
            ),
            Field("rationale", "Rationale", "multiline", required=True, max_length=3000),
            Field(
                "level",
                "Command level",
                "choice",
                required=True,
                choices=LEVELS,
                value="tactical",
            ),
            Field("exercise", "This is an EXERCISE (plan section 6)", "toggle", value=False),
            Field(
                "erco_engaged",
                "DBT Emergency Response Coordination (ERCO) has been engaged (3.17)",
                "toggle",
                value=False,
            ),
        ),
        context={"reference": reference},
    )


def _issue(ctx: Ctx, reference: str | None) -> Issue:
    issue = find_issue(ctx.session, reference, "escalate")
    stage = issue.stage
    declared = repo.incident_for_issue(ctx.session, issue.id)
    if declared is not None:
        raise UserError(f"{issue.reference} is already incident {declared.reference}.")
    if stage not in FROM_STAGES:
        raise UserError(
            f"{issue.reference} is {STAGE_LABELS[stage]}: only an open or monitored issue can "
            "be escalated to an incident."
        )
    if not ctx.actor.has(roles.Role.HEAD_OF_IMT):
        refused = may_escalate_directly(ctx.actor, None)
        raise PermissionRefused(
            f"escalate {issue.reference} straight to an incident",
            refused.who_may,
            issue.reference,
        )
    return issue


def _prepare(ctx: Ctx, args: Args) -> tuple[Context, dict[str, Any]]:
    issue = _issue(ctx, args.first())
    values: dict[str, Any] = {}
    for name, value in args.options.items():
        if name in {"consulted", "rationale", "title", "level"}:
            values[name] = value.lstrip("@") if name == "consulted" else value
        else:
            raise UserError(
                f"escalate … incident does not take --{name}; it takes --consulted, "
                "--rationale, --title, --level and --exercise."
            )
    if "exercise" in args.flags:
        values["exercise"] = True
    return {"reference": issue.reference}, values


def _build(ctx: Ctx, context: Mapping[str, str]) -> Form:
    issue = find_issue(ctx.session, context.get("reference"), "escalate")
    deputies = [
        (p.name, p.display_name)
        for p in repo.people_with_role(ctx.session, roles.Role.DEPUTY_DIRECTOR)
        if p.name != ctx.person.name
    ]
    return direct_form(issue.reference, issue.title, deputies)


def _apply(ctx: Ctx, context: Mapping[str, str], v: DirectEscalationValues) -> Reply:
    issue = _issue(ctx, context.get("reference"))
    consulted = repo.person_by_name(ctx.session, v.consulted)
    if consulted is None:
        raise UserError(f"Deputy director consulted: no user '{v.consulted}'.", "consulted")
    allowed = may_escalate_directly(ctx.actor, repo.actor_for(ctx.session, consulted))
    if not allowed:
        raise PermissionRefused(
            f"escalate {issue.reference} straight to an incident",
            allowed.who_may,
            issue.reference,
        )
    from_stage = STAGE_LABELS[issue.stage]
    reply = open_incident(
        ctx,
        issue,
        # Declared as the declare form would be, with the Head of IMT as IMT lead.
        DeclareValues(
            title=v.title,
            level=v.level,
            exercise=v.exercise,
            imt_lead=ctx.person.name,
            scg_chair=None,
            tcg_chair=None,
            communications_lead=None,
            senior_investigation_officer=None,
            chair_justification=None,
            invite=None,
            erco_engaged=v.erco_engaged,
        ),
        basis=allowed.basis,
        rationale=f"IMT's reserved right to escalate (2.3), from {from_stage}, having consulted "
        f"{consulted.display_name}: {v.rationale}",
        group="imt",
    )
    incident = repo.incident_for_issue(ctx.session, issue.id)
    assert incident is not None
    ctx.audit(
        "issue.escalated_directly",
        "issue",
        issue.reference,
        {"stage": from_stage},
        {"incident": incident.reference, "consulted": consulted.name, "rationale": v.rationale},
    )
    text = ("EXERCISE · " if incident.exercise else "") + (
        f"{ctx.person.display_name} (Head of IMT) escalated {issue.reference} straight to "
        f"incident {incident.reference} from {from_stage}, having consulted "
        f"{consulted.display_name} (plan 2.3): {v.rationale}"
    )
    # The originator and the deputy director are told: directly where they have an account
    # (not the Head of IMT, whose reply says it), and always where the issue was raised and in
    # the IMT channel.
    reach = reachable(ctx.session, [issue.raised_by.id, consulted.id])
    for person in (issue.raised_by, consulted):
        if (person.id, ctx.surface) in reach and not is_person(person.id, ctx.person):
            ctx.tell(person.id, text)
    ctx.post(
        issue.origin_channel or ctx.here(),
        f"{issue.raised_by.display_name}: your issue {issue.reference} is now incident "
        f"{incident.reference}. {text}",
        surface=issue.surface,
    )
    ctx.post(ctx.options.imt_conversation, f"{consulted.display_name}: {text}")
    reply.text = text
    return reply


DIRECT_ESCALATION = FormFlow(
    "direct_escalation",
    _prepare,
    _build,
    _apply,
    prompt="Escalate the issue to an incident.",
    permit=lambda ctx, context: _issue(ctx, context.get("reference")),
    values=DirectEscalationValues,
)
