"""the plan's authorities and what the sources carry: CAM-EP's lead SCS, a case conference's
grounds, ERCO's second case and a policy owner outside DBT, a lowering of the level awaiting
its second approval, a group's exit strategy, COBR's timings for the CRIP, the home authority

Revision ID: 0021
Revises: 0023
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0021"
down_revision = "0023"
branch_labels = None
depends_on = None


def _columns() -> dict[str, tuple[sa.Column, ...]]:
    return {
        # 2.13: CAM-EP is led by the relevant senior civil servant, named when TTG activates it.
        "issues": (
            sa.Column(
                "cam_ep_lead_id",
                sa.Integer(),
                sa.ForeignKey("people.id", name="fk_issues_cam_ep_lead_id_people"),
                nullable=True,
            ),
        ),
        # 2.15: the grounds on which a case conference takes place.
        "case_conferences": (sa.Column("grounds", sa.JSON(), nullable=True),),
        "incidents": (
            # 3.17: an incident that "could develop to be" High or Critical, and why.
            sa.Column(
                "erco_could_develop", sa.Boolean(), nullable=False, server_default=sa.false()
            ),
            sa.Column("erco_could_develop_why", sa.Text(), nullable=False, server_default=""),
            # 3.17: a policy owner outside DBT, whose equivalent body coordinates instead.
            sa.Column(
                "erco_policy_owner", sa.String(length=200), nullable=False, server_default=""
            ),
            # 3.26: a lowering of the level proposed, awaiting its second approval.
            sa.Column("level_lowering", sa.JSON(), nullable=True),
        ),
        # 3.16: the exit strategy considered when one of the other groups is set up.
        "incident_groups": (
            sa.Column("exit_strategy", sa.Text(), nullable=False, server_default=""),
        ),
        # 3.24: COBR's agreed time for OPSS's contribution to the CRIP, which the cut-off follows.
        "sitrep_schedules": (
            sa.Column("crip_local", sa.String(length=5), nullable=True),
            sa.Column("crip_lead_minutes", sa.Integer(), nullable=True),
            sa.Column("crip_agreed", sa.Text(), nullable=False, server_default=""),
        ),
        # 3.24: a sitrep that feeds the CRIP, and when COBR expects it.
        "sitreps": (
            sa.Column("feeds_crip", sa.Boolean(), nullable=False, server_default=sa.false()),
            sa.Column("crip_due", sa.DateTime(), nullable=True),
        ),
        # Guidance sections 1 and 4: the home authority told (or the same authority).
        "notifications": (
            sa.Column("home_authority", sa.Text(), nullable=False, server_default=""),
        ),
    }


def upgrade() -> None:
    for table, columns in _columns().items():
        with op.batch_alter_table(table) as batch:
            for column in columns:
                batch.add_column(column)


def downgrade() -> None:
    for table, columns in reversed(list(_columns().items())):
        with op.batch_alter_table(table) as batch:
            for column in reversed(columns):
                batch.drop_column(column.name)
