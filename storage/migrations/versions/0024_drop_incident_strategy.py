"""incidents: drop the unused strategy column (the SCG strategy lives in ``strategies``)

Revision ID: 0024
Revises: 0016
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0024"
down_revision = "0016"
branch_labels = None
depends_on = None


def upgrade() -> None:
    # Never written but as {}: the strategy export once read it and said none was recorded.
    with op.batch_alter_table("incidents") as batch:
        batch.drop_column("strategy")


def downgrade() -> None:
    with op.batch_alter_table("incidents") as batch:
        batch.add_column(sa.Column("strategy", sa.JSON(), nullable=False, server_default="{}"))
