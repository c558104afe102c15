"""Flagger's webhooks against the live server: its exact payload, and its rule for passing a hook.

Flagger v1.36.1 (pkg/controller/webhook.go, CallWebhook and callWebhook) POSTs
``json.Marshal(flaggerv1.CanaryWebhookPayload{Name, Namespace, Phase, Checksum, Metadata})``
(pkg/apis/flagger/v1beta1/canary.go: keys name, namespace, phase, checksum and, when the
webhook has any, metadata) with Content-Type application/json, and fails the hook when
``r.StatusCode > 202``, recording the response body as the error. confirm-rollout hooks send the
canary's current phase; pre-rollout and rollout hooks send "Progressing"
(pkg/controller/scheduler_hooks.go, scheduler.go runAnalysis).
"""

from __future__ import annotations

from typing import Any

import grpc
import pytest

from aegis.api.flagger import FlaggerGate, parse_metadata
from aegis.spec.model import Decision
from aegis.v1 import evaluation_pb2, gate_pb2, gate_pb2_grpc
from tests._flagger import flagger_passes, flagger_payload
from tests.conftest import LiveServer

HOOK_PHASES = {"confirm-rollout": "Waiting", "pre-rollout": "Progressing", "rollout": "Progressing"}


async def call_hook(live: LiveServer, hook: str, metadata: dict[str, str] | None) -> tuple[int, Any]:
    response = await live.rest.post(
        "/v1/gate/flagger",
        json=flagger_payload(HOOK_PHASES[hook], metadata),
        headers={"Content-Type": "application/json"},
    )
    return response.status_code, response.json()


@pytest.mark.parametrize("hook", sorted(HOOK_PHASES))
@pytest.mark.parametrize(
    ("metadata", "passes", "decision"),
    [
        ({"sloID": "api-availability"}, True, "ALLOW"),
        ({"sloID": "checkout-fast-burn"}, False, "BLOCK"),
        ({"sloID": "billing-stale"}, True, "WARN"),
        ({"sloID": "billing-stale", "failOn": "warn"}, False, "WARN"),
        ({"sloID": "api-availability", "failOn": "warn", "fresh": "true"}, True, "ALLOW"),
        ({"service": "checkout", "environment": "production"}, False, "BLOCK"),
        ({"service": "api-gateway", "environment": "production", "fresh": "true"}, True, "ALLOW"),
    ],
    ids=[
        "allow",
        "block",
        "warn-passes-by-default",
        "warn-fails-with-failOn",
        "fresh-allow",
        "service-block",
        "service-fresh-allow",
    ],
)
async def test_flagger_hooks_pass_exactly_when_the_gate_opens(
    live: LiveServer, hook: str, metadata: dict[str, str], passes: bool, decision: str
) -> None:
    status, body = await call_hook(live, hook, metadata)
    assert flagger_passes(status) is passes, (status, body)
    if passes:
        assert status == 200
        assert body["decision"] == decision
        assert body["reasons"]
        assert body["evaluations"] and all(e["decision"] for e in body["evaluations"])
    else:
        # FAILED_PRECONDITION through the one error table: 400, which go-retryablehttp does not retry.
        assert status == 400
        assert body["code"] == grpc.StatusCode.FAILED_PRECONDITION.value[0]
        assert body["message"].startswith(f"{decision} "), body
        assert "fired" in body["message"] or "stale" in body["message"], "the reasons travel in the message"


@pytest.mark.parametrize(
    ("metadata", "status", "expected"),
    [
        (None, 400, "must name sloID, or both service and environment"),
        ({"sloId": "api-availability"}, 400, "did you mean 'sloID'?"),
        ({"service": "api"}, 400, "must name sloID, or both service and environment"),
        ({"sloID": "api-availability", "service": "api"}, 400, "not both"),
        ({"sloID": "api-availability", "failOn": "sometimes"}, 400, "failOn must be block or warn"),
        ({"sloID": "api-availability", "fresh": "yes"}, 400, "fresh must be true or false"),
        ({"sloID": "no-such-slo"}, 404, "no SLO with id 'no-such-slo'"),
        ({"service": "api", "environment": "mars"}, 404, "no SLO for service 'api' in environment 'mars'"),
    ],
    ids=[
        "no-metadata",
        "typo",
        "service-alone",
        "both",
        "bad-failOn",
        "bad-fresh",
        "unknown-slo",
        "unknown-env",
    ],
)
async def test_a_webhook_that_names_nothing_usable_fails_with_the_reason(
    live: LiveServer, metadata: dict[str, str] | None, status: int, expected: str
) -> None:
    got, body = await call_hook(live, "pre-rollout", metadata)
    assert got == status
    assert not flagger_passes(got)
    assert expected in body["message"]


async def test_a_payload_field_flagger_does_not_send_is_refused(live: LiveServer) -> None:
    payload = {**flagger_payload("Progressing", {"sloID": "api-availability"}), "buildID": "7"}
    response = await live.rest.post("/v1/gate/flagger", json=payload)
    assert response.status_code == 400
    assert "buildID" in response.json()["message"]


async def test_the_same_webhook_over_grpc_fails_with_failed_precondition(live: LiveServer) -> None:
    stub = gate_pb2_grpc.GateServiceStub(live.channel)
    request = gate_pb2.FlaggerWebhookRequest(
        name="podinfo", namespace="test", phase="Progressing", metadata={"sloID": "api-availability"}
    )
    answer = await stub.FlaggerWebhook(request, timeout=10)
    assert answer.decision == evaluation_pb2.ALLOW
    request.metadata["sloID"] = "checkout-fast-burn"
    with pytest.raises(grpc.aio.AioRpcError) as raised:
        await stub.FlaggerWebhook(request, timeout=10)
    assert raised.value.code() is grpc.StatusCode.FAILED_PRECONDITION
    assert (raised.value.details() or "").startswith("BLOCK checkout-fast-burn: rule fast-burn fired")


def test_metadata_values_are_read_case_insensitively_where_they_are_words() -> None:
    gate = parse_metadata(
        {"service": " api ", "environment": "production", "failOn": "WARN", "fresh": "True"}
    )
    assert gate == FlaggerGate(None, "api", "production", fail_on=Decision.WARN, fresh=True)
    assert gate.fails(Decision.WARN) and not gate.fails(Decision.ALLOW)
    assert not parse_metadata({"sloID": "x"}).fails(Decision.WARN)
