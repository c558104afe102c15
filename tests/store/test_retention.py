"""--audit-retention on SQLite and a real PostgreSQL: small batches, writers slip in between,
and time is virtual (no real waiting for records to age)."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import event, func, select

from aegis.store._schema import evaluations
from aegis.store.retention import AuditRetention
from aegis.store.sql import SQLAuditStore
from aegis.telemetry import Telemetry
from tests._time import VirtualTime
from tests.store._evaluations import minimal_evaluation

NOW = datetime.fromisoformat("2026-01-01T00:00:00+00:00")  # VirtualTime's start


async def _seed(store: SQLAuditStore, ages: list[timedelta]) -> None:
    batch = [minimal_evaluation(f"ev-{i:05d}", NOW - age) for i, age in enumerate(ages)]
    await store.record_many(batch)


def _count(store: SQLAuditStore) -> int:
    with store.engine.connect() as connection:
        return int(connection.execute(select(func.count()).select_from(evaluations)).scalar_one())


def _oldest(store: SQLAuditStore) -> datetime:
    with store.engine.connect() as connection:
        oldest = connection.execute(select(func.min(evaluations.c.evaluated_at))).scalar_one()
    assert isinstance(oldest, datetime)
    return oldest


@contextmanager
def statements(store: SQLAuditStore) -> Iterator[list[str]]:
    """The first word of every SQL statement the store sends (INSERT, DELETE, SELECT)."""
    sent: list[str] = []

    def capture(conn: Any, cursor: Any, statement: str, *args: Any) -> None:
        sent.append(statement.split()[0].upper())

    event.listen(store.engine, "before_cursor_execute", capture)
    try:
        yield sent
    finally:
        event.remove(store.engine, "before_cursor_execute", capture)


async def test_retention_deletes_only_older_records_in_small_batches(store: SQLAuditStore) -> None:
    old = [timedelta(days=91, minutes=i) for i in range(1050)]
    young = [timedelta(days=89, minutes=i) for i in range(30)]
    await _seed(store, old + young)
    time = VirtualTime()
    telemetry = Telemetry()
    retention = AuditRetention(
        store, timedelta(days=90), telemetry, batch=200, pause=0, clock=time.clock, timer=time
    )
    with statements(store) as sent:
        deleted = await retention.prune()
    assert deleted == 1050
    assert _count(store) == 30
    assert _oldest(store) >= NOW - timedelta(days=90)
    # 200 rows per transaction: five full batches and a last one of 50.
    assert sent.count("DELETE") == 6
    assert telemetry.registry.get_sample_value("aegis_audit_pruned_records_total") == 1050


async def test_retention_lets_audit_writes_in_between_its_batches(store: SQLAuditStore) -> None:
    await _seed(store, [timedelta(days=100, seconds=i) for i in range(40)])
    written = iter(range(100))

    class WriteWhilePausing:
        """The pause between batches: an audit commit happens right there."""

        def monotonic(self) -> float:
            return 0.0

        async def sleep(self, seconds: float) -> None:
            await store.record(minimal_evaluation(f"new-{next(written)}", NOW))

    retention = AuditRetention(
        store, timedelta(days=90), Telemetry(), batch=10, clock=lambda: NOW, timer=WriteWhilePausing()
    )
    with statements(store) as sent:
        assert await retention.prune() == 40
    writes = [s for s in sent if s in ("INSERT", "DELETE")]
    # The fifth pass finds no old prefix left and deletes nothing, so it sends no DELETE.
    assert writes == ["DELETE", "INSERT"] * 4
    assert _count(store) == 4


async def _pass_done(retention: AuditRetention, time: VirtualTime, passes: int) -> None:
    """Until pass number ``passes`` finished (it runs on the store's worker thread)."""
    for _ in range(500):
        if retention.passes >= passes:
            return
        await asyncio.sleep(0.01)
        await time.settle()
    raise AssertionError(f"retention pass {passes} never finished")


async def test_retention_runs_on_its_interval_as_records_age(store: SQLAuditStore) -> None:
    await _seed(store, [timedelta(hours=2), timedelta(minutes=30), timedelta(minutes=5)])
    time = VirtualTime()
    retention = AuditRetention(
        store, timedelta(hours=1), Telemetry(), interval=600, clock=time.clock, timer=time
    )
    retention.start()
    counts = []
    try:
        for step in range(7):  # a pass every 10 minutes for an hour, none of it waited for
            if step:
                await time.advance(600)
            await _pass_done(retention, time, step + 1)
            counts.append(_count(store))
    finally:
        await retention.stop()
    # Older than one hour (strictly) at each pass: 2h at once, 30m at +40m, 5m at +60m.
    assert counts == [2, 2, 2, 2, 1, 1, 0]


async def test_retention_failure_is_one_line_per_outage(
    store: SQLAuditStore, caplog: pytest.LogCaptureFixture
) -> None:
    time = VirtualTime()
    telemetry = Telemetry()
    closed = SQLAuditStore(store.engine)
    await closed.aclose()  # every call now raises
    retention = AuditRetention(
        closed, timedelta(days=1), telemetry, interval=60, clock=time.clock, timer=time
    )
    with caplog.at_level(logging.ERROR):
        retention.start()
        try:
            for _ in range(5):
                await time.advance(60)
        finally:
            await retention.stop()
    assert (telemetry.registry.get_sample_value("aegis_audit_prune_failures_total") or 0) >= 5
    lines = [r for r in caplog.records if "audit retention failed" in r.getMessage()]
    assert len(lines) == 1 and lines[0].exc_info is None
