"""The whole server on a real Prometheus: `--adapter prometheus`, both surfaces, faults and recovery.

The adapter's own tests prove the numbers; this proves the wiring: flags to
adapter, reasons and lastError on the API, the server's health while the
backend is down, and recovery without a restart.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from tests._prometheus import ServerProcess, close_to
from tests.conftest import LiveServer, default_settings, start_live, stop_live

pytestmark = pytest.mark.prometheus

_SLO = """\
apiVersion: aegis.slo/v1
kind: SLO
metadata: {{id: {id}, service: {service}}}
spec:
  environment: test
  objective: 0.995
  complianceWindow: 30d
  evaluationInterval: 1m
  sli:
    type: availability
    good: {{prometheusQuery: {good}}}
    total: {{prometheusQuery: 'sum(rate(http_requests_total{{service="{service}"}}[{{{{window}}}}]))'}}
  burnPolicy:
    rules:
      - {{name: fast-burn, shortWindow: 5m, longWindow: 1h, threshold: 14.4}}
      - {{name: slow-burn, shortWindow: 30m, longWindow: 6h, threshold: 6}}
  gating: {{minDataPoints: 1, stalenessLimit: 10m}}
"""


def _write_slo(directory: Path, slo_id: str, service: str, good: str | None = None) -> None:
    good = good or f'sum(rate(http_requests_total{{service="{service}",code!~"5.."}}[{{{{window}}}}]))'
    text = _SLO.format(id=slo_id, service=service, good=f"'{good}'")
    (directory / f"{slo_id}.yaml").write_text(text)


@pytest.fixture
async def live_on_prometheus(private_prometheus: ServerProcess, tmp_path: Path) -> AsyncIterator[LiveServer]:
    slo_dir = tmp_path / "slos"
    slo_dir.mkdir()
    # The README's numbers on service "api": 7% errors for the last 30 minutes. (The README's file
    # itself sums every series of the backend: tests/metrics/test_readme_on_prometheus.py runs it.)
    _write_slo(slo_dir, "api-availability", "api")
    _write_slo(slo_dir, "checkout", "fast-burn")
    _write_slo(slo_dir, "stopped", "stale")
    _write_slo(slo_dir, "broken-query", "healthy", good="sum(rate(http_requests_total[{{window}}])) by (")
    settings = default_settings(
        tmp_path,
        slo_dir=str(slo_dir),
        adapter="prometheus",
        prometheus_url=private_prometheus.url,
        prometheus_options={
            "timeout": 2.0,
            "evaluation_budget": 4.0,
            # Off, so that each forced evaluation below asks the backend anew.
            "time_alignment": 0.0,
            "headers": ("X-Scope-OrgID: team-a",),
        },
    )
    live = await start_live(settings)
    yield live
    await stop_live(live)


async def _decide(live: LiveServer, slo_id: str) -> dict[str, object]:
    response = await live.rest.post("/v1/gate/decision", json={"sloID": slo_id, "forceFresh": True})
    assert response.status_code == 200, response.text
    body: dict[str, object] = response.json()
    return body


async def test_server_on_prometheus_decides_from_real_data(live_on_prometheus: LiveServer) -> None:
    live = live_on_prometheus
    api = await _decide(live, "api-availability")
    burn_5m = api["burnRates"]["5m"]["burnRate"]  # type: ignore[index]
    # The README's worked example through a real Prometheus: 7% errors over 5m at 99.5% -> 14.0x.
    assert close_to(burn_5m, 14.0, rel=0.03), burn_5m
    assert api["decision"] == "ALLOW", api["reasons"]
    checkout = await _decide(live, "checkout")
    assert checkout["decision"] == "BLOCK"
    assert any("rule fast-burn fired" in reason for reason in checkout["reasons"])  # type: ignore[attr-defined]
    stopped = await _decide(live, "stopped")
    assert stopped["decision"] == "WARN" and stopped["isStale"] is True


async def test_server_on_prometheus_quotes_a_rejected_query(live_on_prometheus: LiveServer) -> None:
    live = live_on_prometheus
    broken = await _decide(live, "broken-query")
    assert broken["decision"] == "WARN"
    assert broken["hasMissingData"] is True
    assert any("parse error" in reason for reason in broken["reasons"]), broken["reasons"]  # type: ignore[attr-defined]
    slo = (await live.rest.get("/v1/slo/broken-query")).json()
    assert "parse error" in slo["status"]["lastError"]
    healthy = (await live.rest.get("/v1/slo/checkout")).json()
    assert healthy["status"]["lastError"] == ""


async def test_server_on_prometheus_survives_the_backend_going_away(
    live_on_prometheus: LiveServer, private_prometheus: ServerProcess
) -> None:
    live = live_on_prometheus
    assert (await _decide(live, "checkout"))["decision"] == "BLOCK"
    await asyncio.to_thread(private_prometheus.stop)
    down = await _decide(live, "api-availability")
    assert down["decision"] == "WARN"
    assert down["hasMissingData"] is True
    assert (await live.rest.get("/healthz")).status_code == 200
    # A rule cannot fire without data, so even the burning SLO says WARN, never ALLOW.
    assert (await _decide(live, "checkout"))["decision"] == "WARN"
    await asyncio.to_thread(private_prometheus.start)
    recovered = await _decide(live, "checkout")
    assert recovered["decision"] == "BLOCK", recovered["reasons"]
    metrics = (await live.rest.get("/metrics")).text
    assert "aegis_metrics_backend_requests_total" in metrics
