"""REST JSON lists fields in the contract's order, at every depth, whatever json_format prints first.

json_format puts the fields that are set before the defaults, so each test builds messages whose
set fields are the late ones and checks (as a precondition) that json_format alone would get the
order wrong.
"""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest
from google.protobuf import json_format, struct_pb2
from google.protobuf.message import Message

from aegis.api._rest_response import render, to_json
from aegis.api.transcoder import CallContext, ServiceBinding, build_rest_app
from aegis.v1 import audit_pb2, audit_pb2_grpc, evaluation_pb2, gate_pb2, gate_pb2_grpc

# The decision response as the README documents it: Evaluation's fields by number.
EVALUATION_KEYS = [
    "evaluationID",
    "sloID",
    "service",
    "environment",
    "decision",
    "timestamp",
    "ttl",
    "sli",
    "reasons",
    "burnRates",
    "isStale",
    "hasNoTraffic",
    "hasMissingData",
    "hasTooFewDataPoints",
    "hasClampedData",
    "rules",
    "dataTimestamp",
    "id",
    "budgetPolicy",
    "dryRun",
    "wouldBeDecision",
    "gateRequest",
    "recordKind",
    "chain",
]
SLI_KEYS = ["value", "errorRate", "budgetRemaining", "window"]
BURN_RATE_KEYS = ["burnRate", "threshold"]
RULE_KEYS = [
    "name",
    "shortWindow",
    "longWindow",
    "shortBurnRate",
    "longBurnRate",
    "threshold",
    "action",
    "fired",
    "evaluated",
]


def late_fields_evaluation() -> evaluation_pb2.Evaluation:
    """An Evaluation whose set fields are, at every level, the last ones of their message."""
    evaluation = evaluation_pb2.Evaluation(
        is_stale=True,
        has_clamped_data=True,
        reasons=["api: fast burn"],
        sli=evaluation_pb2.SLISummary(window="30d"),
        rules=[evaluation_pb2.RuleResult(fired=True, evaluated=True)],
        id="ev-1",
        budget_policy=evaluation_pb2.BudgetPolicyResult(action=evaluation_pb2.WARN),
        dry_run=True,
        would_be_decision=evaluation_pb2.WARN,
        gate_request=evaluation_pb2.GateRequestRecord(api_key_name="ci"),
        record_kind=evaluation_pb2.AUDIT_RECORD_KIND_GATE_REQUEST,
        chain=evaluation_pb2.AuditChainLink(record_hash="0" * 64),
    )
    evaluation.timestamp.FromJsonString("2024-05-01T12:00:00Z")
    evaluation.data_timestamp.FromJsonString("2024-05-01T11:59:30Z")
    for window in ("5m", "30m", "1h", "6h"):
        evaluation.burn_rates[window].threshold = 14.4
    return evaluation


def json_format_keys(message: Message) -> list[str]:
    return list(json_format.MessageToDict(message, always_print_fields_with_no_presence=True))


def keys_of(document: object) -> list[str]:
    assert isinstance(document, dict)
    return list(document)


def test_to_json_lists_evaluation_fields_in_field_number_order() -> None:
    evaluation = late_fields_evaluation()
    assert json_format_keys(evaluation) != EVALUATION_KEYS  # what this feature fixes

    document = to_json(evaluation)

    assert keys_of(document) == EVALUATION_KEYS
    assert [field.json_name for field in evaluation.DESCRIPTOR.fields] == EVALUATION_KEYS


def test_to_json_orders_nested_messages_in_fields_lists_and_maps() -> None:
    evaluation = late_fields_evaluation()
    assert json_format_keys(evaluation.sli) != SLI_KEYS
    assert json_format_keys(evaluation.rules[0]) != RULE_KEYS
    assert json_format_keys(evaluation.burn_rates["5m"]) != BURN_RATE_KEYS

    document: Any = to_json(evaluation)

    assert keys_of(document["sli"]) == SLI_KEYS
    assert [keys_of(rule) for rule in document["rules"]] == [RULE_KEYS]
    assert [keys_of(burn) for burn in document["burnRates"].values()] == [BURN_RATE_KEYS] * 4


def test_to_json_keeps_map_keys_in_the_order_json_format_prints_them() -> None:
    evaluation = late_fields_evaluation()
    printed = json_format.MessageToDict(evaluation, always_print_fields_with_no_presence=True)

    document: Any = to_json(evaluation)

    assert list(document["burnRates"]) == list(printed["burnRates"])
    assert sorted(document["burnRates"]) == ["1h", "30m", "5m", "6h"]


def test_to_json_keeps_values_and_well_known_types_unchanged() -> None:
    evaluation = late_fields_evaluation()
    printed = json_format.MessageToDict(evaluation, always_print_fields_with_no_presence=True)

    document: Any = to_json(evaluation)

    assert document == printed
    assert document["timestamp"] == "2024-05-01T12:00:00Z"
    assert document["dataTimestamp"] == "2024-05-01T11:59:30Z"


def test_to_json_keeps_a_struct_in_its_own_key_order() -> None:
    # "fields" is the name of Struct's own proto field: ordering a Struct like a message moves it.
    struct = struct_pb2.Struct()
    struct.update({"zeta": 1, "fields": 2, "alpha": {"y": True, "fields": None}})

    document: Any = to_json(struct)

    assert document == {"zeta": 1, "fields": 2, "alpha": {"y": True, "fields": None}}
    assert list(document) == list(json_format.MessageToDict(struct))
    assert list(document["alpha"]) == list(json_format.MessageToDict(struct)["alpha"])


def test_render_orders_a_response_body_message_field() -> None:
    response = gate_pb2.DecideResponse(evaluation=late_fields_evaluation())
    evaluation_field = gate_pb2.DESCRIPTOR.message_types_by_name["DecideResponse"].fields_by_name[
        "evaluation"
    ]

    document: Any = render(response, (evaluation_field,))

    assert keys_of(document) == EVALUATION_KEYS
    assert keys_of(document["sli"]) == SLI_KEYS


# --- Over HTTP: what a client of the REST API reads ----------------------------------------------


class GateServicer(gate_pb2_grpc.GateServiceServicer):
    async def Decide(
        self, request: gate_pb2.DecideRequest, context: CallContext
    ) -> gate_pb2.DecideResponse:
        return gate_pb2.DecideResponse(evaluation=late_fields_evaluation())


class AuditServicer(audit_pb2_grpc.AuditServiceServicer):
    async def ListAuditRecords(
        self, request: audit_pb2.ListAuditRecordsRequest, context: CallContext
    ) -> audit_pb2.ListAuditRecordsResponse:
        return audit_pb2.ListAuditRecordsResponse(records=[late_fields_evaluation()], next_page_token="n")


@pytest.fixture
async def client() -> AsyncIterator[httpx.AsyncClient]:
    bindings = [
        ServiceBinding(gate_pb2.DESCRIPTOR.services_by_name["GateService"], GateServicer()),
        ServiceBinding(audit_pb2.DESCRIPTOR.services_by_name["AuditService"], AuditServicer()),
    ]
    app = build_rest_app(bindings, logger=logging.getLogger("tests.api.rest_response"))
    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app=app), base_url="http://aegis.test"
    ) as client:
        yield client


async def test_decide_response_lists_fields_in_field_number_order(client: httpx.AsyncClient) -> None:
    response = await client.post("/v1/gate/decision", json={"sloID": "api-availability"})

    assert response.status_code == 200, response.text
    body = response.json()  # json.loads keeps the order of the bytes on the wire
    assert list(body) == EVALUATION_KEYS
    assert list(body["sli"]) == SLI_KEYS
    assert list(body["rules"][0]) == RULE_KEYS
    assert response.content.startswith(b'{"evaluationID":"","sloID":"","service":""')


async def test_audit_response_orders_messages_inside_a_list(client: httpx.AsyncClient) -> None:
    response = await client.get("/v1/audit")

    assert response.status_code == 200, response.text
    body = response.json()
    assert list(body) == ["records", "nextPageToken", "total"]
    assert [list(record) for record in body["records"]] == [EVALUATION_KEYS]
    assert list(body["records"][0]["sli"]) == SLI_KEYS
