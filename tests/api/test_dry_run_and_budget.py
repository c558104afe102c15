"""Dry run and the error-budget policy on the live server: answers, audit, metrics, both surfaces."""

from __future__ import annotations

import re
from typing import Any

from google.protobuf import json_format

from aegis.v1 import gate_pb2, gate_pb2_grpc
from tests._audit_records import as_answered
from tests._flagger import flagger_payload
from tests.conftest import LiveServer

SPEC_NOTICE = (
    "dry run (spec.dryRun): the gate answers ALLOW; outside a dry run it would answer BLOCK "
    "for the reasons that follow"
)


def _as_json(message: Any) -> dict[str, Any]:
    return json_format.MessageToDict(message, always_print_fields_with_no_presence=True)


async def _fresh(live: LiveServer, slo_id: str, **extra: object) -> dict[str, Any]:
    response = await live.rest.post("/v1/gate/decision", json={"sloID": slo_id, "forceFresh": True, **extra})
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body


async def _audited(live: LiveServer, evaluation_id: str, slo_id: str, kind: str = "") -> dict[str, Any]:
    """The newest audit record of that evaluation: its last gate request, unless ``kind`` says."""
    await live.app.audit.flush()
    params: dict[str, Any] = {"sloID": slo_id, "limit": 50}
    if kind:
        params["kind"] = kind
    response = await live.rest.get("/v1/audit", params=params)
    record: dict[str, Any] = next(r for r in response.json()["records"] if r["evaluationID"] == evaluation_id)
    return record


async def test_dry_run_slo_answers_allow_and_the_audit_records_block(live: LiveServer) -> None:
    answer = await _fresh(live, "recommendations-dry-run")
    assert (answer["decision"], answer["dryRun"], answer["wouldBeDecision"]) == ("ALLOW", True, "BLOCK")
    assert answer["reasons"][0] == SPEC_NOTICE
    assert answer["reasons"][1].startswith("rule fast-burn fired (BLOCK)")
    record = await _audited(live, answer["evaluationID"], "recommendations-dry-run")
    assert (record["decision"], record["dryRun"], record["wouldBeDecision"]) == ("BLOCK", True, "BLOCK")
    assert record["reasons"] == answer["reasons"]
    # Filtering the audit by the real decision finds it.
    blocked = await live.rest.get(
        "/v1/audit", params={"sloID": "recommendations-dry-run", "decision": "BLOCK"}
    )
    assert answer["evaluationID"] in {r["evaluationID"] for r in blocked.json()["records"]}


async def test_dry_run_slo_metrics_count_the_real_decision(live: LiveServer) -> None:
    await _fresh(live, "recommendations-dry-run")
    exposition = (await live.rest.get("/metrics")).text
    assert re.search(r'^aegis_slo_decision\{slo_id="recommendations-dry-run"\} 3\.0$', exposition, re.M)
    assert re.search(
        r'^aegis_evaluations_total\{decision="BLOCK",slo_id="recommendations-dry-run"\} [1-9]',
        exposition,
        re.M,
    )


async def test_dry_run_requested_answers_allow_on_both_surfaces(live: LiveServer) -> None:
    rest = await _fresh(live, "checkout-fast-burn", dryRun=True)
    stub = gate_pb2_grpc.GateServiceStub(live.channel)
    over_grpc = _as_json(
        (await stub.Decide(gate_pb2.DecideRequest(slo_id="checkout-fast-burn", dry_run=True))).evaluation
    )
    for body in (rest, over_grpc):
        assert (body["decision"], body["dryRun"], body["wouldBeDecision"]) == ("ALLOW", True, "BLOCK")
        assert body["reasons"][0].startswith("dry run (dryRun in the request): the gate answers ALLOW")
    # The evaluation itself was recorded as it is: enforced, BLOCK.
    record = await _audited(live, rest["evaluationID"], "checkout-fast-burn", "AUDIT_RECORD_KIND_EVALUATION")
    assert (record["decision"], record["dryRun"]) == ("BLOCK", False)
    assert "wouldBeDecision" not in {k for k, v in record.items() if v != "DECISION_UNSPECIFIED"}
    # The gate request was recorded in dry run: the policy's BLOCK, flagged, with the notice.
    request = await _audited(
        live, rest["evaluationID"], "checkout-fast-burn", "AUDIT_RECORD_KIND_GATE_REQUEST"
    )
    assert (request["decision"], request["dryRun"], request["wouldBeDecision"]) == ("BLOCK", True, "BLOCK")
    assert request["reasons"] == rest["reasons"]


async def test_dry_run_slo_opens_service_state_and_flagger(live: LiveServer) -> None:
    state = (await live.rest.get("/v1/state/recommendations/production")).json()
    assert state["decision"] == "ALLOW"
    assert [(e["sloID"], e["dryRun"], e["wouldBeDecision"]) for e in state["evaluations"]] == [
        ("recommendations-dry-run", True, "BLOCK")
    ]
    hook = await live.rest.post(
        "/v1/gate/flagger", json=flagger_payload("Progressing", {"sloID": "recommendations-dry-run"})
    )
    assert hook.status_code == 200, hook.text
    assert hook.json()["decision"] == "ALLOW"


async def test_slo_definitions_show_dry_run_and_budget_policy(live: LiveServer) -> None:
    trial = (await live.rest.get("/v1/slo/recommendations-dry-run")).json()
    assert trial["dryRun"] is True and "budgetPolicy" not in trial
    budgeted = (await live.rest.get("/v1/slo/payments-budget-policy")).json()
    assert budgeted["dryRun"] is False
    assert budgeted["budgetPolicy"] == {"blockBelow": 0.1, "warnBelow": 0.25}


async def test_budget_policy_warns_with_its_evidence(live: LiveServer) -> None:
    answer = await _fresh(live, "payments-budget-policy")
    assert answer["decision"] == "WARN"
    assert answer["reasons"] == [
        "error-budget policy (WARN): 20.0% of the 30d error budget left, below warnBelow 25.0%"
    ]
    policy = answer["budgetPolicy"]
    assert policy["action"] == "WARN" and (policy["blockBelow"], policy["warnBelow"]) == (0.1, 0.25)
    assert abs(policy["budgetRemaining"] - 0.2) < 1e-9
    assert policy["budgetRemaining"] == answer["sli"]["budgetRemaining"]
    record = await _audited(live, answer["evaluationID"], "payments-budget-policy")
    assert record["recordKind"] == "AUDIT_RECORD_KIND_GATE_REQUEST"  # the newest: the request
    assert as_answered(record) == answer
