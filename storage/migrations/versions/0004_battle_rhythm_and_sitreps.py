"""battle rhythm and sitreps

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-23 09:36:26.239417
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "firings",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("incident_id", sa.Integer(), nullable=False),
        sa.Column("source", sa.String(length=40), nullable=False),
        sa.Column("step", sa.String(length=20), nullable=False),
        sa.Column("due_at", sa.DateTime(), nullable=False),
        sa.Column("handled_at", sa.DateTime(), nullable=False),
        sa.Column("status", sa.String(length=10), nullable=False),
        sa.ForeignKeyConstraint(
            ["incident_id"], ["incidents.id"], name=op.f("fk_firings_incident_id_incidents")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_firings")),
        sa.UniqueConstraint("source", "step", "due_at", name=op.f("uq_firings_source")),
    )
    with op.batch_alter_table("firings", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_firings_incident_id"), ["incident_id"], unique=False)

    op.create_table(
        "rhythm_events",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("incident_id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=120), nullable=False),
        sa.Column("group", sa.String(length=40), nullable=False),
        sa.Column("days", sa.JSON(), nullable=True),
        sa.Column("at_local", sa.String(length=5), nullable=True),
        sa.Column("every_hours", sa.Integer(), nullable=True),
        sa.Column("anchor_at", sa.DateTime(), nullable=True),
        sa.Column("duration_minutes", sa.Integer(), nullable=False),
        sa.Column("location", sa.Text(), nullable=False),
        sa.Column("agenda", sa.Text(), nullable=False),
        sa.Column("attendees", sa.Text(), nullable=False),
        sa.Column("reminder_minutes", sa.Integer(), nullable=False),
        sa.Column("holidays", sa.String(length=10), nullable=False),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("replaced_at", sa.DateTime(), nullable=True),
        sa.Column("last_run_at", sa.DateTime(), nullable=False),
        sa.Column("next_run_at", sa.DateTime(), nullable=True),
        sa.ForeignKeyConstraint(
            ["incident_id"], ["incidents.id"], name=op.f("fk_rhythm_events_incident_id_incidents")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_rhythm_events")),
    )
    with op.batch_alter_table("rhythm_events", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_rhythm_events_active"), ["active"], unique=False)
        batch_op.create_index(
            batch_op.f("ix_rhythm_events_incident_id"), ["incident_id"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_rhythm_events_next_run_at"), ["next_run_at"], unique=False
        )

    op.create_table(
        "sitrep_schedules",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("incident_id", sa.Integer(), nullable=False),
        sa.Column("cutoff_local", sa.String(length=5), nullable=False),
        sa.Column("days", sa.JSON(), nullable=False),
        sa.Column("prompt_minutes", sa.Integer(), nullable=False),
        sa.Column("chase_minutes", sa.Integer(), nullable=False),
        sa.Column("teams", sa.JSON(), nullable=False),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("replaced_at", sa.DateTime(), nullable=True),
        sa.Column("last_run_at", sa.DateTime(), nullable=False),
        sa.Column("next_run_at", sa.DateTime(), nullable=True),
        sa.ForeignKeyConstraint(
            ["incident_id"],
            ["incidents.id"],
            name=op.f("fk_sitrep_schedules_incident_id_incidents"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_sitrep_schedules")),
    )
    with op.batch_alter_table("sitrep_schedules", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_sitrep_schedules_active"), ["active"], unique=False)
        batch_op.create_index(
            batch_op.f("ix_sitrep_schedules_incident_id"), ["incident_id"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_sitrep_schedules_next_run_at"), ["next_run_at"], unique=False
        )

    op.create_table(
        "sitrep_updates",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("incident_id", sa.Integer(), nullable=False),
        sa.Column("cutoff_at", sa.DateTime(), nullable=False),
        sa.Column("team", sa.String(length=120), nullable=False),
        sa.Column("fields", sa.JSON(), nullable=False),
        sa.Column("submitted_by_id", sa.Integer(), nullable=False),
        sa.Column("submitted_at", sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["incident_id"], ["incidents.id"], name=op.f("fk_sitrep_updates_incident_id_incidents")
        ),
        sa.ForeignKeyConstraint(
            ["submitted_by_id"],
            ["people.id"],
            name=op.f("fk_sitrep_updates_submitted_by_id_people"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_sitrep_updates")),
    )
    with op.batch_alter_table("sitrep_updates", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_sitrep_updates_cutoff_at"), ["cutoff_at"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_sitrep_updates_incident_id"), ["incident_id"], unique=False
        )

    op.create_table(
        "sitreps",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("incident_id", sa.Integer(), nullable=False),
        sa.Column("number", sa.Integer(), nullable=False),
        sa.Column("as_at", sa.DateTime(), nullable=False),
        sa.Column("title", sa.String(length=200), nullable=False),
        sa.Column("sections", sa.JSON(), nullable=False),
        sa.Column("missing", sa.JSON(), nullable=False),
        sa.Column("amendment", sa.Text(), nullable=False),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("approved_by_id", sa.Integer(), nullable=True),
        sa.Column("published_at", sa.DateTime(), nullable=True),
        sa.ForeignKeyConstraint(
            ["approved_by_id"], ["people.id"], name=op.f("fk_sitreps_approved_by_id_people")
        ),
        sa.ForeignKeyConstraint(
            ["incident_id"], ["incidents.id"], name=op.f("fk_sitreps_incident_id_incidents")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_sitreps")),
        sa.UniqueConstraint("incident_id", "number", name=op.f("uq_sitreps_incident_id")),
    )
    with op.batch_alter_table("sitreps", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_sitreps_incident_id"), ["incident_id"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("sitreps", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_sitreps_incident_id"))

    op.drop_table("sitreps")
    with op.batch_alter_table("sitrep_updates", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_sitrep_updates_incident_id"))
        batch_op.drop_index(batch_op.f("ix_sitrep_updates_cutoff_at"))

    op.drop_table("sitrep_updates")
    with op.batch_alter_table("sitrep_schedules", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_sitrep_schedules_next_run_at"))
        batch_op.drop_index(batch_op.f("ix_sitrep_schedules_incident_id"))
        batch_op.drop_index(batch_op.f("ix_sitrep_schedules_active"))

    op.drop_table("sitrep_schedules")
    with op.batch_alter_table("rhythm_events", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_rhythm_events_next_run_at"))
        batch_op.drop_index(batch_op.f("ix_rhythm_events_incident_id"))
        batch_op.drop_index(batch_op.f("ix_rhythm_events_active"))

    op.drop_table("rhythm_events")
    with op.batch_alter_table("firings", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_firings_incident_id"))

    op.drop_table("firings")
