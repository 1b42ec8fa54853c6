"""stand down and review: de-escalation plans, lessons, reviews, recommendations, documents;
conference cancellation; incident closure; closed workspace channels and attached files

Revision ID: 0009
Revises: 0008
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None


def _fk(table: str, column: str, target: str) -> sa.ForeignKeyConstraint:
    return sa.ForeignKeyConstraint(
        [column], [f"{target}.id"], name=op.f(f"fk_{table}_{column}_{target}")
    )


def upgrade() -> None:
    with op.batch_alter_table("case_conferences") as batch:
        batch.add_column(sa.Column("cancelled_at", sa.DateTime(), nullable=True))
        batch.add_column(sa.Column("cancel_reason", sa.Text(), nullable=False, server_default=""))
    # A conference with its outcome recorded is "held" in the conference's lifecycle.
    op.execute("UPDATE case_conferences SET status = 'held' WHERE status = 'concluded'")
    with op.batch_alter_table("incidents") as batch:
        batch.add_column(sa.Column("closed_at", sa.DateTime(), nullable=True))
    with op.batch_alter_table("local_channels") as batch:
        batch.add_column(sa.Column("archived_at", sa.DateTime(), nullable=True))
    with op.batch_alter_table("local_messages") as batch:
        batch.add_column(sa.Column("attachment", sa.JSON(), nullable=True))

    op.create_table(
        "de_escalations",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("incident_id", sa.Integer(), nullable=False),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("from_level", sa.String(length=20), nullable=False),
        sa.Column("to_level", sa.String(length=20), nullable=False),
        sa.Column("rationale", sa.Text(), nullable=False),
        sa.Column("scg_consultation", sa.Text(), nullable=False),
        sa.Column("residual", sa.JSON(), nullable=False),
        sa.Column("criteria", sa.Text(), nullable=False),
        sa.Column("handover", sa.Text(), nullable=False),
        sa.Column("monitoring_group", sa.Boolean(), nullable=False),
        sa.Column("rhythm", sa.String(length=40), nullable=False),
        sa.Column("approvals", sa.JSON(), nullable=False),
        sa.Column("proposed_by_id", sa.Integer(), nullable=False),
        sa.Column("proposed_at", sa.DateTime(), nullable=False),
        sa.Column("decided_at", sa.DateTime(), nullable=True),
        sa.Column("decision_id", sa.Integer(), nullable=True),
        _fk("de_escalations", "incident_id", "incidents"),
        _fk("de_escalations", "proposed_by_id", "people"),
        _fk("de_escalations", "decision_id", "decisions"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_de_escalations")),
    )
    op.create_index(
        op.f("ix_de_escalations_incident_id"), "de_escalations", ["incident_id"], unique=False
    )
    op.create_table(
        "lessons",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("incident_id", sa.Integer(), nullable=False),
        sa.Column("number", sa.Integer(), nullable=False),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("aspect", sa.String(length=40), nullable=False),
        sa.Column("recorded_by_id", sa.Integer(), nullable=False),
        sa.Column("recorded_at", sa.DateTime(), nullable=False),
        _fk("lessons", "incident_id", "incidents"),
        _fk("lessons", "recorded_by_id", "people"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_lessons")),
        sa.UniqueConstraint("incident_id", "number", name=op.f("uq_lessons_incident_id")),
    )
    op.create_index(op.f("ix_lessons_incident_id"), "lessons", ["incident_id"], unique=False)
    op.create_table(
        "reviews",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("incident_id", sa.Integer(), nullable=False),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("scheduled_for", sa.DateTime(), nullable=False),
        sa.Column("scheduled_by_id", sa.Integer(), nullable=False),
        sa.Column("findings", sa.JSON(), nullable=False),
        sa.Column("stakeholder_input", sa.Text(), nullable=False),
        sa.Column("summary", sa.Text(), nullable=False),
        sa.Column("opened_by_id", sa.Integer(), nullable=True),
        sa.Column("opened_at", sa.DateTime(), nullable=True),
        sa.Column("signed_off_by_id", sa.Integer(), nullable=True),
        sa.Column("signed_off_at", sa.DateTime(), nullable=True),
        _fk("reviews", "incident_id", "incidents"),
        _fk("reviews", "scheduled_by_id", "people"),
        _fk("reviews", "opened_by_id", "people"),
        _fk("reviews", "signed_off_by_id", "people"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_reviews")),
        sa.UniqueConstraint("incident_id", name=op.f("uq_reviews_incident_id")),
    )
    op.create_table(
        "recommendations",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("review_id", sa.Integer(), nullable=False),
        sa.Column("number", sa.Integer(), nullable=False),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("team", sa.String(length=120), nullable=False),
        sa.Column("action_id", sa.Integer(), nullable=False),
        sa.Column("created_by_id", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        _fk("recommendations", "review_id", "reviews"),
        _fk("recommendations", "action_id", "actions"),
        _fk("recommendations", "created_by_id", "people"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_recommendations")),
        sa.UniqueConstraint("review_id", "number", name=op.f("uq_recommendations_review_id")),
    )
    op.create_index(
        op.f("ix_recommendations_review_id"), "recommendations", ["review_id"], unique=False
    )
    op.create_table(
        "documents",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("incident_id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=40), nullable=False),
        sa.Column("title", sa.String(length=200), nullable=False),
        sa.Column("filename", sa.String(length=200), nullable=False),
        sa.Column("media_type", sa.String(length=120), nullable=False),
        sa.Column("content", sa.LargeBinary(), nullable=False),
        sa.Column("created_by_id", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        _fk("documents", "incident_id", "incidents"),
        _fk("documents", "created_by_id", "people"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_documents")),
    )
    op.create_index(op.f("ix_documents_incident_id"), "documents", ["incident_id"], unique=False)


def downgrade() -> None:
    for table in ("documents", "recommendations", "reviews", "lessons", "de_escalations"):
        op.drop_table(table)
    with op.batch_alter_table("local_messages") as batch:
        batch.drop_column("attachment")
    with op.batch_alter_table("local_channels") as batch:
        batch.drop_column("archived_at")
    with op.batch_alter_table("incidents") as batch:
        batch.drop_column("closed_at")
    op.execute("UPDATE case_conferences SET status = 'concluded' WHERE status = 'held'")
    with op.batch_alter_table("case_conferences") as batch:
        batch.drop_column("cancel_reason")
        batch.drop_column("cancelled_at")
