"""The adapter against real Prometheus and VictoriaMetrics, on history with known traffic.

Expected numbers come from the same samples the servers were loaded with
(``History``), read at the measurement's own evaluation time.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from aegis.engine.policy import evaluate
from aegis.metrics.base import Measurement
from aegis.metrics.prometheus import PrometheusAdapter
from aegis.spec.loader import load_file
from aegis.spec.model import SLO, Decision
from tests._prometheus import History, ServerProcess
from tests.metrics._scenarios import OBJECTIVE, availability_slo, fast_config, latency_slo, w

RULE_WINDOWS = ("5m", "30m", "1h", "6h")
FIXTURES = Path(__file__).resolve().parents[2] / "fixtures"
pytestmark = pytest.mark.usefixtures("history")


async def _measure(
    make_adapter: Callable[..., PrometheusAdapter], backend: ServerProcess, slo: SLO
) -> Measurement:
    adapter = make_adapter(fast_config(backend.url))
    return await adapter.measure(slo, slo.windows, datetime.now(UTC))


def _burn(measurement: Measurement, window: str, objective: float = OBJECTIVE) -> float:
    sample = measurement.windows[w(window)]
    assert sample.error is None and sample.good is not None and sample.total is not None, sample
    return (1 - sample.good / sample.total) / (1 - objective)


@pytest.mark.parametrize("service", ["healthy", "fast-burn", "slow-burn", "spike", "api"])
async def test_prometheus_burn_rates_match_the_profile(
    make_adapter: Callable[..., PrometheusAdapter], backend: ServerProcess, history: History, service: str
) -> None:
    measurement = await _measure(make_adapter, backend, availability_slo(service))
    at = measurement.at.timestamp()
    for window in RULE_WINDOWS:
        seconds = w(window).seconds
        expected = history.error_ratio(service, seconds, at) / (1 - OBJECTIVE)
        assert _burn(measurement, window) == pytest.approx(expected, rel=0.03, abs=0.02), window
        total = measurement.windows[w(window)].total
        assert total == pytest.approx(history.total_rate(service, seconds, at), rel=0.03), window
    # Only ~7 h of the 30d window hold data: the ratio is still the history's.
    whole = history.error_ratio(service, 30 * 86400, at) / (1 - OBJECTIVE)
    assert _burn(measurement, "30d") == pytest.approx(whole, rel=0.03, abs=0.02)


@pytest.mark.parametrize(
    ("name", "window", "burn_rate"),
    [
        # 2% of requests slower than thresholdMs 300 (le="0.3") against 99% -> 2.0x.
        # (The README's api-availability sums every series: test_readme_on_prometheus.py.)
        ("web-latency", "1h", 2.0),
    ],
)
async def test_prometheus_shipped_slo_files_read_as_documented(
    make_adapter: Callable[..., PrometheusAdapter],
    backend: ServerProcess,
    name: str,
    window: str,
    burn_rate: float,
) -> None:
    loaded = load_file(FIXTURES / "slo" / "valid" / f"{name}.yaml")
    assert not loaded.problems
    slo = loaded.slos[0]
    measurement = await _measure(make_adapter, backend, slo)
    result = evaluate(slo, measurement, evaluation_id=str(uuid.uuid4()), now=datetime.now(UTC))
    assert result.burn_rates[window].burn_rate == pytest.approx(burn_rate, abs=0.05)
    assert result.decision is Decision.ALLOW, result.reasons


async def test_prometheus_latency_threshold_is_templated(
    make_adapter: Callable[..., PrometheusAdapter], backend: ServerProcess
) -> None:
    """thresholdMs 300 -> le="0.3"; 2% slower requests -> 2x against 99%."""
    measurement = await _measure(make_adapter, backend, latency_slo())
    for window in RULE_WINDOWS:
        assert _burn(measurement, window, objective=0.99) == pytest.approx(2.0, rel=0.01), window


SCENARIOS = [
    # service, SLO changes, decision, evaluation flag that must be set (or None), rules that fire
    ("healthy", {}, Decision.ALLOW, None, ()),
    ("fast-burn", {}, Decision.BLOCK, None, ("fast-burn",)),
    ("slow-burn", {}, Decision.BLOCK, None, ("slow-burn",)),
    ("spike", {}, Decision.ALLOW, None, ()),
    ("stale", {}, Decision.WARN, "is_stale", ()),
    ("idle", {}, Decision.WARN, "has_no_traffic", ()),
    ("ghost", {}, Decision.WARN, "has_missing_data", ()),
    ("gappy", {}, Decision.WARN, "has_missing_data", ()),
    ("sparse", {"min_data_points": 10}, Decision.WARN, "has_too_few_data_points", ()),
]


@pytest.mark.parametrize(("service", "changes", "decision", "flag", "fired"), SCENARIOS)
async def test_prometheus_scenario_decisions(
    make_adapter: Callable[..., PrometheusAdapter],
    backend: ServerProcess,
    service: str,
    changes: dict[str, object],
    decision: Decision,
    flag: str | None,
    fired: tuple[str, ...],
) -> None:
    slo = availability_slo(service, **changes)
    measurement = await _measure(make_adapter, backend, slo)
    result = evaluate(slo, measurement, evaluation_id=str(uuid.uuid4()), now=datetime.now(UTC))
    assert result.decision is decision, result.reasons
    assert tuple(r.name for r in result.rules if r.fired) == fired
    if flag is not None:
        assert getattr(result, flag), result.reasons
    assert not any("failed" in reason for reason in result.reasons), result.reasons


@pytest.mark.parametrize("service", ["healthy", "stale", "sparse"])
async def test_prometheus_data_timestamp_is_the_newest_raw_sample(
    make_adapter: Callable[..., PrometheusAdapter], backend: ServerProcess, history: History, service: str
) -> None:
    measurement = await _measure(make_adapter, backend, availability_slo(service))
    newest = history.newest_sample(service, measurement.at.timestamp())
    assert newest is not None
    for sample in measurement.windows.values():
        assert sample.data_timestamp == datetime.fromtimestamp(newest, UTC)


async def test_prometheus_stale_series_age_is_real(
    make_adapter: Callable[..., PrometheusAdapter], backend: ServerProcess
) -> None:
    """Stopped 30 minutes ago: far beyond the 5m lookback, still found, and 30 minutes old."""
    measurement = await _measure(make_adapter, backend, availability_slo("stale"))
    stamp = measurement.windows[w("1h")].data_timestamp
    assert stamp is not None
    assert measurement.at - stamp >= timedelta(minutes=29)
    # No samples at all in the short windows: no data there, not zeros.
    assert measurement.windows[w("5m")].good is None
    assert measurement.windows[w("5m")].data_points == 0


@pytest.mark.parametrize("service", ["healthy", "sparse"])
async def test_prometheus_data_points_count_raw_samples(
    make_adapter: Callable[..., PrometheusAdapter], backend: ServerProcess, history: History, service: str
) -> None:
    measurement = await _measure(make_adapter, backend, availability_slo(service))
    at = measurement.at.timestamp()
    for window in RULE_WINDOWS:
        points = measurement.windows[w(window)].data_points
        expected = history.samples_in(service, w(window).seconds, at)
        # Range selectors include a sample exactly at the window's start on some servers.
        assert points is not None and expected <= points <= expected + 1, window
    assert measurement.windows[w("30d")].data_points is None


async def test_prometheus_collection_gap_is_measured(
    make_adapter: Callable[..., PrometheusAdapter], backend: ServerProcess, history: History
) -> None:
    """A 12 minute hole 13 to 25 minutes ago: seen in 30m (to one 15 s timeline step), not in 5m.

    Gaps are measured in the rules' short windows, where the engine looks for them; the long
    windows (1h, 6h), which are meant to smooth over a hole, are not asked (None).
    """
    measurement = await _measure(make_adapter, backend, availability_slo("gappy"))
    at = measurement.at.timestamp()
    for window in ("5m", "30m"):
        gap = measurement.windows[w(window)].longest_gap
        expected = history.longest_gap("gappy", w(window).seconds, at)
        assert gap is not None and expected <= gap.total_seconds() <= expected + 15, window
    assert history.longest_gap("gappy", w("30m").seconds, at) > 600
    assert measurement.windows[w("1h")].longest_gap is None
    assert measurement.windows[w("6h")].longest_gap is None


async def test_prometheus_idle_is_zero_and_missing_is_none(
    make_adapter: Callable[..., PrometheusAdapter], backend: ServerProcess
) -> None:
    idle = await _measure(make_adapter, backend, availability_slo("idle"))
    ghost = await _measure(make_adapter, backend, availability_slo("ghost"))
    for window in idle.windows:
        assert (idle.windows[window].good, idle.windows[window].total) == (0.0, 0.0)
        assert (ghost.windows[window].good, ghost.windows[window].total) == (None, None)
        assert ghost.windows[window].error is None
        assert ghost.windows[window].data_timestamp is None
