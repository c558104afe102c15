"""The audit log in SQL: one SQLAlchemy code path for SQLite and PostgreSQL.

The engine is SQLAlchemy's synchronous one; each call runs in a worker thread
(``asyncio.to_thread``) so the event loop never blocks on disk or network.
SQLite allows one writer at a time, so writes from this process queue on a
lock rather than race for the file lock; readers never wait, thanks to WAL.
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import os
import threading
from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import Row, Select, delete, select
from sqlalchemy.engine import URL, Connection, Engine
from sqlalchemy.exc import DataError, IntegrityError

from aegis.engine.model import Evaluation
from aegis.store import chain, database
from aegis.store._codec import evaluation_to_row, row_to_evaluation
from aegis.store._paging import Cursor, decode_page_token, encode_page_token, filter_fingerprint
from aegis.store._query import TOTAL_COLUMN, count_statement, newest_first, page_statement
from aegis.store._schema import evaluations
from aegis.store.base import MAX_LIMIT, AuditPage, AuditQuery, InvalidQueryError, RecordRejectedError
from aegis.store.database import AuditStoreOpenError
from aegis.store.migrate import SchemaPolicy
from aegis.store.verify import ChainReport, verify_chain

__all__ = ["AuditStoreOpenError", "SQLAuditStore"]


class SQLAuditStore:
    """An AuditStore on any SQLAlchemy database; build it with ``open``/``from_url``."""

    def __init__(self, engine: Engine) -> None:
        self._engine = engine
        self._closed = False
        lock: contextlib.AbstractContextManager[Any] = contextlib.nullcontext()
        if engine.dialect.name == "sqlite":
            lock = threading.Lock()
        self._write_lock = lock
        # An in-memory SQLite database is one shared connection: reads queue too.
        self._read_lock: contextlib.AbstractContextManager[Any] = (
            lock if database.is_shared_connection(engine) else contextlib.nullcontext()
        )

    @classmethod
    def open(cls, db: str, *, schema: SchemaPolicy = "auto") -> SQLAuditStore:
        """What ``--db`` accepts: a database URL, or else a SQLite file path (``aegis.db``)."""
        return cls(database.open_engine(database.target_url(db), schema).engine)

    @classmethod
    def from_url(cls, url: str, *, schema: SchemaPolicy = "auto") -> SQLAuditStore:
        """Connect and prepare the schema (``migrate.prepare``). ``postgresql://`` means psycopg 3."""
        return cls(database.open_engine(database.parse_url(url), schema).engine)

    @classmethod
    def from_sqlite_path(
        cls, path: str | os.PathLike[str], *, schema: SchemaPolicy = "auto"
    ) -> SQLAuditStore:
        """A SQLite file, created if missing (its directory must exist)."""
        return cls(database.open_engine(URL.create("sqlite", database=os.fspath(path)), schema).engine)

    @property
    def engine(self) -> Engine:
        """For operations and tests (pragmas, EXPLAIN); the store's API does not need it."""
        return self._engine

    async def record(self, evaluation: Evaluation) -> None:
        """Insert one row in its own transaction; durable once this returns.

        Errors (a duplicate evaluation_id, a full disk, a lost connection) propagate.
        """
        await self.record_many((evaluation,))

    async def record_many(self, batch: Sequence[Evaluation]) -> None:
        """Insert every row of ``batch`` in one transaction: one commit (one fsync) for all.

        All or nothing: on any error nothing of the batch is stored. RecordRejectedError when the
        rows are at fault (written alone, the others would succeed); anything else is the database.
        """
        self._check_open()
        if batch:
            # Encoding (JSON evidence) runs on the worker thread too, not on the event loop.
            await asyncio.to_thread(self._insert, batch)

    async def prune(self, before: datetime, limit: int) -> int:
        """Delete at most ``limit`` of the oldest records evaluated before ``before``; how many went.

        One short transaction, so a caller looping over batches never holds the write lock long.
        """
        self._check_open()
        if before.utcoffset() is None:
            raise ValueError(f"prune needs a timezone-aware time, got {before.isoformat()}")
        return await asyncio.to_thread(self._prune, before, limit)

    async def query(self, query: AuditQuery) -> AuditPage:
        self._check_open()
        _check_times(query)
        _check_paging(query)
        fingerprint = filter_fingerprint(query)
        # An empty token is what proto3 sends for "no token": the first page.
        cursor = decode_page_token(query.page_token, fingerprint) if query.page_token else None
        limit = min(max(query.limit, 1), MAX_LIMIT)
        # One row more than asked says whether another page exists.
        rows = await asyncio.to_thread(self._fetch, page_statement(query, cursor, limit + 1))
        if query.offset:
            rows = newest_first(rows)
        records = tuple(row_to_evaluation(row._mapping) for row in rows[:limit])
        token = None
        if len(rows) > limit:
            last = records[-1]
            token = encode_page_token(Cursor(last.timestamp, last.record_id), fingerprint)
        total = await self._total(query, cursor, rows)
        return AuditPage(records=records, next_page_token=token, total=total)

    async def _total(self, query: AuditQuery, cursor: Cursor | None, rows: Sequence[Row[Any]]) -> int:
        """The count the page's rows carry; an empty page past the start needs its own count."""
        if rows:
            return int(rows[0]._mapping[TOTAL_COLUMN])
        if cursor is None and query.offset == 0:
            return 0  # the first page is empty: nothing matches
        counted = await asyncio.to_thread(self._fetch, count_statement(query))
        return int(counted[0][0])

    async def verify_chain(self, expected_head: tuple[int, str] | None = None) -> ChainReport:
        """Walk the whole hash chain on a worker thread; reads every record once."""
        self._check_open()
        return await asyncio.to_thread(self._verify, expected_head)

    def _verify(self, expected_head: tuple[int, str] | None) -> ChainReport:
        with self._read_lock:
            return verify_chain(self._engine, expected_head=expected_head)

    async def aclose(self) -> None:
        if not self._closed:
            self._closed = True
            await asyncio.to_thread(self._engine.dispose)

    def _insert(self, batch: Sequence[Evaluation]) -> None:
        try:
            rows = [evaluation_to_row(evaluation) for evaluation in batch]
        except ValueError as err:
            raise RecordRejectedError(str(err)) from err
        try:
            with self._write_lock, chain.append_transaction(self._engine) as connection:
                chain.link(connection, rows)
                connection.execute(evaluations.insert(), rows)
        except (IntegrityError, DataError) as err:
            # The rows, not the database, are at fault (e.g. an evaluation_id stored already).
            raise RecordRejectedError(str(err.orig or err).strip().splitlines()[0]) from err

    def _prune(self, before: datetime, limit: int) -> int:
        with self._write_lock, chain.append_transaction(self._engine) as connection:
            return prune_chain_prefix(connection, before, limit)

    def _fetch(self, statement: Select[Any]) -> Sequence[Row[Any]]:
        with self._read_lock, self._engine.connect() as connection:
            return connection.execute(statement).all()

    def _check_open(self) -> None:
        if self._closed:
            raise RuntimeError("the audit store is closed")


def prune_chain_prefix(connection: Connection, before: datetime, limit: int) -> int:
    """Delete the oldest records of the chain, up to ``limit``, while they are older than ``before``.

    The chain's prefix, not merely the oldest by time: the records left must still link to the
    anchor, which becomes the last record deleted. A record written out of time order (a
    backlog, an import) stops the pass until it is old enough too.
    """
    c = evaluations.c
    oldest = connection.execute(
        select(c.chain_seq, c.chain_hash, c.evaluated_at)
        .where(c.chain_seq.is_not(None))
        .order_by(c.chain_seq)
        .limit(max(limit, 1))
    ).all()
    prefix = list(itertools.takewhile(lambda row: row.evaluated_at < before, oldest))
    if not prefix:
        return 0
    last = prefix[-1]
    deleted = connection.execute(
        delete(evaluations).where(c.chain_seq.is_not(None), c.chain_seq <= last.chain_seq)
    ).rowcount
    chain.move_anchor(connection, int(last.chain_seq), str(last.chain_hash), deleted)
    return deleted


def _check_times(query: AuditQuery) -> None:
    for name in ("start_time", "end_time"):
        moment = getattr(query, name)
        if moment is not None and moment.utcoffset() is None:
            raise InvalidQueryError(f"{name} must be timezone-aware, got {moment.isoformat()}")


def _check_paging(query: AuditQuery) -> None:
    if query.offset < 0:
        raise InvalidQueryError(f"offset must be 0 or more, got {query.offset}")
    if query.offset and query.page_token:
        raise InvalidQueryError(
            "offset cannot be combined with page_token, which already says where the page starts; "
            "send one or the other"
        )
