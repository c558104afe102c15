"""Every call on either surface is counted, timed and logged once, with its request id and caller.

In-process live servers for the metrics and the access log records; a real ``aegis-server`` for
what the operator reads: ``--log-format json`` at DEBUG, one JSON object per line, no secrets.
"""

from __future__ import annotations

import json
import logging
import re
import signal
from collections.abc import AsyncIterator
from pathlib import Path

import grpc
import httpx
import pytest

from aegis.v1 import gate_pb2, gate_pb2_grpc
from tests._aegis_process import aegis_server, base_args
from tests.api.test_auth import secret_of, write_keys_file
from tests.conftest import LiveServer, default_settings, start_live, stop_live


@pytest.fixture
async def keyed(tmp_path: Path) -> AsyncIterator[LiveServer]:
    keys = write_keys_file(tmp_path / "keys.yaml", {"ci": frozenset({"gate", "read"})})
    live = await start_live(default_settings(tmp_path, api_keys_file=str(keys)))
    yield live
    await stop_live(live)


def _sample(metrics: str, name: str, **labels: str) -> float:
    """The value of one sample in Prometheus text format; 0 when absent."""
    for line in metrics.splitlines():
        match = re.fullmatch(rf"{name}\{{(.*)\}} (\S+)", line)
        if match is None:
            continue
        found = dict(re.findall(r'(\w+)="([^"]*)"', match.group(1)))
        if all(found.get(key) == value for key, value in labels.items()):
            return float(match.group(2))
    return 0.0


async def test_metrics_count_and_time_every_call_by_method_surface_and_code(keyed: LiveServer) -> None:
    auth = {"Authorization": f"Bearer {secret_of('ci')}"}
    metadata = (("authorization", f"Bearer {secret_of('ci')}"),)
    stub = gate_pb2_grpc.GateServiceStub(keyed.channel)
    await keyed.rest.post("/v1/gate/decision", json={"sloID": "api-availability"}, headers=auth)
    await keyed.rest.post("/v1/gate/decision", json={"sloID": "nope"}, headers=auth)
    await keyed.rest.post("/v1/gate/decision", content=b"{broken", headers=auth)
    await keyed.rest.post("/v1/gate/decision", json={"sloID": "api-availability"})
    await stub.Decide(gate_pb2.DecideRequest(slo_id="api-availability"), metadata=metadata)
    with pytest.raises(grpc.aio.AioRpcError):
        await stub.Decide(gate_pb2.DecideRequest(slo_id="nope"), metadata=metadata)
    metrics = (await keyed.rest.get("/metrics")).text
    decide = "/aegis.v1.GateService/Decide"
    for surface, code, count in [
        ("rest", "OK", 1),
        ("rest", "NOT_FOUND", 1),
        ("rest", "INVALID_ARGUMENT", 1),
        ("rest", "UNAUTHENTICATED", 1),
        ("grpc", "OK", 1),
        ("grpc", "NOT_FOUND", 1),
    ]:
        labels = {"method": decide, "surface": surface, "code": code}
        assert _sample(metrics, "aegis_requests_total", **labels) == count, labels
        assert _sample(metrics, "aegis_request_duration_seconds_count", **labels) == count, labels
        assert _sample(metrics, "aegis_request_duration_seconds_bucket", le="+Inf", **labels) == count
    assert _sample(metrics, "aegis_requests_in_flight", method=decide, surface="rest") == 0
    assert _sample(metrics, "aegis_requests_in_flight", method=decide, surface="grpc") == 0


async def test_access_log_is_one_event_per_call_with_id_principal_and_peer(
    keyed: LiveServer, caplog: pytest.LogCaptureFixture
) -> None:
    secret = secret_of("ci")
    with caplog.at_level(logging.INFO, logger="aegis.access"):
        rest = await keyed.rest.get(
            "/v1/slo", headers={"Authorization": f"Bearer {secret}", "X-Request-ID": "deploy-7"}
        )
        call = gate_pb2_grpc.GateServiceStub(keyed.channel).Decide(
            gate_pb2.DecideRequest(slo_id="api-availability"),
            metadata=(("authorization", f"Bearer {secret}"), ("x-request-id", "deploy-8")),
        )
        await call
        refused = await keyed.rest.get("/v1/slo", headers={"Authorization": "Bearer wrong-secret"})
    events = [record.fields for record in caplog.records if record.name == "aegis.access"]  # type: ignore[attr-defined]
    assert [(e["surface"], e["method"], e["code"]) for e in events] == [
        ("rest", "/aegis.v1.SLOService/ListSLOs", "OK"),
        ("grpc", "/aegis.v1.GateService/Decide", "OK"),
        ("rest", "/aegis.v1.SLOService/ListSLOs", "UNAUTHENTICATED"),
    ]
    assert [e["request_id"] for e in events[:2]] == ["deploy-7", "deploy-8"]
    assert events[2]["request_id"] == refused.headers["x-request-id"]
    assert [e["principal"] for e in events] == ["ci", "ci", ""]
    assert all(e["peer"].startswith("ipv4:127.0.0.1:") for e in events)
    assert all(e["duration_ms"] >= 0 for e in events)
    assert rest.status_code == 200
    assert not any(secret in record.getMessage() for record in caplog.records)


def test_json_logs_at_debug_hold_no_secret_and_sighup_reloads_keys(tmp_path: Path) -> None:
    """The operator's view: a real process, --log-format json --log-level DEBUG, then SIGHUP."""
    keys = write_keys_file(tmp_path / "keys.yaml", {"ci": frozenset({"gate", "read"})})
    args = base_args(
        tmp_path / "audit.db", "--log-format", "json", "--log-level", "DEBUG", "--api-keys-file", str(keys)
    )
    wrong = "wrong-secret-0f1e2d3c4b5a69788796a5b4"
    with aegis_server(args) as server:
        secret = secret_of("ci")
        with grpc.insecure_channel(server.grpc_target) as channel:
            stub = gate_pb2_grpc.GateServiceStub(channel)
            stub.Decide(
                gate_pb2.DecideRequest(slo_id="api-availability"),
                metadata=(("authorization", f"Bearer {secret}"),),
            )
            with pytest.raises(grpc.RpcError):
                stub.Decide(
                    gate_pb2.DecideRequest(slo_id="api-availability"),
                    metadata=(("authorization", f"Bearer {wrong}"),),
                )
        ok = httpx.post(
            f"{server.rest_url}/v1/gate/decision",
            json={"sloID": "api-availability"},
            headers={"Authorization": f"Bearer {secret}", "X-Request-ID": "rid-1"},
        )
        refused = httpx.get(f"{server.rest_url}/v1/slo", headers={"Authorization": f"Bearer {wrong}"})
        write_keys_file(keys, {"rotated": frozenset({"read"})})
        server.process.send_signal(signal.SIGHUP)
        server.wait_for_line("reloaded 1 API key")
        rotated = httpx.get(
            f"{server.rest_url}/v1/slo", headers={"Authorization": f"Bearer {secret_of('rotated')}"}
        )
        old = httpx.get(f"{server.rest_url}/v1/slo", headers={"Authorization": f"Bearer {secret}"})
        server.process.send_signal(signal.SIGTERM)
        assert server.process.wait(timeout=30) == 0
    assert (ok.status_code, refused.status_code, rotated.status_code, old.status_code) == (200, 401, 200, 401)
    output = server.output
    for text in (secret, wrong, secret_of("rotated")):
        assert text not in output
    events = [json.loads(line) for line in output.splitlines() if line.strip()]
    assert all({"time", "level", "logger", "message"} <= set(event) for event in events)
    calls = [event for event in events if event.get("event") == "call"]
    assert len(calls) == 6, calls
    assert {"method", "surface", "code", "duration_ms", "request_id", "principal", "peer"} <= set(calls[0])
    assert any(call["request_id"] == "rid-1" and call["principal"] == "ci" for call in calls)
    assert {call["code"] for call in calls} == {"OK", "UNAUTHENTICATED"}
