"""management information: each move keeps when the stay it ends began (read from an index
that holds the whole stay), and an index that counts open actions by issue and owner in its
own order

Revision ID: 0025
Revises: 0022
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0025"
down_revision = "0022"
branch_labels = None
depends_on = None

# The rule the dashboard used to apply to every move in its period, applied once here: the
# stay a move ends began at the move before it (moves of one instant in the order
# they were recorded) or, for its first move, at its raising.
BACKFILL = """
UPDATE escalations SET stay_began_at = COALESCE(
    (SELECT max(earlier.moved_at) FROM escalations AS earlier
     WHERE earlier.issue_id = escalations.issue_id
       AND earlier.id != escalations.id
       AND (earlier.moved_at < escalations.moved_at
            OR (earlier.moved_at = escalations.moved_at AND earlier.id < escalations.id))),
    (SELECT issues.raised_at FROM issues WHERE issues.id = escalations.issue_id))
"""


def upgrade() -> None:
    op.add_column("escalations", sa.Column("stay_began_at", sa.DateTime(), nullable=True))
    op.execute(BACKFILL)
    with op.batch_alter_table("escalations") as batch:
        batch.alter_column("stay_began_at", existing_type=sa.DateTime(), nullable=False)
    # The moves of a period with all the dashboard reads of them; it supersedes the index of
    # moved_at alone (its leading column).
    op.drop_index("ix_escalations_moved_at", table_name="escalations")
    op.create_index(
        "ix_escalations_stays",
        "escalations",
        ["moved_at", "from_stage", "issue_id", "stay_began_at"],
    )
    op.create_index(
        "ix_actions_open_by_issue", "actions", ["status", "issue_id", "owner_id", "due_at"]
    )


def downgrade() -> None:
    op.drop_index("ix_actions_open_by_issue", table_name="actions")
    op.drop_index("ix_escalations_stays", table_name="escalations")
    op.create_index("ix_escalations_moved_at", "escalations", ["moved_at"])
    with op.batch_alter_table("escalations") as batch:
        batch.drop_column("stay_began_at")
