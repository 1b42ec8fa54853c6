"""case conferences: when their invitees are next reminded (the scheduler's cursor)

Revision ID: 0017
Revises: 0021
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0017"
down_revision = "0021"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("case_conferences") as batch_op:
        batch_op.add_column(sa.Column("next_run_at", sa.DateTime(), nullable=True))
        batch_op.create_index(
            batch_op.f("ix_case_conferences_next_run_at"), ["next_run_at"], unique=False
        )


def downgrade() -> None:
    with op.batch_alter_table("case_conferences") as batch_op:
        batch_op.drop_index(batch_op.f("ix_case_conferences_next_run_at"))
        batch_op.drop_column("next_run_at")
