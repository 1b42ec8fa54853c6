"""initial schema

Revision ID: 0001
Revises:
Create Date: 2026-11-23 08:55:20.326070
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "channel_bindings",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("surface", sa.String(length=20), nullable=False),
        sa.Column("conversation", sa.String(length=200), nullable=False),
        sa.Column("external_id", sa.String(length=200), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_channel_bindings")),
        sa.UniqueConstraint("surface", "conversation", name=op.f("uq_channel_bindings_surface")),
    )
    op.create_table(
        "counters",
        sa.Column("name", sa.String(length=40), nullable=False),
        sa.Column("value", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("name", name=op.f("pk_counters")),
    )
    op.create_table(
        "local_channels",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=80), nullable=False),
        sa.Column("topic", sa.Text(), nullable=False),
        sa.Column("private", sa.Boolean(), nullable=False),
        sa.Column("members", sa.JSON(), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_local_channels")),
        sa.UniqueConstraint("name", name=op.f("uq_local_channels_name")),
    )
    op.create_table(
        "outbox",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("surface", sa.String(length=20), nullable=False),
        sa.Column("conversation", sa.String(length=200), nullable=False),
        sa.Column("op", sa.String(length=30), nullable=False),
        sa.Column("payload", sa.JSON(), nullable=False),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("next_attempt_at", sa.DateTime(), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("delivered_at", sa.DateTime(), nullable=True),
        sa.Column("last_error", sa.Text(), nullable=False),
        sa.Column("result", sa.JSON(), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_outbox")),
    )
    with op.batch_alter_table("outbox", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_outbox_conversation"), ["conversation"], unique=False)
        batch_op.create_index(batch_op.f("ix_outbox_status"), ["status"], unique=False)
        batch_op.create_index(batch_op.f("ix_outbox_surface"), ["surface"], unique=False)

    op.create_table(
        "people",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=80), nullable=False),
        sa.Column("display_name", sa.String(length=200), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_people")),
        sa.UniqueConstraint("name", name=op.f("uq_people_name")),
    )
    op.create_table(
        "processed_requests",
        sa.Column("key", sa.String(length=200), nullable=False),
        sa.Column("at", sa.DateTime(), nullable=False),
        sa.Column("reply", sa.JSON(), nullable=False),
        sa.PrimaryKeyConstraint("key", name=op.f("pk_processed_requests")),
    )
    op.create_table(
        "audit_events",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("at", sa.DateTime(), nullable=False),
        sa.Column("actor_id", sa.Integer(), nullable=True),
        sa.Column("actor_name", sa.String(length=200), nullable=False),
        sa.Column("action", sa.String(length=60), nullable=False),
        sa.Column("entity_type", sa.String(length=40), nullable=False),
        sa.Column("entity_ref", sa.String(length=40), nullable=False),
        sa.Column("before", sa.JSON(), nullable=True),
        sa.Column("after", sa.JSON(), nullable=True),
        sa.Column("surface", sa.String(length=20), nullable=False),
        sa.Column("channel", sa.String(length=200), nullable=False),
        sa.ForeignKeyConstraint(
            ["actor_id"], ["people.id"], name=op.f("fk_audit_events_actor_id_people")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_audit_events")),
    )
    with op.batch_alter_table("audit_events", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_audit_events_action"), ["action"], unique=False)
        batch_op.create_index(
            batch_op.f("ix_audit_events_entity_ref"), ["entity_ref"], unique=False
        )

    op.create_table(
        "identities",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("person_id", sa.Integer(), nullable=False),
        sa.Column("surface", sa.String(length=20), nullable=False),
        sa.Column("external_id", sa.String(length=200), nullable=False),
        sa.ForeignKeyConstraint(
            ["person_id"], ["people.id"], name=op.f("fk_identities_person_id_people")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_identities")),
        sa.UniqueConstraint("surface", "external_id", name=op.f("uq_identities_surface")),
    )
    op.create_table(
        "issues",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("reference", sa.String(length=20), nullable=False),
        sa.Column("title", sa.String(length=200), nullable=False),
        sa.Column("description", sa.Text(), nullable=False),
        sa.Column("products", sa.Text(), nullable=False),
        sa.Column("hazard", sa.Text(), nullable=False),
        sa.Column("source", sa.String(length=60), nullable=False),
        sa.Column("functional_area", sa.String(length=120), nullable=False),
        sa.Column("raised_by_id", sa.Integer(), nullable=False),
        sa.Column("raised_at", sa.DateTime(), nullable=False),
        sa.Column("surface", sa.String(length=20), nullable=False),
        sa.Column("origin_channel", sa.String(length=200), nullable=False),
        sa.Column("stage", sa.String(length=30), nullable=False),
        sa.Column("stage_seq", sa.Integer(), nullable=False),
        sa.Column("stage_entered_at", sa.DateTime(), nullable=False),
        sa.Column("stage_before_parking", sa.String(length=30), nullable=True),
        sa.ForeignKeyConstraint(
            ["raised_by_id"], ["people.id"], name=op.f("fk_issues_raised_by_id_people")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_issues")),
        sa.UniqueConstraint("reference", name=op.f("uq_issues_reference")),
    )
    with op.batch_alter_table("issues", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_issues_stage"), ["stage"], unique=False)

    op.create_table(
        "local_messages",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("channel_id", sa.Integer(), nullable=False),
        sa.Column("author", sa.String(length=200), nullable=False),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("card", sa.JSON(), nullable=True),
        sa.Column("pinned", sa.Boolean(), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("outbox_id", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(
            ["channel_id"],
            ["local_channels.id"],
            name=op.f("fk_local_messages_channel_id_local_channels"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_local_messages")),
        sa.UniqueConstraint("outbox_id", name=op.f("uq_local_messages_outbox_id")),
    )
    with op.batch_alter_table("local_messages", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_local_messages_channel_id"), ["channel_id"], unique=False
        )

    op.create_table(
        "role_grants",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("person_id", sa.Integer(), nullable=False),
        sa.Column("role", sa.String(length=40), nullable=False),
        sa.Column("area", sa.String(length=120), nullable=True),
        sa.Column("granted_by_id", sa.Integer(), nullable=True),
        sa.Column("granted_at", sa.DateTime(), nullable=False),
        sa.Column("revoked_at", sa.DateTime(), nullable=True),
        sa.Column("revoked_by_id", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(
            ["granted_by_id"], ["people.id"], name=op.f("fk_role_grants_granted_by_id_people")
        ),
        sa.ForeignKeyConstraint(
            ["person_id"], ["people.id"], name=op.f("fk_role_grants_person_id_people")
        ),
        sa.ForeignKeyConstraint(
            ["revoked_by_id"], ["people.id"], name=op.f("fk_role_grants_revoked_by_id_people")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_role_grants")),
    )
    with op.batch_alter_table("role_grants", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_role_grants_person_id"), ["person_id"], unique=False)

    op.create_table(
        "case_conferences",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("reference", sa.String(length=20), nullable=False),
        sa.Column("issue_id", sa.Integer(), nullable=False),
        sa.Column("requested_by_id", sa.Integer(), nullable=False),
        sa.Column("consulted_scs_id", sa.Integer(), nullable=True),
        sa.Column("basis", sa.String(length=200), nullable=False),
        sa.Column("scheduled_for", sa.DateTime(), nullable=False),
        sa.Column("agenda", sa.JSON(), nullable=False),
        sa.Column("attendees", sa.Text(), nullable=False),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("called_at", sa.DateTime(), nullable=False),
        sa.Column("outcomes", sa.JSON(), nullable=True),
        sa.Column("concluded_at", sa.DateTime(), nullable=True),
        sa.ForeignKeyConstraint(
            ["consulted_scs_id"],
            ["people.id"],
            name=op.f("fk_case_conferences_consulted_scs_id_people"),
        ),
        sa.ForeignKeyConstraint(
            ["issue_id"], ["issues.id"], name=op.f("fk_case_conferences_issue_id_issues")
        ),
        sa.ForeignKeyConstraint(
            ["requested_by_id"],
            ["people.id"],
            name=op.f("fk_case_conferences_requested_by_id_people"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_case_conferences")),
        sa.UniqueConstraint("reference", name=op.f("uq_case_conferences_reference")),
    )
    with op.batch_alter_table("case_conferences", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_case_conferences_issue_id"), ["issue_id"], unique=False
        )

    op.create_table(
        "escalations",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("issue_id", sa.Integer(), nullable=False),
        sa.Column("from_stage", sa.String(length=30), nullable=False),
        sa.Column("to_stage", sa.String(length=30), nullable=False),
        sa.Column("moved_by_id", sa.Integer(), nullable=False),
        sa.Column("moved_at", sa.DateTime(), nullable=False),
        sa.Column("basis", sa.String(length=200), nullable=False),
        sa.Column("justification", sa.Text(), nullable=False),
        sa.ForeignKeyConstraint(
            ["issue_id"], ["issues.id"], name=op.f("fk_escalations_issue_id_issues")
        ),
        sa.ForeignKeyConstraint(
            ["moved_by_id"], ["people.id"], name=op.f("fk_escalations_moved_by_id_people")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_escalations")),
    )
    with op.batch_alter_table("escalations", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_escalations_issue_id"), ["issue_id"], unique=False)

    op.create_table(
        "impact_assessments",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("issue_id", sa.Integer(), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("stage", sa.String(length=30), nullable=False),
        sa.Column("stage_seq", sa.Integer(), nullable=False),
        sa.Column("ratings", sa.JSON(), nullable=False),
        sa.Column("overall", sa.Integer(), nullable=False),
        sa.Column("notes", sa.Text(), nullable=False),
        sa.Column("assessed_by_id", sa.Integer(), nullable=False),
        sa.Column("assessed_at", sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["assessed_by_id"],
            ["people.id"],
            name=op.f("fk_impact_assessments_assessed_by_id_people"),
        ),
        sa.ForeignKeyConstraint(
            ["issue_id"], ["issues.id"], name=op.f("fk_impact_assessments_issue_id_issues")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_impact_assessments")),
        sa.UniqueConstraint("issue_id", "version", name=op.f("uq_impact_assessments_issue_id")),
    )
    with op.batch_alter_table("impact_assessments", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_impact_assessments_issue_id"), ["issue_id"], unique=False
        )

    op.create_table(
        "incidents",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("reference", sa.String(length=20), nullable=False),
        sa.Column("issue_id", sa.Integer(), nullable=False),
        sa.Column("title", sa.String(length=200), nullable=False),
        sa.Column("exercise", sa.Boolean(), nullable=False),
        sa.Column("level", sa.String(length=20), nullable=False),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("overall_impact", sa.Integer(), nullable=True),
        sa.Column("erco_engaged", sa.Boolean(), nullable=False),
        sa.Column("command_team", sa.JSON(), nullable=False),
        sa.Column("strategy", sa.JSON(), nullable=False),
        sa.Column("declared_by_id", sa.Integer(), nullable=False),
        sa.Column("declared_at", sa.DateTime(), nullable=False),
        sa.Column("surface", sa.String(length=20), nullable=False),
        sa.Column("channel_key", sa.String(length=80), nullable=False),
        sa.Column("channel_name", sa.String(length=80), nullable=False),
        sa.ForeignKeyConstraint(
            ["declared_by_id"], ["people.id"], name=op.f("fk_incidents_declared_by_id_people")
        ),
        sa.ForeignKeyConstraint(
            ["issue_id"], ["issues.id"], name=op.f("fk_incidents_issue_id_issues")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_incidents")),
        sa.UniqueConstraint("issue_id", name=op.f("uq_incidents_issue_id")),
        sa.UniqueConstraint("reference", name=op.f("uq_incidents_reference")),
    )
    op.create_table(
        "nnc_assessments",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("issue_id", sa.Integer(), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("stage", sa.String(length=30), nullable=False),
        sa.Column("stage_seq", sa.Integer(), nullable=False),
        sa.Column("criteria", sa.JSON(), nullable=False),
        sa.Column("any_met", sa.Boolean(), nullable=False),
        sa.Column("assessed_by_id", sa.Integer(), nullable=False),
        sa.Column("assessed_at", sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["assessed_by_id"], ["people.id"], name=op.f("fk_nnc_assessments_assessed_by_id_people")
        ),
        sa.ForeignKeyConstraint(
            ["issue_id"], ["issues.id"], name=op.f("fk_nnc_assessments_issue_id_issues")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_nnc_assessments")),
        sa.UniqueConstraint("issue_id", "version", name=op.f("uq_nnc_assessments_issue_id")),
    )
    with op.batch_alter_table("nnc_assessments", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_nnc_assessments_issue_id"), ["issue_id"], unique=False)

    op.create_table(
        "decisions",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("reference", sa.String(length=20), nullable=False),
        sa.Column("issue_id", sa.Integer(), nullable=True),
        sa.Column("incident_id", sa.Integer(), nullable=True),
        sa.Column("conference_id", sa.Integer(), nullable=True),
        sa.Column("kind", sa.String(length=40), nullable=False),
        sa.Column("what", sa.Text(), nullable=False),
        sa.Column("rationale", sa.Text(), nullable=False),
        sa.Column("options_considered", sa.Text(), nullable=False),
        sa.Column("decided_by", sa.String(length=200), nullable=False),
        sa.Column("group", sa.String(length=60), nullable=False),
        sa.Column("meeting", sa.String(length=200), nullable=False),
        sa.Column("decided_at", sa.DateTime(), nullable=False),
        sa.Column("evidence", sa.Text(), nullable=False),
        sa.Column("supersedes_id", sa.Integer(), nullable=True),
        sa.Column("recorded_by_id", sa.Integer(), nullable=False),
        sa.Column("recorded_at", sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["conference_id"],
            ["case_conferences.id"],
            name=op.f("fk_decisions_conference_id_case_conferences"),
        ),
        sa.ForeignKeyConstraint(
            ["incident_id"], ["incidents.id"], name=op.f("fk_decisions_incident_id_incidents")
        ),
        sa.ForeignKeyConstraint(
            ["issue_id"], ["issues.id"], name=op.f("fk_decisions_issue_id_issues")
        ),
        sa.ForeignKeyConstraint(
            ["recorded_by_id"], ["people.id"], name=op.f("fk_decisions_recorded_by_id_people")
        ),
        sa.ForeignKeyConstraint(
            ["supersedes_id"], ["decisions.id"], name=op.f("fk_decisions_supersedes_id_decisions")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_decisions")),
        sa.UniqueConstraint("reference", name=op.f("uq_decisions_reference")),
    )
    with op.batch_alter_table("decisions", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_decisions_incident_id"), ["incident_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_decisions_issue_id"), ["issue_id"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("decisions", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_decisions_issue_id"))
        batch_op.drop_index(batch_op.f("ix_decisions_incident_id"))

    op.drop_table("decisions")
    with op.batch_alter_table("nnc_assessments", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_nnc_assessments_issue_id"))

    op.drop_table("nnc_assessments")
    op.drop_table("incidents")
    with op.batch_alter_table("impact_assessments", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_impact_assessments_issue_id"))

    op.drop_table("impact_assessments")
    with op.batch_alter_table("escalations", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_escalations_issue_id"))

    op.drop_table("escalations")
    with op.batch_alter_table("case_conferences", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_case_conferences_issue_id"))

    op.drop_table("case_conferences")
    with op.batch_alter_table("role_grants", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_role_grants_person_id"))

    op.drop_table("role_grants")
    with op.batch_alter_table("local_messages", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_local_messages_channel_id"))

    op.drop_table("local_messages")
    with op.batch_alter_table("issues", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_issues_stage"))

    op.drop_table("issues")
    op.drop_table("identities")
    with op.batch_alter_table("audit_events", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_audit_events_entity_ref"))
        batch_op.drop_index(batch_op.f("ix_audit_events_action"))

    op.drop_table("audit_events")
    op.drop_table("processed_requests")
    op.drop_table("people")
    with op.batch_alter_table("outbox", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_outbox_surface"))
        batch_op.drop_index(batch_op.f("ix_outbox_status"))
        batch_op.drop_index(batch_op.f("ix_outbox_conversation"))

    op.drop_table("outbox")
    op.drop_table("local_channels")
    op.drop_table("counters")
    op.drop_table("channel_bindings")
