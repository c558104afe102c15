"""Failures are data: every backend fault ends as WARN with a reason, never an exception.

A fault proxy in front of the real Prometheus answers 500, 429, garbage,
``status: error`` or slowly; a private Prometheus is stopped and restarted.
Each case checks the reason, how many HTTP requests were made (retries), and
that the same adapter recovers as soon as the backend does.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Callable
from datetime import UTC, datetime

import pytest

from aegis.engine.model import Evaluation
from aegis.engine.policy import evaluate
from aegis.metrics.prometheus import PrometheusAdapter
from aegis.spec.model import SLO, Decision, SLISpec, SLIType
from tests._prometheus import ServerProcess, free_port
from tests.metrics._faultproxy import FaultProxy
from tests.metrics._scenarios import availability_slo, fast_config, w

HEALTHY = availability_slo("healthy")
# One SLO measure = two requests: the combined values and the timeline.
REQUESTS_PER_MEASURE = 2


async def _decide(adapter: PrometheusAdapter, slo: SLO = HEALTHY) -> Evaluation:
    measurement = await adapter.measure(slo, slo.windows, datetime.now(UTC))
    return evaluate(slo, measurement, evaluation_id=str(uuid.uuid4()), now=datetime.now(UTC))


def _api_error(error_type: str, error: str) -> bytes:
    return json.dumps({"status": "error", "errorType": error_type, "error": error}).encode()


async def test_prometheus_unreachable_is_a_warn_with_the_reason(
    make_adapter: Callable[..., PrometheusAdapter],
) -> None:
    adapter = make_adapter(fast_config(f"http://127.0.0.1:{free_port()}"))
    result = await _decide(adapter)
    assert result.decision is Decision.WARN
    assert any("could not be reached" in r and "(3 attempts)" in r for r in result.reasons), result.reasons
    assert adapter.requests_by_outcome == {"connection_error": 3 * REQUESTS_PER_MEASURE}


@pytest.mark.prometheus
async def test_prometheus_stopped_then_restarted_recovers_on_the_same_client(
    make_adapter: Callable[..., PrometheusAdapter], private_prometheus: ServerProcess
) -> None:
    adapter = make_adapter(fast_config(private_prometheus.url, time_alignment=0))
    assert (await _decide(adapter)).decision is Decision.ALLOW
    private_prometheus.stop()
    down = await _decide(adapter)
    assert down.decision is Decision.WARN
    assert any(f"Prometheus at {private_prometheus.url} could not be reached" in r for r in down.reasons)
    private_prometheus.start()
    assert (await _decide(adapter)).decision is Decision.ALLOW
    assert adapter.requests_by_outcome["connection_error"] >= 3 * REQUESTS_PER_MEASURE


FAULTS = [
    # status, body, outcome counted, words in the reason
    (500, b"upstream exploded", "server_error", "answered HTTP 500: upstream exploded"),
    (
        503,
        _api_error("unavailable", "shutting down"),
        "server_error",
        "HTTP 503 (unavailable): shutting down",
    ),
    (200, b"<html>oops</html>", "invalid_response", "not Prometheus API JSON: '<html>oops</html>'"),
    (
        200,
        _api_error("timeout", "query timed out"),
        "query_error",
        "reported an error (timeout): query timed out",
    ),
    (200, b'{"status": "success", "data": {"resultType": "vector"}}', "invalid_response", "malformed result"),
]


@pytest.mark.prometheus
@pytest.mark.parametrize(("status", "body", "outcome", "words"), FAULTS)
async def test_prometheus_retryable_faults_warn_then_recover(
    make_adapter: Callable[..., PrometheusAdapter],
    proxy: FaultProxy,
    status: int,
    body: bytes,
    outcome: str,
    words: str,
) -> None:
    adapter = make_adapter(fast_config(proxy.url, time_alignment=0))
    proxy.fail(status=status, body=body)
    result = await _decide(adapter)
    assert result.decision is Decision.WARN
    assert any(words in r and "(3 attempts)" in r for r in result.reasons), result.reasons
    assert adapter.requests_by_outcome == {outcome: 3 * REQUESTS_PER_MEASURE}
    assert proxy.requests == 3 * REQUESTS_PER_MEASURE
    assert adapter.stats.retries_total == 2 * REQUESTS_PER_MEASURE
    proxy.heal()
    assert (await _decide(adapter)).decision is Decision.ALLOW


@pytest.mark.prometheus
async def test_prometheus_slow_backend_times_out_then_recovers(
    make_adapter: Callable[..., PrometheusAdapter], proxy: FaultProxy
) -> None:
    adapter = make_adapter(fast_config(proxy.url, query_timeout=0.2, max_attempts=2, time_alignment=0))
    proxy.slow(1.0)
    result = await _decide(adapter)
    assert result.decision is Decision.WARN
    assert any("did not answer within 0.2s (2 attempts)" in r for r in result.reasons), result.reasons
    assert adapter.requests_by_outcome == {"timeout": 2 * REQUESTS_PER_MEASURE}
    proxy.heal()
    assert (await _decide(adapter)).decision is Decision.ALLOW


@pytest.mark.prometheus
async def test_prometheus_429_retry_after_is_honoured(
    make_adapter: Callable[..., PrometheusAdapter], proxy: FaultProxy
) -> None:
    """Two 429s (one per request) with Retry-After: 1, then healthy: each request waits, retries, succeeds."""
    adapter = make_adapter(fast_config(proxy.url, time_alignment=0))
    proxy.fail(status=429, body=b"slow down", headers={"Retry-After": "1"}, times=REQUESTS_PER_MEASURE)
    assert (await _decide(adapter)).decision is Decision.ALLOW
    assert adapter.requests_by_outcome == {"rate_limited": 2, "success": 2}


@pytest.mark.prometheus
async def test_prometheus_429_retry_after_beyond_the_budget_is_not_awaited(
    make_adapter: Callable[..., PrometheusAdapter], proxy: FaultProxy
) -> None:
    """Back-off alone would retry within 0.5 s; Retry-After: 1 says no, and the budget cannot wait."""
    adapter = make_adapter(fast_config(proxy.url, evaluation_budget=0.5, time_alignment=0))
    proxy.fail(status=429, body=b"slow down", headers={"Retry-After": "1"})
    result = await _decide(adapter)
    assert result.decision is Decision.WARN
    assert any("rate limiting requests (HTTP 429, Retry-After 1s)" in r for r in result.reasons), (
        result.reasons
    )
    assert adapter.requests_by_outcome == {"rate_limited": REQUESTS_PER_MEASURE}
    assert adapter.stats.retries_total == 0


async def test_prometheus_bad_query_is_quoted_and_not_retried(
    make_adapter: Callable[..., PrometheusAdapter], backend: ServerProcess
) -> None:
    """A syntax error: the combined query is refused, each part is asked once, the bad ones say why."""
    slo = availability_slo(
        "healthy",
        sli=SLISpec(
            SLIType.AVAILABILITY,
            good_query='sum(rate(http_requests_total{service="healthy",code!~"5.."}[{{window}}])',
            total_query=HEALTHY.sli.total_query,
        ),
    )
    adapter = make_adapter(fast_config(backend.url, time_alignment=0))
    result = await _decide(adapter, slo)
    assert result.decision is Decision.WARN
    failed = [r for r in result.reasons if "Prometheus rejected the good query for window 5m:" in r]
    # Prometheus: "unclosed left parenthesis"; VictoriaMetrics: "argList: unexpected token".
    assert failed and ("parenthes" in failed[0] or "unexpected token" in failed[0]), result.reasons
    assert adapter.stats.retries_total == 0
    # 1 combined + one per window for the bad good query; everything else succeeds.
    assert adapter.requests_by_outcome["rejected"] == 1 + len(slo.windows)


@pytest.mark.prometheus
async def test_prometheus_execution_error_is_quoted_not_retried_and_then_recovers(
    make_adapter: Callable[..., PrometheusAdapter], proxy: FaultProxy
) -> None:
    adapter = make_adapter(fast_config(proxy.url, time_alignment=0))
    proxy.fail(status=422, body=_api_error("execution", "query processing would load too many samples"))
    result = await _decide(adapter)
    assert result.decision is Decision.WARN
    assert any(
        "Prometheus rejected the good query for window 5m: query processing would load too many samples" in r
        for r in result.reasons
    ), result.reasons
    assert adapter.stats.retries_total == 0
    proxy.heal()
    proxy.reset_counts()
    assert (await _decide(adapter)).decision is Decision.ALLOW
    # A 422 may not repeat: the next evaluation combines its queries again.
    assert proxy.requests == REQUESTS_PER_MEASURE


async def test_prometheus_fixture_query_is_an_error_without_a_request(
    make_adapter: Callable[..., PrometheusAdapter],
) -> None:
    slo = availability_slo("x", sli=SLISpec(SLIType.AVAILABILITY, "fixture:api", "fixture:api"))
    adapter = make_adapter(fast_config(f"http://127.0.0.1:{free_port()}"))
    measurement = await adapter.measure(slo, slo.windows, datetime.now(UTC))
    assert measurement.error is not None and "synthetic fixture" in measurement.error
    assert adapter.requests_total == 0


@pytest.mark.parametrize(
    ("good", "words"),
    [
        ("sum(rate(x[{{window}}])) > {{threshold}}", "only available to latency SLIs"),
        ("sum(rate(x[{{ win }}]))", "unknown template variable {{ win }}"),
    ],
)
async def test_prometheus_template_errors_are_reported(
    make_adapter: Callable[..., PrometheusAdapter], good: str, words: str
) -> None:
    slo = availability_slo("x", sli=SLISpec(SLIType.AVAILABILITY, good, "sum(rate(x[{{window}}]))"))
    adapter = make_adapter(fast_config(f"http://127.0.0.1:{free_port()}"))
    measurement = await adapter.measure(slo, slo.windows, datetime.now(UTC))
    assert measurement.error is not None and words in measurement.error and "good query" in measurement.error
    assert adapter.requests_total == 0


@pytest.mark.prometheus
async def test_prometheus_infinite_result_is_an_error_not_a_number(
    make_adapter: Callable[..., PrometheusAdapter], prometheus: ServerProcess
) -> None:
    slo = availability_slo(
        "healthy",
        sli=SLISpec(SLIType.AVAILABILITY, f"({HEALTHY.sli.good_query}) / 0", HEALTHY.sli.total_query),
    )
    adapter = make_adapter(fast_config(prometheus.url))
    measurement = await adapter.measure(slo, slo.windows, datetime.now(UTC))
    sample = measurement.windows[w("5m")]
    assert sample.good is None and sample.error == "good query for window 5m: the query returned +Inf"


@pytest.mark.prometheus
async def test_prometheus_scalar_and_range_results(
    make_adapter: Callable[..., PrometheusAdapter], prometheus: ServerProcess
) -> None:
    """A scalar query is wrapped and combined; a range vector cannot be an SLI and says so."""
    scalar_good = availability_slo(
        "healthy",
        sli=SLISpec(SLIType.AVAILABILITY, f"scalar({HEALTHY.sli.good_query})", HEALTHY.sli.total_query),
    )
    adapter = make_adapter(fast_config(prometheus.url))
    measurement = await adapter.measure(scalar_good, scalar_good.windows, datetime.now(UTC))
    sample = measurement.windows[w("1h")]
    assert sample.good is not None and sample.total is not None and sample.good / sample.total > 0.99
    assert adapter.requests_total == REQUESTS_PER_MEASURE
    subquery = 'rate(http_requests_total{service="ghost"}[5m])[{{window}}:1m]'
    ranged = availability_slo("healthy", sli=SLISpec(SLIType.AVAILABILITY, subquery, HEALTHY.sli.total_query))
    measurement = await adapter.measure(ranged, ranged.windows, datetime.now(UTC))
    error = measurement.windows[w("5m")].error
    assert error is not None and "returned a range vector" in error
