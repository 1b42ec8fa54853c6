"""Declaring an incident (2.19-2.20, section 3): its record, its channel, its command team."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from sqlalchemy import select, update

from cards.model import Card, Form
from commands.core import outbox
from commands.core.args import Args
from commands.core.context import Ctx, PermissionRefused, Reply, UserError
from commands.core.flows import Context, FormFlow
from commands.core.lookup import find_issue
from commands.decision.log import decision_log_anchor, decision_log_card, record_decision
from commands.incident import forms
from commands.incident.card import incident_card
from commands.incident.erco import erco_prompt, erco_question
from commands.incident.groups import (
    declared_chairs_justification,
    mobilise_for_rhythm,
)
from commands.incident.membership import ftls_of, tell_named
from commands.issue.card import issue_anchor, publish_issue_change
from commands.issue.ladder import move_issue
from commands.readiness import training
from commands.rhythm.battle_rhythm import STANDARD, apply_preset, rhythm_card
from commands.sitrep.sitreps import start_schedule
from rules import impact, lifecycle, roles
from rules.channels import incident_channel_name
from rules.command_and_control import INCIDENT_ROLES, erco_needed, erco_question_due
from rules.lifecycle import STAGE_LABELS, Move, Stage
from rules.roster import CHAIR_TRAINING, ROLE_TRAINING
from rules.stand_down import Status
from rules.timeparse import show_date
from storage import repositories as repo
from storage.conversations import ConversationKey
from storage.models import KEEP_EXERCISE, Incident, Issue

OPTION_FIELDS = {
    "title": "title",
    "level": "level",
    "imt_lead": "imt_lead",
    "scg_chair": "scg_chair",
    "tcg_chair": "tcg_chair",
    "comms_lead": "communications_lead",
    "communications_lead": "communications_lead",
    "sio": "senior_investigation_officer",
    "senior_investigation_officer": "senior_investigation_officer",
    "invite": "invite",
    "erco": "erco_engaged",
    "erco_engaged": "erco_engaged",
    "justification": "chair_justification",
    "chair_justification": "chair_justification",
}


def _issue(ctx: Ctx, reference: str | None) -> Issue:
    issue = find_issue(ctx.session, reference, "declare")
    stage = issue.stage
    existing = repo.incident_for_issue(ctx.session, issue.id)
    if existing is not None:
        raise UserError(f"{issue.reference} was already declared as {existing.reference}.")
    try:
        lifecycle.transition(stage, Move.DECLARE)
    except lifecycle.TransitionRefused as exc:
        raise UserError(
            f"{issue.reference} is at {STAGE_LABELS[stage]}: an incident is declared after a "
            "case conference decides to (plan 2.19-2.20)."
        ) from exc
    conference = repo.latest_conference(ctx.session, issue.id)
    if conference is None or "declare_incident" not in (conference.outcomes or []):
        raise UserError(
            f"No case conference on {issue.reference} has decided to declare an incident "
            "(plan 2.19). Record that outcome with /opss outcome first."
        )
    allowed = roles.may_declare(ctx.actor)
    if not allowed:
        raise PermissionRefused(
            f"declare an incident for {issue.reference}", allowed.who_may, issue.reference
        )
    return issue


def _overall(ctx: Ctx, issue: Issue) -> impact.Level | None:
    latest = repo.latest_assessment(ctx.session, issue.id)
    return impact.Level(latest.overall) if latest else None


def _prepare(ctx: Ctx, args: Args) -> tuple[Context, dict[str, Any]]:
    issue = _issue(ctx, args.first())
    values: dict[str, Any] = {}
    for name, value in args.options.items():
        if name not in OPTION_FIELDS:
            raise UserError(
                f"declare does not take --{name}; it takes --exercise, --title, --level, "
                "--imt-lead, --scg-chair, --tcg-chair, --comms-lead, --sio, --invite, --erco, "
                "--justification."
            )
        values[OPTION_FIELDS[name]] = value
    if "exercise" in args.flags:
        values["exercise"] = True
    return {"reference": issue.reference}, values


def _build(ctx: Ctx, context: Mapping[str, str]) -> Form:
    issue = find_issue(ctx.session, context.get("reference"), "declare")
    overall = _overall(ctx, issue)
    form = forms.declare_form(
        issue.reference, issue.title, erco_prompt=bool(overall and overall >= impact.Level.HIGH)
    )
    # The chairs and the roles drawn from the roster offer the people trained first (6.6).
    seats = {"scg_chair": CHAIR_TRAINING["scg"], "tcg_chair": CHAIR_TRAINING["tcg"]}
    form = training.offer_trained(ctx.session, form, seats | ROLE_TRAINING, ctx.now)
    return form.prefilled({"imt_lead": ctx.person.name})


@dataclass(frozen=True)
class DeclareValues:
    title: str
    level: str
    exercise: bool
    # The command team, one field per item of forms.COMMAND_ROLES.
    imt_lead: str | None
    scg_chair: str | None
    tcg_chair: str | None
    communications_lead: str | None
    senior_investigation_officer: str | None
    chair_justification: str | None
    invite: str | None  # comma-separated user names
    erco_engaged: bool


def _person_names(ctx: Ctx, v: DeclareValues) -> tuple[dict[str, str], list[str]]:
    team: dict[str, str] = {}
    for key, label in forms.COMMAND_ROLES:
        name = (getattr(v, key) or "").strip().lstrip("@")
        if not name:
            continue
        if repo.person_by_name(ctx.session, name) is None:
            raise UserError(f"{label}: no user '{name}' is known.", key)
        team[key] = name
    invite = []
    for raw in (v.invite or "").split(","):
        name = raw.strip().lstrip("@")
        if not name:
            continue
        if repo.person_by_name(ctx.session, name) is None:
            raise UserError(f"Also invite: no user '{name}' is known.", "invite")
        invite.append(name)
    return team, invite


def _apply(ctx: Ctx, context: Mapping[str, str], v: DeclareValues) -> Reply:
    issue = _issue(ctx, context.get("reference"))
    conference = repo.latest_conference(ctx.session, issue.id)
    return open_incident(
        ctx,
        issue,
        v,
        basis=roles.may_declare(ctx.actor).basis,
        rationale=f"Case conference {conference.reference if conference else ''} decided to "
        "declare an incident (plan 2.19-2.20).",
        group="case_conference",
        conference_id=conference.id if conference else None,
    )


def open_incident(
    ctx: Ctx,
    issue: Issue,
    v: DeclareValues,
    *,
    basis: str,
    rationale: str,
    group: str,
    conference_id: int | None = None,
) -> Reply:
    """The incident's record, channel, decision log, groups and rhythm (one unit of work)."""
    team, invite = _person_names(ctx, v)
    # Everyone the incident names is in it, and told: its command team, those invited and
    # the FTL of the team that contributes its sitreps (the issue's area).
    named: dict[str, list[str]] = {}
    for key, name in team.items():
        named.setdefault(name, []).append(INCIDENT_ROLES.get(key, key))
    for name in invite:
        named.setdefault(name, []).append("invited")
    for area, ftl in ftls_of(ctx, [issue.functional_area]).items():
        named.setdefault(ftl.name, []).append(f"FTL of {area}, a contributing team")
    exercise = v.exercise
    reference = repo.next_reference(ctx.session, "incident", ctx.now.year)
    taken = set(ctx.session.scalars(select(Incident.channel_name)))
    channel_name = incident_channel_name(reference, v.title, exercise, taken)
    overall = _overall(ctx, issue)
    incident = Incident(
        reference=reference,
        issue_id=issue.id,
        title=v.title,
        exercise=exercise,
        level=v.level,
        status=Status.ACTIVE,
        overall_impact=int(overall) if overall else None,
        erco_engaged=v.erco_engaged,
        erco_engaged_by=ctx.person.display_name if v.erco_engaged else "",
        erco_engaged_at=ctx.now if v.erco_engaged else None,
        erco_could_develop=False,
        command_team=team,
        declared_by_id=ctx.person.id,
        declared_at=ctx.now,
        surface=ctx.surface,
        channel_key=f"incident:{reference}",
        channel_name=channel_name,
        members=sorted({ctx.person.name, *named}),
    )
    incident.issue = issue
    ctx.session.add(incident)
    ctx.session.flush()
    if exercise:
        # The issue and its records so far are the EXERCISE's too (their kept flag).
        issue.exercise = True
        for kept in KEEP_EXERCISE:
            ctx.session.execute(update(kept).where(kept.issue_id == issue.id).values(exercise=True))
    unqualified = declared_chairs_justification(ctx, incident, team, v.chair_justification or "")
    move_issue(ctx, issue, Stage.DECLARED, basis=basis)
    record_decision(
        ctx,
        kind="declaration",
        # Not "(EXERCISE)" in its words: the incident is marked, so is every card and record.
        what=f"Declare incident {reference}: {incident.title}",
        rationale=rationale,
        decided_by=ctx.person.display_name,
        group=group,
        incident=incident,
        conference_id=conference_id,
    )
    for text in unqualified:
        record_decision(
            ctx,
            kind="chair",
            what=text,
            rationale=v.chair_justification or "",
            decided_by=ctx.person.display_name,
            group="imt",
            incident=incident,
        )
    ctx.audit(
        "incident.declared",
        "incident",
        reference,
        None,
        {
            "issue": issue.reference,
            "exercise": exercise,
            "level": incident.level,
            "channel": channel_name,
            "command_team": team,
        },
    )
    # The one who declares comes first: its owner, where a private channel needs one.
    members = [ctx.person.name, *(m for m in incident.members or [] if m != ctx.person.name)]
    label = "EXERCISE " if exercise else ""
    topic = f"{label}{reference} · {incident.title} · declared {show_date(incident.declared_at)}"
    outbox.queue(
        ctx.session,
        ConversationKey(ctx.surface, incident.channel_key),
        outbox.CreateChannel(channel_name, topic, private=True, members=tuple(members)),
        ctx.now,
    )
    tell_named(
        ctx,
        incident,
        {name: " and ".join(what) for name, what in named.items()},
        f"{ctx.person.display_name} declared incident {reference} ({incident.title}). "
        "You are in it",
    )
    # The battle rhythm starts with the incident (3.21-3.22), its groups with it.
    apply_preset(ctx, incident, STANDARD)
    mobilise_for_rhythm(ctx, incident, team)
    card = incident_card(ctx.session, incident)
    ctx.post(
        incident.channel_key,
        f"{label}Incident {reference} declared.",
        card,
        pin=True,
        anchor=f"incident:{reference}",
    )
    ctx.post(
        incident.channel_key,
        f"Decision log · {reference}",
        decision_log_card(ctx.session, incident),
        pin=True,
        anchor=decision_log_anchor(incident),
    )
    ctx.bookmark(incident.channel_key, "Decision log", decision_log_anchor(incident))
    ctx.bookmark(incident.channel_key, f"Issue {issue.reference} summary", issue_anchor(issue))
    erco_prompted = erco_needed(overall, incident.erco_engaged)
    if erco_prompted:
        # Declaring without ERCO does not pass silently: the channel is asked, with a button.
        prompt_text, prompt_card = erco_prompt(incident)
        ctx.post(incident.channel_key, prompt_text, prompt_card)
    elif erco_question_due(overall, incident.erco_engaged, incident.erco_could_develop):
        # Below High, 3.17's second case is asked: could it develop to be High or Critical?
        question, button = erco_question(incident)
        ctx.post(
            incident.channel_key,
            question,
            Card(
                title=f"DBT ERCO · {reference}",
                subtitle="Could the incident develop to be High or Critical? (3.17)",
                sections=(("DBT ERCO (3.17)", question),),
                actions=(button,),
                exercise=exercise,
            ),
        )
    start_schedule(ctx, incident, teams=[issue.functional_area])
    ctx.post(incident.channel_key, f"Battle rhythm of {reference}", rhythm_card(ctx, incident))
    announce = f"{label}{issue.reference} declared as incident {reference}."
    publish_issue_change(ctx, issue, announce, tell_imt=True)
    if erco_prompted:
        announce += (
            f" Impact is {overall.label if overall else ''} and DBT ERCO is not recorded as "
            f"engaged: record it with /opss erco {reference} (3.17)."
        )
    # The reply names the incident's conversation as the platform makes it (``about``).
    return Reply(text=announce, card=card, ephemeral=False, about=incident.channel_key)


DECLARE = FormFlow(
    "declare",
    _prepare,
    _build,
    _apply,
    prompt="Confirm the declaration.",
    permit=lambda ctx, context: _issue(ctx, context.get("reference")),
    values=DeclareValues,
)
