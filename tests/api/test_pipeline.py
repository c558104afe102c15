"""One request pipeline for both surfaces: interceptors, request ids, deadlines, disconnects, bad bytes.

Real grpc.aio and uvicorn servers on loopback ports; the servicers are small fakes where a test needs
one to be slow, the production composition elsewhere.
"""

from __future__ import annotations

import asyncio
import logging
import socket
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import grpc
import httpx
import pytest
import uvicorn
from google.protobuf.message import Message

from aegis.api.grpc_transport import generic_handlers
from aegis.api.http_protocol import HttpLimits, guarded_protocol
from aegis.api.interceptors import DeadlineInterceptor, RequestIdInterceptor
from aegis.api.pipeline import AbortError, CallContext, Handler, Pipeline
from aegis.api.rest_context import forwarded_metadata, parse_grpc_timeout
from aegis.api.server import Server, build_pipeline
from aegis.api.service_binding import ServiceBinding
from aegis.api.transcoder import build_rest_app
from aegis.app import Application
from aegis.v1 import evaluation_pb2, gate_pb2, gate_pb2_grpc
from tests.conftest import LiveServer, default_settings, stop_live, wait_ready

GATE = gate_pb2.DESCRIPTOR.services_by_name["GateService"]
LOGGER = logging.getLogger("tests.api.pipeline")


@dataclass
class Seen:
    calls: list[tuple[str, str, str | None]] = field(default_factory=list)


class RecordingInterceptor:
    def __init__(self, seen: Seen) -> None:
        self.seen = seen

    async def intercept(self, request: Message, context: CallContext, proceed: Handler) -> Message:
        assert context.method is not None
        self.seen.calls.append(
            (context.surface, context.method.full_name, context.attributes.get("request_id"))
        )
        return await proceed(request, context)


@pytest.fixture
async def recorded(tmp_path: Path) -> AsyncIterator[tuple[LiveServer, Seen]]:
    seen = Seen()
    app = Application(default_settings(tmp_path))
    pipeline = Pipeline([*build_pipeline(app).interceptors, RecordingInterceptor(seen)])
    server = Server(app, pipeline=pipeline)
    await server.start()
    live = LiveServer(
        server,
        httpx.AsyncClient(base_url=f"http://127.0.0.1:{server.http_port}", timeout=10),
        grpc.aio.insecure_channel(f"127.0.0.1:{server.grpc_port}"),
    )
    await wait_ready(live.rest)
    yield live, seen
    await stop_live(live)


async def test_pipeline_one_interceptor_sees_both_surfaces(recorded: tuple[LiveServer, Seen]) -> None:
    live, seen = recorded
    rest = await live.rest.post("/v1/gate/decision", json={"sloID": "api-availability"})
    stub = gate_pb2_grpc.GateServiceStub(live.channel)
    call = stub.Decide(gate_pb2.DecideRequest(slo_id="api-availability"))
    reply = await call
    assert rest.status_code == 200
    assert reply.evaluation.slo_id == "api-availability"
    surfaces = [(surface, method) for surface, method, _ in seen.calls]
    assert surfaces == [("rest", "/aegis.v1.GateService/Decide"), ("grpc", "/aegis.v1.GateService/Decide")]
    # Each call got an id before the later interceptor ran, and the caller got it back.
    rest_id, grpc_id = (request_id for _, _, request_id in seen.calls)
    assert rest.headers["x-request-id"] == rest_id
    assert ("x-request-id", grpc_id) in tuple(await call.initial_metadata())
    assert rest_id != grpc_id


async def test_pipeline_keeps_a_sane_request_id_and_replaces_a_wild_one(
    recorded: tuple[LiveServer, Seen],
) -> None:
    live, _ = recorded
    kept = await live.rest.get("/v1/slo", headers={"X-Request-ID": "deploy-42"})
    wild = await live.rest.get("/v1/slo", headers={"X-Request-ID": "a b\tc" + "x" * 200})
    stub = gate_pb2_grpc.GateServiceStub(live.channel)
    call = stub.GetServiceState(
        gate_pb2.GetServiceStateRequest(service="api-gateway", environment="production"),
        metadata=(("x-request-id", "deploy-43"),),
    )
    await call
    assert kept.headers["x-request-id"] == "deploy-42"
    assert len(wild.headers["x-request-id"]) == 32 and " " not in wild.headers["x-request-id"]
    assert ("x-request-id", "deploy-43") in tuple(await call.initial_metadata())


async def test_pipeline_errors_carry_the_request_id_on_both_surfaces(
    recorded: tuple[LiveServer, Seen],
) -> None:
    live, _ = recorded
    rest = await live.rest.post("/v1/gate/decision", json={"sloID": "nope"}, headers={"X-Request-ID": "r-1"})
    stub = gate_pb2_grpc.GateServiceStub(live.channel)
    with pytest.raises(grpc.aio.AioRpcError) as caught:
        await stub.Decide(gate_pb2.DecideRequest(slo_id="nope"), metadata=(("x-request-id", "r-2"),))
    assert rest.status_code == 404 and rest.headers["x-request-id"] == "r-1"
    assert caught.value.code() == grpc.StatusCode.NOT_FOUND
    assert ("x-request-id", "r-2") in tuple(caught.value.trailing_metadata() or ())


async def test_grpc_garbage_bytes_are_invalid_argument(recorded: tuple[LiveServer, Seen]) -> None:
    live, seen = recorded
    raw = live.channel.unary_unary(
        "/aegis.v1.GateService/Decide", request_serializer=None, response_deserializer=None
    )
    with pytest.raises(grpc.aio.AioRpcError) as caught:
        await raw(b"\xff\xff\xff\xff")
    assert caught.value.code() == grpc.StatusCode.INVALID_ARGUMENT
    assert "aegis.v1.DecideRequest" in (caught.value.details() or "")
    # Still a call: the chain saw it (so it is authenticated, counted and logged), the servicer did not.
    assert [(surface, method) for surface, method, _ in seen.calls] == [
        ("grpc", "/aegis.v1.GateService/Decide")
    ]


# --- A slow servicer behind both transports ------------------------------------------------------


class SlowGate(gate_pb2_grpc.GateServiceServicer):
    def __init__(self) -> None:
        self.started = asyncio.Event()
        self.cancelled = asyncio.Event()

    async def Decide(self, request: gate_pb2.DecideRequest, context: CallContext) -> gate_pb2.DecideResponse:
        self.started.set()
        try:
            await asyncio.sleep(30)
        except asyncio.CancelledError:
            self.cancelled.set()
            raise
        return gate_pb2.DecideResponse(evaluation=evaluation_pb2.Evaluation(slo_id=request.slo_id))


@dataclass
class Surfaces:
    gate: SlowGate
    grpc_target: str
    rest_port: int


# Plain uvicorn, and our HTTP protocol, which tells a call that its connection was lost (the
# transcoder then cancels it in place, instead of watching for http.disconnect in a second task).
@pytest.fixture(params=["uvicorn-h11", "guarded-h11"])
async def slow(request: pytest.FixtureRequest) -> AsyncIterator[Surfaces]:
    gate = SlowGate()
    pipeline = Pipeline([RequestIdInterceptor(), DeadlineInterceptor()])
    bindings = [ServiceBinding(GATE, gate)]
    server = grpc.aio.server()
    server.add_generic_rpc_handlers(generic_handlers(bindings, pipeline, logger=LOGGER))
    grpc_port = server.add_insecure_port("127.0.0.1:0")
    await server.start()
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM, socket.IPPROTO_TCP)
    sock.bind(("127.0.0.1", 0))
    sock.listen(16)
    protocol: dict[str, Any] = (
        {"http": guarded_protocol(HttpLimits(), LOGGER)} if request.param == "guarded-h11" else {}
    )
    rest = uvicorn.Server(
        uvicorn.Config(
            build_rest_app(bindings, pipeline=pipeline), lifespan="off", log_level="warning", **protocol
        )
    )
    task = asyncio.create_task(rest.serve(sockets=[sock]))
    while not rest.started:  # noqa: ASYNC110 - uvicorn offers no event for this
        await asyncio.sleep(0.01)
    yield Surfaces(gate, f"127.0.0.1:{grpc_port}", sock.getsockname()[1])
    rest.should_exit = True
    await task
    await server.stop(0)


async def test_rest_grpc_timeout_header_sets_the_deadline(slow: Surfaces) -> None:
    async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{slow.rest_port}", timeout=10) as client:
        response = await client.post(
            "/v1/gate/decision", json={"sloID": "x"}, headers={"Grpc-Timeout": "200m"}
        )
    assert response.status_code == 504
    assert response.json()["code"] == grpc.StatusCode.DEADLINE_EXCEEDED.value[0]
    await asyncio.wait_for(slow.gate.cancelled.wait(), 5)


async def test_rest_malformed_grpc_timeout_is_400(slow: Surfaces) -> None:
    async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{slow.rest_port}", timeout=10) as client:
        response = await client.post(
            "/v1/gate/decision", json={"sloID": "x"}, headers={"Grpc-Timeout": "soon"}
        )
    assert response.status_code == 400
    assert "Grpc-Timeout" in response.json()["message"]
    assert not slow.gate.started.is_set()


async def test_grpc_deadline_cancels_the_work(slow: Surfaces) -> None:
    async with grpc.aio.insecure_channel(slow.grpc_target) as channel:
        stub = gate_pb2_grpc.GateServiceStub(channel)
        with pytest.raises(grpc.aio.AioRpcError) as caught:
            await stub.Decide(gate_pb2.DecideRequest(slo_id="x"), timeout=0.2)
    assert caught.value.code() == grpc.StatusCode.DEADLINE_EXCEEDED
    await asyncio.wait_for(slow.gate.cancelled.wait(), 5)


async def test_rest_client_that_disconnects_cancels_its_work(slow: Surfaces) -> None:
    _, writer = await asyncio.open_connection("127.0.0.1", slow.rest_port)
    body = b'{"sloID": "x"}'
    writer.write(
        b"POST /v1/gate/decision HTTP/1.1\r\nHost: t\r\nContent-Type: application/json\r\n"
        + f"Content-Length: {len(body)}\r\n\r\n".encode()
        + body
    )
    await writer.drain()
    await asyncio.wait_for(slow.gate.started.wait(), 5)
    writer.close()
    await writer.wait_closed()
    await asyncio.wait_for(slow.gate.cancelled.wait(), 5)
    # The server goes on answering: the cancellation was the call's, not the server's.
    async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{slow.rest_port}", timeout=10) as client:
        response = await client.post(
            "/v1/gate/decision", json={"sloID": "x"}, headers={"Grpc-Timeout": "50m"}
        )
    assert response.status_code == 504


# --- Pieces ----------------------------------------------------------------------------------------


def test_rest_forwards_only_the_headers_it_means_to() -> None:
    raw = [
        (b"Authorization", b"Bearer k"),
        (b"Cookie", b"session=secret"),
        (b"Host", b"aegis.example"),
        (b"X-Request-ID", b"r"),
        (b"Grpc-Metadata-Tenant", b"team-a"),
        (b"Grpc-Metadata-", b"empty name"),
        (b"Traceparent", b"00-abc-def-01"),
        (b"X-Forwarded-For", b"10.0.0.1"),
    ]
    assert forwarded_metadata(raw) == (
        ("authorization", "Bearer k"),
        ("x-request-id", "r"),
        ("tenant", "team-a"),
        ("traceparent", "00-abc-def-01"),
    )


@pytest.mark.parametrize(
    ("text", "seconds"),
    [
        ("5S", 5.0),
        ("250m", 0.25),
        ("1H", 3600.0),
        ("2M", 120.0),
        ("100u", 1e-4),
        ("7n", 7e-9),
        ("123456789S", None),
        ("5s", None),
        ("S", None),
        ("-1S", None),
        ("", None),
    ],
)
def test_parse_grpc_timeout(text: str, seconds: float | None) -> None:
    assert parse_grpc_timeout(text) == (pytest.approx(seconds) if seconds is not None else None)


class Crashing:
    async def intercept(self, request: Message, context: CallContext, proceed: Handler) -> Message:
        raise RuntimeError("interceptor bug with secret=1")


async def test_a_crashing_interceptor_is_internal_without_details() -> None:
    gate = SlowGate()
    handler = Pipeline([Crashing()]).handler(
        __import__("aegis.api.grpc_transport", fromlist=["method_info"]).method_info(
            GATE.methods_by_name["Decide"]
        ),
        gate.Decide,
    )
    with pytest.raises(AbortError) as caught:
        await handler(gate_pb2.DecideRequest(slo_id="x"), CallContext(surface="grpc"))
    assert caught.value.code == grpc.StatusCode.INTERNAL
    assert "secret" not in caught.value.details
    assert not gate.started.is_set()
