"""Entra ID sign-in flows, and sessions' last use for the idle timeout

Revision ID: 0013
Revises: 0012
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0013"
down_revision = "0012"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "sign_in_flows",
        sa.Column("flow_hash", sa.String(length=64), nullable=False),
        sa.Column("state", sa.String(length=100), nullable=False),
        sa.Column("nonce", sa.String(length=100), nullable=False),
        sa.Column("code_verifier", sa.String(length=128), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("expires_at", sa.DateTime(), nullable=False),
        sa.PrimaryKeyConstraint("flow_hash", name=op.f("pk_sign_in_flows")),
    )
    op.create_index(op.f("ix_sign_in_flows_expires_at"), "sign_in_flows", ["expires_at"])
    with op.batch_alter_table("workspace_sessions") as batch:
        batch.add_column(sa.Column("last_seen_at", sa.DateTime(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("workspace_sessions") as batch:
        batch.drop_column("last_seen_at")
    op.drop_index(op.f("ix_sign_in_flows_expires_at"), table_name="sign_in_flows")
    op.drop_table("sign_in_flows")
