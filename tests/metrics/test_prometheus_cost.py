"""What an evaluation cycle costs in HTTP requests, counted by the adapter and by a proxy.

v0.1.0 asked one request per query and window, serially: 2 x 5 = 10 per SLO
for the README's windows. Here an SLO costs 2 (values + timeline) whatever its
number of windows, SLOs whose queries differ only in one label's value (a family)
cost 2 together, identical queries are asked once per cycle, and never more
than ``max_concurrency`` requests are in flight.

Request counts must not depend on how loaded the machine is: the counting tests use
timeouts far beyond any answer's time (a timed-out attempt is retried, which adds a
request) and check that nothing was retried.
"""

from __future__ import annotations

import asyncio
import dataclasses
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from aegis.metrics.prometheus import PrometheusAdapter, PrometheusConfig
from aegis.spec.loader import load_file
from aegis.spec.model import SLO
from aegis.telemetry import Telemetry
from tests._prometheus import ServerProcess
from tests.metrics._faultproxy import FaultProxy
from tests.metrics._scenarios import availability_slo, fast_config

pytestmark = pytest.mark.prometheus

FIXTURES = Path(__file__).resolve().parents[2] / "fixtures"
CYCLE = [availability_slo(s) for s in ("healthy", "fast-burn", "slow-burn", "spike", "api")]


def _naive_requests(slos: list[SLO]) -> int:
    """One request per query (good, total) and window, as v0.1.0 did."""
    return sum(2 * len(slo.windows) for slo in slos)


def counting_config(url: str, **changes: Any) -> PrometheusConfig:
    """No attempt times out on a loaded machine, so none is retried: the count is the plan's."""
    return fast_config(url, query_timeout=60.0, evaluation_budget=100.0, **changes)


def _sent_once_each(adapter: PrometheusAdapter) -> None:
    assert adapter.stats.retries_total == 0
    assert adapter.requests_by_outcome == {"success": adapter.requests_total}


async def test_prometheus_cycle_of_five_slos_costs_ten_requests(
    make_adapter: Callable[..., PrometheusAdapter], proxy: FaultProxy
) -> None:
    """Each SLO on its own (no batching): values + timeline, whatever its five windows."""
    adapter = make_adapter(counting_config(proxy.url, batch_window=0))
    at = datetime.now(UTC)
    measurements = await asyncio.gather(*(adapter.measure(s, s.windows, at) for s in CYCLE))
    assert all(not s.error for m in measurements for s in m.windows.values())
    assert _naive_requests(CYCLE) == 50
    _sent_once_each(adapter)
    assert adapter.requests_total == proxy.requests == 2 * len(CYCLE)


async def test_prometheus_family_of_five_slos_costs_two_requests(
    make_adapter: Callable[..., PrometheusAdapter], proxy: FaultProxy
) -> None:
    """The five differ only in ``service``: one values query and one timeline for all of them."""
    adapter = make_adapter(counting_config(proxy.url))
    at = datetime.now(UTC)
    measurements = await asyncio.gather(*(adapter.measure(s, s.windows, at) for s in CYCLE))
    assert all(not s.error for m in measurements for s in m.windows.values())
    _sent_once_each(adapter)
    assert adapter.requests_total == proxy.requests == 2
    assert adapter.batched_total == 2 * (len(CYCLE) - 1)
    assert all(" by (service) " in seen.form["query"] for seen in proxy.seen)


async def test_prometheus_same_query_in_two_slos_is_asked_once(
    make_adapter: Callable[..., PrometheusAdapter], proxy: FaultProxy
) -> None:
    first = availability_slo("healthy")
    twin = dataclasses.replace(first, id="healthy-twin", service="other-team")
    adapter = make_adapter(counting_config(proxy.url))
    at = datetime.now(UTC)
    together = await asyncio.gather(
        adapter.measure(first, first.windows, at), adapter.measure(twin, twin.windows, at)
    )
    assert together[0].windows == together[1].windows
    assert proxy.requests == 2
    assert adapter.stats.shared_total == 2
    # Later in the same cycle, from the short-lived cache.
    await adapter.measure(twin, twin.windows, at)
    assert proxy.requests == 2
    assert adapter.stats.cached_total == 2


async def test_prometheus_instants_in_one_alignment_step_share_requests(
    make_adapter: Callable[..., PrometheusAdapter], proxy: FaultProxy
) -> None:
    """SLOs evaluated a few seconds apart ask for the same aligned time."""
    slo = availability_slo("healthy")
    adapter = make_adapter(counting_config(proxy.url, time_alignment=60))
    start = datetime.now(UTC).replace(second=10, microsecond=0)
    one = await adapter.measure(slo, slo.windows, start)
    two = await adapter.measure(slo, slo.windows, start + timedelta(seconds=30))
    assert one.at == two.at == start.replace(second=0)
    assert proxy.requests == 2


async def test_prometheus_failures_are_not_cached(
    make_adapter: Callable[..., PrometheusAdapter], proxy: FaultProxy
) -> None:
    slo = availability_slo("healthy")
    adapter = make_adapter(counting_config(proxy.url, max_attempts=1))
    at = datetime.now(UTC)
    proxy.fail(status=500, body=b"down")
    failed = await adapter.measure(slo, slo.windows, at)
    assert all(s.error for s in failed.windows.values())
    proxy.heal()
    recovered = await adapter.measure(slo, slo.windows, at)
    assert not any(s.error for s in recovered.windows.values())
    assert proxy.requests == 4


async def test_prometheus_concurrency_bound_is_honoured(
    make_adapter: Callable[..., PrometheusAdapter], proxy: FaultProxy
) -> None:
    slos = [availability_slo(s) for s in ("healthy", "fast-burn", "slow-burn", "spike", "api", "idle")]
    adapter = make_adapter(counting_config(proxy.url, max_concurrency=2, batch_window=0))
    proxy.slow(0.05)
    at = datetime.now(UTC)
    measurements = await asyncio.gather(*(adapter.measure(s, s.windows, at) for s in slos))
    assert all(not s.error for m in measurements for s in m.windows.values())
    assert proxy.requests == 2 * len(slos)
    assert proxy.max_in_flight <= 2
    assert adapter.stats.max_in_flight <= 2


async def test_prometheus_uncombined_mode_asks_per_query_and_window(
    make_adapter: Callable[..., PrometheusAdapter], prometheus: ServerProcess
) -> None:
    """combine_queries=False (for backends that refuse long ``or`` chains) gives the same numbers."""
    slo = availability_slo("slow-burn")
    combined = make_adapter(counting_config(prometheus.url))
    separate = make_adapter(counting_config(prometheus.url, combine_queries=False))
    at = datetime.now(UTC)
    a = await combined.measure(slo, slo.windows, at)
    b = await separate.measure(slo, slo.windows, at)
    for window in slo.windows:
        assert b.windows[window].good == pytest.approx(a.windows[window].good)
        assert b.windows[window].total == pytest.approx(a.windows[window].total)
        assert b.windows[window].data_points == a.windows[window].data_points
    # good + total per window, points per rule window, the newest sample, the timeline.
    assert separate.requests_total == 2 * 5 + 4 + 1 + 1


async def test_prometheus_requests_are_reported_to_the_recorder(
    make_adapter: Callable[..., PrometheusAdapter], proxy: FaultProxy
) -> None:
    """The server's Telemetry is an AdapterRecorder as it is: requests show up on /metrics by outcome."""
    telemetry = Telemetry()
    adapter = make_adapter(counting_config(proxy.url, max_attempts=2, time_alignment=0), recorder=telemetry)
    slo = availability_slo("healthy")
    await adapter.measure(slo, slo.windows, datetime.now(UTC))
    proxy.fail(status=503, body=b"busy")
    await adapter.measure(slo, slo.windows, datetime.now(UTC))
    exposition = telemetry.exposition().decode()
    assert 'aegis_metrics_backend_requests_total{backend="default",outcome="success"} 2.0' in exposition
    assert 'aegis_metrics_backend_requests_total{backend="default",outcome="server_error"} 4.0' in exposition
    assert adapter.requests_by_outcome == {"success": 2, "server_error": 4}


async def test_prometheus_shipped_promql_slo_costs_two_requests(
    make_adapter: Callable[..., PrometheusAdapter], proxy: FaultProxy
) -> None:
    """web-latency reads 5 windows: v0.1.0 would send 10 requests. (The README's SLO, whose selectors
    match every series of a backend, is counted on its own Prometheus: test_readme_on_prometheus.py.)"""
    slo = load_file(FIXTURES / "slo" / "valid" / "web-latency.yaml").slos[0]
    adapter = make_adapter(counting_config(proxy.url))
    measurement = await adapter.measure(slo, slo.windows, datetime.now(UTC))
    assert all(s.good is not None for s in measurement.windows.values())
    assert _naive_requests([slo]) == 10
    assert proxy.requests == 2
