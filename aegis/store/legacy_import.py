"""Copy v0.1.0's history into ``audit_evaluations``, once per row, never touching v0.1.0's tables.

Rows are read in id order from just past the last one imported (``legacy_imports``),
so importing again (every start on SQLite) costs only the rows written since, e.g.
by a v0.1.0 someone rolled back to; inserting an id that exists does nothing. Each
row becomes an ``Evaluation`` (``aegis.store.legacy_v010``) with id ``v0.1.0-<id>``
and goes in through the ordinary codec. Runs inside the caller's transaction.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine import Connection

from aegis.store._codec import evaluation_to_row
from aegis.store._schema import UTCDateTime
from aegis.store.legacy_v010 import Definition, UnreadableRow, definition_from_row, to_evaluation

SOURCE = "v0.1.0 evaluations"
BATCH_ROWS = 1000
PROGRESS_ROWS = 100_000

# v0.1.0's columns, as its migrations.go created them.
V010_COLUMNS = (
    "id",
    "slo_id",
    "service",
    "environment",
    "decision",
    "sli",
    "error_rate",
    "budget_remaining",
    "is_stale",
    "has_no_traffic",
    "reasons_json",
    "burn_rates_json",
    "timestamp",
)
_v010_evaluations = sa.table("evaluations", *(sa.column(name) for name in V010_COLUMNS))
_v010_definitions = sa.table(
    "slo_definitions",
    sa.column("id"),
    sa.column("compliance_window"),
    sa.column("evaluation_interval"),
    sa.column("spec_json"),
)
# The audit table as revision 0002 left it, not as _schema says today: the import
# also runs inside that revision, before any later one. Later revisions keep these
# columns insertable (new columns nullable or with a server default).
_audit = sa.table(
    "audit_evaluations",
    *(sa.column(name, sa.String()) for name in ("id", "slo_id", "service", "environment", "decision")),
    sa.column("evaluated_at", UTCDateTime()),
    sa.column("ttl_seconds", sa.Integer()),
    *(sa.column(name, sa.Double()) for name in ("sli_value", "sli_error_rate", "sli_budget_remaining")),
    sa.column("sli_window_seconds", sa.Integer()),
    *(
        sa.column(name, sa.Boolean())
        for name in (
            "is_stale",
            "has_no_traffic",
            "has_missing_data",
            "has_too_few_data_points",
            "has_clamped_data",
        )
    ),
    *(sa.column(name, sa.JSON()) for name in ("reasons", "burn_rates", "rules")),
    sa.column("data_timestamp", UTCDateTime()),
)
_progress = sa.table(
    "legacy_imports", sa.column("source", sa.String()), sa.column("last_id", sa.BigInteger())
)


@dataclass(frozen=True)
class ImportResult:
    found: bool  # the database has v0.1.0's evaluations table
    imported: int = 0
    skipped: tuple[int, ...] = ()  # v0.1.0 ids that could not be read


def has_v010_history(connection: Connection) -> bool:
    """True when the database has a table ``evaluations`` with v0.1.0's columns."""
    inspector = sa.inspect(connection)
    if not inspector.has_table("evaluations"):
        return False
    names = {column["name"] for column in inspector.get_columns("evaluations")}
    return set(V010_COLUMNS) <= names


def import_history(connection: Connection, logger: logging.Logger | None = None) -> ImportResult:
    """Copy v0.1.0 rows not imported yet; run inside the caller's transaction."""
    if not has_v010_history(connection):
        return ImportResult(found=False)
    logger = logger or logging.getLogger(__name__)
    definitions = _read_definitions(connection)
    last_id = start_id = _last_imported(connection)
    pending = connection.execute(
        sa.select(sa.func.count()).select_from(_v010_evaluations).where(_v010_evaluations.c.id > last_id)
    ).scalar_one()
    if pending:
        # A long v0.1.0 history takes a while (docs/audit.md has figures): say why start-up waits.
        logger.info("importing %d v0.1.0 audit record(s); v0.1.0's tables stay unchanged", pending)
    imported, skipped = 0, []
    while True:
        rows = connection.execute(
            sa.select(_v010_evaluations)
            .where(_v010_evaluations.c.id > last_id)
            .order_by(_v010_evaluations.c.id)
            .limit(BATCH_ROWS)
        ).all()
        if not rows:
            break
        batch = []
        for row in rows:
            try:
                batch.append(_audit_row(row._mapping, definitions))
            except UnreadableRow as err:
                skipped.append(int(row.id))
                logger.warning("v0.1.0 audit row %s not imported: %s", row.id, err)
        if batch:
            imported += connection.execute(_insert_missing(connection), batch).rowcount
        last_id = int(rows[-1].id)
        if imported and imported % PROGRESS_ROWS < len(batch):
            logger.info("imported %d of %d v0.1.0 audit records", imported, pending)
    if last_id != start_id:
        _save_progress(connection, last_id)
    return ImportResult(found=True, imported=imported, skipped=tuple(skipped))


def _audit_row(row: Mapping[Any, Any], definitions: Mapping[str, Definition]) -> dict[str, Any]:
    evaluation = to_evaluation(row, definitions.get(str(row["slo_id"])))
    columns = _audit.c.keys()
    return {key: value for key, value in evaluation_to_row(evaluation).items() if key in columns}


def _insert_missing(connection: Connection) -> sa.Insert:
    if connection.dialect.name == "postgresql":
        return postgresql.insert(_audit).on_conflict_do_nothing(index_elements=["id"])
    if connection.dialect.name == "sqlite":
        return sqlite.insert(_audit).on_conflict_do_nothing(index_elements=["id"])
    raise NotImplementedError(f"importing v0.1.0 history into {connection.dialect.name}")


def _read_definitions(connection: Connection) -> dict[str, Definition]:
    inspector = sa.inspect(connection)
    if not inspector.has_table("slo_definitions"):
        return {}
    names = {column["name"] for column in inspector.get_columns("slo_definitions")}
    if not set(_v010_definitions.c.keys()) <= names:
        return {}
    rows = connection.execute(sa.select(_v010_definitions)).all()
    return {str(row.id): definition_from_row(row._mapping) for row in rows}


def _last_imported(connection: Connection) -> int:
    last = connection.execute(
        sa.select(_progress.c.last_id).where(_progress.c.source == SOURCE)
    ).scalar_one_or_none()
    return -1 if last is None else int(last)


def _save_progress(connection: Connection, last_id: int) -> None:
    updated = connection.execute(
        _progress.update().where(_progress.c.source == SOURCE).values(last_id=last_id)
    )
    if updated.rowcount == 0:
        connection.execute(_progress.insert().values(source=SOURCE, last_id=last_id))
