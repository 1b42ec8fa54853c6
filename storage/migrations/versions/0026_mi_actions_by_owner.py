"""management information: each action keeps whether it belongs to an EXERCISE incident, so
open actions are counted per owner in the order of an index without looking up each action's
issue and incident; and each move keeps the length of the stay it ended, in days

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

# An action is an EXERCISE one when its issue's incident is (the rule the dashboard used to
# apply to every action as it counted).
BACKFILL = """
UPDATE actions SET exercise = (
    SELECT incidents.exercise FROM incidents WHERE incidents.issue_id = actions.issue_id)
WHERE actions.issue_id IN (SELECT issue_id FROM incidents WHERE incidents.exercise = :yes)
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
        "actions",
        sa.Column("exercise", sa.Boolean(), nullable=False, server_default=sa.false()),
    )
    op.execute(sa.text(BACKFILL).bindparams(yes=True))
    op.create_index(
        "ix_actions_open_by_owner", "actions", ["status", "exercise", "owner_id", "due_at"]
    )
    op.add_column("escalations", sa.Column("stay_days", sa.Float(), nullable=True))
    op.execute(f"UPDATE escalations SET stay_days = {STAY_DAYS[op.get_bind().dialect.name]}")
    with op.batch_alter_table("escalations") as batch:
        batch.alter_column("stay_days", existing_type=sa.Float(), nullable=False)
    # The index of each move's stay holds its length now, not its start.
    op.drop_index("ix_escalations_stays", table_name="escalations")
    op.create_index(
        "ix_escalations_stays", "escalations", ["moved_at", "from_stage", "issue_id", "stay_days"]
    )


def downgrade() -> None:
    op.drop_index("ix_escalations_stays", table_name="escalations")
    op.create_index(
        "ix_escalations_stays",
        "escalations",
        ["moved_at", "from_stage", "issue_id", "stay_began_at"],
    )
    with op.batch_alter_table("escalations") as batch:
        batch.drop_column("stay_days")
    op.drop_index("ix_actions_open_by_owner", table_name="actions")
    with op.batch_alter_table("actions") as batch:
        batch.drop_column("exercise")
