"""indexes for flat reads: the queries of lists, App Home, cards and the tick

Revision ID: 0007
Revises: 0006
Create Date: 2026-11-30 10:15:00
"""

from __future__ import annotations

from alembic import op

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None

# (name, table, columns): declared in storage/models.py (FLAT_READS), which says what each serves.
INDEXES = (
    ("ix_decisions_incident_recent", "decisions", ["incident_id", "id"]),
    ("ix_decisions_incident_recorded", "decisions", ["incident_id", "recorded_at"]),
    ("ix_decisions_supersedes_id", "decisions", ["supersedes_id"]),
    ("ix_actions_owner_open", "actions", ["owner_id", "status", "due_at"]),
    ("ix_actions_incident_open", "actions", ["incident_id", "status", "due_at"]),
    ("ix_issues_raised_by_id", "issues", ["raised_by_id"]),
    ("ix_incidents_status", "incidents", ["status"]),
    ("ix_case_conferences_issue_latest", "case_conferences", ["issue_id", "id"]),
    ("ix_sitrep_updates_incident_cutoff", "sitrep_updates", ["incident_id", "cutoff_at"]),
    ("ix_rhythm_events_due", "rhythm_events", ["active", "next_run_at"]),
    ("ix_sitrep_schedules_due", "sitrep_schedules", ["active", "next_run_at"]),
)


def upgrade() -> None:
    for name, table, columns in INDEXES:
        op.create_index(name, table, columns)


def downgrade() -> None:
    for name, table, _ in reversed(INDEXES):
        op.drop_index(name, table_name=table)
