"""command and control: groups, roles, strategy, ERCO, engagement, action chasing

Revision ID: 0008
Revises: 0007
Create Date: 2026-11-30 10:13:02.395133
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "engagement_plans",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("incident_id", sa.Integer(), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("partners", sa.JSON(), nullable=False),
        sa.Column("fields", sa.JSON(), nullable=False),
        sa.Column("recorded_by_id", sa.Integer(), nullable=False),
        sa.Column("recorded_at", sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["incident_id"],
            ["incidents.id"],
            name=op.f("fk_engagement_plans_incident_id_incidents"),
        ),
        sa.ForeignKeyConstraint(
            ["recorded_by_id"],
            ["people.id"],
            name=op.f("fk_engagement_plans_recorded_by_id_people"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_engagement_plans")),
        sa.UniqueConstraint("incident_id", "version", name=op.f("uq_engagement_plans_incident_id")),
    )
    with op.batch_alter_table("engagement_plans", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_engagement_plans_incident_id"), ["incident_id"], unique=False
        )

    op.create_table(
        "engagements",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("incident_id", sa.Integer(), nullable=False),
        sa.Column("partner", sa.String(length=200), nullable=False),
        sa.Column("what", sa.Text(), nullable=False),
        sa.Column("via", sa.String(length=40), nullable=False),
        sa.Column("told_at", sa.DateTime(), nullable=False),
        sa.Column("told_by", sa.String(length=200), nullable=False),
        sa.Column("recorded_by_id", sa.Integer(), nullable=False),
        sa.Column("recorded_at", sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["incident_id"], ["incidents.id"], name=op.f("fk_engagements_incident_id_incidents")
        ),
        sa.ForeignKeyConstraint(
            ["recorded_by_id"], ["people.id"], name=op.f("fk_engagements_recorded_by_id_people")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_engagements")),
    )
    with op.batch_alter_table("engagements", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_engagements_incident_id"), ["incident_id"], unique=False
        )

    op.create_table(
        "incident_groups",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("incident_id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=40), nullable=False),
        sa.Column("name", sa.String(length=120), nullable=False),
        sa.Column("chair_id", sa.Integer(), nullable=True),
        sa.Column("members", sa.JSON(), nullable=False),
        sa.Column("chair_justification", sa.Text(), nullable=False),
        sa.Column("opened_by_id", sa.Integer(), nullable=False),
        sa.Column("opened_at", sa.DateTime(), nullable=False),
        sa.Column("closed_at", sa.DateTime(), nullable=True),
        sa.ForeignKeyConstraint(
            ["chair_id"], ["people.id"], name=op.f("fk_incident_groups_chair_id_people")
        ),
        sa.ForeignKeyConstraint(
            ["incident_id"], ["incidents.id"], name=op.f("fk_incident_groups_incident_id_incidents")
        ),
        sa.ForeignKeyConstraint(
            ["opened_by_id"], ["people.id"], name=op.f("fk_incident_groups_opened_by_id_people")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_incident_groups")),
    )
    with op.batch_alter_table("incident_groups", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_incident_groups_incident_id"), ["incident_id"], unique=False
        )

    op.create_table(
        "incident_roles",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("incident_id", sa.Integer(), nullable=False),
        sa.Column("role", sa.String(length=40), nullable=False),
        sa.Column("area", sa.String(length=120), nullable=False),
        sa.Column("person_id", sa.Integer(), nullable=False),
        sa.Column("justification", sa.Text(), nullable=False),
        sa.Column("assigned_by_id", sa.Integer(), nullable=False),
        sa.Column("assigned_at", sa.DateTime(), nullable=False),
        sa.Column("ended_at", sa.DateTime(), nullable=True),
        sa.ForeignKeyConstraint(
            ["assigned_by_id"], ["people.id"], name=op.f("fk_incident_roles_assigned_by_id_people")
        ),
        sa.ForeignKeyConstraint(
            ["incident_id"], ["incidents.id"], name=op.f("fk_incident_roles_incident_id_incidents")
        ),
        sa.ForeignKeyConstraint(
            ["person_id"], ["people.id"], name=op.f("fk_incident_roles_person_id_people")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_incident_roles")),
    )
    with op.batch_alter_table("incident_roles", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_incident_roles_incident_id"), ["incident_id"], unique=False
        )

    op.create_table(
        "strategies",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("incident_id", sa.Integer(), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("fields", sa.JSON(), nullable=False),
        sa.Column("decision_id", sa.Integer(), nullable=False),
        sa.Column("recorded_by_id", sa.Integer(), nullable=False),
        sa.Column("recorded_at", sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["decision_id"], ["decisions.id"], name=op.f("fk_strategies_decision_id_decisions")
        ),
        sa.ForeignKeyConstraint(
            ["incident_id"], ["incidents.id"], name=op.f("fk_strategies_incident_id_incidents")
        ),
        sa.ForeignKeyConstraint(
            ["recorded_by_id"], ["people.id"], name=op.f("fk_strategies_recorded_by_id_people")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_strategies")),
        sa.UniqueConstraint("incident_id", "version", name=op.f("uq_strategies_incident_id")),
    )
    with op.batch_alter_table("strategies", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_strategies_incident_id"), ["incident_id"], unique=False
        )

    with op.batch_alter_table("actions", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("group", sa.String(length=40), nullable=False, server_default="")
        )
        batch_op.add_column(
            sa.Column("progress_note", sa.Text(), nullable=False, server_default="")
        )
        batch_op.add_column(sa.Column("chased_until", sa.DateTime(), nullable=True))
        batch_op.add_column(sa.Column("next_run_at", sa.DateTime(), nullable=True))
        batch_op.add_column(sa.Column("overdue_at", sa.DateTime(), nullable=True))
        batch_op.add_column(
            sa.Column("escalated_to", sa.String(length=200), nullable=False, server_default="")
        )
        batch_op.create_index(batch_op.f("ix_actions_next_run_at"), ["next_run_at"], unique=False)

    with op.batch_alter_table("incidents", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("erco_engaged_by", sa.String(length=200), nullable=False, server_default="")
        )
        batch_op.add_column(sa.Column("erco_engaged_at", sa.DateTime(), nullable=True))
        batch_op.add_column(sa.Column("erco_ert", sa.Boolean(), nullable=True))

    # Open actions from before chasing existed are still flagged when they fall overdue.
    op.execute(
        "UPDATE actions SET chased_until = assigned_at, next_run_at = due_at WHERE status = 'open'"
    )


def downgrade() -> None:
    with op.batch_alter_table("incidents", schema=None) as batch_op:
        batch_op.drop_column("erco_ert")
        batch_op.drop_column("erco_engaged_at")
        batch_op.drop_column("erco_engaged_by")

    with op.batch_alter_table("actions", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_actions_next_run_at"))
        batch_op.drop_column("escalated_to")
        batch_op.drop_column("overdue_at")
        batch_op.drop_column("next_run_at")
        batch_op.drop_column("chased_until")
        batch_op.drop_column("progress_note")
        batch_op.drop_column("group")

    with op.batch_alter_table("strategies", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_strategies_incident_id"))

    op.drop_table("strategies")
    with op.batch_alter_table("incident_roles", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_incident_roles_incident_id"))

    op.drop_table("incident_roles")
    with op.batch_alter_table("incident_groups", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_incident_groups_incident_id"))

    op.drop_table("incident_groups")
    with op.batch_alter_table("engagements", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_engagements_incident_id"))

    op.drop_table("engagements")
    with op.batch_alter_table("engagement_plans", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_engagement_plans_incident_id"))

    op.drop_table("engagement_plans")
