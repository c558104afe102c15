"""The seed README's SLO file, verbatim, on the whole server over a real Prometheus.

Its queries (``http_requests_total{status!~"5.."}``, no service matcher) sum every
series of the backend, so it gets a Prometheus of its own holding one service
that labels its responses ``status`` as the README assumes: 100 requests a
second, 7% of them failing for the last 10 minutes. That is the README's worked
example: 0.07 / 0.005 = 14.0x over 5m, yet the 1h window burns far less, so no
rule fires and the gate ALLOWs.
"""

from __future__ import annotations

import shutil
from collections.abc import AsyncIterator, Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest

from aegis.metrics.prometheus import PrometheusAdapter
from aegis.spec.loader import load_file
from tests._prometheus import (
    HISTORY,
    History,
    Profile,
    Segment,
    ServerProcess,
    backfill,
    close_to,
    running_prometheus,
)
from tests.conftest import FIXTURES, LiveServer, default_settings, start_live, stop_live
from tests.metrics._faultproxy import FaultProxy
from tests.metrics._scenarios import fast_config

pytestmark = pytest.mark.prometheus

README_SLO = FIXTURES / "slo" / "valid" / "api-availability.yaml"
PROFILE = Profile(
    "api-gateway",
    (Segment(HISTORY + 60, 600, 100.0, 0.0), Segment(600, -HISTORY, 100.0, 0.07)),
    code_label="status",
)


@pytest.fixture(scope="module")
def readme_prometheus(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ServerProcess]:
    workdir = tmp_path_factory.mktemp("readme-prometheus")
    blocks = backfill(History.build([PROFILE]), workdir / "blocks")
    with running_prometheus(blocks, workdir / "server") as server:
        yield server


@pytest.fixture
async def live_on_readme(readme_prometheus: ServerProcess, tmp_path: Path) -> AsyncIterator[LiveServer]:
    slo_dir = tmp_path / "slos"
    slo_dir.mkdir()
    shutil.copy(README_SLO, slo_dir)
    settings = default_settings(
        tmp_path, slo_dir=str(slo_dir), adapter="prometheus", prometheus_url=readme_prometheus.url
    )
    live = await start_live(settings)
    yield live
    await stop_live(live)


async def test_readme_slo_on_prometheus_reads_the_worked_example(live_on_readme: LiveServer) -> None:
    response = await live_on_readme.rest.post(
        "/v1/gate/decision", json={"sloID": "api-availability", "forceFresh": True}
    )
    body = response.json()
    assert response.status_code == 200, body
    burn = {window: value["burnRate"] for window, value in body["burnRates"].items()}
    assert set(burn) == {"5m", "1h", "6h"}
    assert close_to(burn["5m"], 14.0, rel=0.03), burn
    # 7% for 10 of the 60 minutes: 14.0 * 10 / 60.
    assert close_to(burn["1h"], 14.0 / 6, rel=0.05), burn
    assert body["decision"] == "ALLOW", body["reasons"]
    assert [(r["name"], r["fired"], r["evaluated"]) for r in body["rules"]] == [
        ("fast-burn", False, True),
        ("slow-burn", False, True),
    ]
    # minDataPoints 10: a 15 s scrape interval gives 20 samples in 5 minutes.
    assert body["hasTooFewDataPoints"] is False and body["isStale"] is False


async def test_readme_slo_costs_two_requests_per_evaluation(readme_prometheus: ServerProcess) -> None:
    """v0.1.0 sent one request per query and window: 8 for the README's 4 windows (5m, 1h, 6h, 30d)."""
    slo = load_file(README_SLO).slos[0]
    proxy = await FaultProxy.start(readme_prometheus.url)
    adapter = PrometheusAdapter(fast_config(proxy.url))
    try:
        measurement = await adapter.measure(slo, slo.windows, datetime.now(UTC))
    finally:
        await adapter.aclose()
        await proxy.close()
    assert len(slo.windows) * 2 == 8
    assert all(sample.good is not None and sample.error is None for sample in measurement.windows.values())
    assert proxy.requests == adapter.requests_total == 2
