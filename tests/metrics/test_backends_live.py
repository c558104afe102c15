"""Several metric backends in one server: a real Prometheus and a real VictoriaMetrics at once.

Both hold a service "shop" under the very same metric names, burning in Prometheus and healthy in
VictoriaMetrics, so two SLOs with identical queries get different decisions only if each is sent
to the backend it names. VictoriaMetrics sits behind a recording proxy, which shows that its
tenant header, token and concurrency limit reach it and only it. Then one backend goes down (its
SLOs WARN, the others do not notice) and the backends file is reloaded under a running read.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml

from aegis.metrics.prometheus import PrometheusAdapter
from tests._prometheus import (
    History,
    Profile,
    ServerProcess,
    backfill,
    running_prometheus,
    running_victoria_metrics,
)
from tests.conftest import LiveServer, default_settings, start_live, stop_live
from tests.metrics._faultproxy import FaultProxy
from tests.metrics._scenarios import _steady, _then
from tests.spec.samples import valid_document

pytestmark = [pytest.mark.prometheus, pytest.mark.victoriametrics]

GOOD = 'sum(rate(http_requests_total{service="shop",code!~"5.."}[{{window}}]))'
TOTAL = 'sum(rate(http_requests_total{service="shop"}[{{window}}]))'
TOKEN = "vm-token-5e1f0c"


@pytest.fixture(scope="module")
def prometheus(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ServerProcess]:
    # 10% errors for the last 90 minutes: 20x the budget over 5m and 1h.
    history = History.build([Profile("shop", _then(100, 0.001, 0.10, since=5400))])
    work = tmp_path_factory.mktemp("backends-prometheus")
    with running_prometheus(backfill(history, work / "blocks"), work / "server") as server:
        yield server


@pytest.fixture(scope="module")
def victoria_metrics(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ServerProcess]:
    history = History.build([Profile("shop", _steady(100, 0.001))])
    with running_victoria_metrics(history, tmp_path_factory.mktemp("backends-vm")) as server:
        yield server


def slo(slo_id: str, backend: str | None = None, *, good: str = GOOD) -> dict[str, Any]:
    """The SRE Workbook's rules on a 99.5% objective, over the shared queries."""
    doc = valid_document(slo_id)
    doc["metadata"]["service"] = "shop"
    spec = doc["spec"]
    spec["objective"] = 0.995
    spec["sli"]["good"]["prometheusQuery"] = good
    spec["sli"]["total"]["prometheusQuery"] = TOTAL
    if backend is not None:
        spec["sli"]["backend"] = backend
    return doc


class Setup:
    def __init__(self, tmp: Path, vm_proxy: FaultProxy) -> None:
        self.slo_dir = tmp / "slos"
        self.slo_dir.mkdir()
        self.backends_file = tmp / "backends.yaml"
        (tmp / "vm.token").write_text(TOKEN + "\n")
        self.vm_proxy = vm_proxy

    def write_slo(self, slo_id: str, backend: str | None = None, **kwargs: Any) -> None:
        (self.slo_dir / f"{slo_id}.yaml").write_text(yaml.safe_dump(slo(slo_id, backend, **kwargs)))

    def write_backends(self, vm_concurrency: int = 1, **vm: Any) -> None:
        backends = {
            "backends": [
                {
                    "name": "vm",
                    "url": self.vm_proxy.url,
                    "headers": {"X-Scope-OrgID": "team-a"},
                    "bearerTokenFile": "vm.token",  # relative to the backends file
                    "maxConcurrency": vm_concurrency,
                    "timeout": "5s",
                    "evaluationBudget": 10,
                    "timeAlignment": 0,
                    **vm,
                },
                {"name": "demo", "type": "synthetic", "fixtures": str(Path("fixtures/metrics").resolve())},
            ]
        }
        self.backends_file.write_text(yaml.safe_dump(backends, sort_keys=False))


@pytest.fixture
async def vm_proxy(victoria_metrics: ServerProcess) -> AsyncIterator[FaultProxy]:
    proxy = await FaultProxy.start(victoria_metrics.url)
    yield proxy
    await proxy.close()


@pytest.fixture
async def live(
    tmp_path: Path, prometheus: ServerProcess, vm_proxy: FaultProxy
) -> AsyncIterator[tuple[LiveServer, Setup]]:
    setup = Setup(tmp_path, vm_proxy)
    setup.write_slo("shop-prometheus")  # no backend named: the flags' default, Prometheus
    setup.write_slo("shop-vm", "vm")
    demo = valid_document("shop-demo")
    demo["spec"]["sli"].update(
        backend="demo",
        good={"prometheusQuery": "fixture:healthy-all-windows"},
        total={"prometheusQuery": "fixture:healthy-all-windows"},
    )
    (setup.slo_dir / "shop-demo.yaml").write_text(yaml.safe_dump(demo))
    setup.write_backends()
    settings = default_settings(
        tmp_path,
        slo_dir=str(setup.slo_dir),
        adapter="prometheus",
        prometheus_url=prometheus.url,
        prometheus_options={"timeout": 2.0, "evaluation_budget": 4.0, "time_alignment": 0.0},
        backends_file=str(setup.backends_file),
        slo_reload_interval=0,
    )
    server = await start_live(settings)
    yield server, setup
    await stop_live(server)


async def until(check: Callable[[], bool], within: float = 20.0) -> None:
    """A condition another task makes true; polled, since the proxy and the router have no events."""
    async with asyncio.timeout(within):
        while not check():  # noqa: ASYNC110
            await asyncio.sleep(0.01)


async def decide(live: LiveServer, slo_id: str) -> dict[str, Any]:
    response = await live.rest.post("/v1/gate/decision", json={"sloID": slo_id, "forceFresh": True})
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body


async def test_backends_each_slo_reads_the_backend_it_names(live: tuple[LiveServer, Setup]) -> None:
    server, setup = live
    setup.vm_proxy.reset_counts()
    on_prometheus, on_vm = await asyncio.gather(decide(server, "shop-prometheus"), decide(server, "shop-vm"))
    # The same queries: burning on Prometheus, healthy on VictoriaMetrics.
    assert on_prometheus["decision"] == "BLOCK", on_prometheus["reasons"]
    assert on_prometheus["burnRates"]["5m"]["burnRate"] == pytest.approx(20.0, rel=0.05)
    assert on_vm["decision"] == "ALLOW", on_vm["reasons"]
    assert on_vm["burnRates"]["5m"]["burnRate"] == pytest.approx(0.2, rel=0.05)
    assert (await decide(server, "shop-demo"))["decision"] == "ALLOW"  # a synthetic backend beside them

    # Only the vm backend's requests carry its tenant and token.
    assert setup.vm_proxy.seen
    assert all(seen.headers.get("x-scope-orgid") == "team-a" for seen in setup.vm_proxy.seen)
    assert all(seen.headers.get("authorization") == f"Bearer {TOKEN}" for seen in setup.vm_proxy.seen)
    listed = {s["id"]: s["backend"] for s in (await server.rest.get("/v1/slo")).json()["slos"]}
    assert listed == {"shop-prometheus": "default", "shop-vm": "vm", "shop-demo": "demo"}
    metrics = (await server.rest.get("/metrics")).text
    assert 'aegis_metrics_backend_requests_total{backend="vm",outcome="success"}' in metrics
    assert 'aegis_metrics_backend_requests_total{backend="default",outcome="success"}' in metrics


async def test_backends_each_has_its_own_concurrency_limit(live: tuple[LiveServer, Setup]) -> None:
    server, setup = live
    for index in range(3):  # different queries: nothing shared between them
        setup.write_slo(f"vm-{index}", "vm", good=GOOD.replace("code!~", f'instance!="{index}",code!~'))
    await server.app.reload()
    setup.vm_proxy.reset_counts()
    setup.vm_proxy.slow(0.1)
    answers = await asyncio.gather(
        *(decide(server, f"vm-{i}") for i in range(3)), decide(server, "shop-prometheus")
    )
    assert [a["decision"] for a in answers] == ["ALLOW", "ALLOW", "ALLOW", "BLOCK"]
    assert setup.vm_proxy.max_in_flight == 1
    assert setup.vm_proxy.requests >= 6  # two requests per SLO, one at a time


async def test_backends_one_down_warns_only_its_own_slos(
    live: tuple[LiveServer, Setup], prometheus: ServerProcess
) -> None:
    server, _ = live
    await asyncio.to_thread(prometheus.stop)
    try:
        down, up = await asyncio.gather(decide(server, "shop-prometheus"), decide(server, "shop-vm"))
        assert down["decision"] == "WARN" and down["hasMissingData"] is True
        assert any(f"Prometheus at {prometheus.url} could not be reached" in r for r in down["reasons"])
        assert up["decision"] == "ALLOW"
        slo = (await server.rest.get("/v1/slo/shop-prometheus")).json()
        assert "could not be reached" in slo["status"]["lastError"]
        assert (await server.rest.get("/healthz")).status_code == 200
    finally:
        await asyncio.to_thread(prometheus.start)
    assert (await decide(server, "shop-prometheus"))["decision"] == "BLOCK"  # recovered, no restart


async def test_backends_file_reload_swaps_a_backend_under_a_running_read(
    live: tuple[LiveServer, Setup],
) -> None:
    """The read started on the old client finishes there; the old client is closed after it."""
    server, setup = live
    old = server.app.backends.router.backends["vm"]
    assert isinstance(old, PrometheusAdapter)
    setup.vm_proxy.slow(1.0)
    running = asyncio.create_task(decide(server, "shop-vm"))
    await until(lambda: setup.vm_proxy.in_flight > 0)

    setup.write_backends(vm_concurrency=4)
    (setup.slo_dir / "shop-vm.yaml").unlink()
    results = await server.app.reload()

    assert results == {"backends": "changed", "slo_files": "changed"}
    new = server.app.backends.router.backends["vm"]
    assert new is not old and not old.closed
    assert (await running)["decision"] == "ALLOW"  # served, although its SLO and client are gone
    await until(lambda: old.closed)
    assert (await server.rest.get("/v1/slo/shop-vm")).status_code == 404
    setup.vm_proxy.heal()
    setup.write_slo("shop-vm", "vm")
    await server.app.reload()
    assert (await decide(server, "shop-vm"))["decision"] == "ALLOW"
