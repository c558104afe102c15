"""The scheduler with the real synthetic adapter, real engine and a real SQLite audit file."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Collection, Sequence
from dataclasses import replace
from datetime import datetime
from pathlib import Path

import pytest

from aegis.metrics.base import Measurement
from aegis.metrics.synthetic import SyntheticAdapter
from aegis.scheduler import Evaluator, LatestInMemory, Scheduler, SLOCatalog
from aegis.spec.durations import Window
from aegis.spec.loader import load_directory
from aegis.spec.model import SLO, Decision
from aegis.store.base import AuditQuery
from aegis.store.sql import SQLAuditStore
from aegis.store.writer import AuditWriter
from aegis.telemetry import Telemetry
from tests.conftest import FIXTURES


class GatedAdapter:
    """The synthetic adapter behind a gate: measure() waits until the test opens it."""

    def __init__(
        self, inner: SyntheticAdapter, *, hang_for: Collection[str] = (), fail_for: Collection[str] = ()
    ) -> None:
        self.inner = inner
        self.gate = asyncio.Event()
        self.calls: list[str] = []
        self.hang_for = hang_for
        self.fail_for = fail_for

    async def measure(self, slo: SLO, windows: Sequence[Window], at: datetime) -> Measurement:
        self.calls.append(slo.id)
        if slo.id in self.fail_for:
            raise RuntimeError("backend exploded")
        if slo.id in self.hang_for:
            await asyncio.sleep(3600)
        await self.gate.wait()
        return await self.inner.measure(slo, windows, at)

    async def aclose(self) -> None:
        return None


@pytest.fixture
def slos() -> tuple[SLO, ...]:
    return load_directory(FIXTURES / "slo" / "valid").slos


@pytest.fixture
async def store(tmp_path: Path) -> AsyncIterator[SQLAuditStore]:
    opened = SQLAuditStore.from_url(f"sqlite:///{tmp_path / 'audit.db'}")
    yield opened
    await opened.aclose()


def _scheduler(
    slos: Sequence[SLO],
    adapter: object,
    store: SQLAuditStore,
    *,
    evaluation_timeout: float = 60.0,
    startup_spread: float = 2.0,
) -> Scheduler:
    telemetry = Telemetry()
    writer = AuditWriter(store, telemetry)
    writer.start()
    evaluator = Evaluator(adapter, telemetry=telemetry, timeout=evaluation_timeout)  # type: ignore[arg-type]
    scheduler = Scheduler(
        SLOCatalog(slos),
        evaluator,
        latest=LatestInMemory(),
        listeners=[telemetry],
        journal=writer,
        startup_spread=startup_spread,
    )
    scheduler.audit_writer = writer  # type: ignore[attr-defined]
    return scheduler


async def test_scheduler_shares_one_fresh_evaluation_among_concurrent_callers(
    slos: tuple[SLO, ...], store: SQLAuditStore
) -> None:
    adapter = GatedAdapter(SyntheticAdapter.from_directory(FIXTURES / "metrics"))
    scheduler = _scheduler(slos, adapter, store)
    callers = [asyncio.create_task(scheduler.evaluate_now("api-availability")) for _ in range(10)]
    await asyncio.sleep(0.05)
    adapter.gate.set()
    results = await asyncio.gather(*callers)
    assert adapter.calls == ["api-availability"]
    assert len({r.evaluation_id for r in results}) == 1
    assert results[0].decision is Decision.ALLOW


async def test_scheduler_a_hung_adapter_does_not_stall_other_slos(
    slos: tuple[SLO, ...], store: SQLAuditStore
) -> None:
    adapter = GatedAdapter(
        SyntheticAdapter.from_directory(FIXTURES / "metrics"), hang_for={"checkout-fast-burn"}
    )
    adapter.gate.set()
    scheduler = _scheduler(slos, adapter, store, evaluation_timeout=0.3, startup_spread=0.0)
    scheduler.start()
    try:
        for _ in range(200):
            if not [s for s in scheduler.not_yet_evaluated() if s != "checkout-fast-burn"]:
                break
            await asyncio.sleep(0.01)
        assert scheduler.not_yet_evaluated() in ([], ["checkout-fast-burn"])
        assert scheduler.latest("api-availability") is not None
        timed_out = await scheduler.evaluate_now("checkout-fast-burn")
    finally:
        await scheduler.stop()
    assert timed_out.decision is Decision.WARN
    assert timed_out.has_missing_data
    assert any("timed out after 0.3s" in reason for reason in timed_out.reasons)
    assert "timed out" in (scheduler.state("checkout-fast-burn").last_error or "")


async def test_scheduler_turns_an_adapter_exception_into_warn(
    slos: tuple[SLO, ...], store: SQLAuditStore
) -> None:
    adapter = GatedAdapter(
        SyntheticAdapter.from_directory(FIXTURES / "metrics"), fail_for={"api-availability"}
    )
    scheduler = _scheduler(slos, adapter, store)
    result = await scheduler.evaluate_now("api-availability")
    assert result.decision is Decision.WARN
    assert any("backend exploded" in reason for reason in result.reasons)


async def test_scheduler_runs_each_slo_on_its_interval_and_audits_each_run(
    slos: tuple[SLO, ...], store: SQLAuditStore
) -> None:
    fast = tuple(replace(slo, evaluation_interval=Window(1)) for slo in slos if slo.id == "api-availability")
    adapter = GatedAdapter(SyntheticAdapter.from_directory(FIXTURES / "metrics"))
    adapter.gate.set()
    scheduler = _scheduler(fast, adapter, store, startup_spread=0.0)
    scheduler.start()
    try:
        for _ in range(400):
            if len(adapter.calls) >= 3:
                break
            await asyncio.sleep(0.01)
    finally:
        await scheduler.stop()
    assert len(adapter.calls) >= 3
    await scheduler.audit_writer.flush()  # type: ignore[attr-defined]
    page = await store.query(AuditQuery(slo_id="api-availability"))
    assert len(page.records) >= 3
    assert scheduler.latest("api-availability") == page.records[0]


async def test_scheduler_staggers_first_evaluations(slos: tuple[SLO, ...], store: SQLAuditStore) -> None:
    adapter = GatedAdapter(SyntheticAdapter.from_directory(FIXTURES / "metrics"))
    adapter.gate.set()
    scheduler = _scheduler(slos, adapter, store, startup_spread=1.0)
    scheduler.start()
    try:
        await asyncio.sleep(0.05)
        early = len(adapter.calls)
        for _ in range(300):
            if not scheduler.not_yet_evaluated():
                break
            await asyncio.sleep(0.01)
    finally:
        await scheduler.stop()
    assert 1 <= early < len(slos), "the first evaluations are spread out, not all at once"
    assert scheduler.not_yet_evaluated() == []


class CountingAdapter:
    """The synthetic adapter, slowed down a little, counting how many reads overlap."""

    def __init__(self, inner: SyntheticAdapter) -> None:
        self.inner = inner
        self.in_flight = 0
        self.most = 0

    async def measure(self, slo: SLO, windows: Sequence[Window], at: datetime) -> Measurement:
        self.in_flight += 1
        self.most = max(self.most, self.in_flight)
        try:
            await asyncio.sleep(0.01)
            return await self.inner.measure(slo, windows, at)
        finally:
            self.in_flight -= 1

    async def aclose(self) -> None:
        return None


async def test_evaluator_runs_at_most_its_limit_at_once_and_queues_the_rest(slos: tuple[SLO, ...]) -> None:
    """A burst of evaluations queues for slots instead of all starting (and timing out) together."""
    adapter = CountingAdapter(SyntheticAdapter.from_directory(FIXTURES / "metrics"))
    evaluator = Evaluator(adapter, telemetry=Telemetry(), timeout=5.0, max_concurrent=2)  # type: ignore[arg-type]
    burst = [replace(slos[i % len(slos)], id=f"burst-{i}") for i in range(12)]
    events = await asyncio.gather(*(evaluator.evaluate(slo) for slo in burst))
    assert adapter.most == 2
    assert len(events) == 12
    assert all(event.error_kind != "evaluation_timeout" for event in events)
