"""readiness: the roster of trained staff, exercises with their injects, and the theme of a
review's recommendation

Revision ID: 0023
Revises: 0024
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0023"
down_revision = "0024"
branch_labels = None
depends_on = None


def _fk(table: str, column: str, target: str) -> sa.ForeignKeyConstraint:
    return sa.ForeignKeyConstraint(
        [column], [f"{target}.id"], name=op.f(f"fk_{table}_{column}_{target}")
    )


def upgrade() -> None:
    op.create_table(
        "roster_entries",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("person_id", sa.Integer(), nullable=False),
        sa.Column("role", sa.String(length=40), nullable=False),
        sa.Column("trained_on", sa.Date(), nullable=False),
        sa.Column("expires_on", sa.Date(), nullable=False),
        sa.Column("note", sa.Text(), nullable=False),
        sa.Column("added_by_id", sa.Integer(), nullable=True),
        sa.Column("added_at", sa.DateTime(), nullable=False),
        sa.Column("removed_at", sa.DateTime(), nullable=True),
        sa.Column("removed_by_id", sa.Integer(), nullable=True),
        sa.Column("removed_reason", sa.Text(), nullable=False),
        _fk("roster_entries", "person_id", "people"),
        _fk("roster_entries", "added_by_id", "people"),
        _fk("roster_entries", "removed_by_id", "people"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_roster_entries")),
    )
    op.create_index(
        op.f("ix_roster_entries_person_id"), "roster_entries", ["person_id"], unique=False
    )
    op.create_table(
        "exercises",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("reference", sa.String(length=20), nullable=False),
        sa.Column("title", sa.String(length=200), nullable=False),
        sa.Column("scenario", sa.Text(), nullable=False),
        sa.Column("starts_at", sa.DateTime(), nullable=False),
        sa.Column("participants", sa.JSON(), nullable=False),
        sa.Column("incident_id", sa.Integer(), nullable=True),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("scheduled_by_id", sa.Integer(), nullable=False),
        sa.Column("scheduled_at", sa.DateTime(), nullable=False),
        sa.Column("surface", sa.String(length=20), nullable=False),
        sa.Column("conversation", sa.String(length=200), nullable=False),
        sa.Column("ended_at", sa.DateTime(), nullable=True),
        sa.Column("end_note", sa.Text(), nullable=False),
        _fk("exercises", "incident_id", "incidents"),
        _fk("exercises", "scheduled_by_id", "people"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_exercises")),
        sa.UniqueConstraint("reference", name=op.f("uq_exercises_reference")),
        sa.UniqueConstraint("incident_id", name=op.f("uq_exercises_incident_id")),
    )
    op.create_index(op.f("ix_exercises_starts_at"), "exercises", ["starts_at"], unique=False)
    op.create_table(
        "exercise_injects",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("exercise_id", sa.Integer(), nullable=False),
        sa.Column("number", sa.Integer(), nullable=False),
        sa.Column("due_at", sa.DateTime(), nullable=False),
        sa.Column("sender", sa.String(length=200), nullable=False),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("next_run_at", sa.DateTime(), nullable=True),
        sa.Column("posted_at", sa.DateTime(), nullable=True),
        sa.Column("added_by_id", sa.Integer(), nullable=False),
        sa.Column("added_at", sa.DateTime(), nullable=False),
        _fk("exercise_injects", "exercise_id", "exercises"),
        _fk("exercise_injects", "added_by_id", "people"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_exercise_injects")),
        sa.UniqueConstraint("exercise_id", "number", name=op.f("uq_exercise_injects_exercise_id")),
    )
    op.create_index(
        op.f("ix_exercise_injects_exercise_id"), "exercise_injects", ["exercise_id"], unique=False
    )
    op.create_index(
        op.f("ix_exercise_injects_next_run_at"), "exercise_injects", ["next_run_at"], unique=False
    )
    with op.batch_alter_table("recommendations") as batch:
        batch.add_column(
            sa.Column("aspect", sa.String(length=40), nullable=False, server_default="")
        )


def downgrade() -> None:
    with op.batch_alter_table("recommendations") as batch:
        batch.drop_column("aspect")
    op.drop_index(op.f("ix_exercise_injects_next_run_at"), table_name="exercise_injects")
    op.drop_index(op.f("ix_exercise_injects_exercise_id"), table_name="exercise_injects")
    op.drop_table("exercise_injects")
    op.drop_index(op.f("ix_exercises_starts_at"), table_name="exercises")
    op.drop_table("exercises")
    op.drop_index(op.f("ix_roster_entries_person_id"), table_name="roster_entries")
    op.drop_table("roster_entries")
