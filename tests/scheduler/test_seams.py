"""The scheduler's ports: a catalog it follows, listeners it feeds, ownership it obeys, time it is given.

Real engine, real synthetic adapter and fixtures; only time is virtual, so an hour of schedule runs in
milliseconds and the counts are exact.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Collection, Sequence
from dataclasses import replace
from datetime import datetime

import pytest

from aegis.engine.model import Evaluation
from aegis.metrics.base import Measurement
from aegis.metrics.synthetic import SyntheticAdapter
from aegis.scheduler import (
    CatalogEntry,
    Evaluated,
    Evaluator,
    LatestInMemory,
    Scheduler,
    SLOCatalog,
)
from aegis.spec.durations import Window
from aegis.spec.loader import load_directory
from aegis.spec.model import SLO, Decision
from aegis.telemetry import Telemetry
from tests._time import VirtualTime
from tests.conftest import FIXTURES


class Recorder:
    def __init__(self) -> None:
        self.events: list[Evaluated] = []

    def on_evaluation(self, event: Evaluated) -> None:
        self.events.append(event)

    def count(self, slo_id: str) -> int:
        return sum(1 for e in self.events if e.slo.id == slo_id)


class Exploding:
    def on_evaluation(self, event: Evaluated) -> None:
        raise RuntimeError("listener bug")


class OwnSome:
    def __init__(self, owned: Collection[str]) -> None:
        self.owned = set(owned)
        self.updates: list[list[str]] = []

    def owns(self, slo_id: str) -> bool:
        return slo_id in self.owned

    async def start(self, slo_ids: Collection[str]) -> None:
        return None

    async def update(self, slo_ids: Collection[str]) -> None:
        self.updates.append(sorted(slo_ids))

    async def stop(self) -> None:
        return None


@pytest.fixture
def slos() -> dict[str, SLO]:
    return {
        slo.id: replace(slo, evaluation_interval=Window(60))
        for slo in load_directory(FIXTURES / "slo" / "valid").slos
    }


def _build(
    slos: dict[str, SLO], time: VirtualTime, *listeners: object, ownership: object = None
) -> tuple[Scheduler, SLOCatalog, LatestInMemory]:
    catalog = SLOCatalog(slos.values())
    latest = LatestInMemory()
    evaluator = Evaluator(
        SyntheticAdapter.from_directory(FIXTURES / "metrics"), telemetry=Telemetry(), clock=time.clock
    )
    scheduler = Scheduler(
        catalog,
        evaluator,
        latest=latest,
        listeners=listeners,  # type: ignore[arg-type]
        ownership=ownership,  # type: ignore[arg-type]
        timer=time,
        startup_spread=0.0,
    )
    return scheduler, catalog, latest


async def test_scheduler_runs_each_slo_once_per_interval_on_virtual_time(slos: dict[str, SLO]) -> None:
    time = VirtualTime()
    recorder = Recorder()
    scheduler, _, _ = _build(slos, time, recorder)
    scheduler.start()
    try:
        await time.advance(0)
        assert {e.slo.id for e in recorder.events} == set(slos)
        await time.advance(60 * 60)
    finally:
        await scheduler.stop()
    # The first run at t=0, then one per minute for an hour.
    assert all(recorder.count(slo_id) == 61 for slo_id in slos)
    assert all(e.evaluation.timestamp.tzinfo is not None for e in recorder.events)


async def test_scheduler_a_failing_listener_does_not_stop_the_others(slos: dict[str, SLO]) -> None:
    time = VirtualTime()
    recorder = Recorder()
    scheduler, _, latest = _build(slos, time, Exploding(), recorder)
    evaluation = await scheduler.evaluate_now("api-availability")
    assert recorder.events[-1].evaluation == evaluation
    assert latest.state("api-availability").latest == evaluation


async def test_scheduler_follows_catalog_changes(slos: dict[str, SLO]) -> None:
    time = VirtualTime()
    recorder = Recorder()
    first = {k: slos[k] for k in ("api-availability", "checkout-fast-burn")}
    scheduler, catalog, latest = _build(first, time, recorder)
    scheduler.start()
    try:
        await time.advance(0)
        assert recorder.count("api-availability") == 1
        added = slos["search-slow-burn"]
        changed = replace(first["api-availability"], objective=0.9)
        change = catalog.apply([CatalogEntry(changed), CatalogEntry(added)])
        assert (change.added, change.changed, change.removed) == (
            ("search-slow-burn",),
            ("api-availability",),
            ("checkout-fast-burn",),
        )
        await time.advance(0)
        # Added and changed SLOs are evaluated at once; the removed one is forgotten and stops.
        assert recorder.count("search-slow-burn") == 1
        assert recorder.count("api-availability") == 2
        assert recorder.events[-1].slo in (changed, added)
        assert latest.state("checkout-fast-burn").latest is None
        assert "checkout-fast-burn" not in scheduler.slos
        before = recorder.count("checkout-fast-burn")
        await time.advance(600)
        assert recorder.count("checkout-fast-burn") == before
        assert recorder.count("api-availability") == 12
        with pytest.raises(KeyError):
            await scheduler.evaluate_now("checkout-fast-burn")
    finally:
        await scheduler.stop()


async def test_scheduler_an_unchanged_reload_restarts_nothing(slos: dict[str, SLO]) -> None:
    time = VirtualTime()
    recorder = Recorder()
    scheduler, catalog, _ = _build(slos, time, recorder)
    scheduler.start()
    try:
        await time.advance(0)
        count = len(recorder.events)
        change = catalog.apply([CatalogEntry(slo) for slo in slos.values()])
        await time.advance(0)
    finally:
        await scheduler.stop()
    assert not change
    assert len(recorder.events) == count


async def test_scheduler_runs_only_what_it_owns_but_answers_fresh_requests(slos: dict[str, SLO]) -> None:
    time = VirtualTime()
    recorder = Recorder()
    ownership = OwnSome({"api-availability"})
    scheduler, catalog, _ = _build(slos, time, recorder, ownership=ownership)
    scheduler.start()
    try:
        await time.advance(300)
        assert {e.slo.id for e in recorder.events} == {"api-availability"}
        assert recorder.count("api-availability") == 6
        fresh = await scheduler.evaluate_now("checkout-fast-burn")
        assert fresh.decision is Decision.BLOCK
        catalog.apply([CatalogEntry(slo) for slo in slos.values() if slo.id != "batch-zero-traffic"])
        await time.advance(0)
    finally:
        await scheduler.stop()
    assert ownership.updates and "batch-zero-traffic" not in ownership.updates[-1]


async def test_scheduler_keeps_the_latest_of_the_definition_in_force(slos: dict[str, SLO]) -> None:
    """An evaluation of a definition replaced while it ran is heard by listeners, not cached as latest."""
    old_slo = slos["api-availability"]
    new_slo = replace(old_slo, objective=0.99)
    inner = SyntheticAdapter.from_directory(FIXTURES / "metrics")
    release_old = asyncio.Event()

    class HoldsTheOldDefinition:
        async def measure(self, slo: SLO, windows: Sequence[Window], at: datetime) -> Measurement:
            if slo == old_slo:
                await release_old.wait()
            return await inner.measure(slo, windows, at)

        async def aclose(self) -> None:
            return None

    time = VirtualTime()
    recorder = Recorder()
    catalog = SLOCatalog([old_slo])
    latest = LatestInMemory()
    evaluator = Evaluator(HoldsTheOldDefinition(), telemetry=Telemetry(), clock=time.clock)
    scheduler = Scheduler(catalog, evaluator, latest=latest, listeners=[recorder], timer=time)
    old_run = asyncio.create_task(scheduler.evaluate_now("api-availability"))
    await time.settle()
    catalog.apply([CatalogEntry(new_slo)])
    new = await scheduler.evaluate_now("api-availability")
    release_old.set()
    old = await old_run
    assert latest.state("api-availability").latest == new != old
    assert [e.slo for e in recorder.events] == [new_slo, old_slo]


class SlotsEvery:
    """Claims as a shared database gives them: a slot is free ``period`` seconds after the last one
    granted, whoever asks; a fresh evaluation already under way is shared."""

    def __init__(self, time: VirtualTime, period: float) -> None:
        self.time = time
        self.period = period
        self.granted: dict[str, float] = {}
        self.refused = 0
        self.fresh_calls = 0

    async def claim_slot(self, slo_id: str, interval: float) -> float:
        last = self.granted.get(slo_id)
        now = self.time.monotonic()
        if last is not None and now - last < self.period:
            self.refused += 1
            return last + self.period - now
        self.granted[slo_id] = now
        return 0.0

    async def fresh(self, slo: SLO, evaluate: Callable[[], Awaitable[Evaluation]]) -> Evaluation:
        self.fresh_calls += 1
        return await evaluate()


async def test_scheduler_waits_for_a_slot_another_process_holds(slos: dict[str, SLO]) -> None:
    """A slot taken elsewhere (here: free every 90 s while the interval is 60 s) is waited for,
    not skipped for a whole interval, and never run twice."""
    time = VirtualTime()
    recorder = Recorder()
    claims = SlotsEvery(time, 90.0)
    catalog = SLOCatalog([slos["api-availability"]])
    evaluator = Evaluator(
        SyntheticAdapter.from_directory(FIXTURES / "metrics"), telemetry=Telemetry(), clock=time.clock
    )
    scheduler = Scheduler(
        catalog, evaluator, latest=LatestInMemory(), listeners=[recorder], claims=claims, timer=time
    )
    scheduler.start()
    try:
        await time.advance(900)
        await scheduler.evaluate_now("api-availability")
    finally:
        await scheduler.stop()
    # Runs at 0, 90, 180, ..., 900 (each refused at +60, then waited 30 s more), plus the fresh one.
    assert recorder.count("api-availability") == 11 + 1
    assert claims.refused == 10
    assert claims.fresh_calls == 1
