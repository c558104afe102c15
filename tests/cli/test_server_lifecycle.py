"""SIGTERM to a real ``aegis-server`` with real requests in flight, and its file-descriptor limit.

The slow evaluation is real: the server reads a real Prometheus through a proxy that delays each
answer (tests.metrics._faultproxy), so a forced evaluation is still running when the signal lands.
"""

from __future__ import annotations

import asyncio
import resource
import signal
import socket
import sqlite3
import time
from collections.abc import AsyncIterator, Awaitable, Iterator
from pathlib import Path

import grpc
import httpx
import pytest
from grpc_health.v1 import health_pb2, health_pb2_grpc

from aegis.v1 import gate_pb2, gate_pb2_grpc
from tests._aegis_process import AegisProcess, aegis_server, base_args
from tests._prometheus import History, ServerProcess, backfill, running_prometheus
from tests.conftest import FIXTURES
from tests.metrics._faultproxy import FaultProxy
from tests.metrics._scenarios import PROFILES

SLO = "api-availability"


@pytest.fixture(scope="module")
def prometheus(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ServerProcess]:
    tmp = tmp_path_factory.mktemp("lifecycle-prometheus")
    blocks = backfill(History.build([p for p in PROFILES if p.service == "api"]), tmp / "blocks")
    with running_prometheus(blocks, tmp / "server") as server:
        yield server


@pytest.fixture
async def proxy(prometheus: ServerProcess) -> AsyncIterator[FaultProxy]:
    server = await FaultProxy.start(prometheus.url)
    yield server
    await server.close()


def _args_on(proxy: FaultProxy, tmp: Path, *extra: str) -> list[str]:
    slo_dir = tmp / "slos"
    slo_dir.mkdir()
    (slo_dir / f"{SLO}.yaml").write_text((FIXTURES / "slo" / "valid" / f"{SLO}.yaml").read_text())
    return [
        *base_args(tmp / "audit.db"),
        "--slo-dir", str(slo_dir), "--adapter", "prometheus", "--prometheus-url", proxy.url,
        "--prometheus-time-alignment", "0", "--prometheus-timeout", "30",
        "--prometheus-evaluation-budget", "40", *extra,
    ]  # fmt: skip


async def _wait_until(predicate: object, what: str, within: float = 20.0) -> None:
    deadline = time.monotonic() + within
    while time.monotonic() < deadline:
        result = predicate()  # type: ignore[operator]
        if asyncio.iscoroutine(result):
            result = await result
        if result:
            return
        await asyncio.sleep(0.02)
    raise AssertionError(f"timed out waiting for {what}")


async def _ready(server: AegisProcess) -> None:
    """Asynchronously: the proxy lives on this event loop and must serve the first evaluations."""
    async with httpx.AsyncClient(base_url=server.rest_url) as probe:

        async def ready() -> bool:
            return (await probe.get("/readyz")).status_code == 200

        await _wait_until(ready, "the server to be ready")


async def in_flight(server: AegisProcess, surface: str) -> float:
    """aegis_requests_in_flight of Decide on ``surface``, read from the server's /metrics."""
    async with httpx.AsyncClient(base_url=server.rest_url) as probe:
        text = (await probe.get("/metrics")).text
    wanted = f'aegis_requests_in_flight{{method="/aegis.v1.GateService/Decide",surface="{surface}"}}'
    return next((float(line.split()[-1]) for line in text.splitlines() if line.startswith(wanted)), 0.0)


async def _exit_code(server: AegisProcess, within: float = 30.0) -> int:
    return await asyncio.to_thread(server.process.wait, within)


async def _start_in_flight(
    server: AegisProcess,
    proxy: FaultProxy, rest: httpx.AsyncClient, channel: grpc.aio.Channel
) -> tuple[asyncio.Task[httpx.Response], asyncio.Future[gate_pb2.DecideResponse]]:
    stub = gate_pb2_grpc.GateServiceStub(channel)
    over_rest = asyncio.create_task(rest.post("/v1/gate/decision", json={"sloID": SLO, "forceFresh": True}))
    request = gate_pb2.DecideRequest(slo_id=SLO, force_fresh=True)
    over_grpc = asyncio.ensure_future(stub.Decide(request, timeout=60))
    await _wait_until(lambda: proxy.in_flight >= 1, "the forced evaluation to reach Prometheus")
    for surface in ("rest", "grpc"):
        await _wait_until(lambda s=surface: _positive(in_flight(server, s)), f"a {surface} call in flight")
    return over_rest, over_grpc


async def _positive(value: Awaitable[float]) -> bool:
    return await value > 0


@pytest.mark.prometheus
async def test_sigterm_drains_in_flight_calls_then_exits_0(proxy: FaultProxy, tmp_path: Path) -> None:
    with aegis_server(_args_on(proxy, tmp_path, "--shutdown-grace", "30"), wait_ready=False) as server:
        await _ready(server)
        proxy.slow(2.0)
        async with (
            httpx.AsyncClient(base_url=server.rest_url, timeout=60) as rest,
            grpc.aio.insecure_channel(server.grpc_target) as channel,
        ):
            over_rest, over_grpc = await _start_in_flight(server, proxy, rest, channel)
            server.process.send_signal(signal.SIGTERM)

            async def not_ready() -> bool:
                async with httpx.AsyncClient(base_url=server.rest_url) as probe:
                    return (await probe.get("/readyz")).status_code == 503

            await _wait_until(not_ready, "/readyz to say 503")
            health = await health_pb2_grpc.HealthStub(channel).Check(health_pb2.HealthCheckRequest())
            async with httpx.AsyncClient(base_url=server.rest_url) as newcomer:
                refused = await newcomer.post("/v1/gate/decision", json={"sloID": SLO})
            with pytest.raises(grpc.aio.AioRpcError) as refused_grpc:
                await gate_pb2_grpc.GateServiceStub(channel).Decide(gate_pb2.DecideRequest(slo_id=SLO))
            assert not over_rest.done() and not over_grpc.done(), "the in-flight calls were still running"
            answered, answered_grpc = await over_rest, await over_grpc
        code = await _exit_code(server)
    assert health.status == health_pb2.HealthCheckResponse.NOT_SERVING
    assert refused.status_code == 503 and refused.headers["connection"] == "close"
    assert refused_grpc.value.code() == grpc.StatusCode.UNAVAILABLE
    assert answered.status_code == 200, answered.text
    assert answered_grpc.evaluation.slo_id == SLO
    assert code == 0, server.output[-3000:]
    assert "Traceback" not in server.output
    # The audit was flushed: the evaluation both callers were given is on disk.
    with sqlite3.connect(tmp_path / "audit.db") as db:
        stored = {row[0] for row in db.execute("SELECT id FROM audit_evaluations")}
    assert answered.json()["evaluationID"] in stored


@pytest.mark.prometheus
async def test_sigterm_is_bounded_by_the_grace_even_with_stuck_clients(
    proxy: FaultProxy, tmp_path: Path
) -> None:
    """A call longer than the grace is cancelled; a half-sent body cannot hold the process."""
    with aegis_server(_args_on(proxy, tmp_path, "--shutdown-grace", "1"), wait_ready=False) as server:
        await _ready(server)
        proxy.slow(60.0)
        async with (
            httpx.AsyncClient(base_url=server.rest_url, timeout=60) as rest,
            grpc.aio.insecure_channel(server.grpc_target) as channel,
        ):
            over_rest, over_grpc = await _start_in_flight(server, proxy, rest, channel)
            _, stuck = await asyncio.open_connection("127.0.0.1", server.http_port)
            stuck.write(
                b"POST /v1/gate/decision HTTP/1.1\r\nHost: a\r\nContent-Type: application/json\r\n"
                b"Content-Length: 100\r\n\r\n{\"sloID\": "
            )
            await stuck.drain()
            server.process.send_signal(signal.SIGTERM)
            code = await _exit_code(server, within=25)
            rest_outcome = await asyncio.gather(over_rest, return_exceptions=True)
            grpc_outcome = await asyncio.gather(over_grpc, return_exceptions=True)
            stuck.close()
    assert code == 0, server.output[-3000:]
    assert isinstance(rest_outcome[0], httpx.TransportError), rest_outcome
    assert isinstance(grpc_outcome[0], grpc.aio.AioRpcError), grpc_outcome
    assert grpc_outcome[0].code() in (grpc.StatusCode.CANCELLED, grpc.StatusCode.UNAVAILABLE)
    assert "still running after the 1s shutdown grace" in server.output
    assert "Traceback" not in server.output


def _low_fd_limit() -> None:
    resource.setrlimit(resource.RLIMIT_NOFILE, (160, 160))


def test_fd_limit_is_logged_once_and_the_server_recovers(tmp_path: Path) -> None:
    """Past the open-file limit: one log line (not one per accept), and service once fds free up."""
    args = base_args(tmp_path / "audit.db", "--max-connections", "100000", "--http-header-timeout", "60")
    with aegis_server(args, preexec_fn=_low_fd_limit) as server:
        held = [socket.create_connection(("127.0.0.1", server.http_port)) for _ in range(300)]
        try:
            server.wait_for_line("cannot accept connections")
            time.sleep(1.5)  # several of the accept loop's retries
        finally:
            for sock in held:
                sock.close()
        healthy = None
        for _ in range(200):
            try:
                healthy = httpx.get(f"{server.rest_url}/healthz", timeout=2).status_code
                break
            except httpx.TransportError:
                time.sleep(0.05)
        server.process.send_signal(signal.SIGTERM)
        code = server.process.wait(timeout=30)
    assert healthy == 200
    assert code == 0
    assert server.output.count("cannot accept connections") == 1, server.output[-3000:]
    assert "out of system resource" not in server.output
    assert "Traceback" not in server.output
