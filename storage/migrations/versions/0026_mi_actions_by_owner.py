"""management information: issues, actions, notifications and moves keep whether they belong
to an EXERCISE incident, and each move keeps the length of the stay it ended, so the dashboard
counts them from indexes without looking up each record's incident

Revision ID: 0026
Revises: 0025
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0026"
down_revision = "0025"
branch_labels = None
depends_on = None

# The records that keep their issue's incident's EXERCISE flag (storage/models.py's
# KEEP_EXERCISE): a record is an EXERCISE one when its issue's incident is, the rule the
# dashboard used to apply to every record as it counted.
KEPT = ("actions", "notifications", "escalations")
BACKFILL = """
UPDATE {table} SET exercise = :yes
WHERE {table}.issue_id IN (SELECT issue_id FROM incidents WHERE incidents.exercise = :yes)
"""
# The length of each stay, as the dashboard worked it out for each move as it counted.
STAY_DAYS = {
    "sqlite": "julianday(moved_at) - julianday(stay_began_at)",
    "postgresql": (
        "CAST(EXTRACT(EPOCH FROM moved_at - stay_began_at) AS DOUBLE PRECISION) / 86400.0"
    ),
}


def upgrade() -> None:
    op.add_column(
        "issues", sa.Column("exercise", sa.Boolean(), nullable=False, server_default=sa.false())
    )
    op.execute(
        sa.text(
            "UPDATE issues SET exercise = :yes"
            " WHERE id IN (SELECT issue_id FROM incidents WHERE incidents.exercise = :yes)"
        ).bindparams(yes=True)
    )
    # Live issues by stage, real and EXERCISE apart, from the index alone.
    op.drop_index("ix_issues_live", table_name="issues")
    op.create_index(
        "ix_issues_live", "issues", ["stage", "exercise", "functional_area", "stage_entered_at"]
    )
    for table in KEPT:
        op.add_column(
            table, sa.Column("exercise", sa.Boolean(), nullable=False, server_default=sa.false())
        )
        op.execute(sa.text(BACKFILL.format(table=table)).bindparams(yes=True))
    op.create_index(
        "ix_actions_open_by_owner", "actions", ["status", "exercise", "owner_id", "due_at"]
    )
    op.create_index(
        "ix_notifications_open_exercise",
        "notifications",
        ["status", "exercise", "due_date", "information_only", "issue_id"],
    )
    op.add_column("escalations", sa.Column("stay_days", sa.Float(), nullable=True))
    op.execute(f"UPDATE escalations SET stay_days = {STAY_DAYS[op.get_bind().dialect.name]}")
    with op.batch_alter_table("escalations") as batch:
        batch.alter_column("stay_days", existing_type=sa.Float(), nullable=False)
    # The index of each move's stay holds its length and flag now, not its start.
    op.drop_index("ix_escalations_stays", table_name="escalations")
    op.create_index(
        "ix_escalations_stays",
        "escalations",
        ["moved_at", "from_stage", "exercise", "issue_id", "stay_days"],
    )


def downgrade() -> None:
    op.drop_index("ix_escalations_stays", table_name="escalations")
    op.create_index(
        "ix_escalations_stays",
        "escalations",
        ["moved_at", "from_stage", "issue_id", "stay_began_at"],
    )
    op.drop_index("ix_notifications_open_exercise", table_name="notifications")
    op.drop_index("ix_actions_open_by_owner", table_name="actions")
    # Dropped in place: a copy of the table (SQLite's batch mode) could not drop one that
    # other tables refer to (review recommendations refer to actions) while foreign keys are
    # enforced.
    with op.batch_alter_table("escalations", recreate="never") as batch:
        batch.drop_column("stay_days")
    for table in KEPT:
        with op.batch_alter_table(table, recreate="never") as batch:
            batch.drop_column("exercise")
    op.drop_index("ix_issues_live", table_name="issues")
    op.create_index("ix_issues_live", "issues", ["stage", "functional_area", "stage_entered_at"])
    with op.batch_alter_table("issues", recreate="never") as batch:
        batch.drop_column("exercise")
