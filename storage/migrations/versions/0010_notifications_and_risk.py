"""notifications and risk assessments

Revision ID: 0010
Revises: 0009
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0010"
down_revision = "0009"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "risk_assessments",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("subject", sa.String(length=20), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("method", sa.String(length=40), nullable=False),
        sa.Column("inputs", sa.JSON(), nullable=False),
        sa.Column("level", sa.String(length=40), nullable=False),
        sa.Column("serious", sa.Boolean(), nullable=False),
        sa.Column("path", sa.JSON(), nullable=False),
        sa.Column("meaning", sa.Text(), nullable=False),
        sa.Column("assessed_by_id", sa.Integer(), nullable=False),
        sa.Column("assessed_at", sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["assessed_by_id"],
            ["people.id"],
            name=op.f("fk_risk_assessments_assessed_by_id_people"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_risk_assessments")),
        sa.UniqueConstraint("subject", "version", name=op.f("uq_risk_assessments_subject")),
    )
    with op.batch_alter_table("risk_assessments") as batch_op:
        batch_op.create_index(batch_op.f("ix_risk_assessments_subject"), ["subject"])

    op.create_table(
        "notifications",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("reference", sa.String(length=20), nullable=False),
        sa.Column("kind", sa.String(length=30), nullable=False),
        sa.Column("annex", sa.String(length=4), nullable=False),
        sa.Column("product_type", sa.String(length=20), nullable=False),
        sa.Column("issue_id", sa.Integer(), nullable=True),
        sa.Column("incident_id", sa.Integer(), nullable=True),
        sa.Column("answers_id", sa.Integer(), nullable=True),
        sa.Column("answers_text", sa.String(length=200), nullable=False),
        sa.Column("changes_id", sa.Integer(), nullable=True),
        sa.Column("trigger_date", sa.Date(), nullable=False),
        sa.Column("due_date", sa.Date(), nullable=False),
        sa.Column("clock_days", sa.Integer(), nullable=False),
        sa.Column("clock_source", sa.Text(), nullable=False),
        sa.Column("remind_at", sa.DateTime(), nullable=False),
        sa.Column("overdue_at", sa.DateTime(), nullable=False),
        sa.Column("owner_id", sa.Integer(), nullable=False),
        sa.Column("recorded_by_id", sa.Integer(), nullable=False),
        sa.Column("recorded_at", sa.DateTime(), nullable=False),
        sa.Column("surface", sa.String(length=20), nullable=False),
        sa.Column("conversation", sa.String(length=200), nullable=False),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("values", sa.JSON(), nullable=False),
        sa.Column("sent_at", sa.DateTime(), nullable=True),
        sa.Column("sent_by_id", sa.Integer(), nullable=True),
        sa.Column("section6_due", sa.Date(), nullable=True),
        sa.Column("section6_sent_at", sa.DateTime(), nullable=True),
        sa.Column("next_run_at", sa.DateTime(), nullable=True),
        sa.ForeignKeyConstraint(
            ["issue_id"], ["issues.id"], name=op.f("fk_notifications_issue_id_issues")
        ),
        sa.ForeignKeyConstraint(
            ["incident_id"], ["incidents.id"], name=op.f("fk_notifications_incident_id_incidents")
        ),
        sa.ForeignKeyConstraint(
            ["answers_id"],
            ["notifications.id"],
            name=op.f("fk_notifications_answers_id_notifications"),
        ),
        sa.ForeignKeyConstraint(
            ["changes_id"],
            ["notifications.id"],
            name=op.f("fk_notifications_changes_id_notifications"),
        ),
        sa.ForeignKeyConstraint(
            ["owner_id"], ["people.id"], name=op.f("fk_notifications_owner_id_people")
        ),
        sa.ForeignKeyConstraint(
            ["recorded_by_id"], ["people.id"], name=op.f("fk_notifications_recorded_by_id_people")
        ),
        sa.ForeignKeyConstraint(
            ["sent_by_id"], ["people.id"], name=op.f("fk_notifications_sent_by_id_people")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_notifications")),
        sa.UniqueConstraint("reference", name=op.f("uq_notifications_reference")),
    )
    with op.batch_alter_table("notifications") as batch_op:
        for column in ("issue_id", "incident_id", "owner_id", "status", "next_run_at"):
            batch_op.create_index(batch_op.f(f"ix_notifications_{column}"), [column])

    # A notification's clock may belong to an issue that has no incident.
    with op.batch_alter_table("firings") as batch_op:
        batch_op.alter_column("incident_id", existing_type=sa.Integer(), nullable=True)


def downgrade() -> None:
    with op.batch_alter_table("firings") as batch_op:
        batch_op.alter_column("incident_id", existing_type=sa.Integer(), nullable=False)
    op.drop_table("notifications")
    op.drop_table("risk_assessments")
