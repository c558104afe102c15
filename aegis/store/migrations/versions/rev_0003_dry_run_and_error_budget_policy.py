"""Dry run and the error-budget policy: ``dry_run``, ``would_be_decision``, ``budget_policy``.

An evaluation made in dry run keeps the policy's own decision in ``decision`` (the audit
records the real decision) and says so in ``dry_run``; ``would_be_decision`` keeps the
decision a gate would have answered outside the dry run. ``budget_policy`` is the
error-budget policy's evidence (JSON), NULL for SLOs without one. Rows written before this
revision read as they were: not in dry run, no budget policy.

Revision ID: 0003
Revises: 0002
Create Date: 2026-12-01
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision: str = "0003"
down_revision: str | None = "0002"
branch_labels: str | None = None
depends_on: str | None = None


def upgrade() -> None:
    # Plain ADD COLUMNs on both backends, never a table copy (batch mode would copy a table
    # made before migrations): existing rows get the defaults. sa.false() is false on
    # PostgreSQL and 0 on SQLite.
    op.add_column(
        "audit_evaluations", sa.Column("dry_run", sa.Boolean(), server_default=sa.false(), nullable=False)
    )
    op.add_column("audit_evaluations", sa.Column("would_be_decision", sa.String(length=5), nullable=True))
    op.add_column("audit_evaluations", sa.Column("budget_policy", sa.JSON(), nullable=True))


def downgrade() -> None:
    # SQLite (3.35+) drops columns in place too.
    for column in ("budget_policy", "would_be_decision", "dry_run"):
        op.drop_column("audit_evaluations", column)
