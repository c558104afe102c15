"""Session-scoped real Prometheus and VictoriaMetrics servers holding the scenarios' history.

The history is generated once (about 7 h back, 20 min ahead of "now"); each
server starts once per session. Tests that need a server they may stop get a
private Prometheus over a copy of the same blocks.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from aegis.metrics.prometheus import PrometheusAdapter, PrometheusConfig
from tests._prometheus import History, ServerProcess, backfill, running_prometheus, running_victoria_metrics
from tests.metrics._faultproxy import FaultProxy
from tests.metrics._scenarios import PROFILES

BACKENDS = [
    pytest.param("prometheus", marks=pytest.mark.prometheus),
    pytest.param("victoriametrics", marks=pytest.mark.victoriametrics),
]


@pytest.fixture(scope="session")
def history() -> History:
    return History.build(PROFILES)


@pytest.fixture(scope="session")
def prometheus_blocks(history: History, tmp_path_factory: pytest.TempPathFactory) -> Path:
    return backfill(history, tmp_path_factory.mktemp("prometheus") / "blocks")


@pytest.fixture(scope="session")
def prometheus(prometheus_blocks: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[ServerProcess]:
    with running_prometheus(prometheus_blocks, tmp_path_factory.mktemp("prometheus-main")) as server:
        yield server


@pytest.fixture(scope="session")
def victoria_metrics(history: History, tmp_path_factory: pytest.TempPathFactory) -> Iterator[ServerProcess]:
    with running_victoria_metrics(history, tmp_path_factory.mktemp("victoria-metrics")) as server:
        yield server


@pytest.fixture(params=BACKENDS)
def backend(request: pytest.FixtureRequest) -> ServerProcess:
    """Each real backend in turn."""
    name = "prometheus" if request.param == "prometheus" else "victoria_metrics"
    server: ServerProcess = request.getfixturevalue(name)
    return server


@pytest.fixture
def private_prometheus(prometheus_blocks: Path, tmp_path: Path) -> Iterator[ServerProcess]:
    """A Prometheus of this test's own, free to stop and restart."""
    with running_prometheus(prometheus_blocks, tmp_path / "prometheus") as server:
        yield server


@pytest.fixture
async def make_adapter() -> AsyncIterator[Callable[..., PrometheusAdapter]]:
    """Adapters closed after the test."""
    made: list[PrometheusAdapter] = []

    def make(config: PrometheusConfig, **kwargs: Any) -> PrometheusAdapter:
        adapter = PrometheusAdapter(config, **kwargs)
        made.append(adapter)
        return adapter

    yield make
    for adapter in made:
        await adapter.aclose()


@pytest.fixture
async def proxy(prometheus: ServerProcess) -> AsyncIterator[FaultProxy]:
    """A fault proxy in front of the session Prometheus, healthy at first."""
    server = await FaultProxy.start(prometheus.url)
    yield server
    await server.close()
