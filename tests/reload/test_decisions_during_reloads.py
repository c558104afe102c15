"""A reload never drops or blocks a decision being served: clients on both surfaces, many reloads.

The server is the production composition on real files. Clients ask for decisions without pause
on REST and gRPC while the files change under them; between two reloads every client must have
been answered (a handshake, not a timer), and every answer must be one the files allowed at that
moment. A reload that reads hundreds of files must leave the loop serving while it reads.
"""

from __future__ import annotations

import asyncio
from collections import Counter
from collections.abc import AsyncIterator
from pathlib import Path

import grpc
import pytest

from aegis.v1 import evaluation_pb2, gate_pb2, gate_pb2_grpc
from tests.conftest import LiveServer, default_settings, start_live, stop_live
from tests.reload.test_slo_files import document, write

RELOADS = 40


def _with_fixture(slo_id: str, fixture: str, **spec: object) -> dict[str, object]:
    doc = document(slo_id, **spec)
    for query in ("good", "total"):
        doc["spec"]["sli"][query]["prometheusQuery"] = f"fixture:{fixture}"  # type: ignore[index]
    return doc


@pytest.fixture
async def live(tmp_path: Path) -> AsyncIterator[LiveServer]:
    slo_dir = tmp_path / "slos"
    write(slo_dir, "steady.yaml", _with_fixture("steady", "healthy-all-windows"))
    write(slo_dir, "flip.yaml", _with_fixture("flip", "healthy-all-windows"))
    write(slo_dir, "breaks.yaml", _with_fixture("breaks", "fast-burn-all-windows"))
    write(slo_dir, "comes-and-goes.yaml", _with_fixture("comes-and-goes", "healthy-all-windows"))
    server = await start_live(default_settings(tmp_path, slo_dir=str(slo_dir), slo_reload_interval=0))
    yield server
    await stop_live(server)


class Generation:
    """Counts reloads; each client reports once per generation it was answered in."""

    def __init__(self, clients: int) -> None:
        self.number = 0
        self._clients = clients
        self._answered: set[int] = set()
        self._all_answered = asyncio.Event()

    def answered(self, client: int) -> None:
        self._answered.add(client)
        if len(self._answered) == self._clients:
            self._all_answered.set()

    async def next(self, clients: list[asyncio.Task[None]]) -> None:
        """Once every client was answered since the last call; a client that died fails the test."""
        waiting = asyncio.create_task(self._all_answered.wait())
        await asyncio.wait([waiting, *clients], return_when=asyncio.FIRST_COMPLETED)
        for client in clients:
            if client.done():
                waiting.cancel()
                client.result()  # re-raises what ended it
                raise AssertionError("a client stopped early")
        self._all_answered.clear()
        self._answered.clear()
        self.number += 1


async def test_decisions_are_served_on_both_surfaces_through_many_reloads(
    live: LiveServer, tmp_path: Path
) -> None:
    slo_dir = tmp_path / "slos"
    outcomes: Counter[tuple[str, str, str]] = Counter()
    stop = asyncio.Event()
    generation = Generation(clients=4)
    stub = gate_pb2_grpc.GateServiceStub(live.channel)

    async def rest_client(number: int, slo_id: str, fresh: bool) -> None:
        while not stop.is_set():
            response = await live.rest.post("/v1/gate/decision", json={"sloID": slo_id, "forceFresh": fresh})
            body = response.json()
            answer = body["decision"] if response.status_code == 200 else str(response.status_code)
            outcomes["rest", slo_id, answer] += 1
            generation.answered(number)

    async def grpc_client(number: int, slo_id: str) -> None:
        while not stop.is_set():
            try:
                reply = await stub.Decide(gate_pb2.DecideRequest(slo_id=slo_id, force_fresh=True))
                outcomes["grpc", slo_id, evaluation_pb2.Decision.Name(reply.evaluation.decision)] += 1
            except grpc.aio.AioRpcError as err:
                outcomes["grpc", slo_id, err.code().name] += 1
            generation.answered(number)

    clients = [
        asyncio.create_task(rest_client(0, "steady", fresh=False)),
        asyncio.create_task(rest_client(1, "breaks", fresh=True)),
        asyncio.create_task(grpc_client(2, "flip")),
        asyncio.create_task(grpc_client(3, "comes-and-goes")),
    ]
    try:
        for round_ in range(RELOADS):
            await generation.next(clients)
            fixture = "fast-burn-all-windows" if round_ % 2 else "healthy-all-windows"
            write(slo_dir, "flip.yaml", _with_fixture("flip", fixture))
            if round_ % 2:
                (slo_dir / "breaks.yaml").write_text("apiVersion: aegis.slo/v1\nkind: [SLO\n")
                (slo_dir / "comes-and-goes.yaml").unlink()
            else:
                write(
                    slo_dir,
                    "breaks.yaml",
                    _with_fixture("breaks", "fast-burn-all-windows", evaluationInterval="2m"),
                )
                write(slo_dir, "comes-and-goes.yaml", _with_fixture("comes-and-goes", "healthy-all-windows"))
            results = await live.app.reload()
            assert results["slo_files"] == "changed"
        await generation.next(clients)
    finally:
        stop.set()
        await asyncio.gather(*clients)

    assert generation.number == RELOADS + 1
    seen = {key for key in outcomes}
    # Only answers the files allowed: the steady SLO never moved, the broken one kept its last good
    # version (always BLOCK), the flipping one was one or the other, the removed one was unknown.
    assert {k for k in seen if k[1] == "steady"} == {("rest", "steady", "ALLOW")}
    assert {k for k in seen if k[1] == "breaks"} == {("rest", "breaks", "BLOCK")}
    assert {k for k in seen if k[1] == "flip"} <= {("grpc", "flip", "ALLOW"), ("grpc", "flip", "BLOCK")}
    assert {k for k in seen if k[1] == "comes-and-goes"} <= {
        ("grpc", "comes-and-goes", "ALLOW"),
        ("grpc", "comes-and-goes", "NOT_FOUND"),
    }
    assert outcomes["grpc", "flip", "BLOCK"] and outcomes["grpc", "flip", "ALLOW"]
    assert sum(outcomes.values()) >= 4 * (RELOADS + 1)


async def test_a_long_reload_does_not_stop_the_server_answering(live: LiveServer, tmp_path: Path) -> None:
    """Hundreds of files read again: decisions keep coming back while the reload is still reading."""
    slo_dir = tmp_path / "slos"
    for index in range(300):
        write(
            slo_dir, f"bulk/slo-{index:03d}.yaml", _with_fixture(f"bulk-{index:03d}", "healthy-all-windows")
        )
    await live.app.reload()
    for path in (slo_dir / "bulk").iterdir():  # a new comment in each: every file is parsed again
        path.write_text("# reviewed\n" + path.read_text())

    reload = asyncio.create_task(live.app.reload())
    answered_while_reloading = 0
    while not reload.done():
        response = await live.rest.post("/v1/gate/decision", json={"sloID": "steady"})
        assert response.status_code == 200
        if not reload.done():
            answered_while_reloading += 1
    assert (await reload)["slo_files"] == "unchanged"
    assert live.app.slo_files.cache.parsed == 300
    assert answered_while_reloading > 0
