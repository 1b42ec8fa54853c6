"""The sitrep cadence (plan 3.23-3.24), a due source of the tick (``commands/schedule.py``):
for each cut-off, the prompt to the contributing teams, the chase of those who have not
submitted, and at the cut-off the collated draft for IMT to approve, whatever the delay.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import true

from cards.model import Action as Button
from cards.model import Card
from commands.core.people import reachable
from commands.incident import engagement
from commands.schedule import Batch, DueSource, Fire
from commands.sitrep.sitreps import crip_section, row_firings, sitrep_card, sitrep_sections
from rules import sitrep
from rules.firing import FireStatus
from rules.sitrep import SitrepStatus
from rules.stand_down import Status
from rules.timeparse import show
from storage.models import Incident, Person, Sitrep, SitrepSchedule, SitrepUpdate


@dataclass(frozen=True)
class _SitrepStep:
    row: SitrepSchedule
    firing: sitrep.Firing
    fire: Fire


def sitrep_steps(batch: Batch, schedules: list[SitrepSchedule]) -> None:
    incidents = batch.incidents(r.incident_id for r in schedules)
    planned: list[_SitrepStep] = []
    for row in schedules:
        incident = incidents[row.incident_id]
        for firing in row_firings(row, row.last_run_at, batch.options.holidays):
            if firing.at > batch.now or incident.status == Status.CLOSED:
                row.next_run_at = firing.at if incident.status != Status.CLOSED else None
                break
            fire = Fire(
                incident.id,
                f"sitrep:{row.id}",
                firing.step.value,
                firing.at,
                batch.status(firing.at),
            )
            planned.append(_SitrepStep(row, firing, fire))
            row.last_run_at = firing.at
    claimed = batch.claim([p.fire for p in planned])
    mine = [p for p in planned if p.fire.key in claimed]
    cutoffs = [p for p in mine if p.firing.step is sitrep.Step.CUTOFF]
    live = [p for p in mine if p.fire.status != FireStatus.MISSED]
    chases = [p for p in live if p.firing.step is sitrep.Step.CHASE]
    prompts = [p for p in live if p.firing.step is sitrep.Step.PROMPT]
    updates = batch.sitrep_updates(
        (p.row.incident_id, p.firing.cutoff) for p in cutoffs + chases + prompts
    )
    ftls = batch.ftl_names() if chases or prompts else {}
    # Those chased are told directly too: each missing team's FTL, where reachable.
    chased = batch.ftl_people() if chases else {}
    reach = reachable(batch.session, [p.id for p in chased.values()]) if chased else set()
    numbers = batch.sitrep_numbers(p.row.incident_id for p in cutoffs)
    engaged = engagement.sitrep_sections_for(
        batch.session, [(p.row.incident_id, p.firing.cutoff) for p in cutoffs]
    )
    for p in mine:
        incident = incidents[p.row.incident_id]
        status = p.fire.status
        late = status == FireStatus.LATE
        received = updates.get((incident.id, p.firing.cutoff), [])
        if p.firing.step is sitrep.Step.CUTOFF:  # collated whatever the delay
            numbers[incident.id] += 1
            extra = engaged.get((incident.id, p.firing.cutoff), [])
            late = status != FireStatus.ON_TIME
            _collate(batch, incident, p, received, numbers[incident.id], extra, late=late)
            batch.result.collated += 1
        elif status == FireStatus.MISSED:
            batch.result.missed += 1
        elif p.firing.step is sitrep.Step.PROMPT:
            _prompt(batch, incident, p.row, p.firing.cutoff, received, ftls, late)
            batch.result.posted += 1
        else:
            batch.result.posted += _chase(batch, incident, p, received, ftls, late)
            _chase_in_person(batch, incident, p, received, chased, reach)
        batch.result.handled.append(f"{incident.reference} {p.firing.step.value} {status}")


def _with_ftls(teams: list[str], ftls: dict[str, str]) -> str:
    return ", ".join(f"{t} ({ftls.get(t.casefold(), 'no FTL assigned')})" for t in teams)


def _prompt(
    batch: Batch,
    incident: Incident,
    row: SitrepSchedule,
    cutoff: datetime,
    received: list[tuple[SitrepUpdate, str]],
    ftls: dict[str, str],
    late: bool,
) -> None:
    """Names the teams still due; a team that has already sent its update is not asked again."""
    crip = (
        f" (it feeds COBR's CRIP, due {show(cutoff + timedelta(minutes=row.crip_lead_minutes))})"
        if row.crip_local and row.crip_lead_minutes
        else ""
    )
    sent = {u.team for u, _ in received}
    due = [t for t in row.teams if t not in sent]
    already = [t for t in row.teams if t in sent]
    if not due:
        text = f"Every sitrep update for the cut-off {show(cutoff)}{crip} is in: " + ", ".join(
            already
        )
        batch.post(incident, text)
        return
    text = (
        f"Sitrep updates due by {show(cutoff)}{crip} from: "
        + _with_ftls(due, ftls)
        + (" (late)" if late else "")
        + (f". Already in: {', '.join(already)}" if already else "")
    )
    card = Card(
        title=f"Sitrep updates due · {incident.reference}",
        subtitle=text,
        sections=(
            (
                "Each team",
                "Situation; actions since the last report; next "
                "steps; issues and risks; resources needed.",
            ),
        ),
        actions=(Button("Submit update", f"/opss sitrep {incident.reference} update"),),
        exercise=incident.exercise,
    )
    batch.post(incident, text, card)


def _chase(
    batch: Batch,
    incident: Incident,
    step: _SitrepStep,
    received: list[tuple[SitrepUpdate, str]],
    ftls: dict[str, str],
    late: bool,
) -> int:
    teams = {u.team for u, _ in received}
    missing = [t for t in step.row.teams if t not in teams]
    if not missing:
        return 0
    text = (
        f"Still waiting for sitrep updates (cut-off {show(step.firing.cutoff)}): "
        + _with_ftls(missing, ftls)
        + (" (late)" if late else "")
    )
    batch.post(incident, text)
    return 1


def _chase_in_person(
    batch: Batch,
    incident: Incident,
    step: _SitrepStep,
    received: list[tuple[SitrepUpdate, str]],
    ftls: dict[str, Person],
    reach: set[tuple[int, str]],
) -> None:
    """Each team still missing is chased in its FTL's personal chat, with the form's button."""
    teams = {u.team for u, _ in received}
    label = "EXERCISE · " if incident.exercise else ""
    for team in step.row.teams:
        person = ftls.get(team.casefold())
        if team in teams or person is None or (person.id, incident.surface) not in reach:
            continue
        text = (
            f"{label}{incident.reference}: the sitrep update from {team} is still awaited "
            f"for the cut-off {show(step.firing.cutoff)}."
        )
        card = Card(
            title=f"Sitrep update awaited · {incident.reference}",
            subtitle=f"{team}: cut-off {show(step.firing.cutoff)}",
            actions=(Button("Submit update", f"/opss sitrep {incident.reference} update"),),
            exercise=incident.exercise,
        )
        batch.ctx(incident).tell(person.id, text, card)


def _collate(
    batch: Batch,
    incident: Incident,
    step: _SitrepStep,
    received: list[tuple[SitrepUpdate, str]],
    number: int,
    engagement_sections: list[list[str]],
    *,
    late: bool,
) -> None:
    cutoff = step.firing.cutoff
    updates = [sitrep.Update(u.team, name, u.fields) for u, name in received]
    draft = sitrep.collate(
        number, incident.reference, cutoff, list(step.row.teams), updates, incident.exercise
    )
    # 3.24: while COBR's timing is recorded, each sitrep feeds the CRIP, due its lead later.
    row = step.row
    crip_due = (
        cutoff + timedelta(minutes=row.crip_lead_minutes)
        if row.crip_local and row.crip_lead_minutes
        else None
    )
    report = Sitrep(
        incident_id=incident.id,
        number=number,
        as_at=cutoff,
        title=draft.title,
        sections=([crip_section(crip_due)] if crip_due else [])
        + sitrep_sections(draft)
        + engagement_sections,
        missing=list(draft.missing),
        amendment="",
        status=SitrepStatus.DRAFT,
        created_at=batch.now,
        feeds_crip=crip_due is not None,
        crip_due=crip_due,
    )
    batch.session.add(report)
    batch.ctx(incident).audit(
        "sitrep.collated",
        "incident",
        incident.reference,
        None,
        {"number": number, "missing": list(draft.missing)},
    )
    text = (
        f"{draft.title} collated for IMT to approve"
        + (f", for COBR's CRIP due {show(crip_due)}" if crip_due else "")
        + (" (late)" if late else "")
    )
    batch.post(
        incident,
        text,
        sitrep_card(report, incident),
        anchor=f"sitrep:{incident.reference}:{number}",
    )


STEP_WORDS = {
    sitrep.Step.PROMPT: "the sitrep prompt",
    sitrep.Step.CHASE: "the sitrep chase",
    sitrep.Step.CUTOFF: "the sitrep cut-off (the collated sitrep)",
}


def describe(row: SitrepSchedule, holidays: frozenset) -> str:
    firing = next(row_firings(row, row.last_run_at, holidays), None)
    return STEP_WORDS[firing.step] if firing is not None else "the next sitrep step"


SOURCE = DueSource(
    "sitrep prompts, chases and cut-offs",
    SitrepSchedule,
    sitrep_steps,
    describe,
    lambda m: m.active == true(),
)
