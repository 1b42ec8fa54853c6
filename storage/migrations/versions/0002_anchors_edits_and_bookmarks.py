"""anchors, edits and bookmarks

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-23 09:14:49.760528
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("local_channels", schema=None) as batch_op:
        batch_op.add_column(sa.Column("bookmarks", sa.JSON(), nullable=True))

    with op.batch_alter_table("local_messages", schema=None) as batch_op:
        batch_op.add_column(sa.Column("revision", sa.Integer(), nullable=False, server_default="0"))

    with op.batch_alter_table("outbox", schema=None) as batch_op:
        batch_op.add_column(sa.Column("anchor", sa.String(length=80), nullable=True))
        batch_op.create_index(batch_op.f("ix_outbox_anchor"), ["anchor"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("outbox", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_outbox_anchor"))
        batch_op.drop_column("anchor")

    with op.batch_alter_table("local_messages", schema=None) as batch_op:
        batch_op.drop_column("revision")

    with op.batch_alter_table("local_channels", schema=None) as batch_op:
        batch_op.drop_column("bookmarks")
