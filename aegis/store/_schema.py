"""The audit tables: one row per evaluation, indexed for the audit API's filters.

Scalars the API filters or sorts on are columns; the nested evidence (reasons,
burn rates, rule outcomes) is JSON because it is only ever read back whole.

This module is the schema the code expects; the database gets there only through
the revisions in ``aegis/store/migrations/versions``. Change a table here, then
add a revision (docs/audit.md, "Adding a revision"): a test fails while the two differ.
"""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    CheckConstraint,
    Column,
    DateTime,
    Double,
    Index,
    Integer,
    MetaData,
    String,
    Table,
)
from sqlalchemy import false as sa_false
from sqlalchemy.engine import Dialect
from sqlalchemy.types import TypeDecorator

from aegis.spec.model import Decision


class UTCDateTime(TypeDecorator[datetime]):
    """A timezone-aware instant, stored as UTC on every backend.

    PostgreSQL keeps it as ``timestamptz``. SQLite has no time type, so
    SQLAlchemy writes fixed-width text (``2024-05-01 12:00:00.000000``); because
    every value is converted to UTC first, text order is time order and the
    indexes sort correctly. Naive datetimes are refused: their instant is unknown.
    """

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None or value.utcoffset() is None:
            raise ValueError(f"audit timestamps must be timezone-aware, got naive {value.isoformat()}")
        utc = value.astimezone(UTC)
        # SQLite's DATETIME ignores tzinfo; drop it so nothing suggests otherwise.
        return utc.replace(tzinfo=None) if dialect.name == "sqlite" else utc

    def process_result_value(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            return value.replace(tzinfo=UTC)
        return value.astimezone(UTC)


metadata = MetaData()

evaluations = Table(
    "audit_evaluations",
    metadata,
    Column("id", String, primary_key=True),  # Evaluation.evaluation_id
    Column("slo_id", String, nullable=False),
    Column("service", String, nullable=False),
    Column("environment", String, nullable=False),
    Column("decision", String(5), nullable=False),
    Column("evaluated_at", UTCDateTime(), nullable=False),  # Evaluation.timestamp
    Column("ttl_seconds", Integer, nullable=False),
    # All four are NULL when the evaluation had no SLI; sli_window_seconds is
    # the marker (see _codec for why the values alone are not).
    Column("sli_value", Double, nullable=True),
    Column("sli_error_rate", Double, nullable=True),
    Column("sli_budget_remaining", Double, nullable=True),
    Column("sli_window_seconds", Integer, nullable=True),
    Column("is_stale", Boolean, nullable=False),
    Column("has_no_traffic", Boolean, nullable=False),
    Column("has_missing_data", Boolean, nullable=False),
    Column("has_too_few_data_points", Boolean, nullable=False),
    Column("has_clamped_data", Boolean, nullable=False),
    Column("reasons", JSON, nullable=False),
    Column("burn_rates", JSON, nullable=False),
    Column("rules", JSON, nullable=False),
    Column("data_timestamp", UTCDateTime(), nullable=True),
    # Revision 0003: dry run and the error-budget policy. Rows written before have neither.
    Column("dry_run", Boolean, nullable=False, server_default=sa_false()),
    Column("would_be_decision", String(5), nullable=True),
    # {"block_below", "warn_below", "budget_remaining", "action"}; NULL without a budget policy.
    Column("budget_policy", JSON(none_as_null=True), nullable=True),
    # Revision 0005: gate requests and the hash chain. A gate-request record is the evaluation that
    # answered it (evidence, decision and evaluated_at are the evaluation's) under its own id, with
    # the evaluation's id in evaluation_ref, and who asked. NULL on evaluation records.
    Column("evaluation_ref", String, nullable=True),
    Column("requested_at", UTCDateTime(), nullable=True),
    Column("deployment_id", String, nullable=True),
    Column("deploy_commit", String, nullable=True),
    Column("pipeline_url", String, nullable=True),
    Column("caller", String, nullable=True),
    Column("api_key_name", String, nullable=True),
    # aegis.store.chain: position, predecessor's hash and own hash; NULL only on rows written
    # behind the gate's back (pre-0005 rows and v0.1.0 imports are sealed at upgrade).
    Column("chain_seq", BigInteger, nullable=True),
    Column("chain_prev_hash", String(64), nullable=True),
    Column("chain_hash", String(64), nullable=True),
    CheckConstraint(
        "decision IN ({})".format(", ".join(f"'{d.name}'" for d in Decision)),
        name="ck_audit_evaluations_decision",
    ),
)

# Every index ends in (evaluated_at, id), the keyset order, so a filtered,
# newest-first page is one backwards index range scan with no sort.
Index("ix_audit_slo_time", evaluations.c.slo_id, evaluations.c.evaluated_at, evaluations.c.id)
Index(
    "ix_audit_service_env_time",
    evaluations.c.service,
    evaluations.c.environment,
    evaluations.c.evaluated_at,
    evaluations.c.id,
)
Index("ix_audit_decision_time", evaluations.c.decision, evaluations.c.evaluated_at, evaluations.c.id)
Index("ix_audit_time", evaluations.c.evaluated_at, evaluations.c.id)
# Revision 0004: the filters that had no index of their own at 1,000,000 rows (bench_audit.py,
# docs/benchmarks.md): an SLO's WARNs or BLOCKs (walked the decision index, 200+ ms), a
# service's decisions of one kind, and an environment alone (walked every row).
Index(
    "ix_audit_slo_decision_time",
    evaluations.c.slo_id,
    evaluations.c.decision,
    evaluations.c.evaluated_at,
    evaluations.c.id,
)
Index(
    "ix_audit_service_env_decision_time",
    evaluations.c.service,
    evaluations.c.environment,
    evaluations.c.decision,
    evaluations.c.evaluated_at,
    evaluations.c.id,
)
Index("ix_audit_env_time", evaluations.c.environment, evaluations.c.evaluated_at, evaluations.c.id)
Index(
    "ix_audit_deployment_time",
    evaluations.c.deployment_id,
    evaluations.c.evaluated_at,
    evaluations.c.id,
)
# The chain's order: the head is the last entry, verification walks it, retention prunes its prefix.
Index("ux_audit_chain_seq", evaluations.c.chain_seq, unique=True)

# The chain's anchor: the last record retention pruned (one row, id 1), so that the records left
# still link to something the verifier can check.
chain_anchor = Table(
    "audit_chain_anchor",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("chain_seq", BigInteger, nullable=False),
    Column("chain_hash", String(64), nullable=False),
    Column("pruned_records", BigInteger, nullable=False),
    Column("updated_at", UTCDateTime(), nullable=False),
)

# How far each import from an older product has got, so that importing again (every
# start on SQLite) reads only rows written since, e.g. by a v0.1.0 someone rolled back to.
legacy_imports = Table(
    "legacy_imports",
    metadata,
    Column("source", String, primary_key=True),  # e.g. "v0.1.0 evaluations"
    Column("last_id", BigInteger, nullable=False),  # highest source row id imported
)

# --- Several replicas on one PostgreSQL (revision 0006, docs/replicas.md) ---------------------------

# One row per live replica: its lease. A replica whose lease expired (by the database's clock) is
# gone, and its SLOs go to the others. Rows are renewed every third of the lease.
replicas = Table(
    "aegis_replicas",
    metadata,
    Column("replica_id", String, primary_key=True),
    Column("started_at", UTCDateTime(), nullable=False),
    Column("heartbeat_at", UTCDateTime(), nullable=False),
    Column("expires_at", UTCDateTime(), nullable=False),
)

# One row per SLO: its latest evaluation (the audit record it points at), and the two claims that
# keep evaluations single across replicas: the scheduled slot (claimed_at: at most one claim per
# evaluation interval) and a fresh evaluation in progress (fresh_until: one at a time).
slo_latest = Table(
    "aegis_slo_latest",
    metadata,
    Column("slo_id", String, primary_key=True),
    Column("evaluation_id", String, nullable=True),
    Column("evaluated_at", UTCDateTime(), nullable=True),
    Column("evaluated_by", String, nullable=True),
    # The data-source error behind the latest evaluation; NULL when it read cleanly.
    Column("last_error", String, nullable=True),
    # +1 per published evaluation: what a replica waiting for a fresh evaluation watches.
    Column("version", BigInteger, nullable=False, server_default="0"),
    # The writing transaction's id (PostgreSQL xid8 as a number): replicas read only rows written by
    # transactions not yet finished at their previous read (pg_snapshot_xmin), so no write is missed.
    Column("write_xid", BigInteger, nullable=False, server_default="0"),
    Column("claimed_by", String, nullable=True),
    Column("claimed_at", UTCDateTime(), nullable=True),
    Column("fresh_by", String, nullable=True),
    Column("fresh_until", UTCDateTime(), nullable=True),
)
Index("ix_slo_latest_write_xid", slo_latest.c.write_xid)
