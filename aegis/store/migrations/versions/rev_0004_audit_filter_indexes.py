"""Indexes for the audit filters that had none: an SLO's decisions, a service's decisions, an environment.

At 1,000,000 rows (bench/bench_audit.py, docs/benchmarks.md) ``slo_id`` + ``decision`` walked
the decision index (200+ ms) and ``environment`` alone walked every row. Each new index ends in
the keyset order (evaluated_at, id) like the others, so a filtered newest-first page is one index
range scan, and its count is an index-only scan. Plain CREATE INDEX on both backends; on a large
PostgreSQL table an operator may prefer to create them CONCURRENTLY by hand first (same names).

Revision ID: 0004
Revises: 0003
Create Date: 2026-12-01
"""

from __future__ import annotations

from alembic import op

revision: str = "0004"
down_revision: str | None = "0003"
branch_labels: str | None = None
depends_on: str | None = None

_INDEXES = {
    "ix_audit_slo_decision_time": ["slo_id", "decision", "evaluated_at", "id"],
    "ix_audit_service_env_decision_time": ["service", "environment", "decision", "evaluated_at", "id"],
    "ix_audit_env_time": ["environment", "evaluated_at", "id"],
}


def upgrade() -> None:
    for name, columns in _INDEXES.items():
        op.create_index(name, "audit_evaluations", columns, unique=False, if_not_exists=True)


def downgrade() -> None:
    for name in reversed(list(_INDEXES)):
        op.drop_index(name, table_name="audit_evaluations", if_exists=True)
