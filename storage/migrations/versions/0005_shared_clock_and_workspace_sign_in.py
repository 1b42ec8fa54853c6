"""shared clock offset, workspace credentials and sessions, incident members

Revision ID: 0005
Revises: 0004
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("incidents") as batch:
        batch.add_column(sa.Column("members", sa.JSON(), nullable=True))
    op.create_table(
        "clock_state",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("offset_seconds", sa.Integer(), nullable=False),
        sa.Column("moved_at", sa.DateTime(), nullable=True),
        sa.Column("moved_by", sa.String(length=200), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_clock_state")),
    )
    op.create_table(
        "workspace_credentials",
        sa.Column("person_id", sa.Integer(), nullable=False),
        sa.Column("secret_hash", sa.String(length=200), nullable=False),
        sa.Column("set_at", sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["person_id"], ["people.id"], name=op.f("fk_workspace_credentials_person_id_people")
        ),
        sa.PrimaryKeyConstraint("person_id", name=op.f("pk_workspace_credentials")),
    )
    op.create_table(
        "workspace_sessions",
        sa.Column("token_hash", sa.String(length=64), nullable=False),
        sa.Column("person_id", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("expires_at", sa.DateTime(), nullable=False),
        sa.Column("ended_at", sa.DateTime(), nullable=True),
        sa.ForeignKeyConstraint(
            ["person_id"], ["people.id"], name=op.f("fk_workspace_sessions_person_id_people")
        ),
        sa.PrimaryKeyConstraint("token_hash", name=op.f("pk_workspace_sessions")),
    )
    op.create_index(op.f("ix_workspace_sessions_person_id"), "workspace_sessions", ["person_id"])


def downgrade() -> None:
    op.drop_index(op.f("ix_workspace_sessions_person_id"), table_name="workspace_sessions")
    op.drop_table("workspace_sessions")
    op.drop_table("workspace_credentials")
    op.drop_table("clock_state")
    with op.batch_alter_table("incidents") as batch:
        batch.drop_column("members")
