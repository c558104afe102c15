"""The audit's hash chain: every record carries the hash of the one before it.

One chain over the whole audit, not one per SLO. Records are appended by the group-commit
writer one batch per transaction, so the chain costs one lock and one index lookup (the head)
per batch, not per record; inside the batch the links are computed in memory. One chain also
covers what per-SLO chains cannot: deleting every record of an SLO, or a gate request, leaves
a gap in the sequence numbers. Replicas sharing a PostgreSQL database serialise their appends
on a transaction-scoped advisory lock (their batches interleave, each one contiguous);
SQLite's ``BEGIN IMMEDIATE`` is the same lock for processes sharing a file.

``record_hash = sha256("aegis-audit-chain-v1\\n<sequence>\\n<previous_hash>\\n" + canonical)``,
where ``canonical`` is the record's columns (every recorded field: decision, dry run, would-be
decision, budget policy, evidence, the gate request's context...) as sorted-key, compact JSON of
the values the codec writes, computed from the record as it reads back. A raw SQL edit that
changes what a record says changes its hash; the verifier (``aegis.store.verify``) names it.

The hash is not keyed: whoever can rewrite the table can recompute every hash after their edit.
Keep the head (``aegis audit verify`` prints it) somewhere else to detect that, and a cut tail.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import math
from collections.abc import Iterator, Sequence
from datetime import UTC, datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection, Engine

from aegis.store._codec import Row, evaluation_to_row, row_to_evaluation
from aegis.store._schema import chain_anchor, evaluations

GENESIS_HASH = "0" * 64
VERSION = "aegis-audit-chain-v1"
CHAIN_COLUMNS = ("chain_seq", "chain_prev_hash", "chain_hash")
# pg_advisory_xact_lock key for appends: the bytes of "aegischn" (migrate.py uses "aegisslo").
POSTGRES_CHAIN_LOCK_KEY = int.from_bytes(b"aegischn", "big")
_SEAL_BATCH = 1000


def canonical(row: Row) -> bytes:
    """Every recorded column of ``row`` (as evaluation_to_row writes it), in one fixed encoding."""
    fields = {name: _canonical_value(value) for name, value in row.items() if name not in CHAIN_COLUMNS}
    return json.dumps(
        fields, sort_keys=True, separators=(",", ":"), ensure_ascii=True, allow_nan=False
    ).encode()


def record_hash(previous_hash: str, sequence: int, row: Row) -> str:
    digest = hashlib.sha256(f"{VERSION}\n{sequence}\n{previous_hash}\n".encode())
    digest.update(canonical(row))
    return digest.hexdigest()


def stored_row_hash(previous_hash: str, sequence: int, stored: Any) -> str:
    """The hash of a row as read from the database: decoded, then encoded as when it was written."""
    return record_hash(previous_hash, sequence, evaluation_to_row(row_to_evaluation(stored)))


@contextlib.contextmanager
def append_transaction(engine: Engine) -> Iterator[Connection]:
    """A transaction that holds the chain's lock until it commits (call under the store's write lock)."""
    with engine.connect() as connection:
        if engine.dialect.name == "sqlite":
            # Take the file's write lock before reading the head: no other process can append between.
            connection.exec_driver_sql("BEGIN IMMEDIATE")
            try:
                yield connection
            except BaseException:
                connection.rollback()
                raise
            connection.commit()
            return
        with connection.begin():
            lock_chain(connection)
            yield connection


def lock_chain(connection: Connection) -> None:
    """Serialise appends between processes sharing a PostgreSQL database (no-op elsewhere)."""
    if connection.dialect.name == "postgresql":
        connection.execute(sa.select(sa.func.pg_advisory_xact_lock(POSTGRES_CHAIN_LOCK_KEY)))


def head(connection: Connection) -> tuple[int, str]:
    """(sequence, hash) of the newest chained record; the anchor's when all were pruned; (0, genesis)."""
    c = evaluations.c
    newest = connection.execute(
        sa.select(c.chain_seq, c.chain_hash)
        .where(c.chain_seq.is_not(None))
        .order_by(c.chain_seq.desc())
        .limit(1)
    ).first()
    anchor = read_anchor(connection)
    if newest is not None and (anchor is None or newest[0] > anchor[0]):
        return int(newest[0]), str(newest[1])
    return anchor if anchor is not None else (0, GENESIS_HASH)


def read_anchor(connection: Connection) -> tuple[int, str] | None:
    found = connection.execute(sa.select(chain_anchor.c.chain_seq, chain_anchor.c.chain_hash)).first()
    return None if found is None else (int(found[0]), str(found[1]))


def link(connection: Connection, rows: Sequence[Row]) -> None:
    """Give ``rows`` (about to be inserted, in order) the next places in the chain, in place."""
    sequence, previous = head(connection)
    for row in rows:
        sequence += 1
        row["chain_seq"] = sequence
        row["chain_prev_hash"] = previous
        row["chain_hash"] = previous = record_hash(previous, sequence, row)


def seal_unchained(connection: Connection) -> int:
    """Chain the rows that have no place yet, oldest first; how many. A data step of every upgrade.

    They are rows written before revision 0005, v0.1.0 history imported at upgrade, and rows an
    older replica wrote during a rolling upgrade. Sealing proves they are unchanged from now
    on, not that they were unchanged before.
    """
    lock_chain(connection)
    c = evaluations.c
    sealed = 0
    while True:
        rows = connection.execute(
            sa.select(evaluations)
            .where(c.chain_seq.is_(None))
            .order_by(c.evaluated_at, c.id)
            .limit(_SEAL_BATCH)
        ).all()
        if not rows:
            return sealed
        encoded = [evaluation_to_row(row_to_evaluation(row._mapping)) for row in rows]
        link(connection, encoded)
        for row in encoded:
            connection.execute(
                sa.update(evaluations)
                .where(c.id == row["id"])
                .values({name: row[name] for name in CHAIN_COLUMNS})
            )
        sealed += len(rows)


def move_anchor(connection: Connection, sequence: int, hash_: str, pruned: int) -> None:
    """Retention pruned the chain up to ``sequence``: that record becomes the anchor."""
    values = {"chain_seq": sequence, "chain_hash": hash_, "updated_at": datetime.now(UTC)}
    updated = connection.execute(
        sa.update(chain_anchor)
        .where(chain_anchor.c.id == 1)
        .values(**values, pruned_records=chain_anchor.c.pruned_records + pruned)
    ).rowcount
    if not updated:
        connection.execute(sa.insert(chain_anchor).values(id=1, pruned_records=pruned, **values))


def _canonical_value(value: Any) -> Any:
    if isinstance(value, datetime):
        return value.astimezone(UTC).isoformat()
    if isinstance(value, float):
        if math.isnan(value):
            return "NaN"
        if math.isinf(value):
            return "Infinity" if value > 0 else "-Infinity"
        return value
    return value
