"""Who asks and for what, on a live server with API keys: every gate request (Decide over REST and
gRPC, the Flagger webhook) is an audit record with its deployment context and the API key's name,
filterable over REST query parameters and gRPC; VerifyAuditChain proves the result (admin only)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import grpc
import pytest

from aegis.v1 import audit_pb2, audit_pb2_grpc, evaluation_pb2, gate_pb2, gate_pb2_grpc
from tests._audit_records import as_answered
from tests._flagger import CHECKSUM, flagger_payload
from tests.api.test_auth import secret_of, write_keys_file
from tests.conftest import LiveServer, default_settings, start_live, stop_live

KEYS = {
    "ci-pipeline": frozenset({"gate"}),
    "dashboard": frozenset({"read"}),
    "auditor": frozenset({"admin", "read"}),
}
SLO = "api-availability"
CONTEXT = {
    "deploymentID": "checkout-v42",
    "commit": "9fceb02d0ae598e95dc970b74767f19372d61af8",
    "pipelineURL": "https://github.com/acme/checkout/actions/runs/7",
    "caller": "release-bot",
}


def bearer(name: str) -> dict[str, str]:
    return {"authorization": f"Bearer {secret_of(name)}"}


@pytest.fixture(scope="module")
async def live(tmp_path_factory: pytest.TempPathFactory) -> AsyncIterator[LiveServer]:
    tmp = tmp_path_factory.mktemp("deployment")
    keys = write_keys_file(tmp / "keys.yaml", KEYS)
    server = await start_live(default_settings(tmp, api_keys_file=str(keys)))
    yield server
    await stop_live(server)


async def audit(live: LiveServer, **params: Any) -> dict[str, Any]:
    await live.app.audit.flush()
    response = await live.rest.get("/v1/audit", params=params, headers=bearer("dashboard"))
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body


async def test_decide_records_the_request_with_its_context_and_key(live: LiveServer) -> None:
    answer = await live.rest.post(
        "/v1/gate/decision", json={"sloID": SLO, "deployment": CONTEXT}, headers=bearer("ci-pipeline")
    )
    assert answer.status_code == 200, answer.text
    decided = answer.json()
    assert "gateRequest" not in decided  # the answer is the evaluation's, as before

    page = await audit(live, deploymentID="checkout-v42")

    assert page["total"] == 1
    record = page["records"][0]
    assert record["recordKind"] == "AUDIT_RECORD_KIND_GATE_REQUEST"
    assert record["evaluationID"] == decided["evaluationID"] and record["id"] != decided["id"]
    request = record["gateRequest"]
    assert {key: request[key] for key in CONTEXT} == CONTEXT
    assert request["apiKeyName"] == "ci-pipeline" and request["requestedAt"]
    assert as_answered(record) == decided
    # The same record under each of the other filters, over REST query parameters.
    for name, value in [
        *CONTEXT.items(),
        ("apiKeyName", "ci-pipeline"),
        ("kind", "AUDIT_RECORD_KIND_GATE_REQUEST"),
    ]:
        found = await audit(live, sloID=SLO, **{name: value})
        assert record["id"] in [r["id"] for r in found["records"]], name
    assert (await audit(live, deploymentID="checkout-v43"))["total"] == 0
    # Evaluations carry no context: filtered on it, none match.
    assert (await audit(live, deploymentID="checkout-v42", kind="AUDIT_RECORD_KIND_EVALUATION"))["total"] == 0


async def test_grpc_decide_in_dry_run_records_the_request_and_filters_over_grpc(live: LiveServer) -> None:
    metadata = tuple(bearer("ci-pipeline").items())
    context = evaluation_pb2.DeploymentContext(deployment_id="grpc-7", commit="abc123", caller="alice")
    answer = await gate_pb2_grpc.GateServiceStub(live.channel).Decide(
        gate_pb2.DecideRequest(slo_id=SLO, dry_run=True, deployment=context), metadata=metadata
    )
    assert answer.evaluation.dry_run and answer.evaluation.decision == evaluation_pb2.ALLOW
    await live.app.audit.flush()

    page = await audit_pb2_grpc.AuditServiceStub(live.channel).ListAuditRecords(
        audit_pb2.ListAuditRecordsRequest(deployment_id="grpc-7", caller="alice"),
        metadata=tuple(bearer("dashboard").items()),
    )

    assert page.total == 1
    record = page.records[0]
    assert record.record_kind == evaluation_pb2.AUDIT_RECORD_KIND_GATE_REQUEST
    assert (record.gate_request.commit, record.gate_request.api_key_name) == ("abc123", "ci-pipeline")
    # Recorded in dry run: the policy's own decision, flagged, with the would-be decision.
    assert record.dry_run and record.would_be_decision == answer.evaluation.would_be_decision
    assert record.decision == answer.evaluation.would_be_decision


async def test_flagger_webhook_records_the_canary_as_its_context(live: LiveServer) -> None:
    hook = await live.rest.post(
        "/v1/gate/flagger",
        json=flagger_payload("Progressing", {"sloID": SLO}, name="podinfo", namespace="shop"),
        headers=bearer("ci-pipeline"),
    )
    assert hook.status_code == 200, hook.text

    page = await audit(live, deploymentID="flagger:shop/podinfo")

    assert page["total"] == 1
    request = page["records"][0]["gateRequest"]
    assert (request["commit"], request["caller"]) == (CHECKSUM, "flagger Progressing")
    # Metadata may say it instead.
    metadata = {"sloID": SLO, "deploymentID": "podinfo-v2", "commit": "deadbeef", "caller": "flux"}
    hook = await live.rest.post(
        "/v1/gate/flagger", json=flagger_payload("Progressing", metadata), headers=bearer("ci-pipeline")
    )
    assert hook.status_code == 200, hook.text
    request = (await audit(live, deploymentID="podinfo-v2"))["records"][0]["gateRequest"]
    assert (request["commit"], request["caller"]) == ("deadbeef", "flux")


async def test_flagger_webhook_on_a_service_records_each_slo(live: LiveServer) -> None:
    metadata = {"service": "checkout", "environment": "production", "deploymentID": "checkout-canary-9"}
    hook = await live.rest.post(
        "/v1/gate/flagger", json=flagger_payload("Progressing", metadata), headers=bearer("ci-pipeline")
    )
    assert hook.status_code == 400, hook.text  # checkout-fast-burn blocks: the hook fails, recorded anyway

    page = await audit(live, deploymentID="checkout-canary-9")

    members = sorted(
        s.id
        for s in live.app.scheduler.slos.values()
        if (s.service, s.environment) == ("checkout", "production")
    )
    assert sorted(r["sloID"] for r in page["records"]) == members
    assert all(r["gateRequest"]["apiKeyName"] == "ci-pipeline" for r in page["records"])


async def test_deployment_fields_too_long_are_refused_with_the_field(live: LiveServer) -> None:
    response = await live.rest.post(
        "/v1/gate/decision",
        json={"sloID": SLO, "deployment": {"caller": "x" * 513}},
        headers=bearer("ci-pipeline"),
    )
    assert response.status_code == 400
    assert "deployment.caller is 513 characters long; at most 512" in response.json()["message"]


async def test_verify_audit_chain_needs_admin_and_proves_the_live_audit(live: LiveServer) -> None:
    await live.rest.post("/v1/gate/decision", json={"sloID": SLO}, headers=bearer("ci-pipeline"))
    await live.app.audit.flush()
    refused = await live.rest.get("/v1/audit:verify", headers=bearer("dashboard"))
    assert refused.status_code == 403

    response = await live.rest.get("/v1/audit:verify", headers=bearer("auditor"))

    assert response.status_code == 200, response.text
    verdict = response.json()
    assert verdict["intact"] is True and int(verdict["recordsChecked"]) > 0
    assert verdict["unchainedRecords"] == "0" and "firstBroken" not in verdict
    assert int(verdict["head"]["sequence"]) == int(verdict["recordsChecked"])
    over_grpc = await audit_pb2_grpc.AuditServiceStub(live.channel).VerifyAuditChain(
        audit_pb2.VerifyAuditChainRequest(), metadata=tuple(bearer("auditor").items())
    )
    assert over_grpc.intact and over_grpc.head.sequence >= int(verdict["head"]["sequence"])
    with pytest.raises(grpc.aio.AioRpcError) as denied:
        await audit_pb2_grpc.AuditServiceStub(live.channel).VerifyAuditChain(
            audit_pb2.VerifyAuditChainRequest(), metadata=tuple(bearer("ci-pipeline").items())
        )
    assert denied.value.code() is grpc.StatusCode.PERMISSION_DENIED


async def test_verify_audit_chain_checks_an_expected_head(live: LiveServer) -> None:
    await live.rest.post(
        "/v1/gate/decision", json={"sloID": SLO, "forceFresh": True}, headers=bearer("ci-pipeline")
    )
    await live.app.audit.flush()
    admin = bearer("auditor")
    head = (await live.rest.get("/v1/audit:verify", headers=admin)).json()["head"]

    kept = await live.rest.get(
        "/v1/audit:verify",
        params={"expectedHead.sequence": head["sequence"], "expectedHead.recordHash": head["recordHash"]},
        headers=admin,
    )
    assert kept.status_code == 200, kept.text
    assert kept.json()["intact"] is True and kept.json()["expectedHeadProblem"] == ""

    other = await live.rest.get(
        "/v1/audit:verify",
        params={"expectedHead.sequence": head["sequence"], "expectedHead.recordHash": "f" * 64},
        headers=admin,
    )
    verdict = other.json()
    assert (
        verdict["intact"] is False
        and "does not have the hash noted earlier" in verdict["expectedHeadProblem"]
    )
    future = await audit_pb2_grpc.AuditServiceStub(live.channel).VerifyAuditChain(
        audit_pb2.VerifyAuditChainRequest(
            expected_head=evaluation_pb2.AuditChainLink(sequence=10**9, record_hash="a" * 64)
        ),
        metadata=tuple(admin.items()),
    )
    assert not future.intact and "records were cut from the end" in future.expected_head_problem
    malformed = await live.rest.get(
        "/v1/audit:verify",
        params={"expectedHead.sequence": "3", "expectedHead.recordHash": "abc"},
        headers=admin,
    )
    assert malformed.status_code == 400 and "64 hex digits" in malformed.json()["message"]
