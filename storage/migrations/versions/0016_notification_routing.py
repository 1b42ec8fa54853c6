"""notifications: what a revocation changes, for information only, Annex IV section 6 owed

Revision ID: 0016
Revises: 0013
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0016"
down_revision = "0013"
branch_labels = None
depends_on = None


def _columns() -> tuple[sa.Column, ...]:
    return (
        # A revocation names the measure it changes: ours (changes_id) or one notified outside the
        # bot (changes_text), and the kind that measure was notified as (its form and type follow).
        sa.Column("changes_text", sa.String(length=200), nullable=False, server_default=""),
        sa.Column("changes_kind", sa.String(length=30), nullable=False, server_default=""),
        # "Other actions": before measures, a batch withdrawn, or an import blocked.
        sa.Column("occasion", sa.String(length=20), nullable=False, server_default=""),
        # "", "before_measures" (not for publication before a UK measure) or "uk_only".
        sa.Column("information_only", sa.String(length=20), nullable=False, server_default=""),
        # Annex IV: section 6 is owed for a serious risk or a home-state-only notification.
        sa.Column("section6_needed", sa.Boolean(), nullable=True),
    )


def upgrade() -> None:
    with op.batch_alter_table("notifications") as batch:
        for column in _columns():
            batch.add_column(column)


def downgrade() -> None:
    with op.batch_alter_table("notifications") as batch:
        for column in reversed(_columns()):
            batch.drop_column(column.name)
