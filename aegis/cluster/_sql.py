"""The statements replicas coordinate with, on PostgreSQL; each a short transaction.

Synchronous (SQLAlchemy's engine, as the audit store): callers run them in a worker thread.
Every time comparison uses the database's clock (``clock_timestamp()``), never a replica's, so
replicas with skewed clocks still agree on who holds what.
"""

from __future__ import annotations

from collections.abc import Collection, Sequence
from dataclasses import dataclass
from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.engine import Engine, RowMapping

from aegis.engine.model import Evaluation
from aegis.store._codec import row_to_evaluation
from aegis.store._schema import evaluations, replicas, slo_latest

_NOW = sa.func.clock_timestamp()
# xid8 has no cast to bigint; its text form is a plain number.
_XID = sa.literal_column("pg_current_xact_id()::text::bigint", sa.BigInteger())
_SNAPSHOT_XMIN = sa.text("SELECT pg_snapshot_xmin(pg_current_snapshot())::text::bigint")


def _seconds(value: float) -> sa.ColumnElement[datetime]:
    return sa.func.make_interval(0, 0, 0, 0, 0, 0, sa.literal(float(value), sa.Double()))


# --- membership ------------------------------------------------------------------------------


def heartbeat(engine: Engine, replica_id: str, lease: float) -> list[str]:
    """Renew this replica's lease and return the replicas whose lease is still running."""
    with engine.begin() as connection:
        statement = insert(replicas).values(
            replica_id=replica_id, started_at=_NOW, heartbeat_at=_NOW, expires_at=_NOW + _seconds(lease)
        )
        connection.execute(
            statement.on_conflict_do_update(
                index_elements=[replicas.c.replica_id],
                set_={"heartbeat_at": _NOW, "expires_at": _NOW + _seconds(lease)},
            )
        )
        # Leases over an hour gone are history nobody reads.
        connection.execute(sa.delete(replicas).where(replicas.c.expires_at < _NOW - _seconds(3600)))
        live = connection.execute(sa.select(replicas.c.replica_id).where(replicas.c.expires_at > _NOW))
        return sorted(live.scalars())


def leave(engine: Engine, replica_id: str) -> None:
    """Give up the lease at once (a clean stop): the others take over without waiting for it."""
    with engine.begin() as connection:
        connection.execute(sa.delete(replicas).where(replicas.c.replica_id == replica_id))


def ensure_rows(engine: Engine, slo_ids: Collection[str]) -> None:
    """One aegis_slo_latest row per SLO: the claims are updates of it."""
    if not slo_ids:
        return
    with engine.begin() as connection:
        connection.execute(
            insert(slo_latest).on_conflict_do_nothing(index_elements=[slo_latest.c.slo_id]),
            [{"slo_id": slo_id} for slo_id in sorted(slo_ids)],
        )


# --- claims ----------------------------------------------------------------------------------


def claim_slot(engine: Engine, slo_id: str, replica_id: str, interval: float) -> float:
    """0.0 when this replica got the SLO's scheduled slot, else the seconds until it is free.

    A slot is free once the previous claim is ``interval`` old: at most one scheduled
    evaluation per interval across replicas, even while two of them believe they own the SLO.
    A little less, in fact (``slot_tolerance``): the owner's loop wakes one interval after its
    previous wake, and the claims land later by the query's own latency, which varies; without
    it, every other claim would arrive milliseconds early and need a second round trip.
    """
    c = slo_latest.c
    free_after = interval - slot_tolerance(interval)
    with engine.begin() as connection:
        claimed = connection.execute(
            sa.update(slo_latest)
            .where(c.slo_id == slo_id)
            .where(sa.or_(c.claimed_at.is_(None), c.claimed_at <= _NOW - _seconds(free_after)))
            .values(claimed_by=replica_id, claimed_at=_NOW)
            .returning(c.slo_id)
        ).first()
        if claimed is not None:
            return 0.0
        remaining = connection.execute(
            sa.select(sa.extract("epoch", c.claimed_at + _seconds(free_after) - _NOW)).where(
                c.slo_id == slo_id
            )
        ).scalar()
    if remaining is None:  # no row yet (a reload raced us): make it, and ask again soon
        ensure_rows(engine, [slo_id])
        return 0.05
    # A few milliseconds more than the database says, so the next try does not land just before.
    return max(float(remaining), 0.0) + 0.005


def slot_tolerance(interval: float) -> float:
    """How much earlier than a whole interval a slot may be claimed again: 5%, at most 1 s."""
    return min(0.05 * interval, 1.0)


@dataclass(frozen=True)
class FreshClaim:
    claimed: bool
    # The SLO's published version when asked: a result newer than this answers a waiting caller.
    version: int


def claim_fresh(engine: Engine, slo_id: str, replica_id: str, hold: float) -> FreshClaim:
    """Take the SLO's fresh-evaluation claim for ``hold`` seconds, unless another replica holds it."""
    c = slo_latest.c
    with engine.begin() as connection:
        query = sa.select(c.version, (c.fresh_until > _NOW).label("held")).where(c.slo_id == slo_id)
        row = connection.execute(query.with_for_update()).first()
        if row is None:
            connection.execute(insert(slo_latest).values(slo_id=slo_id).on_conflict_do_nothing())
            row = connection.execute(query.with_for_update()).first()
            assert row is not None
        if row.held:
            return FreshClaim(False, int(row.version))
        connection.execute(
            sa.update(slo_latest)
            .where(c.slo_id == slo_id)
            .values(fresh_by=replica_id, fresh_until=_NOW + _seconds(hold))
        )
        return FreshClaim(True, int(row.version))


def release_fresh(engine: Engine, slo_id: str, replica_id: str) -> None:
    c = slo_latest.c
    with engine.begin() as connection:
        connection.execute(
            sa.update(slo_latest)
            .where(c.slo_id == slo_id, c.fresh_by == replica_id)
            .values(fresh_by=None, fresh_until=None)
        )


# --- the latest evaluation -------------------------------------------------------------------


def publish(engine: Engine, evaluation: Evaluation, error: str | None, replica_id: str) -> int:
    """Make ``evaluation`` its SLO's latest (unless a newer one is there); the SLO's version after."""
    c = slo_latest.c
    values = {
        "evaluation_id": evaluation.evaluation_id,
        "evaluated_at": evaluation.timestamp,
        "evaluated_by": replica_id,
        "last_error": error,
        "write_xid": _XID,
    }
    row = insert(slo_latest).values(slo_id=evaluation.slo_id, version=1, **values)
    statement = row.on_conflict_do_update(
        index_elements=[c.slo_id],
        set_={**values, "version": c.version + 1},
        where=sa.or_(c.evaluated_at.is_(None), c.evaluated_at <= row.excluded.evaluated_at),
    ).returning(c.version)
    with engine.begin() as connection:
        version = connection.execute(statement).scalar()
    return int(version or 0)


@dataclass(frozen=True)
class LatestRow:
    slo_id: str
    version: int
    # None while the audit record it points at is not readable yet.
    evaluation: Evaluation | None
    last_error: str | None
    fresh_held: bool


def _latest_query() -> sa.Select[tuple[object, ...]]:
    c = slo_latest.c
    return (
        sa.select(
            evaluations,
            c.slo_id.label("latest_slo_id"),
            c.version.label("latest_version"),
            c.last_error.label("latest_error"),
            sa.func.coalesce(c.fresh_until > _NOW, False).label("latest_fresh_held"),
        )
        .select_from(slo_latest.outerjoin(evaluations, evaluations.c.id == c.evaluation_id))
        .where(c.evaluation_id.is_not(None))
    )


def _latest_row(row: RowMapping) -> LatestRow:
    evaluation = row_to_evaluation(row) if row["id"] is not None else None
    return LatestRow(
        row["latest_slo_id"],
        int(row["latest_version"]),
        evaluation,
        row["latest_error"],
        bool(row["latest_fresh_held"]),
    )


def read_one(engine: Engine, slo_id: str) -> LatestRow | None:
    with engine.connect() as connection:
        row = connection.execute(_latest_query().where(slo_latest.c.slo_id == slo_id)).mappings().first()
    return None if row is None else _latest_row(row)


def fresh_held(engine: Engine, slo_id: str) -> tuple[int, bool]:
    """The SLO's version, and whether a fresh evaluation of it is claimed right now."""
    c = slo_latest.c
    with engine.connect() as connection:
        row = connection.execute(
            sa.select(c.version, sa.func.coalesce(c.fresh_until > _NOW, False)).where(c.slo_id == slo_id)
        ).first()
    return (0, False) if row is None else (int(row[0]), bool(row[1]))


def read_changes(
    engine: Engine, since_xmin: int, also: Collection[str] = ()
) -> tuple[int, Sequence[LatestRow]]:
    """Rows written since ``since_xmin`` (and the SLOs in ``also``), and the xmin to ask from next.

    One REPEATABLE READ snapshot for both: a row whose transaction was still running at this
    snapshot has an xid at or above its xmin, so the next read finds it; none is missed however
    commits interleave (a sequence or a timestamp would skip one that committed late).
    """
    c = slo_latest.c
    repeatable = engine.connect().execution_options(isolation_level="REPEATABLE READ")
    with repeatable as connection, connection.begin():
        xmin = int(connection.execute(_SNAPSHOT_XMIN).scalar_one())
        condition = c.write_xid >= since_xmin
        if also:
            condition = sa.or_(condition, c.slo_id.in_(sorted(also)))
        rows = connection.execute(_latest_query().where(condition)).mappings().all()
    return xmin, [_latest_row(row) for row in rows]
