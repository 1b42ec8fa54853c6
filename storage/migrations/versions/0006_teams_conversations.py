"""Teams conversation references

Revision ID: 0006
Revises: 0005
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "teams_conversations",
        sa.Column("conversation_id", sa.String(length=400), nullable=False),
        sa.Column("service_url", sa.String(length=400), nullable=False),
        sa.Column("tenant_id", sa.String(length=100), nullable=False),
        sa.Column("kind", sa.String(length=20), nullable=False),
        sa.Column("team_id", sa.String(length=200), nullable=False),
        sa.Column("reference", sa.JSON(), nullable=False),
        sa.Column("updated_at", sa.DateTime(), nullable=False),
        sa.PrimaryKeyConstraint("conversation_id", name=op.f("pk_teams_conversations")),
    )


def downgrade() -> None:
    op.drop_table("teams_conversations")
