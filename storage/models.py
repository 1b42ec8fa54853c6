"""Typed SQLAlchemy 2 models. Rows are never deleted: history is kept by new rows and flags."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, date, datetime
from enum import Enum as PyEnum
from enum import StrEnum
from typing import Any, ClassVar

from sqlalchemy import (
    JSON,
    Boolean,
    DateTime,
    Enum,
    Float,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    MetaData,
    String,
    Text,
    TypeDecorator,
    UniqueConstraint,
    event,
    select,
)
from sqlalchemy.engine import Connection, Dialect
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship

from rules.action_chasing import ActionStatus
from rules.conferences import ConferenceStatus
from rules.exercises import ExerciseStatus, InjectStatus
from rules.firing import FireStatus
from rules.lifecycle import Stage
from rules.notifications import NotificationStatus
from rules.sitrep import SitrepStatus
from rules.stand_down import DeEscalationStatus, ReviewStatus, Status


class UTCDateTime(TypeDecorator[datetime]):
    """Stored as naive UTC, returned aware: SQLite keeps no zone, PostgreSQL would convert."""

    impl = DateTime
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given to the database; pass an aware one")
        return value.astimezone(UTC).replace(tzinfo=None)

    def process_result_value(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        return None if value is None else value.replace(tzinfo=UTC)


def text_enum(enum: type[StrEnum], length: int) -> Enum:
    """A status or stage column: the enum's values in the VARCHAR(length) the column always
    was (no database enum type, no CHECK constraint), so no stored row changes. Rows load as
    members; a value outside the enum is refused when written."""
    return Enum(
        enum,
        native_enum=False,
        create_constraint=False,
        length=length,
        values_callable=lambda members: [m.value for m in members],
        validate_strings=True,
    )


class OutboxStatus(StrEnum):
    """An outbox row's state; no rule of the plan gives it meaning, the delivery does
    (``bot/outbox.py``), so it lives beside its table."""

    PENDING = "pending"
    DELIVERED = "delivered"


NAMING = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING)
    type_annotation_map: ClassVar[dict[Any, Any]] = {
        datetime: UTCDateTime(),
        dict[str, Any]: JSON,
        list[Any]: JSON,
    }


class Person(Base):
    __tablename__ = "people"
    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(80), unique=True)
    display_name: Mapped[str] = mapped_column(String(200))
    created_at: Mapped[datetime]
    grants: Mapped[list[RoleGrant]] = relationship(
        back_populates="person", foreign_keys="RoleGrant.person_id"
    )


class Identity(Base):
    """A person's account on a surface (Slack user id, Teams AAD id, local user name)."""

    __tablename__ = "identities"
    __table_args__ = (UniqueConstraint("surface", "external_id"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    person_id: Mapped[int] = mapped_column(ForeignKey("people.id"))
    surface: Mapped[str] = mapped_column(String(20))
    external_id: Mapped[str] = mapped_column(String(200))


class RoleGrant(Base):
    __tablename__ = "role_grants"
    id: Mapped[int] = mapped_column(primary_key=True)
    person_id: Mapped[int] = mapped_column(ForeignKey("people.id"), index=True)
    role: Mapped[str] = mapped_column(String(40))
    area: Mapped[str | None] = mapped_column(String(120))
    granted_by_id: Mapped[int | None] = mapped_column(ForeignKey("people.id"))
    granted_at: Mapped[datetime]
    revoked_at: Mapped[datetime | None]
    revoked_by_id: Mapped[int | None] = mapped_column(ForeignKey("people.id"))
    person: Mapped[Person] = relationship(back_populates="grants", foreign_keys=[person_id])


class Counter(Base):
    """Per-year reference counters, bumped with one atomic UPDATE ... RETURNING."""

    __tablename__ = "counters"
    name: Mapped[str] = mapped_column(String(40), primary_key=True)
    value: Mapped[int] = mapped_column(Integer, default=0)


class Issue(Base):
    __tablename__ = "issues"
    id: Mapped[int] = mapped_column(primary_key=True)
    reference: Mapped[str] = mapped_column(String(20), unique=True)
    title: Mapped[str] = mapped_column(String(200))
    description: Mapped[str] = mapped_column(Text, default="")
    products: Mapped[str] = mapped_column(Text)
    hazard: Mapped[str] = mapped_column(Text)
    source: Mapped[str] = mapped_column(String(60))
    functional_area: Mapped[str] = mapped_column(String(120))
    raised_by_id: Mapped[int] = mapped_column(ForeignKey("people.id"))
    raised_at: Mapped[datetime]
    surface: Mapped[str] = mapped_column(String(20))
    origin_channel: Mapped[str] = mapped_column(String(200), default="")
    stage: Mapped[Stage] = mapped_column(text_enum(Stage, 30), index=True)
    stage_seq: Mapped[int] = mapped_column(Integer, default=0)
    stage_entered_at: Mapped[datetime]
    stage_before_parking: Mapped[Stage | None] = mapped_column(text_enum(Stage, 30))
    # 2.13: the senior civil servant who leads CAM-EP, named when TTG activates it.
    cam_ep_lead_id: Mapped[int | None] = mapped_column(ForeignKey("people.id"))
    # Kept: the issue was declared an EXERCISE incident (set when it is declared), as its
    # records keep it (``KEEP_EXERCISE``).
    exercise: Mapped[bool] = mapped_column(Boolean, default=False)
    raised_by: Mapped[Person] = relationship(foreign_keys=[raised_by_id])


class ImpactAssessment(Base):
    __tablename__ = "impact_assessments"
    __table_args__ = (UniqueConstraint("issue_id", "version"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    issue_id: Mapped[int] = mapped_column(ForeignKey("issues.id"), index=True)
    version: Mapped[int] = mapped_column(Integer)
    stage: Mapped[Stage] = mapped_column(text_enum(Stage, 30))
    stage_seq: Mapped[int] = mapped_column(Integer)
    ratings: Mapped[dict[str, Any]]
    overall: Mapped[int] = mapped_column(Integer)
    notes: Mapped[str] = mapped_column(Text, default="")
    assessed_by_id: Mapped[int] = mapped_column(ForeignKey("people.id"))
    assessed_at: Mapped[datetime]


class NncAssessment(Base):
    __tablename__ = "nnc_assessments"
    __table_args__ = (UniqueConstraint("issue_id", "version"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    issue_id: Mapped[int] = mapped_column(ForeignKey("issues.id"), index=True)
    version: Mapped[int] = mapped_column(Integer)
    stage: Mapped[Stage] = mapped_column(text_enum(Stage, 30))
    stage_seq: Mapped[int] = mapped_column(Integer)
    criteria: Mapped[dict[str, Any]]
    any_met: Mapped[bool] = mapped_column(Boolean)
    assessed_by_id: Mapped[int] = mapped_column(ForeignKey("people.id"))
    assessed_at: Mapped[datetime]


class Escalation(Base):
    """One move of an issue on the ladder, with who moved it and on what footing."""

    __tablename__ = "escalations"
    id: Mapped[int] = mapped_column(primary_key=True)
    issue_id: Mapped[int] = mapped_column(ForeignKey("issues.id"), index=True)
    from_stage: Mapped[Stage] = mapped_column(text_enum(Stage, 30))
    to_stage: Mapped[Stage] = mapped_column(text_enum(Stage, 30))
    moved_by_id: Mapped[int] = mapped_column(ForeignKey("people.id"))
    moved_at: Mapped[datetime]
    # When the stay this move ends began (the issue's move before it, or its raising), kept
    # so that the dashboard's time in each stage reads each move once, not its predecessor.
    stay_began_at: Mapped[datetime]
    # And how long that stay was, in days (migration 0026): read as a number, so the dashboard
    # averages stays without working out two dates for each move.
    stay_days: Mapped[float] = mapped_column(Float)
    # Kept, as on actions: a move of an EXERCISE incident's issue (``_exercise_kept``).
    exercise: Mapped[bool] = mapped_column(Boolean, default=False)
    basis: Mapped[str] = mapped_column(String(200), default="")
    justification: Mapped[str] = mapped_column(Text, default="")


class CaseConference(Base):
    __tablename__ = "case_conferences"
    id: Mapped[int] = mapped_column(primary_key=True)
    reference: Mapped[str] = mapped_column(String(20), unique=True)
    issue_id: Mapped[int] = mapped_column(ForeignKey("issues.id"), index=True)
    requested_by_id: Mapped[int] = mapped_column(ForeignKey("people.id"))
    consulted_scs_id: Mapped[int | None] = mapped_column(ForeignKey("people.id"))
    basis: Mapped[str] = mapped_column(String(200))
    scheduled_for: Mapped[datetime]
    agenda: Mapped[dict[str, Any]]
    attendees: Mapped[str] = mapped_column(Text, default="")
    status: Mapped[ConferenceStatus] = mapped_column(
        text_enum(ConferenceStatus, 20), default=ConferenceStatus.CALLED
    )
    called_at: Mapped[datetime]
    outcomes: Mapped[list[Any] | None]
    concluded_at: Mapped[datetime | None]
    cancelled_at: Mapped[datetime | None]
    cancel_reason: Mapped[str] = mapped_column(Text, default="")
    # 2.15: the grounds on which it takes place (keys of rules.conferences.GROUNDS).
    grounds: Mapped[list[Any] | None]
    # When its invitees are reminded (the scheduler's cursor); None once reminded or over.
    next_run_at: Mapped[datetime | None] = mapped_column(index=True)


class Incident(Base):
    __tablename__ = "incidents"
    id: Mapped[int] = mapped_column(primary_key=True)
    reference: Mapped[str] = mapped_column(String(20), unique=True)
    issue_id: Mapped[int] = mapped_column(ForeignKey("issues.id"), unique=True)
    title: Mapped[str] = mapped_column(String(200))
    exercise: Mapped[bool] = mapped_column(Boolean, default=False)
    level: Mapped[str] = mapped_column(String(20))
    status: Mapped[Status] = mapped_column(text_enum(Status, 20), default=Status.ACTIVE)
    overall_impact: Mapped[int | None] = mapped_column(Integer)
    erco_engaged: Mapped[bool] = mapped_column(Boolean, default=False)
    command_team: Mapped[dict[str, Any]]
    declared_by_id: Mapped[int] = mapped_column(ForeignKey("people.id"))
    declared_at: Mapped[datetime]
    surface: Mapped[str] = mapped_column(String(20))
    channel_key: Mapped[str] = mapped_column(String(80))
    channel_name: Mapped[str] = mapped_column(String(80))
    closed_at: Mapped[datetime | None]
    # Names of the people the bot put in the incident's channel (declarer, command team,
    # invitees): with the channel itself, who may read the incident (rules/access.py).
    members: Mapped[list[Any] | None]
    issue: Mapped[Issue] = relationship()
    # DBT ERCO (3.17): who engaged it, when, and whether an Emergency Response Team was set up.
    erco_engaged_by: Mapped[str] = mapped_column(String(200), default="")
    erco_engaged_at: Mapped[datetime | None]
    erco_ert: Mapped[bool | None] = mapped_column(Boolean)
    # 3.17's second case: the incident "could develop to be" High or Critical, and why.
    erco_could_develop: Mapped[bool] = mapped_column(Boolean, default=False)
    erco_could_develop_why: Mapped[str] = mapped_column(Text, default="", server_default="")
    # 3.17: a policy owner outside DBT, whose equivalent body is likely to coordinate instead.
    erco_policy_owner: Mapped[str] = mapped_column(String(200), default="", server_default="")
    # 3.26: a lowering of the level awaiting its second approval (rules.command_and_control).
    level_lowering: Mapped[dict[str, Any] | None]


class Decision(Base):
    """The decision log: append-only; a correction is a new row pointing at the one it fixes."""

    __tablename__ = "decisions"
    id: Mapped[int] = mapped_column(primary_key=True)
    reference: Mapped[str] = mapped_column(String(20), unique=True)
    issue_id: Mapped[int | None] = mapped_column(ForeignKey("issues.id"), index=True)
    incident_id: Mapped[int | None] = mapped_column(ForeignKey("incidents.id"), index=True)
    conference_id: Mapped[int | None] = mapped_column(ForeignKey("case_conferences.id"))
    kind: Mapped[str] = mapped_column(String(40))
    what: Mapped[str] = mapped_column(Text)
    rationale: Mapped[str] = mapped_column(Text)
    options_considered: Mapped[str] = mapped_column(Text, default="")
    decided_by: Mapped[str] = mapped_column(String(200))
    group: Mapped[str] = mapped_column(String(60))
    meeting: Mapped[str] = mapped_column(String(200), default="")
    decided_at: Mapped[datetime]
    evidence: Mapped[str] = mapped_column(Text, default="")
    supersedes_id: Mapped[int | None] = mapped_column(ForeignKey("decisions.id"))
    recorded_by_id: Mapped[int] = mapped_column(ForeignKey("people.id"))
    recorded_at: Mapped[datetime]


class Action(Base):
    """A task an FTL (or IMT, the SCG...) assigns: owner, timescale, quality standard (3.10)."""

    __tablename__ = "actions"
    id: Mapped[int] = mapped_column(primary_key=True)
    reference: Mapped[str] = mapped_column(String(20), unique=True)
    issue_id: Mapped[int | None] = mapped_column(ForeignKey("issues.id"), index=True)
    incident_id: Mapped[int | None] = mapped_column(ForeignKey("incidents.id"), index=True)
    what: Mapped[str] = mapped_column(Text)
    owner_id: Mapped[int] = mapped_column(ForeignKey("people.id"), index=True)
    due_at: Mapped[datetime]
    standard: Mapped[str] = mapped_column(Text, default="")
    assigned_by_id: Mapped[int] = mapped_column(ForeignKey("people.id"))
    assigned_at: Mapped[datetime]
    status: Mapped[ActionStatus] = mapped_column(
        text_enum(ActionStatus, 20), default=ActionStatus.OPEN, index=True
    )
    done_at: Mapped[datetime | None]
    done_by_id: Mapped[int | None] = mapped_column(ForeignKey("people.id"))
    done_note: Mapped[str] = mapped_column(Text, default="")
    owner: Mapped[Person] = relationship(foreign_keys=[owner_id])
    # Chasing (3.7, 3.10): the group it belongs to, progress, and the scheduler's cursor.
    group: Mapped[str] = mapped_column(String(40), default="")
    progress_note: Mapped[str] = mapped_column(Text, default="")
    chased_until: Mapped[datetime | None]
    next_run_at: Mapped[datetime | None] = mapped_column(index=True)
    overdue_at: Mapped[datetime | None]
    escalated_to: Mapped[str] = mapped_column(String(200), default="")
    # Kept: the action belongs to an EXERCISE incident (its issue's), set whenever an action is
    # written (``_exercise_kept``, below) and, for the issue's earlier actions, when the issue
    # is declared an EXERCISE (``commands/incident/incidents.py``). An incident's exercise flag
    # never changes, so this does not go stale; the dashboard counts with it, not a lookup per
    # action. Notifications and moves keep it too (``KEEP_EXERCISE``).
    exercise: Mapped[bool] = mapped_column(Boolean, default=False)


class IncidentGroup(Base):
    """A group mobilised for an incident (3.3-3.16) with its chair and members; closing it
    keeps the row (``closed_at``)."""

    __tablename__ = "incident_groups"
    id: Mapped[int] = mapped_column(primary_key=True)
    incident_id: Mapped[int] = mapped_column(ForeignKey("incidents.id"), index=True)
    kind: Mapped[str] = mapped_column(String(40))
    name: Mapped[str] = mapped_column(String(120))
    chair_id: Mapped[int | None] = mapped_column(ForeignKey("people.id"))
    members: Mapped[list[Any]]
    chair_justification: Mapped[str] = mapped_column(Text, default="")
    # 3.16: the exit strategy, with the longer-term responsible persons or groups.
    exit_strategy: Mapped[str] = mapped_column(Text, default="", server_default="")
    opened_by_id: Mapped[int] = mapped_column(ForeignKey("people.id"))
    opened_at: Mapped[datetime]
    closed_at: Mapped[datetime | None]
    chair: Mapped[Person | None] = relationship(foreign_keys=[chair_id])


class IncidentRole(Base):
    """A role held within one incident (3.18-3.20); a reassignment ends the earlier row."""

    __tablename__ = "incident_roles"
    id: Mapped[int] = mapped_column(primary_key=True)
    incident_id: Mapped[int] = mapped_column(ForeignKey("incidents.id"), index=True)
    role: Mapped[str] = mapped_column(String(40))
    area: Mapped[str] = mapped_column(String(120), default="")
    person_id: Mapped[int] = mapped_column(ForeignKey("people.id"))
    justification: Mapped[str] = mapped_column(Text, default="")
    assigned_by_id: Mapped[int] = mapped_column(ForeignKey("people.id"))
    assigned_at: Mapped[datetime]
    ended_at: Mapped[datetime | None]
    person: Mapped[Person] = relationship(foreign_keys=[person_id])


class Strategy(Base):
    """The SCG's strategy (3.6-3.7), versioned; each version is also a decision."""

    __tablename__ = "strategies"
    __table_args__ = (UniqueConstraint("incident_id", "version"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    incident_id: Mapped[int] = mapped_column(ForeignKey("incidents.id"), index=True)
    version: Mapped[int] = mapped_column(Integer)
    fields: Mapped[dict[str, Any]]
    decision_id: Mapped[int] = mapped_column(ForeignKey("decisions.id"))
    recorded_by_id: Mapped[int] = mapped_column(ForeignKey("people.id"))
    recorded_at: Mapped[datetime]


class EngagementPlan(Base):
    """The stakeholder engagement plan (4.1), versioned; it may name a lead department (4.5)."""

    __tablename__ = "engagement_plans"
    __table_args__ = (UniqueConstraint("incident_id", "version"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    incident_id: Mapped[int] = mapped_column(ForeignKey("incidents.id"), index=True)
    version: Mapped[int] = mapped_column(Integer)
    partners: Mapped[list[Any]]
    fields: Mapped[dict[str, Any]]
    recorded_by_id: Mapped[int] = mapped_column(ForeignKey("people.id"))
    recorded_at: Mapped[datetime]


class Engagement(Base):
    """Who outside OPSS was told what, when, by whom and through which channel (4.1-4.7)."""

    __tablename__ = "engagements"
    id: Mapped[int] = mapped_column(primary_key=True)
    incident_id: Mapped[int] = mapped_column(ForeignKey("incidents.id"), index=True)
    partner: Mapped[str] = mapped_column(String(200))
    what: Mapped[str] = mapped_column(Text)
    via: Mapped[str] = mapped_column(String(40))
    told_at: Mapped[datetime]
    told_by: Mapped[str] = mapped_column(String(200))
    recorded_by_id: Mapped[int] = mapped_column(ForeignKey("people.id"))
    recorded_at: Mapped[datetime]


class RhythmEvent(Base):
    """One meeting of an incident's battle rhythm (3.21-3.22). Replacing the rhythm
    deactivates these rows and adds new ones; nothing is deleted."""

    __tablename__ = "rhythm_events"
    id: Mapped[int] = mapped_column(primary_key=True)
    incident_id: Mapped[int] = mapped_column(ForeignKey("incidents.id"), index=True)
    name: Mapped[str] = mapped_column(String(120))
    group: Mapped[str] = mapped_column(String(40))
    days: Mapped[list[Any] | None]  # weekdays, 0 = Monday (weekly pattern)
    at_local: Mapped[str | None] = mapped_column(String(5))  # "09:00" London
    every_hours: Mapped[int | None] = mapped_column(Integer)
    anchor_at: Mapped[datetime | None]
    duration_minutes: Mapped[int] = mapped_column(Integer, default=60)
    location: Mapped[str] = mapped_column(Text, default="")
    agenda: Mapped[str] = mapped_column(Text, default="")
    attendees: Mapped[str] = mapped_column(Text, default="")
    reminder_minutes: Mapped[int] = mapped_column(Integer, default=30)
    holidays: Mapped[str] = mapped_column(String(10), default="skip")
    active: Mapped[bool] = mapped_column(Boolean, default=True, index=True)
    created_at: Mapped[datetime]
    replaced_at: Mapped[datetime | None]
    # The scheduler's cursor: claimed by the process that handles it (row lock).
    last_run_at: Mapped[datetime]
    next_run_at: Mapped[datetime | None] = mapped_column(index=True)


class MiSummarySchedule(Base):
    """When the weekly management-information summary is next posted to IMT (3.20): one row
    (id 1), armed at start-up from ``OPSS_MI_SUMMARY``; the tick's cursor as for meetings."""

    __tablename__ = "mi_summary_schedule"
    id: Mapped[int] = mapped_column(primary_key=True)
    weekly: Mapped[str] = mapped_column(String(20))  # "mon 09:00" as configured, or "off"
    armed_at: Mapped[datetime]
    last_run_at: Mapped[datetime | None]
    next_run_at: Mapped[datetime | None]


class SitrepSchedule(Base):
    """An incident's sitrep cadence and contributing teams (3.23)."""

    __tablename__ = "sitrep_schedules"
    id: Mapped[int] = mapped_column(primary_key=True)
    incident_id: Mapped[int] = mapped_column(ForeignKey("incidents.id"), index=True)
    cutoff_local: Mapped[str] = mapped_column(String(5))
    days: Mapped[list[Any]]
    prompt_minutes: Mapped[int] = mapped_column(Integer)
    chase_minutes: Mapped[int] = mapped_column(Integer)
    teams: Mapped[list[Any]]
    active: Mapped[bool] = mapped_column(Boolean, default=True, index=True)
    created_at: Mapped[datetime]
    replaced_at: Mapped[datetime | None]
    last_run_at: Mapped[datetime]
    next_run_at: Mapped[datetime | None] = mapped_column(index=True)
    # 3.24: the time agreed with COBR for OPSS's contribution to the CRIP ("HH:MM" London),
    # how long before it the cut-off falls, and who agreed it; None while COBR is not active.
    crip_local: Mapped[str | None] = mapped_column(String(5))
    crip_lead_minutes: Mapped[int | None] = mapped_column(Integer)
    crip_agreed: Mapped[str] = mapped_column(Text, default="", server_default="")


class Firing(Base):
    """Each reminder, prompt, chase or cut-off handled, once: the unique key is the record."""

    __tablename__ = "firings"
    __table_args__ = (UniqueConstraint("source", "step", "due_at"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    # None for a notification's clock on an issue that has no incident.
    incident_id: Mapped[int | None] = mapped_column(ForeignKey("incidents.id"), index=True)
    source: Mapped[str] = mapped_column(String(40))  # "event:12", "sitrep:3"
    step: Mapped[str] = mapped_column(String(20))
    due_at: Mapped[datetime]
    handled_at: Mapped[datetime]
    status: Mapped[FireStatus] = mapped_column(text_enum(FireStatus, 10))


class Sitrep(Base):
    __tablename__ = "sitreps"
    __table_args__ = (UniqueConstraint("incident_id", "number"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    incident_id: Mapped[int] = mapped_column(ForeignKey("incidents.id"), index=True)
    number: Mapped[int] = mapped_column(Integer)
    as_at: Mapped[datetime]
    title: Mapped[str] = mapped_column(String(200))
    sections: Mapped[list[Any]]
    missing: Mapped[list[Any]]
    amendment: Mapped[str] = mapped_column(Text, default="")
    status: Mapped[SitrepStatus] = mapped_column(
        text_enum(SitrepStatus, 20), default=SitrepStatus.DRAFT
    )
    created_at: Mapped[datetime]
    approved_by_id: Mapped[int | None] = mapped_column(ForeignKey("people.id"))
    published_at: Mapped[datetime | None]
    # 3.24: it feeds COBR's Commonly Recognised Information Picture, due then.
    feeds_crip: Mapped[bool] = mapped_column(Boolean, default=False)
    crip_due: Mapped[datetime | None]


class SitrepUpdate(Base):
    """A team's contribution for one cut-off; a later one from the same team replaces it in
    the collation, and both are kept."""

    __tablename__ = "sitrep_updates"
    id: Mapped[int] = mapped_column(primary_key=True)
    incident_id: Mapped[int] = mapped_column(ForeignKey("incidents.id"), index=True)
    cutoff_at: Mapped[datetime] = mapped_column(index=True)
    team: Mapped[str] = mapped_column(String(120))
    fields: Mapped[dict[str, Any]]
    submitted_by_id: Mapped[int] = mapped_column(ForeignKey("people.id"))
    submitted_at: Mapped[datetime]


class AuditEvent(Base):
    __tablename__ = "audit_events"
    id: Mapped[int] = mapped_column(primary_key=True)
    at: Mapped[datetime]
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("people.id"))
    actor_name: Mapped[str] = mapped_column(String(200))
    action: Mapped[str] = mapped_column(String(60), index=True)
    entity_type: Mapped[str] = mapped_column(String(40))
    entity_ref: Mapped[str] = mapped_column(String(40), index=True)
    before: Mapped[dict[str, Any] | None]
    after: Mapped[dict[str, Any] | None]
    surface: Mapped[str] = mapped_column(String(20))
    channel: Mapped[str] = mapped_column(String(200), default="")


class ProcessedRequest(Base):
    """Idempotency: a request key seen once keeps its reply; a repeat gets the same reply."""

    __tablename__ = "processed_requests"
    key: Mapped[str] = mapped_column(String(200), primary_key=True)
    at: Mapped[datetime]
    reply: Mapped[dict[str, Any]]


class InboxRequest(Base):
    """A request a surface recorded before acknowledging it, marked ``done_at`` once processed:
    a restart processes the rest, so nothing the platform was told we received is lost."""

    __tablename__ = "inbox"
    id: Mapped[int] = mapped_column(primary_key=True)
    surface: Mapped[str] = mapped_column(String(20))
    kind: Mapped[str] = mapped_column(String(30))
    body: Mapped[dict[str, Any]]
    owner: Mapped[str] = mapped_column(String(200))  # the process handling it ("host:pid")
    received_at: Mapped[datetime]
    done_at: Mapped[datetime | None] = mapped_column(index=True)


class OutboxMessage(Base):
    """A post (or channel operation) to deliver after commit, retried until delivered."""

    __tablename__ = "outbox"
    id: Mapped[int] = mapped_column(primary_key=True)
    surface: Mapped[str] = mapped_column(String(20), index=True)
    conversation: Mapped[str] = mapped_column(String(200), index=True)
    op: Mapped[str] = mapped_column(String(30))
    # Names a post so later operations can edit or bookmark it (``issue:ISS-2026-0001``).
    anchor: Mapped[str | None] = mapped_column(String(80), index=True)
    payload: Mapped[dict[str, Any]]
    status: Mapped[OutboxStatus] = mapped_column(
        text_enum(OutboxStatus, 20), default=OutboxStatus.PENDING, index=True
    )
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    next_attempt_at: Mapped[datetime]
    created_at: Mapped[datetime]
    delivered_at: Mapped[datetime | None]
    last_error: Mapped[str] = mapped_column(Text, default="")
    result: Mapped[dict[str, Any] | None]


class ChannelBinding(Base):
    """A conversation key (``incident:INC-2026-001``, ``imt``) bound to a platform channel."""

    __tablename__ = "channel_bindings"
    __table_args__ = (UniqueConstraint("surface", "conversation"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    surface: Mapped[str] = mapped_column(String(20))
    conversation: Mapped[str] = mapped_column(String(200))
    external_id: Mapped[str] = mapped_column(String(200))
    name: Mapped[str] = mapped_column(String(200))


class LocalChannel(Base):
    """The local workspace's own chat: the platform the embedded surface delivers to."""

    __tablename__ = "local_channels"
    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(80), unique=True)
    topic: Mapped[str] = mapped_column(Text, default="")
    private: Mapped[bool] = mapped_column(Boolean, default=False)
    members: Mapped[list[Any]]
    bookmarks: Mapped[list[Any] | None]
    created_at: Mapped[datetime]
    archived_at: Mapped[datetime | None]  # the incident closed: read-only, marked closed


class LocalMessage(Base):
    __tablename__ = "local_messages"
    id: Mapped[int] = mapped_column(primary_key=True)
    channel_id: Mapped[int] = mapped_column(ForeignKey("local_channels.id"), index=True)
    author: Mapped[str] = mapped_column(String(200))
    text: Mapped[str] = mapped_column(Text, default="")
    card: Mapped[dict[str, Any] | None]
    pinned: Mapped[bool] = mapped_column(Boolean, default=False)
    revision: Mapped[int] = mapped_column(Integer, default=0)  # bumped when edited in place
    created_at: Mapped[datetime]
    # The outbox row that produced it: unique, so a retried delivery cannot post twice.
    outbox_id: Mapped[int | None] = mapped_column(Integer, unique=True)
    # A file posted to the channel: {"document": id, "filename": .., "title": ..}.
    attachment: Mapped[dict[str, Any] | None]


# Standing an incident down (plan 3.25-3.28, section 5) -----------------------------------------


class DeEscalation(Base):
    """An Incident De-escalation Plan (3.27) and its two approvals (3.26). It takes effect
    only when both are given; until then the incident stays at its level."""

    __tablename__ = "de_escalations"
    id: Mapped[int] = mapped_column(primary_key=True)
    incident_id: Mapped[int] = mapped_column(ForeignKey("incidents.id"), index=True)
    status: Mapped[DeEscalationStatus] = mapped_column(
        text_enum(DeEscalationStatus, 20), default=DeEscalationStatus.PROPOSED
    )
    from_level: Mapped[str] = mapped_column(String(20))
    to_level: Mapped[str] = mapped_column(String(20))
    rationale: Mapped[str] = mapped_column(Text)
    scg_consultation: Mapped[str] = mapped_column(Text)
    residual: Mapped[list[Any]]  # [{"what", "owner", "due"}]: become actions on approval
    criteria: Mapped[str] = mapped_column(Text)  # for return to normal
    handover: Mapped[str] = mapped_column(Text, default="")
    monitoring_group: Mapped[bool] = mapped_column(Boolean, default=False)
    rhythm: Mapped[str] = mapped_column(String(40), default="reduced")
    approvals: Mapped[list[Any]]  # [{"role", "person", "name", "basis", "at"}]
    proposed_by_id: Mapped[int] = mapped_column(ForeignKey("people.id"))
    proposed_at: Mapped[datetime]
    decided_at: Mapped[datetime | None]
    decision_id: Mapped[int | None] = mapped_column(ForeignKey("decisions.id"))


class Lesson(Base):
    """A lesson identified, captured at any time by anyone in the incident (5.1)."""

    __tablename__ = "lessons"
    __table_args__ = (UniqueConstraint("incident_id", "number"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    incident_id: Mapped[int] = mapped_column(ForeignKey("incidents.id"), index=True)
    number: Mapped[int] = mapped_column(Integer)
    text: Mapped[str] = mapped_column(Text)
    aspect: Mapped[str] = mapped_column(String(40), default="")
    recorded_by_id: Mapped[int] = mapped_column(ForeignKey("people.id"))
    recorded_at: Mapped[datetime]
    recorded_by: Mapped[Person] = relationship()


class Review(Base):
    """The post-incident review (3.28, 5.1-5.2): scheduled before closure, opened by IMT
    after it, signed off, and its report kept."""

    __tablename__ = "reviews"
    id: Mapped[int] = mapped_column(primary_key=True)
    incident_id: Mapped[int] = mapped_column(ForeignKey("incidents.id"), unique=True)
    status: Mapped[ReviewStatus] = mapped_column(
        text_enum(ReviewStatus, 20), default=ReviewStatus.SCHEDULED
    )
    scheduled_for: Mapped[datetime]
    scheduled_by_id: Mapped[int] = mapped_column(ForeignKey("people.id"))
    findings: Mapped[dict[str, Any]]  # aspect of 5.2 -> text
    stakeholder_input: Mapped[str] = mapped_column(Text, default="")
    summary: Mapped[str] = mapped_column(Text, default="")
    opened_by_id: Mapped[int | None] = mapped_column(ForeignKey("people.id"))
    opened_at: Mapped[datetime | None]
    signed_off_by_id: Mapped[int | None] = mapped_column(ForeignKey("people.id"))
    signed_off_at: Mapped[datetime | None]


class Recommendation(Base):
    """A review's recommendation, allocated to a team with an owner and due date (5.1); it
    is followed up as an action."""

    __tablename__ = "recommendations"
    __table_args__ = (UniqueConstraint("review_id", "number"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    review_id: Mapped[int] = mapped_column(ForeignKey("reviews.id"), index=True)
    number: Mapped[int] = mapped_column(Integer)
    text: Mapped[str] = mapped_column(Text)
    team: Mapped[str] = mapped_column(String(120))
    action_id: Mapped[int] = mapped_column(ForeignKey("actions.id"))
    created_by_id: Mapped[int] = mapped_column(ForeignKey("people.id"))
    created_at: Mapped[datetime]
    # The aspect of the response (5.2) it answers: its theme in the plan's annual review (6.2).
    aspect: Mapped[str] = mapped_column(String(40), default="", server_default="")


# Readiness (plan section 6): the roster of trained staff, and the exercise programme ---------


class RosterEntry(Base):
    """One person trained for one response role (6.6), with the training date and its expiry.
    A renewal ends the entry before it (``removed_reason`` "renewed"); a removal keeps the row."""

    __tablename__ = "roster_entries"
    id: Mapped[int] = mapped_column(primary_key=True)
    person_id: Mapped[int] = mapped_column(ForeignKey("people.id"), index=True)
    role: Mapped[str] = mapped_column(String(40))
    trained_on: Mapped[date]
    expires_on: Mapped[date]
    note: Mapped[str] = mapped_column(Text, default="")
    added_by_id: Mapped[int | None] = mapped_column(ForeignKey("people.id"))  # None: the seed
    added_at: Mapped[datetime]
    removed_at: Mapped[datetime | None]
    removed_by_id: Mapped[int | None] = mapped_column(ForeignKey("people.id"))
    removed_reason: Mapped[str] = mapped_column(Text, default="")
    person: Mapped[Person] = relationship(foreign_keys=[person_id])


class Exercise(Base):
    """An exercise of the plan (6.8), played in an EXERCISE incident once it is named."""

    __tablename__ = "exercises"
    id: Mapped[int] = mapped_column(primary_key=True)
    reference: Mapped[str] = mapped_column(String(20), unique=True)
    title: Mapped[str] = mapped_column(String(200))
    scenario: Mapped[str] = mapped_column(Text)
    starts_at: Mapped[datetime] = mapped_column(index=True)
    participants: Mapped[list[Any]]  # user names
    incident_id: Mapped[int | None] = mapped_column(ForeignKey("incidents.id"), unique=True)
    status: Mapped[ExerciseStatus] = mapped_column(
        text_enum(ExerciseStatus, 20), default=ExerciseStatus.SCHEDULED
    )
    scheduled_by_id: Mapped[int] = mapped_column(ForeignKey("people.id"))
    scheduled_at: Mapped[datetime]
    surface: Mapped[str] = mapped_column(String(20))
    conversation: Mapped[str] = mapped_column(String(200))  # where it was scheduled
    ended_at: Mapped[datetime | None]
    end_note: Mapped[str] = mapped_column(Text, default="")


class ExerciseInject(Base):
    """A message the scheduler posts into the exercise's incident at a set time.
    ``next_run_at`` is the scheduler's cursor: set while the inject waits to be posted."""

    __tablename__ = "exercise_injects"
    __table_args__ = (UniqueConstraint("exercise_id", "number"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    exercise_id: Mapped[int] = mapped_column(ForeignKey("exercises.id"), index=True)
    number: Mapped[int] = mapped_column(Integer)
    due_at: Mapped[datetime]
    sender: Mapped[str] = mapped_column(String(200), default="")  # whom it plays as coming from
    text: Mapped[str] = mapped_column(Text)
    status: Mapped[InjectStatus] = mapped_column(
        text_enum(InjectStatus, 20), default=InjectStatus.PENDING
    )
    next_run_at: Mapped[datetime | None] = mapped_column(index=True)
    posted_at: Mapped[datetime | None]
    added_by_id: Mapped[int] = mapped_column(ForeignKey("people.id"))
    added_at: Mapped[datetime]
    exercise: Mapped[Exercise] = relationship()


class Document(Base):
    """A record taken away (decision log, timeline, sitrep, review report, strategy)."""

    __tablename__ = "documents"
    id: Mapped[int] = mapped_column(primary_key=True)
    incident_id: Mapped[int] = mapped_column(ForeignKey("incidents.id"), index=True)
    kind: Mapped[str] = mapped_column(String(40))
    title: Mapped[str] = mapped_column(String(200))
    filename: Mapped[str] = mapped_column(String(200))
    media_type: Mapped[str] = mapped_column(String(120))
    content: Mapped[bytes] = mapped_column(LargeBinary)
    created_by_id: Mapped[int] = mapped_column(ForeignKey("people.id"))
    created_at: Mapped[datetime]


class RiskAssessment(Base):
    """A product risk assessment (Annex I or PRISM) of an issue, incident or notification;
    versioned per subject, never overwritten."""

    __tablename__ = "risk_assessments"
    __table_args__ = (UniqueConstraint("subject", "version"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    subject: Mapped[str] = mapped_column(String(20), index=True)  # ISS-, INC- or NOT- reference
    version: Mapped[int] = mapped_column(Integer)
    method: Mapped[str] = mapped_column(String(40))
    inputs: Mapped[dict[str, Any]]
    level: Mapped[str] = mapped_column(String(40))
    serious: Mapped[bool] = mapped_column(Boolean)
    path: Mapped[list[Any]]
    meaning: Mapped[str] = mapped_column(Text)
    assessed_by_id: Mapped[int] = mapped_column(ForeignKey("people.id"))
    assessed_at: Mapped[datetime]


class Notification(Base):
    """A product-safety notification owed on a statutory clock (GPSR 2005 guidance), with the
    boxes of its annex form. ``next_run_at`` is the scheduler's cursor: the reminder, then the
    overdue escalation."""

    __tablename__ = "notifications"
    id: Mapped[int] = mapped_column(primary_key=True)
    reference: Mapped[str] = mapped_column(String(20), unique=True)
    kind: Mapped[str] = mapped_column(String(30))
    annex: Mapped[str] = mapped_column(String(4))
    product_type: Mapped[str] = mapped_column(String(20))
    issue_id: Mapped[int | None] = mapped_column(ForeignKey("issues.id"), index=True)
    # Kept, as on actions: a notification of an EXERCISE incident's issue (``_exercise_kept``).
    exercise: Mapped[bool] = mapped_column(Boolean, default=False)
    incident_id: Mapped[int | None] = mapped_column(ForeignKey("incidents.id"), index=True)
    # A reaction answers a notification (ours, or another state's by number and country).
    answers_id: Mapped[int | None] = mapped_column(ForeignKey("notifications.id"))
    answers_text: Mapped[str] = mapped_column(String(200), default="")
    # A revocation or variation changes the measure notified in another notification: ours,
    # or one notified outside the bot (its reference as text); changes_kind is how that measure
    # was notified, which the revocation's form and type follow.
    changes_id: Mapped[int | None] = mapped_column(ForeignKey("notifications.id"))
    changes_text: Mapped[str] = mapped_column(String(200), default="", server_default="")
    changes_kind: Mapped[str] = mapped_column(String(30), default="", server_default="")
    # "Other actions" (guidance section 2): before_measures, batch_withdrawn or import_blocked.
    occasion: Mapped[str] = mapped_column(String(20), default="", server_default="")
    # Why it is for information only: "", "before_measures" or "uk_only" (rules.notifications).
    information_only: Mapped[str] = mapped_column(String(20), default="", server_default="")
    # Annex IV: section 6 owed (serious risk or home-state-only); None before it was asked.
    section6_needed: Mapped[bool | None] = mapped_column(Boolean)
    trigger_date: Mapped[date]
    due_date: Mapped[date]
    clock_days: Mapped[int] = mapped_column(Integer)
    clock_source: Mapped[str] = mapped_column(Text)
    remind_at: Mapped[datetime]
    overdue_at: Mapped[datetime]
    owner_id: Mapped[int] = mapped_column(ForeignKey("people.id"), index=True)
    recorded_by_id: Mapped[int] = mapped_column(ForeignKey("people.id"))
    recorded_at: Mapped[datetime]
    surface: Mapped[str] = mapped_column(String(20))
    conversation: Mapped[str] = mapped_column(String(200))
    status: Mapped[NotificationStatus] = mapped_column(
        text_enum(NotificationStatus, 20), default=NotificationStatus.OPEN, index=True
    )
    values: Mapped[dict[str, Any]]
    sent_at: Mapped[datetime | None]
    sent_by_id: Mapped[int | None] = mapped_column(ForeignKey("people.id"))
    section6_due: Mapped[date | None]
    section6_sent_at: Mapped[datetime | None]
    next_run_at: Mapped[datetime | None] = mapped_column(index=True)
    # Guidance sections 1 and 4: how the home authority was told, or SAME_AUTHORITY.
    home_authority: Mapped[str] = mapped_column(Text, default="", server_default="")
    owner: Mapped[Person] = relationship(foreign_keys=[owner_id])


class ClockState(Base):
    """The demo clock's offset from real time, shared by every process and kept on restart.

    One row (id 1). It only grows, so stored events never see time go backwards.
    """

    __tablename__ = "clock_state"
    id: Mapped[int] = mapped_column(primary_key=True)
    offset_seconds: Mapped[int] = mapped_column(Integer, default=0)
    moved_at: Mapped[datetime | None]
    moved_by: Mapped[str] = mapped_column(String(200), default="")


class WorkspaceCredential(Base):
    """A person's workspace secret, as an argon2 hash (never the secret itself)."""

    __tablename__ = "workspace_credentials"
    person_id: Mapped[int] = mapped_column(ForeignKey("people.id"), primary_key=True)
    secret_hash: Mapped[str] = mapped_column(String(200))
    set_at: Mapped[datetime]


class WorkspaceSession(Base):
    """A signed-in browser: the cookie holds a random token, the table only its SHA-256."""

    __tablename__ = "workspace_sessions"
    token_hash: Mapped[str] = mapped_column(String(64), primary_key=True)
    person_id: Mapped[int] = mapped_column(ForeignKey("people.id"), index=True)
    created_at: Mapped[datetime]
    expires_at: Mapped[datetime]
    ended_at: Mapped[datetime | None]
    last_seen_at: Mapped[datetime | None]  # for the idle timeout (unset: created_at)


class SignInFlow(Base):
    """An Entra ID sign-in under way in one browser: its cookie holds a random id, the table
    that id's SHA-256 with the request's state, nonce and PKCE verifier; spent by its callback."""

    __tablename__ = "sign_in_flows"
    flow_hash: Mapped[str] = mapped_column(String(64), primary_key=True)
    state: Mapped[str] = mapped_column(String(100))
    nonce: Mapped[str] = mapped_column(String(100))
    code_verifier: Mapped[str] = mapped_column(String(128))
    created_at: Mapped[datetime]
    expires_at: Mapped[datetime] = mapped_column(index=True)


class SignInThrottle(Base):
    """Failed workspace sign-ins, counted per name and per client, for a growing delay."""

    __tablename__ = "sign_in_throttle"
    key: Mapped[str] = mapped_column(String(120), primary_key=True)  # name:… or client:…
    failures: Mapped[int]
    last_failure_at: Mapped[datetime]
    blocked_until: Mapped[datetime]


class DownloadToken(Base):
    """A download link for one person: the URL holds a random token, the table only its
    SHA-256; redeemed once, within minutes."""

    __tablename__ = "download_tokens"
    token_hash: Mapped[str] = mapped_column(String(64), primary_key=True)
    person_id: Mapped[int] = mapped_column(ForeignKey("people.id"), index=True)
    surface: Mapped[str] = mapped_column(String(16))
    kind: Mapped[str] = mapped_column(String(16))  # "notification", "document", "plan_review"
    subject: Mapped[str] = mapped_column(String(40))  # its reference, or the document's id
    fmt: Mapped[str] = mapped_column(String(8), default="")
    created_at: Mapped[datetime]
    expires_at: Mapped[datetime]
    redeemed_at: Mapped[datetime | None]


class TeamsConversation(Base):
    """Where the bot can post in Teams: a Bot Framework conversation reference, kept for every
    conversation the bot is in or creates, so reminders and sitreps can be sent later."""

    __tablename__ = "teams_conversations"
    conversation_id: Mapped[str] = mapped_column(String(400), primary_key=True)
    service_url: Mapped[str] = mapped_column(String(400))
    tenant_id: Mapped[str] = mapped_column(String(100))
    kind: Mapped[str] = mapped_column(String(20))  # personal, channel, groupChat
    team_id: Mapped[str] = mapped_column(String(200))
    reference: Mapped[dict[str, Any]]
    updated_at: Mapped[datetime]


# Indexes for reads whose cost must not grow with history (migration 0007): the last N
# decisions of an incident and which of them are superseded, a person's open actions and an
# incident's, issues someone raised, open incidents, an issue's latest case conference, and
# the teams' updates for a sitrep cut-off; and the scheduler's due rows, in due order.
FLAT_READS = (
    Index("ix_decisions_incident_recent", Decision.incident_id, Decision.id),
    Index("ix_decisions_incident_recorded", Decision.incident_id, Decision.recorded_at),
    Index("ix_decisions_supersedes_id", Decision.supersedes_id),
    Index("ix_actions_owner_open", Action.owner_id, Action.status, Action.due_at),
    Index("ix_actions_incident_open", Action.incident_id, Action.status, Action.due_at),
    Index("ix_issues_raised_by_id", Issue.raised_by_id),
    Index("ix_incidents_status", Incident.status),
    Index("ix_case_conferences_issue_latest", CaseConference.issue_id, CaseConference.id),
    Index("ix_sitrep_updates_incident_cutoff", SitrepUpdate.incident_id, SitrepUpdate.cutoff_at),
    Index("ix_rhythm_events_due", RhythmEvent.active, RhythmEvent.next_run_at),
    Index("ix_sitrep_schedules_due", SitrepSchedule.active, SitrepSchedule.next_run_at),
)

# Indexes for the management-information dashboard (migrations 0022 and 0025), whose figures
# are counted in the database over the live records or one period, never the closed ones: live
# issues by stage (with their area and when they reached it, so the index alone answers); moves
# on the ladder since a time, and each issue's moves in order; issues raised and incidents
# declared since a time; open actions due before a time, with their owner and issue, and open
# actions by issue and owner; open notifications by due date, with their issue and whether they
# run a clock.
MI_READS = (
    Index(
        "ix_issues_live",
        Issue.stage,
        Issue.exercise,
        Issue.functional_area,
        Issue.stage_entered_at,
    ),
    # Each move of a period with its stay, from the index alone (migrations 0025 and 0026; it
    # replaced ix_escalations_moved_at).
    Index(
        "ix_escalations_stays",
        Escalation.moved_at,
        Escalation.from_stage,
        Escalation.exercise,
        Escalation.issue_id,
        Escalation.stay_days,
    ),
    Index("ix_escalations_issue_moves", Escalation.issue_id, Escalation.moved_at),
    Index("ix_issues_raised_at", Issue.raised_at),
    Index("ix_incidents_declared_at", Incident.declared_at),
    Index("ix_actions_open_due", Action.status, Action.due_at, Action.owner_id, Action.issue_id),
    # Open actions of an issue (those of an incident counted apart), with owner and due time.
    Index(
        "ix_actions_open_by_issue", Action.status, Action.issue_id, Action.owner_id, Action.due_at
    ),
    # Open actions counted per owner, real and EXERCISE apart, in the index's own order with
    # no sort (migration 0026).
    Index(
        "ix_actions_open_by_owner", Action.status, Action.exercise, Action.owner_id, Action.due_at
    ),
    Index(
        "ix_notifications_open_due",
        Notification.status,
        Notification.due_date,
        Notification.issue_id,
        Notification.information_only,
    ),
    # Open notifications counted by due date, real and EXERCISE apart (migration 0026).
    Index(
        "ix_notifications_open_exercise",
        Notification.status,
        Notification.exercise,
        Notification.due_date,
        Notification.information_only,
        Notification.issue_id,
    ),
)


def _as_member(enum: type[PyEnum]) -> Callable[[object, object, object, object], object]:
    def coerce(target: object, value: object, old: object, initiator: object) -> object:
        return None if value is None else enum(value)

    return coerce


# A status or stage given as its string (a row built by hand, a seed) is held as the member
# at once, not only once the row is read back: ``row.status is Status.CLOSED`` holds before
# a commit too, and a value outside the enum is refused where it is set.
for _mapper in Base.registry.mappers:
    for _key, _column in _mapper.columns.items():
        if isinstance(_column.type, Enum) and _column.type.enum_class is not None:
            _attribute = getattr(_mapper.class_, _key)
            event.listen(_attribute, "set", _as_member(_column.type.enum_class), retval=True)


# The records of an issue that keep its incident's EXERCISE flag, so that the dashboard can
# leave them out, or show them apart, without looking up each one's incident.
KEEP_EXERCISE: tuple[type[Action] | type[Notification] | type[Escalation], ...] = (
    Action,
    Notification,
    Escalation,
)


def _exercise_kept(mapper: object, connection: Connection, record: Any) -> None:
    """Every record written of an EXERCISE incident's issue is marked EXERCISE, whichever use
    case wrote it; the issue's earlier records are marked when it is declared one
    (``commands/incident/incidents.py``). An incident's flag never changes."""
    if record.issue_id is not None:
        found = connection.scalar(
            select(Incident.exercise).where(Incident.issue_id == record.issue_id)
        )
        record.exercise = bool(found)


for _kept in KEEP_EXERCISE:
    event.listen(_kept, "before_insert", _exercise_kept)
