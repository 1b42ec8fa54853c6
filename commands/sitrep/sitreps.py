"""Situation reports (plan 3.23-3.24): teams' updates, the collated sitrep, IMT's approval.

/opss sitrep INC-2026-001 update          a team's update (form)
/opss sitrep INC-2026-001 approve 3       publish SITREP 3 (IMT)
/opss sitrep INC-2026-001 amend 3         add IMT's amendment before approving (form)
/opss sitrep INC-2026-001 list | show 3
/opss sitrep INC-2026-001 set --cutoff 16:00 --teams "A, B" --prompt 120 --chase 30
/opss sitrep INC-2026-001 cobr --crip 15:00 --lead 60 --agreed ..   COBR's timings (3.24)
/opss sitrep INC-2026-001 cobr off --reason ..
/opss sitrep INC-2026-001 crip 3          SITREP 3 feeds the CRIP

3.24: "If COBR Unit activate COBR, OPSS situation reports will be used to provide specific OPSS
information into any Commonly Recognised Information Picture (CRIP). The timings for these
contributions will be agreed with COBR." While COBR's timing is recorded, the cut-off falls
its lead before the contribution is due, and each sitrep collated is marked as feeding the CRIP.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from datetime import datetime, time, timedelta
from typing import Any

from sqlalchemy import select

from cards import text as t
from cards.model import Action, Card, Choice, Field, Form, section_from_json, section_to_json
from commands.core.access import in_its_channel, members_of
from commands.core.args import Args
from commands.core.context import Ctx, PermissionRefused, Reply, UserError
from commands.core.flows import Context, FormFlow
from commands.core.lookup import find_incident
from commands.decision.log import record_decision
from commands.incident.card import refresh_incident_card
from commands.incident.membership import ftls_of, join
from rules import roles, sitrep
from rules.rhythm import parse_days
from rules.sitrep import SitrepStatus
from rules.timeparse import show
from storage.models import Incident, Sitrep, SitrepSchedule, SitrepUpdate

IMT_WHO = "IMT, who produce the situation reports (3.20, 3.23)"
LISTED = 20


def _incident(ctx: Ctx, reference: str | None) -> Incident:
    return find_incident(ctx, reference, "sitrep", "situation reports")


def schedule_of(ctx: Ctx, incident: Incident) -> SitrepSchedule | None:
    return ctx.session.scalar(
        select(SitrepSchedule).where(
            SitrepSchedule.incident_id == incident.id, SitrepSchedule.active
        )
    )


def cadence_of(row: SitrepSchedule) -> sitrep.Cadence:
    hour, minute = (int(x) for x in row.cutoff_local.split(":"))
    return sitrep.Cadence(
        cutoff=time(hour, minute),
        days=tuple(row.days),
        prompt_before=timedelta(minutes=row.prompt_minutes),
        chase_before=timedelta(minutes=row.chase_minutes),
    )


def next_firing(ctx_holidays: frozenset, row: SitrepSchedule, after: datetime) -> datetime:
    return next(row_firings(row, after, ctx_holidays)).at


def row_firings(
    row: SitrepSchedule, after: datetime, holidays: frozenset
) -> Iterator[sitrep.Firing]:
    """The schedule's firings after ``after``, its first cycle counted from when it began."""
    return sitrep.firings(cadence_of(row), after, holidays, started=row.created_at)


def current_cutoff(ctx: Ctx, row: SitrepSchedule) -> datetime:
    """The cut-off updates submitted now count towards: the next one."""
    return next(
        f.cutoff
        for f in row_firings(row, ctx.now, ctx.options.holidays)
        if f.step is sitrep.Step.CUTOFF
    )


def start_schedule(
    ctx: Ctx,
    incident: Incident,
    teams: list[str],
    cutoff: str | None = None,
    prompt: int | None = None,
    chase: int | None = None,
) -> SitrepSchedule:
    old = schedule_of(ctx, incident)
    if old is not None:
        old.active = False
        old.replaced_at = ctx.now
        old.next_run_at = None
    row = SitrepSchedule(
        incident_id=incident.id,
        cutoff_local=cutoff or (old.cutoff_local if old else ctx.options.sitrep_cutoff),
        days=list(old.days) if old else list(range(7)),
        prompt_minutes=prompt or (old.prompt_minutes if old else ctx.options.sitrep_prompt_minutes),
        chase_minutes=chase or (old.chase_minutes if old else ctx.options.sitrep_chase_minutes),
        teams=teams,
        active=True,
        # COBR's timing stays with the cadence it set until COBR stands down (3.24).
        crip_local=old.crip_local if old else None,
        crip_lead_minutes=old.crip_lead_minutes if old else None,
        crip_agreed=old.crip_agreed if old else "",
        created_at=ctx.now,
        # A second before it began, so that a prompt due at once (a first cycle begun after
        # its prompt time) falls after it.
        last_run_at=ctx.now - timedelta(seconds=1),
    )
    row.next_run_at = next_firing(ctx.options.holidays, row, row.last_run_at)
    ctx.session.add(row)
    ctx.session.flush()
    ctx.audit(
        "sitrep.scheduled",
        "incident",
        incident.reference,
        {"teams": old.teams, "cutoff": old.cutoff_local} if old else None,
        {"teams": teams, "cutoff": row.cutoff_local},
    )
    return row


def _sitrep(ctx: Ctx, incident: Incident, number: str | None) -> Sitrep:
    if not number or not number.isdigit():
        raise UserError("Give the sitrep's number, e.g. /opss sitrep INC-2026-001 show 3.")
    row = ctx.session.scalar(
        select(Sitrep).where(Sitrep.incident_id == incident.id, Sitrep.number == int(number))
    )
    if row is None:
        raise UserError(f"No SITREP {number} for {incident.reference}.")
    return row


def sitrep_sections(draft: sitrep.Draft) -> list[list[Any]]:
    """A collated sitrep's sections as stored: each team's answers under bold labels, each
    on its own line, and the teams with no update named."""
    out: list[list[Any]] = [
        [heading, section_to_json(t.Text(tuple(t.labelled(k, v) for k, v in answers)))]
        for heading, answers in draft.sections
    ]
    if draft.missing:
        out.append(["No update received from", ", ".join(draft.missing)])
    return out


# How a sitrep collated before rich text held a team's answers: "*Situation*: …" lines.
_LEGACY_ANSWER = re.compile(r"^\*([^*\n]+)\*: (.*)$")


def _stored_section(body: Any) -> str | t.Text:
    """A stored section; an older row's "*Label*: answer" lines are read as bold labels, so
    no collated sitrep shows raw asterisks."""
    if isinstance(body, str):
        lines = body.split("\n")
        matches = [_LEGACY_ANSWER.match(line) for line in lines]
        if lines and all(matches):
            return t.Text(tuple(t.labelled(m.group(1), m.group(2)) for m in matches if m))
    return section_from_json(body)


CRIP_HEADING = "For COBR's CRIP (3.24)"


def crip_section(due: datetime | None) -> list[str]:
    """The sitrep's first section when it feeds the CRIP, so exports carry it too."""
    when = f", due {show(due)} as agreed with COBR" if due else ""
    return [
        CRIP_HEADING,
        "OPSS situation report providing specific OPSS information into the Commonly "
        f"Recognised Information Picture (CRIP){when}.",
    ]


def sitrep_card(row: Sitrep, incident: Incident) -> Card:
    sections = [(h, _stored_section(b)) for h, b in row.sections]
    if row.amendment:
        sections.insert(0, ("IMT amendment", row.amendment))
    status = (
        "Published " + show(row.published_at) if row.published_at else "Draft for IMT to approve"
    )
    actions = (
        ()
        if row.status == SitrepStatus.PUBLISHED
        else (
            Action(
                "Approve and publish", f"/opss sitrep {incident.reference} approve {row.number}"
            ),
            Action("Amend", f"/opss sitrep {incident.reference} amend {row.number}"),
        )
    )
    return Card(
        title=row.title,
        subtitle=status,
        badges=("CRIP",) if row.feeds_crip else (),
        sections=tuple(sections),
        actions=actions,
        exercise=incident.exercise,
    )


def sitrep_verb(ctx: Ctx, args: Args) -> Reply:
    incident = _incident(ctx, args.first())
    action = args.words[1].lower() if len(args.words) > 1 else "list"
    number = args.words[2] if len(args.words) > 2 else None
    if action == "list":
        # The latest ones: an incident that runs for months has a sitrep a day.
        rows = ctx.session.scalars(
            select(Sitrep)
            .where(Sitrep.incident_id == incident.id)
            .order_by(Sitrep.number.desc())
            .limit(LISTED)
        ).all()[::-1]
        lines = [t.bullet(f"{r.title} · {r.status}") for r in rows] or [t.para("none yet")]
        earlier = rows[0].number - 1 if rows else 0
        if earlier:
            lines.insert(
                0, t.para(f"({earlier} earlier: /opss sitrep {incident.reference} show <n>)")
            )
        card = Card(
            title=f"Situation reports · {incident.reference}",
            subtitle=f"{earlier + len(rows)} sitrep{'' if earlier + len(rows) == 1 else 's'}",
            sections=(("Sitreps", t.Text(tuple(lines))),),
            exercise=incident.exercise,
        )
        return Reply(card=card)
    if action == "show":
        return Reply(card=sitrep_card(_sitrep(ctx, incident, number), incident))
    if not ctx.actor.has(roles.Role.IMT):
        raise PermissionRefused(
            f"{action} situation reports for {incident.reference}", IMT_WHO, incident.reference
        )
    if action == "approve":
        row = _sitrep(ctx, incident, number)
        if row.status == SitrepStatus.PUBLISHED:
            raise UserError(f"SITREP {row.number} was already published.")
        row.status = SitrepStatus.PUBLISHED
        row.published_at = ctx.now
        row.approved_by_id = ctx.person.id
        ctx.audit(
            "sitrep.published",
            "incident",
            incident.reference,
            {"status": "draft"},
            {"number": row.number, "status": "published"},
        )
        card = sitrep_card(row, incident)
        ctx.update(
            incident.channel_key, f"sitrep:{incident.reference}:{row.number}", row.title, card
        )
        ctx.post(incident.channel_key, f"{row.title} published by {ctx.person.display_name}.", card)
        refresh_incident_card(ctx, incident)  # its latest sitrep
        return Reply(text=f"SITREP {row.number} published.", card=card)
    if action == "set":
        return _set(ctx, incident, args)
    if action == "cobr":
        return _cobr(ctx, incident, args)
    if action == "crip":
        return _mark_crip(ctx, incident, _sitrep(ctx, incident, number))
    raise UserError(
        "sitrep: use update, list, show <n>, approve <n>, amend <n>, set, cobr or crip <n>."
    )


def _set(ctx: Ctx, incident: Incident, args: Args) -> Reply:
    current = schedule_of(ctx, incident)
    teams = list(current.teams) if current else []
    if "teams" in args.options:
        teams = [t.strip() for t in args.options["teams"].split(",") if t.strip()]
        if not teams:
            raise UserError("Teams: name at least one contributing team.", "teams")
    cutoff = args.options.get("cutoff")
    if cutoff is not None and current is not None and current.crip_local:
        raise UserError(
            f"Cut-off: it follows COBR's timing for the CRIP (contribution due "
            f"{current.crip_local}, 3.24); change that with /opss sitrep {incident.reference} "
            "cobr --crip HH:MM, or stand COBR down with cobr off.",
            "cutoff",
        )
    if cutoff is not None:
        try:
            time.fromisoformat(cutoff.zfill(5))
        except ValueError as exc:
            raise UserError(f"Cut-off: '{cutoff}' is not a time; use HH:MM.", "cutoff") from exc
        cutoff = cutoff.zfill(5)
    minutes = {}
    for name in ("prompt", "chase"):
        if name in args.options:
            raw = args.options[name]
            if not raw.isdigit() or not 1 <= int(raw) <= 1440:
                raise UserError(f"{name.capitalize()}: minutes before the cut-off, 1 to 1440.")
            minutes[name] = int(raw)
    if "days" in args.options:
        try:
            parse_days(args.options["days"])
        except ValueError as exc:
            raise UserError(f"Days: {exc}") from exc
    row = start_schedule(ctx, incident, teams, cutoff, minutes.get("prompt"), minutes.get("chase"))
    # A contributing team's FTL is in the incident: in its conversation, and told.
    join(
        ctx,
        incident,
        {p.name: f"FTL of {area}, a contributing team" for area, p in ftls_of(ctx, teams).items()},
    )
    if "days" in args.options:
        row.days = list(parse_days(args.options["days"]))
        row.next_run_at = next_firing(ctx.options.holidays, row, row.last_run_at)
    text = (
        f"Sitreps for {incident.reference}: cut-off {row.cutoff_local} London, prompts "
        f"{row.prompt_minutes} min before, chase {row.chase_minutes} min before; teams: "
        + ", ".join(row.teams)
        + "."
    )
    ctx.post(incident.channel_key, text)
    return Reply(text=text)


# COBR and the CRIP (3.24) ----------------------------------------------------------------------


def _minutes_of(text: str) -> int:
    hour, minute = (int(x) for x in text.split(":"))
    return hour * 60 + minute


def _cobr(ctx: Ctx, incident: Incident, args: Args) -> Reply:
    current = schedule_of(ctx, incident)
    if current is None:
        raise UserError(
            f"{incident.reference} has no sitrep schedule yet; set one with /opss sitrep "
            f"{incident.reference} set --teams .. first."
        )
    if len(args.words) > 2 and args.words[2].lower() == "off":
        return _cobr_off(ctx, incident, current, args)
    unknown = sorted(set(args.options) - {"crip", "lead", "days", "agreed"})
    if unknown:
        raise UserError(
            f"sitrep … cobr does not take --{unknown[0]}; it takes --crip, --lead, --days and "
            "--agreed."
        )
    crip = (args.options.get("crip") or "").strip()
    try:
        time.fromisoformat(crip.zfill(5))
    except ValueError as exc:
        raise UserError(
            "CRIP: give the time agreed with COBR for OPSS's contribution (HH:MM London), "
            'e.g. --crip 15:00 (3.24: "The timings for these contributions will be agreed with '
            'COBR").',
            "crip",
        ) from exc
    crip = crip.zfill(5)
    raw_lead = args.options.get("lead", "60")
    if not raw_lead.isdigit() or not 1 <= int(raw_lead) <= 720:
        raise UserError(
            "Lead: minutes before the contribution is due that the sitrep is cut off, for IMT "
            "to approve it (1 to 720).",
            "lead",
        )
    lead = int(raw_lead)
    if _minutes_of(crip) - lead < 0:
        raise UserError(
            f"Lead: {lead} minutes before {crip} falls on the day before; give a shorter lead.",
            "lead",
        )
    agreed = (args.options.get("agreed") or "").strip()
    if not agreed:
        raise UserError(
            'Agreed: the timings "will be agreed with COBR" (3.24); say with whom and when, '
            'e.g. --agreed "COBR Unit, call of 24 Nov".',
            "agreed",
        )
    days = None
    if "days" in args.options:
        try:
            days = list(parse_days(args.options["days"]))
        except ValueError as exc:
            raise UserError(f"Days: {exc}", "days") from exc
    minutes = _minutes_of(crip) - lead
    cutoff = f"{minutes // 60:02d}:{minutes % 60:02d}"
    row = start_schedule(ctx, incident, list(current.teams), cutoff)
    row.crip_local, row.crip_lead_minutes, row.crip_agreed = crip, lead, agreed
    if days is not None:
        row.days = days
    row.next_run_at = next_firing(ctx.options.holidays, row, row.last_run_at)
    decision = record_decision(
        ctx,
        kind="cobr",
        what=f"COBR activated: OPSS sitreps of {incident.reference} feed the CRIP, contribution "
        f"due {crip} London; the sitrep cut-off moves to {cutoff}",
        rationale=f"Timings agreed with COBR (3.24): {agreed}",
        decided_by=f"{ctx.person.display_name} for IMT",
        group="imt",
        incident=incident,
    )
    ctx.audit(
        "sitrep.cobr",
        "incident",
        incident.reference,
        {"cutoff": current.cutoff_local, "crip": current.crip_local},
        {"cutoff": cutoff, "crip": crip, "lead": lead, "decision": decision.reference},
    )
    text = (
        f"COBR is active: sitreps of {incident.reference} feed the Commonly Recognised "
        f"Information Picture (CRIP), OPSS's contribution due {crip} London as agreed with "
        f"COBR ({agreed}). The sitrep cut-off follows: {cutoff}, {lead} min before "
        f"({decision.reference})."
    )
    ctx.post(incident.channel_key, text)
    return Reply(text=text)


def _cobr_off(ctx: Ctx, incident: Incident, row: SitrepSchedule, args: Args) -> Reply:
    if not row.crip_local:
        raise UserError(f"No COBR timing is recorded for {incident.reference}.")
    reason = (args.options.get("reason") or "").strip()
    if not reason:
        raise UserError('Reason: say why COBR no longer needs the CRIP, with --reason "...".')
    before = {"crip": row.crip_local, "lead": row.crip_lead_minutes}
    row.crip_local, row.crip_lead_minutes, row.crip_agreed = None, None, ""
    ctx.audit("sitrep.cobr_off", "incident", incident.reference, before, {"reason": reason})
    text = (
        f"COBR's timing for the CRIP is no longer recorded for {incident.reference}: {reason}. "
        f"Sitreps keep their cut-off of {row.cutoff_local}."
    )
    ctx.post(incident.channel_key, text)
    return Reply(text=text)


def _mark_crip(ctx: Ctx, incident: Incident, row: Sitrep) -> Reply:
    if row.feeds_crip:
        raise UserError(f"SITREP {row.number} is already marked as feeding the CRIP.")
    row.feeds_crip = True
    row.sections = [crip_section(row.crip_due), *row.sections]
    ctx.audit(
        "sitrep.crip", "incident", incident.reference, None, {"number": row.number, "crip": True}
    )
    card = sitrep_card(row, incident)
    ctx.update(incident.channel_key, f"sitrep:{incident.reference}:{row.number}", row.title, card)
    text = f"SITREP {row.number} of {incident.reference} is marked as feeding COBR's CRIP (3.24)."
    return Reply(text=text, card=card)


# A team's update (form) -----------------------------------------------------------------------


@dataclass(frozen=True)
class SitrepUpdateValues:
    team: str
    # A team's contribution, one field per item of sitrep.FIELDS.
    situation: str
    actions_since: str | None
    next_steps: str | None
    issues_risks: str | None
    resources: str | None


def update_form(reference: str, teams: list[str]) -> Form:
    fields = [
        Field("team", "Team", "choice", required=True, choices=tuple(Choice(t, t) for t in teams))
    ]
    fields += [
        Field(key, label, "multiline", required=key == "situation") for key, label in sitrep.FIELDS
    ]
    return Form(
        id="sitrep_update",
        title=f"Sitrep update · {reference}",
        intro="Your team's contribution to the next situation report (plan 3.23).",
        submit_label="Submit update",
        fields=tuple(fields),
        context={"reference": reference},
    )


def _check_update(ctx: Ctx, incident: Incident, team: str | None) -> None:
    """Only a team's people enter its update; with no team chosen yet, any team of theirs."""
    row = schedule_of(ctx, incident)
    teams = [team] if team else list(row.teams if row else []) or [""]
    here = in_its_channel(ctx, incident)
    decisions = [
        roles.may_submit_sitrep_update(
            ctx.actor, t, members=members_of(incident), in_its_channel=here
        )
        for t in teams
    ]
    if not any(decisions):
        whose = f"{team}'s" if team else "a team's"
        raise PermissionRefused(
            f"submit {whose} sitrep update for {incident.reference}",
            decisions[0].who_may,
            incident.reference,
        )


def _permit_update(ctx: Ctx, context: Mapping[str, str]) -> None:
    _check_update(ctx, _incident(ctx, context.get("reference")), None)


def _prepare_update(ctx: Ctx, args: Args) -> tuple[Context, dict[str, Any]]:
    incident = _incident(ctx, args.first())
    _check_update(ctx, incident, None)
    values: dict[str, Any] = {
        k: v for k, v in args.options.items() if k in {"team", *(f for f, _ in sitrep.FIELDS)}
    }
    return {"reference": incident.reference}, values


def _build_update(ctx: Ctx, context: Mapping[str, str]) -> Form:
    incident = _incident(ctx, context.get("reference"))
    row = schedule_of(ctx, incident)
    if row is None:
        raise UserError(
            f"{incident.reference} has no sitrep schedule; IMT sets one with "
            f"/opss sitrep {incident.reference} set --teams ..."
        )
    return update_form(incident.reference, list(row.teams))


def _apply_update(ctx: Ctx, context: Mapping[str, str], v: SitrepUpdateValues) -> Reply:
    incident = _incident(ctx, context.get("reference"))
    _check_update(ctx, incident, v.team)
    row = schedule_of(ctx, incident)
    assert row is not None
    cutoff = current_cutoff(ctx, row)
    ctx.session.add(
        SitrepUpdate(
            incident_id=incident.id,
            cutoff_at=cutoff,
            team=v.team,
            fields={k: getattr(v, k) or "" for k, _ in sitrep.FIELDS},
            submitted_by_id=ctx.person.id,
            submitted_at=ctx.now,
        )
    )
    ctx.audit(
        "sitrep.update",
        "incident",
        incident.reference,
        None,
        {"team": v.team, "cutoff": cutoff.isoformat()},
    )
    text = (
        f"{v.team}'s update for the {show(cutoff)} sitrep of {incident.reference} "
        f"received from {ctx.person.display_name}."
    )
    ctx.post(incident.channel_key, text)
    return Reply(text=text)


SITREP_UPDATE = FormFlow(
    "sitrep_update",
    _prepare_update,
    _build_update,
    _apply_update,
    prompt="Your team's update.",
    permit=_permit_update,
    values=SitrepUpdateValues,
)


# IMT's amendment (form) -----------------------------------------------------------------------


def _prepare_amend(ctx: Ctx, args: Args) -> tuple[Context, dict[str, Any]]:
    incident = _incident(ctx, args.first())
    _require_imt(ctx, incident)
    row = _sitrep(ctx, incident, args.words[1] if len(args.words) > 1 else None)
    text = args.options.get("text")
    return {"reference": incident.reference, "number": str(row.number)}, (
        {"amendment": text} if text else {}
    )


def _build_amend(ctx: Ctx, context: Mapping[str, str]) -> Form:
    incident = _incident(ctx, context.get("reference"))
    row = _sitrep(ctx, incident, context.get("number"))
    return Form(
        id="sitrep_amend",
        title=f"Amend SITREP {row.number} · {incident.reference}",
        intro="IMT's summary or corrections, shown at the top of the sitrep.",
        submit_label="Save amendment",
        fields=(
            Field(
                "amendment",
                "Amendment",
                "multiline",
                required=True,
                max_length=3000,
                value=row.amendment or None,
            ),
        ),
        context={"reference": incident.reference, "number": str(row.number)},
    )


def _require_imt(ctx: Ctx, incident: Incident) -> None:
    if not ctx.actor.has(roles.Role.IMT):
        raise PermissionRefused(
            f"amend situation reports for {incident.reference}", IMT_WHO, incident.reference
        )


@dataclass(frozen=True)
class SitrepAmendValues:
    amendment: str


def _apply_amend(ctx: Ctx, context: Mapping[str, str], v: SitrepAmendValues) -> Reply:
    incident = _incident(ctx, context.get("reference"))
    _require_imt(ctx, incident)
    row = _sitrep(ctx, incident, context.get("number"))
    if row.status == SitrepStatus.PUBLISHED:
        raise UserError(f"SITREP {row.number} is published; publish a correction in the next.")
    before = row.amendment
    row.amendment = v.amendment
    ctx.audit(
        "sitrep.amended",
        "incident",
        incident.reference,
        {"amendment": before},
        {"number": row.number, "amendment": row.amendment},
    )
    card = sitrep_card(row, incident)
    ctx.update(incident.channel_key, f"sitrep:{incident.reference}:{row.number}", row.title, card)
    return Reply(text=f"SITREP {row.number} amended.", card=card)


SITREP_AMEND = FormFlow(
    "sitrep_amend",
    _prepare_amend,
    _build_amend,
    _apply_amend,
    prompt="Amend the sitrep.",
    permit=lambda ctx, context: _require_imt(ctx, _incident(ctx, context.get("reference"))),
    values=SitrepAmendValues,
)
