"""Both surfaces of one live server: same answers, documented JSON, errors mapped alike."""

from __future__ import annotations

from typing import Any

import grpc
import pytest
from google.protobuf import json_format

from aegis.v1 import audit_pb2, audit_pb2_grpc, gate_pb2, gate_pb2_grpc, slo_pb2, slo_pb2_grpc
from tests._audit_records import as_answered
from tests.conftest import LiveServer

# Every shipped SLO and the decision its synthetic scenario must produce, with the flags that explain it.
SCENARIOS = [
    ("api-availability", "ALLOW", {}),
    ("checkout-availability", "ALLOW", {}),
    ("web-latency", "ALLOW", {}),
    ("legacy-ratio", "ALLOW", {}),
    ("checkout-fast-burn", "BLOCK", {}),
    ("search-slow-burn", "BLOCK", {}),
    ("api-warn-only", "WARN", {}),
    ("billing-stale", "WARN", {"isStale": True}),
    ("batch-zero-traffic", "WARN", {"hasNoTraffic": True}),
    ("payments-budget-policy", "WARN", {}),
    # Answers ALLOW in dry run; the policy's own decision is beside it.
    ("recommendations-dry-run", "ALLOW", {"dryRun": True, "wouldBeDecision": "BLOCK"}),
]


def _as_json(message: Any) -> dict[str, Any]:
    return json_format.MessageToDict(message, always_print_fields_with_no_presence=True)


async def test_surfaces_cover_every_shipped_slo(live: LiveServer) -> None:
    response = await live.rest.get("/v1/slo")
    assert response.status_code == 200
    assert sorted(slo["id"] for slo in response.json()["slos"]) == sorted(s[0] for s in SCENARIOS)


@pytest.mark.parametrize(("slo_id", "decision", "flags"), SCENARIOS)
async def test_surfaces_agree_on_every_scenario(
    live: LiveServer, slo_id: str, decision: str, flags: dict[str, bool]
) -> None:
    rest = await live.rest.post("/v1/gate/decision", json={"sloID": slo_id})
    assert rest.status_code == 200, rest.text
    stub = gate_pb2_grpc.GateServiceStub(live.channel)
    over_grpc = await stub.Decide(gate_pb2.DecideRequest(slo_id=slo_id))
    body = rest.json()
    # Both answered from the same cached evaluation: byte-for-byte the same evidence.
    assert body == _as_json(over_grpc.evaluation)
    assert body["decision"] == decision
    for flag, value in flags.items():
        assert body[flag] == value
    assert body["reasons"], "every decision explains itself"
    if decision == "ALLOW" and not body["dryRun"]:
        assert body["reasons"] == ["all burn rate checks passed"]


@pytest.mark.parametrize(("slo_id", "decision", "flags"), SCENARIOS)
async def test_surfaces_agree_on_fresh_evaluations(
    live: LiveServer, slo_id: str, decision: str, flags: dict[str, bool]
) -> None:
    rest = await live.rest.post("/v1/gate/decision", json={"sloID": slo_id, "forceFresh": True})
    stub = gate_pb2_grpc.GateServiceStub(live.channel)
    over_grpc = await stub.Decide(gate_pb2.DecideRequest(slo_id=slo_id, force_fresh=True))
    body, other = rest.json(), _as_json(over_grpc.evaluation)
    assert body["evaluationID"] != other["evaluationID"], "forceFresh evaluates anew"
    for key in ("decision", "reasons", "burnRates", "rules", "sli", "isStale", "hasNoTraffic"):
        assert body[key] == other[key], key
    assert body["decision"] == decision


async def test_rest_decision_reads_like_the_readme(live: LiveServer) -> None:
    """The seed README's own SLO, shipped verbatim, on the embedded default."""
    response = await live.rest.post(
        "/v1/gate/decision",
        json={"sloID": "api-availability"},
        headers={"Content-Type": "application/json"},
    )
    body = response.json()
    assert response.headers["content-type"].startswith("application/json")
    assert body["sloID"] == "api-availability"
    assert body["decision"] == "ALLOW"
    assert body["ttl"] == 300
    assert body["isStale"] is False and body["hasNoTraffic"] is False
    assert set(body["sli"]) == {"value", "errorRate", "budgetRemaining", "window"}
    assert body["service"] == "api-gateway" and body["environment"] == "production"
    # Each window with the threshold of the first rule using it: 1h belongs to fast-burn first.
    assert {w: b["threshold"] for w, b in body["burnRates"].items()} == {"5m": 14.0, "1h": 14.0, "6h": 7.0}
    assert [rule["name"] for rule in body["rules"]] == ["fast-burn", "slow-burn"]
    assert body["rules"][1] == {
        "name": "slow-burn",
        "shortWindow": "1h",
        "longWindow": "6h",
        "shortBurnRate": body["burnRates"]["1h"]["burnRate"],
        "longBurnRate": body["burnRates"]["6h"]["burnRate"],
        "threshold": 7.0,
        "action": "BLOCK",
        "fired": False,
        "evaluated": True,
    }
    assert body["timestamp"].endswith("Z")


@pytest.mark.parametrize(
    ("body", "code"),
    [
        ({"sloID": "no-such-slo"}, grpc.StatusCode.NOT_FOUND),
        ({"sloID": ""}, grpc.StatusCode.INVALID_ARGUMENT),
        ({}, grpc.StatusCode.INVALID_ARGUMENT),
    ],
)
async def test_surfaces_map_decide_errors_alike(
    live: LiveServer, body: dict[str, str], code: grpc.StatusCode
) -> None:
    rest = await live.rest.post("/v1/gate/decision", json=body)
    stub = gate_pb2_grpc.GateServiceStub(live.channel)
    with pytest.raises(grpc.aio.AioRpcError) as raised:
        await stub.Decide(gate_pb2.DecideRequest(slo_id=body.get("sloID", "")))
    assert raised.value.code() == code
    status = rest.json()
    assert status["code"] == code.value[0]
    assert status["message"] == raised.value.details()
    assert rest.status_code == {grpc.StatusCode.NOT_FOUND: 404, grpc.StatusCode.INVALID_ARGUMENT: 400}[code]


async def test_rest_rejects_malformed_decision_bodies(live: LiveServer) -> None:
    for content in (b"{not json", b"[]", b'{"sloID": 5}', b'{"sloId": "api-availability", "tpyo": 1}'):
        response = await live.rest.post(
            "/v1/gate/decision", content=content, headers={"Content-Type": "application/json"}
        )
        assert response.status_code == 400, content
        assert response.json()["code"] == grpc.StatusCode.INVALID_ARGUMENT.value[0]


async def test_surfaces_agree_on_service_state(live: LiveServer) -> None:
    rest = await live.rest.get("/v1/state/api/staging")
    stub = gate_pb2_grpc.GateServiceStub(live.channel)
    over_grpc = await stub.GetServiceState(
        gate_pb2.GetServiceStateRequest(service="api", environment="staging")
    )
    body = rest.json()
    assert body["decision"] == "WARN"  # api-warn-only WARNs, legacy-ratio ALLOWs: the worst wins
    assert sorted(e["sloID"] for e in body["evaluations"]) == ["api-warn-only", "legacy-ratio"]
    assert body["decision"] == _as_json(over_grpc)["decision"]
    assert any(reason.startswith("api-warn-only: WARN") for reason in body["reasons"])
    missing = await live.rest.get("/v1/state/api/nowhere")
    assert missing.status_code == 404


async def test_surfaces_agree_on_slos(live: LiveServer) -> None:
    rest = await live.rest.get("/v1/slo/api-availability")
    stub = slo_pb2_grpc.SLOServiceStub(live.channel)
    over_grpc = await stub.GetSLO(slo_pb2.GetSLORequest(id="api-availability"))
    body = rest.json()
    assert body["id"] == "api-availability" and body["objective"] == 0.995
    assert body["evaluationInterval"] == "5m" and body["window"] == "30d"
    assert (body["owner"], body["service"], body["minDataPoints"]) == ("platform-team", "api-gateway", 10)
    for key in ("id", "sli", "burnRateRules", "objective", "sourceFile", "owner"):
        assert body[key] == _as_json(over_grpc.slo)[key]
    assert body["status"]["lastDecision"] == "ALLOW"
    unknown = await live.rest.get("/v1/slo/nope")
    assert unknown.status_code == 404
    assert "no SLO with id 'nope'" in unknown.json()["message"]


async def test_audit_records_every_evaluation_on_both_surfaces(live: LiveServer) -> None:
    decided = (
        await live.rest.post("/v1/gate/decision", json={"sloID": "billing-stale", "forceFresh": True})
    ).json()
    await live.app.audit.flush()
    rest = await live.rest.get("/v1/audit", params={"sloID": "billing-stale", "limit": 1})
    assert rest.status_code == 200, rest.text
    records = rest.json()["records"]
    # The newest record is the gate request, right above the evaluation that answered it.
    assert records[0]["recordKind"] == "AUDIT_RECORD_KIND_GATE_REQUEST"
    assert records[0]["id"].startswith(decided["evaluationID"] + ".gate-")
    assert as_answered(records[0]) == decided, "the audit shows exactly what the gate answered"
    evaluations = await live.rest.get(
        "/v1/audit", params={"sloID": "billing-stale", "limit": 1, "kind": "AUDIT_RECORD_KIND_EVALUATION"}
    )
    evaluation = evaluations.json()["records"][0]
    assert evaluation["recordKind"] == "AUDIT_RECORD_KIND_EVALUATION" and evaluation["id"] == decided["id"]
    assert as_answered(evaluation) == decided
    stub = audit_pb2_grpc.AuditServiceStub(live.channel)
    over_grpc = await stub.ListAuditRecords(
        audit_pb2.ListAuditRecordsRequest(slo_id="billing-stale", limit=1)
    )
    assert _as_json(over_grpc)["records"] == records


async def test_audit_filters_and_pages(live: LiveServer) -> None:
    for _ in range(3):
        await live.rest.post("/v1/gate/decision", json={"sloID": "checkout-fast-burn", "forceFresh": True})
    await live.app.audit.flush()
    first = (
        await live.rest.get("/v1/audit", params={"decision": "BLOCK", "service": "checkout", "limit": 2})
    ).json()
    assert len(first["records"]) == 2 and first["nextPageToken"]
    assert all(r["decision"] == "BLOCK" and r["service"] == "checkout" for r in first["records"])
    second = (
        await live.rest.get(
            "/v1/audit",
            params={
                "decision": "BLOCK",
                "service": "checkout",
                "limit": 2,
                "pageToken": first["nextPageToken"],
            },
        )
    ).json()
    seen = [r["id"] for r in first["records"] + second["records"]]
    assert len(seen) == len(set(seen))
    times = [r["timestamp"] for r in first["records"] + second["records"]]
    assert times == sorted(times, reverse=True)


@pytest.mark.parametrize(
    "params",
    [
        {"limit": "abc"},
        {"limit": "-1"},
        {"startTime": "yesterday"},
        {"decision": "MAYBE"},
        {"pageToken": "garbage"},
        {"startTime": "2024-01-02T00:00:00Z", "endTime": "2024-01-01T00:00:00Z"},
        {"sloid": "typo-in-the-name"},
    ],
)
async def test_audit_rejects_bad_filters(live: LiveServer, params: dict[str, str]) -> None:
    response = await live.rest.get("/v1/audit", params=params)
    assert response.status_code == 400, response.text
    assert response.json()["code"] == grpc.StatusCode.INVALID_ARGUMENT.value[0]


async def test_grpc_audit_rejects_bad_page_token(live: LiveServer) -> None:
    stub = audit_pb2_grpc.AuditServiceStub(live.channel)
    with pytest.raises(grpc.aio.AioRpcError) as raised:
        await stub.ListAuditRecords(audit_pb2.ListAuditRecordsRequest(page_token="garbage"))
    assert raised.value.code() == grpc.StatusCode.INVALID_ARGUMENT


async def test_rest_unknown_path_and_method(live: LiveServer) -> None:
    assert (await live.rest.get("/v1/nothing")).status_code == 404
    wrong_method = await live.rest.get("/v1/gate/decision")
    assert wrong_method.status_code == 405
    assert "POST" in wrong_method.headers["allow"]


async def test_probes(live: LiveServer) -> None:
    assert (await live.rest.get("/healthz")).json() == {"status": "ok"}
    ready = await live.rest.get("/readyz")
    assert ready.status_code == 200 and ready.json()["ready"] is True
    metrics = await live.rest.get("/metrics")
    assert 'aegis_evaluations_total{decision="ALLOW",slo_id="api-availability"}' in metrics.text


async def test_audit_limit_above_the_maximum_is_capped(live: LiveServer) -> None:
    response = await live.rest.get("/v1/audit", params={"limit": 5000})
    assert response.status_code == 200
    assert 0 < len(response.json()["records"]) <= 1000
