"""The Python clients send the deployment context and dry run on every transport, the audit
records each request, and list_audit / verify_audit_chain read it back over gRPC and REST."""

from __future__ import annotations

import asyncio
import uuid

import pytest

from aegis.client import AegisClient, AsyncAegisClient, Decision, Deployment, GateTarget, RestClient, check
from aegis.v1 import audit_pb2
from tests.conftest import LiveServer


@pytest.mark.parametrize("transport", ["grpc", "aio", "rest"])
async def test_decide_sends_the_deployment_and_dry_run(live: LiveServer, transport: str) -> None:
    deployment = Deployment(
        f"py-{transport}-{uuid.uuid4().hex[:8]}", "c0ffee", "https://ci.example/py", "pytest"
    )
    if transport == "aio":
        async with AsyncAegisClient(live.grpc_target) as aio:
            answer = await aio.decide("checkout-fast-burn", dry_run=True, deployment=deployment)
            page = await aio.list_audit(
                audit_pb2.ListAuditRecordsRequest(deployment_id=deployment.deployment_id)
            )
    else:
        client = AegisClient(live.grpc_target) if transport == "grpc" else RestClient(live.rest_url)
        with client:
            answer = await asyncio.to_thread(
                client.decide, "checkout-fast-burn", dry_run=True, deployment=deployment
            )
            request = audit_pb2.ListAuditRecordsRequest(
                deployment_id=deployment.deployment_id, caller="pytest"
            )
            page = await asyncio.to_thread(client.list_audit, request)

    assert (answer.decision, answer.dry_run, answer.would_be_decision) == (
        Decision.ALLOW,
        True,
        Decision.BLOCK,
    )
    assert page.total == 1
    (record,) = page.records
    assert record.evaluation_id == answer.evaluation_id and record.dry_run
    assert Deployment.from_proto(record.gate_request) == deployment


async def test_check_on_a_service_with_a_deployment_records_each_slo(live: LiveServer) -> None:
    deployment = Deployment(deployment_id=f"py-service-{uuid.uuid4().hex[:8]}")
    with RestClient(live.rest_url) as client:
        target = GateTarget(service="checkout", environment="production")
        verdict = await asyncio.to_thread(check, client, target, deployment=deployment, dry_run=True)
        page = await asyncio.to_thread(
            client.list_audit, audit_pb2.ListAuditRecordsRequest(deployment_id=deployment.deployment_id)
        )
    assert verdict.decision is Decision.ALLOW and verdict.would_be_decision is Decision.BLOCK
    expected = "ALLOW (dry run; would be BLOCK) checkout/production: checkout-fast-burn: ALLOW: "
    assert verdict.summary().startswith(expected + "dry run (dryRun in the request)")
    assert sorted(r.slo_id for r in page.records) == sorted(e.slo_id for e in verdict.evaluations)


async def test_verify_audit_chain_over_grpc_and_rest(live: LiveServer) -> None:
    await live.app.audit.flush()
    with AegisClient(live.grpc_target) as grpc_client, RestClient(live.rest_url) as rest_client:
        over_grpc = await asyncio.to_thread(grpc_client.verify_audit_chain)
        over_rest = await asyncio.to_thread(rest_client.verify_audit_chain)
    for verdict in (over_grpc, over_rest):
        assert verdict.intact and verdict.records_checked > 0 and not verdict.HasField("first_broken")
    assert over_rest.head.sequence >= over_grpc.head.sequence


def test_deployment_from_ci_env() -> None:
    assert not Deployment.from_ci_env({})
    github = Deployment.from_ci_env(
        {
            "GITHUB_ACTIONS": "true",
            "GITHUB_REPOSITORY": "a/b",
            "GITHUB_RUN_ID": "9",
            "GITHUB_SHA": "s",
            "GITHUB_ACTOR": "o",
        }
    )
    assert github == Deployment("a/b#9", "s", "https://github.com/a/b/actions/runs/9", "o")
    assert Deployment(caller="me").over(github) == Deployment(
        "a/b#9", "s", "https://github.com/a/b/actions/runs/9", "me"
    )
