"""The gRPC surface as debugging tools and orchestrators see it: health, reflection, real grpcurl."""

from __future__ import annotations

import asyncio
import json

from grpc_health.v1 import health_pb2, health_pb2_grpc

from tests.conftest import LiveServer, require_binary


async def test_health_reports_serving_once_ready(live: LiveServer) -> None:
    stub = health_pb2_grpc.HealthStub(live.channel)
    for service in ("", "aegis.v1.GateService", "aegis.v1.AuditService"):
        for _ in range(50):
            reply = await stub.Check(health_pb2.HealthCheckRequest(service=service))
            if reply.status == health_pb2.HealthCheckResponse.SERVING:
                break
            await asyncio.sleep(0.1)
        assert reply.status == health_pb2.HealthCheckResponse.SERVING, service


async def _grpcurl(*args: str) -> tuple[int, str, str]:
    binary = require_binary("grpcurl")
    process = await asyncio.create_subprocess_exec(
        binary, "-plaintext", *args, stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE
    )
    out, err = await process.communicate()
    return process.returncode or 0, out.decode(), err.decode()


async def test_grpcurl_lists_services_through_reflection(live: LiveServer) -> None:
    code, out, err = await _grpcurl(live.grpc_target, "list")
    assert code == 0, err
    services = set(out.split())
    assert {
        "aegis.v1.GateService",
        "aegis.v1.SLOService",
        "aegis.v1.AuditService",
        "grpc.health.v1.Health",
    } <= services


async def test_grpcurl_describes_the_contract(live: LiveServer) -> None:
    code, out, err = await _grpcurl(live.grpc_target, "describe", "aegis.v1.GateService")
    assert code == 0, err
    assert "rpc Decide ( .aegis.v1.DecideRequest ) returns ( .aegis.v1.DecideResponse )" in out
    code, out, err = await _grpcurl(live.grpc_target, "describe", "aegis.v1.DecideRequest")
    assert code == 0, err
    assert 'string slo_id = 1 [json_name = "sloID"];' in out


async def test_grpcurl_decides(live: LiveServer) -> None:
    code, out, err = await _grpcurl(
        "-d", '{"sloID": "checkout-fast-burn"}', live.grpc_target, "aegis.v1.GateService/Decide"
    )
    assert code == 0, err
    evaluation = json.loads(out)["evaluation"]
    assert evaluation["decision"] == "BLOCK"
    assert evaluation["sloID"] == "checkout-fast-burn"


async def test_grpcurl_sees_not_found(live: LiveServer) -> None:
    code, _out, err = await _grpcurl(
        "-d", '{"sloID": "missing"}', live.grpc_target, "aegis.v1.GateService/Decide"
    )
    assert code != 0
    assert "NotFound" in err and "no SLO with id 'missing'" in err
