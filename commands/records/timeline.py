"""The timeline in plain words: one line per audit event, with people's names and the plan's
names for stages, levels, groups and statuses, never the code's ("ftl_assessment").

The audit trail keeps the raw values; this module only says them as the plan does.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from commands.conference.forms import OUTCOMES
from commands.incident.forms import GROUP_LABELS
from rules.command_and_control import INCIDENT_ROLES
from rules.conferences import CONFERENCE_STATUS_LABELS
from rules.impact import NOT_APPLICABLE, Level
from rules.lifecycle import STAGE_LABELS
from rules.stand_down import LEVEL_LABELS, STATUS_LABELS
from rules.timeparse import show
from storage.models import Person

# What each event says, as a sentence about its reference.
EVENT_WORDS: dict[str, str] = {
    "issue.raised": "raised issue {ref}",
    "issue.moved": "moved issue {ref}",
    "issue.escalated_directly": "escalated issue {ref} straight to an incident",
    "impact.assessed": "assessed the impact of {ref}",
    "nnc.assessed": "assessed {ref} against the NNC criteria",
    "risk.assessed": "assessed the risk of {ref}",
    "conference.called": "called case conference {ref}",
    "conference.held": "recorded the outcome of case conference {ref}",
    "conference.cancelled": "cancelled case conference {ref}",
    "decision.recorded": "recorded decision {ref}",
    "incident.declared": "declared incident {ref}",
    "incident.erco_engaged": "recorded DBT ERCO's engagement in {ref}",
    "incident.level_changed": "changed the command level of {ref}",
    "incident.de_escalated": "de-escalated {ref}",
    "incident.re_escalating": "took {ref} back through section 2",
    "incident.re_escalated": "re-escalated {ref}",
    "incident.closed": "closed incident {ref}",
    "incident_role.assigned": "gave a role in {ref}",
    "group.opened": "mobilised a group for {ref}",
    "group.changed": "changed a group of {ref}",
    "group.closed": "stood down a group of {ref}",
    "strategy.recorded": "recorded the SCG strategy of {ref}",
    "engagement_plan.recorded": "recorded the stakeholder engagement plan of {ref}",
    "engagement.logged": "logged an engagement for {ref}",
    "action.assigned": "assigned action {ref}",
    "action.progress": "recorded progress on action {ref}",
    "action.done": "completed action {ref}",
    "action.overdue": "flagged action {ref} as overdue",
    "action.handed_over": "handed over action {ref}",
    "sitrep.scheduled": "set the sitrep cycle of {ref}",
    "sitrep.update": "gave a sitrep update for {ref}",
    "sitrep.collated": "collated a sitrep of {ref}",
    "sitrep.amended": "amended a sitrep of {ref}",
    "sitrep.published": "published a sitrep of {ref}",
    "rhythm.applied": "set the battle rhythm of {ref}",
    "rhythm.added": "added a meeting to the battle rhythm of {ref}",
    "rhythm.removed": "removed a meeting from the battle rhythm of {ref}",
    "de_escalation.proposed": "proposed de-escalating {ref}",
    "de_escalation.approved": "approved de-escalating {ref}",
    "de_escalation.withdrawn": "withdrew the de-escalation plan of {ref}",
    "lesson.recorded": "recorded a lesson for {ref}",
    "review.scheduled": "scheduled the post-incident review of {ref}",
    "review.saved": "saved the post-incident review of {ref}",
    "review.recommendation": "allocated a review recommendation for {ref}",
    "review.signed_off": "signed off the post-incident review of {ref}",
    "records.exported": "took records of {ref} away",
    "notification.recorded": "recorded notification {ref}",
    "notification.form_saved": "saved the annex form of {ref}",
    "notification.sent": "recorded notification {ref} as sent",
    "notification.exported": "exported the annex form of {ref}",
}

# Values said the plan's way: stages, statuses, command levels, groups, roles.
_WORDS: dict[str, str] = {
    **{str(k): v for k, v in STAGE_LABELS.items()},
    **{str(k): v for k, v in CONFERENCE_STATUS_LABELS.items()},
    **{str(k): v for k, v in STATUS_LABELS.items()},
    **LEVEL_LABELS,
    **GROUP_LABELS,
    **INCIDENT_ROLES,
    **{c.value: c.title for c in OUTCOMES},
    **{level.name: level.label for level in Level},
    NOT_APPLICABLE: "not applicable",  # an impact indicator rated N/A
    NOT_APPLICABLE.upper(): "not applicable",
    "open": "open",
    "done": "done",
    "handed_over": "handed over",
    "draft": "draft",
    "published": "published",
    "proposed": "proposed",
    "withdrawn": "withdrawn",
}
# Keys not worth a reader's time (internal ids, counts restated elsewhere).
_SKIP = frozenset({"plan", "subject", "basis", "step", "changed", "reference", "stage_seq", "kind"})
_KEY_WORDS = {
    "issue_stage": "issue stage",
    "to_level": "to",
    "level": "command level",
    "scheduled_for": "scheduled for",
    "escalated_to": "escalated to",
    "told_by": "told by",
    "erco_engaged": "ERCO engaged",
    "ert": "ERT",
    "offset_seconds": "clock offset (s)",
}


@dataclass(frozen=True)
class TimelineEvent:
    at: datetime
    who: str  # the person's name as people know it
    what: str  # the sentence
    reference: str
    details: str


def people_names(session: Session) -> dict[str, str]:
    """User names to the names people know them by."""
    rows = session.execute(select(Person.name, Person.display_name)).tuples()
    return {name: shown for name, shown in rows}


def _when(text: str) -> str | None:
    try:
        parsed = datetime.fromisoformat(text)
    except ValueError:
        return None
    return show(parsed) if parsed.tzinfo else None


def _value(value: Any, people: Mapping[str, str]) -> str:
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, list | tuple):
        return ", ".join(_value(v, people) for v in value) or "none"
    if isinstance(value, dict):
        return "; ".join(
            f"{_WORDS.get(k, k.replace('_', ' '))}: {_value(v, people)}" for k, v in value.items()
        )
    text = str(value)
    if text in people:
        return people[text]
    if text in _WORDS:
        return _WORDS[text]
    when = _when(text) if len(text) >= 16 and text[4:5] == "-" else None
    return when or text


def _details(
    after: Mapping[str, Any] | None, before: Mapping[str, Any] | None, people: Mapping[str, str]
) -> str:
    """What changed: each new value, with the old one where it differed ("was ...")."""
    after, before = after or {}, before or {}
    parts = []
    for key in [*after, *(k for k in before if k not in after)]:
        if key in _SKIP:
            continue
        new, old = after.get(key), before.get(key)
        if key in before and new == old:
            continue  # unchanged: not news
        label = _KEY_WORDS.get(key, key.replace("_", " "))
        if key not in after:
            parts.append(f"{label} was {_value(old, people)}")
        elif new is None or new == "":
            continue
        elif old not in (None, ""):
            parts.append(f"{label}: {_value(new, people)} (was {_value(old, people)})")
        else:
            parts.append(f"{label}: {_value(new, people)}")
    return "; ".join(parts)


def describe(
    at: datetime,
    actor: str,
    action: str,
    reference: str,
    before: Mapping[str, Any] | None,
    after: Mapping[str, Any] | None,
    people: Mapping[str, str],
) -> TimelineEvent:
    words = EVENT_WORDS.get(action)
    what = (
        words.format(ref=reference)
        if words
        else f"{action.replace('.', ' ').replace('_', ' ')} ({reference})"
    )
    details = _details(after, before, people)
    return TimelineEvent(at, people.get(actor, actor), what, reference, details)
