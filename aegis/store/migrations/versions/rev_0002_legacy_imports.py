"""Where the import of v0.1.0's history has got: ``legacy_imports``.

The import itself is a data step that ``aegis.store.migrate.upgrade`` runs after
every upgrade (aegis.store.legacy_import): it must also pick up rows a
rolled-back v0.1.0 wrote after this revision ran, and it only ever reads
v0.1.0's tables, so rolling back to v0.1.0 keeps working.

Revision ID: 0002
Revises: 0001
Create Date: 2026-12-01
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision: str = "0002"
down_revision: str | None = "0001"
branch_labels: str | None = None
depends_on: str | None = None


def upgrade() -> None:
    op.create_table(
        "legacy_imports",
        sa.Column("source", sa.String(), nullable=False),
        sa.Column("last_id", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint("source"),
    )


def downgrade() -> None:
    # Imported rows stay in audit_evaluations: they are audit history, and a later
    # import skips ids that are already there.
    op.drop_table("legacy_imports")
