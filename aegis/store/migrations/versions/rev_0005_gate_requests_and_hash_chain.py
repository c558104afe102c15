"""Gate requests with their deployment context, and the audit's hash chain.

A gate request (Decide, FlaggerWebhook) is recorded as its own row: the evidence of the
evaluation that answered it, its own id, the evaluation's id in ``evaluation_ref``, when it
was answered and who asked (``deployment_id``, ``deploy_commit``, ``pipeline_url``,
``caller``, ``api_key_name``). Every row carries its place in one hash chain (``chain_seq``,
``chain_prev_hash``, ``chain_hash``); ``audit_chain_anchor`` keeps the last record retention
pruned so the rest still verifies.

Rows written before this revision get NULLs here; the upgrade's data step
(``aegis.store.chain.seal_unchained``, run after every upgrade like the v0.1.0 import) chains
them, oldest first. Plain ADD COLUMNs, never a table copy.

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-01
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision: str = "0005"
down_revision: str | None = "0004"
branch_labels: str | None = None
depends_on: str | None = None

_COLUMNS = (
    ("evaluation_ref", sa.String()),
    ("requested_at", sa.DateTime(timezone=True)),
    ("deployment_id", sa.String()),
    ("deploy_commit", sa.String()),
    ("pipeline_url", sa.String()),
    ("caller", sa.String()),
    ("api_key_name", sa.String()),
    ("chain_seq", sa.BigInteger()),
    ("chain_prev_hash", sa.String(length=64)),
    ("chain_hash", sa.String(length=64)),
)


def upgrade() -> None:
    op.create_table(
        "audit_chain_anchor",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("chain_seq", sa.BigInteger(), nullable=False),
        sa.Column("chain_hash", sa.String(length=64), nullable=False),
        sa.Column("pruned_records", sa.BigInteger(), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )
    # The anchor starts at the genesis: nothing pruned yet. Retention only ever updates it.
    op.execute(
        sa.text(
            "INSERT INTO audit_chain_anchor (id, chain_seq, chain_hash, pruned_records, updated_at) "
            "VALUES (1, 0, :genesis, 0, CURRENT_TIMESTAMP)"
        ).bindparams(genesis="0" * 64)
    )
    for name, type_ in _COLUMNS:
        op.add_column("audit_evaluations", sa.Column(name, type_, nullable=True))
    op.create_index(
        "ix_audit_deployment_time", "audit_evaluations", ["deployment_id", "evaluated_at", "id"], unique=False
    )
    op.create_index("ux_audit_chain_seq", "audit_evaluations", ["chain_seq"], unique=True)


def downgrade() -> None:
    op.drop_index("ux_audit_chain_seq", table_name="audit_evaluations")
    op.drop_index("ix_audit_deployment_time", table_name="audit_evaluations")
    for name, _ in reversed(_COLUMNS):
        op.drop_column("audit_evaluations", name)
    op.drop_table("audit_chain_anchor")
