"""The audit writer on a real SQLite file: group commit, backpressure, outages, shutdown."""

from __future__ import annotations

import asyncio
import logging
import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import event

from aegis.store.sql import SQLAuditStore
from aegis.store.writer import AuditWriter
from aegis.telemetry import Telemetry
from tests.audit.conftest import evaluation, stored_ids


def metric(telemetry: Telemetry, name: str) -> float:
    return telemetry.registry.get_sample_value(name) or 0.0


@contextmanager
def database_full(store: SQLAuditStore) -> Iterator[None]:
    """SQLite's own "database or disk is full": no page may be added beyond those in use."""

    def cap(dbapi_connection: Any, record: Any) -> None:
        cursor = dbapi_connection.cursor()
        pages = cursor.execute("PRAGMA page_count").fetchone()[0]
        cursor.execute(f"PRAGMA max_page_count={pages}")
        cursor.close()

    event.listen(store.engine, "connect", cap)
    store.engine.dispose()
    try:
        yield
    finally:
        event.remove(store.engine, "connect", cap)
        store.engine.dispose()


async def test_writer_commits_concurrent_records_in_groups(
    sqlite_store: SQLAuditStore, tmp_path: Path
) -> None:
    telemetry = Telemetry()
    writer = AuditWriter(sqlite_store, telemetry)
    writer.start()
    records = [evaluation() for _ in range(600)]
    await asyncio.gather(*(writer.commit(r) for r in records))
    await writer.stop()
    # Every commit returned after its record was durable: all are in the file already.
    assert stored_ids(tmp_path / "audit.db") == {r.evaluation_id for r in records}
    assert metric(telemetry, "aegis_audit_records_written_total") == 600
    assert metric(telemetry, "aegis_audit_commits_total") <= 60, "one transaction per group, not per record"
    assert metric(telemetry, "aegis_audit_unconfirmed_total") == 0


async def test_writer_applies_backpressure_instead_of_dropping(
    sqlite_store: SQLAuditStore, tmp_path: Path
) -> None:
    telemetry = Telemetry()
    writer = AuditWriter(sqlite_store, telemetry, capacity=8, max_batch=4)
    writer.start()
    records = [evaluation() for _ in range(300)]
    await asyncio.gather(*(writer.commit(r) for r in records))
    await writer.stop()
    assert len(stored_ids(tmp_path / "audit.db")) == 300
    assert metric(telemetry, "aegis_audit_dropped_total") == 0
    assert metric(telemetry, "aegis_audit_unconfirmed_total") == 0


async def test_writer_writes_the_good_records_of_a_batch_with_a_bad_one(
    sqlite_store: SQLAuditStore, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    telemetry = Telemetry()
    first = evaluation()
    await sqlite_store.record(first)
    writer = AuditWriter(sqlite_store, telemetry)
    writer.start()
    others = [evaluation() for _ in range(20)]
    duplicate = evaluation(evaluation_id=first.evaluation_id)
    with caplog.at_level(logging.ERROR):
        await asyncio.gather(*(writer.commit(r) for r in [*others[:10], duplicate, *others[10:]]))
    await writer.stop()
    assert stored_ids(tmp_path / "audit.db") == {first.evaluation_id} | {r.evaluation_id for r in others}
    assert metric(telemetry, "aegis_audit_write_failures_total") == 1
    assert writer.health.writable
    refused = [r for r in caplog.records if "refused by the store" in r.getMessage()]
    assert len(refused) == 1 and refused[0].exc_info is None
    assert first.evaluation_id in refused[0].getMessage()


async def test_writer_outage_serves_on_logs_once_and_catches_up(
    sqlite_store: SQLAuditStore, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    telemetry = Telemetry()
    writer = AuditWriter(sqlite_store, telemetry, wait=30.0, retry_initial=0.01, retry_max=0.05)
    writer.start()
    before = evaluation()
    await writer.commit(before)
    during = [evaluation() for _ in range(50)]
    with caplog.at_level(logging.WARNING), database_full(sqlite_store):
        # commit() comes back without waiting out its 30 s bound: the store is known to be down.
        async with asyncio.timeout(10):
            for record in during:
                await writer.commit(record)
        health = writer.health
        for _ in range(20):  # a few more failed retries while it stays full
            await asyncio.sleep(0.01)
        # The last pages' free space took a few rows; the rest wait in memory.
        assert len(stored_ids(tmp_path / "audit.db")) < 51
        assert metric(telemetry, "aegis_audit_store_up") == 0
    assert await writer.flush(within=10)
    await writer.stop()
    assert not health.writable and health.problem == "database or disk is full"
    assert health.queued >= 1 and health.dropped == 0
    assert stored_ids(tmp_path / "audit.db") == {before.evaluation_id} | {r.evaluation_id for r in during}
    assert writer.health.writable and metric(telemetry, "aegis_audit_store_up") == 1
    assert metric(telemetry, "aegis_audit_commit_failures_total") >= 2
    assert metric(telemetry, "aegis_audit_unconfirmed_total") >= 1
    lines = [r for r in caplog.records if r.name.startswith("aegis")]
    assert [r.levelname for r in lines] == ["ERROR", "WARNING"], [r.getMessage() for r in lines]
    assert "audit store unavailable: database or disk is full" in lines[0].getMessage()
    assert "writable again" in lines[1].getMessage()
    assert all(r.exc_info is None for r in lines)


async def test_writer_drops_and_counts_only_when_down_and_full(
    sqlite_store: SQLAuditStore, tmp_path: Path
) -> None:
    telemetry = Telemetry()
    writer = AuditWriter(sqlite_store, telemetry, capacity=5, retry_initial=0.01, retry_max=0.02)
    writer.start()
    with database_full(sqlite_store):
        for _ in range(40):
            await writer.commit(evaluation())
        written = len(stored_ids(tmp_path / "audit.db"))  # what still fitted in the last pages
        assert writer.health.queued == 5
        assert writer.health.dropped == 40 - 5 - written > 0
        assert metric(telemetry, "aegis_audit_dropped_total") == 40 - 5 - written
    assert await writer.flush(within=10)
    await writer.stop()
    assert len(stored_ids(tmp_path / "audit.db")) == written + 5


async def test_writer_stop_gives_up_after_its_grace_when_the_store_is_down(
    sqlite_store: SQLAuditStore, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    telemetry = Telemetry()
    writer = AuditWriter(sqlite_store, telemetry, retry_initial=0.01, retry_max=0.02)
    writer.start()
    with database_full(sqlite_store):
        for _ in range(40):
            await writer.commit(evaluation())
        with caplog.at_level(logging.ERROR):
            await writer.stop(grace=0.2)
    lost = 40 - len(stored_ids(tmp_path / "audit.db"))
    assert lost > 0
    assert metric(telemetry, "aegis_audit_dropped_total") == lost
    assert any(
        f"{lost} audit record(s) not confirmed written at shutdown" in r.getMessage() for r in caplog.records
    )


async def test_writer_a_record_that_finds_no_room_in_time_is_counted_as_dropped(
    sqlite_store: SQLAuditStore, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    """A healthy but stalled store (another process holds SQLite's write lock): the bounded wait wins."""
    telemetry = Telemetry()
    writer = AuditWriter(sqlite_store, telemetry, capacity=2, max_batch=2, wait=0.3)
    writer.start()
    blocker = sqlite3.connect(tmp_path / "audit.db", isolation_level=None)
    blocker.execute("BEGIN IMMEDIATE")
    try:
        with caplog.at_level(logging.ERROR):
            # Two in the stalled transaction...
            first = [asyncio.create_task(writer.commit(evaluation())) for _ in range(2)]
            for _ in range(500):
                if writer.health.queued == 0 and writer._in_flight:
                    break
                await asyncio.sleep(0.01)
            # ...two queued, and the fifth waits for room and gives up.
            results = await asyncio.gather(*first, *(writer.commit(evaluation()) for _ in range(3)))
    finally:
        blocker.execute("ROLLBACK")
        blocker.close()
    assert results == [None] * 5
    assert await writer.flush(within=20)
    await writer.stop()
    assert len(stored_ids(tmp_path / "audit.db")) == 4
    assert metric(telemetry, "aegis_audit_dropped_total") == 1
    assert metric(telemetry, "aegis_audit_unconfirmed_total") == 5
    assert [r.getMessage() for r in caplog.records] == [
        "audit record(s) dropped: no room in the audit queue within 0.3s"
    ]
