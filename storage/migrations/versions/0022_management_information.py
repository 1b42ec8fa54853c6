"""management information: the weekly summary's schedule, and indexes for the dashboard

Revision ID: 0022
Revises: 0017
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0022"
down_revision = "0017"
branch_labels = None
depends_on = None

# (name, table, columns): declared in storage/models.py (MI_READS), which says what each serves.
INDEXES = (
    ("ix_issues_live", "issues", ["stage", "functional_area", "stage_entered_at"]),
    ("ix_escalations_moved_at", "escalations", ["moved_at"]),
    ("ix_escalations_issue_moves", "escalations", ["issue_id", "moved_at"]),
    ("ix_issues_raised_at", "issues", ["raised_at"]),
    ("ix_incidents_declared_at", "incidents", ["declared_at"]),
    ("ix_actions_open_due", "actions", ["status", "due_at", "owner_id", "issue_id"]),
    (
        "ix_notifications_open_due",
        "notifications",
        ["status", "due_date", "issue_id", "information_only"],
    ),
)


def upgrade() -> None:
    op.create_table(
        "mi_summary_schedule",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("weekly", sa.String(length=20), nullable=False),
        sa.Column("armed_at", sa.DateTime(), nullable=False),
        sa.Column("last_run_at", sa.DateTime(), nullable=True),
        sa.Column("next_run_at", sa.DateTime(), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_mi_summary_schedule")),
    )
    for name, table, columns in INDEXES:
        op.create_index(name, table, columns)


def downgrade() -> None:
    for name, table, _ in reversed(INDEXES):
        op.drop_index(name, table_name=table)
    op.drop_table("mi_summary_schedule")
