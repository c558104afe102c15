"""The audit table as AegisSLO 0.2.0 created it before migrations existed.

A database made by that code (``audit_evaluations`` present, no version table) is
stamped at this revision instead of being created again; see aegis.store.migrate.

Revision ID: 0001
Revises:
Create Date: 2026-12-01
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision: str = "0001"
down_revision: str | None = None
branch_labels: str | None = None
depends_on: str | None = None


def upgrade() -> None:
    # Written out, not imported from _schema: a revision is frozen once released.
    op.create_table(
        "audit_evaluations",
        sa.Column("id", sa.String(), nullable=False),
        sa.Column("slo_id", sa.String(), nullable=False),
        sa.Column("service", sa.String(), nullable=False),
        sa.Column("environment", sa.String(), nullable=False),
        sa.Column("decision", sa.String(length=5), nullable=False),
        sa.Column("evaluated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("ttl_seconds", sa.Integer(), nullable=False),
        sa.Column("sli_value", sa.Double(), nullable=True),
        sa.Column("sli_error_rate", sa.Double(), nullable=True),
        sa.Column("sli_budget_remaining", sa.Double(), nullable=True),
        sa.Column("sli_window_seconds", sa.Integer(), nullable=True),
        sa.Column("is_stale", sa.Boolean(), nullable=False),
        sa.Column("has_no_traffic", sa.Boolean(), nullable=False),
        sa.Column("has_missing_data", sa.Boolean(), nullable=False),
        sa.Column("has_too_few_data_points", sa.Boolean(), nullable=False),
        sa.Column("has_clamped_data", sa.Boolean(), nullable=False),
        sa.Column("reasons", sa.JSON(), nullable=False),
        sa.Column("burn_rates", sa.JSON(), nullable=False),
        sa.Column("rules", sa.JSON(), nullable=False),
        sa.Column("data_timestamp", sa.DateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("id"),
        sa.CheckConstraint("decision IN ('ALLOW', 'WARN', 'BLOCK')", name="ck_audit_evaluations_decision"),
    )
    op.create_index("ix_audit_slo_time", "audit_evaluations", ["slo_id", "evaluated_at", "id"])
    op.create_index(
        "ix_audit_service_env_time", "audit_evaluations", ["service", "environment", "evaluated_at", "id"]
    )
    op.create_index("ix_audit_decision_time", "audit_evaluations", ["decision", "evaluated_at", "id"])
    op.create_index("ix_audit_time", "audit_evaluations", ["evaluated_at", "id"])


def downgrade() -> None:
    op.drop_table("audit_evaluations")
