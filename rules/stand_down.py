"""Standing an incident down (plan 3.25-3.28, section 5): its own lifecycle, and who may act.

The incident's lifecycle is data, like the issue's ladder: every allowed move is a row.

    active ──de-escalate──► de_escalated ──close (at normal operations)──► closed
         ▲                     │
         └──── re-declare ◄─ re_escalating ◄── re-escalate (section 2 again, 3.27)

De-escalation needs two approvals from two people: IMT (the incident's IMT lead or the Head
of IMT) and the incident's TCG chair, in consultation with the SCG (3.26). The return to
normal operations is the same decision (3.26: "to de-escalate to a lower level, or to return
completely to normal operations. This decision will be taken by IMT and the chair of the TCG
in consultation with the SCG"), so an incident closes only once de-escalated to normal
operations; IMT then implements the measures that close it (3.20).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from enum import StrEnum

from rules.roles import Actor, Decision, Role


class Status(StrEnum):
    ACTIVE = "active"
    DE_ESCALATED = "de_escalated"
    RE_ESCALATING = "re_escalating"
    CLOSED = "closed"


STATUS_LABELS: dict[Status, str] = {
    Status.ACTIVE: "Active",
    Status.DE_ESCALATED: "De-escalated",
    Status.RE_ESCALATING: "Re-escalating (section 2)",
    Status.CLOSED: "Closed",
}


class IncidentMove(StrEnum):
    DE_ESCALATE = "de_escalate"
    RE_ESCALATE = "re_escalate"
    RE_DECLARE = "re_declare"
    CLOSE = "close"


TRANSITIONS: dict[tuple[Status, IncidentMove], Status] = {
    (Status.ACTIVE, IncidentMove.DE_ESCALATE): Status.DE_ESCALATED,
    # A de-escalated incident may come down further (tactical to operational, or to normal).
    (Status.DE_ESCALATED, IncidentMove.DE_ESCALATE): Status.DE_ESCALATED,
    (Status.DE_ESCALATED, IncidentMove.RE_ESCALATE): Status.RE_ESCALATING,
    (Status.RE_ESCALATING, IncidentMove.RE_DECLARE): Status.ACTIVE,
    # Only at normal operations: see ``close_refused``.
    (Status.DE_ESCALATED, IncidentMove.CLOSE): Status.CLOSED,
}

MOVE_HINTS: dict[IncidentMove, str] = {
    IncidentMove.DE_ESCALATE: "an active or de-escalated incident can be de-escalated (3.26)",
    IncidentMove.RE_ESCALATE: "only a de-escalated incident is re-escalated (3.27)",
    IncidentMove.RE_DECLARE: "a re-escalating incident returns when a case conference decides",
    IncidentMove.CLOSE: (
        "an incident closes once IMT and the TCG chair, in consultation with the SCG, have "
        "decided its return to normal operations (3.26)"
    ),
}


class MoveRefused(ValueError):
    pass


def transition(status: Status, move: IncidentMove) -> Status:
    target = TRANSITIONS.get((status, move))
    if target is None:
        raise MoveRefused(f"The incident is {STATUS_LABELS[status].lower()}: {MOVE_HINTS[move]}.")
    return target


# Levels, highest first; "normal" is the return to normal operations (3.26).
LEVELS: tuple[str, ...] = ("strategic", "tactical", "operational", "normal")
LEVEL_LABELS = {
    "strategic": "Strategic",
    "tactical": "Tactical",
    "operational": "Operational",
    "normal": "Normal operations",
}


NORMAL = "normal"


def close_refused(status: Status, level: str, reference: str) -> str | None:
    """3.26: the return to normal operations is decided by IMT and the TCG chair in
    consultation with the SCG; only then does IMT close the incident (3.20). Why not, or None."""
    if status is Status.CLOSED:
        return None  # refused_after_closure says so, with what may still be done
    if status is Status.DE_ESCALATED and level == NORMAL:
        return None
    return (
        f"{reference} has not returned to normal operations. That decision is taken by IMT and "
        "the chair of the TCG in consultation with the SCG (3.26): IMT proposes it with "
        f"/opss deescalate {reference} --to normal, IMT (the IMT lead or the Head of IMT) and "
        "the TCG chair each approve, and then IMT closes the incident."
    )


def lower_levels(level: str) -> tuple[str, ...]:
    """The levels an incident at ``level`` may be de-escalated to."""
    if level not in LEVELS:
        return LEVELS[1:]
    return LEVELS[LEVELS.index(level) + 1 :]


# Who may act ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class CommandTeam:
    """The people named on the incident. The declare form names them today; per-incident
    roles from the command-and-control records replace this source when they exist."""

    imt_lead: str = ""
    tcg_chair: str = ""
    scg_chair: str = ""
    members: frozenset[str] = frozenset()
    # (user name, name as people read it) of those named, for the words of a refusal.
    names: tuple[tuple[str, str], ...] = ()

    def called(self, name: str) -> str:
        return dict(self.names).get(name, name)

    @classmethod
    def of(cls, team: Mapping[str, str] | None) -> CommandTeam:
        team = team or {}
        return cls(
            imt_lead=team.get("imt_lead") or "",
            tcg_chair=team.get("tcg_chair") or "",
            scg_chair=team.get("scg_chair") or "",
            members=frozenset(v for v in team.values() if v),
        )


class DeEscalationStatus(StrEnum):
    PROPOSED = "proposed"  # awaiting its two approvals; the incident stays at its level
    APPROVED = "approved"
    WITHDRAWN = "withdrawn"


DE_ESCALATION_STATUS_LABELS: dict[DeEscalationStatus, str] = {
    DeEscalationStatus.PROPOSED: "Awaiting approval",
    DeEscalationStatus.APPROVED: "Approved",
    DeEscalationStatus.WITHDRAWN: "Withdrawn",
}


class Approver(StrEnum):
    IMT = "imt"
    TCG_CHAIR = "tcg_chair"


APPROVER_LABELS = {Approver.IMT: "IMT", Approver.TCG_CHAIR: "TCG chair"}
# Each approval as a sentence names it.
APPROVAL_OF = {Approver.IMT: "IMT's approval", Approver.TCG_CHAIR: "the TCG chair's approval"}


def _allow(who: str, basis: str) -> Decision:
    return Decision(True, who, basis)


def _refuse(who: str, why: str = "") -> Decision:
    return Decision(False, who, why=why)


def _imt_for(actor: Actor, team: CommandTeam) -> str | None:
    """The footing on which the actor speaks for IMT on this incident, if any."""
    if team.imt_lead and actor.name == team.imt_lead and actor.has(Role.IMT):
        return "IMT lead"
    if actor.has(Role.HEAD_OF_IMT):
        return "Head of IMT"
    return None


def imt_who(team: CommandTeam) -> str:
    if team.imt_lead:
        return f"the incident's IMT lead ({team.called(team.imt_lead)}) or the Head of IMT"
    return "the IMT lead or the Head of IMT"


def tcg_who(team: CommandTeam) -> str:
    if team.tcg_chair:
        return f"the TCG chair ({team.called(team.tcg_chair)})"
    return "the TCG chair (none is named on the incident yet)"


def may_propose_de_escalation(actor: Actor) -> Decision:
    """3.27: IMT develops the Incident De-escalation Plan."""
    who = "IMT, who develop the Incident De-escalation Plan (3.27)"
    return _allow(who, "IMT") if actor.has(Role.IMT) else _refuse(who)


def approval_role(
    actor: Actor, team: CommandTeam, given: Iterable[tuple[Approver, str]]
) -> tuple[Decision, Approver | None]:
    """3.26: which approval this actor gives. ``given`` holds (role, person) already given.

    Each approval comes from a person holding that role on the incident, and the two come
    from two different people: one person cannot be both IMT and the TCG chair's voice.
    """
    lead = f"the incident's IMT lead, {team.called(team.imt_lead)}, or " if team.imt_lead else ""
    who = f"IMT ({lead}the Head of IMT) and {tcg_who(team)}, one approval each (3.26)"
    done = dict(given)
    awaited = [r for r in Approver if r not in done]
    mine = [r for r, person in done.items() if person == actor.name]
    if mine:
        why = f"You have already given {APPROVAL_OF[mine[0]]}"
        if awaited:
            why += f"; {APPROVAL_OF[awaited[0]]} must come from someone else"
        return _refuse(who, why + " (3.26: two approvals, from two people)."), None
    wanted: list[tuple[Approver, str]] = []
    if team.tcg_chair and actor.name == team.tcg_chair:
        wanted.append((Approver.TCG_CHAIR, "TCG chair"))
    imt = _imt_for(actor, team)
    if imt:
        wanted.append((Approver.IMT, imt))
    for role, basis in wanted:
        if role not in done:
            return _allow(who, basis), role
    if wanted and awaited:  # they could give the one already given, not the one awaited
        role = wanted[0][0]
        by = team.called(done[role])
        awaiting = imt_who(team) if awaited[0] is Approver.IMT else tcg_who(team)
        why = (
            f"{APPROVAL_OF[role][0].upper()}{APPROVAL_OF[role][1:]} is already given, by {by}; "
            f"{APPROVAL_OF[awaited[0]]} is awaited, from {awaiting} (3.26)."
        )
        return _refuse(who, why), None
    return _refuse(who), None


def may_re_escalate(actor: Actor, team: CommandTeam) -> Decision:
    """3.25: the IMT lead decides whether to flag for escalation; a deputy director or higher
    (who may call a case conference, 2.16) may too."""
    lead = f"the incident's IMT lead ({team.called(team.imt_lead)})" if team.imt_lead else ""
    who = f"{lead or 'the IMT lead'}, the Head of IMT or a deputy director or higher (3.25)"
    imt = _imt_for(actor, team)
    if imt:
        return _allow(who, imt)
    if actor.has(Role.DEPUTY_DIRECTOR):
        return _allow(who, "deputy director or higher")
    return _refuse(who)


def may_close(actor: Actor, team: CommandTeam) -> Decision:
    """3.20: IMT "implement measures to close the incident", once its return to normal has been
    decided (``close_refused``)."""
    who = f"{imt_who(team)}, for IMT, once the return to normal is decided (3.20, 3.26)"
    imt = _imt_for(actor, team)
    return _allow(who, imt) if imt else _refuse(who)


def may_open_review(actor: Actor) -> Decision:
    """5.1: IMT capture the lessons and lead the review."""
    who = "IMT, who capture lessons and lead the review (5.1)"
    return _allow(who, "IMT") if actor.has(Role.IMT) else _refuse(who)


def may_allocate_recommendation(actor: Actor) -> Decision:
    """5.1: recommendations are allocated to key teams, by IMT."""
    who = "IMT, who allocate recommendations to teams (5.1)"
    return _allow(who, "IMT") if actor.has(Role.IMT) else _refuse(who)


def may_sign_off_review(actor: Actor) -> Decision:
    """6.1: the Head of IMT ensures post-incident reviews are undertaken; a deputy director
    or higher may sign off too."""
    who = "the Head of IMT (6.1) or a deputy director or higher"
    if actor.has(Role.HEAD_OF_IMT):
        return _allow(who, "Head of IMT")
    if actor.has(Role.DEPUTY_DIRECTOR):
        return _allow(who, "deputy director or higher")
    return _refuse(who)


# Closure's preconditions -----------------------------------------------------------------------


@dataclass(frozen=True)
class ClosureCheck:
    ok: bool
    message: str = ""
    field: str | None = None


def closure_check(
    open_actions: Iterable[str], handed_over: Mapping[str, str], review_scheduled: bool
) -> ClosureCheck:
    """3.28: no open action unless handed over with a reason, and the review scheduled."""
    left = [a for a in open_actions if not (handed_over.get(a) or "").strip()]
    if left:
        return ClosureCheck(
            False,
            f"Open actions: {', '.join(left)} must be done, or each handed over with a reason "
            "(one a line: ACT-2026-0001: to whom and why), before the incident closes.",
            "handover",
        )
    if not review_scheduled:
        return ClosureCheck(
            False,
            "Review: schedule the post-incident review (plan 5.1) before closing.",
            "review_date",
        )
    return ClosureCheck(True)


# The review's headings (5.2) -------------------------------------------------------------------

REVIEW_ASPECTS: tuple[tuple[str, str], ...] = (
    ("identification", "Identification"),
    ("notification", "Notification"),
    ("assessment", "Assessment"),
    ("mobilisation", "Mobilisation"),
    ("response_strategy", "Response strategy"),
    ("policy", "Policy"),
    ("legislation", "Legislation"),
    ("effectiveness", "Response effectiveness"),
    ("command_and_control", "Command and control structure"),
    ("communications", "Communications"),
    ("engagement", "Engagement"),
    ("stakeholder_relations", "Stakeholder relations"),
)
ASPECT_LABELS = dict(REVIEW_ASPECTS)


class ReviewStatus(StrEnum):
    SCHEDULED = "scheduled"
    OPEN = "open"
    SIGNED_OFF = "signed_off"


def review_may_open(incident_status: Status, review: ReviewStatus | None) -> str | None:
    """Why the review cannot be opened now, or None."""
    if incident_status is not Status.CLOSED:
        return "the review is opened after the incident closes (3.28, 5.1)"
    if review is ReviewStatus.SIGNED_OFF:
        return "the review is signed off; its report is kept"
    return None


# After closure (3.28) --------------------------------------------------------------------------

# What a closed incident still takes: its lessons and its review stay open until the review is
# signed off (section 5); its records may be read and taken away. Nothing else changes it.
OPEN_AFTER_CLOSURE: frozenset[str] = frozenset({"lesson", "review", "export", "status", "calendar"})


def refused_after_closure(status: Status, verb: str, reference: str, closed: str) -> str | None:
    """Why ``verb`` may not change a closed incident, and what may be done instead; None when
    the incident is not closed or the verb is one that stays open."""
    if status is not Status.CLOSED or verb in OPEN_AFTER_CLOSURE:
        return None
    return (
        f"The incident is closed ({reference}, {closed}): /opss {verb} no longer changes it, so "
        "nothing was recorded. The plan has no re-opening of a closed incident: if the hazard "
        "returns, raise a new issue with /opss raise and section 2 applies again. Its lessons "
        f"and review stay open until the review is signed off: /opss lesson {reference}, "
        f"/opss review {reference}."
    )


def with_consultation(rationale: str, scg: str) -> str:
    """A lowering's or de-escalation's rationale with the SCG's consultation after it, as its
    own sentence in the decision log (3.26)."""
    said = rationale.strip()
    stop = "" if not said or said.endswith((".", "!", "?")) else "."
    return f"{said}{stop} SCG consultation: {scg.strip()}".strip()
