"""Several replicas: ``aegis_replicas`` (membership leases) and ``aegis_slo_latest``.

``aegis_slo_latest`` holds, per SLO, the latest evaluation every replica answers from and
the claims that keep each evaluation single across replicas (docs/replicas.md). Both tables
are written only when replicas share a PostgreSQL database; SQLite gets them too (one
migration path) and leaves them empty.

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-01
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision: str = "0006"
down_revision: str | None = "0005"
branch_labels: str | None = None
depends_on: str | None = None


def upgrade() -> None:
    # Written out, not imported from _schema: a revision is frozen once released.
    op.create_table(
        "aegis_replicas",
        sa.Column("replica_id", sa.String(), nullable=False),
        sa.Column("started_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("heartbeat_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("replica_id"),
    )
    op.create_table(
        "aegis_slo_latest",
        sa.Column("slo_id", sa.String(), nullable=False),
        sa.Column("evaluation_id", sa.String(), nullable=True),
        sa.Column("evaluated_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("evaluated_by", sa.String(), nullable=True),
        sa.Column("last_error", sa.String(), nullable=True),
        sa.Column("version", sa.BigInteger(), server_default="0", nullable=False),
        sa.Column("write_xid", sa.BigInteger(), server_default="0", nullable=False),
        sa.Column("claimed_by", sa.String(), nullable=True),
        sa.Column("claimed_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("fresh_by", sa.String(), nullable=True),
        sa.Column("fresh_until", sa.DateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("slo_id"),
    )
    op.create_index("ix_slo_latest_write_xid", "aegis_slo_latest", ["write_xid"])


def downgrade() -> None:
    op.drop_index("ix_slo_latest_write_xid", table_name="aegis_slo_latest")
    op.drop_table("aegis_slo_latest")
    op.drop_table("aegis_replicas")
